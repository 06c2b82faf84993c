//! Opening a file by a path relative to the root folder so that it cannot be anything outside
//! the root, even while the tree changes under the server.
//!
//! Checking a path and then opening it is a race: a folder swapped for a symlink between the
//! two lets the open leave the root. So the open itself is what refuses: every component is
//! resolved relative to an open descriptor of the root and no symlink is followed anywhere on
//! the way: a symlink, even one that stays inside, is answered 404.
//! - Linux 5.6+: one `openat2` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS` (`linux.rs`); on an
//!   older kernel (`ENOSYS`) the walk below.
//! - Other Unix: `openat` component by component from the root's descriptor, folders with
//!   `O_DIRECTORY | O_NOFOLLOW`, the file with `O_NOFOLLOW` (`unix.rs`). `..` never reaches
//!   here (`path.rs` refuses it), so a walk of plain names cannot climb out.
//! - Elsewhere: each component is checked not to be a symlink, then the path is opened
//!   (`other.rs`): not atomic, the best the standard library offers there.
//!
//! Every open is read-only and non-blocking (a FIFO swapped in cannot block the loop), and only
//! what the opened descriptor says it is counts: a regular file or 404.
//!
//! `stamp` is the cheap question asked on every request ("is the file under this name still the
//! one I hold open?"): it may be answered through a symlink, as it only decides whether a file
//! already opened safely is still current, never what is opened.

use std::time::{Duration, SystemTime};

#[cfg(target_os = "linux")]
mod linux;
#[cfg(not(unix))]
mod other;
#[cfg(unix)]
mod unix;

#[cfg(not(unix))]
pub use other::{stamp_of, Root};
#[cfg(unix)]
pub use unix::{stamp_of, Root};

/// Flags of every file open: read-only, never blocking on a FIFO, never a controlling terminal,
/// never a symlink. Here, not in `unix.rs`, so that `linux.rs` and `unix.rs` both use it without
/// importing each other.
#[cfg(unix)]
const FILE_FLAGS: rustix::fs::OFlags = rustix::fs::OFlags::RDONLY
    .union(rustix::fs::OFlags::NONBLOCK)
    .union(rustix::fs::OFlags::NOCTTY)
    .union(rustix::fs::OFlags::NOFOLLOW)
    .union(rustix::fs::OFlags::CLOEXEC);

/// What a name or a descriptor refers to right now.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    pub regular: bool,
    pub len: u64,
    /// Which file and which version of it; `None` where the OS does not say (never current).
    pub version: Option<Version>,
    /// When its inode last changed (contents or metadata), where known.
    pub changed: Option<SystemTime>,
}

/// Device, inode, length, and modification and change times to the nanosecond: any write,
/// truncation or rename over the name changes at least one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    pub device: u64,
    pub inode: u64,
    pub len: u64,
    pub modified: (i64, i64),
    pub changed: (i64, i64),
}

/// How long after its last change a file's contents may be kept in memory: a write within the
/// same tick of a coarse file-system clock (FAT: 2 s) would leave its times as they were.
const SETTLE: Duration = Duration::from_secs(3);

impl Stamp {
    /// Whether this file's contents, read now, stay what they are until its stamp changes.
    pub fn settled(&self, now: SystemTime) -> bool {
        self.changed
            .and_then(|changed| now.duration_since(changed).ok())
            .is_some_and(|age| age >= SETTLE)
    }
}
