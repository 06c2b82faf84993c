//! `suite syscalls`: sets the client's own socket-call counters (`syscalls.*` of its record) beside
//! what `strace -c -f` counted from outside, for `make trace`. They must agree: the counters are
//! what `compare` reports as syscalls per MiB on every OS, and strace is the independent check on
//! the one OS where it exists.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::SyscallsConfig;
use bench_records::RunRecord;

/// Each client counter and the Linux system calls that implement it. poll(2) and ppoll(2) belong
/// to the counter [`poll_counter`] names.
const GROUPS: [(&str, &[&str]); 6] = [
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
            "select",
            "pselect6",
        ],
    ),
    ("connect_wait", &[]),
];

/// poll(2) in either of its Linux forms.
const POLLS: [&str; 2] = ["poll", "ppoll"];

/// The counter the client's poll(2) calls go to: the threaded variant polls only inside its connect
/// with a timeout (`connect_wait`); a variant whose readiness API is poll(2) polls in its loop.
fn poll_counter(record: &RunRecord) -> &'static str {
    if record.backend == "blocking" {
        "connect_wait"
    } else {
        "wait"
    }
}

/// Rust's runtime checks that stdin, stdout and stderr are open with one `poll(2)` before `main`
/// (Linux): a poll strace sees that is not the client's.
const STARTUP_POLLS: u64 = 1;

/// Calls with no client counter that would still move socket data if the client used them (here:
/// files, stdout, and the read of `polling`'s eventfd after each epoll wait).
const UNCOUNTED: [&str; 4] = ["read", "write", "readv", "writev"];

/// Bookkeeping on sockets and the poller that the client does not count (documented in
/// results/README.md): shown so the whole cost is in view.
const BOOKKEEPING: [&str; 5] = [
    "fcntl",
    "setsockopt",
    "getsockopt",
    "epoll_ctl",
    "timerfd_settime",
];

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
    let client = [s.socket, s.connect, s.send, s.recv, s.wait, s.connect_wait];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}), {} connections: client counters vs strace -c -f",
        record.variant, record.backend, record.connections
    );
    let _ = writeln!(
        out,
        "  {:<12} {:>10} {:>10} {:>9} {:>11}  strace calls",
        "counter", "client", "strace", "elsewhere", "difference"
    );
    let polls: u64 = POLLS.iter().filter_map(|n| counts.get(*n)).sum();
    let startup_polls = polls.min(STARTUP_POLLS);
    let listed = |names: &[&str]| -> Vec<String> {
        names
            .iter()
            .filter_map(|n| counts.get(*n).map(|c| format!("{n} {c}")))
            .collect()
    };
    let mut disagree = Vec::new();
    for ((group, names), client) in GROUPS.iter().zip(client) {
        let mut names = names.to_vec();
        let mut elsewhere = 0;
        if *group == poll_counter(record) {
            names.extend(POLLS);
            elsewhere = startup_polls;
        }
        let traced: u64 = names.iter().filter_map(|n| counts.get(*n)).sum();
        let seen = listed(&names);
        let difference = traced as i64 - elsewhere as i64 - client as i64;
        if difference != 0 {
            disagree.push(format!("{group} ({difference:+})"));
        }
        let _ = writeln!(
            out,
            "  {group:<12} {client:>10} {traced:>10} {elsewhere:>9} {difference:>+11}  {}",
            if seen.is_empty() {
                "-".to_string()
            } else {
                seen.join(", ")
            }
        );
    }
    let _ = writeln!(
        out,
        "  elsewhere: {startup_polls} poll that is no wait of the client: Rust's start-up check of \
         stdin/stdout/stderr"
    );
    let bookkeeping = listed(&BOOKKEEPING);
    if !bookkeeping.is_empty() {
        let _ = writeln!(
            out,
            "  bookkeeping the client does not count: {}",
            bookkeeping.join(", ")
        );
    }
    let uncounted = listed(&UNCOUNTED);
    if !uncounted.is_empty() {
        let _ = writeln!(
            out,
            "  not socket calls of the client (files, stdout, the poller's eventfd): {}",
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
    use bench_records::Syscalls;

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
                connect_wait: 0,
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

    #[test]
    fn threaded_connect_polls_are_its_connect_waits() {
        // 8 connects polled once each, plus the start-up poll.
        let counts = parse_strace_counts(
            "% time     seconds  usecs/call     calls    errors syscall\n\
             ------ ----------- ----------- --------- --------- ----------------\n\
             100.00    0.000100           1         9           poll\n\
             0.00    0.000000           0         8           connect\n\
             0.00    0.000000           0        16           fcntl\n",
        );
        let threaded = RunRecord {
            variant: "threaded".into(),
            backend: "blocking".into(),
            syscalls: Syscalls {
                connect: 8,
                connect_wait: 8,
                ..Syscalls::default()
            },
            ..RunRecord::default()
        };
        let (text, agree) = table(&threaded, &counts);
        assert!(agree, "{text}");
        assert!(
            text.contains("connect_wait          8          9         1"),
            "{text}"
        );
        assert!(
            text.contains("bookkeeping the client does not count: fcntl 16"),
            "{text}"
        );
        // One poll the client did not count is a disagreement, not absorbed into connect.
        let missed_one = RunRecord {
            syscalls: Syscalls {
                connect_wait: 7,
                ..threaded.syscalls
            },
            ..threaded.clone()
        };
        let (text, agree) = table(&missed_one, &counts);
        assert!(!agree);
        assert!(text.contains("DISAGREE on connect_wait (+1)"), "{text}");
        // The same polls from a poll-variant client would be waits it did not count.
        let poll = RunRecord {
            backend: "epoll".into(),
            ..threaded
        };
        assert!(!table(&poll, &counts).1);
    }
}
