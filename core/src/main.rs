//! The `eseal` command line.
//!
//! Exit status of every verifying command: 0 every signature valid, 1 a check failed,
//! 2 unusable input or a usage error.

mod cli;

fn main() {
    std::process::exit(cli::run());
}
