//! Linux ≥ 6.12: the sampling thread asks the scheduler for a short time slice.
//!
//! Beside a thread-per-connection client, memmon's thread wakes every interval among ~100
//! runnable threads on two cores. EEVDF (Linux ≥ 6.6) runs the waking thread when its virtual
//! deadline comes up, one default slice (~3 ms) after its eligible time, so it waited behind
//! dozens of slices: gaps of 150–500 ms at a 100 ms interval, and runs with 67–78 % of their
//! samples. A thread that asks for a short slice (`sched_setattr`'s `sched_runtime`, a fair-class
//! request any process may make, Linux ≥ 6.12) gets an early deadline and is run at once when it
//! wakes; it still gets no more CPU than its fair share, and it needs only microseconds per
//! sample. Older kernels ignore the field for this class.
//!
//! Only the calling thread is changed: call it after the command and the PSS reader thread are
//! started, so neither inherits the short slice.

/// The shortest slice the kernel accepts (0.1 ms).
const SLICE_NS: u64 = 100_000;

/// Asks for a short slice for the calling thread, keeping its policy and nice value. Best
/// effort: memmon samples as before where the kernel refuses.
pub fn request_for_this_thread() {
    let size = std::mem::size_of::<libc::sched_attr>() as libc::c_uint;
    // SAFETY: sched_attr is plain integers; all-zero bytes are valid.
    let mut attr: libc::sched_attr = unsafe { std::mem::zeroed() };
    // SAFETY: `attr` is a valid, exclusive buffer of `size` bytes; pid 0 is the calling thread.
    let read = unsafe { libc::syscall(libc::SYS_sched_getattr, 0, &mut attr, size, 0) };
    if read != 0 || attr.sched_policy != libc::SCHED_OTHER as u32 {
        return;
    }
    attr.size = size;
    attr.sched_runtime = SLICE_NS;
    // SAFETY: `attr` is a valid sched_attr of `size` bytes, filled by the kernel just above and
    // changed only in its slice; pid 0 is the calling thread.
    unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &attr, 0) };
}
