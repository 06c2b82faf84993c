//! A busy child for `make bench-memmon` (scripts/bench-memmon.sh): holds a known amount of
//! touched memory, optionally many idle threads (each with its own stack mapping — the shape of
//! a thread-per-connection client with thousands of connections), and keeps one core busy for a
//! fixed time. Not part of the suite: it exists so memmon's cost can be measured on any OS
//! without the client or a server.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Parser)]
struct Args {
    /// MiB to allocate and touch.
    #[arg(long, default_value_t = 64)]
    mib: usize,
    /// Seconds to stay busy.
    #[arg(long, default_value_t = 8.0)]
    seconds: f64,
    /// Idle threads to start (each has a 64 KiB stack mapping and a guard page).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

fn main() {
    let args = Args::parse();
    let mut block = vec![1u8; args.mib << 20];
    let done = Arc::new(AtomicBool::new(false));
    let mut idle = Vec::with_capacity(args.threads);
    for _ in 0..args.threads {
        let done = Arc::clone(&done);
        let spawned = thread::Builder::new().stack_size(64 << 10).spawn(move || {
            while !done.load(Ordering::Relaxed) {
                thread::park_timeout(Duration::from_millis(500));
            }
        });
        match spawned {
            Ok(handle) => idle.push(handle),
            Err(e) => {
                eprintln!("busy-child: stopped at {} threads: {e}", idle.len());
                break;
            }
        }
    }
    // Busy: rewrite the block page by page until the time is up, so the memory stays hot.
    let deadline = Instant::now() + Duration::from_secs_f64(args.seconds);
    let mut round = 0u8;
    while Instant::now() < deadline {
        round = round.wrapping_add(1);
        for page in block.chunks_mut(4096) {
            page[0] = round;
        }
        std::hint::black_box(&block);
    }
    done.store(true, Ordering::Relaxed);
    for handle in idle {
        handle.thread().unpark();
        let _ = handle.join();
    }
    println!(
        "busy-child: {} MiB, {} threads, {} s",
        args.mib, args.threads, args.seconds
    );
}
