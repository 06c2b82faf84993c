//! The steps of a sweep (`CONNECTIONS="1 10 100 1000 10000"`): each connection count × variant is
//! one step of ITERATIONS runs. Before a step, `suite limits` checks that the machine can hold it
//! (open files, threads, ephemeral ports, memory); a step it cannot hold is skipped with the reason,
//! a step whose every run failed is failed with the first run's reason (the OS's error, quoted from
//! the client), and either way the sweep goes on. `suite outcome` records each step's outcome in
//! meta.json's `steps` (results/README.md), for the summary and the report to show.

use std::process::ExitCode;

use bench_records::{StepOutcome, StepResult as Outcome};

use super::limits;
use super::meta::{self, read_runs};
use super::{LimitsConfig, OutcomeConfig};

/// `suite limits`: exit 0 when the step fits the machine; else the reason on stdout, exit 3.
pub fn check_limits(args: LimitsConfig) -> anyhow::Result<ExitCode> {
    let connections = args.connections.unwrap_or_else(built_in);
    match limits::refusal(connections, &args.variant, args.buffer_size) {
        None => Ok(ExitCode::SUCCESS),
        Some(reason) => {
            println!("{reason}");
            Ok(ExitCode::from(3))
        }
    }
}

/// `suite outcome`: appends the step's outcome to meta.json and prints it when it is not measured.
pub fn record(args: OutcomeConfig) -> anyhow::Result<ExitCode> {
    let connections = args.connections.unwrap_or_else(built_in);
    let run_ids = args.run_ids;
    let mut meta = meta::read(&args.meta)?;
    let (outcome, reason) = match args.skipped {
        Some(reason) => (Outcome::Skipped, Some(reason)),
        None => {
            let rows = read_runs(&args.meta.with_file_name("runs.csv"))?;
            let measured = rows
                .iter()
                .any(|row| run_ids.contains(&row.run_id) && row.jobs_failed == 0);
            if measured {
                (Outcome::Measured, None)
            } else {
                let first = meta
                    .failed_iterations
                    .iter()
                    .find(|f| run_ids.contains(&f.run_id))
                    .map(|f| f.reason.clone());
                (Outcome::Failed, first)
            }
        }
    };
    if outcome != Outcome::Measured {
        let why = reason.as_deref().unwrap_or("no run recorded");
        let word = if outcome == Outcome::Skipped {
            "skipped"
        } else {
            "failed"
        };
        let workload = super::named_workload(&args.workload)
            .map(|w| format!("{w} "))
            .unwrap_or_default();
        eprintln!(
            "  {workload}{} at {} connections: {word}: {why}",
            args.variant, connections
        );
    }
    meta.steps.push(StepOutcome {
        connections,
        variant: args.variant,
        outcome,
        reason,
        run_ids: if outcome == Outcome::Skipped {
            Vec::new()
        } else {
            run_ids
        },
        workload: super::named_workload(&args.workload),
    });
    meta::write(&args.meta, &meta)?;
    Ok(ExitCode::SUCCESS)
}

fn built_in() -> u32 {
    meta::Connections::built_in().counts[0]
}

/// Every model and readiness backend this OS has, for `make sweep`: the sweep's question is how
/// each one's cost grows, so plain poll(2) runs beside the native readiness API.
#[cfg(target_os = "linux")]
const SWEEP_VARIANTS: &str = "threaded poll:epoll poll:poll uring";
#[cfg(any(
    target_os = "macos",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
))]
const SWEEP_VARIANTS: &str = "threaded poll:kqueue poll:poll";
#[cfg(not(any(
    target_os = "linux",
    target_os = "macos",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
)))]
const SWEEP_VARIANTS: &str = "threaded poll";

/// `suite variants`: the variants a sweep runs here (`make sweep`'s default VARIANTS).
pub fn variants() -> anyhow::Result<ExitCode> {
    println!("{SWEEP_VARIANTS}");
    Ok(ExitCode::SUCCESS)
}
