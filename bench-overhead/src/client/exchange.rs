//! What one connection does, written once for every I/O model: sans-IO, owning no socket.
//!
//! An [`Exchange`] is told what arrived and what went out, and says what to send next and when it
//! is over. I/O models only move bytes: they ask [`Exchange::to_send`] for bytes to write, report
//! writes with [`Exchange::sent`], hand every received chunk to [`Exchange::received`] and the
//! peer's close to [`Exchange::closed`]. After each received chunk a model checks `to_send` again,
//! so an exchange that sends more than once (keep-alive requests, uploads) fits every model as it
//! is. [`Download`] is one GET whose body is counted, never stored.
//!
//! HTTP framing follows curl and wrk (RFC 9112 §6): a job is done when Content-Length body bytes
//! have arrived, without waiting for the server to close; a byte beyond Content-Length fails it
//! ("body longer than Content-Length"), and so do two different Content-Length values; 1xx interim
//! responses are skipped; `Transfer-Encoding` (chunked) is refused with a clear error, as the
//! request is HTTP/1.0, which a server must not answer with a chunked body; a body without
//! Content-Length is read to EOF.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

/// A response head larger than this is refused: no real server sends one, and an endless head must
/// not grow the client's memory.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Headers parsed per response; lighttpd sends fewer than ten.
const MAX_HEADERS: usize = 64;

/// Where an exchange stands after a received chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// More bytes are expected (or, when [`Exchange::to_send`] is not empty, more must be sent).
    Continue,
    /// The exchange is complete: the model closes the connection.
    Done,
}

/// What a finished exchange hands to its job record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// HTTP status of the final response; 0 when none arrived.
    pub status: u16,
    /// Body bytes received (framing not counted).
    pub body_bytes: u64,
    /// The `Server` header, when a head arrived.
    pub server: Option<String>,
    pub content_length: Option<u64>,
}

/// One connection's conversation, driven by an I/O model.
pub trait Exchange {
    /// Bytes to write now; empty when nothing is to be sent.
    fn to_send(&self) -> &[u8];
    /// `n` bytes of [`Exchange::to_send`] were written.
    fn sent(&mut self, n: usize);
    /// The next bytes that arrived; `Err` is the failure reason, and the model closes.
    fn received(&mut self, data: &[u8]) -> Result<Progress, String>;
    /// The peer closed its side (EOF): is the exchange complete?
    fn closed(&mut self) -> Result<(), String>;
    fn report(&self) -> Report;
}

/// `GET <path> HTTP/1.0` with the headers the old suite sent (Host, Accept, User-Agent).
pub fn request(address: IpAddr, port: u16, path: &str) -> Arc<[u8]> {
    let host = match address {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    };
    format!(
        "GET {path} HTTP/1.0\r\nHost: {host}\r\nAccept: */*\r\nUser-Agent: bench-overhead/{}\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes()
    .into()
}

/// What a response head said.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Head {
    status: u16,
    content_length: Option<u64>,
    server: String,
}

/// One download: send the request, check the response head, count the body.
#[derive(Debug)]
pub struct Download {
    request: Arc<[u8]>,
    sent: usize,
    /// Head bytes collected while a head arrives split across reads; emptied once parsed.
    pending: Vec<u8>,
    head: Option<Head>,
    body_bytes: u64,
}

impl Download {
    pub fn new(request: Arc<[u8]>) -> Download {
        Download {
            request,
            sent: 0,
            pending: Vec::new(),
            head: None,
            body_bytes: 0,
        }
    }

    /// Body bytes of `data` (the head already parsed): counted, and checked against
    /// Content-Length.
    fn body(&mut self, len: usize) -> Result<Progress, String> {
        self.body_bytes += len as u64;
        match self.head.as_ref().and_then(|h| h.content_length) {
            Some(expected) if self.body_bytes > expected => Err(format!(
                "body longer than Content-Length: got at least {} of {expected} bytes",
                self.body_bytes
            )),
            Some(expected) if self.body_bytes == expected => Ok(Progress::Done),
            _ => Ok(Progress::Continue),
        }
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
}

impl Exchange for Download {
    fn to_send(&self) -> &[u8] {
        &self.request[self.sent..]
    }

    fn sent(&mut self, n: usize) {
        self.sent = (self.sent + n).min(self.request.len());
    }

    fn received(&mut self, data: &[u8]) -> Result<Progress, String> {
        if self.head.is_some() {
            return self.body(data.len());
        }
        // Parse straight from `data` when nothing is pending (the common case: the head arrives
        // in one piece), so nothing is copied; otherwise from the collected bytes.
        let buffer: Cow<[u8]> = if self.pending.is_empty() {
            Cow::Borrowed(data)
        } else {
            self.collect(data)?;
            Cow::Owned(std::mem::take(&mut self.pending))
        };
        let mut start = 0;
        loop {
            let Some((head, len)) = parse_head(&buffer[start..])? else {
                self.pending = Vec::new();
                self.collect(&buffer[start..])?;
                return Ok(Progress::Continue);
            };
            start += len;
            if (100..200).contains(&head.status) {
                if head.status == 101 {
                    return Err("HTTP 101: the server switched protocols".to_string());
                }
                continue; // An interim response: the final one follows.
            }
            let status = head.status;
            self.head = Some(head);
            if status != 200 {
                return Err(format!("HTTP {status}"));
            }
            return self.body(buffer.len() - start);
        }
    }

    fn closed(&mut self) -> Result<(), String> {
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
            _ => Ok(()),
        }
    }

    fn report(&self) -> Report {
        Report {
            status: self.head.as_ref().map_or(0, |h| h.status),
            body_bytes: self.body_bytes,
            server: self.head.as_ref().map(|h| h.server.clone()),
            content_length: self.head.as_ref().and_then(|h| h.content_length),
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
    let mut content_length: Option<u64> = None;
    let mut server = String::new();
    for header in response.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            // A list of equal values ("10, 10") is one length (RFC 9110 §8.6).
            let text = std::str::from_utf8(header.value).unwrap_or("");
            for value in text.split(',') {
                let value = value
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| format!("malformed response head: bad Content-Length `{text}`"))?;
                match content_length {
                    Some(earlier) if earlier != value => {
                        return Err(format!("conflicting Content-Length: {earlier} and {value}"))
                    }
                    _ => content_length = Some(value),
                }
            }
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(format!(
                "unsupported Transfer-Encoding: {} (the client asks HTTP/1.0 and reads bodies by Content-Length or to EOF)",
                String::from_utf8_lossy(header.value).trim()
            ));
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

    fn download() -> Download {
        Download::new(request("127.0.0.1".parse().unwrap(), 8000, "/x"))
    }

    fn feed(parts: &[&[u8]]) -> (Download, Result<Progress, String>) {
        let mut exchange = download();
        let mut last = Ok(Progress::Continue);
        for part in parts {
            last = exchange.received(part);
            if last.is_err() {
                break;
            }
        }
        (exchange, last)
    }

    #[test]
    fn request_names_path_host_and_agent() {
        let text = String::from_utf8(request("::1".parse().unwrap(), 8000, "/x").to_vec()).unwrap();
        assert!(text.starts_with("GET /x HTTP/1.0\r\nHost: [::1]:8000\r\n"));
        assert!(text.contains("Accept: */*\r\n"));
        assert!(text.contains("User-Agent: bench-overhead/"));
        assert!(text.ends_with("\r\n\r\n"));
    }

    #[test]
    fn sending_is_tracked_in_pieces() {
        let mut exchange = download();
        let len = exchange.to_send().len();
        exchange.sent(5);
        assert_eq!(exchange.to_send().len(), len - 5);
        exchange.sent(len);
        assert!(exchange.to_send().is_empty());
    }

    #[test]
    fn done_at_content_length_without_eof() {
        let (exchange, last) = feed(&[HEAD, b"01234", b"56789"]);
        assert_eq!(last, Ok(Progress::Done));
        let report = exchange.report();
        assert_eq!(report.body_bytes, 10);
        assert_eq!(report.server.as_deref(), Some("lighttpd/1.4.69"));
        assert_eq!(report.content_length, Some(10));
    }

    #[test]
    fn head_split_at_every_byte() {
        let whole = [HEAD, b"0123456789"].concat();
        for split in 1..whole.len() {
            let (exchange, last) = feed(&[&whole[..split], &whole[split..]]);
            assert_eq!(last, Ok(Progress::Done), "split at {split}");
            assert_eq!(exchange.report().body_bytes, 10, "split at {split}");
        }
    }

    #[test]
    fn a_byte_beyond_content_length_fails() {
        let (_, last) = feed(&[HEAD, b"0123456789a"]);
        assert_eq!(
            last,
            Err("body longer than Content-Length: got at least 11 of 10 bytes".into())
        );
    }

    #[test]
    fn two_different_content_lengths_fail_and_equal_ones_do_not() {
        let (_, last) =
            feed(&[b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Length: 12\r\n\r\n"]);
        assert_eq!(last, Err("conflicting Content-Length: 10 and 12".into()));
        let (_, last) = feed(&[b"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc"]);
        assert_eq!(last, Ok(Progress::Done));
        let (_, last) = feed(&[b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"]);
        assert!(last
            .unwrap_err()
            .starts_with("malformed response head: bad Content-Length"));
    }

    #[test]
    fn interim_responses_are_skipped() {
        let both = [
            &b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"[..],
            HEAD,
            b"0123456789",
        ]
        .concat();
        let (exchange, last) = feed(&[&both]);
        assert_eq!(last, Ok(Progress::Done));
        assert_eq!(exchange.report().status, 200);
        // And split across reads, the interim head alone in the first one.
        let (_, last) = feed(&[b"HTTP/1.1 100 Continue\r\n\r\n", HEAD, b"0123456789"]);
        assert_eq!(last, Ok(Progress::Done));
        let (_, last) = feed(&[b"HTTP/1.1 101 Switching Protocols\r\n\r\n"]);
        assert!(last.unwrap_err().starts_with("HTTP 101"));
    }

    #[test]
    fn chunked_is_refused() {
        let (_, last) = feed(&[
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        ]);
        assert!(last
            .unwrap_err()
            .starts_with("unsupported Transfer-Encoding: chunked"));
    }

    #[test]
    fn without_content_length_the_body_runs_to_eof() {
        let (mut exchange, last) = feed(&[b"HTTP/1.0 200 OK\r\n\r\nabc", b"def"]);
        assert_eq!(last, Ok(Progress::Continue));
        assert_eq!(exchange.closed(), Ok(()));
        assert_eq!(exchange.report().body_bytes, 6);
    }

    #[test]
    fn short_bodies_statuses_and_garbage_fail() {
        let (mut exchange, _) = feed(&[HEAD, b"01234"]);
        assert_eq!(
            exchange.closed(),
            Err("truncated body: got 5 of 10 bytes".into())
        );
        let (_, last) = feed(&[b"HTTP/1.0 404 Not Found\r\n\r\n"]);
        assert_eq!(last, Err("HTTP 404".into()));
        let (_, last) = feed(&[b"garbage\r\n\r\n"]);
        assert!(last.unwrap_err().starts_with("malformed response head"));
        let mut exchange = download();
        assert_eq!(
            exchange.closed(),
            Err("connection closed before any response".into())
        );
        let (mut exchange, _) = feed(&[b"HTTP/1.0 200"]);
        assert!(exchange.closed().unwrap_err().contains("inside the head"));
    }

    #[test]
    fn endless_head_is_refused() {
        let filler = vec![b'a'; MAX_HEAD_BYTES];
        let (_, last) = feed(&[b"HTTP/1.0 200 OK\r\n", &filler]);
        assert!(last.unwrap_err().contains("no end within 64 KiB"));
    }

    #[test]
    fn zero_length_body_is_done_with_the_head() {
        let (_, last) = feed(&[b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"]);
        assert_eq!(last, Ok(Progress::Done));
    }
}
