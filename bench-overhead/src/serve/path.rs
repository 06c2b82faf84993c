//! From a request target to a relative path of plain names under the root, or a refusal.
//!
//! Every segment is percent-decoded on its own, so an encoded `/` (`%2f`) can never create a
//! segment boundary, and a decoded segment that is `..`, or holds `/`, `\` or NUL, is refused
//! (400) before the filesystem is touched. A target naming a folder (the root, `/a/`) is 404:
//! only regular files are served. What the names lead to is `beneath`'s business: it opens them
//! relative to the root, following no symlink, so nothing outside can be reached.

use std::path::PathBuf;

use super::response::Status;

/// The relative path of the file `target` names; 400 for a suspicious target, 404 for a folder.
pub fn file_under_root(target: &str) -> Result<PathBuf, Status> {
    let Target {
        relative,
        names_folder,
    } = parse_target(target)?;
    if relative.as_os_str().is_empty() || names_folder {
        return Err(Status::NotFound);
    }
    Ok(relative)
}

/// A request target reduced to a path under the root.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    /// Plain segments, without empty and `.` ones.
    relative: PathBuf,
    /// The last segment is empty or `.` (`/a/`, `/a/.`): the target names a folder.
    names_folder: bool,
}

/// The target's path as a relative path of plain segments; 400 for anything suspicious.
fn parse_target(target: &str) -> Result<Target, Status> {
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
