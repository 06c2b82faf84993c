//! The client's own counts beside `strace -f -c`'s, kind by kind (`make trace`, and a CI test):
//! they must be equal. What strace sees that is not the client's code is named, never hidden:
//!
//! - Rust's start-up checks stdin/stdout/stderr with one `poll` ([`STARTUP_POLLS`]);
//! - `close`s of files others opened (host detection, /proc reads, CSV files): one per `openat`
//!   that succeeded;
//! - the `polling` crate's own calls: re-arming `epoll_ctl`s, a `timerfd_settime` and an eventfd
//!   `read` per wait, and its three descriptors (epoll, eventfd, timerfd) with their closes — so
//!   for that backend `ctl` is the crate's finding, shown but not compared;
//! - one `getsockopt(TCP_INFO)` per job after it ended (`client/tcp_info`; a churn job's last
//!   connection only, so still one per job):
//!   bookkeeping, not a call the model needs to move data, so not in the `sockopt` count; the
//!   run's `tcp.jobs` says how many were made;
//! - std's thread internals (mmap, mprotect, munmap, futex, rt_sigprocmask, sigaltstack, madvise…)
//!   and everything else, listed by name.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::client::syscalls::Kind;
use bench_records::RunRecord;

/// Rust's runtime checks that stdin, stdout and stderr are open with one `poll(2)` before `main`.
pub const STARTUP_POLLS: u64 = 1;

/// Calls that create the `polling` crate's own descriptors on Linux.
const POLLING_DESCRIPTORS: [&str; 3] = ["epoll_create1", "eventfd2", "timerfd_create"];

/// Calls that open files, each followed by a close that is not a socket's.
const FILE_OPENS: [&str; 2] = ["openat", "open"];

/// The client's count of `kind` in `record`; `None` where the record has none.
fn client_count(record: &RunRecord, kind: Kind) -> Option<u64> {
    let s = &record.syscalls;
    match kind {
        Kind::Socket => Some(s.socket),
        Kind::Fcntl => s.fcntl,
        Kind::Sockopt => s.sockopt,
        Kind::Connect => Some(s.connect),
        Kind::Send => Some(s.send),
        Kind::Recv => Some(s.recv),
        Kind::Wait => Some(s.wait),
        Kind::Ctl => s.ctl,
        Kind::Submit => s.submit,
        Kind::Close => s.close,
        Kind::ConnectWait => Some(s.connect_wait),
    }
}

/// The comparison table, and whether every compared kind agrees.
pub fn compare(record: &RunRecord, counts: &BTreeMap<String, u64>) -> (String, bool) {
    let count = |name: &str| counts.get(name).copied().unwrap_or(0);
    let sum = |names: &[&str]| names.iter().map(|n| count(n)).sum::<u64>();
    let failed = |name: &str| count(&format!("{name}!errors"));
    // Files opened by others: each successful open, and only those, is closed.
    let opened: u64 = FILE_OPENS.iter().map(|n| count(n) - failed(n)).sum();
    let polling = record.backend == "polling";
    let threaded = record.backend == "blocking";
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}), {} connections: client counts vs strace -f -c",
        record.variant, record.backend, record.connections
    );
    let _ = writeln!(
        out,
        "  {:<12} {:>10} {:>10} {:>9} {:>11}  strace calls",
        "kind", "client", "strace", "not ours", "difference"
    );
    let mut claimed: Vec<&str> = Vec::new();
    let mut disagree = Vec::new();
    for kind in Kind::ALL {
        let mut names: Vec<&str> = kind.linux_names().to_vec();
        // poll(2) is the loop's wait for the poll(2) backend, the connect's wait in threaded.
        let polls_here = if threaded {
            kind == Kind::ConnectWait
        } else {
            kind == Kind::Wait
        };
        if !polls_here {
            names.retain(|n| *n != "poll" && *n != "ppoll");
        }
        let traced = sum(&names);
        let mut not_ours = 0;
        if polls_here {
            not_ours += sum(&["poll", "ppoll"]).min(STARTUP_POLLS);
        }
        if kind == Kind::Close {
            not_ours += opened;
            if polling {
                not_ours += sum(&POLLING_DESCRIPTORS);
            }
        }
        if kind == Kind::Sockopt {
            not_ours += record.tcp.map_or(0, |tcp| tcp.jobs);
        }
        if kind == Kind::Ctl && polling {
            not_ours += sum(&["epoll_create1"]);
        }
        claimed.extend(names.iter().copied());
        let Some(client) = client_count(record, kind) else {
            continue;
        };
        if traced == 0 && client == 0 {
            continue;
        }
        let difference = traced as i64 - not_ours as i64 - client as i64;
        let compared = !(kind == Kind::Ctl && polling);
        if compared && difference != 0 {
            disagree.push(format!("{} ({difference:+})", kind.name()));
        }
        let seen: Vec<String> = names
            .iter()
            .filter(|n| count(n) > 0)
            .map(|n| format!("{n} {}", count(n)))
            .collect();
        let _ = writeln!(
            out,
            "  {:<12} {client:>10} {traced:>10} {not_ours:>9} {:>11}  {}",
            kind.name(),
            if compared {
                format!("{difference:+}")
            } else {
                "the crate's".to_string()
            },
            seen.join(", ")
        );
    }
    if let Some(spawns) = record.syscalls.thread_spawns {
        let clones = sum(&["clone", "clone3"]);
        let difference = clones as i64 - spawns as i64;
        if difference != 0 {
            disagree.push(format!("thread spawns ({difference:+})"));
        }
        let _ = writeln!(
            out,
            "  {:<12} {spawns:>10} {clones:>10} {:>9} {difference:>+11}  clone/clone3",
            "spawns", 0
        );
        claimed.extend(["clone", "clone3"]);
    }
    let others: Vec<String> = counts
        .iter()
        .filter(|(name, _)| !name.contains('!') && !claimed.contains(&name.as_str()))
        .map(|(name, calls)| match failed(name) {
            0 => format!("{name} {calls}"),
            errors => format!("{name} {} ({errors} failed)", calls - errors),
        })
        .collect();
    let _ = writeln!(
        out,
        "  not the client's code (start-up, std, allocator, files{}): {}",
        if polling { ", the polling crate" } else { "" },
        others.join(", ")
    );
    if disagree.is_empty() {
        let _ = writeln!(out, "  agree: every kind matches strace");
    } else {
        let _ = writeln!(
            out,
            "  DISAGREE on {}: the client's counts miss (or add) calls strace saw",
            disagree.join(", ")
        );
    }
    (out, disagree.is_empty())
}
