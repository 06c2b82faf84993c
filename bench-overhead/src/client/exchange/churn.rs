//! The churn workload (netperf's TCP_CRR): each request on a connection of its own. The request
//! is HTTP/1.1 with `Connection: close`; once its response is complete (by Content-Length) the
//! exchange is done with the connection and asks for a new one ([`Exchange::again`]), until the
//! same [`Stop`] as keep-alive's.
//!
//! The requests are a [`KeepAlive`] exchange's, so counting, warm-up and the stop are written once.
//! A request's latency runs from its connection being up to its response complete (the request's
//! write included); the connect before it is timed apart, from just before `socket()` to the
//! model learning the connection is established, in a histogram of its own. A connection that
//! came up during the warm-up is made but not counted, in both histograms: it is the moment its
//! request becomes due.

use std::sync::Arc;
use std::time::Instant;

use super::keepalive::{KeepAlive, Stop};
use super::{Exchange, Progress, Report};
use crate::client::latency::Latency;
use crate::client::pace::Pace;

#[derive(Debug)]
pub struct Churn {
    requests: KeepAlive,
    warmup_until: Option<Instant>,
    /// When the connection being opened began (its `socket()`); `None` once it is up.
    opening: Option<Instant>,
    /// Connect latencies of the connections that came up after the warm-up; `warmup` counts the
    /// others.
    connects: Latency,
    /// The connection's response is complete and the stop not reached: another connection is due.
    again: bool,
}

impl Churn {
    pub fn new(request: Arc<[u8]>, stop: Stop) -> Churn {
        Churn {
            requests: KeepAlive::new(request, stop).for_churn(),
            warmup_until: stop.warmup_until,
            opening: None,
            connects: Latency::default(),
            again: false,
        }
    }

    /// Sends on `pace`'s schedule (open loop), as [`KeepAlive::paced`]: a connection is opened
    /// as soon as the one before it closed, and its request waits on it for its intended time.
    pub fn paced(mut self, pace: Pace) -> Churn {
        self.requests = self.requests.paced(pace);
        self
    }
}

impl Exchange for Churn {
    fn to_send(&self) -> &[u8] {
        self.requests.to_send()
    }

    fn sent(&mut self, n: usize) {
        self.requests.sent(n);
    }

    fn received(&mut self, data: &[u8]) -> Result<Progress, String> {
        let before = self.requests.responses();
        let progress = self.requests.received(data)?;
        if progress == Progress::Continue && self.requests.responses() > before {
            // Complete, and the next request is due: on a new connection.
            self.requests.next_on_new_connection();
            self.again = true;
            return Ok(Progress::Done);
        }
        Ok(progress)
    }

    fn closed(&mut self) -> Result<(), String> {
        self.requests.response_closed()?;
        Err("churn response without Content-Length: the server closed to end it (churn reads each response by its Content-Length)".to_string())
    }

    fn report(&self) -> Report {
        self.requests.report()
    }

    fn progress_bytes(&self) -> u64 {
        self.requests.progress_bytes()
    }

    fn opening(&mut self, now: Instant) {
        self.opening = Some(now);
        self.again = false;
    }

    fn connected(&mut self, now: Instant) {
        if let Some(opened) = self.opening.take() {
            if self.warmup_until.is_some_and(|end| now < end) {
                self.connects.warmup += 1;
            } else {
                self.connects.record(now.saturating_duration_since(opened));
            }
        }
        self.requests.connected(now);
    }

    fn again(&self) -> bool {
        self.again
    }

    fn take_latency(&mut self) -> Option<Latency> {
        self.requests.take_latency()
    }

    fn take_connects(&mut self) -> Option<Latency> {
        Some(std::mem::take(&mut self.connects))
    }

    fn next_due(&mut self, now: Instant) -> Option<Instant> {
        self.requests.next_due(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const RESPONSE: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";

    fn churn(stop: Stop) -> Churn {
        Churn::new(
            Arc::from(&b"GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n"[..]),
            stop,
        )
    }

    /// Opens a connection, sends the request, feeds `response`: the progress it made.
    fn connection(exchange: &mut Churn, response: &[u8]) -> Result<Progress, String> {
        let t0 = Instant::now();
        exchange.opening(t0);
        exchange.connected(t0 + Duration::from_micros(40));
        let n = exchange.to_send().len();
        assert!(n > 0, "a request is due on every new connection");
        exchange.sent(n);
        exchange.received(response)
    }

    #[test]
    fn each_request_gets_a_connection_until_the_count() {
        let mut exchange = churn(Stop {
            requests: Some(3),
            ..Stop::default()
        });
        for _ in 0..2 {
            assert_eq!(connection(&mut exchange, RESPONSE), Ok(Progress::Done));
            assert!(exchange.again(), "another connection is due");
        }
        assert_eq!(connection(&mut exchange, RESPONSE), Ok(Progress::Done));
        assert!(!exchange.again(), "the count is reached");
        assert_eq!(exchange.report().body_bytes, 15);
        assert_eq!(exchange.take_latency().unwrap().count(), 3);
        let connects = exchange.take_connects().unwrap();
        assert_eq!((connects.count(), connects.warmup), (3, 0));
        let p = connects.percentiles().unwrap();
        assert!((p.max - 40.0).abs() <= 0.5, "{p:?}");
    }

    #[test]
    fn warmup_connections_are_made_not_counted() {
        let mut exchange = churn(Stop {
            requests: Some(1),
            warmup_until: Some(Instant::now() + Duration::from_secs(3600)),
            ..Stop::default()
        });
        for _ in 0..4 {
            assert_eq!(connection(&mut exchange, RESPONSE), Ok(Progress::Done));
            assert!(exchange.again());
        }
        let connects = exchange.take_connects().unwrap();
        let latency = exchange.take_latency().unwrap();
        assert_eq!((connects.count(), connects.warmup), (0, 4));
        assert_eq!((latency.count(), latency.warmup), (0, 4));
    }

    #[test]
    fn a_close_before_the_response_ends_is_a_failure() {
        let mut exchange = churn(Stop::default());
        assert_eq!(connection(&mut exchange, RESPONSE), Ok(Progress::Done));
        // The next connection: closed before any byte, or inside the body.
        assert_eq!(connection(&mut exchange, b""), Ok(Progress::Continue));
        assert_eq!(
            exchange.closed(),
            Err("connection closed before any response".into())
        );
        let mut exchange = churn(Stop::default());
        assert_eq!(
            connection(&mut exchange, &RESPONSE[..60]),
            Ok(Progress::Continue)
        );
        assert!(!exchange.again());
        assert!(exchange.closed().unwrap_err().starts_with("truncated body"));
        let mut exchange = churn(Stop::default());
        assert_eq!(
            connection(&mut exchange, b"HTTP/1.1 200 OK\r\n\r\nhello"),
            Ok(Progress::Continue)
        );
        assert!(exchange
            .closed()
            .unwrap_err()
            .starts_with("churn response without Content-Length"));
    }
}
