//! Linux: one reading of `/proc/PID/smaps_rollup`, the kernel's sums over every mapping.
//!
//! Why this file: `smaps` (the old suite's source) prints ~20 lines *per mapping* — with 10,000
//! threads (10,000 stacks) hundreds of thousands of lines per sample — where `smaps_rollup` prints
//! the sums, ~20 lines. `Pss_Anon` (Linux ≥ 5.3) is the kernel's own sum of the old suite's
//! metric: the Pss of anonymous memory (the old suite summed the Pss of mappings not backed by a
//! file, which holds the same pages but for the copied-on-write pages of a program's own data).
//!
//! The reading's `Rss` comes from the same walk over the page tables as its `Pss` and `Pss_Anon`,
//! and every page adds at most its size to `Pss` and exactly its size to `Rss`: so within one
//! reading `Pss_Anon ≤ Pss ≤ Rss` always holds, which figures read from two files at two
//! instants (`statm`, then this) do not guarantee while the process grows.
//!
//! The file stays bound to the address space it was opened on: once the process calls `exec`,
//! that one is gone and the read returns nothing. It is then opened again and read once more.

use std::fs::File;
use std::io::ErrorKind;

use super::procfs::{kib_field, read_whole, BUFFER_SIZE};

/// What one reading gave, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rollup {
    pub rss: u64,
    pub pss: u64,
    /// `None` on kernels before 5.3.
    pub pss_anon: Option<u64>,
}

/// The outcome of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupRead {
    Read(Rollup),
    /// No reading this time (the process is gone or exiting).
    Failed,
    /// The process lives but has no `smaps_rollup`: a kernel before 4.14. Never ask again.
    Unsupported,
}

pub struct RollupReader {
    pid: u32,
    /// `None` until opened, and again after a failed read until reopened.
    file: Option<File>,
    buffer: Vec<u8>,
}

impl RollupReader {
    pub fn new(pid: u32) -> RollupReader {
        RollupReader {
            pid,
            file: None,
            buffer: Vec::with_capacity(BUFFER_SIZE),
        }
    }

    /// Reads `smaps_rollup`, opening it again when the open one fails (after an `exec`).
    pub fn read(&mut self) -> RollupRead {
        if let Some(rollup) = self.file.as_ref().and_then(|file| {
            read_whole(file, &mut self.buffer)?;
            parse_rollup(&self.buffer)
        }) {
            return RollupRead::Read(rollup);
        }
        self.file = None;
        let file = match File::open(format!("/proc/{}/smaps_rollup", self.pid)) {
            Ok(file) => file,
            Err(e) => {
                let alive = std::path::Path::new(&format!("/proc/{}", self.pid)).exists();
                return if e.kind() == ErrorKind::NotFound && alive {
                    RollupRead::Unsupported
                } else {
                    RollupRead::Failed
                };
            }
        };
        let rollup = read_whole(&file, &mut self.buffer).and_then(|()| parse_rollup(&self.buffer));
        self.file = Some(file);
        rollup.map_or(RollupRead::Failed, RollupRead::Read)
    }
}

/// `smaps_rollup`: a header line, then `Name:   value kB` lines. `None` when the content is not a
/// rollup of a live address space (no `Rss:` line).
fn parse_rollup(text: &[u8]) -> Option<Rollup> {
    let text = std::str::from_utf8(text).ok()?;
    Some(Rollup {
        rss: kib_field(text, "Rss")?,
        pss: kib_field(text, "Pss")?,
        pss_anon: kib_field(text, "Pss_Anon"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLLUP: &str = "\
55d0c0a4a000-7ffc2a5f5000 ---p 00000000 00:00 0                          [rollup]
Rss:                3712 kB
Pss:                 861 kB
Pss_Dirty:           516 kB
Pss_Anon:            512 kB
Pss_File:            349 kB
Pss_Shmem:             0 kB
Shared_Clean:       3196 kB
";

    #[test]
    fn rollup_yields_rss_pss_and_anonymous_pss_in_bytes() {
        let rollup = parse_rollup(ROLLUP.as_bytes()).unwrap();
        assert_eq!(rollup.rss, 3712 * 1024);
        assert_eq!(rollup.pss, 861 * 1024);
        assert_eq!(rollup.pss_anon, Some(512 * 1024));
    }

    #[test]
    fn rollup_of_an_old_kernel_has_no_anonymous_pss() {
        let old = ROLLUP.replace("Pss_Anon:            512 kB\n", "");
        let rollup = parse_rollup(old.as_bytes()).unwrap();
        assert_eq!(rollup.pss_anon, None);
        assert_eq!(rollup.pss, 861 * 1024);
    }

    #[test]
    fn empty_rollup_is_no_reading() {
        assert_eq!(parse_rollup(b""), None);
    }

    #[test]
    fn own_process_reads_pss_within_rss() {
        let mut reader = RollupReader::new(std::process::id());
        for _ in 0..2 {
            // The second read goes through the same descriptor (pread regenerates the file).
            let RollupRead::Read(rollup) = reader.read() else {
                panic!("reading this process's smaps_rollup failed");
            };
            assert!(rollup.pss > 0 && rollup.pss <= rollup.rss);
            assert!(rollup.pss_anon.map_or(true, |anon| anon <= rollup.pss));
        }
    }
}
