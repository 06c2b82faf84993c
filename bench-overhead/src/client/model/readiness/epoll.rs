//! Linux epoll, raw through rustix: `epoll_ctl` when a connection is added or changes interest
//! (twice per download: writable for the connect and request, then readable), one `epoll_pwait`
//! per wakeup, level-triggered. Closing a socket removes it from the interest list, so there is
//! no `EPOLL_CTL_DEL`.
//!
//! The wait is `epoll_pwait2` (Linux 5.11), whose timeout is a timespec: an open loop's request
//! times (`--rate`) are then kept to the microsecond, where `epoll_pwait`'s whole milliseconds
//! (rounded up) would send a request up to 1 ms late and add that to its corrected latency. A
//! kernel without it (ENOSYS) or a seccomp filter refusing it (EPERM) gets `epoll_pwait` from
//! then on; that first refused call is counted as the wait it was. rustix calls `epoll_pwait2`
//! only when built for 5.11 kernels, so it is called here directly.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::buffer::spare_capacity;
use rustix::event::epoll::{self, CreateFlags, EventData, EventFlags};
use rustix::event::Timespec;

use super::{Interest, Poller, Ready};
use crate::client::syscalls::{Counters, Kind};

/// Events taken per wait at most; more ready connections wait for the next one.
const BATCH: usize = 1024;

pub struct Epoll {
    fd: OwnedFd,
    events: Vec<epoll::Event>,
    /// `epoll_pwait2`'s events, while it is used.
    precise: Option<Vec<libc::epoll_event>>,
}

impl Epoll {
    pub fn new(connections: usize, counters: &mut Counters) -> io::Result<Epoll> {
        counters.count(Kind::Ctl);
        let fd = epoll::create(CreateFlags::CLOEXEC)?;
        let capacity = connections.clamp(1, BATCH);
        Ok(Epoll {
            fd,
            events: Vec::with_capacity(capacity),
            precise: Some(Vec::with_capacity(capacity)),
        })
    }

    /// One `epoll_pwait2` of at most `timeout` into `ready`; `Ok(false)` when this kernel or its
    /// seccomp filter refuses the call.
    fn wait_precise(&mut self, timeout: Duration, ready: &mut Vec<Ready>) -> io::Result<bool> {
        let Some(events) = self.precise.as_mut() else {
            return Ok(false);
        };
        events.clear();
        let timeout = libc::timespec {
            tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
            tv_nsec: timeout.subsec_nanos() as libc::c_long,
        };
        // SAFETY: `events` has room for `capacity()` entries and the kernel writes at most
        // `maxevents` = that many, returning how many it wrote; the timespec outlives the call and
        // no signal mask is passed (null, size 0), as `epoll_pwait2(2)` documents.
        let found = unsafe {
            libc::syscall(
                libc::SYS_epoll_pwait2,
                self.fd.as_raw_fd(),
                events.as_mut_ptr(),
                events.capacity() as libc::c_int,
                &timeout as *const libc::timespec,
                std::ptr::null::<libc::sigset_t>(),
                0usize,
            )
        };
        if found < 0 {
            let err = io::Error::last_os_error();
            if matches!(err.raw_os_error(), Some(libc::ENOSYS) | Some(libc::EPERM)) {
                self.precise = None;
                return Ok(false);
            }
            return Err(err);
        }
        // SAFETY: the kernel initialised the first `found` entries (at most the capacity).
        unsafe { events.set_len(found as usize) };
        ready.extend(events.iter().map(|event| {
            // Copied out: the struct is packed on x86_64.
            let (flags, key) = (event.events, event.u64);
            let has = |flag: libc::c_int| flags & flag as u32 != 0;
            Ready {
                key: key as usize,
                readable: has(libc::EPOLLIN),
                writable: has(libc::EPOLLOUT),
                error: has(libc::EPOLLERR | libc::EPOLLHUP),
            }
        }));
        Ok(true)
    }
}

fn flags(interest: Interest) -> EventFlags {
    match interest {
        Interest::Write => EventFlags::OUT,
        Interest::Read => EventFlags::IN,
    }
}

impl Poller for Epoll {
    fn add(
        &mut self,
        fd: BorrowedFd,
        key: usize,
        interest: Interest,
        counters: &mut Counters,
    ) -> io::Result<()> {
        counters.count(Kind::Ctl);
        Ok(epoll::add(
            &self.fd,
            fd,
            EventData::new_u64(key as u64),
            flags(interest),
        )?)
    }

    fn modify(
        &mut self,
        fd: BorrowedFd,
        key: usize,
        interest: Interest,
        counters: &mut Counters,
    ) -> io::Result<()> {
        counters.count(Kind::Ctl);
        Ok(epoll::modify(
            &self.fd,
            fd,
            EventData::new_u64(key as u64),
            flags(interest),
        )?)
    }

    fn remove(&mut self, _fd: BorrowedFd, _key: usize, _counters: &mut Counters) -> io::Result<()> {
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
        if self.precise.is_some() {
            // Counted whether the kernel takes it or refuses it: a call either way.
            counters.count(Kind::Wait);
            if self.wait_precise(timeout, ready)? {
                return Ok(());
            }
        }
        self.events.clear();
        let timeout = Timespec::try_from(timeout).unwrap_or(Timespec {
            tv_sec: i64::from(i32::MAX),
            tv_nsec: 0,
        });
        counters.count(Kind::Wait);
        epoll::wait(&self.fd, spare_capacity(&mut self.events), Some(&timeout))?;
        ready.extend(self.events.iter().map(|event| {
            let flags = event.flags;
            Ready {
                key: event.data.u64() as usize,
                readable: flags.intersects(EventFlags::IN),
                writable: flags.intersects(EventFlags::OUT),
                error: flags.intersects(EventFlags::ERR | EventFlags::HUP),
            }
        }));
        Ok(())
    }
}
