//! memmon exits like the command it ran, forwards SIGINT/SIGTERM/SIGHUP, takes its command
//! down with it when killed, warns when it fell behind its schedule, and rejects bad arguments —
//! with real child processes (/bin/sh, sleep, true).

mod support;

use std::os::unix::fs::PermissionsExt;
use std::thread;
use std::time::{Duration, Instant};

use support::{finish, memmon, path_str, read_csv, run, scratch_dir, start, DEADLINE};

#[test]
fn exit_status_of_the_command_is_memmons() {
    assert_eq!(run(&["--", "true"]).code(), 0);
    assert_eq!(run(&["--", "sh", "-c", "exit 7"]).code(), 7);
}

#[test]
fn killed_command_exits_128_plus_signal_and_the_summary_names_it() {
    let done = run(&["--json", "--", "sh", "-c", "kill -9 $$"]);
    assert_eq!(done.code(), 128 + 9);
    let summary: serde_json::Value = serde_json::from_str(done.stderr.trim()).unwrap();
    assert_eq!(summary["signal"], 9);
    assert!(summary["exit_code"].is_null());

    let done = run(&["--", "sh", "-c", "kill -9 $$"]);
    assert!(
        done.stderr.contains("killed by SIGKILL (signal 9)"),
        "{}",
        done.stderr
    );
}

#[test]
fn missing_command_exits_127_with_one_line_and_no_summary_file() {
    let dir = scratch_dir("missing");
    let summary = dir.join("summary.json");
    let done = run(&[
        "--json",
        "--output",
        path_str(&summary),
        "--",
        "memmon-test-no-such-command",
    ]);
    assert_eq!(done.code(), 127);
    assert_eq!(done.stderr.lines().count(), 1, "{}", done.stderr);
    assert!(done.stderr.contains("memmon-test-no-such-command"));
    assert!(!summary.exists());
}

#[test]
fn exit_is_noticed_without_waiting_out_the_interval() {
    // A 120 s interval: after the first sample, only the child's exit can end the wait
    // (the run would otherwise hit the tests' 60 s deadline).
    let done = run(&["--json", "--interval", "120s", "--", "sleep", "0.2"]);
    assert_eq!(done.code(), 0);
    let json: serde_json::Value = serde_json::from_str(done.stderr.trim()).unwrap();
    assert!(json["elapsed_ms"].as_u64().unwrap() < 120_000, "{json}");
    assert_eq!(json["interval_ms"], 120_000);
}

#[test]
fn samples_racing_with_the_exit_are_dropped_not_zero() {
    // Short-lived children sampled every millisecond: many samples land while they exit.
    let dir = scratch_dir("race");
    let csv = dir.join("memory.csv");
    for _ in 0..20 {
        let done = run(&[
            "--quiet",
            "--interval",
            "1ms",
            "--csv",
            path_str(&csv),
            "--",
            "sh",
            "-c",
            ":",
        ]);
        assert_eq!(done.code(), 0);
    }
    for row in read_csv(&csv) {
        for value in [row.rss_bytes, row.vsz_bytes].into_iter().flatten() {
            assert!(value > 0, "a zero in {row:?}");
        }
        assert_ne!(row.rss_bytes, None, "{row:?}");
        assert!(
            row.pss_anon_bytes != Some(0) && row.pss_bytes != Some(0),
            "{row:?}"
        );
    }
}

#[test]
fn non_executable_command_exits_126_with_one_line() {
    let dir = scratch_dir("noexec");
    let script = dir.join("script.sh");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let done = run(&["--", path_str(&script)]);
    assert_eq!(done.code(), 126);
    assert_eq!(done.stderr.lines().count(), 1, "{}", done.stderr);
}

#[test]
fn bad_intervals_are_usage_errors_and_run_nothing() {
    let dir = scratch_dir("interval");
    let marker = dir.join("ran");
    for bad in ["0", "0ms", "-5ms", "abc", "100", "1.5ms", ""] {
        let done = run(&["--interval", bad, "--", "touch", path_str(&marker)]);
        assert_eq!(done.code(), 2, "--interval {bad:?}: {}", done.stderr);
        assert!(done.stderr.contains("--interval"), "{}", done.stderr);
        assert!(!marker.exists(), "--interval {bad:?} still ran the command");
    }
}

#[test]
fn child_output_stays_apart_from_the_summary() {
    let dir = scratch_dir("output");
    let summary = dir.join("summary.json");
    let done = run(&[
        "--json",
        "--output",
        path_str(&summary),
        "--",
        "sh",
        "-c",
        "echo to-stdout; echo to-stderr >&2",
    ]);
    assert_eq!(done.code(), 0);
    assert_eq!(done.stdout, "to-stdout\n");
    assert_eq!(done.stderr, "to-stderr\n");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(json["exit_code"], 0);
}

#[test]
fn quiet_writes_nothing_on_stderr() {
    let done = run(&["--quiet", "--", "sh", "-c", "exit 3"]);
    assert_eq!(done.code(), 3);
    assert_eq!(done.stderr, "");
}

#[test]
fn unwritable_csv_is_an_error_before_the_command_runs() {
    let dir = scratch_dir("badcsv");
    let marker = dir.join("ran");
    let csv = dir.join("no-such-dir").join("memory.csv");
    let done = run(&["--csv", path_str(&csv), "--", "touch", path_str(&marker)]);
    assert_eq!(done.code(), 125);
    assert_eq!(done.stderr.lines().count(), 1, "{}", done.stderr);
    assert!(done.stderr.contains("memory.csv"));
    assert!(!marker.exists());
}

/// Starts `memmon --json -- COMMAND` sampling every 20 ms and waits until it has taken a sample
/// (so the command runs and the handlers are installed); returns it and its summary's path.
fn start_sampled(test: &str, command_line: &[&str]) -> (std::process::Child, std::path::PathBuf) {
    let dir = scratch_dir(test);
    let csv = dir.join("memory.csv");
    let summary = dir.join("summary.json");
    let mut command = memmon();
    command.args(["--interval", "20ms", "--json", "--csv", path_str(&csv)]);
    command
        .args(["--output", path_str(&summary), "--"])
        .args(command_line);
    let child = start(command);
    let started = Instant::now();
    while !csv.exists() || read_csv(&csv).is_empty() {
        if started.elapsed() > DEADLINE {
            panic!("memmon took no sample within {DEADLINE:?}");
        }
        thread::sleep(Duration::from_millis(10));
    }
    (child, summary)
}

/// Starts `memmon -- sleep 30`, waits until it has taken a sample, sends `signal` to memmon, and
/// returns the finished run and its JSON.
fn signal_memmon(signal: libc::c_int, test: &str) -> (support::Finished, serde_json::Value) {
    let (child, summary) = start_sampled(test, &["sleep", "30"]);
    // SAFETY: kill with a live child's PID and a valid signal number.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
    let done = finish(child);
    let json = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    (done, json)
}

#[test]
fn sigint_is_forwarded_and_the_summary_is_still_written() {
    let (done, json) = signal_memmon(libc::SIGINT, "sigint");
    assert_eq!(done.code(), 128 + libc::SIGINT);
    assert_eq!(json["signal"], libc::SIGINT);
    assert!(json["samples"].as_u64().unwrap() >= 1);
    assert!(json["rss_bytes"]["max"].as_u64().unwrap() > 0);
}

#[test]
fn an_ignored_sigint_stays_ignored_for_the_command() {
    // `trap '' INT` makes the shell start memmon with SIGINT ignored; the command must inherit
    // that, so its own `kill -INT $$` does nothing and it exits normally.
    let memmon = env!("CARGO_BIN_EXE_memmon");
    let script = format!("trap '' INT; exec {memmon} -- sh -c 'kill -INT $$; exit 5'");
    let mut command = std::process::Command::new("sh");
    command.args(["-c", &script]);
    assert_eq!(finish(start(command)).code(), 5);
}

#[test]
fn sigterm_is_forwarded_and_the_summary_is_still_written() {
    let (done, json) = signal_memmon(libc::SIGTERM, "sigterm");
    assert_eq!(done.code(), 128 + libc::SIGTERM);
    assert_eq!(json["signal"], libc::SIGTERM);
    assert!(json["samples"].as_u64().unwrap() >= 1);
}

#[test]
fn sighup_is_forwarded_like_gnu_timeout_does() {
    let (done, json) = signal_memmon(libc::SIGHUP, "sighup");
    assert_eq!(done.code(), 128 + libc::SIGHUP);
    assert_eq!(json["signal"], libc::SIGHUP);
}

#[cfg(target_os = "linux")]
/// Waits until `path` holds a line (a PID written by a shell), within [`DEADLINE`].
fn read_pid_file(path: &std::path::Path) -> libc::pid_t {
    let started = Instant::now();
    loop {
        if let Some(pid) = std::fs::read_to_string(path)
            .ok()
            .filter(|text| text.ends_with('\n'))
            .and_then(|text| text.trim().parse().ok())
        {
            return pid;
        }
        assert!(started.elapsed() < DEADLINE, "no PID in {}", path.display());
        thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(target_os = "linux")]
/// Whether `pid` is gone or a zombie (dead, not yet reaped by its new parent).
fn is_dead(pid: libc::pid_t) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

#[cfg(target_os = "linux")]
#[test]
fn the_command_dies_when_memmon_is_killed() {
    let dir = scratch_dir("pdeathsig");
    let pid_file = dir.join("pid");
    let mut command = memmon();
    command.args([
        "--quiet",
        "--",
        "sh",
        "-c",
        "echo $$ > \"$0\"; exec sleep 30",
    ]);
    command.arg(&pid_file);
    let mut memmon = start(command);
    let sleeper = read_pid_file(&pid_file);
    memmon.kill().unwrap();
    memmon.wait().unwrap();
    // The kernel sends the parent-death signal as memmon dies; allow the new parent a while.
    let started = Instant::now();
    while !is_dead(sleeper) && started.elapsed() < Duration::from_secs(10) {
        thread::sleep(Duration::from_millis(10));
    }
    let dead = is_dead(sleeper);
    if !dead {
        // SAFETY: kill with a PID this test started (through memmon) and a valid signal.
        unsafe { libc::kill(sleeper, libc::SIGKILL) };
    }
    assert!(
        dead,
        "the command (PID {sleeper}) outlived a SIGKILLed memmon"
    );
}

/// memmon stopped for a second of a 1.5 s run at a 20 ms interval cannot have taken 90 % of its
/// ~75 scheduled samples: the JSON says so, and a warning goes to stderr.
#[test]
fn a_run_behind_schedule_is_flagged_and_warned_about() {
    let (child, summary) = start_sampled("behind", &["sleep", "1.5"]);
    let pid = child.id() as libc::pid_t;
    // SAFETY: kill with memmon's PID (our child, not yet waited for) and valid signals.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
    thread::sleep(Duration::from_secs(1));
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGCONT) }, 0);
    let done = finish(child);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let (samples, scheduled) = (json["samples"].as_u64(), json["scheduled_samples"].as_u64());
    assert!(scheduled.unwrap() >= 70, "{json}");
    assert!(samples.unwrap() < scheduled.unwrap(), "{json}");
    assert_eq!(json["behind_schedule"], true, "{json}");
    assert!(
        done.stderr.starts_with("memmon: warning: ") && done.stderr.contains("scheduled samples"),
        "{}",
        done.stderr
    );
}

/// `se.slice` (ns) of a task, from the scheduler's debug file; `None` where the kernel has none.
#[cfg(target_os = "linux")]
fn slice_ns(task: &str) -> Option<u64> {
    let sched = std::fs::read_to_string(format!("{task}/sched")).ok()?;
    let line = sched.lines().find(|l| l.starts_with("se.slice"))?;
    line.rsplit(':').next()?.trim().parse().ok()
}

/// memmon's sampling thread (its main thread) runs with a 0.1 ms slice, so it is on time among
/// many runnable threads; the command and the PSS reader keep the default. Kernels without
/// per-task slices (before 6.12) or without the scheduler's debug files cannot show it.
#[cfg(target_os = "linux")]
#[test]
fn only_the_sampling_thread_asks_for_a_short_slice() {
    let (mut child, _) = start_sampled("slice", &["sleep", "30"]);
    let memmon = format!("/proc/{}", child.id());
    let main = slice_ns(&format!("{memmon}/task/{}", child.id()));
    let children = std::fs::read_to_string(format!("{memmon}/task/{}/children", child.id()));
    let command = children
        .ok()
        .and_then(|pids| pids.split_whitespace().next().map(str::to_owned))
        .and_then(|pid| slice_ns(&format!("/proc/{pid}")));
    child.kill().unwrap();
    child.wait().unwrap();
    let (Some(main), Some(command)) = (main, command) else {
        eprintln!("no se.slice in /proc/PID/sched here: nothing to check");
        return;
    };
    if main == command {
        // A kernel before 6.12 keeps one slice for every task: the request is ignored there.
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
        let mut parts = release
            .trim()
            .split(['.', '-'])
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let version = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        assert!(
            version < (6, 12),
            "Linux {release}: memmon's slice {main} ns is the default"
        );
        return;
    }
    assert_eq!(main, 100_000, "memmon's sampling thread");
    assert!(
        command > main,
        "the command inherited the short slice: {command} ns"
    );
}
