//! `bench-overhead payload`: writes the file the servers serve.
//!
//! The bytes are pseudo-random so that nothing on the path (a compressing NIC driver, a QEMU
//! slirp, a filesystem) can shrink them, and deterministic — xorshift64* from a fixed seed, each
//! 64-bit output stored little-endian — so the same size gives the same file, and the same
//! checksum, on every machine and OS. The generator is the one `tests/support` uses, so test
//! payloads and real payloads are the same bytes.
//!
//! An existing file is compared byte for byte (streaming, never loaded whole) and left alone when
//! identical, so `make payload` is cheap to repeat. A new file is written under a temporary name
//! in the same folder and renamed into place, so an interrupted run never leaves a short file
//! that looks complete.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use crate::units::{format_bytes, MIB};

/// The generator's seed: the 64-bit golden ratio, a conventional non-zero xorshift seed.
pub const SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// Bytes generated per step; large so that writing 200 MiB costs a few hundred system calls.
const CHUNK: usize = 4 * MIB as usize;

/// Produces the payload's bytes in order, chunk by chunk.
pub struct PayloadBytes {
    state: u64,
}

impl Default for PayloadBytes {
    fn default() -> Self {
        PayloadBytes { state: SEED }
    }
}

impl PayloadBytes {
    /// Fills `out` with the next bytes of the stream. `out.len()` must be a multiple of 8 except
    /// for the very last call (the tail of the last 64-bit word is dropped, as the file ends).
    pub fn fill(&mut self, out: &mut [u8]) {
        for word in out.chunks_mut(8) {
            self.state ^= self.state >> 12;
            self.state ^= self.state << 25;
            self.state ^= self.state >> 27;
            let value = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            word.copy_from_slice(&value[..word.len()]);
        }
    }
}

/// `payload`: a file of `size` bytes at `out`.
#[derive(Debug, Clone)]
pub struct PayloadConfig {
    pub size: u64,
    pub out: PathBuf,
}

pub fn run(args: PayloadConfig) -> anyhow::Result<ExitCode> {
    let out = &args.out;
    let started = Instant::now();
    check_destination(out)?;
    if matches_existing(out, args.size)
        .with_context(|| format!("cannot read the existing {}", out.display()))?
    {
        eprintln!(
            "{}: already holds the {} payload, left as is",
            out.display(),
            format_bytes(args.size)
        );
        return Ok(ExitCode::SUCCESS);
    }
    write_payload(out, args.size)?;
    eprintln!(
        "{}: wrote {} ({} bytes) in {:.2} s",
        out.display(),
        format_bytes(args.size),
        args.size,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Refuses, before any byte is generated, a destination that could never become the payload
/// file: an existing folder or other non-file (a FIFO would even block the comparison).
fn check_destination(path: &Path) -> anyhow::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => anyhow::bail!(
            "--out {} is a folder: give the payload file's path, e.g. {}",
            path.display(),
            path.join("testpayload").display()
        ),
        Ok(meta) if !meta.is_file() => anyhow::bail!(
            "--out {} exists and is not a regular file: choose another path",
            path.display()
        ),
        _ => Ok(()),
    }
}

/// Whether `path` already is the payload of `size` bytes. A missing file is simply "no".
fn matches_existing(path: &Path, size: u64) -> io::Result<bool> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(err) => return Err(err),
    };
    if !file.metadata()?.is_file() || file.metadata()?.len() != size {
        return Ok(false);
    }
    let mut bytes = PayloadBytes::default();
    let mut expected = vec![0u8; CHUNK];
    let mut actual = vec![0u8; CHUNK];
    let mut left = size;
    while left > 0 {
        let n = left.min(CHUNK as u64) as usize;
        bytes.fill(&mut expected[..n]);
        file.read_exact(&mut actual[..n])?;
        if expected[..n] != actual[..n] {
            return Ok(false);
        }
        left -= n as u64;
    }
    Ok(true)
}

/// Writes the payload to a temporary sibling of `path`, then renames it into place.
fn write_payload(path: &Path, size: u64) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    let name = path
        .file_name()
        .with_context(|| format!("{} does not name a file", path.display()))?;
    let temp = dir.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = write_to(&temp, size).and_then(|()| {
        std::fs::rename(&temp, path)
            .with_context(|| format!("cannot rename {} to {}", temp.display(), path.display()))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

fn write_to(temp: &Path, size: u64) -> anyhow::Result<()> {
    // Created before any byte is generated: an unwritable folder fails here, at once.
    let mut file = File::create(temp).with_context(|| {
        format!(
            "cannot create a file in {}: check the folder is writable or choose another --out",
            temp.parent().unwrap_or(Path::new(".")).display()
        )
    })?;
    let mut bytes = PayloadBytes::default();
    let mut chunk = vec![0u8; CHUNK];
    let mut left = size;
    while left > 0 {
        let n = left.min(CHUNK as u64) as usize;
        bytes.fill(&mut chunk[..n]);
        file.write_all(&chunk[..n])
            .with_context(|| format!("cannot write {} (disk full?)", temp.display()))?;
        left -= n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_is_the_same_whatever_the_chunking() {
        let mut whole = vec![0u8; 4096];
        PayloadBytes::default().fill(&mut whole);
        let mut pieces = vec![0u8; 4096];
        let mut gen = PayloadBytes::default();
        for piece in pieces.chunks_mut(1024) {
            gen.fill(piece);
        }
        assert_eq!(whole, pieces);
    }
}
