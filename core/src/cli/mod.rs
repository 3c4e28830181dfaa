//! Command-line front end: one module a subcommand group, each a thin layer over the library.

use clap::{Parser, Subcommand};

mod seal;
mod stamp;

#[derive(Parser)]
#[command(name = "eseal", version, about = "Electronic seals (电子印章) for PDF and OFD")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// GB/T 38540 seals: create, inspect, verify.
    #[command(subcommand)]
    Seal(seal::SealCommand),
    /// Seal pictures: official and personal seals, imports, QR codes.
    #[command(subcommand)]
    Stamp(Box<stamp::StampCommand>),
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

pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let result = match cli.command {
        Command::Seal(c) => seal::run(c),
        Command::Stamp(c) => stamp::run(*c),
    };
    match result {
        Ok(code) => code,
        Err(CliError(msg)) => {
            eprintln!("eseal: error: {msg}");
            2
        }
    }
}
