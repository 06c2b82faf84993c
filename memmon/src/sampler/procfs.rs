//! Reading a `/proc` file through a descriptor kept open: `pread` at offset 0 makes the kernel
//! generate the content again, so each sample costs one system call and no open.

use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::fs::FileExt;

/// Large enough for `statm`, `status` and `smaps_rollup` (~1.5 KiB) in one read.
pub const BUFFER_SIZE: usize = 4096;

/// Reads the whole file from offset 0 into `buffer`; `None` on any error.
pub fn read_whole(file: &File, buffer: &mut Vec<u8>) -> Option<()> {
    buffer.clear();
    let mut chunk = [0u8; BUFFER_SIZE];
    loop {
        match file.read_at(&mut chunk, buffer.len() as u64) {
            Ok(0) => return Some(()),
            // The kernel fills the buffer as far as the content goes: a short read is the end.
            Ok(n) if n < chunk.len() => {
                buffer.extend_from_slice(&chunk[..n]);
                return Some(());
            }
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
}

/// The value of a `Name:   value kB` line (`status`, `smaps_rollup`) in bytes.
pub fn kib_field(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?.strip_prefix(':')?;
        let mut words = rest.split_ascii_whitespace();
        let value: u64 = words.next()?.parse().ok()?;
        (words.next()? == "kB").then_some(value * 1024)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kib_fields_are_found_by_exact_name() {
        let text = "Pss:  861 kB\nPss_Anon:   512 kB\nVmHWM:\t  2008 kB\n";
        assert_eq!(kib_field(text, "Pss"), Some(861 * 1024));
        assert_eq!(kib_field(text, "Pss_Anon"), Some(512 * 1024));
        assert_eq!(kib_field(text, "VmHWM"), Some(2008 * 1024));
        assert_eq!(kib_field(text, "Rss"), None);
    }
}
