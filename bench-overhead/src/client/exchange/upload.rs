//! The upload workload: one `PUT` with a body of `--upload-size` zero bytes, answered with the
//! byte count the server received ("N\n", as the built-in server answers); the count is checked.
//!
//! The head asks `Expect: 100-continue` (RFC 9110 §10.1.1), and the body goes out only after the
//! server's `100 Continue`: a server that refuses the upload (405, 404, 413) says so before the
//! body, and the job fails with that status instead of a reset in the middle of the body. A
//! server that ignores the expectation and waits for the body fails the job by `--timeout`.

use std::sync::Arc;

use super::response::Response;
use super::{Exchange, Progress, Report};

/// The body is sent from this block of zeros, as often as it takes: nothing is allocated per
/// connection.
static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

#[derive(Debug)]
pub struct Upload {
    head: Arc<[u8]>,
    size: u64,
    /// Head and body bytes written.
    sent: u64,
    response: Response,
}

impl Upload {
    /// `head` must announce `Content-Length: size`.
    pub fn new(head: Arc<[u8]>, size: u64) -> Upload {
        Upload {
            head,
            size,
            sent: 0,
            response: Response::keeping_body(),
        }
    }

    /// The server's answer must be the byte count it received.
    fn check_count(&self) -> Result<Progress, String> {
        let body = self.response.body.as_deref().unwrap_or_default();
        let text = String::from_utf8_lossy(body);
        match text.trim().parse::<u64>() {
            Ok(count) if count == self.size => Ok(Progress::Done),
            Ok(count) => Err(format!(
                "upload count mismatch: the server received {count} of {} bytes",
                self.size
            )),
            Err(_) => Err(
                "the upload's answer is not a byte count: this server does not count uploads (use the built-in server, bench-overhead serve)"
                    .to_string(),
            ),
        }
    }
}

impl Exchange for Upload {
    fn to_send(&self) -> &[u8] {
        let head = self.head.len() as u64;
        if self.sent < head {
            return &self.head[self.sent as usize..];
        }
        if !self.response.continued {
            return &[];
        }
        let left = self.size - (self.sent - head);
        &ZEROS[..left.min(ZEROS.len() as u64) as usize]
    }

    fn sent(&mut self, n: usize) {
        self.sent = (self.sent + n as u64).min(self.head.len() as u64 + self.size);
    }

    fn received(&mut self, data: &[u8]) -> Result<Progress, String> {
        match self.response.received(data)? {
            Progress::Continue => Ok(Progress::Continue),
            Progress::Done => self.check_count(),
        }
    }

    fn closed(&mut self) -> Result<(), String> {
        self.response.closed()?;
        self.check_count().map(|_| ())
    }

    fn report(&self) -> Report {
        let mut report = Report::of(&self.response);
        // What a job moved is its body out, not the few bytes of the answer.
        report.body_bytes = self.sent.saturating_sub(self.head.len() as u64);
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(size: u64) -> Upload {
        Upload::new(Arc::from(&b"PUT /u HTTP/1.1\r\n\r\n"[..]), size)
    }

    fn send_all(exchange: &mut Upload) -> u64 {
        let mut total = 0;
        loop {
            let n = exchange.to_send().len();
            if n == 0 {
                return total;
            }
            total += n as u64;
            exchange.sent(n);
        }
    }

    #[test]
    fn sends_the_body_after_continue_and_checks_the_count() {
        let mut exchange = upload(200_000);
        assert_eq!(send_all(&mut exchange), 19);
        assert_eq!(
            exchange.received(b"HTTP/1.1 100 Continue\r\n\r\n"),
            Ok(Progress::Continue)
        );
        assert_eq!(send_all(&mut exchange), 200_000);
        assert_eq!(
            exchange.received(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n200000\n"),
            Ok(Progress::Done)
        );
        assert_eq!(exchange.report().body_bytes, 200_000);
    }

    #[test]
    fn a_wrong_count_or_no_count_fails() {
        let mut exchange = upload(10);
        send_all(&mut exchange);
        assert_eq!(
            exchange.received(
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n9\n"
            ),
            Err("upload count mismatch: the server received 9 of 10 bytes".into())
        );
        let mut exchange = upload(10);
        send_all(&mut exchange);
        assert!(exchange
            .received(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
            .unwrap_err()
            .contains("not a byte count"));
        let mut exchange = upload(10);
        assert_eq!(
            exchange.received(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n"),
            Err("HTTP 405".into())
        );
    }
}
