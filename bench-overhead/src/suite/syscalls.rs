//! `suite syscalls`: sets the client's own system-call counts (`syscalls.*` of its record) beside
//! what `strace -c -f` counted from outside, for `make trace` (the comparison is
//! `client::strace`). They must agree: the counters are
//! what `compare` reports as syscalls per MiB on every OS, and strace is the independent check on
//! the one OS where it exists.

use std::collections::BTreeMap;
use std::fs;
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::SyscallsConfig;
use bench_records::RunRecord;

pub fn run(args: SyscallsConfig) -> anyhow::Result<ExitCode> {
    let strace_text = fs::read_to_string(&args.strace)
        .with_context(|| format!("cannot read {}", args.strace.display()))?;
    let counts = parse_strace_counts(&strace_text);
    if counts.is_empty() {
        bail!(
            "{} holds no `strace -c` table: did strace run?",
            args.strace.display()
        );
    }
    let run_text = fs::read_to_string(&args.run)
        .with_context(|| format!("cannot read {}", args.run.display()))?;
    let record: RunRecord = run_text
        .lines()
        .find_map(|line| serde_json::from_str(line).ok())
        .with_context(|| format!("{} holds no run record", args.run.display()))?;
    let (text, agree) = crate::client::strace::compare(&record, &counts);
    print!("{text}");
    // A disagreement is a counting bug in the client: fail, so `make trace` says so too.
    Ok(if agree {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `syscall → calls` from `strace -c` output (the `total` line left out), and for a call with
/// failures also `syscall!errors → failed calls` (a failed open leaves nothing to close).
fn parse_strace_counts(text: &str) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        // % time, seconds, usecs/call, calls, [errors], syscall
        if words.len() < 5 || words[0].parse::<f64>().is_err() {
            continue;
        }
        let name = words[words.len() - 1];
        if name == "total" {
            continue;
        }
        if let Ok(calls) = words[3].parse::<u64>() {
            *counts.entry(name.to_string()).or_insert(0) += calls;
        }
        if words.len() == 6 {
            if let Ok(errors) = words[4].parse::<u64>() {
                *counts.entry(format!("{name}!errors")).or_insert(0) += errors;
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use bench_records::Syscalls;

    /// What `strace -f -c` printed for `run --variant poll:epoll -c 5` here (columns trimmed).
    const STRACE: &str = "\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 40.00    0.000400           1       232           recvfrom
 20.00    0.000200           3        62           epoll_pwait
  5.00    0.000050           2        19         1 close
  1.00    0.000010           1        10           epoll_ctl
  1.00    0.000010           1         1           epoll_create1
  1.00    0.000010           1        15         2 openat
  1.00    0.000010           1         5         5 connect
  1.00    0.000010           1         5           sendto
  1.00    0.000010           1         5           socket
  1.00    0.000010           1         1           poll
  1.00    0.000010           1        18           mmap
------ ----------- ----------- --------- --------- ----------------
100.00    0.001000           2       371         8 total
";

    fn record(recv: u64) -> RunRecord {
        RunRecord {
            variant: "poll".into(),
            backend: "epoll".into(),
            connections: 5,
            syscalls: Syscalls {
                socket: 5,
                connect: 5,
                send: 5,
                recv,
                wait: 62,
                connect_wait: 0,
                fcntl: Some(0),
                sockopt: Some(0),
                ctl: Some(11),
                submit: Some(0),
                close: Some(6),
                thread_spawns: Some(0),
            },
            ..RunRecord::default()
        }
    }

    #[test]
    fn counts_agree_kind_by_kind_and_others_are_named() {
        let counts = parse_strace_counts(STRACE);
        assert_eq!(counts["recvfrom"], 232);
        assert!(!counts.contains_key("total"));
        let (text, agree) = crate::client::strace::compare(&record(232), &counts);
        assert!(agree, "{text}");
        let close: Vec<&str> = text
            .lines()
            .find(|line| line.trim_start().starts_with("close"))
            .unwrap()
            .split_whitespace()
            .collect();
        assert_eq!(close[..5], ["close", "6", "19", "13", "+0"], "{text}");
        assert!(
            text.contains(
                "not the client's code (start-up, std, allocator, files): mmap 18, openat 13 (2 failed)"
            ),
            "{text}"
        );
        let (text, agree) = crate::client::strace::compare(&record(231), &counts);
        assert!(!agree);
        assert!(text.contains("DISAGREE on recv (+1)"), "{text}");
    }
}
