//! Ctrl-C in the middle of bench-overhead.sh: the suite stops cleanly, keeps every row written so
//! far, marks meta.json partial, and every file's rows still parse.

mod support;

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn rows(path: &Path) -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_path(path)
        .unwrap_or_else(|e| panic!("{} does not open: {e}", path.display()));
    let width = reader.headers().unwrap().len();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{}: a row does not parse: {e}", path.display()));
            assert_eq!(r.len(), width, "{}: a row is cut short", path.display());
            r
        })
        .collect()
}

#[test]
fn sigint_leaves_a_partial_folder_whose_rows_parse() {
    let root = support::TempDir::new("suite-int-root");
    support::write_payload(&root.path().join("testpayload"), 4 << 20);
    let server = support::start_lighttpd(root.path());
    let work = support::TempDir::new("suite-int");
    let results = work.path().join("results");
    let bin_dir = support::bin().parent().unwrap().to_path_buf();
    assert!(
        bin_dir.join("memmon").exists(),
        "memmon is not built: run `make test`"
    );

    // Its own process group, so the SIGINT reaches the shell, memmon and the client at once, as a
    // terminal's Ctrl-C does.
    let mut child = Command::new("sh")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench-overhead.sh"))
        .arg("127.0.0.1")
        .arg(server.port.to_string())
        .env("ITERATIONS", "50")
        .env("CONNECTIONS", "8")
        .env("INTERVAL", "50ms")
        .env("BIN_DIR", &bin_dir)
        .env("RESULTS", &results)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pgid = child.id() as i32;
    let kill_group = |signal| {
        // SAFETY: kill(2) with a negative pid signals the process group we created above.
        unsafe { libc::kill(-pgid, signal) };
    };

    // Wait for two rows (an iteration is then surely under way or just ending), then Ctrl-C.
    let runs_csv = results.join("runs.csv");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let written = std::fs::read_to_string(&runs_csv).map_or(0, |t| t.lines().count());
        if written >= 3 {
            break;
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            kill_group(libc::SIGKILL);
            let _ = child.wait();
            panic!("the suite wrote no two runs within 90 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    kill_group(libc::SIGINT);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            kill_group(libc::SIGKILL);
            let _ = child.wait();
            panic!("the suite did not stop within 60 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130), "exit status after SIGINT");

    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("meta.json")).unwrap()).unwrap();
    assert_eq!(meta["status"], "partial");
    assert!(meta["ended_utc"].is_string());
    let runs = rows(&runs_csv);
    assert!(runs.len() >= 2 && runs.len() < 100, "{} runs", runs.len());
    assert_eq!(meta["runs_recorded"], runs.len());
    let run_ids: BTreeSet<String> = runs.iter().map(|r| r[0].to_string()).collect();
    // Every recorded run has all of its job rows; jobs of the interrupted run may be there too.
    let jobs = rows(&results.join("jobs.csv"));
    for id in &run_ids {
        assert_eq!(
            jobs.iter().filter(|j| &j[0] == id).count(),
            8,
            "jobs of {id}"
        );
    }
    rows(&results.join("memory.csv"));
    assert!(results.join("summary.md").exists());
    let summary = support::run_with_timeout(
        Command::new(support::bin()).arg("summarize").arg(&results),
        Duration::from_secs(30),
    );
    assert!(summary.status.success());
    assert!(String::from_utf8_lossy(&summary.stdout).contains("status partial"));
}
