#!/usr/bin/env python3
"""The benchmark table of benches/compare.sh.

  results.py primitives TARGET_DIR OPENSSL_FILE   rows for SM3 / SM2 from criterion + openssl
  results.py render ROWS_TSV [--meta FILE] [--out RESULTS.md] [--readme README.md]
                    [--block primitives|documents]

RESULTS.md holds one block per kind of row, each from its own run (its time and load above
its table); `render` replaces its block and leaves the other, and the README's benchmark
section shows them all.

Rows are tab-separated, one per line (see benches/README.md, "Adding rows"):

  operation  unit  better(higher|lower)  eseal  peer-name  peer  target  eseal-MB  peer-MB  note

`target` is the ratio eseal must reach (e.g. 3 for "3× the peer"), or "-". The ratio is
eseal/peer when higher is better and peer/eseal when lower is better, so > 1 always means
eseal is ahead. Memory columns are peak RSS in MB or "-". `note` is "-" or a short text shown
under the table (it should say why, when a target is not met).
"""

import json
import os
import sys

COLUMNS = ["operation", "unit", "better", "eseal", "peer_name", "peer", "target",
           "eseal_mb", "peer_mb", "note"]


def criterion_best_ns(target, *path):
    """The best sample of a criterion benchmark (ns per iteration), from its last run: on a
    shared machine the fastest sample is the one least disturbed by other processes."""
    with open(os.path.join(target, "criterion", *path, "new", "sample.json")) as f:
        d = json.load(f)
    return min(t / i for t, i in zip(d["times"], d["iters"]))


def openssl_best(path):
    """The best figure of each OpenSSL measurement over its runs (compare.sh runs each several
    times, before and after criterion)."""
    best = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 2:
                continue
            name, value = parts
            value = float(value.rstrip("k")) * (1000 if value.endswith("k") else 1)
            best[name] = max(best.get(name, 0.0), value)
    return best


def primitives(target, openssl_file):
    ossl = openssl_best(openssl_file)
    ver = os.popen("openssl version").read().split()[1]
    rows = []
    sm3_note = ("not met: eseal hashes with the sm3 crate, about OpenSSL's speed; one SM3 "
                "stream is bound by its rounds' dependency chain and nothing tried in safe "
                "Rust gains 1.3× (benches/README.md#sm3)")
    for name, size, ossl_key in [("1 KiB", 1024, "sm3-1KiB"), ("1 MiB", 1 << 20, "sm3-1MiB"),
                                 ("30 MiB", 30 << 20, "sm3-1MiB")]:
        mbs = size / criterion_best_ns(target, "sm3", name.replace(" ", "")) * 1e3
        peer = ossl[ossl_key] / 1e6
        big = size >= 1 << 20
        rows.append([f"SM3 {name}", "MB/s", "higher", f"{mbs:.1f}",
                     f"OpenSSL {ver} speed -evp sm3 -bytes {1024 if size == 1024 else 1 << 20}",
                     f"{peer:.1f}", "1.3" if big else "-", "-", "-",
                     sm3_note if big else "-"])
    for op, target_ratio in [("sign", "3"), ("verify", "1.5")]:
        ps = 1e9 / criterion_best_ns(target, "sm2", op)
        rows.append([f"SM2 {op} (digest e)", "ops/s", "higher", f"{ps:.0f}",
                     f"OpenSSL {ver} speed sm2", f"{ossl['sm2-' + op]:.0f}", target_ratio,
                     "-", "-", "-"])
    for op in ["sign", "verify"]:
        ps = 1e9 / criterion_best_ns(target, "sm2", op)
        crate = 1e9 / criterion_best_ns(target, "sm2-crate", op)
        rows.append([f"SM2 {op} (digest e)", "ops/s", "higher", f"{ps:.0f}",
                     "RustCrypto sm2 0.14 (keys built once)", f"{crate:.0f}", "-", "-", "-",
                     "-"])
    ps = 1e9 / criterion_best_ns(target, "ses_verify_signature")
    rows.append(["SES_Signature verify (parse, 2 SM2, checks)", "ops/s", "higher", f"{ps:.0f}",
                 "½ × OpenSSL sm2 verify/s (two verifications)",
                 f"{ossl['sm2-verify'] / 2:.0f}", "-", "-", "-", "-"])
    for r in rows:
        print("\t".join(r))


def ratio(row):
    e, p = float(row["eseal"]), float(row["peer"])
    if e <= 0 or p <= 0:
        return None
    return e / p if row["better"] == "higher" else p / e


def fmt_num(v):
    x = float(v)
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def render(rows_file, meta, out, readme, block):
    rows = []
    with open(rows_file) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != len(COLUMNS):
                sys.exit(f"results.py: a row needs {len(COLUMNS)} tab-separated fields: {line!r}")
            rows.append(dict(zip(COLUMNS, parts)))
    table = []
    notes = []
    for r in rows:
        q = ratio(r)
        t = None if r["target"] == "-" else float(r["target"])
        met = "-" if t is None or q is None else ("yes" if q >= t else "**no**")
        mem = "-" if r["eseal_mb"] == "-" else f"{r['eseal_mb']} / {r['peer_mb']}"
        note = ""
        if r["note"] != "-":
            if r["note"] not in notes:
                notes.append(r["note"])
            note = f" [{notes.index(r['note']) + 1}]"
        table.append([r["operation"] + note, r["unit"], fmt_num(r["eseal"]), r["peer_name"],
                      fmt_num(r["peer"]), "-" if q is None else f"{q:.2f}×",
                      "-" if t is None else f"≥ {t:g}×", met, mem])
    head = ["operation", "unit", "eseal", "peer", "peer's figure", "ratio", "target", "met",
            "peak MB (eseal / peer)"]

    # terminal
    widths = [max(len(str(x)) for x in col) for col in zip(head, *table)]
    for line in [head] + table:
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths)))
    for i, n in enumerate(notes, 1):
        print(f"[{i}] {n}")

    md_table = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    md_table += ["| " + " | ".join(str(x) for x in line) + " |" for line in table]
    md_notes = [f"{i}. {n}" for i, n in enumerate(notes, 1)]
    meta_lines = []
    if meta:
        with open(meta) as f:
            meta_lines = [f"- {line.rstrip()}" for line in f if line.strip()]
    body = "\n".join([f"## {TITLES[block]}", ""] + meta_lines + [""] + md_table +
                     ([""] + ["Notes:", ""] + md_notes if md_notes else []))
    if out:
        text = open(out).read() if os.path.exists(out) else ""
        text = set_block(text, block, body, HEADER)
        with open(out, "w") as f:
            f.write(text)
    if readme and out:
        # The README shows every block of RESULTS.md, as they are now.
        begin, end = "<!-- benchmark table: begin -->", "<!-- benchmark table: end -->"
        with open(readme) as f:
            text = f.read()
        if begin in text and end in text:
            results = open(out).read()
            shown = "\n\n".join(b for b in (get_block(results, k) for k in TITLES) if b)
            shown = shown.replace("\n## ", "\n### ").replace("## ", "### ", 1)
            text = (text[:text.index(begin)] + begin + "\n\n" + shown + "\n\n" +
                    text[text.index(end):])
            with open(readme, "w") as f:
                f.write(text)


HEADER = ("# Benchmark results\n\nWritten by `benches/compare.sh` (method and how to add rows: "
          "`benches/README.md`). Ratio > 1 means eseal is ahead of the peer. Each block is one "
          "run: eseal and its peers measured together, the run's time and load average above "
          "its table.\n")
TITLES = {"primitives": "Primitives (SM3, SM2)",
          "documents": "Documents (PDF, OFD, batch)"}


def markers(block):
    return f"<!-- {block}: begin -->", f"<!-- {block}: end -->"


def get_block(text, block):
    b, e = markers(block)
    if b in text and e in text:
        return text[text.index(b) + len(b):text.index(e)].strip()
    return ""


def set_block(text, block, body, header):
    """`text` (a RESULTS.md) with `block` replaced by `body`, or added in TITLES' order."""
    blocks = {k: get_block(text, k) for k in TITLES}
    blocks[block] = body
    parts = [header]
    for k in TITLES:
        if blocks[k]:
            b, e = markers(k)
            parts.append(f"{b}\n{blocks[k]}\n{e}\n")
    return "\n".join(parts)


def main(argv):
    if len(argv) >= 4 and argv[1] == "primitives":
        primitives(argv[2], argv[3])
    elif len(argv) >= 3 and argv[1] == "render":
        opts = dict(zip(argv[3::2], argv[4::2]))
        render(argv[2], opts.get("--meta"), opts.get("--out"), opts.get("--readme"),
               opts.get("--block", "primitives"))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
