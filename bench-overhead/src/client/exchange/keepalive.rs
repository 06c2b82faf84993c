//! The keep-alive workload: HTTP/1.1 requests for one small object sent one after another on one
//! connection (a closed loop, as wrk does), until a request count or a time is reached.
//!
//! A request's latency runs from the moment it is due — the connection is up (first request) or
//! the previous response is complete — to its response complete. Requests that become due before
//! the warm-up ends are made but not counted. The exchange reads the clock at those two moments
//! only; it still owns no socket.
//!
//! A server may end a kept-alive connection: it says `Connection: close` on a response (lighttpd
//! does after `server.max-keep-alive-requests`), or closes between responses. The exchange then
//! asks for a new connection ([`Exchange::again`]) and goes on there, as wrk does, and counts it
//! ([`Latency::reopened`]); a request in flight on the closed connection is sent again, its
//! latency still counted from when it became due. A connection closed before it answered
//! anything is a failure, not a reason to reconnect forever.
//!
//! Open loop (`--rate`, [`KeepAlive::paced`]): a request is due at its intended send time on the
//! connection's [`Pace`], and is held until then ([`Exchange::next_due`]); its latency runs from
//! that time (coordinated omission corrected), and from its actual send into a second histogram.

use std::sync::Arc;
use std::time::Instant;

use super::response::Response;
use super::{Exchange, Progress, Report};
use crate::client::latency::Latency;
use crate::client::pace::Pace;

/// When a request-rate connection stops asking: after `requests` counted requests, or once a
/// response completes at or after `until`, whichever comes first.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stop {
    pub requests: Option<u64>,
    pub until: Option<Instant>,
    /// Requests due before this are the warm-up.
    pub warmup_until: Option<Instant>,
}

#[derive(Debug)]
pub struct KeepAlive {
    request: Arc<[u8]>,
    sent: usize,
    response: Response,
    stop: Stop,
    /// When the request in flight became due; `None` before the connection is up.
    due: Option<Instant>,
    /// Open loop: the send schedule, and the number of the request in flight (or held) on it.
    pace: Option<(Pace, u64)>,
    /// Open loop: the request is held until `due`; `to_send` is empty meanwhile.
    held: bool,
    /// Open loop: when the request in flight was released to be sent.
    sent_at: Option<Instant>,
    /// Responses completed, warm-up included.
    answered: u64,
    latency: Latency,
    /// Body bytes of every completed response.
    body_bytes: u64,
    /// What the first response said (status, Server, Content-Length) for the run record.
    first: Option<Report>,
    /// Responses completed on the connection in use.
    answered_here: u64,
    /// The server ended the connection; the next request goes out on a new one.
    again: bool,
    /// Whether a server's close makes a new connection (keep-alive) or is the churn exchange's
    /// business (each of its requests says `Connection: close`).
    reopens: bool,
}

impl KeepAlive {
    pub fn new(request: Arc<[u8]>, stop: Stop) -> KeepAlive {
        KeepAlive {
            request,
            sent: 0,
            response: Response::default(),
            stop,
            due: None,
            pace: None,
            held: false,
            sent_at: None,
            answered: 0,
            latency: Latency::default(),
            body_bytes: 0,
            first: None,
            answered_here: 0,
            again: false,
            reopens: true,
        }
    }

    /// Sends on `pace`'s schedule (open loop): the first request is held until its time.
    pub fn paced(mut self, pace: Pace) -> KeepAlive {
        self.due = Some(pace.due(0));
        self.pace = Some((pace, 0));
        self.held = true;
        self
    }

    /// The response in flight is complete at `now`: count it, then stop or ask again.
    fn answered(&mut self, now: Instant) -> Progress {
        self.answered += 1;
        self.answered_here += 1;
        let response = std::mem::take(&mut self.response);
        let closing = response.head.as_ref().is_some_and(|head| head.close);
        self.body_bytes += response.body_bytes;
        if self.first.is_none() {
            self.first = Some(Report::of(&response));
        }
        let due = self.due.unwrap_or(now);
        if self.stop.warmup_until.is_some_and(|end| due < end) {
            self.latency.warmup += 1;
        } else {
            let latency = now.saturating_duration_since(due);
            match self.sent_at {
                Some(sent) if self.pace.is_some() => self
                    .latency
                    .record_open(latency, now.saturating_duration_since(sent)),
                _ => self.latency.record(latency),
            }
        }
        let enough = self
            .stop
            .requests
            .is_some_and(|n| self.latency.count() >= n);
        // Open loop: the next request's time, which must fall inside the run.
        let next = match &mut self.pace {
            Some((pace, k)) => {
                *k += 1;
                pace.due(*k)
            }
            None => now,
        };
        let over = |at: Instant| self.stop.until.is_some_and(|until| at >= until);
        if enough || over(now) || over(next) {
            return Progress::Done;
        }
        self.sent = 0;
        self.due = Some(next);
        self.held = self.pace.is_some();
        if closing && self.reopens {
            self.reopen();
            return Progress::Done;
        }
        Progress::Continue
    }

    /// The server ended the connection: the next request (or the one in flight, sent again)
    /// goes out on a new one.
    fn reopen(&mut self) {
        self.sent = 0;
        self.again = true;
        self.latency.reopened += 1;
    }
}

/// What the churn exchange (`churn.rs`) needs to make each request on a connection of its own.
impl KeepAlive {
    /// A keep-alive exchange whose server's closes the churn exchange handles.
    pub(super) fn for_churn(mut self) -> KeepAlive {
        self.reopens = false;
        self
    }

    /// Responses completed, warm-up included.
    pub(super) fn responses(&self) -> u64 {
        self.answered
    }

    /// The next request goes out on a new connection: it becomes due when that one is up — or,
    /// in an open loop, keeps its intended time, and the new connection waits for it.
    pub(super) fn next_on_new_connection(&mut self) {
        if self.pace.is_none() {
            self.due = None;
        }
    }

    /// The peer closed: whether the response in flight was complete (read to EOF), or why not.
    pub(super) fn response_closed(&self) -> Result<(), String> {
        self.response.closed()
    }
}

impl Exchange for KeepAlive {
    fn to_send(&self) -> &[u8] {
        if self.held {
            return &[];
        }
        &self.request[self.sent..]
    }

    fn sent(&mut self, n: usize) {
        self.sent = (self.sent + n).min(self.request.len());
    }

    fn received(&mut self, data: &[u8]) -> Result<Progress, String> {
        match self.response.received(data)? {
            Progress::Continue => Ok(Progress::Continue),
            Progress::Done => Ok(self.answered(Instant::now())),
        }
    }

    fn closed(&mut self) -> Result<(), String> {
        if self.response.untouched() && self.answered_here > 0 {
            self.reopen();
            return Ok(());
        }
        self.response.closed()?;
        Err("keep-alive response without Content-Length: the server closed to end it".to_string())
    }

    fn report(&self) -> Report {
        let mut report = self
            .first
            .clone()
            .unwrap_or_else(|| Report::of(&self.response));
        report.body_bytes = self.body_bytes + self.response.body_bytes;
        report
    }

    fn progress_bytes(&self) -> u64 {
        self.body_bytes + self.response.body_bytes
    }

    fn opening(&mut self, _now: Instant) {
        self.again = false;
        self.answered_here = 0;
    }

    fn connected(&mut self, now: Instant) {
        self.due.get_or_insert(now);
    }

    fn again(&self) -> bool {
        self.again
    }

    fn take_latency(&mut self) -> Option<Latency> {
        Some(std::mem::take(&mut self.latency))
    }

    fn next_due(&mut self, now: Instant) -> Option<Instant> {
        if !self.held {
            return None;
        }
        let due = self.due?;
        if due > now {
            return Some(due);
        }
        self.held = false;
        self.sent_at = Some(now);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: s\r\n\r\nhello";

    fn keepalive(stop: Stop) -> KeepAlive {
        let mut exchange = KeepAlive::new(Arc::from(&b"GET /hello HTTP/1.1\r\n\r\n"[..]), stop);
        exchange.connected(Instant::now());
        exchange
    }

    /// Sends the request and feeds one response; the progress it made.
    fn round(exchange: &mut KeepAlive, response: &[u8]) -> Result<Progress, String> {
        let n = exchange.to_send().len();
        assert!(n > 0, "a request is due");
        exchange.sent(n);
        exchange.received(response)
    }

    #[test]
    fn asks_again_until_the_request_count() {
        let mut exchange = keepalive(Stop {
            requests: Some(3),
            ..Stop::default()
        });
        assert_eq!(round(&mut exchange, RESPONSE), Ok(Progress::Continue));
        // A response split in two still counts once.
        let n = exchange.to_send().len();
        exchange.sent(n);
        assert_eq!(exchange.received(&RESPONSE[..20]), Ok(Progress::Continue));
        assert_eq!(exchange.received(&RESPONSE[20..]), Ok(Progress::Continue));
        assert_eq!(round(&mut exchange, RESPONSE), Ok(Progress::Done));
        let report = exchange.report();
        assert_eq!(report.body_bytes, 15);
        assert_eq!(report.status, 200);
        assert_eq!(report.server.as_deref(), Some("s"));
        assert_eq!(exchange.take_latency().unwrap().count(), 3);
    }

    #[test]
    fn warmup_requests_are_made_not_counted() {
        let mut exchange = keepalive(Stop {
            requests: Some(1),
            warmup_until: Some(Instant::now() + Duration::from_secs(3600)),
            ..Stop::default()
        });
        for _ in 0..4 {
            assert_eq!(round(&mut exchange, RESPONSE), Ok(Progress::Continue));
        }
        let latency = exchange.take_latency().unwrap();
        assert_eq!((latency.count(), latency.warmup), (0, 4));
    }

    #[test]
    fn an_open_loop_holds_each_request_until_its_time() {
        use crate::client::pace::OpenLoop;
        let start = Instant::now();
        // Two connections at 1000/s: this one (the second) is due at 1 ms, 3 ms, 5 ms …
        let pace = OpenLoop {
            start,
            rate: 1000.0,
            connections: 2,
            first_job: 1,
        }
        .pace(0);
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut exchange = KeepAlive::new(
            Arc::from(&b"GET / HTTP/1.1\r\n\r\n"[..]),
            Stop {
                until: Some(at(4)),
                ..Stop::default()
            },
        )
        .paced(pace);
        exchange.connected(start);
        assert!(exchange.to_send().is_empty());
        assert_eq!(exchange.next_due(start), Some(at(1)));
        assert!(exchange.to_send().is_empty(), "not sent before its time");
        // Released late, at 2 ms; answered at 2.5 ms.
        assert_eq!(exchange.next_due(at(2)), None);
        let n = exchange.to_send().len();
        assert!(n > 0);
        exchange.sent(n);
        exchange.response.received(RESPONSE).unwrap();
        assert_eq!(
            exchange.answered(at(2) + Duration::from_micros(500)),
            Progress::Continue
        );
        assert_eq!(exchange.next_due(at(2)), Some(at(3)));
        assert_eq!(exchange.next_due(at(3)), None);
        exchange.sent(n);
        exchange.response.received(RESPONSE).unwrap();
        // The next time, 5 ms, is past the end at 4 ms: done.
        assert_eq!(
            exchange.answered(at(3) + Duration::from_micros(100)),
            Progress::Done
        );
        let latency = exchange.take_latency().unwrap();
        let corrected = latency.percentiles().unwrap();
        let uncorrected = latency.uncorrected_percentiles().unwrap();
        let near = |got: f64, want: f64| (got - want).abs() <= want * 0.005;
        // From its intended time (1 ms) the first took 1.5 ms; from its send 0.5 ms.
        assert!(near(corrected.max, 1_500.0) && near(uncorrected.max, 500.0));
        assert!(near(corrected.mean, 800.0) && near(uncorrected.mean, 300.0));
    }

    #[test]
    fn stops_at_its_time() {
        let mut exchange = keepalive(Stop {
            until: Some(Instant::now()),
            ..Stop::default()
        });
        assert_eq!(round(&mut exchange, RESPONSE), Ok(Progress::Done));
    }

    #[test]
    fn a_server_that_ends_the_connection_gets_a_new_one_and_extra_bytes_fail() {
        // A close between responses: the request in flight goes again on a new connection.
        let mut exchange = keepalive(Stop::default());
        assert_eq!(round(&mut exchange, RESPONSE), Ok(Progress::Continue));
        exchange.sent(exchange.to_send().len());
        assert_eq!(exchange.closed(), Ok(()));
        assert!(exchange.again());
        exchange.opening(Instant::now());
        exchange.connected(Instant::now());
        assert!(!exchange.again());
        assert_eq!(round(&mut exchange, RESPONSE), Ok(Progress::Continue));
        // `Connection: close` on a response: done with this connection, the next on a new one.
        let closing =
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive, Close\r\n\r\nhello";
        assert_eq!(round(&mut exchange, closing), Ok(Progress::Done));
        assert!(exchange.again());
        exchange.opening(Instant::now());
        // A new connection closed before it answered anything is a failure, not another retry.
        assert!(exchange
            .closed()
            .unwrap_err()
            .contains("before any response"));
        let latency = exchange.take_latency().unwrap();
        assert_eq!((latency.count(), latency.reopened), (3, 2));

        let mut exchange = keepalive(Stop::default());
        let two = [RESPONSE, b"x"].concat();
        assert!(round(&mut exchange, &two)
            .unwrap_err()
            .starts_with("body longer than Content-Length"));
        let mut exchange = keepalive(Stop::default());
        assert_eq!(
            round(
                &mut exchange,
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
            ),
            Err("HTTP 404".into())
        );
    }
}
