//! The phase table: what starts and ends each phase of a job, the same kind of boundary in every
//! I/O model. Models only set marks on a [`Timeline`]; the phases are derived here, once.
//!
//! | phase      | starts at                                   | ends at                                             |
//! |------------|---------------------------------------------|-----------------------------------------------------|
//! | `socket`   | the job begins (see below)                  | `socket()` returned, in the mode the model needs    |
//! | `setup`    | `socket` ended                              | the connect is issued (`connect()` called, or the connect submission queued) |
//! | `connect`  | `setup` ended                               | the model learns the connection is established      |
//! | `ttfb`     | `connect` ended                             | the first response byte is in user space            |
//! | `transfer` | `ttfb` ended                                | the exchange is done (Content-Length reached, or EOF) |
//!
//! The marks are consecutive, so the five phases add up to the job's wall time (`end_ns -
//! start_ns`) exactly: no time of a job falls outside every phase. What each phase holds per model:
//!
//! - **threaded**: the job begins when the main thread starts spawning its thread; `setup` holds
//!   the spawn and the thread's start-up (named part `thread_start_ns`: spawn called → the thread
//!   runs) and the socket options; `socket` is then timed on the thread, after `setup`'s start-up
//!   part — so for this model the marks are `begin → thread running → socket → connect issued`, and
//!   `setup_ns` = thread start + options. The close and the thread's exit and join come after the
//!   job's end and count in the run's time only.
//! - **poll** (readiness): the job begins at its `socket()`; `setup` is registering with the
//!   poller; `connect` starts at `connect()` and ends when readiness says it is over, so it holds
//!   the time the loop spent opening the other connections before its first wait (named part
//!   `queued_ns`) and any time the ready connection waited behind others in a wakeup.
//! - **uring**: the job begins at its `socket()`; `setup` is preparing its connect submission;
//!   `connect` ends when its completion is reaped, and holds (as `queued_ns`) the time before the
//!   ring first entered the kernel.
//!
//! `ttfb` includes writing the request (one `send` on loopback). Failed jobs keep the phases they
//! reached; a phase not reached is absent.
//!
//! A churn job is a connection slot: every connection it opened, one after another. Its marks are
//! its first connection's (each is set once), except the end, which is the last connection's
//! (`next_connection` unsets it): so its `transfer` holds every later connection, as a keep-alive
//! job's holds every later request; each connection's own connect time is in the run's connect
//! histogram.

use std::time::Instant;

use bench_records::JobRecord;

/// One job's marks; each is set once, when the model passes it.
#[derive(Debug, Clone, Copy)]
pub struct Timeline {
    pub begin: Instant,
    pub socket: Option<Instant>,
    pub connect_issued: Option<Instant>,
    pub connected: Option<Instant>,
    /// When the job's current connection came up (churn opens several); `None` while it is not.
    pub established: Option<Instant>,
    pub first_byte: Option<Instant>,
    pub end: Option<Instant>,
    /// Named part of `setup` (threaded): spawn called → the thread runs.
    pub thread_start: Option<Instant>,
    /// Named part of `connect` (poll, uring): `connect()` → the model's first wait.
    pub queued_until: Option<Instant>,
}

impl Timeline {
    pub fn new(begin: Instant) -> Timeline {
        Timeline {
            begin,
            socket: None,
            connect_issued: None,
            connected: None,
            established: None,
            first_byte: None,
            end: None,
            thread_start: None,
            queued_until: None,
        }
    }

    /// Sets a mark to now unless it is set already, and returns it.
    pub fn mark(slot: &mut Option<Instant>) -> Instant {
        *slot.get_or_insert_with(Instant::now)
    }

    /// The job's current connection is up at `now` (the `connected` mark: the first one's).
    pub fn established_now(&mut self, now: Instant) {
        self.connected.get_or_insert(now);
        self.established = Some(now);
    }

    /// The job goes on over a new connection (churn): it has not ended, and is not up.
    pub fn next_connection(&mut self) {
        self.end = None;
        self.established = None;
    }

    /// The first response byte arrived now (a no-op after the first).
    pub fn first_byte_now(&mut self) {
        Timeline::mark(&mut self.first_byte);
    }

    /// Writes the phases into `record`; `run_start` is what `start_ns`/`end_ns` count from.
    pub fn fill(&self, record: &mut JobRecord, run_start: Instant) {
        let span = |from: Option<Instant>, to: Option<Instant>| Some(nanos(from?, to?));
        match self.thread_start {
            // threaded: begin → thread running → socket → connect issued (see the table).
            Some(running) => {
                let start_up = nanos(self.begin, running);
                record.thread_start_ns = Some(start_up);
                record.socket_ns = span(Some(running), self.socket);
                record.setup_ns =
                    span(self.socket, self.connect_issued).map(|options| start_up + options);
            }
            None => {
                record.socket_ns = span(Some(self.begin), self.socket);
                record.setup_ns = span(self.socket, self.connect_issued);
            }
        }
        record.connect_ns = span(self.connect_issued, self.connected);
        record.queued_ns = span(self.connect_issued, self.queued_until);
        record.ttfb_ns = span(self.connected, self.first_byte);
        record.transfer_ns = span(self.first_byte, self.end);
        record.start_ns = Some(nanos(run_start, self.begin));
        record.end_ns = self.end.map(|end| nanos(run_start, end));
    }
}

/// Nanoseconds from `from` to `to` (0 if the clock did not move forward).
pub fn nanos(from: Instant, to: Instant) -> u64 {
    u64::try_from(to.saturating_duration_since(from).as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn after(base: Instant, micros: u64) -> Option<Instant> {
        Some(base + Duration::from_micros(micros))
    }

    #[test]
    fn readiness_phases_add_up_to_the_wall_time() {
        let t0 = Instant::now();
        let timeline = Timeline {
            socket: after(t0, 2),
            connect_issued: after(t0, 5),
            queued_until: after(t0, 40),
            connected: after(t0, 50),
            first_byte: after(t0, 90),
            end: after(t0, 1000),
            ..Timeline::new(t0)
        };
        let mut record = JobRecord::default();
        timeline.fill(&mut record, t0);
        assert_eq!(record.socket_ns, Some(2_000));
        assert_eq!(record.setup_ns, Some(3_000));
        assert_eq!(record.connect_ns, Some(45_000));
        assert_eq!(record.queued_ns, Some(35_000));
        assert_eq!(record.ttfb_ns, Some(40_000));
        assert_eq!(record.transfer_ns, Some(910_000));
        assert_eq!(record.phase_sum_ns(), record.wall_ns());
    }

    #[test]
    fn threaded_setup_holds_the_thread_start() {
        let t0 = Instant::now();
        let timeline = Timeline {
            thread_start: after(t0, 100),
            socket: after(t0, 103),
            connect_issued: after(t0, 110),
            connected: after(t0, 150),
            first_byte: after(t0, 200),
            end: after(t0, 900),
            ..Timeline::new(t0)
        };
        let mut record = JobRecord::default();
        timeline.fill(&mut record, t0);
        assert_eq!(record.thread_start_ns, Some(100_000));
        assert_eq!(record.socket_ns, Some(3_000));
        assert_eq!(record.setup_ns, Some(107_000));
        assert_eq!(record.phase_sum_ns(), record.wall_ns());
        assert_eq!(record.wall_ns(), Some(900_000));
    }

    #[test]
    fn a_phase_not_reached_is_absent() {
        let t0 = Instant::now();
        let timeline = Timeline {
            socket: after(t0, 2),
            connect_issued: after(t0, 5),
            end: after(t0, 9),
            ..Timeline::new(t0)
        };
        let mut record = JobRecord::default();
        timeline.fill(&mut record, t0);
        assert_eq!(record.connect_ns, None);
        assert_eq!(record.ttfb_ns, None);
        assert_eq!(record.transfer_ns, None);
        assert_eq!(record.end_ns, Some(9_000));
    }
}
