//! `--fault`: how each deliberate misbehaviour bends the answer to a GET for an existing file.
//! The help text of each mode (the doc comments of [`Fault`]) states the same contract; the tests
//! check it.

use std::time::Duration;

use super::response::{self, Status};

/// Deliberate server faults, one per run, so client tests can observe each failure mode.
/// Named on the command line by `--fault` (clap derives the names and help from this).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fault {
    /// Send the head (Content-Length = file size), then nothing; the connection stays open and
    /// silent until the client closes it (--idle-timeout does not end a stall).
    StallAfterHeaders,
    /// Send the head and half the body, then nothing, as stall-after-headers.
    StallMidBody,
    /// Send the head and half the body, then close normally (FIN): fewer bytes than
    /// Content-Length promised.
    Truncate,
    /// Announce half the file size in Content-Length, send the whole file, then close (FIN):
    /// the body is longer than announced.
    WrongLength,
    /// Answer "500 Internal Server Error" with a short text body, then close.
    #[value(name = "status-500")]
    Status500,
    /// Answer "GARBAGE STATUS LINE" and a blank line (no HTTP status line at all), then close.
    GarbageStatus,
    /// Send the head and at most half the body, then reset the connection (RST via SO_LINGER 0;
    /// what the kernel had not sent yet is discarded).
    ResetMidBody,
    /// Send the whole, correct body in chunks of at most 4 KiB with 10 ms pauses between them
    /// (about 400 KiB/s per connection).
    SlowDrip,
}

/// Largest body chunk of `slow-drip`.
pub const DRIP_CHUNK: u64 = 4 * 1024;
/// Pause between two `slow-drip` chunks.
pub const DRIP_PAUSE: Duration = Duration::from_millis(10);

/// What a connection does once its response has been sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Wait for the next request.
    KeepAlive,
    /// Close normally (FIN), after reading what the client still sends (lingering).
    Close,
    /// The end of an exchange read whole (HTTP/1.0, `Connection: close`): close at once when
    /// the client has sent nothing more (nginx's `lingering_close auto`), else as `Close`.
    End,
    /// Close with RST (SO_LINGER 0).
    Reset,
    /// Send nothing more and keep the connection open until the client closes it.
    Stall,
}

/// How to answer a GET for a file of `file_len` bytes: the head, how much of the file to send,
/// at what pace, and what then.
#[derive(Debug)]
pub struct Plan {
    pub head: Vec<u8>,
    /// Bytes of the file to send, from its start.
    pub body_len: u64,
    /// Send at most this many bytes, then pause (`slow-drip`).
    pub drip: bool,
    pub after: After,
}

pub fn plan(fault: Option<Fault>, file_len: u64, minor_version: u8, keep_alive: bool) -> Plan {
    let octets = "application/octet-stream";
    let half = file_len / 2;
    let ok_head =
        |length, keep_alive| response::head(Status::Ok, minor_version, octets, length, keep_alive);
    let (head, body_len, drip, after) = match fault {
        None => (
            ok_head(file_len, keep_alive),
            file_len,
            false,
            keep(keep_alive),
        ),
        Some(Fault::StallAfterHeaders) => (ok_head(file_len, keep_alive), 0, false, After::Stall),
        Some(Fault::StallMidBody) => (ok_head(file_len, keep_alive), half, false, After::Stall),
        Some(Fault::Truncate) => (ok_head(file_len, false), half, false, After::Close),
        Some(Fault::WrongLength) => (ok_head(half, false), file_len, false, After::Close),
        Some(Fault::Status500) => (
            response::error(Status::InternalError, minor_version, false, true),
            0,
            false,
            After::Close,
        ),
        Some(Fault::GarbageStatus) => (
            b"GARBAGE STATUS LINE\r\n\r\n".to_vec(),
            0,
            false,
            After::Close,
        ),
        Some(Fault::ResetMidBody) => (ok_head(file_len, false), half, false, After::Reset),
        Some(Fault::SlowDrip) => (
            ok_head(file_len, keep_alive),
            file_len,
            true,
            keep(keep_alive),
        ),
    };
    Plan {
        head,
        body_len,
        drip,
        after,
    }
}

/// How an ordinary response ends.
pub fn keep(keep_alive: bool) -> After {
    if keep_alive {
        After::KeepAlive
    } else {
        After::End
    }
}

/// One line for the start-up log.
pub fn describe(fault: Fault) -> &'static str {
    match fault {
        Fault::StallAfterHeaders => "stall-after-headers: the head, then silence until the client closes",
        Fault::StallMidBody => "stall-mid-body: the head and half the body, then silence until the client closes",
        Fault::Truncate => "truncate: the head and half the body, then FIN (Content-Length promises the whole file)",
        Fault::WrongLength => "wrong-length: Content-Length says half the file, the whole file follows, then FIN",
        Fault::Status500 => "status-500: 500 Internal Server Error, then FIN",
        Fault::GarbageStatus => "garbage-status: \"GARBAGE STATUS LINE\" instead of a status line, then FIN",
        Fault::ResetMidBody => "reset-mid-body: the head and at most half the body, then RST",
        Fault::SlowDrip => "slow-drip: the whole body in chunks of at most 4 KiB, 10 ms apart",
    }
}
