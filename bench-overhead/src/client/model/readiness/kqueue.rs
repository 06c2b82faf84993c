//! kqueue (macOS, FreeBSD and the other BSDs), raw through rustix. Interest changes are queued and
//! handed to the kernel with the next wait, kqueue's own idiom: one `kevent()` per wakeup both
//! applies them and waits, so changes cost no system call of their own (`ctl` stays at the
//! queue's creation). Level-triggered (no `EV_CLEAR`). Closing a socket removes its filters.
//!
//! Compiled only on those OSes: this machine (Linux) builds it nowhere, so it is reviewed, not
//! compiled, here.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::buffer::spare_capacity;
use rustix::event::kqueue::{self, Event, EventFilter, EventFlags};

use super::{Interest, Poller, Ready};
use crate::client::syscalls::{Counters, Kind};

/// Events taken per wait at most.
const BATCH: usize = 1024;

pub struct Kqueue {
    fd: OwnedFd,
    changes: Vec<Event>,
    events: Vec<Event>,
}

impl Kqueue {
    pub fn new(connections: usize, counters: &mut Counters) -> io::Result<Kqueue> {
        counters.count(Kind::Ctl);
        Ok(Kqueue {
            fd: kqueue::kqueue()?,
            changes: Vec::new(),
            events: Vec::with_capacity(connections.clamp(1, BATCH)),
        })
    }

    fn filter(fd: i32, interest: Interest) -> EventFilter {
        match interest {
            Interest::Write => EventFilter::Write(fd),
            Interest::Read => EventFilter::Read(fd),
        }
    }

    fn queue(&mut self, fd: i32, key: usize, interest: Interest, flags: EventFlags) {
        let udata = key as *mut std::ffi::c_void;
        self.changes
            .push(Event::new(Kqueue::filter(fd, interest), flags, udata));
    }
}

impl Poller for Kqueue {
    fn add(
        &mut self,
        fd: BorrowedFd,
        key: usize,
        interest: Interest,
        _counters: &mut Counters,
    ) -> io::Result<()> {
        self.queue(fd.as_raw_fd(), key, interest, EventFlags::ADD);
        Ok(())
    }

    fn modify(
        &mut self,
        fd: BorrowedFd,
        key: usize,
        interest: Interest,
        _counters: &mut Counters,
    ) -> io::Result<()> {
        let other = match interest {
            Interest::Write => Interest::Read,
            Interest::Read => Interest::Write,
        };
        let raw = fd.as_raw_fd();
        self.queue(raw, key, other, EventFlags::DELETE);
        self.queue(raw, key, interest, EventFlags::ADD);
        Ok(())
    }

    fn remove(&mut self, fd: BorrowedFd, _key: usize, _counters: &mut Counters) -> io::Result<()> {
        // Changes not yet handed over must not reach the kernel for a descriptor number that
        // may be reused; those already applied go with the close.
        let raw = fd.as_raw_fd();
        self.changes.retain(|change| match change.filter() {
            EventFilter::Read(fd) | EventFilter::Write(fd) => fd != raw,
            _ => true,
        });
        Ok(())
    }

    fn descriptors(&self) -> u64 {
        1
    }

    fn wait(
        &mut self,
        timeout: Duration,
        ready: &mut Vec<Ready>,
        counters: &mut Counters,
    ) -> io::Result<()> {
        ready.clear();
        self.events.clear();
        counters.count(Kind::Wait);
        // SAFETY: every descriptor named in `changes` is an open socket of the readiness model:
        // `remove` drops a socket's pending changes before it is closed, and the kernel removes
        // the filters of a closed descriptor itself.
        let result = unsafe {
            kqueue::kevent(
                &self.fd,
                &self.changes,
                spare_capacity(&mut self.events),
                Some(timeout),
            )
        };
        self.changes.clear();
        result?;
        ready.extend(self.events.iter().map(|event| {
            let flags = event.flags();
            let (readable, writable) = match event.filter() {
                EventFilter::Read(_) => (true, false),
                EventFilter::Write(_) => (false, true),
                _ => (false, false),
            };
            Ready {
                key: event.udata() as usize,
                readable,
                writable,
                error: flags.intersects(EventFlags::EOF | EventFlags::ERROR),
            }
        }));
        Ok(())
    }
}
