//! Describes the machine a run is measured on (OS, version, kernel, architecture).

use std::process::ExitCode;

pub fn run_meta(_args: crate::cli::MetaArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
