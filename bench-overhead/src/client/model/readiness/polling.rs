//! The `polling` crate (smol-rs), the readiness API a portable Rust program would use: epoll on
//! Linux, kqueue on the BSDs and macOS, poll(2) on Haiku. Its calls here are counted as the
//! client makes them (one `wait` per wait, one `ctl` per add, modify and delete); what the crate
//! adds inside them — on Linux a `timerfd_settime`, an eventfd `read` and re-arming `epoll_ctl`s
//! per wait, on Haiku a pipe write and read per change — is the crate's, not counted, and shown
//! by `make trace`.

use std::io;
use std::os::fd::BorrowedFd;
use std::time::Duration;

use polling::{Event, Events, PollMode};

use super::{Interest, Poller, Ready};
use crate::client::syscalls::{Counters, Kind};

pub struct Polling {
    poller: polling::Poller,
    events: Events,
}

impl Polling {
    pub fn new(_connections: usize) -> anyhow::Result<Polling> {
        let poller = polling::Poller::new()
            .map_err(|err| anyhow::anyhow!("cannot create a poller: {err}"))?;
        anyhow::ensure!(
            poller.supports_level(),
            "the readiness API here has no level-triggered mode, which the poll model needs"
        );
        Ok(Polling {
            poller,
            events: Events::new(),
        })
    }
}

fn event(key: usize, interest: Interest) -> Event {
    match interest {
        Interest::Write => Event::writable(key),
        Interest::Read => Event::readable(key),
    }
}

impl Poller for Polling {
    fn add(
        &mut self,
        fd: BorrowedFd,
        key: usize,
        interest: Interest,
        counters: &mut Counters,
    ) -> io::Result<()> {
        counters.count(Kind::Ctl);
        // SAFETY: the readiness model calls `remove` (which deletes the source) before it closes
        // the socket, the contract `add` asks for.
        unsafe {
            self.poller
                .add_with_mode(&fd, event(key, interest), PollMode::Level)
        }
    }

    fn modify(
        &mut self,
        fd: BorrowedFd,
        key: usize,
        interest: Interest,
        counters: &mut Counters,
    ) -> io::Result<()> {
        counters.count(Kind::Ctl);
        self.poller
            .modify_with_mode(fd, event(key, interest), PollMode::Level)
    }

    fn remove(&mut self, fd: BorrowedFd, _key: usize, counters: &mut Counters) -> io::Result<()> {
        counters.count(Kind::Ctl);
        self.poller.delete(fd)
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
        self.events.clear();
        counters.count(Kind::Wait);
        self.poller.wait(&mut self.events, Some(timeout))?;
        ready.extend(self.events.iter().map(|event| Ready {
            key: event.key,
            readable: event.readable,
            writable: event.writable,
            // Where the crate cannot tell, SO_ERROR is read.
            error: event.is_err().unwrap_or(true) || event.is_interrupt(),
        }));
        Ok(())
    }
}
