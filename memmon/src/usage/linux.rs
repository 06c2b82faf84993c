//! Linux: `/proc/PID/stat` (utime, stime) and each thread's `/proc/PID/task/TID/status`
//! (voluntary_ctxt_switches, nonvoluntary_ctxt_switches).
//!
//! `stat` of the process sums every thread, the ended ones included, in clock ticks
//! (`sysconf(_SC_CLK_TCK)`, 100 per second almost everywhere): the same source and resolution
//! as `pidstat`, `top` and `ps`. `/proc/PID/status` counts only the main thread's switches, so
//! the threads' own `status` files are summed; switches of threads that ended are lost there.

use std::fs;

use super::Usage;

pub fn read(pid: u32) -> Option<Usage> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (utime, stime) = parse_stat_times(&stat)?;
    let ticks = clock_ticks_per_second();
    let (voluntary, involuntary) = context_switches(pid);
    Some(Usage {
        user_s: utime as f64 / ticks,
        sys_s: stime as f64 / ticks,
        voluntary,
        involuntary,
        peak_rss_bytes: None,
    })
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions; it only returns a value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

/// utime and stime (fields 14 and 15). The command name (field 2) is in parentheses and may hold
/// spaces and parentheses itself, so fields are counted from the last `)`.
fn parse_stat_times(stat: &str) -> Option<(u64, u64)> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
}

/// Both counters summed over the live threads; `None` when no thread could be read.
fn context_switches(pid: u32) -> (Option<u64>, Option<u64>) {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return (None, None);
    };
    let (mut voluntary, mut involuntary, mut read) = (0, 0, false);
    for task in tasks.flatten() {
        let Ok(status) = fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        if let Some((v, i)) = parse_status_switches(&status) {
            voluntary += v;
            involuntary += i;
            read = true;
        }
    }
    if read {
        (Some(voluntary), Some(involuntary))
    } else {
        (None, None)
    }
}

fn parse_status_switches(status: &str) -> Option<(u64, u64)> {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().parse::<u64>().ok())
    };
    Some((
        field("voluntary_ctxt_switches:")?,
        field("nonvoluntary_ctxt_switches:")?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_times_are_counted_from_the_last_parenthesis() {
        let stat = "42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0";
        assert_eq!(parse_stat_times(stat), Some((250, 75)));
        assert_eq!(parse_stat_times("42 (x) S 1"), None);
    }

    #[test]
    fn status_switches_parse() {
        let status = "Name:\tx\nvoluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t3\n";
        assert_eq!(parse_status_switches(status), Some((12, 3)));
        assert_eq!(parse_status_switches("Name:\tx\n"), None);
    }
}
