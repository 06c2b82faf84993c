//! The progress of a suite, as hyperfine shows it: after each run, how many of the planned runs are
//! done, the time since the suite began and an estimate of the time left (the mean time per run so
//! far × the runs left; the first one comes after the first run). On a terminal it is a bar drawn
//! by indicatif under the run's line (and replaced by the next run's); elsewhere it ends the run's
//! plain line, so logs stay one line per run.
//!
//! Each `suite record` is its own process, so the bar is redrawn once per run, not ticked during
//! one: the line above it says which run ended last.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// `3/6`: the run that just ended is the third of six.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub done: u32,
    pub total: u32,
}

impl std::str::FromStr for Position {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let parsed = text.split_once('/').and_then(|(done, total)| {
            Some(Position {
                done: done.trim().parse().ok()?,
                total: total.trim().parse().ok()?,
            })
        });
        match parsed {
            Some(p) if p.done >= 1 && p.done <= p.total => Ok(p),
            _ => Err(format!("`{text}` is not DONE/TOTAL with 1 ≤ DONE ≤ TOTAL")),
        }
    }
}

impl Position {
    /// The time left, from the time the `done` runs took; `None` before any time passed.
    pub fn estimate_left(self, elapsed: Duration) -> Option<Duration> {
        (!elapsed.is_zero())
            .then(|| elapsed.mul_f64(f64::from(self.total - self.done) / f64::from(self.done)))
    }

    /// `3/6 runs, 12 s elapsed, about 12 s left` (`done` at the last run).
    pub fn describe(self, elapsed: Option<Duration>) -> String {
        let mut text = format!("{}/{} runs", self.done, self.total);
        if let Some(elapsed) = elapsed {
            text.push_str(&format!(", {} elapsed", format_seconds(elapsed)));
            if self.done < self.total {
                if let Some(left) = self.estimate_left(elapsed) {
                    text.push_str(&format!(", about {} left", format_seconds(left)));
                }
            }
        }
        text
    }
}

/// Whole seconds, minutes past a minute: `<1 s`, `42 s`, `3 min 05 s`.
pub fn format_seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64().round() as u64;
    match secs {
        0 => "<1 s".to_string(),
        1..=59 => format!("{secs} s"),
        _ => format!("{} min {:02} s", secs / 60, secs % 60),
    }
}

/// Prints the run's `line` and the progress: on a terminal the line, then the bar (erasing the
/// bar the previous run left); elsewhere one line, the progress in brackets at its end.
pub fn print(line: &str, position: Option<Position>, elapsed: Option<Duration>) {
    let stderr = std::io::stderr();
    let Some(position) = position else {
        eprintln!("{line}");
        return;
    };
    if !stderr.is_terminal() {
        eprintln!("{line} [{}]", position.describe(elapsed));
        return;
    }
    let mut handle = stderr.lock();
    if position.done > 1 {
        // Up one line and clear it: the previous run's bar.
        let _ = write!(handle, "\x1b[1A\x1b[2K");
    }
    let _ = writeln!(handle, "{line}");
    drop(handle);
    let bar = ProgressBar::with_draw_target(
        Some(u64::from(position.total)),
        ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = ProgressStyle::with_template("  [{bar:30}] {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_position(u64::from(position.done));
    bar.set_message(position.describe(elapsed));
    // Leaves the bar drawn for the next run's step to replace.
    bar.abandon();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_parse_and_estimate() {
        let p: Position = "2/6".parse().unwrap();
        assert_eq!(p, Position { done: 2, total: 6 });
        assert!("0/6".parse::<Position>().is_err());
        assert!("7/6".parse::<Position>().is_err());
        assert!("x".parse::<Position>().is_err());
        // Two runs took 10 s: four more take about 20 s.
        assert_eq!(
            p.estimate_left(Duration::from_secs(10)),
            Some(Duration::from_secs(20))
        );
        assert_eq!(p.estimate_left(Duration::ZERO), None);
        assert_eq!(
            p.describe(Some(Duration::from_secs(10))),
            "2/6 runs, 10 s elapsed, about 20 s left"
        );
        let last = Position { done: 6, total: 6 };
        assert_eq!(
            last.describe(Some(Duration::from_secs(95))),
            "6/6 runs, 1 min 35 s elapsed"
        );
        assert_eq!(last.describe(None), "6/6 runs");
        assert_eq!(format_seconds(Duration::from_millis(400)), "<1 s");
    }
}
