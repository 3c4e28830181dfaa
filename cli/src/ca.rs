//! `eseal ca init DIR`: writes the deterministic test CA as PEM files.

use super::{CliResult, write_atomic};
use clap::Subcommand;
use eseal::crypto::testca::TestCa;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum CaCommand {
    /// Write root, unit (seal maker), person and server certificates and keys to DIR.
    Init {
        dir: PathBuf,
        /// Seed the keys follow from (same seed, same CA).
        #[arg(long, default_value = "eseal-demo")]
        seed: String,
    },
}

pub fn run(c: CaCommand) -> CliResult {
    match c {
        CaCommand::Init { dir, seed } => {
            std::fs::create_dir_all(&dir)?;
            let ca = TestCa::new(&seed)?;
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
    }
}
