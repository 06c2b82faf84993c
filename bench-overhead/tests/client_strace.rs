//! Every model and backend under `strace -f -c`: the client's own counts equal strace's, kind by
//! kind (socket, fcntl, sockopt, connect, send, recv, wait, ctl, submit, close, connect_wait, and
//! thread spawns against clone). `suite syscalls` makes the comparison `make trace` prints and
//! fails on any difference; the calls that are not the client's are listed by name there.

mod support;

use std::process::Command;
use std::time::Duration;

fn strace_available() -> bool {
    Command::new("strace")
        .args(["-f", "-c", "-o", "/dev/null", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn every_model_counts_what_strace_sees() {
    if !strace_available() {
        support::skip("strace is not installed or cannot trace here (apt-get install strace)");
        return;
    }
    let root = support::TempDir::new("strace-root");
    support::write_payload(&root.path().join("payload"), 1 << 20);
    let server = support::start_lighttpd(root.path());
    let args = ["--path", "/payload", "--buffer-size", "64KiB"];
    check_every_model(server.port, "download", &args);
}

/// The request-rate and upload workloads: keep-alive (closed and open loop) and churn requests
/// against lighttpd (churn: a socket, connect and close per request), uploads against the built-in
/// server, every model counted as strace counts.
#[test]
fn every_model_counts_what_strace_sees_in_the_other_workloads() {
    if !strace_available() {
        support::skip("strace is not installed or cannot trace here (apt-get install strace)");
        return;
    }
    let root = support::TempDir::new("strace-root");
    std::fs::write(root.path().join("hello"), b"Hello, world\n").unwrap();
    let lighttpd = support::start_lighttpd(root.path());
    let keepalive = [
        "--workload",
        "keepalive",
        "--requests",
        "30",
        "--threads",
        "2",
    ];
    check_every_model(lighttpd.port, "keepalive", &keepalive);
    let churn = ["--workload", "churn", "--requests", "20", "--threads", "2"];
    check_every_model(lighttpd.port, "churn", &churn);
    // The open loop: waits bounded by the schedule's timers, sleeps in the threaded model.
    let open_loop = [
        "--workload",
        "keepalive",
        "--rate",
        "1000",
        "--duration",
        "500ms",
    ];
    check_every_model(lighttpd.port, "keepalive --rate", &open_loop);
    let builtin = support::start_builtin(root.path(), None);
    let upload = ["--workload", "upload", "--upload-size", "256KiB"];
    check_every_model(builtin.port, "upload", &upload);
}

/// Runs every model under `strace -f -c` with `args` against `port` and requires `suite
/// syscalls` to find every kind equal.
fn check_every_model(port: u16, label: &str, args: &[&str]) {
    let out = support::TempDir::new("strace-out");
    for model in support::ALL_MODELS {
        let name = model.replace(':', "-");
        let trace = out.path().join(format!("{name}.strace"));
        let run = out.path().join(format!("{name}.json"));
        let output = support::run_with_timeout(
            Command::new("strace")
                .args(["-f", "-c", "-o"])
                .arg(&trace)
                .arg(support::bin())
                .args(["run", "--json", "--variant", model, "-c", "10"])
                .args(["--address", "127.0.0.1", "--port", &port.to_string()])
                .args(args),
            Duration::from_secs(60),
        );
        let model = format!("{label} {model}");
        assert!(
            output.status.success(),
            "{model}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::write(&run, &output.stdout).unwrap();
        let compared = support::run_with_timeout(
            Command::new(support::bin())
                .args(["suite", "syscalls", "--strace"])
                .arg(&trace)
                .arg("--run")
                .arg(&run),
            Duration::from_secs(30),
        );
        let table = String::from_utf8_lossy(&compared.stdout);
        assert!(
            compared.status.success() && table.contains("agree: every kind matches strace"),
            "{model}:\n{table}{}",
            String::from_utf8_lossy(&compared.stderr)
        );
        // The kinds the model is made of were compared, not skipped.
        for kind in ["socket", "close"] {
            assert!(
                table.lines().any(|l| l.trim_start().starts_with(kind)),
                "{model}: no {kind} row in\n{table}"
            );
        }
        // What is not the client's is named, not hidden.
        assert!(table.contains("not the client's code"), "{model}:\n{table}");
    }
}
