//! What one connection does, written once for every I/O model: sans-IO, owning no socket.
//!
//! An [`Exchange`] is told what arrived and what went out, and says what to send next and when it
//! is over. I/O models only move bytes: they ask [`Exchange::to_send`] for bytes to write, report
//! writes with [`Exchange::sent`], hand every received chunk to [`Exchange::received`] and the
//! peer's close to [`Exchange::closed`]. After each received chunk a model checks `to_send` again,
//! so an exchange that sends more than once (keep-alive requests, uploads) fits every model as it
//! is. An open-loop exchange holds each request until its intended send time
//! ([`Exchange::next_due`]), and every model bounds its wait by that time. [`Download`] is one
//! GET whose body is counted, never stored; [`KeepAlive`] HTTP/1.1 requests back to back on one
//! connection, each response framed by its Content-Length; [`Churn`] the same requests, each on a
//! connection of its own (the exchange outlives its connections: [`Exchange::again`]);
//! [`Upload`] one PUT with a body, the server's byte count checked. [`AnyExchange`] is the one a
//! run's workload picks.
//!
//! HTTP framing follows curl and wrk (RFC 9112 §6): a job is done when Content-Length body bytes
//! have arrived, without waiting for the server to close; a byte beyond Content-Length fails it
//! ("body longer than Content-Length"), and so do two different Content-Length values; 1xx interim
//! responses are skipped; `Transfer-Encoding` (chunked) is refused with a clear error, as the
//! request is HTTP/1.0, which a server must not answer with a chunked body; a body without
//! Content-Length is read to EOF.

mod churn;
mod download;
mod keepalive;
mod response;
mod upload;

pub use churn::Churn;
pub use download::Download;
pub use keepalive::{KeepAlive, Stop};
pub use upload::Upload;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use crate::client::latency::Latency;
use response::Response;

/// A response head larger than this is refused: no real server sends one, and an endless head must
/// not grow the client's memory.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Where an exchange stands after a received chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// More bytes are expected (or, when [`Exchange::to_send`] is not empty, more must be sent).
    Continue,
    /// The exchange is done with this connection: the model closes it (and, when
    /// [`Exchange::again`] says so, opens a new one for the same exchange).
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

impl Report {
    fn of(response: &Response) -> Report {
        Report {
            status: response.head.as_ref().map_or(0, |h| h.status),
            body_bytes: response.body_bytes,
            server: response.head.as_ref().map(|h| h.server.clone()),
            content_length: response.head.as_ref().and_then(|h| h.content_length),
        }
    }
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
    /// Bytes received so far, for the speed floor (cheaper than a whole [`Exchange::report`]).
    fn progress_bytes(&self) -> u64 {
        self.report().body_bytes
    }
    /// Body bytes still to come of a bulk body whose length the head announced; `None` before
    /// the head, without Content-Length, and for exchanges of small responses. The readiness
    /// model sets its low-water mark from it (see `model/readiness/low_water.rs`).
    fn body_remaining(&self) -> Option<u64> {
        None
    }
    /// A connection is about to be opened (its `socket()` call) at `now`: churn times its connect
    /// from here (every model calls it just before `socket()`).
    fn opening(&mut self, _now: Instant) {}
    /// The connection was established at `now`: a request-rate exchange times its first request
    /// from here (every model calls it where it learns so).
    fn connected(&mut self, _now: Instant) {}
    /// After [`Progress::Done`]: whether the exchange goes on over a new connection (churn).
    fn again(&self) -> bool {
        false
    }
    /// The latencies of the requests this exchange counted; `None` for a one-request exchange,
    /// whose job record holds its times.
    fn take_latency(&mut self) -> Option<Latency> {
        None
    }
    /// The connect latencies this exchange counted (churn), each connection's `socket()` to
    /// established; `None` for an exchange of one connection.
    fn take_connects(&mut self) -> Option<Latency> {
        None
    }
    /// Open loop (`--rate`): a request held for its intended send time whose time has come by
    /// `now` is released (then [`Exchange::to_send`] has it); a request still held says when it
    /// is due, and the model wakes then and asks again. `None`: nothing is held. Every model asks
    /// after the connection is up and after each received chunk, before it sends, and bounds its
    /// wait by the earliest time returned.
    fn next_due(&mut self, _now: Instant) -> Option<Instant> {
        None
    }
}

/// The exchange of a run's workload, dispatched without a box (models hold one per connection).
#[derive(Debug)]
pub enum AnyExchange {
    Download(Download),
    /// Boxed: its histogram would make every connection's slot as large.
    KeepAlive(Box<KeepAlive>),
    Churn(Box<Churn>),
    Upload(Upload),
}

macro_rules! each {
    ($self:ident, $e:ident => $body:expr) => {
        match $self {
            AnyExchange::Download($e) => $body,
            AnyExchange::KeepAlive($e) => $body,
            AnyExchange::Churn($e) => $body,
            AnyExchange::Upload($e) => $body,
        }
    };
}

impl Exchange for AnyExchange {
    fn to_send(&self) -> &[u8] {
        each!(self, e => e.to_send())
    }
    fn sent(&mut self, n: usize) {
        each!(self, e => e.sent(n))
    }
    fn received(&mut self, data: &[u8]) -> Result<Progress, String> {
        each!(self, e => e.received(data))
    }
    fn closed(&mut self) -> Result<(), String> {
        each!(self, e => e.closed())
    }
    fn report(&self) -> Report {
        each!(self, e => e.report())
    }
    fn progress_bytes(&self) -> u64 {
        each!(self, e => e.progress_bytes())
    }
    fn body_remaining(&self) -> Option<u64> {
        each!(self, e => e.body_remaining())
    }
    fn opening(&mut self, now: Instant) {
        each!(self, e => e.opening(now))
    }
    fn connected(&mut self, now: Instant) {
        each!(self, e => e.connected(now))
    }
    fn again(&self) -> bool {
        each!(self, e => e.again())
    }
    fn take_latency(&mut self) -> Option<Latency> {
        each!(self, e => e.take_latency())
    }
    fn take_connects(&mut self) -> Option<Latency> {
        each!(self, e => e.take_connects())
    }
    fn next_due(&mut self, now: Instant) -> Option<Instant> {
        each!(self, e => e.next_due(now))
    }
}

/// `GET <path> HTTP/1.0` with the headers the old suite sent (Host, Accept, User-Agent).
pub fn request(address: IpAddr, port: u16, path: &str) -> Arc<[u8]> {
    head("GET", path, "1.0", address, port, "")
        .into_bytes()
        .into()
}

/// A request head: `<method> <path> HTTP/<version>` with Host, Accept, User-Agent and `extra`
/// header lines (each ending in CRLF).
pub fn head(
    method: &str,
    path: &str,
    version: &str,
    address: IpAddr,
    port: u16,
    extra: &str,
) -> String {
    let host = match address {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    };
    format!(
        "{method} {path} HTTP/{version}\r\nHost: {host}\r\nAccept: */*\r\nUser-Agent: bench-overhead/{}\r\n{extra}\r\n",
        env!("CARGO_PKG_VERSION")
    )
}
