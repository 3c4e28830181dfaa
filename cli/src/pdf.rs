//! `eseal pdf sign|verify`.

use super::{CliError, CliResult, VerifyArgs};
use clap::{Args, Subcommand, ValueEnum};
use eseal::crypto::time::Time;
use eseal::crypto::{Certificate, Signer, SoftwareSigner, sm2::PrivateKey};
use eseal::pdf::{self, Credential, PadesSigner, Placement, QrCode, SignRequest, Sm2CmsOids};
use eseal::ses::Seal;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum PdfCommand {
    /// Sign a PDF by incremental update: one signature per --stamp (or one cross-page seal).
    Sign(Box<SignArgs>),
    /// Verify every signature of a PDF: exit 0 valid and trusted, 3 intact but not trusted,
    /// 1 a check failed, 2 unusable input (not a PDF, empty, encrypted).
    Verify {
        /// The file; or several files and folders (their *.pdf files), verified on all cores
        /// with a summary table; the exit status is then the worst (1 over 2 over 3 over 0).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        verify: VerifyArgs,
    },
    /// Add a document timestamp (ETSI.RFC3161, an incremental update) from a TSA: the
    /// archive timestamp of PAdES B-LTA, repeated before the previous one's TSA expires.
    Timestamp {
        input: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
        /// The time-stamp authority (RFC 3161 over HTTP).
        #[arg(long, value_name = "URL")]
        tsa: String,
    },
    /// PAdES B-LT: add the validation data of every signature (certificates with their chains,
    /// CRLs, OCSP responses) to the Document Security Store, with a VRI entry each.
    Ltv {
        input: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        data: LtvArgs,
    },
}

/// Validation data given for the DSS.
#[derive(Args, Clone)]
pub struct LtvArgs {
    /// Certificates that complete the chains: intermediates and roots (PEM/DER, repeatable).
    /// The trust anchors (--trust) are used as well.
    #[arg(long = "ltv-cert", value_name = "CERT")]
    certs: Vec<PathBuf>,
    /// Trust anchors whose certificates complete the chains (PEM/DER, repeatable).
    #[arg(long = "trust", value_name = "CERT")]
    trust: Vec<PathBuf>,
    /// A CRL (DER or PEM) to embed (repeatable).
    #[arg(long = "crl", value_name = "FILE")]
    crls: Vec<PathBuf>,
    /// An OCSP response (DER) to embed (repeatable).
    #[arg(long = "ocsp", value_name = "FILE")]
    ocsps: Vec<PathBuf>,
}

impl LtvArgs {
    pub(crate) fn options(&self) -> Result<pdf::LtvOptions, CliError> {
        let mut o = pdf::LtvOptions::default();
        for p in self.certs.iter().chain(&self.trust) {
            o.certs.extend(
                Certificate::parse_all(&read(p)?)
                    .map_err(|e| CliError(format!("{}: {e}", p.display())))?,
            );
        }
        // Read and checked as the verifier's --crl/--ocsp files are (a file that is no CRL
        // or OCSP response is refused).
        let mut r = eseal::revocation::RevocationEvidence::default();
        for p in &self.crls {
            r.add_crl_file(p).map_err(|e| CliError(e.to_string()))?;
        }
        for p in &self.ocsps {
            r.add_ocsp_file(p).map_err(|e| CliError(e.to_string()))?;
        }
        o.revocation.crls = r.crls;
        o.revocation.ocsps = r.ocsp;
        Ok(o)
    }
}

/// PAdES baseline levels (ETSI EN 319 142-1 §6).
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Level {
    /// The signature alone.
    #[value(name = "b-b")]
    BB,
    /// With a signature timestamp (needs --tsa).
    #[value(name = "b-t")]
    BT,
    /// B-T and the validation data in the DSS.
    #[value(name = "b-lt")]
    BLt,
    /// B-LT and a document timestamp over it.
    #[value(name = "b-lta")]
    BLta,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// International PAdES (ETSI.CAdES.detached), ECDSA P-256 or RSA key.
    Pades,
    /// GB/T 38540 SES_Signature with a seal (SM2).
    Ses,
    /// SM2 CMS, PKCS#7 OIDs, adbe.pkcs7.detached.
    Sm2Cms,
    /// SM2 CMS, GM/T 0010 OIDs, adbe.pkcs7.detached.
    Sm2CmsGm,
}

#[derive(Args)]
pub struct SignArgs {
    /// The file to sign; or several files and folders (their *.pdf files), signed on all
    /// cores into the folder given by --output, with a summary table.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The signed file; a folder when several files or a folder are signed.
    #[arg(short, long, required_unless_present = "prepare")]
    output: Option<PathBuf>,
    /// Deferred signing, step 1: write the state to this file and print the digest (base64)
    /// that the holder of --cert signs (UKey, HSM); no --key needed. One signature. The
    /// digest is e = SM3(Z‖M) for an SM2 key; for PAdES with an ECDSA P-256 or RSA key,
    /// SHA-256 of the signed attributes, to be signed as a prehashed digest (`openssl
    /// pkeyutl -sign`, with `-pkeyopt digest:sha256` for RSA).
    #[arg(long, value_name = "STATE", conflicts_with = "finish")]
    prepare: Option<PathBuf>,
    /// Deferred signing, step 2: with the same options as --prepare, embed --signature.
    #[arg(long, value_name = "STATE", requires = "signature")]
    finish: Option<PathBuf>,
    /// The signature of the prepared digest, as a file or base64 text: SM2 or ECDSA as DER or
    /// raw r‖s, RSA PKCS#1 v1.5.
    #[arg(long)]
    signature: Option<String>,
    /// Batch: print the summary as JSON (and no progress line).
    #[arg(long)]
    json: bool,
    #[arg(long, value_enum, default_value = "ses")]
    format: Format,
    /// Signer key (PEM/DER): SM2 for ses/sm2-cms, P-256 or RSA for pades.
    #[arg(long, required_unless_present_any = ["prepare", "finish"])]
    key: Option<PathBuf>,
    /// Signer certificate (PEM; for pades further certificates in the file are the chain).
    #[arg(long)]
    cert: PathBuf,
    /// The seal (.esl, GB/T 38540) for --format ses.
    #[arg(long)]
    seal: Option<PathBuf>,
    /// A time-stamp authority (RFC 3161 over HTTP): a seal's SES_Signature gets a timeStamp
    /// over its signature value (GB/T 38540 §7.1.6), a PAdES signature the
    /// signature-time-stamp attribute (B-T). Not with --prepare/--finish.
    #[arg(long, value_name = "URL", conflicts_with_all = ["prepare", "finish"])]
    tsa: Option<String>,
    /// PAdES level: b-lt adds the validation data (DSS) after signing, b-lta a document
    /// timestamp over it too; both need --tsa (the default b-b, or b-t when --tsa is given).
    #[arg(long, value_enum, conflicts_with_all = ["prepare", "finish"])]
    level: Option<Level>,
    #[command(flatten)]
    ltv: LtvArgs,
    /// Stamp picture (PNG); for ses the seal's own PNG picture by default.
    #[arg(long)]
    picture: Option<PathBuf>,
    /// A visible stamp PAGE,X,Y,WIDTH,HEIGHT in points (repeatable: one signature each).
    #[arg(long = "stamp", value_name = "PAGE,X,Y,W,H")]
    stamps: Vec<String>,
    /// A cross-page seal (骑缝章) WIDTH,HEIGHT on the right edge of every page.
    #[arg(long, value_name = "W,H")]
    cross_page: Option<String>,
    /// An anti-forgery QR picture (PNG) with --qr-at PAGE,X,Y,SIZE (added to the first signature).
    #[arg(long, requires = "qr_at")]
    qr: Option<PathBuf>,
    #[arg(long, value_name = "PAGE,X,Y,SIZE")]
    qr_at: Option<String>,
    /// Certify the document (first signature only): DocMDP P = 1 no changes, 2 form filling, 3 + annotations.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=3))]
    certify: Option<u8>,
    /// Empty signature fields for later signers NAME,PAGE,X,Y,W,H (repeatable; made with the first signature).
    #[arg(long = "empty-field", value_name = "NAME,PAGE,X,Y,W,H")]
    empty_fields: Vec<String>,
    /// Sign into this existing empty signature field instead of placing a new one.
    #[arg(long, conflicts_with_all = ["stamps", "cross_page"])]
    field: Option<String>,
    #[arg(long)]
    subfilter: Option<String>,
    #[arg(long)]
    filter: Option<String>,
    #[arg(long)]
    reason: Option<String>,
    #[arg(long)]
    location: Option<String>,
    /// How to reach the signer (`/ContactInfo`).
    #[arg(long)]
    contact: Option<String>,
    #[command(flatten)]
    place: super::place::PlaceArgs,
}

const PT_PER_MM: f64 = 72.0 / 25.4;

fn numbers(s: &str, n: usize, what: &str) -> Result<Vec<f64>, CliError> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            CliError(format!(
                "{what}: expected {n} comma-separated numbers, got {s}"
            ))
        })?;
    if v.len() != n {
        return Err(CliError(format!(
            "{what}: expected {n} numbers, got {}",
            v.len()
        )));
    }
    Ok(v)
}

fn read(p: &PathBuf) -> Result<Vec<u8>, CliError> {
    std::fs::read(p).map_err(|e| CliError(format!("{}: {e}", p.display())))
}

pub fn run(c: PdfCommand) -> CliResult {
    match c {
        PdfCommand::Verify { files, verify } => {
            verify.run_files(&files, "pdf", &|f, opts| Ok(pdf::verify_file(f, opts)?))
        }
        PdfCommand::Sign(a) => sign(*a),
        PdfCommand::Timestamp { input, output, tsa } => {
            pdf::timestamp(&input, &output, &eseal::tsp::HttpTsa { url: tsa })?;
            println!(
                "document timestamp added: {} → {}",
                input.display(),
                output.display()
            );
            Ok(0)
        }
        PdfCommand::Ltv {
            input,
            output,
            data,
        } => {
            let s = pdf::add_validation_data(&input, &output, &data.options()?)?;
            println!(
                "validation data added for {} signature(s): {} certificate(s), {} CRL(s), {} OCSP response(s) → {}",
                s.signatures,
                s.certs,
                s.crls,
                s.ocsps,
                output.display()
            );
            Ok(0)
        }
    }
}

fn sign(a: SignArgs) -> CliResult {
    let deferred = a.prepare.is_some() || a.finish.is_some();
    if super::batch::is_batch(&a.inputs) {
        if deferred {
            return Err(CliError(
                "deferred signing (--prepare/--finish) takes one file".into(),
            ));
        }
        let out = a.output.clone().unwrap_or_default();
        let files = super::batch::expand(&a.inputs, "pdf")?;
        let outcomes = super::batch::run(&files, &out, a.json, &|i, o| {
            sign_one(&a, i, o).map(|n| format!("{n} signature(s)"))
        })?;
        return Ok(super::batch::summary(&outcomes, a.json));
    }
    let out = a.output.clone().unwrap_or_default();
    let n = sign_one(&a, &a.inputs[0], &out)?;
    if a.prepare.is_none() {
        println!(
            "signed {} → {} ({n} signature(s))",
            a.inputs[0].display(),
            out.display(),
        );
    }
    Ok(0)
}

fn sign_one(a: &SignArgs, input: &Path, output: &Path) -> Result<usize, CliError> {
    let deferred = a.prepare.is_some() || a.finish.is_some();
    let key = match &a.key {
        Some(k) if !deferred => read(k)?,
        _ => Vec::new(),
    };
    let cert = read(&a.cert)?;
    let pades;
    let sm2_signer: Box<dyn Signer>;
    let seal;
    let mut placements: Vec<Placement> = Vec::new();
    for s in &a.stamps {
        let v = numbers(s, 5, "--stamp")?;
        placements.push(Placement::Stamp {
            page: v[0] as u32,
            x: v[1],
            y: v[2],
            width: v[3],
            height: v[4],
        });
    }
    if let Some(cp) = &a.cross_page {
        let v = numbers(cp, 2, "--cross-page")?;
        placements.push(Placement::CrossPageAt {
            layout: a.place.cross_page(eseal::placement::PageSet::All)?,
            width: v[0],
            height: v[1],
        });
    } else if a.place.has_cross_page_layout() {
        return Err(CliError(
            "--cross-page-* options need --cross-page W,H".into(),
        ));
    }
    let keyword = a.place.keyword()?;
    if let Some(f) = &a.field {
        placements.push(Placement::ExistingField(f.clone()));
    }
    if placements.is_empty() {
        placements.push(Placement::Invisible);
    }
    let mut empty_fields = Vec::new();
    for e in &a.empty_fields {
        let (name, rest) = e.split_once(',').ok_or_else(|| {
            CliError(format!(
                "--empty-field: expected NAME,PAGE,X,Y,W,H, got {e}"
            ))
        })?;
        let v = numbers(rest, 5, "--empty-field")?;
        empty_fields.push(pdf::EmptyField {
            name: name.to_owned(),
            page: v[0] as u32,
            x: v[1],
            y: v[2],
            width: v[3],
            height: v[4],
        });
    }
    let picture = a.picture.as_ref().map(read).transpose()?;
    let cred: Credential<'_> = match a.format {
        Format::Pades => {
            pades = if deferred {
                PadesSigner::external(&cert)?
            } else {
                PadesSigner::from_pem(&key, &cert)?
            };
            Credential::Pades(&pades)
        }
        f => {
            sm2_signer = if deferred {
                Box::new(eseal::deferred::External(Certificate::parse(&cert)?))
            } else {
                let k = PrivateKey::parse(&key)?;
                Box::new(SoftwareSigner::new(k, Certificate::parse(&cert)?)?)
            };
            match f {
                Format::Ses => {
                    let path = a
                        .seal
                        .as_ref()
                        .ok_or_else(|| CliError("--format ses needs --seal".into()))?;
                    seal = Seal::from_der(&read(path)?)?;
                    Credential::Seal {
                        seal: &seal,
                        signer: sm2_signer.as_ref(),
                    }
                }
                Format::Sm2CmsGm => Credential::Sm2Cms {
                    signer: sm2_signer.as_ref(),
                    oids: Sm2CmsOids::GmT0010,
                },
                _ => Credential::Sm2Cms {
                    signer: sm2_signer.as_ref(),
                    oids: Sm2CmsOids::Pkcs7,
                },
            }
        }
    };
    if let Some((kw, size)) = &keyword {
        let (w, h) = match (size, &cred) {
            (Some(s), _) => *s,
            (None, Credential::Seal { seal, .. }) => {
                (seal.picture.width_mm as f64, seal.picture.height_mm as f64)
            }
            (None, _) => (40.0, 40.0),
        };
        let found = pdf::keyword_placements_file(input, kw, w * PT_PER_MM, h * PT_PER_MM)?;
        placements.retain(|p| *p != Placement::Invisible);
        placements.extend(found);
    }
    let pending = match &a.finish {
        Some(state) => Some(eseal::deferred::Pending::from_json(
            &String::from_utf8_lossy(&read(state)?),
        )?),
        None => None,
    };
    // Finishing replays the prepared signing: same time.
    let time = pending.as_ref().map_or_else(Time::now, |p| p.time);
    if a.tsa.is_some() && matches!(cred, Credential::Sm2Cms { .. }) {
        return Err(CliError(
            "--tsa stamps GB/T 38540 seals (--format ses) and PAdES (B-T), not SM2 CMS".into(),
        ));
    }
    if a.level.is_some_and(|l| l != Level::BB) && a.tsa.is_none() {
        return Err(CliError(
            "--level b-t, b-lt and b-lta need --tsa (the signature timestamp, and for b-lta the document timestamp)".into(),
        ));
    }
    if a.level.is_some_and(|l| l != Level::BB) && !matches!(cred, Credential::Pades(_)) {
        return Err(CliError(
            "--level is a PAdES level: sign with --format pades".into(),
        ));
    }
    if a.level == Some(Level::BB) && a.tsa.is_some() {
        return Err(CliError("--level b-b signs without --tsa".into()));
    }
    let tsa = a.tsa.clone().map(|url| eseal::tsp::HttpTsa { url });
    let mut requests = Vec::new();
    for (i, p) in placements.into_iter().enumerate() {
        let credential = match &cred {
            Credential::Pades(p) => Credential::Pades(p),
            Credential::DocumentTimestamp(t) => Credential::DocumentTimestamp(*t),
            Credential::Seal { seal, signer } => Credential::Seal {
                seal,
                signer: *signer,
            },
            Credential::Sm2Cms { signer, oids } => Credential::Sm2Cms {
                signer: *signer,
                oids: *oids,
            },
        };
        let mut r = SignRequest::new(credential, p, time);
        r.time_stamper = tsa.as_ref().map(|t| t as &dyn eseal::tsp::TimeStamper);
        r.picture = picture.clone();
        r.subfilter = a.subfilter.clone();
        r.filter = a.filter.clone();
        r.reason = a.reason.clone();
        r.location = a.location.clone();
        r.contact_info = a.contact.clone();
        if i == 0 {
            r.certify = a.certify.and_then(pdf::DocMdp::from_level);
            r.empty_fields = std::mem::take(&mut empty_fields);
        }
        if i == 0
            && let (Some(q), Some(at)) = (&a.qr, &a.qr_at)
        {
            let v = numbers(at, 4, "--qr-at")?;
            r.qr = Some(QrCode {
                png: read(q)?,
                page: v[0] as u32,
                x: v[1],
                y: v[2],
                size: v[3],
            });
        }
        requests.push(r);
    }
    if deferred {
        let [req] = &requests[..] else {
            return Err(CliError(format!(
                "deferred signing makes one signature at a time; these options make {}",
                requests.len()
            )));
        };
        if let Some(state) = &a.prepare {
            let p = pdf::prepare_file(input, req)?;
            super::write_atomic(state, p.to_json().as_bytes())?;
            use base64::Engine;
            println!(
                "{}",
                base64::engine::general_purpose::STANDARD.encode(p.digest)
            );
            return Ok(1);
        }
        let (Some(p), Some(sig)) = (&pending, &a.signature) else {
            return Err(CliError("--finish needs --signature".into()));
        };
        let sig =
            eseal::deferred::SignatureValue::parse(p.scheme()?, &super::signature_bytes(sig)?)?;
        pdf::finish_file(input, output, p, sig, req)?;
        return Ok(1);
    }
    pdf::sign_file(input, output, &requests)?;
    // B-LT and B-LTA: the DSS, then the document timestamp, each an update over the file
    // just written (ETSI EN 319 142-1 §6.3, §6.4).
    if matches!(a.level, Some(Level::BLt | Level::BLta)) {
        pdf::add_validation_data(output, output, &a.ltv.options()?)?;
    }
    if let (Some(Level::BLta), Some(t)) = (a.level, &tsa) {
        pdf::timestamp(output, output, t)?;
    }
    Ok(requests.len())
}
