//! Not built yet.

use std::process::ExitCode;

pub fn run(_args: crate::cli::CompareArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
