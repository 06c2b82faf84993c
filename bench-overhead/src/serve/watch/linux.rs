//! Linux: one inotify descriptor, non-blocking, read once per turn of the event loop.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::inotify::{self, CreateFlags, WatchFlags};

/// Events that say a folder's entries or the files in it changed.
const CHANGES: WatchFlags = WatchFlags::MODIFY
    .union(WatchFlags::ATTRIB)
    .union(WatchFlags::CLOSE_WRITE)
    .union(WatchFlags::CREATE)
    .union(WatchFlags::DELETE)
    .union(WatchFlags::DELETE_SELF)
    .union(WatchFlags::MOVE_SELF)
    .union(WatchFlags::MOVED_FROM)
    .union(WatchFlags::MOVED_TO)
    .union(WatchFlags::ONLYDIR)
    .union(WatchFlags::DONT_FOLLOW);

pub struct Watcher {
    /// `None` where inotify is unavailable (no kernel support, no descriptors): nothing is
    /// watched and every request asks.
    fd: Option<OwnedFd>,
    root: PathBuf,
}

impl Watcher {
    pub fn new(root: &Path) -> Watcher {
        Watcher {
            fd: inotify::init(CreateFlags::NONBLOCK | CreateFlags::CLOEXEC).ok(),
            root: root.to_path_buf(),
        }
    }

    /// Watches the root and each folder on the way to `relative` (a file); whether all of
    /// them are watched now (the watch limit may refuse one).
    pub fn watch(&mut self, relative: &Path) -> bool {
        let Some(fd) = &self.fd else {
            return false;
        };
        let mut folder = self.root.clone();
        if inotify::add_watch(fd, &folder, CHANGES).is_err() {
            return false;
        }
        let Some(parents) = relative.parent() else {
            return true;
        };
        for name in parents.iter() {
            folder.push(name);
            if inotify::add_watch(fd, &folder, CHANGES).is_err() {
                return false;
            }
        }
        true
    }

    /// Reads every pending event; whether there was any.
    pub fn drain(&mut self) -> bool {
        let Some(fd) = &self.fd else {
            return false;
        };
        let mut buf = [0u8; 4096];
        let mut any = false;
        while let Ok(n) = rustix::io::read(fd, &mut buf) {
            if n == 0 {
                break;
            }
            any = true;
        }
        any
    }
}
