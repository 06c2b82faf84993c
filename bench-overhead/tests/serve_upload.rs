//! Uploads to the built-in server over real loopback sockets: PUT and POST bodies framed by
//! Content-Length are counted and discarded and answered 200 with the count ("N\n"), on a
//! connection kept alive; 413 over `--max-upload` before the body is read, 411 without a length,
//! and `Expect: 100-continue` answered before the body is sent.

mod serve_common;
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;

use serve_common::{connect, read_response, serve, Served};

const HELLO: &[u8] = b"Hello, world!\n";

fn server(extra: &[&str]) -> (Served, support::TempDir) {
    let dir = support::TempDir::new("upload");
    std::fs::write(dir.path().join("hello"), HELLO).unwrap();
    (serve(dir.path(), extra), dir)
}

/// Reads exactly `len` bytes.
fn read_exactly(stream: &mut TcpStream, len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    stream.read_exact(&mut bytes).expect("the bytes expected");
    bytes
}

#[test]
fn bodies_are_counted_on_a_connection_kept_alive() {
    let (server, _dir) = server(&[]);
    let mut stream = connect(server.port);
    let mut leftover = Vec::new();
    // 32 MiB of body, written while the server reads it (many turns of its read loop).
    let body = vec![0x5a; 32 << 20];
    stream
        .write_all(
            format!(
                "PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
    stream.write_all(&body).unwrap();
    let put = read_response(&mut stream, &mut leftover, false);
    assert_eq!(put.status, 200, "{}", put.head);
    assert_eq!(put.body, format!("{}\n", body.len()).as_bytes());
    assert_eq!(put.header("connection"), Some("keep-alive"));
    // The same connection: a POST whose small body and a pipelined GET come in one write with
    // its head, then an empty POST.
    stream
        .write_all(
            b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde\
              GET /hello HTTP/1.1\r\nHost: x\r\n\r\n\
              POST /empty HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        )
        .unwrap();
    let post = read_response(&mut stream, &mut leftover, false);
    assert_eq!((post.status, &post.body[..]), (200, &b"5\n"[..]));
    let hello = read_response(&mut stream, &mut leftover, false);
    assert_eq!((hello.status, &hello.body[..]), (200, HELLO));
    let empty = read_response(&mut stream, &mut leftover, false);
    assert_eq!((empty.status, &empty.body[..]), (200, &b"0\n"[..]));
    // HTTP/1.0 closes after the answer.
    let mut once = connect(server.port);
    once.write_all(b"PUT /u HTTP/1.0\r\nContent-Length: 3\r\n\r\nxyz")
        .unwrap();
    let mut answer = Vec::new();
    once.read_to_end(&mut answer).unwrap();
    let text = String::from_utf8(answer).unwrap();
    assert!(text.starts_with("HTTP/1.0 200 OK\r\n"), "{text}");
    assert!(
        text.contains("Connection: close\r\n") && text.ends_with("\r\n\r\n3\n"),
        "{text}"
    );
}

#[test]
fn expect_100_continue_is_answered_before_the_body() {
    let (server, _dir) = server(&[]);
    let mut stream = connect(server.port);
    stream
        .write_all(
            b"PUT /u HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n",
        )
        .unwrap();
    // Nothing of the body is sent until the server says so.
    let interim = read_exactly(&mut stream, b"HTTP/1.1 100 Continue\r\n\r\n".len());
    assert_eq!(interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(&vec![1u8; 100_000]).unwrap();
    let response = read_response(&mut stream, &mut Vec::new(), false);
    assert_eq!(
        (response.status, &response.body[..]),
        (200, &b"100000\n"[..])
    );
}

#[test]
fn a_body_over_the_limit_is_refused_before_it_is_sent() {
    let (server, _dir) = server(&["--max-upload", "1KiB"]);
    for expect in ["", "Expect: 100-continue\r\n"] {
        let mut stream = connect(server.port);
        // Only the head: the answer must come without a byte of the body.
        stream
            .write_all(
                format!("PUT /u HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n{expect}\r\n")
                    .as_bytes(),
            )
            .unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).expect("413, then EOF");
        let text = String::from_utf8(answer).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 413 Content Too Large\r\n"),
            "{expect}{text}"
        );
        assert!(text.contains("Connection: close\r\n"), "{text}");
    }
    // At the limit: accepted.
    let mut stream = connect(server.port);
    stream
        .write_all(b"PUT /u HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n")
        .unwrap();
    stream.write_all(&[7u8; 1024]).unwrap();
    let response = read_response(&mut stream, &mut Vec::new(), false);
    assert_eq!((response.status, &response.body[..]), (200, &b"1024\n"[..]));
}

#[test]
fn uploads_without_a_length_are_refused() {
    let (server, _dir) = server(&[]);
    for request in [
        &b"PUT /u HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        b"POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n",
    ] {
        let mut stream = connect(server.port);
        stream.write_all(request).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).expect("411, then EOF");
        let text = String::from_utf8(answer).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 411 Length Required\r\n"),
            "{text}"
        );
    }
}
