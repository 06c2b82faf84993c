//! One connection's life: read a request head (and an upload's body), send the response, then
//! wait for the next request, close, reset or stall — never blocking, so one thread can run thousands of them.
//!
//! `advance` does as much work as the socket allows right now and says what to wait for next;
//! it may be called spuriously (a stale timer, a level-triggered wake) and then does nothing
//! harmful: every wait it reports is re-checked against the clock or the socket.

use std::fs::File;
use std::io::{self, Read};
use std::net::{Shutdown, TcpStream};
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::fault::{self, After, DRIP_CHUNK, DRIP_PAUSE};
use super::files::{OpenFiles, Opened};
use super::request::{self, Method, Parsed, MAX_HEAD_BYTES};
use super::response::{self, Status};
use super::send::{send_bytes, send_file, turn_bytes};
use super::{path, Config};

const OCTETS: &str = "application/octet-stream";

/// How long a closing connection keeps reading what the client still sends, so that unread
/// input does not turn the close into an RST that could destroy the response in flight.
const LINGER: Duration = Duration::from_secs(2);

/// Counters for the log line at shutdown.
#[derive(Debug, Default)]
pub struct Stats {
    pub connections: u64,
    pub requests: u64,
    pub body_bytes: u64,
    /// Upload body bytes received (and discarded).
    pub upload_bytes: u64,
}

/// Upload bytes read per wake at most before the loop serves the others.
const UPLOAD_TURN: u64 = 1024 * 1024;

/// What the loop needs from itself while a connection advances.
pub struct Context<'a> {
    pub config: &'a Config,
    pub files: &'a mut OpenFiles,
    pub scratch: &'a mut [u8],
    pub stats: &'a mut Stats,
    pub now: Instant,
}

/// What the connection waits for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Wait {
        read: bool,
        write: bool,
        wake_at: Option<Instant>,
    },
    Close,
    Reset,
}

impl Next {
    const READ: Next = Next::Wait {
        read: true,
        write: false,
        wake_at: None,
    };
    const WRITE: Next = Next::Wait {
        read: false,
        write: true,
        wake_at: None,
    };
}

enum Phase {
    /// Reading a request head (also: idle between keep-alive requests).
    Head,
    /// Receiving an upload's body.
    Upload(Upload),
    /// Sending a response.
    Send(Outgoing),
    /// A stall fault: silent until the client closes.
    Stalled,
    /// Our side is shut down; discarding input until EOF or the deadline.
    Lingering(Instant),
}

/// An upload's body on its way in: counted and dropped, through the loop's one buffer.
struct Upload {
    /// What is still to be sent of `100 Continue` before the body is read (empty: nothing).
    interim: &'static [u8],
    remaining: u64,
    received: u64,
    minor_version: u8,
    keep_alive: bool,
}

/// A response on its way out.
struct Outgoing {
    head: Vec<u8>,
    head_sent: usize,
    body: Option<Rc<File>>,
    offset: u64,
    body_len: u64,
    drip: bool,
    /// While dripping: no bytes before this instant.
    resume_at: Option<Instant>,
    after: After,
}

impl Outgoing {
    fn bytes(head: Vec<u8>, after: After) -> Outgoing {
        Outgoing {
            head,
            head_sent: 0,
            body: None,
            offset: 0,
            body_len: 0,
            drip: false,
            resume_at: None,
            after,
        }
    }
}

enum Progress {
    Done,
    Blocked,
    /// Come back at once (fairness yield) or at the given instant (drip pause).
    Later(Option<Instant>),
}

pub struct Connection {
    pub stream: TcpStream,
    /// Unique for the server's life: stale timers of a reused slot are recognised by it.
    pub id: u64,
    pub last_activity: Instant,
    /// When the first byte of the request head being read arrived (`--header-timeout`).
    head_started: Option<Instant>,
    buf: Vec<u8>,
    phase: Phase,
}

impl Connection {
    pub fn new(stream: TcpStream, id: u64, now: Instant) -> Connection {
        Connection {
            stream,
            id,
            last_activity: now,
            head_started: None,
            buf: Vec::new(),
            phase: Phase::Head,
        }
    }

    /// Whether `--idle-timeout` applies now (a stall fault is silent on purpose).
    pub fn times_out(&self) -> bool {
        !matches!(self.phase, Phase::Stalled)
    }

    /// Whether a request head has been arriving for `limit` or longer and is still not complete.
    pub fn head_overdue(&self, now: Instant, limit: Duration) -> bool {
        matches!(self.phase, Phase::Head)
            && self
                .head_started
                .is_some_and(|started| now.duration_since(started) >= limit)
    }

    /// Gives up on a head that is overdue: 408, then close (the next `advance` sends it).
    pub fn refuse_slow_head(&mut self) {
        self.buf.clear();
        self.head_started = None;
        let bytes = response::error(Status::RequestTimeout, 1, false, true);
        self.phase = Phase::Send(Outgoing::bytes(bytes, After::Close));
    }

    /// Does all the work the socket allows now; returns what to wait for.
    pub fn advance(&mut self, cx: &mut Context) -> Next {
        // Once a response went out, the next request is waited for rather than read for: a
        // read now would find nothing, most of the time, and cost a system call per request
        // (the level-triggered poller reports the socket when it has something).
        let mut responded = false;
        loop {
            match &mut self.phase {
                Phase::Head => match request::parse(&self.buf) {
                    Parsed::Incomplete if responded => return Next::READ,
                    Parsed::Incomplete => match self.read_head(cx) {
                        Ok(0) => return Next::Close,
                        Ok(_) => continue,
                        Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Next::READ,
                        Err(_) => return Next::Close,
                    },
                    Parsed::Request(request, head_len) => {
                        self.buf.drain(..head_len);
                        cx.stats.requests += 1;
                        self.phase = if request.method.uploads() {
                            self.start_upload(&request, cx)
                        } else {
                            Phase::Send(respond(&request, cx))
                        };
                        // Pipelined bytes already here begin the next head.
                        self.head_started = (!self.buf.is_empty()).then_some(cx.now);
                    }
                    Parsed::Refused(status, minor_version) => {
                        self.buf.clear();
                        cx.stats.requests += 1;
                        let bytes = response::error(status, minor_version, false, true);
                        self.phase = Phase::Send(Outgoing::bytes(bytes, After::Close));
                    }
                },
                Phase::Upload(upload) => {
                    match receive(&self.stream, upload, cx, &mut self.last_activity) {
                        Err(_) => return Next::Close,
                        Ok(Some(next)) => return next,
                        Ok(None) => {
                            let keep_alive = upload.keep_alive;
                            let bytes = response::upload_received(
                                upload.received,
                                upload.minor_version,
                                keep_alive,
                            );
                            self.phase =
                                Phase::Send(Outgoing::bytes(bytes, fault::keep(keep_alive)));
                        }
                    }
                }
                Phase::Send(out) => match send(&self.stream, out, cx, &mut self.last_activity) {
                    Err(_) => return Next::Close,
                    Ok(Progress::Blocked) => return Next::WRITE,
                    Ok(Progress::Later(wake_at)) => {
                        return Next::Wait {
                            read: false,
                            write: wake_at.is_none(),
                            wake_at,
                        }
                    }
                    Ok(Progress::Done) => match out.after {
                        After::KeepAlive => {
                            self.phase = Phase::Head;
                            responded = true;
                        }
                        After::End
                            if self.buf.is_empty() && nothing_more(&self.stream, cx.scratch) =>
                        {
                            return Next::Close
                        }
                        After::Stall => self.phase = Phase::Stalled,
                        After::Reset => return Next::Reset,
                        After::Close | After::End => {
                            if self.stream.shutdown(Shutdown::Write).is_err() {
                                return Next::Close;
                            }
                            self.phase = Phase::Lingering(cx.now + LINGER);
                        }
                    },
                },
                Phase::Stalled => {
                    return match self.discard_input(cx) {
                        Some(next) => next,
                        None => Next::READ,
                    }
                }
                Phase::Lingering(deadline) => {
                    let deadline = *deadline;
                    if cx.now >= deadline {
                        return Next::Close;
                    }
                    return match self.discard_input(cx) {
                        Some(next) => next,
                        None => Next::Wait {
                            read: true,
                            write: false,
                            wake_at: Some(deadline),
                        },
                    };
                }
            }
        }
    }

    /// The phase after an upload's head: 413 for a body over `--max-upload` (before any of it
    /// is read), else receiving it, starting with the body bytes that came with the head.
    fn start_upload(&mut self, request: &request::Request, cx: &mut Context) -> Phase {
        let minor_version = request.minor_version;
        if request.body_len > cx.config.max_upload {
            self.buf.clear();
            let bytes = response::error(Status::ContentTooLarge, minor_version, false, true);
            return Phase::Send(Outgoing::bytes(bytes, After::Close));
        }
        let early = (self.buf.len() as u64).min(request.body_len);
        self.buf.drain(..early as usize);
        cx.stats.upload_bytes += early;
        let remaining = request.body_len - early;
        // RFC 9110 §10.1.1: no 100 once the client sent some body anyway.
        let interim = if request.expect_continue && early == 0 && remaining > 0 {
            response::CONTINUE
        } else {
            &[]
        };
        Phase::Upload(Upload {
            interim,
            remaining,
            received: early,
            minor_version,
            keep_alive: request.keep_alive,
        })
    }

    /// Reads more of a request head, never past `MAX_HEAD_BYTES` in the buffer.
    fn read_head(&mut self, cx: &mut Context) -> io::Result<usize> {
        let room = MAX_HEAD_BYTES - self.buf.len();
        let n = (&self.stream).read(&mut cx.scratch[..room])?;
        self.buf.extend_from_slice(&cx.scratch[..n]);
        if n > 0 {
            self.last_activity = cx.now;
            self.head_started.get_or_insert(cx.now);
        }
        Ok(n)
    }

    /// Reads and drops input; `Some(Close)` at EOF or on error, `None` once nothing is left.
    fn discard_input(&mut self, cx: &mut Context) -> Option<Next> {
        loop {
            match (&self.stream).read(cx.scratch) {
                Ok(0) => return Some(Next::Close),
                Ok(_) => continue,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return None,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return Some(Next::Close),
            }
        }
    }
}

/// The response to a well-formed request.
fn respond(request: &request::Request, cx: &mut Context) -> Outgoing {
    let minor = request.minor_version;
    let opened =
        path::file_under_root(&request.target).and_then(|relative| cx.files.open(&relative));
    match opened {
        Ok(Opened {
            contents: Some(contents),
            len,
            ..
        }) if request.method == Method::Get && cx.config.fault.is_none() => {
            let mut bytes = response::head(Status::Ok, minor, OCTETS, len, request.keep_alive);
            bytes.extend_from_slice(&contents);
            Outgoing::bytes(bytes, fault::keep(request.keep_alive))
        }
        Ok(Opened { file, len, .. }) if request.method == Method::Get => {
            let plan = fault::plan(cx.config.fault, len, minor, request.keep_alive);
            Outgoing {
                head: plan.head,
                head_sent: 0,
                body: Some(file),
                offset: 0,
                body_len: plan.body_len,
                drip: plan.drip,
                resume_at: None,
                after: plan.after,
            }
        }
        Ok(Opened { len, .. }) => {
            let head = response::head(Status::Ok, minor, OCTETS, len, request.keep_alive);
            Outgoing::bytes(head, fault::keep(request.keep_alive))
        }
        Err(status) => {
            // A missing file is an ordinary answer; a suspicious target ends the connection.
            let keep_alive = request.keep_alive && status == Status::NotFound;
            let with_body = request.method == Method::Get;
            let bytes = response::error(status, minor, keep_alive, with_body);
            Outgoing::bytes(bytes, fault::keep(keep_alive))
        }
    }
}

/// Whether the client has sent nothing after its request: one read finds nothing or EOF, so
/// a close now sends a FIN, not the RST that unread input would turn it into.
fn nothing_more(stream: &TcpStream, scratch: &mut [u8]) -> bool {
    match (&*stream).read(&mut scratch[..1]) {
        Ok(0) => true,
        Ok(_) => false,
        Err(err) => err.kind() == io::ErrorKind::WouldBlock,
    }
}

/// Sends what is left of `100 Continue`, then reads and counts body bytes (one turn at most).
/// `None` once the whole body is in; `Some` what to wait for otherwise.
fn receive(
    stream: &TcpStream,
    upload: &mut Upload,
    cx: &mut Context,
    last_activity: &mut Instant,
) -> io::Result<Option<Next>> {
    while !upload.interim.is_empty() {
        match send_bytes(stream, upload.interim) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => upload.interim = &upload.interim[n..],
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(Some(Next::WRITE)),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    let mut read_now = 0;
    while upload.remaining > 0 {
        if read_now >= UPLOAD_TURN {
            return Ok(Some(Next::READ)); // level-triggered: woken again at once
        }
        let want = upload.remaining.min(cx.scratch.len() as u64) as usize;
        match (&*stream).read(&mut cx.scratch[..want]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                let n = n as u64;
                upload.remaining -= n;
                upload.received += n;
                read_now += n;
                cx.stats.upload_bytes += n;
                *last_activity = cx.now;
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(Some(Next::READ)),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(None)
}

/// Sends what the socket takes of the head, then up to one turn (`turn_bytes`) of the body.
fn send(
    stream: &TcpStream,
    out: &mut Outgoing,
    cx: &mut Context,
    last_activity: &mut Instant,
) -> io::Result<Progress> {
    while out.head_sent < out.head.len() {
        match send_bytes(stream, &out.head[out.head_sent..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                out.head_sent += n;
                *last_activity = cx.now;
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(Progress::Blocked),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    let Some(file) = &out.body else {
        return Ok(Progress::Done);
    };
    // Asked on every turn: the segment size grows with the peer's window during a download.
    let turn = turn_bytes(stream);
    let mut sent_now = 0;
    while out.offset < out.body_len {
        if let Some(resume_at) = out.resume_at {
            if cx.now < resume_at {
                return Ok(Progress::Later(Some(resume_at)));
            }
            out.resume_at = None;
        }
        let mut want = (out.body_len - out.offset).min(turn - sent_now);
        if out.drip {
            want = want.min(DRIP_CHUNK);
        }
        match send_file(stream, file, out.offset, want, cx.scratch) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file shrank while it was being sent",
                ))
            }
            Ok(n) => {
                out.offset += n as u64;
                sent_now += n as u64;
                cx.stats.body_bytes += n as u64;
                *last_activity = cx.now;
                if out.drip && out.offset < out.body_len {
                    out.resume_at = Some(cx.now + DRIP_PAUSE);
                } else if sent_now == turn && out.offset < out.body_len {
                    return Ok(Progress::Later(None));
                }
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(Progress::Blocked),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(Progress::Done)
}
