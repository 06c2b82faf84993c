//! Describes the machine a run is measured on: OS, version, kernel, architecture, CPU, memory.
//!
//! Every record names its setup (ARCHITECTURE.md, Setups), so this is read once per process and
//! copied into each record. `uname(2)` is the common source on every Unix; the OS version comes from where each OS
//! keeps it: `/etc/os-release` on Linux, the hrev in `uname -v` on Haiku, the release elsewhere.

use std::process::ExitCode;

use serde::Serialize;
use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};

use platform::uname;

/// The machine, as `meta.json` and every run record name it.
#[derive(Debug, Clone, Serialize)]
pub struct Host {
    pub os: String,
    pub os_version: String,
    pub arch: String,
    pub kernel: String,
    pub hostname: String,
    pub cpu_model: String,
    pub cores: usize,
    pub memory_bytes: u64,
}

/// The fields of `uname(2)`; empty where the OS has none.
#[derive(Default)]
struct Uname {
    sysname: String,
    nodename: String,
    release: String,
    version: String,
    machine: String,
}

#[cfg(unix)]
mod platform {
    use super::Uname;

    pub fn uname() -> Uname {
        // SAFETY: `utsname` is plain old data, so all-zeroes is a valid value; `uname` fills it
        // and NUL-terminates every field, which makes the `CStr` reads below sound.
        let mut raw: libc::utsname = unsafe { std::mem::zeroed() };
        if unsafe { libc::uname(&mut raw) } != 0 {
            return Uname::default();
        }
        let field = |f: &[libc::c_char]| -> String {
            // SAFETY: see above; the field lives as long as `raw`.
            unsafe { std::ffi::CStr::from_ptr(f.as_ptr()) }
                .to_string_lossy()
                .into_owned()
        };
        Uname {
            sysname: field(&raw.sysname),
            nodename: field(&raw.nodename),
            release: field(&raw.release),
            version: field(&raw.version),
            machine: field(&raw.machine),
        }
    }
}

#[cfg(not(unix))]
mod platform {
    use super::Uname;

    /// No `uname(2)`: the caller falls back to Rust's own names for the OS and architecture.
    pub fn uname() -> Uname {
        Uname::default()
    }
}

/// `PRETTY_NAME` of an os-release file, e.g. `Debian GNU/Linux 12 (bookworm)`.
fn os_release_pretty_name(text: &str) -> Option<String> {
    text.lines()
        .find_map(|line| line.strip_prefix("PRETTY_NAME="))
        .map(|value| value.trim().trim_matches('"').to_string())
        .filter(|value| !value.is_empty())
}

/// Haiku's build revision (`hrev54280`) from `uname -v`, which reads like `hrev54280 Jun  1 2020 …`.
fn haiku_hrev(version: &str) -> Option<String> {
    version
        .split_whitespace()
        .find(|word| word.starts_with("hrev"))
        .map(str::to_string)
}

fn os_version(uname: &Uname) -> String {
    match uname.sysname.as_str() {
        "Linux" => std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|text| os_release_pretty_name(&text))
            .unwrap_or_else(|| uname.release.clone()),
        "Haiku" => haiku_hrev(&uname.version).unwrap_or_else(|| uname.version.clone()),
        _ => uname.release.clone(),
    }
}

impl Host {
    /// Reads the machine's description. Cheap enough to call once per process.
    pub fn detect() -> Host {
        let uname = uname();
        let system = System::new_with_specifics(
            RefreshKind::nothing()
                .with_cpu(CpuRefreshKind::nothing())
                .with_memory(MemoryRefreshKind::nothing().with_ram()),
        );
        let cpu_model = system
            .cpus()
            .first()
            .map(|cpu| cpu.brand().trim().to_string())
            .unwrap_or_default();
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        Host {
            os: if uname.sysname.is_empty() {
                std::env::consts::OS.to_string()
            } else {
                uname.sysname.clone()
            },
            os_version: os_version(&uname),
            // Prefer the running kernel's view (a 32-bit userland on a 64-bit kernel says so).
            arch: if uname.machine.is_empty() {
                std::env::consts::ARCH.to_string()
            } else {
                uname.machine.clone()
            },
            kernel: uname.release.clone(),
            hostname: uname.nodename.clone(),
            cpu_model,
            cores,
            memory_bytes: system.total_memory(),
        }
    }
}

/// `bench-overhead meta`: the host as one JSON object, for `meta.json`.
pub fn run_meta() -> anyhow::Result<ExitCode> {
    println!("{}", serde_json::to_string_pretty(&Host::detect())?);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_os_release_and_hrev() {
        let text = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(
            os_release_pretty_name(text).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(os_release_pretty_name("NAME=x\n"), None);
        assert_eq!(
            haiku_hrev("hrev54280 Jun  1 2020 06:23:47").as_deref(),
            Some("hrev54280")
        );
    }

    #[test]
    fn detects_this_machine() {
        let host = Host::detect();
        assert_eq!(
            host.os,
            if cfg!(target_os = "linux") {
                "Linux"
            } else {
                host.os.as_str()
            }
        );
        assert!(!host.kernel.is_empty());
        assert!(!host.arch.is_empty());
        assert!(host.cores >= 1);
        assert!(host.memory_bytes > 0);
    }
}
