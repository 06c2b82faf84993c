//! The OS facilities that bench-overhead (client, built-in server, suite) and memmon share, each
//! written once with its per-OS rules beside it: a process's resource usage, raising the
//! open-file limit, and turning signals into something a loop can wait on.
//!
//! A crate of its own, not a module of `bench-records`: the records are plain data (serde and
//! csv), these are system calls (libc, signal-hook), and keeping them apart keeps every unsafe
//! call of the shared code in this one small crate. Unix is compiled and tested here (Linux);
//! the Haiku, macOS and BSD branches are reviewed only (ARCHITECTURE.md, Platforms).

pub mod limits;
pub mod rusage;
pub mod signals;
