//! SIGINT and SIGTERM end a run cleanly: the model stops, every job still running fails as
//! "interrupted", the rows so far are written (the run marked `interrupted`), and the client exits
//! 130 (143 after TERM).
//!
//! The handlers are installed explicitly, whatever the client inherited: a shell starts background
//! jobs with SIGINT ignored, and `kill -INT <client pid>` must still stop the run. A handler only
//! sets a flag (signal-hook, async-signal-safe); the models look at it after every wakeup — a
//! signal also ends the readiness or io_uring wait it lands in (EINTR).

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;

static FLAG: std::sync::OnceLock<(Arc<AtomicBool>, Arc<AtomicBool>)> = std::sync::OnceLock::new();
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Installs the SIGINT and SIGTERM handlers (once; later calls do nothing).
pub fn install() -> std::io::Result<()> {
    if FLAG.get().is_some() {
        return Ok(());
    }
    let int = Arc::new(AtomicBool::new(false));
    let term = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&int))?;
    signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&term))?;
    let _ = FLAG.set((int, term));
    Ok(())
}

/// Whether SIGINT or SIGTERM arrived since [`install`].
pub fn requested() -> bool {
    let Some((int, term)) = FLAG.get() else {
        return false;
    };
    if int.load(Ordering::Relaxed) {
        SIGNAL.store(signal_hook::consts::SIGINT, Ordering::Relaxed);
        return true;
    }
    if term.load(Ordering::Relaxed) {
        SIGNAL.store(signal_hook::consts::SIGTERM, Ordering::Relaxed);
        return true;
    }
    false
}

/// The exit status for an interrupted run: 128 + the signal's number.
pub fn exit_status() -> u8 {
    let _ = requested();
    match SIGNAL.load(Ordering::Relaxed) {
        0 => 130,
        signal => 128 + signal as u8,
    }
}
