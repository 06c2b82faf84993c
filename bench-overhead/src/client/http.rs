//! HTTP/1.0 for one download: the request bytes, and a response reader that checks what came back.
//!
//! The old suite counted any response as a download, so an error page looked like a fast one. Here a
//! job succeeds only when the status is 200 and, when the server announced a Content-Length, exactly
//! that many body bytes arrived before EOF. The head is parsed with `httparse`; it may arrive split
//! across reads, so it is collected (up to [`MAX_HEAD_BYTES`]) until complete. The body is only
//! counted, never stored: the receive buffer is the caller's.

use std::net::IpAddr;

/// A response head larger than this is refused: no real server sends one, and an endless head must
/// not grow the client's memory.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Headers parsed per response; lighttpd sends fewer than ten.
const MAX_HEADERS: usize = 64;

/// `GET <path> HTTP/1.0` with the headers the old suite sent (Host, Accept, User-Agent).
pub fn request(address: IpAddr, port: u16, path: &str) -> Vec<u8> {
    let host = match address {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    };
    format!(
        "GET {path} HTTP/1.0\r\nHost: {host}\r\nAccept: */*\r\nUser-Agent: bench-overhead/{}\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes()
}

/// What the response head said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    pub content_length: Option<u64>,
    /// The `Server` header, empty when absent.
    pub server: String,
}

/// Reads one response, fed chunk by chunk as it arrives, and judges it at EOF.
#[derive(Debug, Default)]
pub struct ResponseReader {
    /// Head bytes collected so far; emptied once the head is parsed.
    pending: Vec<u8>,
    head: Option<Head>,
    body_bytes: u64,
}

impl ResponseReader {
    pub fn new() -> ResponseReader {
        ResponseReader::default()
    }

    pub fn head(&self) -> Option<&Head> {
        self.head.as_ref()
    }

    pub fn body_bytes(&self) -> u64 {
        self.body_bytes
    }

    /// Consumes `data`, the next bytes of the response. Fails as soon as the response is known to
    /// be wrong (bad head, status other than 200), so the caller can close the connection.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), String> {
        if self.head.is_some() {
            self.body_bytes += data.len() as u64;
            return Ok(());
        }
        // Parse straight from `data` when the head arrived in one piece (the common case), so
        // nothing is copied; otherwise collect it.
        let (head, head_len) = if self.pending.is_empty() {
            match parse_head(data)? {
                Some(parsed) => parsed,
                None => {
                    self.collect(data)?;
                    return Ok(());
                }
            }
        } else {
            let before = self.pending.len();
            self.collect(data)?;
            match parse_head(&self.pending)? {
                Some((head, len)) => (head, len - before),
                None => return Ok(()),
            }
        };
        self.pending = Vec::new();
        self.body_bytes = (data.len() - head_len) as u64;
        let status = head.status;
        self.head = Some(head);
        if status != 200 {
            return Err(format!("HTTP {status}"));
        }
        Ok(())
    }

    fn collect(&mut self, data: &[u8]) -> Result<(), String> {
        if self.pending.len() + data.len() > MAX_HEAD_BYTES {
            return Err(format!(
                "malformed response head: no end within {} KiB",
                MAX_HEAD_BYTES / 1024
            ));
        }
        self.pending.extend_from_slice(data);
        Ok(())
    }

    /// The connection reached EOF: did a complete, correct response arrive?
    pub fn finish(&self) -> Result<(), String> {
        let Some(head) = &self.head else {
            return Err(if self.pending.is_empty() {
                "connection closed before any response".to_string()
            } else {
                "malformed response head: connection closed inside the head".to_string()
            });
        };
        match head.content_length {
            Some(expected) if self.body_bytes < expected => Err(format!(
                "truncated body: got {} of {expected} bytes",
                self.body_bytes
            )),
            Some(expected) if self.body_bytes > expected => Err(format!(
                "overlong body: got {} of {expected} bytes",
                self.body_bytes
            )),
            _ => Ok(()),
        }
    }
}

/// Parses a complete head from the start of `data`: `Ok(None)` when more bytes are needed,
/// otherwise the head and its length in bytes.
fn parse_head(data: &[u8]) -> Result<Option<(Head, usize)>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let len = match response.parse(data) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(err) => return Err(format!("malformed response head: {err}")),
    };
    let status = response.code.unwrap_or(0);
    let mut content_length = None;
    let mut server = String::new();
    for header in response.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(header.value)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| "malformed response head: bad Content-Length".to_string())?;
            content_length = Some(value);
        } else if header.name.eq_ignore_ascii_case("server") {
            server = String::from_utf8_lossy(header.value).trim().to_string();
        }
    }
    Ok(Some((
        Head {
            status,
            content_length,
            server,
        },
        len,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Length: 10\r\nServer: lighttpd/1.4.69\r\n\r\n";

    fn response(body: &[u8]) -> Vec<u8> {
        [HEAD, body].concat()
    }

    #[test]
    fn request_names_path_host_and_agent() {
        let text = String::from_utf8(request("::1".parse().unwrap(), 8000, "/x")).unwrap();
        assert!(text.starts_with("GET /x HTTP/1.0\r\nHost: [::1]:8000\r\n"));
        assert!(text.contains("Accept: */*\r\n"));
        assert!(text.contains("User-Agent: bench-overhead/"));
        assert!(text.ends_with("\r\n\r\n"));
    }

    #[test]
    fn complete_response_in_one_read() {
        let mut reader = ResponseReader::new();
        reader.feed(&response(b"0123456789")).unwrap();
        assert_eq!(reader.body_bytes(), 10);
        assert_eq!(reader.head().unwrap().server, "lighttpd/1.4.69");
        assert_eq!(reader.finish(), Ok(()));
    }

    #[test]
    fn head_split_at_every_byte() {
        let whole = response(b"0123456789");
        for split in 1..whole.len() {
            let mut reader = ResponseReader::new();
            reader.feed(&whole[..split]).unwrap();
            reader.feed(&whole[split..]).unwrap();
            assert_eq!(reader.body_bytes(), 10, "split at {split}");
            assert_eq!(reader.finish(), Ok(()));
        }
    }

    #[test]
    fn wrong_lengths_and_statuses_fail() {
        let mut reader = ResponseReader::new();
        reader.feed(&response(b"01234")).unwrap();
        assert_eq!(
            reader.finish(),
            Err("truncated body: got 5 of 10 bytes".into())
        );

        let mut reader = ResponseReader::new();
        reader.feed(&response(b"0123456789ab")).unwrap();
        assert!(reader.finish().unwrap_err().starts_with("overlong body"));

        let mut reader = ResponseReader::new();
        let err = reader.feed(b"HTTP/1.0 404 Not Found\r\n\r\n").unwrap_err();
        assert_eq!(err, "HTTP 404");

        let mut reader = ResponseReader::new();
        assert!(reader
            .feed(b"garbage\r\n\r\n")
            .unwrap_err()
            .starts_with("malformed response head"));

        let reader = ResponseReader::new();
        assert_eq!(
            reader.finish(),
            Err("connection closed before any response".into())
        );
    }

    #[test]
    fn endless_head_is_refused() {
        let mut reader = ResponseReader::new();
        reader.feed(b"HTTP/1.0 200 OK\r\n").unwrap();
        let filler = vec![b'a'; MAX_HEAD_BYTES];
        assert!(reader.feed(&filler).is_err());
    }

    #[test]
    fn no_content_length_accepts_any_body() {
        let mut reader = ResponseReader::new();
        reader.feed(b"HTTP/1.0 200 OK\r\n\r\nabc").unwrap();
        assert_eq!(reader.finish(), Ok(()));
        assert_eq!(reader.body_bytes(), 3);
    }
}
