//! `suite syscalls`: sets the client's own socket-call counters (`syscalls.*` of its record) beside
//! what `strace -c -f` counted from outside, for `make trace`. They must agree: the counters are
//! what `compare` reports as syscalls per MiB on every OS, and strace is the independent check on
//! the one OS where it exists.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::SyscallsArgs;
use crate::record::RunRecord;

/// Each client counter and the Linux system calls that implement it.
const GROUPS: [(&str, &[&str]); 5] = [
    ("socket", &["socket"]),
    ("connect", &["connect"]),
    ("send", &["sendto", "sendmsg", "sendmmsg"]),
    ("recv", &["recvfrom", "recvmsg", "recvmmsg"]),
    (
        "wait",
        &[
            "epoll_wait",
            "epoll_pwait",
            "epoll_pwait2",
            "poll",
            "ppoll",
            "select",
            "pselect6",
        ],
    ),
];

/// Calls strace sees that are not the client's socket calls: Rust's runtime checks that stdin,
/// stdout and stderr are open with one `poll(2)` before `main` (Linux).
const RUNTIME_CALLS: [(&str, &str, u64); 1] = [("wait", "poll", 1)];

/// Calls with no client counter that would still move socket data if the client used them.
const UNCOUNTED: [&str; 4] = ["read", "write", "readv", "writev"];

pub fn run(args: SyscallsArgs) -> anyhow::Result<ExitCode> {
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
    let (text, agree) = table(&record, &counts);
    print!("{text}");
    // A disagreement is a counting bug in the client: fail, so `make trace` says so too.
    Ok(if agree {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `syscall → calls` from `strace -c` output (the `total` line left out).
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
    }
    counts
}

/// The comparison table, and whether every counter agrees.
fn table(record: &RunRecord, counts: &BTreeMap<String, u64>) -> (String, bool) {
    let s = record.syscalls;
    let client = [s.socket, s.connect, s.send, s.recv, s.wait];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}), {} connections: client counters vs strace -c -f",
        record.variant, record.backend, record.connections
    );
    let _ = writeln!(
        out,
        "  {:<8} {:>10} {:>10} {:>9} {:>11}  strace calls",
        "counter", "client", "strace", "runtime", "difference"
    );
    let mut disagree = Vec::new();
    for ((group, names), client) in GROUPS.iter().zip(client) {
        let traced: u64 = names.iter().filter_map(|n| counts.get(*n)).sum();
        let runtime: u64 = RUNTIME_CALLS
            .iter()
            .filter(|(g, name, _)| g == group && counts.contains_key(*name))
            .map(|(_, _, n)| n)
            .sum();
        let seen: Vec<String> = names
            .iter()
            .filter_map(|n| counts.get(*n).map(|c| format!("{n} {c}")))
            .collect();
        let difference = traced as i64 - runtime as i64 - client as i64;
        if difference != 0 {
            disagree.push(format!("{group} ({difference:+})"));
        }
        let _ = writeln!(
            out,
            "  {group:<8} {client:>10} {traced:>10} {runtime:>9} {difference:>+11}  {}",
            if seen.is_empty() {
                "-".to_string()
            } else {
                seen.join(", ")
            }
        );
    }
    let _ = writeln!(
        out,
        "  runtime: calls that are not the client's (Rust checks stdin/stdout/stderr with one poll at start-up)"
    );
    let uncounted: Vec<String> = UNCOUNTED
        .iter()
        .filter_map(|n| counts.get(*n).map(|c| format!("{n} {c}")))
        .collect();
    if !uncounted.is_empty() {
        let _ = writeln!(
            out,
            "  not socket calls of the client (files, stdout): {}",
            uncounted.join(", ")
        );
    }
    if disagree.is_empty() {
        let _ = writeln!(out, "  agree: every counter matches strace");
    } else {
        let _ = writeln!(
            out,
            "  DISAGREE on {}: the client's counters miss (or add) calls strace saw",
            disagree.join(", ")
        );
    }
    (out, disagree.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Syscalls;

    const STRACE: &str = "\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 60.00    0.006000          30       200        50 recvfrom
 20.00    0.002000          20       100       100 connect
 10.00    0.001000          10       100           socket
  5.00    0.000500           5       100           sendto
  4.00    0.000400           4        40           epoll_wait
  0.00    0.000000           0         1           poll
  1.00    0.000100           1         7           read
------ ----------- ----------- --------- --------- ----------------
100.00    0.010000          18       547       150 total
";

    #[test]
    fn parses_strace_and_compares() {
        let counts = parse_strace_counts(STRACE);
        assert_eq!(counts["recvfrom"], 200);
        assert_eq!(counts["connect"], 100);
        assert_eq!(counts["socket"], 100);
        assert!(!counts.contains_key("total"));
        let record = RunRecord {
            variant: "poll".into(),
            syscalls: Syscalls {
                socket: 100,
                connect: 100,
                send: 100,
                recv: 200,
                wait: 39,
            },
            ..RunRecord::default()
        };
        let (text, agree) = table(&record, &counts);
        assert!(!agree);
        assert!(text.contains("DISAGREE on wait (+1)"), "{text}");
        assert!(text.contains("read 7"), "{text}");
        // 40 epoll_wait + 1 start-up poll: the client's 40 waits agree.
        let record = RunRecord {
            syscalls: Syscalls {
                wait: 40,
                ..record.syscalls
            },
            ..record
        };
        let (text, agree) = table(&record, &counts);
        assert!(agree, "{text}");
        assert!(
            text.contains("agree: every counter matches strace"),
            "{text}"
        );
    }
}
