//! Whether a run got the samples its schedule called for.
//!
//! Samples are due at spawn and every interval after it, so a run of `elapsed_ms` has
//! `elapsed_ms / interval_ms + 1` of them. Fewer were taken when memmon was held up (a stopped
//! memmon, a machine too loaded to run it on time): the figures then rest on fewer samples than
//! their interval says, and the summary warns.

pub use bench_records::{behind_schedule, MIN_SCHEDULED_SHARE as MIN_SHARE};

/// Samples due over a run of `elapsed_ms`.
pub fn scheduled_samples(elapsed_ms: u64, interval_ms: u64) -> u64 {
    elapsed_ms / interval_ms.max(1) + 1
}

/// The warning line, without a trailing newline.
pub fn warning(taken: u64, scheduled: u64, interval_ms: u64) -> String {
    format!(
        "memmon: warning: {taken} of {scheduled} scheduled samples taken ({:.0} %, fewer than \
         {:.0} %): memmon was held up (stopped, or the machine too loaded to run it every \
         {interval_ms} ms), so the figures rest on fewer samples than the interval says",
        taken as f64 / scheduled as f64 * 100.0,
        MIN_SHARE * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_due_at_spawn_and_every_interval() {
        assert_eq!(scheduled_samples(0, 100), 1);
        assert_eq!(scheduled_samples(599, 100), 6);
        assert_eq!(scheduled_samples(600, 100), 7);
    }

    #[test]
    fn one_missing_sample_is_not_behind_but_a_tenth_is() {
        assert!(!behind_schedule(6, 7));
        assert!(!behind_schedule(90, 100));
        assert!(behind_schedule(89, 100));
        assert!(behind_schedule(11, 40));
    }
}
