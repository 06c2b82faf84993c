//! The name of the readiness API the `polling` crate uses on this OS, for the client's run record
//! and the built-in server's start-up line.
//!
//! `polling` picks it at build time by target OS, so the name is decided the same way.

#[cfg(any(target_os = "linux", target_os = "android"))]
pub const READINESS_API: &str = "epoll";

#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "tvos",
    target_os = "watchos",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
pub const READINESS_API: &str = "kqueue";

#[cfg(any(target_os = "illumos", target_os = "solaris"))]
pub const READINESS_API: &str = "event ports";

#[cfg(windows)]
pub const READINESS_API: &str = "iocp";

/// Everything else, Haiku included, gets poll(2).
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "tvos",
    target_os = "watchos",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
    target_os = "illumos",
    target_os = "solaris",
    windows
)))]
pub const READINESS_API: &str = "poll";
