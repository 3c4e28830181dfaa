//! Command-line front end: one module a subcommand group, each a thin layer over the library.
//!
//! Exit status of every verifying command (DEVELOPERS.md "Contracts"): 0 when every signature
//! is intact, cryptographically valid and its seal checks pass (warnings allowed unless
//! `--strict`); 1 when any check fails; 2 for unusable input or usage errors.

use clap::{Args, Parser, Subcommand};
use eseal::crypto::TrustStore;
use eseal::crypto::time::Time;
use eseal::report::VerificationReport;
use eseal::ses::VerifyOptions;
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
    /// A trust anchor (PEM or DER certificate; a PEM file may hold several). Repeatable.
    #[arg(long = "trust", value_name = "CERT")]
    pub trust: Vec<PathBuf>,
    /// Treat warnings (unknown root, expired now, non-standard encodings) as failures.
    #[arg(long)]
    pub strict: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Verify as of this time instead of now (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

impl VerifyArgs {
    pub fn options(&self) -> Result<VerifyOptions, CliError> {
        let trust = TrustStore::from_files(&self.trust)?;
        let now = match &self.at {
            Some(t) => {
                Time::parse_lenient(t)
                    .map_err(|e| CliError(e.to_string()))?
                    .0
            }
            None => Time::now(),
        };
        Ok(VerifyOptions {
            trust,
            now,
            extra_certs: Vec::new(),
        })
    }

    /// Prints the report and returns the contract's exit status.
    pub fn emit(&self, report: &VerificationReport) -> CliResult {
        if self.json {
            let mut v = serde_json::to_value(report)?;
            v["verdict"] = serde_json::to_value(report.verdict())?;
            v["exit_code"] = report.exit_code(self.strict).into();
            println!("{}", serde_json::to_string_pretty(&v)?);
        } else {
            print!("{}", report.to_text());
        }
        Ok(report.exit_code(self.strict))
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
    use base64::Engine;
    let bytes = match std::fs::read(s) {
        Ok(b) => b,
        Err(_) => base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map_err(|_| CliError("--signature: neither a file nor base64".into()))?,
    };
    let text = String::from_utf8_lossy(&bytes);
    let bytes = match base64::engine::general_purpose::STANDARD.decode(text.trim()) {
        Ok(b) if text.is_ascii() => b,
        _ => bytes,
    };
    if bytes.len() == 64 {
        return Ok(eseal::crypto::sm2::Signature::from_raw(&bytes)?);
    }
    Ok(eseal::crypto::sm2::Signature::parse_lenient(&bytes)?.0)
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
