//! Open files shared by every connection that sends them.
//!
//! 10,000 concurrent downloads of one payload would otherwise hold 10,000 descriptors of the same
//! file beside their 10,000 sockets, twice what a common limit of 20,000 allows past the sockets
//! (lighttpd shares them too). Sharing also spares `open`/`fstat`/`close` per request, which is
//! most of the cost of serving `hello`. A file is identified by device and inode from the
//! `lstat` `path.rs` just made, so a file replaced under the same name (`make payload` renames
//! a new one into place) is opened afresh, never served from the old descriptor. Bodies are
//! read by offset (`sendfile`, `read_at`), so sharing one descriptor needs no seeking.

use std::fs::{File, Metadata};
use std::path::Path;
use std::rc::{Rc, Weak};

use super::path;
use super::response::Status;

#[derive(Default)]
pub struct OpenFiles {
    #[cfg(unix)]
    by_inode: std::collections::HashMap<(u64, u64), Weak<File>>,
}

/// Forgotten entries are swept once the table holds this many.
const SWEEP_AT: usize = 1024;

impl OpenFiles {
    /// The open file at `path` (metadata `meta`, just taken) and its length, shared when the
    /// same file is already open.
    pub fn open(&mut self, path: &Path, meta: &Metadata) -> Result<(Rc<File>, u64), Status> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let key = (meta.dev(), meta.ino());
            if let Some(file) = self.by_inode.get(&key).and_then(Weak::upgrade) {
                return Ok((file, meta.len()));
            }
            let file = Rc::new(path::open_regular(path)?);
            // What was opened, even if the name changed hands since the lstat.
            let opened = file.metadata().map_err(|_| Status::NotFound)?;
            if self.by_inode.len() >= SWEEP_AT {
                self.by_inode.retain(|_, file| file.strong_count() > 0);
            }
            self.by_inode
                .insert((opened.dev(), opened.ino()), Rc::downgrade(&file));
            Ok((file, opened.len()))
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            let file = path::open_regular(path)?;
            let len = file.metadata().map_err(|_| Status::NotFound)?.len();
            Ok((Rc::new(file), len))
        }
    }
}
