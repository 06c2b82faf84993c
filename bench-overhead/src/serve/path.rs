//! From a request target to an open regular file under the root, and nothing else.
//!
//! Every segment is percent-decoded on its own, so an encoded `/` (`%2f`) can never create a
//! segment boundary, and a decoded segment that is `..`, or holds `/`, `\` or NUL, is refused
//! (400) before the filesystem is touched. Then each segment under the root is `lstat`ed: when
//! none is a symlink the path cannot leave the root and is opened as is (three system calls for
//! `/hello`, which keeps the request rate close to lighttpd's). When one is, the OS resolves the
//! whole path (`canonicalize`) and it must still lie under the canonical root, which refuses
//! symlinks that lead out. Only a regular file is served (404 for anything else). On Unix the
//! open also uses `O_NOFOLLOW` (a symlink swapped in after the check is refused) and `O_NONBLOCK`
//! (a FIFO swapped in cannot block the loop). `files.rs` shares the open descriptors.

use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};

use super::response::Status;

/// Resolves `target` under `root` (canonical) to the path of a regular file and its metadata
/// (taken just now, so its length is the length to announce).
pub fn resolve(root: &Path, target: &str) -> Result<(PathBuf, Metadata), Status> {
    let Target {
        relative,
        names_folder,
    } = parse_target(target)?;
    if relative.as_os_str().is_empty() {
        return Err(Status::NotFound); // the root folder itself
    }
    let joined = root.join(&relative);
    let mut prefix = root.to_path_buf();
    let mut last = None;
    for segment in relative.iter() {
        prefix.push(segment);
        let meta = std::fs::symlink_metadata(&prefix).map_err(|_| Status::NotFound)?;
        if meta.file_type().is_symlink() {
            last = None;
            break;
        }
        last = Some(meta);
    }
    let (resolved, meta) = match last {
        Some(meta) => (joined, meta),
        None => {
            let resolved = joined.canonicalize().map_err(|_| Status::NotFound)?;
            if !resolved.starts_with(root) {
                return Err(Status::NotFound); // a symlink out of the root
            }
            let meta = std::fs::metadata(&resolved).map_err(|_| Status::NotFound)?;
            (resolved, meta)
        }
    };
    // A folder, FIFO, device… and a file asked for as a folder (`/hello/`), which a
    // filesystem would refuse too (ENOTDIR).
    if !meta.is_file() || names_folder {
        return Err(Status::NotFound);
    }
    Ok((resolved, meta))
}

/// Opens a file `resolve` returned, read-only, refusing a symlink or FIFO swapped in since.
pub fn open_regular(path: &Path) -> Result<File, Status> {
    let file = open_options().open(path).map_err(|_| Status::NotFound)?;
    match file.metadata() {
        Ok(meta) if meta.is_file() => Ok(file),
        _ => Err(Status::NotFound),
    }
}

/// A request target reduced to a path under the root.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    /// Plain segments, without empty and `.` ones.
    pub relative: PathBuf,
    /// The last segment is empty or `.` (`/a/`, `/a/.`): the target names a folder.
    pub names_folder: bool,
}

/// The target's path as a relative path of plain segments; 400 for anything suspicious.
pub fn parse_target(target: &str) -> Result<Target, Status> {
    // Origin form only: "/path?query". Absolute form ("http://…"), "*" and the rest are refused.
    let Some(rest) = target.strip_prefix('/') else {
        return Err(Status::BadRequest);
    };
    let path = rest.split(['?', '#']).next().unwrap_or("");
    let mut relative = PathBuf::new();
    let mut names_folder = false;
    for raw in path.split('/') {
        let bytes = percent_decode(raw).ok_or(Status::BadRequest)?;
        let segment = String::from_utf8(bytes).map_err(|_| Status::BadRequest)?;
        if segment.contains(['/', '\\', '\0']) || segment == ".." {
            return Err(Status::BadRequest);
        }
        // Windows drive prefixes ("C:") would make `join` leave the root.
        if cfg!(windows) && segment.contains(':') {
            return Err(Status::BadRequest);
        }
        names_folder = segment.is_empty() || segment == ".";
        if !names_folder {
            relative.push(segment);
        }
    }
    Ok(Target {
        relative,
        names_folder,
    })
}

/// `%XX` decoding; `None` for a `%` not followed by two hex digits.
fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(unix)]
fn open_options() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    options
}

#[cfg(not(unix))]
fn open_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relative_path(target: &str) -> Result<PathBuf, Status> {
        parse_target(target).map(|t| t.relative)
    }

    fn names_folder(target: &str) -> bool {
        parse_target(target).unwrap().names_folder
    }

    #[test]
    fn plain_paths_resolve_to_segments() {
        assert_eq!(
            relative_path("/testpayload"),
            Ok(PathBuf::from("testpayload"))
        );
        assert_eq!(relative_path("//a/./b?x=../y"), Ok(PathBuf::from("a/b")));
        assert_eq!(relative_path("/a%20b"), Ok(PathBuf::from("a b")));
        assert_eq!(relative_path("/"), Ok(PathBuf::new()));
    }

    #[test]
    fn a_trailing_slash_or_dot_names_a_folder() {
        for target in ["/", "/a/", "/a/.", "/a//", "/a/%2e", "/a/?x"] {
            assert!(names_folder(target), "{target}");
        }
        for target in ["/a", "/a/b", "/./a", "/a?x/"] {
            assert!(!names_folder(target), "{target}");
        }
    }

    #[test]
    fn traversal_in_every_spelling_is_refused() {
        for target in [
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E/etc/passwd",
            "/.%2e/etc/passwd",
            "/a%2f..%2f..%2fetc%2fpasswd",
            "/..%5cetc",
            "/a%00b",
            "/%zz",
            "/%2",
            "/%ff",
            "etc/passwd",
            "http://localhost/etc/passwd",
            "*",
        ] {
            assert_eq!(relative_path(target), Err(Status::BadRequest), "{target}");
        }
    }
}
