//! Linux epoll, raw through rustix: `epoll_ctl` when a connection is added or changes interest
//! (twice per download: writable for the connect and request, then readable), one `epoll_pwait`
//! per wakeup, level-triggered. Closing a socket removes it from the interest list, so there is
//! no `EPOLL_CTL_DEL`.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
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
}

impl Epoll {
    pub fn new(connections: usize, counters: &mut Counters) -> io::Result<Epoll> {
        counters.count(Kind::Ctl);
        let fd = epoll::create(CreateFlags::CLOEXEC)?;
        Ok(Epoll {
            fd,
            events: Vec::with_capacity(connections.clamp(1, BATCH)),
        })
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
