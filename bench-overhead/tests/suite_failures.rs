//! Failed iterations: the suite records each one in meta.json's `failed_iterations`, goes on with
//! the next, finishes the folder as complete and exits 1. Two kinds: every job of every run fails
//! (a server that truncates each body), and a client that crashes in one variant and leaves no
//! record (its reason quotes the client's `error:` line, not the usage hint after it).

mod suite_common;
mod support;

use std::os::unix::fs::PermissionsExt;
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
    let bin = work.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let real = suite_common::bin_dir();
    std::os::unix::fs::symlink(real.join("memmon"), bin.join("memmon")).unwrap();
    let wrapper = bin.join("bench-overhead");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n\
             case \" $* \" in\n\
             *' run '*'--variant poll '*)\n\
             echo 'connecting to the server' >&2\n\
             echo 'error: the poll client crashed' >&2\n\
             echo \"For more information, try '--help'.\" >&2\n\
             kill -SEGV $$ ;;\n\
             esac\n\
             exec '{}' \"$@\"\n",
            real.join("bench-overhead").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();

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
