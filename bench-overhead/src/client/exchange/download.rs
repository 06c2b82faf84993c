//! The download workload: one GET whose body is counted, never stored.

use std::sync::Arc;

use super::response::Response;
use super::{Exchange, Progress, Report};

/// One download: send the request, check the response head, count the body.
#[derive(Debug)]
pub struct Download {
    request: Arc<[u8]>,
    sent: usize,
    response: Response,
}

impl Download {
    pub fn new(request: Arc<[u8]>) -> Download {
        Download {
            request,
            sent: 0,
            response: Response::default(),
        }
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
        self.response.received(data)
    }

    fn closed(&mut self) -> Result<(), String> {
        self.response.closed()
    }

    fn report(&self) -> Report {
        Report::of(&self.response)
    }

    fn body_remaining(&self) -> Option<u64> {
        let expected = self.response.head.as_ref()?.content_length?;
        Some(expected.saturating_sub(self.response.body_bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::exchange::{request, MAX_HEAD_BYTES};

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

    #[test]
    fn body_remaining_counts_down_from_content_length_once_the_head_is_in() {
        let mut exchange = download();
        assert_eq!(exchange.body_remaining(), None, "no head yet");
        exchange.received(&HEAD[..HEAD.len() - 1]).unwrap();
        assert_eq!(exchange.body_remaining(), None, "head incomplete");
        exchange.received(&[HEAD[HEAD.len() - 1]]).unwrap();
        assert_eq!(exchange.body_remaining(), Some(10));
        exchange.received(b"0123").unwrap();
        assert_eq!(exchange.body_remaining(), Some(6));
        let (unframed, _) = feed(&[b"HTTP/1.0 200 OK\r\n\r\nabc"]);
        assert_eq!(
            unframed.body_remaining(),
            None,
            "read to EOF: no length to count down"
        );
    }
}
