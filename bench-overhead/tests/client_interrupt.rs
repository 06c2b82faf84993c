//! `kill -INT <client pid>` ends a run even when the client started with SIGINT ignored (as a
//! shell starts background jobs): every model stops, writes the rows it has — the unfinished jobs
//! failed as "interrupted" — and exits 130.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn sigint_ends_every_model_even_when_ignored_at_start() {
    let root = support::TempDir::new("interrupt-root");
    support::write_payload(&root.path().join("testpayload"), 1 << 20);
    // Head, then silence: every job waits for data until the signal comes.
    let server = support::start_builtin(root.path(), Some("stall-after-headers"));
    for model in support::ALL_MODELS {
        let out = support::TempDir::new("interrupt-out");
        let script = format!(
            "trap '' INT; exec \"$0\" run --variant {model} -c 3 --port {} --timeout 60s --json --csv-dir \"$1\"",
            server.port
        );
        let mut child = Command::new("sh")
            .args(["-c", &script])
            .arg(support::bin())
            .arg(out.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Give the jobs time to connect and wait; then interrupt (no timing is asserted).
        std::thread::sleep(Duration::from_millis(700));
        // SAFETY: kill(2) on our own child, not yet reaped, so its pid is still its own.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{model}: the client did not end after SIGINT");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            status.code(),
            Some(130),
            "{model}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let run: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(run["interrupted"], true, "{model}");
        assert_eq!(run["jobs_failed"], 3, "{model}");
        let jobs = std::fs::read_to_string(out.path().join("jobs.csv")).unwrap();
        let rows: Vec<&str> = jobs.lines().skip(1).collect();
        assert_eq!(rows.len(), 3, "{model}: {jobs}");
        assert!(
            rows.iter().all(|r| r.contains("interrupted: ")),
            "{model}: {jobs}"
        );
        let runs = std::fs::read_to_string(out.path().join("runs.csv")).unwrap();
        assert!(runs.contains("interrupted=3"), "{model}: {runs}");
    }
}
