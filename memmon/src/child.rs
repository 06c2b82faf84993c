//! The monitored command: spawning it, reaping it with `wait4` (for the exact peak RSS), and
//! turning its status into memmon's exit code.
//!
//! wait4's `ru_maxrss` is the largest of the child's own peak and the peaks of every process it
//! reaped (Linux, the BSDs, macOS alike): `sh -c 'big & wait'` reports `big`'s peak. On Linux the
//! child is first seen exited without being reaped (`waitid(WNOWAIT)`), and its zombie's
//! `/proc/PID/stat` tells whether it reaped anything; if it did, its own peak is the kernel's
//! high-water mark of its address space as of the last sample (`VmHWM`) instead.

#[cfg(target_os = "linux")]
mod linux;

use std::ffi::OsString;
use std::io;
use std::process::Command;

use bench_sys::rusage::Usage;

/// How the child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it.
    Killed(i32),
}

impl Ending {
    /// memmon's own exit code: the child's status, or 128 + signal like a shell.
    pub fn exit_code(self) -> u8 {
        match self {
            Ending::Exited(code) => code as u8,
            Ending::Killed(signal) => (128 + signal).clamp(0, 255) as u8,
        }
    }
}

/// The reaped child: how it ended and the kernel's figures for it (and its reaped descendants).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reaped {
    pub ending: Ending,
    /// Peak resident set size in bytes (`ru_maxrss`) of the child and, where it reaped any, of
    /// its largest descendant; `None` where the OS does not report it.
    pub peak_rss: Option<u64>,
    /// Whether the child had reaped processes of its own; `None` where that is not known (not
    /// Linux, or its `/proc/PID/stat` could not be read).
    pub reaped_descendants: Option<bool>,
    /// CPU seconds in user mode and in the kernel.
    pub cpu_user_s: f64,
    pub cpu_sys_s: f64,
}

/// memmon's own cost so far: CPU seconds (user + system) and peak RSS (`getrusage(RUSAGE_SELF)`).
pub fn own_usage() -> (f64, Option<u64>) {
    Usage::of_self().map_or((0.0, None), |own| (own.cpu_s(), own.peak_rss_bytes))
}

impl Reaped {
    /// The kernel's peak RSS of the command's own process: wait4's when it reaped nothing (or
    /// where that cannot be known without `/proc`), else `high_water_mark` (the largest `VmHWM`
    /// sampled; `None` without one).
    pub fn own_peak_rss(&self, high_water_mark: Option<u64>) -> Option<u64> {
        match self.reaped_descendants {
            Some(false) => self.peak_rss,
            Some(true) => high_water_mark,
            None if cfg!(target_os = "linux") => high_water_mark.or(self.peak_rss),
            None => self.peak_rss,
        }
    }
}

/// Why the command could not be started, with the shell's exit code for it.
#[derive(Debug)]
pub struct SpawnError {
    pub message: String,
    pub exit_code: u8,
}

/// A running child, reaped only through [`Child::try_reap`] so its PID cannot be reused while
/// memmon still samples or signals it.
pub struct Child {
    pid: libc::pid_t,
}

impl Child {
    /// Starts `command[0]` with `command[1..]`, stdin/stdout/stderr inherited; on Linux it is
    /// killed when memmon dies.
    pub fn spawn(command: &[OsString]) -> Result<Child, SpawnError> {
        let (program, args) = command.split_first().expect("clap requires a command");
        let mut command = Command::new(program);
        command.args(args);
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            let parent = std::process::id() as libc::pid_t;
            // SAFETY: the closure runs in the forked child before exec and makes only
            // async-signal-safe system calls (prctl, getppid); it allocates nothing and takes no
            // lock.
            unsafe {
                command.pre_exec(move || linux::die_with_parent(parent));
            }
        }
        let child = command.spawn().map_err(|e| {
            let name = program.to_string_lossy();
            let (exit_code, hint) = match e.kind() {
                io::ErrorKind::NotFound => (127, "check the name and PATH"),
                io::ErrorKind::PermissionDenied => (126, "is it an executable file?"),
                _ => (126, "is it a program for this system?"),
            };
            SpawnError {
                message: format!("memmon: cannot run `{name}`: {e} ({hint})"),
                exit_code,
            }
        })?;
        // std's Child is dropped without waiting: memmon reaps the PID itself with wait4.
        Ok(Child {
            pid: child.id() as libc::pid_t,
        })
    }

    pub fn pid(&self) -> u32 {
        self.pid as u32
    }

    /// Reaps the child if it has ended, without blocking.
    pub fn try_reap(&self) -> io::Result<Option<Reaped>> {
        #[cfg(target_os = "linux")]
        let reaped_descendants = {
            if !linux::exited_unreaped(self.pid)? {
                return Ok(None);
            }
            linux::reaped_descendants(self.pid)
        };
        #[cfg(not(target_os = "linux"))]
        let reaped_descendants = None;
        let mut status: libc::c_int = 0;
        // SAFETY: rusage is a plain C struct of integers; all-zero bytes are a valid value.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        loop {
            // SAFETY: `status` and `usage` are valid, exclusive pointers for the call; `pid` is our
            // own unreaped child, so wait4 cannot touch another process.
            let r = unsafe { libc::wait4(self.pid, &mut status, libc::WNOHANG, &mut usage) };
            if r == 0 {
                return Ok(None);
            }
            if r == self.pid {
                break;
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
        let ending = if libc::WIFSIGNALED(status) {
            Ending::Killed(libc::WTERMSIG(status))
        } else {
            Ending::Exited(libc::WEXITSTATUS(status))
        };
        let usage = Usage::from_raw(&usage);
        Ok(Some(Reaped {
            ending,
            peak_rss: usage.peak_rss_bytes,
            reaped_descendants,
            cpu_user_s: usage.user_s,
            cpu_sys_s: usage.sys_s,
        }))
    }

    /// Sends `signal` to the child (forwarding). The child is not reaped yet, so the PID is its.
    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill has no memory-safety preconditions; `pid` is positive and still ours.
        unsafe { libc::kill(self.pid, signal) };
    }
}

/// A signal's conventional name, for the summary.
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGBUS => "SIGBUS",
        _ => return format!("signal {signal}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn killed_children_exit_with_128_plus_signal() {
        assert_eq!(Ending::Killed(9).exit_code(), 137);
        assert_eq!(Ending::Exited(7).exit_code(), 7);
    }
}
