use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = patlint::cli::Cli::parse();
    ExitCode::from(patlint::run(cli).code())
}
