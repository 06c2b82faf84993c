//! Open files shared by every connection that sends them, and small files' contents.
//!
//! 10,000 concurrent downloads of one payload would otherwise hold 10,000 descriptors of the same
//! file beside their 10,000 sockets, twice what a common limit of 20,000 allows past the sockets
//! (lighttpd shares them too). Keeping files open also spares `open`/`fstat`/`close` per request,
//! and keeping a small file's bytes spares the read: a request for `/hello` costs one `fstatat`.
//!
//! Every file is opened by `beneath` (never outside the root, no symlink). Each request asks the
//! name's stamp: the held file is used only while the name still shows the same version (device,
//! inode, length, times); otherwise the file is opened anew (`make payload` renames a new one
//! into place) and downloads already under way keep the old one. Bodies are read by offset
//! (`sendfile`, `read_at`), so a shared descriptor needs no seeking.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::SystemTime;

use super::beneath::{self, Root, Stamp, Version};
use super::response::Status;
use super::send::read_at;

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
    version: Version,
    file: Rc<File>,
    /// Kept only once the file has settled (`Stamp::settled`).
    contents: Option<Rc<[u8]>>,
}

pub struct OpenFiles {
    root: Root,
    by_path: HashMap<PathBuf, Entry>,
}

impl OpenFiles {
    pub fn new(root: Root) -> OpenFiles {
        OpenFiles {
            root,
            by_path: HashMap::new(),
        }
    }

    /// The regular file at `relative` (plain names) under the root; 404 for anything else.
    pub fn open(&mut self, relative: &Path) -> Result<Opened, Status> {
        let now = self.root.stamp(relative).map_err(|_| Status::NotFound)?;
        if !now.regular {
            return Err(Status::NotFound);
        }
        if let Some(entry) = self.by_path.get_mut(relative) {
            if now.version == Some(entry.version) {
                if entry.contents.is_none() {
                    let contents =
                        small_contents(&entry.file, &now).map_err(|_| Status::InternalError)?;
                    if now.settled(SystemTime::now()) {
                        entry.contents = contents.clone();
                    } else {
                        return Ok(Opened {
                            file: Rc::clone(&entry.file),
                            len: now.len,
                            contents,
                        });
                    }
                }
                return Ok(Opened {
                    file: Rc::clone(&entry.file),
                    len: now.len,
                    contents: entry.contents.clone(),
                });
            }
        }
        let file = self
            .root
            .open_file(relative)
            .map_err(|_| Status::NotFound)?;
        // What was opened, even if the name changed hands since the stamp.
        let opened = beneath::stamp_of(&file).map_err(|_| Status::NotFound)?;
        if !opened.regular {
            return Err(Status::NotFound);
        }
        let file = Rc::new(file);
        let contents = small_contents(&file, &opened).map_err(|_| Status::InternalError)?;
        if let Some(version) = opened.version {
            self.remember(relative, version, &file, &opened, contents.as_ref());
        }
        Ok(Opened {
            file,
            len: opened.len,
            contents,
        })
    }

    fn remember(
        &mut self,
        relative: &Path,
        version: Version,
        file: &Rc<File>,
        stamp: &Stamp,
        contents: Option<&Rc<[u8]>>,
    ) {
        if self.by_path.len() >= KEEP_OPEN {
            // Forget files no connection is sending.
            self.by_path
                .retain(|_, entry| Rc::strong_count(&entry.file) > 1);
        }
        if self.by_path.len() < KEEP_OPEN {
            let contents = contents.filter(|_| stamp.settled(SystemTime::now()));
            let entry = Entry {
                version,
                file: Rc::clone(file),
                contents: contents.cloned(),
            };
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
