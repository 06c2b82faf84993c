//! Failed iterations: the suite records each one in meta.json's `failed_iterations`, goes on with
//! the next, finishes the folder as complete and exits 1. Two kinds: every job of every run fails
//! (a server that truncates each body), and a client that crashes in one variant and leaves no
//! record (its reason quotes the client's `error:` line, not the usage hint after it).

mod suite_common;
mod support;

use std::time::Duration;

use suite_common::{num, read_csv, read_meta, GroupRun};

#[test]
fn runs_whose_every_job_fails_are_recorded_and_the_suite_goes_on() {
    let root = support::TempDir::new("suite-fail-root");
    support::write_payload(&root.path().join("testpayload"), 1 << 20);
    let server = support::start_builtin(root.path(), Some("truncate"));
    let work = support::TempDir::new("suite-fail");
    let results = work.path().join("results");
    let mut suite = GroupRun::spawn(
        suite_common::suite_command(server.port, &results)
            .env("ITERATIONS", "2")
            .env("VARIANTS", "threaded poll")
            .env("CONNECTIONS", "2"),
        work.path(),
    );
    let status = suite.wait(Duration::from_secs(120), "with every job failing");
    let stderr = suite.stderr_text();
    assert_eq!(status.code(), Some(1), "exit status:\n{stderr}");

    let runs = read_csv(&results.join("runs.csv"));
    let ids: Vec<&str> = runs.iter().map(|r| r["run_id"].as_str()).collect();
    assert_eq!(ids, ["threaded-1", "threaded-2", "poll-1", "poll-2"]);
    for run in &runs {
        assert_eq!(num(run, "jobs_ok"), 0.0, "{run:?}");
        assert_eq!(num(run, "jobs_failed"), 2.0, "{run:?}");
    }
    let meta = read_meta(&results);
    assert_eq!(meta["status"], "complete", "{meta:#}");
    let failed = meta["failed_iterations"].as_array().unwrap();
    let failed_ids: Vec<&str> = failed
        .iter()
        .map(|f| f["run_id"].as_str().unwrap())
        .collect();
    assert_eq!(failed_ids, ids, "{meta:#}");
    for f in failed {
        assert_eq!(f["recorded"], true, "{f}");
        let reason = f["reason"].as_str().unwrap();
        assert!(reason.starts_with("2 of 2 jobs failed: "), "{reason}");
    }
    let stdout = suite.stdout_text();
    assert!(
        stdout.contains("note: failed iteration poll-2: 2 of 2 jobs failed"),
        "{stdout}"
    );
}

#[test]
fn a_client_that_crashes_in_one_variant_is_noted_and_the_others_run() {
    let root = support::TempDir::new("suite-crash-root");
    support::write_payload(&root.path().join("testpayload"), 1 << 20);
    let server = support::start_builtin(root.path(), None);
    let work = support::TempDir::new("suite-crash");
    let results = work.path().join("results");

    // A bench-overhead whose poll client writes a few lines and dies of SIGSEGV; every other
    // invocation (the threaded client, the suite's own steps) is the real binary.
    let bin = suite_common::wrapped_bin_dir(
        work.path(),
        "case \" $* \" in\n\
         *' run '*'--variant poll '*)\n\
         echo 'connecting to the server' >&2\n\
         echo 'error: the poll client crashed' >&2\n\
         echo \"For more information, try '--help'.\" >&2\n\
         kill -SEGV $$ ;;\n\
         esac\n",
    );

    let mut suite = GroupRun::spawn(
        suite_common::suite_command(server.port, &results)
            .env("BIN_DIR", &bin)
            .env("ITERATIONS", "2")
            .env("VARIANTS", "threaded poll")
            .env("CONNECTIONS", "2"),
        work.path(),
    );
    let status = suite.wait(Duration::from_secs(120), "with a crashing client");
    let stderr = suite.stderr_text();
    assert_eq!(status.code(), Some(1), "exit status:\n{stderr}");

    let runs = read_csv(&results.join("runs.csv"));
    let ids: Vec<&str> = runs.iter().map(|r| r["run_id"].as_str()).collect();
    assert_eq!(ids, ["threaded-1", "threaded-2"], "runs.csv");
    for run in &runs {
        assert_eq!(num(run, "jobs_ok"), 2.0, "{run:?}");
    }
    let meta = read_meta(&results);
    assert_eq!(meta["status"], "complete", "{meta:#}");
    assert_eq!(meta["runs_recorded"], 2);
    assert_eq!(
        meta["failed_iterations"],
        serde_json::json!([
            {"run_id": "poll-1", "recorded": false,
             "reason": "exit status 139: error: the poll client crashed"},
            {"run_id": "poll-2", "recorded": false,
             "reason": "exit status 139: error: the poll client crashed"},
        ]),
        "{meta:#}"
    );
    assert!(
        stderr.contains("poll 2/2: failed, no run record: exit status 139"),
        "{stderr}"
    );
}

/// The pids of live (not zombie) `bench-overhead` processes whose command line holds every one of
/// `words` (memmon's holds them too, after `--`: it is left out by its name).
fn processes_with(words: &[&str]) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_client = args[0].rsplit('/').next() == Some("bench-overhead");
        if is_client && words.iter().all(|w| args.iter().any(|a| a == w)) && alive(pid) {
            found.push(pid);
        }
    }
    found
}

/// Whether `pid` runs (a zombie has ended: only its parent's wait is missing).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat.rsplit_once(") ")?.1.chars().next()?;
            Some(state != 'Z')
        })
        .unwrap_or(false)
}

/// The parent of `pid`.
fn parent(pid: u32) -> u32 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit_once(") ").unwrap().1.split(' ').collect();
    fields[1].parse().unwrap()
}

/// memmon killed outright leaves its client running (stalled here, for up to a minute): the suite
/// stops it before the next iteration starts, and says so on the run's line.
#[test]
fn a_client_left_behind_by_a_killed_memmon_is_stopped_before_the_next_iteration() {
    let root = support::TempDir::new("suite-left-root");
    support::write_payload(&root.path().join("testpayload"), 1 << 20);
    let server = support::start_builtin(root.path(), Some("stall-after-headers"));
    let work = support::TempDir::new("suite-left");
    let results = work.path().join("results");
    let jobs_csv = results.join("jobs.csv").display().to_string();
    let suite = GroupRun::spawn(
        suite_common::suite_command(server.port, &results)
            .env("ITERATIONS", "2")
            .env("VARIANTS", "poll")
            .env("CONNECTIONS", "1")
            .env("TIMEOUT", "60s")
            .env("RUN_TIMEOUT", "60s"),
        work.path(),
    );
    let client = |id: &str| processes_with(&["run", "--run-id", id, "--jobs-csv", &jobs_csv]);
    let mut first = Vec::new();
    assert!(
        suite_common::wait_until(Duration::from_secs(30), || {
            first = client("poll-1");
            !first.is_empty()
        }),
        "the first client did not start:\n{}",
        suite.stderr_text()
    );
    let first = first[0];
    let memmon = parent(first);
    // SAFETY: kill(2) on the pid of the memmon this test's suite started (its client's parent).
    unsafe { libc::kill(memmon as libc::pid_t, libc::SIGKILL) };

    let mut second = Vec::new();
    assert!(
        suite_common::wait_until(Duration::from_secs(30), || {
            second = client("poll-2");
            !second.is_empty()
        }),
        "the second iteration did not start:\n{}",
        suite.stderr_text()
    );
    assert!(
        !alive(first),
        "the first client (pid {first}) still runs beside the second"
    );
    let stderr = suite.stderr_text();
    assert!(
        stderr.contains("memmon left its client running: stopped it before the next iteration"),
        "{stderr}"
    );
    // The second iteration is stalled too: stop the suite and its client (GroupRun's drop).
    drop(suite);
}
