//! Response heads and the short text bodies of error responses.

use std::fmt::Write;

use super::SERVER_NAME;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    BadRequest,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    LengthRequired,
    ContentTooLarge,
    ExpectationFailed,
    HeadTooLarge,
    InternalError,
}

impl Status {
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::BadRequest => 400,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::RequestTimeout => 408,
            Status::LengthRequired => 411,
            Status::ContentTooLarge => 413,
            Status::ExpectationFailed => 417,
            Status::HeadTooLarge => 431,
            Status::InternalError => 500,
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::BadRequest => "Bad Request",
            Status::NotFound => "Not Found",
            Status::MethodNotAllowed => "Method Not Allowed",
            Status::RequestTimeout => "Request Timeout",
            Status::LengthRequired => "Length Required",
            Status::ContentTooLarge => "Content Too Large",
            Status::ExpectationFailed => "Expectation Failed",
            Status::HeadTooLarge => "Request Header Fields Too Large",
            Status::InternalError => "Internal Server Error",
        }
    }

    /// The body of an error response: the status line's words and a newline.
    pub fn error_body(self) -> String {
        format!("{} {}\n", self.code(), self.reason())
    }
}

/// A response head: status line, `Server`, `Content-Type`, `Content-Length`, `Connection`.
pub fn head(
    status: Status,
    minor_version: u8,
    content_type: &str,
    content_length: u64,
    keep_alive: bool,
) -> Vec<u8> {
    let mut head = String::with_capacity(192);
    let _ = write!(
        head,
        "HTTP/1.{minor_version} {} {}\r\nServer: {SERVER_NAME}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {content_length}\r\nConnection: {}\r\n",
        status.code(),
        status.reason(),
        if keep_alive { "keep-alive" } else { "close" }
    );
    if status == Status::MethodNotAllowed {
        head.push_str("Allow: GET, HEAD, PUT, POST\r\n");
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// The interim answer to `Expect: 100-continue`: send the body.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// The answer to an upload: 200 with the body bytes received as its body, in decimal and a
/// newline (`1048576\n`), the format `--help` and the client rely on.
pub fn upload_received(received: u64, minor_version: u8, keep_alive: bool) -> Vec<u8> {
    let body = format!("{received}\n");
    let mut bytes = head(
        Status::Ok,
        minor_version,
        TEXT,
        body.len() as u64,
        keep_alive,
    );
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

const TEXT: &str = "text/plain; charset=utf-8";

/// A complete error response (head and text body) in one buffer.
pub fn error(status: Status, minor_version: u8, keep_alive: bool, with_body: bool) -> Vec<u8> {
    let body = status.error_body();
    let mut bytes = head(status, minor_version, TEXT, body.len() as u64, keep_alive);
    if with_body {
        bytes.extend_from_slice(body.as_bytes());
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_name_the_server_and_length() {
        let text =
            String::from_utf8(head(Status::Ok, 0, "application/octet-stream", 42, false)).unwrap();
        assert!(text.starts_with("HTTP/1.0 200 OK\r\n"));
        assert!(text.contains(&format!("Server: {SERVER_NAME}\r\n")));
        assert!(text.contains("Content-Length: 42\r\n"));
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
        let error = String::from_utf8(error(Status::NotFound, 1, true, true)).unwrap();
        assert!(error.starts_with("HTTP/1.1 404 Not Found\r\n"));
        assert!(error.ends_with("\r\n\r\n404 Not Found\n"));
    }
}
