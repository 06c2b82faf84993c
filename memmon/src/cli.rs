//! Command-line interface: the arguments and their validation, nothing else.
//!
//! Bad arguments are clap's errors (exit 2), before any child is started.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use bench_records::units::parse_interval;
use clap::{Parser, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "memmon",
    version,
    about = "Runs a command and samples its memory from spawn to exit",
    override_usage = "memmon [OPTIONS] -- COMMAND [ARGS]...",
    long_about = "Runs COMMAND, samples its memory right after spawn and then every interval until it \
                  exits, and prints min/avg/max of each metric plus the peak RSS the kernel \
                  reports at exit. The summary goes to stderr (or --output FILE) so the command's stdout \
                  stays clean. memmon exits with the command's status (128+signal when it was \
                  killed, 127 when not found, 126 when not executable, 125 when memmon itself \
                  failed to write its results).\n\n\
                  The peak RSS is the command's own process's, never its descendants' (Linux; \
                  elsewhere wait4's figure, which also covers the largest process it reaped). \
                  SIGINT, SIGTERM and SIGHUP are forwarded to the command; on Linux it is killed \
                  when memmon is. The summary warns when fewer than 90 % of the scheduled samples \
                  were taken.",
    after_help = "Example: memmon --interval 100ms --csv memory.csv --run-id r1 -- sleep 1"
)]
pub struct Cli {
    /// Time between samples: a number with a unit, e.g. 100ms, 0.5s, 1s (whole milliseconds, at least 1ms).
    #[arg(long, default_value = "100ms", value_parser = parse_interval, allow_hyphen_values = true)]
    pub interval: Duration,

    /// Print the summary as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,

    /// Append one row per sample to this CSV file (header written once, when the file is new or empty).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,

    /// Identifier written in the CSV's run_id column (joins memory.csv with runs.csv).
    #[arg(long, value_name = "ID", default_value = "")]
    pub run_id: String,

    /// Write nothing on stderr but errors (a summary still goes to --output FILE, if given).
    #[arg(long)]
    pub quiet: bool,

    /// Write the summary (text, or JSON with --json) to FILE instead of stderr.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Linux: share of one core, in percent, that reading Pss_Anon/Pss may cost on average.
    /// smaps_rollup walks every page of the process (~1.3 ms per 64 MiB, ~7 ms for 400 MiB,
    /// ~13 ms with 10,000 threads), so a large child has its PSS read only every few samples
    /// (on a thread of its own, never delaying a sample), and at once when its anonymous memory
    /// reaches a new high (borrowing up to 20 samples' share). A sample without a reading has
    /// no PSS (never an earlier one); the summary's PSS figures then estimate it from RSS with
    /// the PSS/RSS ratio of the samples that read it. 100 reads it at every sample.
    #[arg(long, value_name = "PERCENT", default_value = "0.5", value_parser = parse_percent)]
    pub pss_budget: f64,

    /// Also watch process PID (e.g. the benchmark's server): its memory on the same schedule, and
    /// its CPU time and context switches from just before the command starts to just after it
    /// ends. It is only read, never signalled; its PSS is read under half of --pss-budget.
    #[arg(long, value_name = "PID")]
    pub also: Option<u32>,

    /// Also sample the kernel's TCP socket count and memory (Linux `/proc/net/sockstat`;
    /// system-wide, not the command's alone).
    #[arg(long)]
    pub sockets: bool,

    /// How samples are read: `native` (Linux /proc, Haiku areas) or `sysinfo`. For measuring memmon itself.
    #[arg(long, value_enum, default_value_t = SamplerKind::default(), hide = true)]
    pub sampler: SamplerKind,

    /// The command to run and its arguments (put `--` before it).
    #[arg(required = true, trailing_var_arg = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// Where the per-sample figures come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum SamplerKind {
    /// The cheapest source the OS has: Linux `/proc/PID/{statm,smaps_rollup}`, Haiku's areas,
    /// sysinfo elsewhere.
    #[default]
    Native,
    /// sysinfo's process refresh (RSS and virtual size only).
    #[cfg(not(target_os = "haiku"))]
    Sysinfo,
}

/// Parses a share of one core in percent, `0.5` or `0.5%`, in (0, 100].
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%');
    match number.parse::<f64>() {
        Ok(p) if p > 0.0 && p <= 100.0 => Ok(p),
        _ => Err(format!(
            "`{text}` is not a percentage in (0, 100], e.g. 0.5 or 100"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_parse_with_or_without_sign() {
        assert_eq!(parse_percent("0.5"), Ok(0.5));
        assert_eq!(parse_percent("100%"), Ok(100.0));
        for bad in ["0", "-1", "101", "x", ""] {
            assert!(parse_percent(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
