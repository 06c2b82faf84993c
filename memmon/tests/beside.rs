//! What memmon samples beside the command: a second process (`--also PID`) and the kernel's TCP
//! socket memory (`--sockets`), against real processes and real sockets.

mod support;

use std::io::{ErrorKind, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use support::run;

fn json_of(stdout_or_stderr: &str) -> serde_json::Value {
    serde_json::from_str(stdout_or_stderr.trim()).expect("memmon's JSON summary")
}

/// This test process as the `--also` process, a thread of it busy while memmon runs: its CPU over
/// the command's run is above zero, its memory is sampled, and its switches are counted.
#[cfg(target_os = "linux")]
#[test]
fn a_second_process_has_its_cpu_and_memory_measured() {
    let stop = Arc::new(AtomicBool::new(false));
    let spinner = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let started = Instant::now();
            // Bounded: the command below takes 0.5 s.
            while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(20) {
                std::hint::spin_loop();
            }
        })
    };
    let pid = std::process::id().to_string();
    let done = run(&["--json", "--also", &pid, "--", "sleep", "0.5"]);
    stop.store(true, Ordering::Relaxed);
    spinner.join().unwrap();
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let json = json_of(&done.stderr);
    let also = &json["also"];
    assert_eq!(also["pid"].as_u64(), Some(u64::from(std::process::id())));
    let cpu = also["cpu_user_s"].as_f64().unwrap() + also["cpu_sys_s"].as_f64().unwrap();
    assert!(
        cpu > 0.0,
        "a spinning thread for 0.5 s shows no CPU: {also}"
    );
    assert!(also["ctx_voluntary"].as_u64().is_some(), "{also}");
    assert!(also["ctx_involuntary"].as_u64().is_some(), "{also}");
    assert!(also["samples"].as_u64().unwrap() >= 1, "{also}");
    assert!(also["rss_bytes"]["min"].as_u64().unwrap() > 0, "{also}");
    // Not asked for: absent, not zero.
    assert!(json["sockets"].is_null());
}

#[test]
fn a_process_that_does_not_exist_is_refused_before_the_command_runs() {
    let dir = support::scratch_dir("also-missing");
    let marker = dir.join("ran");
    let touch = format!("touch {}", support::path_str(&marker));
    for pid in ["4000000000", "0"] {
        let done = run(&["--also", pid, "--", "sh", "-c", &touch]);
        assert_eq!(done.code(), 125, "{}", done.stderr);
        assert!(
            done.stderr.starts_with(&format!("memmon: --also {pid}: ")),
            "{}",
            done.stderr
        );
        assert_eq!(done.stderr.trim().lines().count(), 1, "{}", done.stderr);
    }
    assert!(!marker.exists(), "the command ran despite a bad --also");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A loopback connection whose receiver never reads holds data in both sockets' buffers: the
/// kernel's TCP memory is then above zero while memmon samples.
#[cfg(target_os = "linux")]
#[test]
fn socket_memory_is_sampled_while_a_connection_holds_data() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let receiver = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut sender, _) = listener.accept().unwrap();
    sender.set_nonblocking(true).unwrap();
    let chunk = vec![7u8; 64 << 10];
    let mut sent = 0usize;
    // Until both buffers are full (bounded: loopback buffers are a few MiB at most).
    while sent < (256 << 20) {
        match sender.write(&chunk) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => panic!("write: {e}"),
        }
    }
    assert!(sent > 0);
    let done = run(&["--json", "--sockets", "--", "sleep", "0.3"]);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let sockets = &json_of(&done.stderr)["sockets"];
    assert!(sockets["samples"].as_u64().unwrap() >= 1, "{sockets}");
    // The listener and both ends of the connection, in this network namespace.
    assert!(
        sockets["tcp_inuse_start"].as_u64().unwrap() >= 3,
        "{sockets}"
    );
    let mem = &sockets["tcp_mem_bytes"];
    assert!(
        mem["min"].as_u64().unwrap() > 0,
        "{sent} bytes held, {sockets}"
    );
    assert!(mem["max"].as_u64() >= mem["min"].as_u64(), "{sockets}");
    drop((receiver, sender));
}
