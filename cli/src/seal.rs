//! `eseal seal create|inspect|verify` and `eseal ca init`.

use super::{CliError, CliResult, VerifyArgs};
use clap::{Args, Subcommand};
use eseal::crypto::sm2::PrivateKey;
use eseal::crypto::time::Time;
use eseal::crypto::{Certificate, SoftwareSigner};
use eseal::report::{DocumentFormat, VerificationReport};
use eseal::ses::{self, CertList, DataCheck, Seal, SealBuilder, SesSignature};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum SealCommand {
    /// Make a GB/T 38540 (v4) seal: the maker signs the seal info.
    Create(CreateArgs),
    /// Show what a seal or an SES_Signature file holds.
    Inspect {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Verify a seal (maker signature, validity now, certificates) or an SES_Signature: exit 0
    /// valid and trusted, 3 intact but not trusted, 1 a check failed (a seal outside its
    /// validity period: "not valid now"), 2 unusable input.
    Verify {
        file: PathBuf,
        /// The signed data, for an SES_Signature file (its dataHash is checked against it).
        #[arg(long)]
        data: Option<PathBuf>,
        #[command(flatten)]
        verify: VerifyArgs,
    },
}

#[derive(Args)]
pub struct CreateArgs {
    /// Seal name (印章名称), e.g. 上海市测试局.
    #[arg(long)]
    name: String,
    /// Unique seal code (esID, ASCII).
    #[arg(long)]
    es_id: String,
    /// Seal type (1 unit seal, 2 personal seal; GB/T 38540 leaves it to the business).
    #[arg(long, default_value_t = 1)]
    seal_type: i64,
    /// Seal picture (PNG, GIF, JPEG, BMP, SVG).
    #[arg(long)]
    picture: PathBuf,
    #[arg(long, default_value_t = 42)]
    width_mm: u32,
    #[arg(long, default_value_t = 42)]
    height_mm: u32,
    /// Maker (制章者) key and certificate, PEM or DER.
    #[arg(long, requires = "maker_cert")]
    maker_key: Option<PathBuf>,
    #[arg(long)]
    maker_cert: Option<PathBuf>,
    /// Certificates allowed to sign with the seal (certList), PEM or DER.
    #[arg(long = "signer-cert")]
    signer_certs: Vec<PathBuf>,
    /// Use the deterministic test CA with this seed: the unit certificate makes the seal and
    /// the personal certificate is its signer (tests and demos only).
    #[arg(long, conflicts_with_all = ["maker_key", "maker_cert"])]
    test_ca: Option<String>,
    /// Validity start and end (RFC 3339 / `YYYY-MM-DD HH:MM:SS` Beijing time); default now .. +3 years.
    #[arg(long)]
    valid_from: Option<String>,
    #[arg(long)]
    valid_to: Option<String>,
    #[arg(long, default_value = "eseal")]
    vendor_id: String,
    #[arg(long, short)]
    out: PathBuf,
}

pub fn run(c: SealCommand) -> CliResult {
    match c {
        SealCommand::Create(a) => create(a),
        SealCommand::Inspect { file, json } => inspect(&file, json),
        SealCommand::Verify { file, data, verify } => verify_file(&file, data.as_deref(), &verify),
    }
}

pub fn read(path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError(format!("{}: {e}", path.display())))
}

fn parse_time(s: &str) -> Result<Time, CliError> {
    Time::parse_lenient(s)
        .map(|(t, _)| t)
        .map_err(|e| CliError(e.to_string()))
}

fn create(a: CreateArgs) -> CliResult {
    let picture = read(&a.picture)?;
    let (maker, mut signer_certs): (SoftwareSigner, Vec<Certificate>) =
        match (&a.test_ca, &a.maker_key, &a.maker_cert) {
            (Some(seed), _, _) => {
                let ca = eseal::crypto::testca::TestCa::new(seed)?;
                (ca.unit.signer(), vec![ca.person.cert.clone()])
            }
            (None, Some(k), Some(c)) => {
                let key = PrivateKey::parse(&read(k)?)
                    .map_err(|e| CliError(format!("{}: {e}", k.display())))?;
                let cert = Certificate::parse(&read(c)?)
                    .map_err(|e| CliError(format!("{}: {e}", c.display())))?;
                (SoftwareSigner::new(key, cert)?, Vec::new())
            }
            _ => {
                return Err(CliError(
                    "give --maker-key and --maker-cert, or --test-ca SEED".into(),
                ));
            }
        };
    for p in &a.signer_certs {
        signer_certs.push(
            Certificate::parse(&read(p)?).map_err(|e| CliError(format!("{}: {e}", p.display())))?,
        );
    }
    let now = Time::now();
    let start = a
        .valid_from
        .as_deref()
        .map(parse_time)
        .transpose()?
        .unwrap_or(now);
    let end = a
        .valid_to
        .as_deref()
        .map(parse_time)
        .transpose()?
        .unwrap_or(start.add_days(3 * 365));
    let mut b = SealBuilder::new(&a.name, &a.es_id)
        .seal_type(a.seal_type)
        .vendor_id(&a.vendor_id)
        .picture("", picture, a.width_mm, a.height_mm)
        .created(now)
        .valid(start, end);
    for c in &signer_certs {
        b = b.signer_cert(c);
    }
    let seal = b.build(&maker)?;
    super::write_atomic(&a.out, seal.der())?;
    eprintln!(
        "wrote {} ({} bytes): seal {} \"{}\"",
        a.out.display(),
        seal.der().len(),
        seal.es_id,
        seal.name
    );
    Ok(0)
}

fn cert_line(der: &[u8]) -> String {
    match Certificate::from_der(der) {
        Ok(c) => format!(
            "{} (serial {}, {} .. {})",
            c.subject_string(),
            c.serial_hex(),
            c.not_before().to_iso(),
            c.not_after().to_iso()
        ),
        Err(e) => format!("unreadable certificate: {e}"),
    }
}

fn seal_json(s: &Seal) -> serde_json::Value {
    let certs = match &s.cert_list {
        CertList::Certs(c) => c
            .iter()
            .map(|d| serde_json::json!({"certificate": cert_line(d)}))
            .collect::<Vec<_>>(),
        CertList::Digests(d) => d
            .iter()
            .map(|(t, v)| serde_json::json!({"digest_type": t, "digest": hex::encode(v)}))
            .collect(),
        CertList::Ids(ids) => ids.iter().map(|i| serde_json::json!({"id": i})).collect(),
    };
    serde_json::json!({
        "version": s.version.describe(),
        "header": {"id": s.header.id, "version": s.header.version, "vid": s.header.vid},
        "es_id": s.es_id,
        "type": s.seal_type,
        "name": s.name,
        "cert_list_type": s.cert_list_type,
        "cert_list": certs,
        "create_date": s.create_date.to_iso(),
        "valid_start": s.valid_start.to_iso(),
        "valid_end": s.valid_end.to_iso(),
        "picture": {"declared_type": s.picture.declared_type, "format": s.picture.format.name(), "bytes": s.picture.data.len(),
                    "width_mm": s.picture.width_mm, "height_mm": s.picture.height_mm},
        "ext_datas": s.ext_datas.iter().map(|e| serde_json::json!({"oid": e.oid, "critical": e.critical, "value": hex::encode(&e.value)})).collect::<Vec<_>>(),
        "maker": cert_line(&s.maker_cert),
        "maker_signature_algorithm": s.maker_sign_alg,
        "timestamp_bytes": s.timestamp.as_ref().map(|t| t.len()),
        "notes": s.notes,
        "size": s.der().len(),
    })
}

fn inspect(file: &std::path::Path, json: bool) -> CliResult {
    let bytes = read(file)?;
    let value = match Seal::from_der(&bytes) {
        Ok(s) => serde_json::json!({"kind": "seal", "seal": seal_json(&s)}),
        Err(seal_err) => match SesSignature::from_der(&bytes) {
            Ok(sig) => serde_json::json!({
                "kind": "signature",
                "version": sig.version.describe(),
                "tbs_version": sig.tbs_version,
                "time_info": sig.time_info.map(|t| t.to_iso()),
                "time_info_text": sig.time_info_text,
                "data_hash": hex::encode(&sig.data_hash),
                "property_info": sig.property_info,
                "signer": cert_line(&sig.signer_cert),
                "signature_algorithm": sig.signature_alg,
                "timestamp_bytes": sig.timestamp.as_ref().map(|t| t.len()),
                "notes": sig.notes,
                "seal": seal_json(&sig.seal),
            }),
            Err(sig_err) => {
                return Err(CliError(format!(
                    "{}: neither a seal ({seal_err}) nor an SES_Signature ({sig_err})",
                    file.display()
                )));
            }
        },
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print_tree(&value, 0);
    }
    Ok(0)
}

fn print_tree(v: &serde_json::Value, indent: usize) {
    let pad = "  ".repeat(indent);
    match v {
        serde_json::Value::Object(m) => {
            for (k, val) in m {
                match val {
                    serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                        println!("{pad}{k}:");
                        print_tree(val, indent + 1);
                    }
                    serde_json::Value::Null => {}
                    serde_json::Value::String(s) => println!("{pad}{k}: {s}"),
                    other => println!("{pad}{k}: {other}"),
                }
            }
        }
        serde_json::Value::Array(a) => {
            for item in a {
                match item {
                    serde_json::Value::String(s) => println!("{pad}- {s}"),
                    _ => {
                        println!("{pad}-");
                        print_tree(item, indent + 1);
                    }
                }
            }
        }
        other => println!("{pad}{other}"),
    }
}

fn verify_file(
    file: &std::path::Path,
    data: Option<&std::path::Path>,
    args: &VerifyArgs,
) -> CliResult {
    args.run(|opts| {
        let bytes = read(file)?;
        let name = file.display().to_string();
        let (format, sig) = if Seal::from_der(&bytes).is_ok() {
            (
                DocumentFormat::Seal,
                ses::verify_seal_bytes(&bytes, &name, opts),
            )
        } else if SesSignature::from_der(&bytes).is_ok() {
            let data_bytes = data.map(read).transpose()?;
            let check = data_bytes
                .as_deref()
                .map(DataCheck::Data)
                .unwrap_or(DataCheck::NotAvailable);
            (
                DocumentFormat::SesSignature,
                ses::verify_signature(&bytes, check, None, &name, opts),
            )
        } else {
            let e = Seal::from_der(&bytes)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            return Err(CliError(format!(
                "{name}: not a seal or an SES_Signature ({e})"
            )));
        };
        let mut report = VerificationReport::new(name, format, opts.strict);
        report.signatures.push(sig);
        Ok(report)
    })
}
