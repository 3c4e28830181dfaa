//! Command-line front end: one module a subcommand group, each a thin layer over the library.
//!
//! Exit status of every verifying command (README "Exit status"): 0 when every signature is
//! intact, cryptographically valid, its seal checks pass and its certificates chain to a
//! trust anchor (warnings allowed unless `--strict`); 3 when all of that holds except trust;
//! 1 when any check fails; 2 for unusable input or usage errors.

use clap::{Args, Parser, Subcommand};
use eseal::crypto::time::Time;
use eseal::report::VerificationReport;
use eseal::revocation::RevocationEvidence;
use eseal::validation::{TrustStore, VerifyOptions, default_trust_dir};
use std::path::{Path, PathBuf};

mod batch;
mod ca;
mod demo;
mod ofd;
mod pdf;
mod place;
mod seal;
mod stamp;
mod ukey;

#[derive(Parser)]
#[command(
    name = "eseal",
    version,
    about = "Electronic seals (电子印章) for PDF and OFD"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// OFD documents: sign with seals (stamps, cross-page seals, QR codes), verify, inspect.
    #[command(subcommand)]
    Ofd(ofd::OfdCommand),
    /// GB/T 38540 seals: create, inspect, verify.
    #[command(subcommand)]
    Seal(seal::SealCommand),
    /// Sign and verify PDF files (SM2 e-seals, SM2 CMS, PAdES).
    #[command(subcommand)]
    Pdf(pdf::PdfCommand),
    /// Seal pictures: official and personal seals, imports, QR codes.
    #[command(subcommand)]
    Stamp(stamp::StampCommand),
    /// UKeys through their SKF library: software UKey, list, PIN, seals on the key.
    #[command(subcommand)]
    Ukey(ukey::UkeyCommand),
    /// The local agent (证书助手): lets the portal's page use the UKey, on 127.0.0.1 only.
    Agent(ukey::AgentArgs),
    /// The deterministic test CA (root, unit, personal, server certificates) for tests and demos.
    #[command(subcommand)]
    Ca(ca::CaCommand),
    /// End-to-end demo: test CA, a unit seal, a signature, verification, the report.
    Demo(demo::DemoArgs),
}

/// Options shared by every verifying command.
#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    /// A trust anchor (PEM or DER certificate; a PEM file may hold several). Repeatable; added
    /// to the trust directory's anchors.
    #[arg(long = "trust", value_name = "CERT")]
    pub trust: Vec<PathBuf>,
    /// Do not read the trust directory (ESEAL_TRUST_DIR, default
    /// $XDG_CONFIG_HOME/eseal/trust or ~/.config/eseal/trust): only --trust anchors count.
    #[arg(long)]
    pub no_default_trust: bool,
    /// Treat warnings (expired now, non-standard encodings) as failures.
    #[arg(long)]
    pub strict: bool,
    /// Print the report as JSON (errors too, on stdout).
    #[arg(long)]
    pub json: bool,
    /// Verify as of this time instead of now (RFC 3339, e.g. 2026-01-01T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Further certificates: intermediates that complete chains, and signer certificates for
    /// signatures that carry none. Repeatable.
    #[arg(long = "cert", value_name = "CERT")]
    pub certs: Vec<PathBuf>,
    /// A CRL (DER or PEM) to check certificates against at the signing time. Repeatable; the
    /// trust directory's *.crl files are read too.
    #[arg(long = "crl", value_name = "FILE")]
    pub crls: Vec<PathBuf>,
    /// An OCSP response (DER, as `openssl ocsp -respout` writes it). Repeatable.
    #[arg(long = "ocsp", value_name = "FILE")]
    pub ocsp: Vec<PathBuf>,
    /// Fetch revocation information over HTTP from the certificates' OCSP responders (AIA)
    /// and CRL distribution points when the given files say nothing.
    #[arg(long)]
    pub online: bool,
    /// The platform's signed seal status (a URL such as
    /// https://platform/api/v1/seal-status, or a file saved from it): a seal revoked or frozen
    /// at the signing time fails; the status must be signed by a certificate that chains to
    /// the trust anchors. See docs/seal-status.md.
    #[arg(long = "seal-status", value_name = "URL|FILE")]
    pub seal_status: Option<String>,
}

impl VerifyArgs {
    pub fn options(&self) -> Result<VerifyOptions, CliError> {
        let mut trust = TrustStore::new();
        let mut revocation = RevocationEvidence::default();
        if !self.no_default_trust
            && let Some(dir) = default_trust_dir()
        {
            trust.add_dir(&dir)?;
            revocation
                .add_crl_dir(&dir)
                .map_err(|e| CliError(e.to_string()))?;
        }
        for p in &self.crls {
            revocation
                .add_crl_file(p)
                .map_err(|e| CliError(format!("--crl {e}")))?;
        }
        for p in &self.ocsp {
            revocation
                .add_ocsp_file(p)
                .map_err(|e| CliError(format!("--ocsp {e}")))?;
        }
        for p in &self.trust {
            trust.add_file(p)?;
        }
        let at = match &self.at {
            Some(t) => {
                Time::parse_lenient(t)
                    .map_err(|e| CliError(format!("--at {t}: {e}")))?
                    .0
            }
            None => Time::now(),
        };
        let mut extra_certs = Vec::new();
        for p in &self.certs {
            let bytes = std::fs::read(p).map_err(|e| CliError(format!("{}: {e}", p.display())))?;
            extra_certs.extend(
                eseal::crypto::Certificate::parse_all(&bytes)
                    .map_err(|e| CliError(format!("{}: {e}", p.display())))?,
            );
        }
        Ok(VerifyOptions {
            trust,
            at,
            strict: self.strict,
            extra_certs,
            long_term: self.at.is_some(),
            revocation,
            online: self.online,
            warn_without_revocation: true,
        })
    }

    /// The `--seal-status` list, fetched and checked against the trust anchors of `opts`.
    pub fn seal_status(
        &self,
        opts: &VerifyOptions,
    ) -> Result<Option<eseal::seal_status::SealStatusList>, CliError> {
        let Some(src) = &self.seal_status else {
            return Ok(None);
        };
        let signed = eseal::seal_status::fetch(src)?;
        let list = signed
            .open(&opts.trust)
            .map_err(|e| CliError(format!("--seal-status {src}: {e}")))?;
        Ok(Some(list))
    }

    /// Runs a verification and prints its report (or, for unusable input, its error: JSON on
    /// stdout with `--json`), returning the contract's exit status.
    pub fn run(
        &self,
        verify: impl FnOnce(&VerifyOptions) -> Result<VerificationReport, CliError>,
    ) -> CliResult {
        let checked = self.options().and_then(|o| {
            let status = self.seal_status(&o)?;
            let mut report = verify(&o)?;
            if let Some(list) = &status {
                list.apply(&mut report, o.at);
            }
            Ok(report)
        });
        match checked {
            Ok(report) => self.emit(&report),
            Err(CliError(msg)) if self.json => {
                let v = serde_json::json!({
                    "verdict": "unusable_input",
                    "exit_code": 2,
                    "error": msg,
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
                Ok(2)
            }
            Err(e) => Err(e),
        }
    }

    /// Verifies one file like [`VerifyArgs::run`], or — several files or a folder (its
    /// `*.ext` files) — all of them on all cores with a progress bar and a summary table
    /// (`batch::verify`); the exit status is then the worst.
    pub fn run_files(
        &self,
        files: &[PathBuf],
        ext: &str,
        verify_one: &(
             dyn Fn(&std::path::Path, &VerifyOptions) -> Result<VerificationReport, CliError> + Sync
         ),
    ) -> CliResult {
        if !batch::is_batch(files) {
            return self.run(|opts| verify_one(&files[0], opts));
        }
        let files = batch::expand(files, ext)?;
        let opts = self.options()?;
        let status = self.seal_status(&opts)?;
        Ok(batch::verify(&files, self.json, &|f| {
            let mut report = verify_one(f, &opts)?;
            if let Some(list) = &status {
                list.apply(&mut report, opts.at);
            }
            Ok(report)
        }))
    }

    /// Prints the report and returns the contract's exit status.
    pub fn emit(&self, report: &VerificationReport) -> CliResult {
        if self.json {
            println!("{}", serde_json::to_string_pretty(report)?);
        } else {
            print!("{}", report.to_text());
        }
        Ok(report.exit_code())
    }
}

/// An error that ends a command with exit status 2 (unusable input, usage error).
#[derive(Debug)]
pub struct CliError(pub String);

impl<E: std::fmt::Display> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError(e.to_string())
    }
}

pub type CliResult = Result<i32, CliError>;

/// The signature given to --signature: a file or base64 text; DER or raw r‖s.
pub fn signature_arg(s: &str) -> Result<eseal::crypto::sm2::Signature, CliError> {
    let bytes = signature_bytes(s)?;
    if bytes.len() == 64 {
        return Ok(eseal::crypto::sm2::Signature::from_raw(&bytes)?);
    }
    Ok(eseal::crypto::sm2::Signature::parse_lenient(&bytes)?.0)
}

/// The bytes of `--signature`: a file (binary, or base64 text) or base64 text.
pub fn signature_bytes(s: &str) -> Result<Vec<u8>, CliError> {
    use base64::Engine;
    let bytes = match std::fs::read(s) {
        Ok(b) => b,
        Err(_) => base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map_err(|_| CliError("--signature: neither a file nor base64".into()))?,
    };
    let text = String::from_utf8_lossy(&bytes);
    Ok(
        match base64::engine::general_purpose::STANDARD.decode(text.trim()) {
            Ok(b) if text.is_ascii() => b,
            _ => bytes,
        },
    )
}

/// Writes `bytes` to `path` atomically (`eseal::fs`): a failure leaves no partial file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    eseal::fs::write_atomic(path, &[bytes]).map_err(|e| CliError(e.to_string()))
}

pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let result = match cli.command {
        Command::Ofd(c) => ofd::run(c),
        Command::Seal(c) => seal::run(c),
        Command::Stamp(c) => stamp::run(c),
        Command::Pdf(c) => pdf::run(c),
        Command::Ukey(c) => ukey::run(c),
        Command::Agent(a) => ukey::agent(a),
        Command::Ca(c) => ca::run(c),
        Command::Demo(a) => demo::run(a),
    };
    match result {
        Ok(code) => code,
        Err(CliError(msg)) => {
            eprintln!("eseal: error: {msg}");
            2
        }
    }
}

fn main() {
    std::process::exit(run());
}
