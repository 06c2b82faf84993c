//! One HTTP response read as it arrives: the head parsed (split across reads or not), the body
//! counted against Content-Length, never stored — except, when asked, its first bytes (an
//! upload's answer is the byte count the server received).

use std::borrow::Cow;

use super::{Progress, MAX_HEAD_BYTES};

/// Headers parsed per response; lighttpd sends fewer than ten.
const MAX_HEADERS: usize = 64;

/// Body bytes kept when a caller asks for the body: an upload's answer is a number and a newline.
const KEPT_BODY_BYTES: usize = 64;

/// What a response head said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    pub content_length: Option<u64>,
    pub server: String,
    /// `Connection: close`: the server closes the connection after this response.
    pub close: bool,
}

/// One response in progress.
#[derive(Debug, Default)]
pub struct Response {
    /// Head bytes collected while a head arrives split across reads; emptied once parsed.
    pending: Vec<u8>,
    pub head: Option<Head>,
    pub body_bytes: u64,
    /// The body's first [`KEPT_BODY_BYTES`], when kept.
    pub body: Option<Vec<u8>>,
    /// A `100 Continue` arrived (an upload sent with `Expect: 100-continue` may send its body).
    pub continued: bool,
}

impl Response {
    /// A response whose first body bytes are kept in [`Response::body`].
    pub fn keeping_body() -> Response {
        Response {
            body: Some(Vec::new()),
            ..Response::default()
        }
    }

    /// Whether no byte of this response has arrived.
    pub fn untouched(&self) -> bool {
        self.head.is_none() && self.pending.is_empty()
    }

    /// Body bytes `data` (the head already parsed): counted, and checked against Content-Length.
    fn body(&mut self, data: &[u8]) -> Result<Progress, String> {
        self.body_bytes += data.len() as u64;
        if let Some(kept) = &mut self.body {
            let room = KEPT_BODY_BYTES.saturating_sub(kept.len());
            kept.extend_from_slice(&data[..data.len().min(room)]);
        }
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

    /// The next bytes of the response. A final status other than 200 fails it ("HTTP 404").
    pub fn received(&mut self, data: &[u8]) -> Result<Progress, String> {
        if self.head.is_some() {
            return self.body(data);
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
                self.continued |= head.status == 100;
                continue; // An interim response: the final one follows.
            }
            let status = head.status;
            self.head = Some(head);
            if status != 200 {
                return Err(format!("HTTP {status}"));
            }
            return self.body(&buffer[start..]);
        }
    }

    /// The peer closed: is the response complete?
    pub fn closed(&self) -> Result<(), String> {
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
}

/// Parses a complete head from the start of `data`: `Ok(None)` when more bytes are needed,
/// otherwise the head and its length in bytes.
pub fn parse_head(data: &[u8]) -> Result<Option<(Head, usize)>, String> {
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
    let mut close = false;
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
        } else if header.name.eq_ignore_ascii_case("connection") {
            close |= String::from_utf8_lossy(header.value)
                .split(',')
                .any(|token| token.trim().eq_ignore_ascii_case("close"));
        }
    }
    Ok(Some((
        Head {
            status,
            content_length,
            server,
            close,
        },
        len,
    )))
}
