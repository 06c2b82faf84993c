//! Samples taken but not recorded yet, oldest first.
//!
//! A sample that asked for PSS waits for the reading (another thread's, `sampler/pss_worker.rs`)
//! before it is recorded; the samples taken meanwhile queue behind it, so that `memory.csv` stays
//! in time order. Only one reading is in flight at a time, so only the oldest sample can wait,
//! and no longer than the sampler's answer limit (one interval, at least a second).

use std::collections::VecDeque;

use crate::sampler::{Sample, Sampler};

/// One taken sample: its figures, when it was taken (ms after spawn), and whether it waits for
/// a reading.
struct Taken {
    sample: Sample,
    at_ms: u64,
    awaiting: bool,
}

#[derive(Default)]
pub struct Pending {
    queue: VecDeque<Taken>,
}

impl Pending {
    /// Queues the sample the sampler just took.
    pub fn push(&mut self, sample: Sample, at_ms: u64, sampler: &Sampler) {
        self.queue.push_back(Taken {
            sample,
            at_ms,
            awaiting: sampler.awaiting(),
        });
    }

    /// Takes the samples that are complete, oldest first; with `wait`, waiting for the oldest
    /// one's reading (within the answer limit), so that all are taken.
    pub fn take_ready(&mut self, sampler: &mut Sampler, wait: bool) -> Vec<(Sample, u64)> {
        let mut ready = Vec::new();
        while let Some(front) = self.queue.front_mut() {
            if front.awaiting && !sampler.complete(&mut front.sample, wait) {
                break;
            }
            let taken = self.queue.pop_front().expect("a front sample");
            ready.push((taken.sample, taken.at_ms));
        }
        ready
    }
}
