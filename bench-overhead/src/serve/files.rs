//! Open files shared by every connection that sends them.
//!
//! 10,000 concurrent downloads of one payload would otherwise hold 10,000 descriptors of the same
//! file beside their 10,000 sockets, twice what a common limit of 20,000 allows past the sockets
//! (lighttpd shares them too). Keeping files open also spares `open`/`fstat`/`close` per request,
//! most of the cost of serving `hello`.
//!
//! Entries are keyed by path and remember the file's identity (device and inode on Unix): when
//! the `lstat` that `path.rs` just made shows another file under the name (`make payload` renames
//! a new one into place), the new file is opened and downloads already under way keep the old
//! one. Bodies are read by offset (`sendfile`, `read_at`), so a shared descriptor needs no
//! seeking.

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::path;
use super::response::Status;

/// Files kept open at most, beyond those connections are sending right now.
const KEEP_OPEN: usize = 256;

#[derive(Default)]
pub struct OpenFiles {
    by_path: HashMap<PathBuf, (FileId, Rc<File>)>,
}

impl OpenFiles {
    /// The open file at `path` (metadata `meta`, just taken) and its length.
    pub fn open(&mut self, path: &Path, meta: &Metadata) -> Result<(Rc<File>, u64), Status> {
        let id = FileId::of(meta);
        if let Some((cached, file)) = self.by_path.get(path) {
            if id.is_some() && *cached == id {
                return Ok((Rc::clone(file), meta.len()));
            }
        }
        let file = Rc::new(path::open_regular(path)?);
        // What was opened, even if the name changed hands since the lstat.
        let opened = file.metadata().map_err(|_| Status::NotFound)?;
        if self.by_path.len() >= KEEP_OPEN {
            // Forget files no connection is sending.
            self.by_path
                .retain(|_, (_, file)| Rc::strong_count(file) > 1);
        }
        if self.by_path.len() < KEEP_OPEN {
            self.by_path
                .insert(path.to_path_buf(), (FileId::of(&opened), Rc::clone(&file)));
        }
        Ok((file, opened.len()))
    }
}

/// Which file a name pointed to; `None` where the OS does not say (every request then opens).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId(Option<(u64, u64)>);

impl FileId {
    #[cfg(unix)]
    fn of(meta: &Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId(Some((meta.dev(), meta.ino())))
    }

    #[cfg(not(unix))]
    fn of(_meta: &Metadata) -> FileId {
        FileId(None)
    }

    fn is_some(self) -> bool {
        self.0.is_some()
    }
}
