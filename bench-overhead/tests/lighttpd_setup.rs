//! `scripts/lighttpd.sh`: the generated config passes `lighttpd -tt`, a real lighttpd started from
//! it serves the payload byte-exact, start/stop are idempotent and say so, and a missing lighttpd
//! is one clear line. Everything runs in temporary SETUP_DIR/PAYLOAD_DIR folders, never setup/.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/lighttpd.sh")
}

/// lighttpd set up by the script in temporary folders; stopped (by the script, and failing
/// that by its pid) when dropped, also when the test fails.
struct Lighttpd {
    dir: support::TempDir,
    port: u16,
}

impl Lighttpd {
    fn setup_dir(&self) -> PathBuf {
        self.dir.path().join("setup")
    }

    fn payload_dir(&self) -> PathBuf {
        self.dir.path().join("payloads")
    }

    fn script(&self, action: &str) -> Output {
        support::run_with_timeout(
            Command::new("sh")
                .arg(script())
                .arg(action)
                .env("PORT", self.port.to_string())
                .env("BIND", "127.0.0.1")
                .env("SETUP_DIR", self.setup_dir())
                .env("PAYLOAD_DIR", self.payload_dir()),
            TIMEOUT,
        )
    }
}

impl Drop for Lighttpd {
    fn drop(&mut self) {
        let _ = self.script("stop");
        if let Ok(pid) = std::fs::read_to_string(self.setup_dir().join("lighttpd.pid")) {
            let _ = Command::new("kill").arg("-9").arg(pid.trim()).status();
        }
    }
}

fn lighttpd_bin() -> &'static str {
    [
        "/usr/sbin/lighttpd",
        "/usr/bin/lighttpd",
        "/usr/local/sbin/lighttpd",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
    .unwrap_or("lighttpd")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn config_value<'a>(config: &'a str, key: &str) -> &'a str {
    config
        .lines()
        .find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim() == key).then(|| v.trim().trim_matches('"'))
        })
        .unwrap_or_else(|| panic!("{key} missing from the config"))
}

#[test]
fn generated_config_serves_the_payload_byte_exact() {
    let lighttpd = Lighttpd {
        dir: support::TempDir::new("lighttpd-setup"),
        port: support::free_port(),
    };
    std::fs::create_dir_all(lighttpd.payload_dir()).unwrap();
    std::fs::create_dir(lighttpd.payload_dir().join("folder")).unwrap();
    let payload = support::write_payload(&lighttpd.payload_dir().join("testpayload"), 2 << 20);

    let setup = lighttpd.script("setup");
    assert!(setup.status.success(), "{}", text(&setup));
    assert!(text(&setup).contains("lighttpd-start"), "{}", text(&setup));

    // The file: absolute document root, the port, the pid file and error log in SETUP_DIR,
    // room for 10,000 connections where the descriptor limit allows.
    let conf_path = lighttpd.setup_dir().join("lighttpd.conf");
    let config = std::fs::read_to_string(&conf_path).unwrap();
    let docroot = lighttpd.payload_dir().canonicalize().unwrap();
    assert_eq!(
        config_value(&config, "server.document-root"),
        docroot.to_str().unwrap()
    );
    assert_eq!(
        config_value(&config, "server.port"),
        lighttpd.port.to_string()
    );
    assert_eq!(config_value(&config, "server.bind"), "127.0.0.1");
    let setup_dir = lighttpd.setup_dir().canonicalize().unwrap();
    assert_eq!(
        config_value(&config, "server.pid-file"),
        setup_dir.join("lighttpd.pid").to_str().unwrap()
    );
    let max_fds: u64 = config_value(&config, "server.max-fds").parse().unwrap();
    let max_connections: u64 = config_value(&config, "server.max-connections")
        .parse()
        .unwrap();
    assert!(max_connections * 2 <= max_fds);
    let hard_limit =
        support::run_with_timeout(Command::new("sh").args(["-c", "ulimit -Hn"]), TIMEOUT);
    let hard_limit = String::from_utf8_lossy(&hard_limit.stdout)
        .trim()
        .to_string();
    if hard_limit == "unlimited" || hard_limit.parse::<u64>().unwrap() >= 20_000 {
        assert!(max_connections >= 10_000, "{max_connections}");
    }
    // Only static files: no access log (it would measure the disk), no directory listing.
    assert_eq!(
        config_value(&config, "server.modules"),
        "( \"mod_staticfile\" )"
    );
    assert!(!config.contains("accesslog.filename"));

    // lighttpd itself accepts it, silently.
    let check = support::run_with_timeout(
        Command::new(lighttpd_bin())
            .arg("-tt")
            .arg("-f")
            .arg(&conf_path),
        TIMEOUT,
    );
    assert!(
        check.status.success() && text(&check).is_empty(),
        "{}",
        text(&check)
    );

    let start = lighttpd.script("start");
    assert!(start.status.success(), "{}", text(&start));
    assert!(
        text(&start).contains("lighttpd started (pid"),
        "{}",
        text(&start)
    );
    let again = lighttpd.script("start");
    assert!(again.status.success());
    assert!(
        text(&again).contains("already running (pid"),
        "{}",
        text(&again)
    );

    let (head, body) = support::http_get(lighttpd.port, "/testpayload");
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "{head}");
    assert!(head.contains("Server: lighttpd/"), "{head}");
    assert!(body == payload, "body differs from the payload");

    // No directory listing.
    let mut folder = TcpStream::connect(("127.0.0.1", lighttpd.port)).unwrap();
    folder
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    folder.write_all(b"GET /folder/ HTTP/1.0\r\n\r\n").unwrap();
    let mut listing = Vec::new();
    folder.read_to_end(&mut listing).unwrap();
    let listing = String::from_utf8_lossy(&listing);
    assert!(
        listing.starts_with("HTTP/1.0 403") || listing.starts_with("HTTP/1.0 404"),
        "{listing}"
    );
    assert!(!listing.contains("testpayload"));

    let stop = lighttpd.script("stop");
    assert!(stop.status.success());
    assert!(text(&stop).contains("lighttpd stopped"), "{}", text(&stop));
    assert!(
        TcpStream::connect(("127.0.0.1", lighttpd.port)).is_err(),
        "still listening after stop"
    );
    let stopped = lighttpd.script("stop");
    assert!(stopped.status.success());
    assert!(text(&stopped).contains("not running"), "{}", text(&stopped));
}

#[test]
fn missing_lighttpd_is_one_line_with_the_install_command() {
    let dir = support::TempDir::new("lighttpd-missing");
    let output = support::run_with_timeout(
        Command::new("sh")
            .arg(script())
            .arg("setup")
            .env("LIGHTTPD", dir.path().join("no-such-lighttpd"))
            .env("SETUP_DIR", dir.path())
            .env("PAYLOAD_DIR", dir.path()),
        TIMEOUT,
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("apt-get install lighttpd"), "{stderr}");
    assert!(stderr.contains("pkgman install lighttpd"), "{stderr}");
    assert!(!dir.path().join("lighttpd.conf").exists());
}

#[test]
fn start_without_setup_and_bad_port_are_clear_errors() {
    let dir = support::TempDir::new("lighttpd-errors");
    let run = |action: &str, port: &str| {
        support::run_with_timeout(
            Command::new("sh")
                .arg(script())
                .arg(action)
                .env("PORT", port)
                .env("SETUP_DIR", dir.path().join("setup"))
                .env("PAYLOAD_DIR", dir.path()),
            TIMEOUT,
        )
    };
    let start = run("start", "8000");
    assert_eq!(start.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&start.stderr).contains("make setup-lighttpd"));
    let bad = run("setup", "eighty");
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("PORT=eighty"));
    let usage = run("restart", "8000");
    assert_eq!(usage.status.code(), Some(2));
}
