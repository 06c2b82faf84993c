//! `bench-overhead payload` and `scripts/payload.sh`: the same bytes every time and on every
//! machine, the exact size, and an identical file left alone.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

/// FNV-1a, 64-bit: a checksum the test computes itself, needing no tool or crate.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn payload(size: &str, out: &Path) -> std::process::Output {
    support::run_with_timeout(
        Command::new(support::bin())
            .args(["payload", "--size", size, "--out"])
            .arg(out),
        Duration::from_secs(60),
    )
}

#[test]
fn payload_is_deterministic_exact_and_pinned() {
    let dir = support::TempDir::new("payload");
    let a = dir.path().join("a");
    let b = dir.path().join("sub/b");
    assert!(payload("1MiB", &a).status.success());
    assert!(payload("1048576", &b).status.success());
    let first = std::fs::read(&a).unwrap();
    let second = std::fs::read(&b).unwrap();
    assert_eq!(first.len(), 1 << 20);
    assert_eq!(first, second);
    // Pinned: a change of generator, seed or byte order on any OS fails here. The 200 MiB
    // payload's SHA-256 (payloads/README.md) follows from the same stream.
    assert_eq!(fnv1a(&first), 0x03ee_8266_3347_3289);
    assert_eq!(
        &first[..8],
        &[0x7a, 0x48, 0x21, 0x9a, 0xe2, 0xb3, 0x83, 0x0d]
    );
    // The same generator as the tests' own payloads.
    let reference = support::write_payload(&dir.path().join("reference"), 1 << 20);
    assert_eq!(first, reference);
    // Sizes that are not a multiple of the 8-byte word are exact too.
    let odd = dir.path().join("odd");
    assert!(payload("1001", &odd).status.success());
    assert_eq!(std::fs::read(&odd).unwrap(), first[..1001]);
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.iter().all(|n| !n.contains("partial")), "{names:?}");
}

#[test]
fn identical_payload_is_skipped_and_a_different_one_rewritten() {
    let dir = support::TempDir::new("payload-skip");
    let out = dir.path().join("testpayload");
    assert!(payload("64KiB", &out).status.success());
    let written = std::fs::metadata(&out).unwrap().modified().unwrap();
    std::thread::sleep(Duration::from_millis(20));

    let again = payload("64KiB", &out);
    assert!(again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("left as is"), "{stderr}");
    assert_eq!(
        std::fs::metadata(&out).unwrap().modified().unwrap(),
        written
    );

    // One flipped byte: rewritten, not skipped.
    let mut bytes = std::fs::read(&out).unwrap();
    bytes[1000] ^= 1;
    std::fs::write(&out, &bytes).unwrap();
    let fixed = payload("64KiB", &out);
    assert!(String::from_utf8_lossy(&fixed.stderr).contains("wrote"));
    assert_eq!(
        std::fs::read(&out).unwrap(),
        support::write_payload(&dir.path().join("reference"), 64 << 10)
    );
    assert_ne!(
        std::fs::metadata(&out).unwrap().modified().unwrap(),
        SystemTime::UNIX_EPOCH
    );
}

#[test]
fn bad_size_is_a_clear_error() {
    let dir = support::TempDir::new("payload-bad");
    let out = payload("12 parsecs", &dir.path().join("x"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("size unit"));
}

#[test]
fn a_folder_or_unwritable_destination_is_refused_up_front() {
    let dir = support::TempDir::new("payload-dest");
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    let out = payload("64MiB", &folder);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is a folder"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    // Nothing was written beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["folder"], "{names:?}");

    // A folder nobody may create files in, not even root (sysfs): refused before any byte
    // is generated, in one line.
    #[cfg(target_os = "linux")]
    {
        let out = payload("64MiB", Path::new("/sys/testpayload"));
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("cannot create a file in /sys: check the folder is writable"),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
fn payload_script_writes_payload_and_hello() {
    let dir = support::TempDir::new("payload-script");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/payload.sh");
    let bin_dir = support::bin().parent().unwrap().to_path_buf();
    let out = support::run_with_timeout(
        Command::new("sh")
            .arg(&script)
            .env("PAYLOAD_SIZE", "1")
            .env("PAYLOAD_DIR", dir.path())
            .env("BIN_DIR", &bin_dir),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let payload = std::fs::read(dir.path().join("testpayload")).unwrap();
    assert_eq!(payload.len(), 1 << 20);
    assert_eq!(fnv1a(&payload), 0x03ee_8266_3347_3289);
    assert_eq!(
        std::fs::read(dir.path().join("hello")).unwrap(),
        b"Hello, world\n"
    );
    let bad = support::run_with_timeout(
        Command::new("sh")
            .arg(&script)
            .env("PAYLOAD_SIZE", "lots")
            .env("PAYLOAD_DIR", dir.path())
            .env("BIN_DIR", &bin_dir),
        Duration::from_secs(60),
    );
    assert_eq!(bad.status.code(), Some(2));
}
