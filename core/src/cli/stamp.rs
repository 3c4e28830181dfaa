use super::CliResult;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum StampCommand {}

pub fn run(c: StampCommand) -> CliResult {
    match c {}
}
