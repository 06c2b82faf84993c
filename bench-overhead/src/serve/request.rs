//! Request heads: parsed with `httparse`, checked, and reduced to what the server acts on.
//!
//! Only GET and HEAD without a body are served; anything the server would have to guess about is
//! refused with a status and the connection closed, never half-understood.

use super::response::Status;

/// The largest request head accepted; a longer one gets 431.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;

/// Headers a head may carry before it counts as too large (431).
const MAX_HEADERS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
}

/// A request the server will answer.
#[derive(Debug)]
pub struct Request {
    pub method: Method,
    /// The request target exactly as sent (resolved by `path.rs`).
    pub target: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1; the response uses the same.
    pub minor_version: u8,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
}

#[derive(Debug)]
pub enum Parsed {
    /// More bytes are needed.
    Incomplete,
    /// A request, and the length of its head in the buffer.
    Request(Request, usize),
    /// A head the server refuses: answer `status` (in HTTP/1.`minor`) and close.
    Refused(Status, u8),
}

/// Parses the head at the start of `buf`.
pub fn parse(buf: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut head = httparse::Request::new(&mut headers);
    let head_len = match head.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD_BYTES => {
            return Parsed::Refused(Status::HeadTooLarge, head.version.unwrap_or(1))
        }
        Ok(httparse::Status::Partial) => return Parsed::Incomplete,
        Err(httparse::Error::TooManyHeaders) => {
            return Parsed::Refused(Status::HeadTooLarge, head.version.unwrap_or(1))
        }
        // Answer in the request's own version when the request line got that far.
        Err(_) => return Parsed::Refused(Status::BadRequest, head.version.unwrap_or(1)),
    };
    let minor_version = head.version.unwrap_or(1);
    let refuse = |status| Parsed::Refused(status, minor_version);
    let method = match head.method {
        Some("GET") => Method::Get,
        Some("HEAD") => Method::Head,
        _ => return refuse(Status::MethodNotAllowed),
    };
    let Some(target) = head.path else {
        return refuse(Status::BadRequest);
    };
    let mut keep_alive = minor_version >= 1;
    let mut has_host = false;
    for header in head.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("host") {
            // RFC 9112 §3.2: more than one Host line is a 400, whatever the version.
            if has_host {
                return refuse(Status::BadRequest);
            }
            has_host = true;
        } else if name.eq_ignore_ascii_case("connection") {
            for token in header.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                if token.eq_ignore_ascii_case(b"close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    keep_alive = true;
                }
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            // GET and HEAD carry no body; one the server would not read would be taken for the
            // next request.
            if header.value.trim_ascii() != b"0" {
                return refuse(Status::BadRequest);
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return refuse(Status::BadRequest);
        }
    }
    // RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without Host.
    if minor_version >= 1 && !has_host {
        return refuse(Status::BadRequest);
    }
    Parsed::Request(
        Request {
            method,
            target: target.to_owned(),
            minor_version,
            keep_alive,
        },
        head_len,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Request {
        match parse(text.as_bytes()) {
            Parsed::Request(request, len) => {
                assert_eq!(len, text.len());
                request
            }
            other => panic!("{other:?}"),
        }
    }

    fn refused(text: &[u8]) -> Status {
        refused_in(text).0
    }

    /// The refusal's status and the HTTP/1.x minor version it is answered in.
    fn refused_in(text: &[u8]) -> (Status, u8) {
        match parse(text) {
            Parsed::Refused(status, minor) => (status, minor),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refusals_answer_in_the_requests_version_when_known() {
        assert_eq!(
            refused_in(b"GET / HTTP/1.0\r\nBad Header\r\n\r\n"),
            (Status::BadRequest, 0)
        );
        assert_eq!(
            refused_in(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"),
            (Status::BadRequest, 1)
        );
        assert_eq!(
            refused_in(b"POST / HTTP/1.0\r\n\r\n"),
            (Status::MethodNotAllowed, 0)
        );
        // No version could be read: HTTP/1.1, the server's own.
        assert_eq!(refused_in(b"GARBAGE\r\n\r\n"), (Status::BadRequest, 1));
    }

    #[test]
    fn a_second_host_line_is_refused() {
        for version in ["1.0", "1.1"] {
            let text = format!("GET / HTTP/{version}\r\nHost: a\r\nhost: b\r\n\r\n");
            assert_eq!(refused(text.as_bytes()), Status::BadRequest, "{version}");
        }
    }

    #[test]
    fn keep_alive_follows_version_and_connection_header() {
        assert!(!request("GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
        assert!(request("GET / HTTP/1.1\r\nHost: x\r\n\r\n").keep_alive);
        assert!(!request("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n").keep_alive);
        assert_eq!(
            request("HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n").method,
            Method::Head
        );
    }

    #[test]
    fn incomplete_until_the_blank_line() {
        assert!(matches!(parse(b"GET / HTTP/1.0\r\n"), Parsed::Incomplete));
    }

    #[test]
    fn refusals() {
        assert_eq!(
            refused(b"POST / HTTP/1.0\r\n\r\n"),
            Status::MethodNotAllowed
        );
        assert_eq!(refused(b"GET / HTTP/1.1\r\n\r\n"), Status::BadRequest);
        assert_eq!(
            refused(b"GET / HTTP/1.0\r\nContent-Length: 5\r\n\r\n"),
            Status::BadRequest
        );
        assert_eq!(refused(b"GARBAGE\r\n\r\n"), Status::BadRequest);
        assert_eq!(refused(b"GET / HTTP/9.9\r\n\r\n"), Status::BadRequest);
        let long = format!("GET / HTTP/1.0\r\nX: {}\r\n", "a".repeat(MAX_HEAD_BYTES));
        assert_eq!(
            refused(&long.as_bytes()[..MAX_HEAD_BYTES]),
            Status::HeadTooLarge
        );
        let many: String = (0..100).map(|i| format!("X{i}: y\r\n")).collect();
        assert_eq!(
            refused(format!("GET / HTTP/1.0\r\n{many}\r\n").as_bytes()),
            Status::HeadTooLarge
        );
    }
}
