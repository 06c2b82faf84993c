//! Linux: `smaps_rollup` is read on a thread of its own, so the schedule never waits for it.
//!
//! The kernel computes PSS by walking every page table entry of the process: ~4.4 ms of CPU for
//! 400 MiB resident (100 threads × 4 MiB buffers), ~13 ms with 10,000 threads, against ~2 µs for
//! `statm`. On a loaded machine the walk is also preempted: one read of 2.7 ms of CPU took 134 ms
//! of wall time beside a 100-thread client and six busy loops on two cores. Read in the sampling
//! loop, such a read pushed every later sample off its schedule; here the loop hands the read to
//! this thread and goes on sampling RSS on time. The answer belongs to the sample that asked for
//! it (its figures come from one walk that began at that sample) and to no other: it is waited
//! for up to one interval, at least a second (`pending.rs` holds the samples meanwhile), and
//! dropped when later (its cost still counts against the budget).

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::thread;
use std::time::Instant;

use super::rollup::{RollupRead, RollupReader};

/// One answer: what the read gave and the CPU time it cost the worker.
#[derive(Debug, Clone, Copy)]
pub struct Answer {
    pub read: RollupRead,
    pub cost_ns: i64,
}

/// The sampling loop's end of the worker thread.
pub struct PssWorker {
    requests: SyncSender<()>,
    answers: Receiver<Answer>,
    /// A request was sent and its answer has not been received yet.
    in_flight: bool,
}

impl PssWorker {
    /// Starts the thread reading `pid`'s `smaps_rollup`; `None` when no thread can be started
    /// (PSS is then not read at all).
    pub fn start(pid: u32) -> Option<PssWorker> {
        let (requests, requested) = mpsc::sync_channel::<()>(1);
        let (answer, answers) = mpsc::sync_channel(1);
        thread::Builder::new()
            .name("memmon-pss".into())
            // Small: the thread only reads a file into a heap buffer.
            .stack_size(64 << 10)
            .spawn(move || {
                let mut reader = RollupReader::new(pid);
                for () in requested {
                    let started = thread_cpu_ns();
                    let read = reader.read();
                    let cost_ns = thread_cpu_ns() - started;
                    if answer.send(Answer { read, cost_ns }).is_err() {
                        break;
                    }
                }
            })
            .ok()?;
        Some(PssWorker {
            requests,
            answers,
            in_flight: false,
        })
    }

    /// Whether a read is still going (then no other is asked for).
    pub fn busy(&self) -> bool {
        self.in_flight
    }

    /// Asks for one read. Call only when not [`busy`](Self::busy).
    pub fn request(&mut self) {
        self.in_flight = self.requests.try_send(()).is_ok();
    }

    /// The answer to the read in flight: at once when `until` is `None`, else waiting up to
    /// `until`. `None` when there is none (yet).
    pub fn answer(&mut self, until: Option<Instant>) -> Option<Answer> {
        if !self.in_flight {
            return None;
        }
        let answer = match until {
            None => self
                .answers
                .try_recv()
                .map_err(|e| e == TryRecvError::Disconnected),
            Some(until) => self
                .answers
                .recv_timeout(until.saturating_duration_since(Instant::now()))
                .map_err(|e| e == RecvTimeoutError::Disconnected),
        };
        match answer {
            Ok(answer) => {
                self.in_flight = false;
                Some(answer)
            }
            // The thread ended (it cannot, short of a panic): nothing will come.
            Err(true) => {
                self.in_flight = false;
                None
            }
            Err(false) => None,
        }
    }
}

/// This thread's CPU time (user + kernel) in nanoseconds.
fn thread_cpu_ns() -> i64 {
    // SAFETY: timespec is plain integers; all-zero bytes are valid.
    let mut t: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: `t` is a valid, exclusive pointer for the call.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as i64 * 1_000_000_000 + t.tv_nsec as i64
}
