//! Which server process the suite measures beside the client (memmon `--also`), decided once at
//! `begin`: the PID the caller knows (`SERVER_PID`; `make benchmark` passes the server it
//! started), and only when the server's address is on this machine — a PID names a process here,
//! so a server elsewhere cannot be measured and its columns stay empty. The decision and its
//! reason go into meta.json (`server_cost`), so `summarize` can say why the columns are empty.

use std::net::{IpAddr, UdpSocket};

use anyhow::bail;
use bench_records::ServerCost;

/// `pid_text` is `SERVER_PID` as given (empty when none).
pub fn decide(address: IpAddr, pid_text: &str) -> anyhow::Result<ServerCost> {
    let pid_text = pid_text.trim();
    if !is_on_this_machine(address) {
        return Ok(ServerCost {
            pid: None,
            process: None,
            note: format!("not measured: the server at {address} is not on this machine"),
        });
    }
    if pid_text.is_empty() {
        return Ok(ServerCost {
            pid: None,
            process: None,
            note: "not measured: no SERVER_PID given (make benchmark passes the server it starts)"
                .to_string(),
        });
    }
    let Some(pid) = pid_text
        .parse::<u32>()
        .ok()
        .filter(|&p| p > 0 && p <= i32::MAX as u32)
    else {
        bail!(
            "SERVER_PID=`{pid_text}` is not a process id: give the server's PID, or leave it empty"
        );
    };
    if !is_alive(pid) {
        bail!("SERVER_PID={pid}: no such process: give the PID of the running server, or leave it empty");
    }
    let process = command_name(pid);
    let note = match &process {
        Some(name) => format!("measured: PID {pid} ({name})"),
        None => format!("measured: PID {pid}"),
    };
    Ok(ServerCost {
        pid: Some(pid),
        process,
        note,
    })
}

/// Loopback, or an address of one of this machine's interfaces (binding to it succeeds only then).
fn is_on_this_machine(address: IpAddr) -> bool {
    address.is_loopback() || UdpSocket::bind((address, 0)).is_ok()
}

fn is_alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists and may be signalled; nothing is sent.
    // `pid` is positive (checked above), so it names one process, never a group.
    let status = unsafe { libc::kill(pid as libc::pid_t, 0) };
    status == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(target_os = "linux")]
fn command_name(pid: u32) -> Option<String> {
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(name.trim_end().to_string()).filter(|n| !n.is_empty())
}

/// Other OSes: the PID alone (a name would need their own process tables).
#[cfg(not(target_os = "linux"))]
fn command_name(_pid: u32) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_server_with_a_live_pid_is_measured() {
        let own = std::process::id();
        let cost = decide("127.0.0.1".parse().unwrap(), &own.to_string()).unwrap();
        assert_eq!(cost.pid, Some(own));
        assert!(
            cost.note.starts_with(&format!("measured: PID {own}")),
            "{}",
            cost.note
        );
    }

    #[test]
    fn without_a_pid_or_far_away_nothing_is_measured_and_the_note_says_why() {
        let none = decide("::1".parse().unwrap(), "").unwrap();
        assert_eq!(none.pid, None);
        assert!(none.note.contains("no SERVER_PID"), "{}", none.note);
        // TEST-NET-1 (RFC 5737): never an address of this machine. The PID is then not asked for.
        let far = decide("192.0.2.1".parse().unwrap(), "1").unwrap();
        assert_eq!(far.pid, None);
        assert_eq!(
            far.note,
            "not measured: the server at 192.0.2.1 is not on this machine"
        );
    }

    #[test]
    fn a_bad_pid_is_one_clear_error() {
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        for bad in ["abc", "0", "-3", "4000000000"] {
            let err = decide(local, bad).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("SERVER_PID=`{bad}` is not a process id")),
                "{err}"
            );
        }
        let err = decide(local, "2147483647").unwrap_err().to_string();
        assert!(err.contains("no such process"), "{err}");
    }
}
