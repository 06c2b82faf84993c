//! Linux specifics of the child: dying with memmon, and telling its own peak RSS from its
//! descendants'.

use std::io;

/// For `pre_exec`, between fork and exec in the child: asks the kernel to SIGKILL this process
/// when memmon dies, so a SIGKILLed memmon (which cannot forward anything) leaves no command
/// running on. Only async-signal-safe calls (prctl, getppid).
///
/// The kernel sends the signal when the *thread* that forked dies: memmon forks from its main
/// thread, which lives until memmon exits.
pub fn die_with_parent(parent: libc::pid_t) -> io::Result<()> {
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and touches no memory of ours.
    if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // memmon may have died between fork and the prctl: then no signal will come, and the
    // process has been reparented already. Do not start the command at all.
    // SAFETY: getppid has no preconditions.
    if unsafe { libc::getppid() } != parent {
        return Err(io::Error::from_raw_os_error(libc::ESRCH));
    }
    Ok(())
}

/// Whether `pid` (our child) has exited, without reaping it: it stays a zombie, so its
/// `/proc/PID/stat` can still be read ([`reaped_descendants`]).
pub fn exited_unreaped(pid: libc::pid_t) -> io::Result<bool> {
    loop {
        // SAFETY: siginfo_t is plain data; all-zero bytes are valid (and si_pid 0 means "none").
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid, exclusive pointer; WNOWAIT leaves the child unreaped, so
        // its PID stays ours.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        if r == 0 {
            // SAFETY: waitid filled `info` (or left it zeroed when no child has changed state).
            return Ok(unsafe { info.si_pid() } == pid);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Whether the exited, unreaped child had reaped processes of its own: then wait4's `ru_maxrss`
/// is the largest of its own peak and theirs, not its own. Read from the zombie's
/// `/proc/PID/stat`: page faults and CPU time of reaped children (`cminflt`, `cmajflt`,
/// `cutime`, `cstime`) — every process that ran faulted in pages. `None` when it cannot be read.
pub fn reaped_descendants(pid: libc::pid_t) -> Option<bool> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    children_figures(&stat).map(|figures| figures.iter().any(|&f| f > 0))
}

/// `cminflt`, `cmajflt`, `cutime`, `cstime` of a `stat` line (fields 11, 13, 16 and 17; the
/// command name in parentheses may hold spaces, so fields are counted after its `)`).
fn children_figures(stat: &str) -> Option<[u64; 4]> {
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    let field = |i: usize| fields.get(i)?.parse().ok();
    Some([field(8)?, field(10)?, field(13)?, field(14)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_of_reaped_children_are_found_past_the_name() {
        let stat = "4242 (a (b) c) Z 1 4242 4242 0 -1 4227084 13035 7 0 2 0 0 5 6 20 0 1 0";
        assert_eq!(children_figures(stat), Some([7, 2, 5, 6]));
        assert_eq!(children_figures("4242 (x) Z 1"), None);
    }
}
