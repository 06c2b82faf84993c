//! What the tests of `bench-overhead serve` share: a server started with `--port 0` (its port
//! read from the first stderr line, killed when the test ends) and HTTP exchanges on raw sockets.

#![allow(dead_code)] // each test binary uses its own subset

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support;

pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A `serve` started with `--port 0`, its port read from the first stderr line.
pub struct Served {
    pub child: Child,
    pub port: u16,
    pub first_line: String,
    pub stderr: mpsc::Receiver<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn serve(root: &Path, extra: &[&str]) -> Served {
    let mut command = Command::new(support::bin());
    command
        .args(["serve", "--port", "0", "--root"])
        .arg(root)
        .args(extra);
    serve_by(command)
}

/// Starts `command` (a `serve --port 0`, possibly through a shell) and reads its port.
pub fn serve_by(mut command: Command) -> Served {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bench-overhead serve");
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first_line = match rx.recv_timeout(TIMEOUT) {
        Ok(line) => line,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve printed no first line within {TIMEOUT:?}");
        }
    };
    let port = first_line
        .strip_prefix("listening on 127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line: {first_line}"));
    Served {
        child,
        port,
        first_line,
        stderr: rx,
    }
}

pub fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream
}

/// A response: status code, head text, body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then_some(value.trim())
        })
    }
}

pub fn parse_head(bytes: &[u8]) -> (u16, String, usize) {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head")
        + 4;
    let head = String::from_utf8(bytes[..end].to_vec()).unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, end)
}

/// Sends `request`, reads to EOF.
pub fn exchange_to_eof(port: u16, request: &[u8]) -> Response {
    let mut stream = connect(port);
    stream.write_all(request).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("read to EOF");
    let (status, head, end) = parse_head(&bytes);
    Response {
        status,
        head,
        body: bytes[end..].to_vec(),
    }
}

/// Reads one response framed by Content-Length from a kept-alive connection.
pub fn read_response(stream: &mut TcpStream, leftover: &mut Vec<u8>, head_only: bool) -> Response {
    let mut chunk = [0u8; 65536];
    while !leftover.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).expect("read head");
        assert!(n > 0, "connection closed before a head");
        leftover.extend_from_slice(&chunk[..n]);
    }
    let (status, head, end) = parse_head(leftover);
    leftover.drain(..end);
    let mut response = Response {
        status,
        head,
        body: Vec::new(),
    };
    let length: usize = if head_only {
        0
    } else {
        response.header("content-length").unwrap().parse().unwrap()
    };
    while leftover.len() < length {
        let n = stream.read(&mut chunk).expect("read body");
        assert!(n > 0, "connection closed mid-body");
        leftover.extend_from_slice(&chunk[..n]);
    }
    response.body = leftover.drain(..length).collect();
    response
}
