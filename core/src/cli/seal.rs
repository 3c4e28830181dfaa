use super::CliResult;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum SealCommand {}

pub fn run(c: SealCommand) -> CliResult {
    match c {}
}
