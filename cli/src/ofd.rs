//! `eseal ofd sign|verify|inspect`.

use super::{CliError, CliResult, VerifyArgs};
use clap::{Args, Subcommand};
use eseal::crypto::time::Time;
use eseal::crypto::{Certificate, Signer, SoftwareSigner, sm2::PrivateKey};
use eseal::ofd::{self, Package, Placement, QrCode, SignKind, SignRequest};
use eseal::ses::Seal;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum OfdCommand {
    /// Sign an OFD with an electronic seal (Type=Seal) or a plain signature (Type=Sign).
    Sign(Box<SignArgs>),
    /// Verify every signature of an OFD: exit 0 valid and trusted, 3 intact but not trusted,
    /// 1 a check failed, 2 unusable input. `--cert` gives the signer certificate of Type=Sign
    /// values that hold none (a bare SM2 signature).
    Verify {
        /// The file; or several files and folders (their *.ofd files), verified on all cores
        /// with a summary table; the exit status is then the worst (1 over 2 over 3 over 0).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        verify: VerifyArgs,
    },
    /// Long-term evidence: an Evidence.xml beside each signature's Signature.xml with the
    /// certificates (with their chains), CRLs and OCSP responses, and with --tsa an archive
    /// time stamp over the signature and that evidence (docs/ofd-verification.md).
    Ltv {
        input: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        data: super::pdf::LtvArgs,
        /// A time-stamp authority (RFC 3161 over HTTP) for the archive time stamp (SM3).
        #[arg(long, value_name = "URL")]
        tsa: Option<String>,
    },
    /// Show documents, pages and signatures of an OFD (no verification).
    Inspect {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct SignArgs {
    /// The file to sign; or several files and folders (their *.ofd files), signed on all
    /// cores into the folder given by --output, with a summary table.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The signed file; a folder when several files or a folder are signed.
    #[arg(short, long, required_unless_present = "prepare")]
    output: Option<PathBuf>,
    /// Deferred signing, step 1: write the state to this file and print the digest e
    /// (base64) that the holder of --cert signs (UKey, HSM); no --key needed.
    #[arg(
        long,
        value_name = "STATE",
        conflicts_with = "finish",
        requires = "cert"
    )]
    prepare: Option<PathBuf>,
    /// Deferred signing, step 2: with the same options as --prepare, embed --signature.
    #[arg(long, value_name = "STATE", requires = "signature", requires = "cert")]
    finish: Option<PathBuf>,
    /// The SM2 signature of the prepared digest: DER or raw r‖s, as a file or base64 text.
    #[arg(long)]
    signature: Option<String>,
    /// Batch: print the summary as JSON (and no progress line).
    #[arg(long)]
    json: bool,
    /// The seal (SESeal DER, .esl) for an electronic seal signature.
    #[arg(long)]
    seal: Option<PathBuf>,
    /// Make a plain digital signature (Type=Sign, GB/T 35275 SignedData) instead of a seal.
    #[arg(long, conflicts_with = "seal")]
    plain: bool,
    /// Signer key and certificate, PEM or DER.
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    #[arg(long)]
    cert: Option<PathBuf>,
    /// Sign with the deterministic test CA's personal certificate (tests and demos only).
    #[arg(long, conflicts_with_all = ["key", "cert"])]
    test_ca: Option<String>,
    /// A stamp PAGE,X,Y[,W,H] in mm from the page's top-left corner (pages from 1; size
    /// defaults to the seal picture's). Repeatable.
    #[arg(long = "stamp", value_name = "PAGE,X,Y[,W,H]")]
    stamps: Vec<String>,
    /// A cross-page seal (骑缝章) over all pages, or the listed ones (e.g. `1,2,3`).
    #[arg(long, value_name = "PAGES", num_args = 0..=1, default_missing_value = "all")]
    cross_page: Option<String>,
    /// Vertical position (mm) of the cross-page seal; centred by default.
    #[arg(long)]
    cross_page_y: Option<f64>,
    /// Size W,H (mm) of the cross-page seal; the seal picture's by default.
    #[arg(long, value_name = "W,H")]
    cross_page_size: Option<String>,
    /// An anti-forgery QR code image (PNG) drawn into the page before signing.
    #[arg(long, requires = "qr_at")]
    qr: Option<PathBuf>,
    /// Where the QR code goes: PAGE,X,Y,SIZE (mm).
    #[arg(long, value_name = "PAGE,X,Y,SIZE")]
    qr_at: Option<String>,
    /// Protect Signatures.xml too: no further signature is then possible.
    #[arg(long)]
    lock: bool,
    /// Signing time (default now).
    #[arg(long)]
    time: Option<String>,
    /// A time-stamp authority (RFC 3161 over HTTP): the seal's SES_Signature gets a
    /// timeStamp over its signature value (GB/T 38540 §7.1.6). Not with --prepare/--finish.
    #[arg(long, value_name = "URL", conflicts_with_all = ["prepare", "finish"])]
    tsa: Option<String>,
    #[command(flatten)]
    place: super::place::PlaceArgs,
}

pub fn run(c: OfdCommand) -> CliResult {
    match c {
        OfdCommand::Sign(a) => sign(*a),
        OfdCommand::Verify { files, verify } => {
            verify.run_files(&files, "ofd", &|f, opts| Ok(ofd::verify_file(f, opts)?))
        }
        OfdCommand::Ltv {
            input,
            output,
            data,
            tsa,
        } => {
            let o = data.options()?;
            let http = tsa.map(|url| eseal::tsp::HttpTsa { url });
            let n = ofd::evidence::add_evidence(
                &input,
                &output,
                &ofd::evidence::EvidenceOptions {
                    certs: o.certs,
                    revocation: o.revocation,
                    tsa: http.as_ref().map(|t| t as &dyn eseal::tsp::TimeStamper),
                },
            )?;
            println!("evidence added for {n} signature(s) → {}", output.display());
            Ok(0)
        }
        OfdCommand::Inspect { file, json } => {
            let pkg = Package::open(&file)?;
            let ins = ofd::inspect(&pkg)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&ins)?);
            } else {
                println!("{}: {} files", file.display(), ins.files);
                for d in &ins.documents {
                    println!("document {} ({} pages)", d.doc_root, d.pages.len());
                    for p in &d.pages {
                        let b = p.physical_box_mm;
                        println!(
                            "  page {} (ID {}) {} — {}×{} mm",
                            p.index, p.id, p.content, b[2], b[3]
                        );
                    }
                    if let Some(s) = &d.signatures_xml {
                        println!("  signatures: {s}");
                    }
                    for s in &d.signatures {
                        println!(
                            "  signature {} [{}] {} — provider {}, time {}, {} references ({}){}",
                            s.id,
                            s.kind,
                            s.base_loc,
                            s.provider.as_deref().unwrap_or("?"),
                            s.date_time.as_deref().unwrap_or("-"),
                            s.references,
                            s.check_method.as_deref().unwrap_or("no CheckMethod"),
                            s.seal_name
                                .as_deref()
                                .map(|n| format!(", seal {n}"))
                                .unwrap_or_default()
                        );
                        for a in &s.stamp_annots {
                            println!("    stamp {a}");
                        }
                        if let Some(e) = &s.error {
                            println!("    error: {e}");
                        }
                    }
                }
            }
            Ok(0)
        }
    }
}

fn nums(s: &str, what: &str, n: &[usize]) -> Result<Vec<f64>, CliError> {
    let v: Vec<f64> = s
        .split(',')
        .map(|t| t.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| CliError(format!("{what} {s:?}: numbers separated by ',' expected")))?;
    if !n.contains(&v.len()) {
        return Err(CliError(format!(
            "{what} {s:?}: {} numbers expected",
            n.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(" or ")
        )));
    }
    Ok(v)
}

fn page_no(v: f64) -> Result<usize, CliError> {
    if v < 1.0 || v.fract() != 0.0 {
        return Err(CliError(format!("page {v} is not a page number (from 1)")));
    }
    Ok(v as usize)
}

fn sign(a: SignArgs) -> CliResult {
    let out = a.output.clone().unwrap_or_default();
    if super::batch::is_batch(&a.inputs) {
        if a.prepare.is_some() || a.finish.is_some() {
            return Err(CliError(
                "deferred signing (--prepare/--finish) takes one file".into(),
            ));
        }
        let files = super::batch::expand(&a.inputs, "ofd")?;
        let outcomes = super::batch::run(&files, &out, a.json, &|i, o| {
            sign_one(&a, i, o).map(|n| format!("{n} stamp(s)"))
        })?;
        return Ok(super::batch::summary(&outcomes, a.json));
    }
    sign_one(&a, &a.inputs[0], &out)?;
    if a.prepare.is_none() {
        eprintln!("wrote {}", out.display());
    }
    Ok(0)
}

fn sign_one(a: &SignArgs, input: &Path, output: &Path) -> Result<usize, CliError> {
    let deferred = a.prepare.is_some() || a.finish.is_some();
    let signer: Box<dyn Signer> = match (&a.test_ca, &a.key, &a.cert) {
        (None, _, Some(c)) if deferred => Box::new(eseal::deferred::External(
            Certificate::parse(&super::seal::read(c)?)
                .map_err(|e| CliError(format!("{}: {e}", c.display())))?,
        )),
        (Some(seed), _, _) => Box::new(eseal::crypto::testca::TestCa::new(seed)?.person.signer()),
        (None, Some(k), Some(c)) => {
            let key = PrivateKey::parse(&super::seal::read(k)?)
                .map_err(|e| CliError(format!("{}: {e}", k.display())))?;
            let cert = Certificate::parse(&super::seal::read(c)?)
                .map_err(|e| CliError(format!("{}: {e}", c.display())))?;
            Box::new(SoftwareSigner::new(key, cert)?)
        }
        _ => return Err(CliError("give --key and --cert, or --test-ca SEED".into())),
    };
    let seal = match &a.seal {
        Some(p) => Some(
            Seal::from_der(&super::seal::read(p)?)
                .map_err(|e| CliError(format!("{}: {e}", p.display())))?,
        ),
        None if a.plain => None,
        None => {
            return Err(CliError(
                "give --seal SEAL.esl, or --plain for a plain digital signature".into(),
            ));
        }
    };
    let pending = match &a.finish {
        Some(state) => Some(eseal::deferred::Pending::from_json(
            &String::from_utf8_lossy(&super::seal::read(state)?),
        )?),
        None => None,
    };
    let time = match &a.time {
        // Finishing replays the prepared signing: same time.
        _ if pending.is_some() => pending.as_ref().map_or_else(Time::now, |p| p.time),
        Some(t) => {
            Time::parse_lenient(t)
                .map_err(|e| CliError(e.to_string()))?
                .0
        }
        None => Time::now(),
    };
    let kind = match &seal {
        Some(s) => SignKind::Seal(s),
        None => SignKind::Sign,
    };
    let tsa = a.tsa.clone().map(|url| eseal::tsp::HttpTsa { url });
    let mut req = SignRequest::new(kind, time);
    req.lock = a.lock;
    req.time_stamper = tsa.as_ref().map(|t| t as &dyn eseal::tsp::TimeStamper);
    for s in &a.stamps {
        let v = nums(s, "--stamp", &[3, 5])?;
        req.placements.push(Placement::Stamp {
            page: page_no(v[0])?,
            x_mm: v[1],
            y_mm: v[2],
            width_mm: v.get(3).copied(),
            height_mm: v.get(4).copied(),
        });
    }
    if let Some(p) = &a.cross_page {
        let size = a
            .cross_page_size
            .as_deref()
            .map(|s| nums(s, "--cross-page-size", &[2]))
            .transpose()?;
        let mut layout = a.place.cross_page(eseal::placement::PageSet::parse(p)?)?;
        layout.along_mm = layout.along_mm.or(a.cross_page_y);
        req.placements.push(Placement::CrossPageAt {
            layout,
            width_mm: size.as_ref().map(|v| v[0]),
            height_mm: size.as_ref().map(|v| v[1]),
        });
    } else if a.place.has_cross_page_layout() {
        return Err(CliError("--cross-page-* options need --cross-page".into()));
    }
    if let Some((kw, size)) = a.place.keyword()? {
        let (w, h) = match (size, &seal) {
            (Some(s), _) => s,
            (None, Some(s)) => (s.picture.width_mm as f64, s.picture.height_mm as f64),
            (None, None) => (40.0, 40.0),
        };
        let pkg = Package::open(input)?;
        let found = ofd::keyword_placements(&pkg, &kw, w, h)?;
        req.placements.extend(found);
    }
    if let Some(q) = &a.qr {
        let at = a
            .qr_at
            .as_deref()
            .ok_or_else(|| CliError("--qr needs --qr-at PAGE,X,Y,SIZE".into()))?;
        let v = nums(at, "--qr-at", &[4])?;
        req.qr = Some(QrCode {
            png: super::seal::read(q)?,
            page: page_no(v[0])?,
            x_mm: v[1],
            y_mm: v[2],
            size_mm: v[3],
        });
    }
    if deferred {
        let source = super::seal::read(input)?;
        let cert = signer.certificate();
        if let Some(state) = &a.prepare {
            let p = ofd::prepare(&source, cert, &req)?;
            super::write_atomic(state, p.to_json().as_bytes())?;
            use base64::Engine;
            println!(
                "{}",
                base64::engine::general_purpose::STANDARD.encode(p.digest)
            );
            return Ok(req.placements.len());
        }
        let (Some(p), Some(sig)) = (&pending, &a.signature) else {
            return Err(CliError("--finish needs --signature".into()));
        };
        let signed = ofd::finish(&source, p, &super::signature_arg(sig)?, &req)?;
        super::write_atomic(output, &signed)?;
        return Ok(req.placements.len());
    }
    ofd::sign_file(input, output, signer.as_ref(), &req)?;
    Ok(req.placements.len())
}
