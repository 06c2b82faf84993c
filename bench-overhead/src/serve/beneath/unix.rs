//! Unix: the root held open as a descriptor, names resolved relative to it.

use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Component, Path};
use std::time::{Duration, SystemTime};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};

use super::{Stamp, Version, FILE_FLAGS};

/// The folder files are served from, open for the server's life.
#[derive(Debug)]
pub struct Root {
    dir: OwnedFd,
}

impl Root {
    /// Opens `path` (canonical) as the root.
    pub fn open(path: &Path) -> io::Result<Root> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let dir = rustix::fs::open(path, flags, Mode::empty())?;
        Ok(Root { dir })
    }

    /// Opens `relative` (plain names only) beneath the root, following no symlink.
    pub fn open_file(&self, relative: &Path) -> io::Result<File> {
        #[cfg(target_os = "linux")]
        if let Some(opened) = super::linux::open_beneath(&self.dir, relative) {
            return opened;
        }
        walk(&self.dir, relative)
    }

    /// The stamp of whatever `relative` names now (a final symlink is reported as one).
    pub fn stamp(&self, relative: &Path) -> io::Result<Stamp> {
        let stat = rustix::fs::statat(&self.dir, relative, AtFlags::SYMLINK_NOFOLLOW)?;
        Ok(stamp(&stat))
    }
}

/// The stamp of an open file.
pub fn stamp_of(file: &File) -> io::Result<Stamp> {
    Ok(stamp(&rustix::fs::fstat(file)?))
}

/// `openat` one component at a time: folders with `O_DIRECTORY | O_NOFOLLOW`, the last one
/// with `O_NOFOLLOW`, so a symlink anywhere fails the open (ELOOP or ENOTDIR).
pub(super) fn walk(root: &OwnedFd, relative: &Path) -> io::Result<File> {
    let mut names = relative.components().peekable();
    let mut dir: Option<OwnedFd> = None;
    while let Some(component) = names.next() {
        let Component::Normal(name) = component else {
            return Err(io::ErrorKind::InvalidInput.into());
        };
        let at = dir.as_ref().unwrap_or(root);
        if names.peek().is_none() {
            return Ok(rustix::fs::openat(at, name, FILE_FLAGS, Mode::empty())?.into());
        }
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        dir = Some(rustix::fs::openat(at, name, flags, Mode::empty())?);
    }
    Err(io::ErrorKind::InvalidInput.into()) // no name at all: the root itself
}

// Field types differ between Unixes (i32/i64/u32/u64); every value fits the wider type.
#[allow(clippy::unnecessary_cast)]
fn stamp(stat: &rustix::fs::Stat) -> Stamp {
    let changed = (stat.st_ctime as i64, stat.st_ctime_nsec as i64);
    let len = stat.st_size as u64;
    Stamp {
        regular: FileType::from_raw_mode(stat.st_mode as _) == FileType::RegularFile,
        len,
        version: Some(Version {
            device: stat.st_dev as u64,
            inode: stat.st_ino as u64,
            len,
            modified: (stat.st_mtime as i64, stat.st_mtime_nsec as i64),
            changed,
        }),
        changed: u64::try_from(changed.0).ok().map(|secs| {
            SystemTime::UNIX_EPOCH + Duration::new(secs, changed.1.clamp(0, 999_999_999) as u32)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk (Linux's fallback, the only way elsewhere) opens plain files and refuses a
    /// symlink at any depth, also one that stays inside the root.
    #[test]
    fn the_walk_follows_no_symlink() {
        let base = std::env::temp_dir().join(format!("beneath-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("root/a")).unwrap();
        std::fs::create_dir_all(base.join("outside")).unwrap();
        std::fs::write(base.join("root/a/file"), b"inside").unwrap();
        std::fs::write(base.join("outside/file"), b"secret").unwrap();
        std::os::unix::fs::symlink(base.join("outside"), base.join("root/out")).unwrap();
        std::os::unix::fs::symlink("a", base.join("root/in")).unwrap();
        std::os::unix::fs::symlink("a/file", base.join("root/file-link")).unwrap();
        let root = Root::open(&base.join("root")).unwrap();
        let read = |relative: &str| {
            walk(&root.dir, Path::new(relative))
                .map(|file| std::io::read_to_string(file).unwrap())
                .map_err(|err| err.raw_os_error())
        };
        assert_eq!(read("a/file"), Ok("inside".to_string()));
        for refused in ["out/file", "in/file", "file-link"] {
            let err = read(refused).unwrap_err();
            assert!(
                matches!(err, Some(libc::ELOOP | libc::ENOTDIR)),
                "{refused}: {err:?}"
            );
        }
        assert!(read("missing").is_err());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
