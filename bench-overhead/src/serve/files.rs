//! Open files shared by every connection that sends them, and small files' contents.
//!
//! 10,000 concurrent downloads of one payload would otherwise hold 10,000 descriptors of the same
//! file beside their 10,000 sockets, twice what a common limit of 20,000 allows past the sockets
//! (lighttpd shares them too). Keeping files open also spares `open`/`fstat`/`close` per request,
//! and keeping a small file's bytes spares the read.
//!
//! Every file is opened by `beneath` (never outside the root, no symlink). A held file is used
//! while the name still shows the same version (device, inode, length, times): the name's stamp
//! is asked again only after `watch` saw a change (on every request where nothing is watched);
//! changes are read once per turn of the event loop and per new connection (`watch`).
//! A name that shows another version gets the file opened anew (`make payload` renames a new one
//! into place); downloads already under way keep the old one. Bodies are read by offset
//! (`sendfile`, `read_at`), so a shared descriptor needs no seeking.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::SystemTime;

use super::beneath::{self, Root, Stamp};
use super::response::Status;
use super::send::read_at;
use super::watch::Watcher;

/// Files kept open at most, beyond those connections are sending right now.
const KEEP_OPEN: usize = 256;

/// Files up to this size are read whole and go out in the same write as the head (one system
/// call, one segment), which is what request-rate work on `hello` measures.
pub const SMALL_FILE: u64 = 16 * 1024;

/// A file ready to send.
pub struct Opened {
    pub file: Rc<File>,
    pub len: u64,
    /// The whole contents of a small file (`SMALL_FILE`).
    pub contents: Option<Rc<[u8]>>,
}

struct Entry {
    /// Its version is always known (`Some`): files without one are not kept.
    stamp: Stamp,
    file: Rc<File>,
    /// Kept only once the file has settled (`Stamp::settled`).
    contents: Option<Rc<[u8]>>,
    /// The change generation in which the stamp was last confirmed with its folders watched:
    /// while it is the current one, no system call is needed to trust it.
    confirmed_in: Option<u64>,
}

impl Entry {
    fn opened(&mut self) -> Result<Opened, Status> {
        let contents = match &self.contents {
            Some(contents) => Some(Rc::clone(contents)),
            None => {
                let contents =
                    small_contents(&self.file, &self.stamp).map_err(|_| Status::InternalError)?;
                if self.stamp.settled(SystemTime::now()) {
                    self.contents = contents.clone();
                }
                contents
            }
        };
        Ok(Opened {
            file: Rc::clone(&self.file),
            len: self.stamp.len,
            contents,
        })
    }
}

pub struct OpenFiles {
    root: Root,
    watcher: Watcher,
    /// Bumped whenever the watcher saw a change: every held stamp must be confirmed again.
    generation: u64,
    /// Whether the watcher's changes were read in this turn of the event loop.
    changes_read: bool,
    by_path: HashMap<PathBuf, Entry>,
}

impl OpenFiles {
    pub fn new(root: Root, root_path: &Path) -> OpenFiles {
        OpenFiles {
            root,
            watcher: Watcher::new(root_path),
            generation: 0,
            changes_read: false,
            by_path: HashMap::new(),
        }
    }

    /// Changes are read again before the next held file is used: at each turn of the event
    /// loop, and for each new connection (its request may have been sent after a change that
    /// came after this turn's read, as when a script replaces a file and starts a new run).
    pub fn read_changes_again(&mut self) {
        self.changes_read = false;
    }

    /// The regular file at `relative` (plain names) under the root; 404 for anything else.
    pub fn open(&mut self, relative: &Path) -> Result<Opened, Status> {
        if !self.changes_read {
            // Once per turn and new connection, not per request on a kept-alive one.
            self.changes_read = true;
            if self.watcher.drain() {
                self.generation += 1;
            }
        }
        let generation = self.generation;
        if let Some(entry) = self.by_path.get_mut(relative) {
            if entry.confirmed_in == Some(generation) {
                return entry.opened();
            }
        }
        // Watched first, so a change from now on is seen; then asked.
        let watched = self.watcher.watch(relative).then_some(generation);
        let now = self.root.stamp(relative).map_err(|_| Status::NotFound)?;
        if !now.regular {
            return Err(Status::NotFound);
        }
        if let Some(entry) = self.by_path.get_mut(relative) {
            if now.version.is_some() && now.version == entry.stamp.version {
                entry.stamp = now;
                entry.confirmed_in = watched;
                return entry.opened();
            }
        }
        let file = self
            .root
            .open_file(relative)
            .map_err(|_| Status::NotFound)?;
        // What was opened, even if the name changed hands since the stamp.
        let stamp = beneath::stamp_of(&file).map_err(|_| Status::NotFound)?;
        if !stamp.regular {
            return Err(Status::NotFound);
        }
        let mut entry = Entry {
            stamp,
            file: Rc::new(file),
            contents: None,
            confirmed_in: watched.filter(|_| stamp.version.is_some()),
        };
        let opened = entry.opened()?;
        if stamp.version.is_some() {
            self.remember(relative, entry);
        }
        Ok(opened)
    }

    fn remember(&mut self, relative: &Path, entry: Entry) {
        if self.by_path.len() >= KEEP_OPEN {
            // Forget files no connection is sending.
            self.by_path
                .retain(|_, entry| Rc::strong_count(&entry.file) > 1);
        }
        if self.by_path.len() < KEEP_OPEN {
            self.by_path.insert(relative.to_path_buf(), entry);
        }
    }
}

/// A small file's whole contents (`None` for a larger one); an error if it shrank meanwhile.
fn small_contents(file: &File, stamp: &Stamp) -> io::Result<Option<Rc<[u8]>>> {
    if stamp.len > SMALL_FILE {
        return Ok(None);
    }
    let mut buf = vec![0; stamp.len as usize];
    let mut done = 0;
    while done < buf.len() {
        match read_at(file, &mut buf[done..], done as u64) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => done += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(Some(buf.into()))
}
