//! The I/O variants under test and the readiness backend behind each: the names the records carry
//! in their `variant` and `backend` fields.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The two I/O strategies under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// One OS thread per connection, blocking socket calls.
    Threaded,
    /// One thread multiplexing every connection with non-blocking sockets and a readiness API.
    Poll,
    /// One thread submitting connects, sends and receives to io_uring (Linux).
    Uring,
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::Threaded, Variant::Poll, Variant::Uring];

    /// The name in records, on the command line and in run ids.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Threaded => "threaded",
            Variant::Poll => "poll",
            Variant::Uring => "uring",
        }
    }

    /// One line saying what the variant does (the command line's help).
    pub fn description(self) -> &'static str {
        match self {
            Variant::Threaded => "One OS thread per connection, blocking socket calls",
            Variant::Poll => {
                "One thread multiplexing every connection with non-blocking sockets and a readiness API"
            }
            Variant::Uring => "One thread submitting connects, sends and receives to io_uring (Linux)",
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVariant(pub String);

impl fmt::Display for UnknownVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown variant `{}`: use threaded, poll or uring",
            self.0
        )
    }
}

impl std::error::Error for UnknownVariant {}

impl FromStr for Variant {
    type Err = UnknownVariant;

    /// A variant's name, in any case (as the command line and `VARIANTS` accept it).
    fn from_str(text: &str) -> Result<Variant, UnknownVariant> {
        Variant::ALL
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(text))
            .ok_or_else(|| UnknownVariant(text.to_string()))
    }
}

/// The system interface a variant waits on: plain blocking calls (threaded), or the readiness API
/// the `polling` crate uses on this OS (poll). Its name is the record's `backend` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// The threaded variant: blocking calls, no readiness API.
    Blocking,
    Epoll,
    Kqueue,
    EventPorts,
    Iocp,
    /// poll(2): Haiku and every OS the others do not cover.
    Poll,
    /// The `polling` crate (the poll model's portable backend; also every poll run recorded
    /// before the client had raw backends).
    Polling,
    /// The uring model: io_uring.
    IoUring,
}

impl Backend {
    /// The readiness API `polling` picks on this OS: it decides at build time by target OS, so
    /// this is decided the same way (poll(2) on Haiku and wherever the others are missing).
    pub const READINESS: Backend = if cfg!(any(target_os = "linux", target_os = "android")) {
        Backend::Epoll
    } else if cfg!(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "tvos",
        target_os = "watchos",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "dragonfly"
    )) {
        Backend::Kqueue
    } else if cfg!(any(target_os = "illumos", target_os = "solaris")) {
        Backend::EventPorts
    } else if cfg!(windows) {
        Backend::Iocp
    } else {
        Backend::Poll
    };

    /// The backend a variant uses on this OS.
    pub fn of(variant: Variant) -> Backend {
        match variant {
            Variant::Threaded => Backend::Blocking,
            Variant::Poll => Backend::READINESS,
            Variant::Uring => Backend::IoUring,
        }
    }

    /// The name in records (`backend`) and in the built-in server's start-up line.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Blocking => "blocking",
            Backend::Epoll => "epoll",
            Backend::Kqueue => "kqueue",
            Backend::EventPorts => "event ports",
            Backend::Iocp => "iocp",
            Backend::Poll => "poll",
            Backend::Polling => "polling",
            Backend::IoUring => "io_uring",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names_round_trip_in_text_and_json() {
        for variant in Variant::ALL {
            assert_eq!(variant.name().parse::<Variant>(), Ok(variant));
            let json = serde_json::to_string(&variant).unwrap();
            assert_eq!(json, format!("\"{}\"", variant.name()));
            assert_eq!(serde_json::from_str::<Variant>(&json).unwrap(), variant);
        }
        assert_eq!("POLL".parse::<Variant>(), Ok(Variant::Poll));
        assert_eq!(
            "forked".parse::<Variant>().unwrap_err().to_string(),
            "unknown variant `forked`: use threaded, poll or uring"
        );
    }

    #[test]
    fn the_threaded_variant_blocks() {
        assert_eq!(Backend::of(Variant::Threaded).name(), "blocking");
        #[cfg(target_os = "linux")]
        assert_eq!(Backend::of(Variant::Poll).name(), "epoll");
    }
}
