//! Keeping a short bookkeeping step alive through Ctrl-C.
//!
//! A terminal's Ctrl-C signals the whole foreground process group: the shell, memmon, the client,
//! and the step that is appending a row. The shell traps it and stops after the current step, so
//! the step itself ignores it and finishes its (bounded, sub-second) write.

#[cfg(unix)]
pub fn ignore_interrupts() {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: installing SIG_IGN touches no Rust state and no handler code runs; it is sound at
        // any point of a program.
        unsafe {
            libc::signal(signal, libc::SIG_IGN);
        }
    }
}

#[cfg(not(unix))]
pub fn ignore_interrupts() {}
