//! The built-in server against clients and trees that attack it: a folder swapped for a symlink
//! out of the root while requests run, and a request head dripped a byte at a time.

mod serve_common;
mod support;

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serve_common::{connect, read_response, serve};

const INSIDE: &[u8] = b"inside the root\n";
const SECRET: &[u8] = b"TOP SECRET: outside the root\n";

/// Swaps to run requests through (the server before the fix leaked within a few hundred).
const SWAPS: u64 = 3000;
/// Swaps that must have happened while requests ran, so the race was really run.
const MIN_SWAPS: u64 = 1000;
/// Bounds the test whatever the machine does.
const MAX_REQUESTS: u64 = 300_000;

/// Exchanges `root/dir` (a real folder) and `root/link` (a symlink to `outside/dir`) in one
/// atomic step (`renameat2(RENAME_EXCHANGE)`), over and over until `stop`, so `dir` is always
/// there, half the time the one and half the time the other. Before each exchange the real
/// folder gets a new `file` (a new inode), so the server cannot keep serving a file it already
/// holds open and opens one again on nearly every request.
fn swap_until(root: &Path, stop: &AtomicBool, swaps: &AtomicU64) {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let dir = CString::new(root.join("dir").as_os_str().as_bytes()).unwrap();
    let link = CString::new(root.join("link").as_os_str().as_bytes()).unwrap();
    let mut generation = 0u64;
    while !stop.load(Ordering::Relaxed) {
        generation += 1;
        // The real folder is `dir` after an even number of exchanges, `link` after an odd one.
        let real = root.join(if generation % 2 == 1 { "dir" } else { "link" });
        let fresh = real.join("file.new");
        std::fs::write(&fresh, INSIDE).unwrap();
        std::fs::rename(&fresh, real.join("file")).unwrap();
        // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                dir.as_ptr(),
                libc::AT_FDCWD,
                link.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        assert_eq!(rc, 0, "renameat2: {}", std::io::Error::last_os_error());
        swaps.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_folder_swapped_for_a_symlink_never_leaks_outside_files() {
    let dir = support::TempDir::new("swap");
    let root = dir.path().join("root");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(root.join("dir")).unwrap();
    std::fs::create_dir_all(outside.join("dir")).unwrap();
    std::fs::write(outside.join("dir/file"), SECRET).unwrap();
    std::os::unix::fs::symlink(outside.join("dir"), root.join("link")).unwrap();
    let server = serve(&root, &[]);

    let stop = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicU64::new(0));
    let swapper = {
        let root = root.clone();
        let (stop, swaps) = (Arc::clone(&stop), Arc::clone(&swaps));
        std::thread::spawn(move || swap_until(&root, &stop, &swaps))
    };
    let mut stream = connect(server.port);
    let mut leftover = Vec::new();
    let (mut served, mut refused, mut requests) = (0u64, 0u64, 0u64);
    while requests < MAX_REQUESTS && (swaps.load(Ordering::Relaxed) < SWAPS || served == 0) {
        requests += 1;
        stream
            .write_all(b"GET /dir/file HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let response = read_response(&mut stream, &mut leftover, false);
        assert!(
            response.body != SECRET,
            "request {requests} was answered with a file outside the root"
        );
        match response.status {
            200 => {
                assert_eq!(response.body, INSIDE);
                served += 1;
            }
            404 => refused += 1,
            status => panic!("request {requests}: status {status}"),
        }
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    let swaps = swaps.load(Ordering::Relaxed);
    assert!(
        swaps >= MIN_SWAPS && served > 0 && refused > 0,
        "the race did not run: {swaps} swaps, {served} served, {refused} refused in {requests} requests"
    );
}

/// A head dripped a byte at a time, each byte well inside `--idle-timeout`, is cut off by
/// `--header-timeout` with a 408 while bytes are still coming; a head that arrives whole on
/// the same server is served.
#[test]
fn a_dripped_head_is_cut_off_with_408() {
    let dir = support::TempDir::new("drip-head");
    std::fs::write(dir.path().join("hello"), INSIDE).unwrap();
    let server = serve(
        dir.path(),
        &["--idle-timeout", "10s", "--header-timeout", "500ms"],
    );
    let mut stream = connect(server.port);
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    // 600 bytes a tenth of a second apart would take a minute; the head never ends.
    let drip = format!(
        "GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: {}",
        "a".repeat(600)
    );
    let mut answer = Vec::new();
    let mut closed = false;
    for byte in drip.as_bytes() {
        if stream.write_all(std::slice::from_ref(byte)).is_err() {
            closed = true;
            break;
        }
        let mut chunk = [0u8; 512];
        match stream.read(&mut chunk) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => {
                closed = true;
                break;
            }
            Err(_) => {} // the read timeout: nothing yet, send the next byte
        }
    }
    assert!(closed, "the server kept a dripped head for a minute");
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{text}"
    );
    assert!(text.contains("Connection: close\r\n"), "{text}");

    let mut whole = connect(server.port);
    whole
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let response = read_response(&mut whole, &mut Vec::new(), false);
    assert_eq!((response.status, &response.body[..]), (200, INSIDE));
}
