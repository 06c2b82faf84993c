//! The open-file limit: every connection is a file descriptor, so the client raises its soft limit
//! as far as the hard limit allows and refuses, before opening anything, a connection count it
//! could not hold. Running out of descriptors mid-run would fail jobs for a reason that says
//! nothing about the OS under test.

/// Descriptors besides the sockets: stdio, the poller, CSV files, and a margin for the runtime.
pub const RESERVED_FDS: u64 = 32;

use bench_sys::limits::raise_open_file_limit;

/// Checks that `connections` sockets fit under the (raised) limit; the error names the limit and
/// what to do.
pub fn ensure_room_for(connections: u32) -> anyhow::Result<()> {
    let Some(limit) = raise_open_file_limit() else {
        return Ok(()); // The OS has no such limit we can read.
    };
    let needed = u64::from(connections) + RESERVED_FDS;
    if needed > limit.soft {
        let hint = if needed > limit.hard {
            format!(
                "raise the hard limit (e.g. `ulimit -Hn {needed}` as root, or /etc/security/limits.conf)"
            )
        } else {
            format!("raise it with `ulimit -n {needed}`")
        };
        anyhow::bail!(
            "{connections} connections need about {needed} open files but the open-file limit \
             (RLIMIT_NOFILE) is {} (hard limit {}): {hint}, or use fewer --connections",
            limit.soft,
            limit.hard
        );
    }
    Ok(())
}
