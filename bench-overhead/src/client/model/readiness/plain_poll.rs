//! Plain poll(2), every Unix: the like-for-like row for Haiku's and the old suite's "poll()-based"
//! client. The interest set lives in this process (one `pollfd` per job, indexed by job), so adding
//! or changing interest costs no system call; each wait is one `poll()` over every entry, and a
//! finished job's entry stays with `fd = -1`, which poll(2) skips.
//!
//! rustix's `PollFd` borrows each socket for the duration of a call, so a persistent set would be
//! rebuilt before every wait; `libc::pollfd` entries are kept instead and passed to `libc::poll`.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

use super::{Interest, Poller, Ready};
use crate::client::syscalls::{Counters, Kind};

pub struct PlainPoll {
    entries: Vec<libc::pollfd>,
}

impl PlainPoll {
    pub fn new(connections: usize) -> PlainPoll {
        PlainPoll {
            entries: Vec::with_capacity(connections),
        }
    }

    fn set(&mut self, fd: i32, key: usize, events: libc::c_short) {
        if self.entries.len() <= key {
            let unused = libc::pollfd {
                fd: -1,
                events: 0,
                revents: 0,
            };
            self.entries.resize(key + 1, unused);
        }
        self.entries[key] = libc::pollfd {
            fd,
            events,
            revents: 0,
        };
    }
}

fn events(interest: Interest) -> libc::c_short {
    match interest {
        Interest::Write => libc::POLLOUT,
        Interest::Read => libc::POLLIN,
    }
}

impl Poller for PlainPoll {
    fn add(
        &mut self,
        fd: BorrowedFd,
        key: usize,
        interest: Interest,
        _counters: &mut Counters,
    ) -> io::Result<()> {
        self.set(fd.as_raw_fd(), key, events(interest));
        Ok(())
    }

    fn modify(
        &mut self,
        fd: BorrowedFd,
        key: usize,
        interest: Interest,
        _counters: &mut Counters,
    ) -> io::Result<()> {
        self.set(fd.as_raw_fd(), key, events(interest));
        Ok(())
    }

    fn remove(&mut self, _fd: BorrowedFd, key: usize, _counters: &mut Counters) -> io::Result<()> {
        self.set(-1, key, 0);
        Ok(())
    }

    fn descriptors(&self) -> u64 {
        0
    }

    fn wait(
        &mut self,
        timeout: Duration,
        ready: &mut Vec<Ready>,
        counters: &mut Counters,
    ) -> io::Result<()> {
        ready.clear();
        // Whole milliseconds, rounded up so the wait never ends early, capped at a C int.
        let millis = i32::try_from(timeout.as_nanos().div_ceil(1_000_000)).unwrap_or(i32::MAX);
        counters.count(Kind::Wait);
        // SAFETY: `entries` is a live, initialised slice of `pollfd`s for the whole call, and its
        // length is passed as nfds; poll(2) writes only their `revents`.
        let found = unsafe {
            libc::poll(
                self.entries.as_mut_ptr(),
                self.entries.len() as libc::nfds_t,
                millis,
            )
        };
        if found < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut left = found as usize;
        for (key, entry) in self.entries.iter().enumerate() {
            if left == 0 {
                break;
            }
            if entry.fd < 0 || entry.revents == 0 {
                continue;
            }
            left -= 1;
            ready.push(Ready {
                key,
                readable: entry.revents & libc::POLLIN != 0,
                writable: entry.revents & libc::POLLOUT != 0,
                error: entry.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0,
            });
        }
        Ok(())
    }
}
