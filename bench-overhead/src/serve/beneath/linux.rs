//! Linux: one `openat2` resolves the whole path beneath the root with no symlink (5.6+).

use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{Mode, ResolveFlags};

use super::FILE_FLAGS;

/// Set once a kernel answered ENOSYS: every later open walks instead.
static MISSING: AtomicBool = AtomicBool::new(false);

/// The `openat2` answer, or `None` where the kernel lacks it (the caller walks).
pub fn open_beneath(root: &OwnedFd, relative: &Path) -> Option<io::Result<File>> {
    if MISSING.load(Ordering::Relaxed) {
        return None;
    }
    let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS;
    match rustix::fs::openat2(root, relative, FILE_FLAGS, Mode::empty(), resolve) {
        Ok(fd) => Some(Ok(fd.into())),
        Err(rustix::io::Errno::NOSYS) => {
            MISSING.store(true, Ordering::Relaxed);
            None
        }
        Err(err) => Some(Err(err.into())),
    }
}
