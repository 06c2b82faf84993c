//! Haiku: `get_team_usage_info(team, B_TEAM_USAGE_SELF)` gives the team's user and kernel time in
//! microseconds (`bigtime_t`). Haiku counts no context switches per team: those stay `None`.
//!
//! Written without a Haiku machine at hand, from libc 0.2's `src/unix/haiku/native.rs`
//! (`team_usage_info`, `get_team_usage_info`, `B_TEAM_USAGE_SELF`, `B_OK`); reviewed, not run.

use super::Usage;

pub fn read(pid: u32) -> Option<Usage> {
    let mut info = libc::team_usage_info {
        user_time: 0,
        kernel_time: 0,
    };
    // SAFETY: `info` is a valid, exclusive pointer to a `team_usage_info`, the size the libc
    // wrapper passes; a team id that does not exist only makes the call fail.
    let status = unsafe {
        libc::get_team_usage_info(pid as libc::team_id, libc::B_TEAM_USAGE_SELF, &mut info)
    };
    (status == libc::B_OK).then(|| Usage {
        user_s: info.user_time as f64 / 1e6,
        sys_s: info.kernel_time as f64 / 1e6,
        voluntary: None,
        involuntary: None,
        peak_rss_bytes: None,
    })
}
