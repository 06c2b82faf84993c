//! `suite check`: before any iteration runs, make sure a server answers at the address and serves
//! the payload, so a missing server costs one line instead of ITERATIONS × variants failed runs.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};

use super::CheckConfig;
use crate::units::format_bytes;

/// How to get a server, for every message that says there is none.
const HOW_TO_START: &str =
    "start one with `make serve`, or `make setup-lighttpd && make lighttpd-start`";

/// What the probe learned from the response head.
#[derive(Debug, PartialEq)]
struct Head {
    status: u16,
    server: String,
    content_length: Option<u64>,
}

/// The exit status of `check --upload` when the server answers but takes no upload: the suite
/// skips its upload steps with the reason printed on stdout.
const NO_UPLOADS: u8 = 3;

pub fn run(args: CheckConfig) -> anyhow::Result<ExitCode> {
    let addr = target(&args.address, &args.port)?;
    if args.upload {
        return check_upload(addr, &args);
    }
    let head = probe(addr, &get_request(addr, &args.path), args.timeout)?;
    if head.status != 200 {
        bail!(
            "the server at {addr} answers {} for {}: create the payload with `make payload` \
             (or set PAYLOAD_PATH to a file it serves)",
            head.status,
            args.path
        );
    }
    let size = head
        .content_length
        .map_or_else(|| "size unknown".to_string(), format_bytes);
    let server = if head.server.is_empty() {
        "unnamed server"
    } else {
        head.server.as_str()
    };
    eprintln!("server at {addr}: {server}, {} is {size}", args.path);
    // stdout carries only the Server header, for meta.json.
    println!("{}", head.server);
    Ok(ExitCode::SUCCESS)
}

/// The server's socket address from the script's ADDRESS and PORT. The client connects to IP
/// addresses only: it resolves no host names, so that what is measured is the transfer alone and
/// the recorded address says exactly where the data came from.
fn target(address: &str, port: &str) -> anyhow::Result<SocketAddr> {
    let ip: IpAddr = address.trim().parse().map_err(|_| {
        anyhow!(
            "ADDRESS `{address}` is not an IP address: give one such as 127.0.0.1 or ::1 \
             (host names are not resolved; `getent hosts NAME` shows a name's addresses)"
        )
    })?;
    let port: u16 = port
        .trim()
        .parse()
        .ok()
        .filter(|&p| p != 0)
        .ok_or_else(|| anyhow!("PORT `{port}` is not a port number: give one from 1 to 65535"))?;
    Ok(SocketAddr::new(ip, port))
}

/// `check --upload`: a `PUT` of one byte, as the upload workload sends its body. lighttpd, for
/// one, has no handler for it (405, or 403/501 by version and modules): then the upload steps are
/// skipped, since every job would fail alike.
fn check_upload(addr: SocketAddr, args: &CheckConfig) -> anyhow::Result<ExitCode> {
    let request = format!(
        "PUT {} HTTP/1.1\r\nHost: {}\r\nContent-Length: 1\r\nConnection: close\r\n\
         User-Agent: bench-overhead-check\r\n\r\nx",
        args.path,
        host(addr)
    );
    let head = probe(addr, &request, args.timeout)?;
    if head.status == 200 {
        eprintln!("server at {addr}: takes uploads (PUT {}: 200)", args.path);
        println!("{}", head.server);
        return Ok(ExitCode::SUCCESS);
    }
    let name = head.server.split('/').next().unwrap_or_default().trim();
    let name = if name.is_empty() { "the server" } else { name };
    println!(
        "{name} accepts no uploads (PUT {}: HTTP {}): run WORKLOADS=upload against the built-in \
         server, `make serve`",
        args.path, head.status
    );
    Ok(ExitCode::from(NO_UPLOADS))
}

/// `Host` as a request names the address (IPv6 in brackets).
fn host(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(v4) => v4.ip().to_string(),
        SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
    }
}

fn get_request(addr: SocketAddr, path: &str) -> String {
    format!(
        "GET {path} HTTP/1.0\r\nHost: {}\r\nAccept: */*\r\nUser-Agent: bench-overhead-check\r\n\r\n",
        host(addr)
    )
}

fn probe(addr: SocketAddr, request: &str, timeout: Duration) -> anyhow::Result<Head> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(|err| {
        let why = match err.kind() {
            ErrorKind::ConnectionRefused => "connection refused".to_string(),
            ErrorKind::TimedOut | ErrorKind::WouldBlock => {
                format!("no answer within {} s", timeout.as_secs_f64())
            }
            _ => err.to_string(),
        };
        anyhow!("no server at {addr} ({why}): {HOW_TO_START}")
    })?;
    let deadline = Instant::now() + timeout;
    let lost = |err: std::io::Error| {
        anyhow!("the server at {addr} accepted but did not answer ({err}): {HOW_TO_START}")
    };
    stream.set_write_timeout(Some(timeout)).map_err(lost)?;
    stream.write_all(request.as_bytes()).map_err(lost)?;
    // Read only the head: the body may be hundreds of MiB and is not needed.
    let mut buffer = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            bail!("the server at {addr} sent no response head within {timeout:?}: {HOW_TO_START}");
        }
        stream.set_read_timeout(Some(left)).map_err(lost)?;
        let n = stream.read(&mut chunk).map_err(lost)?;
        if n == 0 && buffer.is_empty() {
            bail!("the server at {addr} closed the connection without answering: {HOW_TO_START}");
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(head) = parse_head(&buffer).map_err(|e| anyhow!("the server at {addr} {e}"))? {
            return Ok(head);
        }
        if n == 0 || buffer.len() > 64 * 1024 {
            bail!(
                "the server at {addr} sent no complete HTTP response head: is it an HTTP server?"
            );
        }
    }
}

/// Parses a response head; `Ok(None)` while it is incomplete.
fn parse_head(bytes: &[u8]) -> Result<Option<Head>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(bytes) {
        Ok(httparse::Status::Partial) => Ok(None),
        Ok(httparse::Status::Complete(_)) => {
            let header = |name: &str| {
                response
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case(name))
                    .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
            };
            Ok(Some(Head {
                status: response.code.unwrap_or(0),
                server: header("Server").unwrap_or_default(),
                content_length: header("Content-Length").and_then(|v| v.parse().ok()),
            }))
        }
        Err(err) => Err(format!(
            "sent a malformed HTTP response ({err}): is it an HTTP server?"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn parses_heads() {
        let head = b"HTTP/1.0 200 OK\r\nServer: lighttpd/1.4.69\r\nContent-Length: 42\r\n\r\nbody";
        assert_eq!(
            parse_head(head),
            Ok(Some(Head {
                status: 200,
                server: "lighttpd/1.4.69".into(),
                content_length: Some(42),
            }))
        );
        assert_eq!(parse_head(b"HTTP/1.0 404 Not"), Ok(None));
        assert!(parse_head(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
    }

    #[test]
    fn host_names_and_bad_ports_get_one_line() {
        assert_eq!(
            target("127.0.0.1", "8000").unwrap(),
            SocketAddr::from(([127, 0, 0, 1], 8000))
        );
        assert_eq!(target("::1", "80").unwrap().port(), 80);
        let err = format!("{:#}", target("localhost", "8000").unwrap_err());
        assert!(
            err.starts_with("ADDRESS `localhost` is not an IP address"),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
        for port in ["0", "65536", "http", ""] {
            let err = format!("{:#}", target("127.0.0.1", port).unwrap_err());
            assert!(err.starts_with(&format!("PORT `{port}`")), "{err}");
        }
    }

    #[test]
    fn refused_connection_says_how_to_start_a_server() {
        // Bind then drop: the port is free and nothing listens.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let err = probe(
            addr,
            &get_request(addr, "/testpayload"),
            Duration::from_secs(2),
        )
        .unwrap_err();
        let text = format!("{err:#}");
        assert!(text.starts_with(&format!("no server at {addr}")), "{text}");
        assert!(text.contains("make serve"), "{text}");
        assert!(!text.contains('\n'), "{text}");
    }
}
