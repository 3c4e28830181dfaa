/*
 * eseal from C: make a seal with the test CA, sign data with it, verify the signature and the
 * seal, and see a bad input and a changed document fail.
 *
 *   ffi/install.sh "$HOME/.local"        # header, libeseal_ffi.{so,a}, eseal.pc
 *   cc ffi/examples/seal_and_verify.c $(pkg-config --cflags --libs eseal) -o seal_and_verify
 *   ./seal_and_verify OUTDIR              # writes OUTDIR/c.{seal,sig,data} and OUTDIR/root.pem
 *   ./seal_and_verify --verify-from OUTDIR python node   # verifies OUTDIR/<lang>.sig
 *
 * Every call returns ESEAL_OK or an ESEAL_ERR_* code; eseal_last_error_message() says why.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include "eseal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;
static int passed = 0;

#define CHECK(call)                                                                     \
    do {                                                                                \
        int rc_ = (call);                                                               \
        if (rc_ != ESEAL_OK) {                                                          \
            fprintf(stderr, "%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #call,         \
                    eseal_error_name(rc_), eseal_last_error_message());                 \
            exit(2);                                                                    \
        }                                                                               \
    } while (0)

static void expect(int ok, const char *what) {
    if (ok) {
        passed++;
        printf("ok - %s\n", what);
    } else {
        failures++;
        printf("FAILED - %s\n", what);
    }
}

static int write_file(const char *dir, const char *name, const void *data, size_t len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = fwrite(data, 1, len, f);
    fclose(f);
    return n == len ? 0 : -1;
}

/* Reads a whole file; returns NULL when it is absent. */
static unsigned char *read_file(const char *dir, const char *name, size_t *len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(size > 0 ? (size_t)size : 1);
    *len = fread(buf, 1, (size_t)size, f);
    fclose(f);
    return buf;
}

static const char PICTURE[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40mm\" height=\"40mm\">"
    "<circle cx=\"20\" cy=\"20\" r=\"18\" fill=\"none\" stroke=\"red\"/></svg>";

/* Verifies OUTDIR/<lang>.sig over OUTDIR/<lang>.data against OUTDIR/root.pem. */
static void verify_from(const char *dir, const char *lang) {
    char name[256];
    size_t sig_len = 0, data_len = 0, root_len = 0;
    snprintf(name, sizeof name, "%s.sig", lang);
    unsigned char *sig = read_file(dir, name, &sig_len);
    snprintf(name, sizeof name, "%s.data", lang);
    unsigned char *data = read_file(dir, name, &data_len);
    unsigned char *root = read_file(dir, "root.pem", &root_len);
    char what[600];
    snprintf(what, sizeof what, "a signature made from %s verifies from C", lang);
    if (!sig || !data || !root) {
        expect(0, what);
    } else {
        EsealVerifyOptions *opts = NULL;
        CHECK(eseal_verify_options_new(&opts));
        CHECK(eseal_verify_options_add_trust(opts, root, root_len));
        CHECK(eseal_verify_options_set_strict(opts, 1));
        char *json = NULL;
        int exit_code = -1;
        CHECK(eseal_verify_signature(sig, sig_len, data, data_len, opts, &json, &exit_code));
        expect(exit_code == 0 && strstr(json, "\"verdict\":\"valid\"") != NULL, what);
        eseal_string_free(json);
        eseal_verify_options_free(opts);
    }
    /* lang.ofd, lang.pdf: the default stamp; lang-options.*: signed with the signing options. */
    for (int k = 0; k < 4 && root; k++) {
        const char *ext = k % 2 == 0 ? "ofd" : "pdf";
        size_t doc_len = 0;
        snprintf(name, sizeof name, "%s%s.%s", lang, k < 2 ? "" : "-options", ext);
        unsigned char *doc = read_file(dir, name, &doc_len);
        snprintf(what, sizeof what, "%s signed from %s verifies from C", name, lang);
        if (!doc) {
            expect(0, what);
            continue;
        }
        EsealVerifyOptions *opts = NULL;
        CHECK(eseal_verify_options_new(&opts));
        CHECK(eseal_verify_options_add_trust(opts, root, root_len));
        char *json = NULL;
        int exit_code = -1;
        CHECK(k % 2 == 0 ? eseal_verify_ofd(doc, doc_len, opts, &json, &exit_code) : eseal_verify_pdf(doc, doc_len, opts, &json, &exit_code));
        expect(exit_code == 0, what);
        eseal_string_free(json);
        eseal_verify_options_free(opts);
        free(doc);
    }
    free(sig);
    free(data);
    free(root);
}

/* Whether `text` occurs in the bytes. */
static int contains(const uint8_t *data, size_t len, const char *text) {
    size_t n = strlen(text);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(data + i, text, n) == 0) return 1;
    return 0;
}

/* Every signing option through the options handle: SM2 CMS shape with the dictionary entries,
 * DocMDP, several stamps, a cross-page seal, keyword placement (and its typed error), a QR
 * code and a generated stamp picture, then deferred signing (prepare, sign e, finish). */
static void signing_options(const unsigned char *pdf, size_t pdf_len, const unsigned char *ofd, size_t ofd_len,
                            const EsealSeal *seal, const EsealSigner *person, const char *cert_pem,
                            const EsealVerifyOptions *vopts, const char *dir, const char *vectors) {
    EsealSignOptions *o = NULL;
    uint8_t *out = NULL, *qr = NULL;
    size_t out_len = 0, qr_len = 0;
    char *report = NULL;
    int exit_code = -1, rc;
    EsealStamp a = {1, 20.0, 20.0, 40.0, 40.0, 0}, b = {1, 150.0, 60.0, 40.0, 40.0, 0};

    CHECK(eseal_sign_options_new(&o));
    CHECK(eseal_sign_options_set_shape(o, "sm2-cms"));
    CHECK(eseal_sign_options_set_info(o, "同意", "上海", "legal@example.cn", NULL));
    CHECK(eseal_sign_options_add_stamp(o, &a));
    CHECK(eseal_sign_options_add_stamp(o, &b));
    CHECK(eseal_stamp_qr("https://verify.example.cn/v?id={doc_id}&h={digest}", "c-1", (const uint8_t *)"0123456789abcdef0123456789abcdef",
                         32, 20.0, &qr, &qr_len));
    CHECK(eseal_sign_options_set_qr(o, qr, qr_len, 1, 220.0, 120.0, 57.0));
    CHECK(eseal_sign_pdf_with_options(pdf, pdf_len, seal, person, o, &out, &out_len));
    CHECK(eseal_verify_pdf(out, out_len, vopts, &report, &exit_code));
    expect(exit_code == 0 && strstr(report, "\"format\":\"pdf\"") != NULL, "SM2 CMS, two stamps and a QR code: verifies");
    if (exit_code != 0) fprintf(stderr, "%s\n", report);
    eseal_string_free(report);
    expect(write_file(dir, "c-options.pdf", out, out_len) == 0, "wrote c-options.pdf");
    eseal_bytes_free(out, out_len);
    /* A certification signature (DocMDP P=2) with the dictionary entries. */
    EsealSignOptions *cert_opts = NULL;
    CHECK(eseal_sign_options_new(&cert_opts));
    CHECK(eseal_sign_options_set_info(cert_opts, "同意", "上海", "legal@example.cn", "Certified"));
    CHECK(eseal_sign_options_set_certify(cert_opts, 2));
    CHECK(eseal_sign_pdf_with_options(pdf, pdf_len, seal, person, cert_opts, &out, &out_len));
    CHECK(eseal_verify_pdf(out, out_len, vopts, &report, &exit_code));
    expect(exit_code == 0 && contains(out, out_len, "/DocMDP"), "a certified SES signature (DocMDP 2) verifies");
    eseal_string_free(report);
    eseal_bytes_free(out, out_len);
    eseal_sign_options_free(cert_opts);
    expect(eseal_sign_options_set_shape(o, "pades") == ESEAL_ERR_INVALID_INPUT, "shape pades is refused with the way out");
    expect(eseal_sign_options_set_certify(o, 4) == ESEAL_ERR_INVALID_INPUT, "certify 4 is refused");
    rc = eseal_sign_ofd_with_options(ofd, ofd_len, seal, person, o, &out, &out_len);
    expect(rc == ESEAL_ERR_INVALID_INPUT, "PDF-only options are refused for an OFD");
    eseal_sign_options_free(o);

    /* Cross-page seal and keyword placement, OFD and PDF (two pages). */
    size_t pdf2_len = 0, ofd2_len = 0;
    unsigned char *pdf2 = read_file(vectors, "two-pages.pdf", &pdf2_len);
    unsigned char *ofd2 = read_file(vectors, "two-pages.ofd", &ofd2_len);
    expect(pdf2 && ofd2, "two-pages.pdf and two-pages.ofd are there");
    if (!pdf2 || !ofd2) return;
    CHECK(eseal_sign_options_new(&o));
    CHECK(eseal_sign_options_set_cross_page(o, "all", "left", 30.0, -1.0, 40.0, 40.0));
    CHECK(eseal_sign_options_set_keyword(o, "bindings", "first", NULL, "end", 2.0, 0.0, 20.0, 20.0));
    CHECK(eseal_sign_ofd_with_options(ofd2, ofd2_len, seal, person, o, &out, &out_len));
    CHECK(eseal_verify_ofd(out, out_len, vopts, &report, &exit_code));
    expect(exit_code == 0, "cross-page seal and keyword stamps on the OFD: verifies");
    eseal_string_free(report);
    expect(write_file(dir, "c-options.ofd", out, out_len) == 0, "wrote c-options.ofd");
    eseal_bytes_free(out, out_len);
    CHECK(eseal_sign_pdf_with_options(pdf2, pdf2_len, seal, person, o, &out, &out_len));
    CHECK(eseal_verify_pdf(out, out_len, vopts, &report, &exit_code));
    expect(exit_code == 0 && strstr(report, "\"signatures\"") != NULL, "cross-page seal and keyword stamp on the PDF: verifies");
    eseal_string_free(report);
    eseal_bytes_free(out, out_len);
    free(pdf2);
    free(ofd2);
    CHECK(eseal_sign_options_set_keyword(o, "甲方（盖章）", NULL, NULL, NULL, 0.0, 0.0, 0.0, 0.0));
    out = NULL;
    rc = eseal_sign_pdf_with_options(pdf, pdf_len, seal, person, o, &out, &out_len);
    expect(rc == ESEAL_ERR_KEYWORD_NOT_FOUND && out == NULL && strstr(eseal_last_error_message(), "甲方") != NULL,
           "an absent keyword is ESEAL_ERR_KEYWORD_NOT_FOUND, naming it");
    expect(strcmp(eseal_error_name(rc), "ESEAL_ERR_KEYWORD_NOT_FOUND") == 0, "eseal_error_name knows it");
    expect(eseal_sign_options_set_cross_page(o, NULL, "middle", -1.0, -1.0, 0.0, 0.0) == ESEAL_ERR_INVALID_INPUT, "edge middle is refused");
    eseal_sign_options_free(o);

    /* Stamp pictures. */
    char *svg = NULL;
    CHECK(eseal_stamp_unit("invoice", "上海市测试有限公司", NULL, "91310000MA1FL0000X", 0.0, NULL, &out, &out_len, &svg));
    expect(out_len > 8 && memcmp(out, "\x89PNG", 4) == 0 && svg != NULL && strncmp(svg, "<svg", 4) == 0, "an invoice seal picture, PNG and SVG");
    eseal_bytes_free(out, out_len);
    eseal_string_free(svg);
    CHECK(eseal_stamp_personal("legal", "张三", 1, 0.0, NULL, &out, &out_len, NULL));
    expect(out_len > 8 && memcmp(out, "\x89PNG", 4) == 0, "a 法人章 picture");
    eseal_bytes_free(out, out_len);
    expect(eseal_stamp_unit("hexagon", "x", NULL, NULL, 0.0, NULL, &out, &out_len, NULL) == ESEAL_ERR_INVALID_INPUT, "an unknown style is refused");
    eseal_bytes_free(qr, qr_len);

    /* Deferred signing: prepare, the key's holder signs e, finish. */
    uint8_t *digest = NULL, *state = NULL, *sig = NULL;
    size_t digest_len = 0, state_len = 0, sig_len = 0;
    CHECK(eseal_sign_options_new(&o));
    CHECK(eseal_sign_options_set_info(o, "deferred", NULL, NULL, NULL));
    CHECK(eseal_prepare_pdf(pdf, pdf_len, seal, (const uint8_t *)cert_pem, strlen(cert_pem), o, &digest, &digest_len, &state, &state_len));
    expect(digest_len == 32, "prepare gives the 32-byte digest e");
    CHECK(eseal_signer_sign_prepared(person, digest, digest_len, &sig, &sig_len));
    CHECK(eseal_finish_pdf(pdf, pdf_len, seal, state, state_len, sig, sig_len, o, &out, &out_len));
    CHECK(eseal_verify_pdf(out, out_len, vopts, &report, &exit_code));
    expect(exit_code == 0, "the deferred PDF signature verifies");
    eseal_string_free(report);
    eseal_bytes_free(out, out_len);
    rc = eseal_finish_pdf(pdf, pdf_len, seal, state, state_len, digest, digest_len, o, &out, &out_len);
    expect(rc == ESEAL_ERR_INVALID_INPUT, "finish refuses a signature that is not one");
    eseal_bytes_free(digest, digest_len);
    eseal_bytes_free(state, state_len);
    eseal_bytes_free(sig, sig_len);
    CHECK(eseal_prepare_ofd(ofd, ofd_len, seal, (const uint8_t *)cert_pem, strlen(cert_pem), NULL, &digest, &digest_len, &state, &state_len));
    CHECK(eseal_signer_sign_prepared(person, digest, digest_len, &sig, &sig_len));
    CHECK(eseal_finish_ofd(ofd, ofd_len, seal, state, state_len, sig, sig_len, NULL, &out, &out_len));
    CHECK(eseal_verify_ofd(out, out_len, vopts, &report, &exit_code));
    expect(exit_code == 0, "the deferred OFD signature verifies");
    eseal_string_free(report);
    eseal_bytes_free(out, out_len);
    eseal_bytes_free(digest, digest_len);
    eseal_bytes_free(state, state_len);
    eseal_bytes_free(sig, sig_len);
    eseal_sign_options_free(o);
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "--verify-from") == 0) {
        if (argc < 4) {
            fprintf(stderr, "usage: %s --verify-from DIR LANG...\n", argv[0]);
            return 2;
        }
        for (int i = 3; i < argc; i++) verify_from(argv[2], argv[i]);
        printf("%d passed, %d failed\n", passed, failures);
        return failures ? 1 : 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR | --verify-from DIR LANG...\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    printf("eseal %s\n", eseal_version());

    /* The test CA: "unit" makes seals, "person" signs documents, "root" is the trust anchor. */
    EsealTestCa *ca = NULL;
    CHECK(eseal_test_ca_new("xlang", &ca));
    EsealSigner *maker = NULL, *person = NULL;
    CHECK(eseal_test_ca_signer(ca, "unit", &maker));
    char *key_pem = NULL, *cert_pem = NULL, *root_pem = NULL;
    CHECK(eseal_test_ca_key_pem(ca, "person", &key_pem));
    CHECK(eseal_test_ca_cert_pem(ca, "person", &cert_pem));
    CHECK(eseal_test_ca_cert_pem(ca, "root", &root_pem));
    /* A software signer from a PEM key and certificate, as from files. */
    CHECK(eseal_signer_from_pem((const uint8_t *)key_pem, strlen(key_pem), (const uint8_t *)cert_pem,
                                strlen(cert_pem), &person));

    /* A seal (GB/T 38540 v4) that the person may sign with; its picture is a PNG (a visible
     * PDF stamp needs one; SVG is fine for OFD). */
    const char *vectors = getenv("ESEAL_VECTORS");
    if (!vectors) vectors = "vectors/bindings";
    size_t png_len = 0;
    unsigned char *png = read_file(vectors, "../ses/picture-8x8.png", &png_len);
    if (!png) {
        fprintf(stderr, "%s/../ses/picture-8x8.png is missing (set ESEAL_VECTORS)\n", vectors);
        return 2;
    }
    EsealSealBuilder *b = NULL;
    CHECK(eseal_seal_builder_new("上海市测试局", "310000000000042", &b));
    CHECK(eseal_seal_builder_set_picture(b, (const uint8_t *)PICTURE, strlen(PICTURE), 40, 40));
    CHECK(eseal_seal_builder_set_picture(b, png, png_len, 40, 40)); /* the last picture set wins */
    free(png);
    CHECK(eseal_seal_builder_add_signer(b, person));
    EsealSeal *seal = NULL;
    CHECK(eseal_seal_builder_build(b, maker, &seal));
    uint8_t *seal_der = NULL;
    size_t seal_len = 0;
    CHECK(eseal_seal_der(seal, &seal_der, &seal_len));
    char *info = NULL;
    int rc = 0;
    CHECK(eseal_seal_info_json(seal, &info));
    expect(strstr(info, "310000000000042") != NULL, "the seal's info names its esID");

    /* The seal read back from its bytes. */
    EsealSeal *again = NULL;
    CHECK(eseal_seal_from_der(seal_der, seal_len, &again));

    /* Sign data: dataHash = SM3(data). */
    const char *data = "eseal from C: the protected data";
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    CHECK(eseal_sign_data(again, person, (const uint8_t *)data, strlen(data), "/c/example.txt", NULL, &sig, &sig_len));
    expect(sig_len > seal_len, "the SES_Signature holds the seal");

    /* Verify with the test root as trust anchor. */
    EsealVerifyOptions *opts = NULL;
    CHECK(eseal_verify_options_new(&opts));
    CHECK(eseal_verify_options_add_trust(opts, (const uint8_t *)root_pem, strlen(root_pem)));
    char *report = NULL;
    int exit_code = -1;
    CHECK(eseal_verify_signature(sig, sig_len, (const uint8_t *)data, strlen(data), opts, &report, &exit_code));
    expect(exit_code == 0 && strstr(report, "\"verdict\":\"valid\"") != NULL, "the signature verifies");
    eseal_string_free(report);

    /* The same with the root read from a trust directory instead; a missing one is an error. */
    {
        char dir[] = "/tmp/eseal-trust-XXXXXX";
        expect(mkdtemp(dir) != NULL, "a temporary trust directory");
        char file[sizeof dir + 16];
        snprintf(file, sizeof file, "%s/root.pem", dir);
        FILE *f = fopen(file, "w");
        expect(f != NULL && fputs(root_pem, f) >= 0 && fclose(f) == 0, "root.pem written");
        EsealVerifyOptions *dir_opts = NULL;
        CHECK(eseal_verify_options_new(&dir_opts));
        CHECK(eseal_verify_options_add_trust_dir(dir_opts, dir));
        CHECK(eseal_verify_signature(sig, sig_len, (const uint8_t *)data, strlen(data), dir_opts, &report, &exit_code));
        expect(exit_code == 0, "the signature verifies with the trust directory's root");
        eseal_string_free(report);
        expect(eseal_verify_options_add_trust_dir(dir_opts, "/nonexistent/eseal-trust") == ESEAL_ERR_IO,
               "a trust directory that does not exist is an I/O error");
        eseal_verify_options_free(dir_opts);
        remove(file);
        rmdir(dir);
    }

    /* The same signature over changed data fails its data digest check. */
    const char *changed = "eseal from C: the protected dat4";
    CHECK(eseal_verify_signature(sig, sig_len, (const uint8_t *)changed, strlen(changed), opts, &report, &exit_code));
    expect(exit_code == 1 && strstr(report, "\"data_digest\"") != NULL && strstr(report, "\"failed\"") != NULL,
           "changed data does not verify");
    eseal_string_free(report);

    /* The seal on its own. */
    CHECK(eseal_verify_seal(seal_der, seal_len, opts, &report, &exit_code));
    expect(exit_code == 0, "the seal verifies");
    eseal_string_free(report);

    /* Sign an OFD and a PDF with the seal, and verify both. */
    size_t ofd_len = 0, pdf_len = 0;
    unsigned char *ofd = read_file(vectors, "plain.ofd", &ofd_len);
    unsigned char *pdf = read_file(vectors, "plain.pdf", &pdf_len);
    if (!ofd || !pdf) {
        fprintf(stderr, "%s/plain.ofd or plain.pdf is missing (set ESEAL_VECTORS)\n", vectors);
        return 2;
    }
    uint8_t *signed_ofd = NULL, *signed_pdf = NULL;
    size_t signed_ofd_len = 0, signed_pdf_len = 0;
    EsealStamp ofd_stamp = {1, 30.0, 40.0, 0.0, 0.0, 0};  /* mm from the top-left; the picture's size */
    EsealStamp pdf_stamp = {1, 200.0, 40.0, 60.0, 60.0, 0}; /* points from the lower-left */
    EsealStamp page0 = {0, 200.0, 40.0, 60.0, 60.0, 0};
    uint8_t *none = NULL;
    size_t none_len = 0;
    rc = eseal_sign_pdf(pdf, pdf_len, seal, person, &page0, NULL, &none, &none_len);
    expect(rc == ESEAL_ERR_INVALID_INPUT && none == NULL && strstr(eseal_last_error_message(), "from 1") != NULL,
           "page 0 is refused (ESEAL_ERR_INVALID_INPUT)");
    CHECK(eseal_sign_ofd(ofd, ofd_len, seal, person, &ofd_stamp, NULL, &signed_ofd, &signed_ofd_len));
    CHECK(eseal_sign_pdf(pdf, pdf_len, seal, person, &pdf_stamp, NULL, &signed_pdf, &signed_pdf_len));
    CHECK(eseal_verify_ofd(signed_ofd, signed_ofd_len, opts, &report, &exit_code));
    expect(exit_code == 0 && strstr(report, "\"format\":\"ofd\"") != NULL, "the signed OFD verifies");
    eseal_string_free(report);
    CHECK(eseal_verify_pdf(signed_pdf, signed_pdf_len, opts, &report, &exit_code));
    expect(exit_code == 0 && strstr(report, "\"format\":\"pdf\"") != NULL, "the signed PDF verifies");
    eseal_string_free(report);
    CHECK(eseal_verify_pdf(pdf, pdf_len, opts, &report, &exit_code));
    expect(exit_code == 1, "the unsigned PDF is not valid");
    eseal_string_free(report);
    signing_options(pdf, pdf_len, ofd, ofd_len, seal, person, cert_pem, opts, dir, vectors);
    rc = 0;
    expect(write_file(dir, "c.ofd", signed_ofd, signed_ofd_len) == 0 && write_file(dir, "c.pdf", signed_pdf, signed_pdf_len) == 0,
           "wrote c.ofd, c.pdf");
    eseal_bytes_free(signed_ofd, signed_ofd_len);
    eseal_bytes_free(signed_pdf, signed_pdf_len);
    free(ofd);
    free(pdf);

    /* Bad input: an error code and the core's message, no output. */
    EsealSeal *bad = NULL;
    rc = eseal_seal_from_der((const uint8_t *)"junk", 4, &bad);
    expect(rc == ESEAL_ERR_INVALID_INPUT && bad == NULL && strlen(eseal_last_error_message()) > 0,
           "junk is not a seal (ESEAL_ERR_INVALID_INPUT)");
    printf("   message: %s\n", eseal_last_error_message());
    /* The maker is not in the seal's certList: the seal cannot be used by it. */
    uint8_t *nosig = NULL;
    size_t nosig_len = 0;
    rc = eseal_sign_data(seal, maker, (const uint8_t *)data, strlen(data), NULL, NULL, &nosig, &nosig_len);
    expect(rc == ESEAL_ERR_SEAL_UNUSABLE && nosig == NULL, "a signer outside the certList is refused (ESEAL_ERR_SEAL_UNUSABLE)");
    expect(strcmp(eseal_error_name(rc), "ESEAL_ERR_SEAL_UNUSABLE") == 0, "eseal_error_name names the code");
    /* The header's version is the library's. */
    char version[32];
    snprintf(version, sizeof version, "%d.%d.%d", ESEAL_VERSION_MAJOR, ESEAL_VERSION_MINOR, ESEAL_VERSION_PATCH);
    expect(strcmp(version, eseal_version()) == 0, "ESEAL_VERSION_* match eseal_version()");

    /* Files for the other languages' tests. */
    expect(write_file(dir, "c.seal", seal_der, seal_len) == 0 && write_file(dir, "c.sig", sig, sig_len) == 0 &&
               write_file(dir, "c.data", data, strlen(data)) == 0 &&
               write_file(dir, "root.pem", root_pem, strlen(root_pem)) == 0,
           "wrote c.seal, c.sig, c.data, root.pem");

    eseal_bytes_free(sig, sig_len);
    eseal_bytes_free(seal_der, seal_len);
    eseal_string_free(info);
    eseal_string_free(key_pem);
    eseal_string_free(cert_pem);
    eseal_string_free(root_pem);
    eseal_verify_options_free(opts);
    eseal_seal_free(again);
    eseal_seal_free(seal);
    eseal_seal_builder_free(b);
    eseal_signer_free(person);
    eseal_signer_free(maker);
    eseal_test_ca_free(ca);
    printf("%d passed, %d failed\n", passed, failures);
    return failures ? 1 : 0;
}
