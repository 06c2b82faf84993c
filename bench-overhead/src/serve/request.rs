//! Request heads: parsed with `httparse`, checked, and reduced to what the server acts on.
//!
//! GET and HEAD without a body are served from files; PUT and POST carry a body framed by
//! Content-Length, which the connection counts and discards (uploads). Anything the server would
//! have to guess about is refused with a status and the connection closed, never
//! half-understood: a chunked body (no Content-Length) is 411, an `Expect` other than
//! `100-continue` is 417.

use super::response::Status;

/// The largest request head accepted; a longer one gets 431.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;

/// Headers a head may carry before it counts as too large (431).
const MAX_HEADERS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Put,
    Post,
}

impl Method {
    /// Whether requests of this method carry a body (an upload).
    pub fn uploads(self) -> bool {
        matches!(self, Method::Put | Method::Post)
    }
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
    /// Body bytes that follow the head (PUT and POST; 0 for GET and HEAD).
    pub body_len: u64,
    /// The client waits for `100 Continue` before it sends the body (HTTP/1.1 only).
    pub expect_continue: bool,
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
        Some("PUT") => Method::Put,
        Some("POST") => Method::Post,
        _ => return refuse(Status::MethodNotAllowed),
    };
    let Some(target) = head.path else {
        return refuse(Status::BadRequest);
    };
    let mut keep_alive = minor_version >= 1;
    let mut has_host = false;
    let mut content_length = None;
    let mut chunked = false;
    let mut expect_continue = false;
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
            let Some(len) = parse_length(header.value) else {
                return refuse(Status::BadRequest);
            };
            // RFC 9112 §6.3: differing lengths make the framing unknowable.
            if content_length.is_some_and(|seen| seen != len) {
                return refuse(Status::BadRequest);
            }
            content_length = Some(len);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = true;
        } else if name.eq_ignore_ascii_case("expect") {
            if !header
                .value
                .trim_ascii()
                .eq_ignore_ascii_case(b"100-continue")
            {
                return refuse(Status::ExpectationFailed);
            }
            // RFC 9110 §10.1.1: ignored in an HTTP/1.0 request.
            expect_continue = minor_version >= 1;
        }
    }
    let body_len = if method.uploads() {
        match content_length {
            // A chunked body is not read: its framing is refused rather than guessed.
            Some(len) if !chunked => len,
            _ => return refuse(Status::LengthRequired),
        }
    } else {
        // GET and HEAD carry no body; one the server would not read would be taken for the
        // next request.
        if chunked || content_length.is_some_and(|len| len != 0) {
            return refuse(Status::BadRequest);
        }
        0
    };
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
            body_len,
            expect_continue: expect_continue && body_len > 0,
        },
        head_len,
    )
}

/// A Content-Length value: decimal digits only (no sign, no spaces inside); `u64::MAX` for one
/// too large to count, which every limit refuses (413).
fn parse_length(value: &[u8]) -> Option<u64> {
    let digits = value.trim_ascii();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        digits
            .iter()
            .try_fold(0u64, |n, &d| {
                n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            })
            .unwrap_or(u64::MAX),
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
            refused_in(b"DELETE / HTTP/1.0\r\n\r\n"),
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
    fn uploads_are_framed_by_content_length() {
        let put = request("PUT /u HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n");
        assert_eq!(
            (put.method, put.body_len, put.expect_continue),
            (Method::Put, 1 << 20, false)
        );
        let post = request(
            "POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\
             Expect: 100-Continue\r\n\r\n",
        );
        assert_eq!(
            (post.method, post.body_len, post.expect_continue),
            (Method::Post, 5, true)
        );
        // HTTP/1.0 clients do not wait for 100 Continue; nor is it due without a body.
        assert!(
            !request("PUT /u HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
                .expect_continue
        );
        assert!(
            !request(
                "PUT /u HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n"
            )
            .expect_continue
        );
        let huge = request("PUT /u HTTP/1.0\r\nContent-Length: 99999999999999999999999\r\n\r\n");
        assert_eq!(huge.body_len, u64::MAX);
        assert_eq!(
            request("GET /u HTTP/1.0\r\nContent-Length: 0\r\n\r\n").body_len,
            0
        );
    }

    #[test]
    fn uploads_without_a_length_or_with_odd_framing_are_refused() {
        assert_eq!(refused(b"PUT /u HTTP/1.0\r\n\r\n"), Status::LengthRequired);
        assert_eq!(
            refused(b"POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Status::LengthRequired
        );
        assert_eq!(
            refused(b"PUT /u HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Status::LengthRequired
        );
        for length in ["-1", "+5", "5 5", "0x10", ""] {
            let text = format!("PUT /u HTTP/1.0\r\nContent-Length: {length}\r\n\r\n");
            assert_eq!(refused(text.as_bytes()), Status::BadRequest, "{length}");
        }
        assert_eq!(
            refused(b"PUT /u HTTP/1.0\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
            Status::BadRequest
        );
        assert_eq!(
            refused(b"PUT /u HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 200-ok\r\n\r\n"),
            Status::ExpectationFailed
        );
        assert_eq!(
            refused(b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Status::BadRequest
        );
    }

    #[test]
    fn incomplete_until_the_blank_line() {
        assert!(matches!(parse(b"GET / HTTP/1.0\r\n"), Parsed::Incomplete));
    }

    #[test]
    fn refusals() {
        assert_eq!(
            refused(b"OPTIONS * HTTP/1.0\r\n\r\n"),
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
