//! `eseal ca init DIR`: writes the deterministic test CA as PEM files; `eseal ca revoke`,
//! `eseal ca crl` and `eseal ca ocsp` keep its revocation list (`DIR/revoked.txt`), issue CRLs
//! (RFC 5280 §5) and answer OCSP requests (RFC 6960) with the root's key.

use super::{CliError, CliResult, write_atomic};
use clap::Subcommand;
use eseal::crypto::Certificate;
use eseal::crypto::signer::SoftwareSigner;
use eseal::crypto::sm2::PrivateKey;
use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::revocation::{
    CrlBuilder, Reason, Responder, RevokedEntry, format_revoked_list, parse_revoked_list,
};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum CaCommand {
    /// Write root, unit (seal maker), person and server certificates and keys to DIR.
    Init {
        dir: PathBuf,
        /// Seed the keys follow from (same seed, same CA).
        #[arg(long, default_value = "eseal-demo")]
        seed: String,
        /// The reference server's URL: issued certificates then name `URL/crl/root.crl` as
        /// their CRL distribution point and `URL/ocsp` as their OCSP responder.
        #[arg(long, value_name = "URL")]
        server_url: Option<String>,
    },
    /// Revoke a certificate issued by the CA in DIR (added to DIR/revoked.txt).
    Revoke {
        dir: PathBuf,
        /// The certificate to revoke (PEM or DER).
        cert: PathBuf,
        /// Revocation date (RFC 3339; default now).
        #[arg(long, value_name = "TIME")]
        date: Option<String>,
        /// CRLReason (RFC 5280 §5.3.1): keyCompromise, superseded, cessationOfOperation, ...
        #[arg(long)]
        reason: Option<String>,
    },
    /// Issue a CRL of the CA in DIR, signed by DIR/root.key.
    Crl {
        dir: PathBuf,
        /// Where to write the CRL (DER).
        #[arg(short, long)]
        out: PathBuf,
        /// Days until nextUpdate.
        #[arg(long, default_value_t = 7)]
        days: i64,
        /// thisUpdate (RFC 3339; default now).
        #[arg(long, value_name = "TIME")]
        this_update: Option<String>,
    },
    /// Answer an OCSP request (DER, e.g. `openssl ocsp -reqout`) for the CA in DIR.
    Ocsp {
        dir: PathBuf,
        /// The request (DER).
        #[arg(long)]
        request: PathBuf,
        /// Where to write the response (DER).
        #[arg(short, long)]
        out: PathBuf,
    },
}

fn time_arg(t: Option<&str>) -> Result<Time, CliError> {
    match t {
        Some(t) => Ok(Time::parse_lenient(t)
            .map_err(|e| CliError(format!("{t}: {e}")))?
            .0),
        None => Ok(Time::now()),
    }
}

/// The CA in `dir`: its root certificate and signer.
fn root(dir: &Path) -> Result<SoftwareSigner, CliError> {
    let cert = Certificate::parse(&std::fs::read(dir.join("root.pem"))?)?;
    let key = PrivateKey::parse(&std::fs::read(dir.join("root.key"))?)?;
    Ok(SoftwareSigner::new(key, cert)?)
}

/// DIR/revoked.txt (`revocation::parse_revoked_list`).
pub fn revoked(dir: &Path) -> Result<Vec<RevokedEntry>, CliError> {
    match std::fs::read_to_string(dir.join("revoked.txt")) {
        Ok(t) => Ok(parse_revoked_list(&t)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

pub fn run(c: CaCommand) -> CliResult {
    match c {
        CaCommand::Init {
            dir,
            seed,
            server_url,
        } => {
            std::fs::create_dir_all(&dir)?;
            let ca = match &server_url {
                Some(u) => TestCa::with_revocation_pointers(&seed, u)?,
                None => TestCa::new(&seed)?,
            };
            for (name, id) in [
                ("root", &ca.root),
                ("unit", &ca.unit),
                ("person", &ca.person),
                ("server", &ca.server),
            ] {
                write_atomic(
                    &dir.join(format!("{name}.pem")),
                    id.cert.to_pem().as_bytes(),
                )?;
                write_atomic(
                    &dir.join(format!("{name}.key")),
                    id.key.to_pkcs8_pem().as_bytes(),
                )?;
                eprintln!("{name}: {}", id.cert.subject_string());
            }
            Ok(0)
        }
        CaCommand::Revoke {
            dir,
            cert,
            date,
            reason,
        } => {
            let ca = root(&dir)?;
            let cert = Certificate::parse(&std::fs::read(&cert)?)?;
            if cert
                .verify_issued_by(eseal::crypto::signer::Signer::certificate(&ca))
                .is_err()
            {
                return Err(CliError(format!(
                    "{} was not issued by the CA in {}",
                    cert.subject_string(),
                    dir.display()
                )));
            }
            let reason = match reason.as_deref() {
                None => Reason::Unspecified,
                Some(r) => Reason::from_name(r)
                    .ok_or_else(|| CliError(format!("--reason {r}: not a CRLReason")))?,
            };
            let date = time_arg(date.as_deref())?;
            let mut list = revoked(&dir)?;
            let entry = RevokedEntry::for_certificate(&cert, date, Some(reason));
            if list.iter().any(|e| e.serial == entry.serial) {
                return Err(CliError(format!(
                    "serial {} is already revoked",
                    cert.serial_hex()
                )));
            }
            list.push(entry);
            let text = format_revoked_list(&list);
            write_atomic(&dir.join("revoked.txt"), text.as_bytes())?;
            eprintln!(
                "revoked {} ({}) as of {}",
                cert.subject_string(),
                reason.name(),
                date.to_iso()
            );
            Ok(0)
        }
        CaCommand::Crl {
            dir,
            out,
            days,
            this_update,
        } => {
            let ca = root(&dir)?;
            let this = time_arg(this_update.as_deref())?;
            let crl = CrlBuilder {
                this_update: this,
                next_update: this.add_days(days),
                number: u64::try_from(this.unix()).unwrap_or(1),
                revoked: revoked(&dir)?,
            }
            .sign(&ca)?;
            write_atomic(&out, &crl)?;
            Ok(0)
        }
        CaCommand::Ocsp { dir, request, out } => {
            let ca = root(&dir)?;
            let list = revoked(&dir)?;
            let r = Responder {
                ca: eseal::crypto::signer::Signer::certificate(&ca),
                signer: &ca,
                revoked: &list,
                validity_secs: 86_400,
            };
            write_atomic(&out, &r.respond(&std::fs::read(&request)?, Time::now()))?;
            Ok(0)
        }
    }
}
