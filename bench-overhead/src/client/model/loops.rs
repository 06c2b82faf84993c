//! `--threads T` for the one-thread models (poll, uring): T event loops, each on a thread of its
//! own with its share of the connections (the first `connections % T` loops one more), as wrk's
//! `-t` does. The loops share nothing; their outcomes are merged into one: jobs renumbered in
//! loop order, counts summed, latency (and churn's connect) histograms merged, the run as long as
//! the longest loop. Each job's `start_ns`/`end_ns` count from its own loop's start (the loops start within the
//! time it takes to spawn them).

use std::thread;

use crate::client::job::Outcome;
use crate::client::latency::Latency;

/// Runs `run(first, share)` on `threads` threads (directly when 1) and merges what they return:
/// each loop runs `share` connections, the first of them the run's connection `first` (an open
/// loop's schedule spreads its phases over the run's connections). `None` when a loop could not
/// run its model (io_uring refused: said on stderr already).
pub fn run_loops<F>(threads: u32, connections: u32, run: F) -> anyhow::Result<Option<Outcome>>
where
    F: Fn(u32, u32) -> anyhow::Result<Option<Outcome>> + Sync,
{
    if threads <= 1 {
        return run(0, connections);
    }
    let shares: Vec<u32> = (0..threads)
        .map(|i| connections / threads + u32::from(i < connections % threads))
        .filter(|share| *share > 0)
        .collect();
    let firsts: Vec<u32> = shares
        .iter()
        .scan(0, |next, share| {
            let first = *next;
            *next += share;
            Some(first)
        })
        .collect();
    let results = thread::scope(|scope| {
        let handles = shares
            .iter()
            .zip(&firsts)
            .map(|(&share, &first)| {
                let run = &run;
                thread::Builder::new().spawn_scoped(scope, move || run(first, share))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| anyhow::anyhow!("cannot start an event-loop thread: {err}"))?;
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .map_err(|_| anyhow::anyhow!("an event-loop thread panicked"))?
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    let mut merged: Option<Outcome> = None;
    let mut offset = 0;
    for (result, share) in results.into_iter().zip(&shares) {
        let Some(mut outcome) = result else {
            return Ok(None);
        };
        for job in &mut outcome.jobs {
            job.job += offset;
        }
        offset += share;
        merged = Some(match merged {
            None => outcome,
            Some(mut all) => {
                all.jobs.append(&mut outcome.jobs);
                all.counters += outcome.counters;
                all.run_ns = all.run_ns.max(outcome.run_ns);
                if all.server.is_empty() {
                    all.server = outcome.server;
                }
                if all.payload_bytes == 0 {
                    all.payload_bytes = outcome.payload_bytes;
                }
                all.recv_buffer_bytes += outcome.recv_buffer_bytes;
                all.interrupted |= outcome.interrupted;
                Latency::merge_into(&mut all.latency, outcome.latency.as_ref());
                Latency::merge_into(&mut all.connects, outcome.connects.as_ref());
                all
            }
        });
    }
    Ok(merged.map(|mut outcome| {
        outcome.counters.thread_spawns += shares.len() as u64;
        outcome
    }))
}
