//! The words and cells of a summary: each figure's printed value and spread, the warnings on
//! noisy figures and the notes on what the figures cover, shared by the text and markdown
//! renderers so that both say the same.

use std::fmt::Write as _;
use std::path::Path;

use super::summary::{is_download, Figure, Summary, VariantSummary};
use crate::results::averages::RunSelection;
use crate::results::jobs;
use crate::units::{format_bytes, format_nanos};

/// A figure whose coefficient of variation over runs exceeds this is flagged.
pub const CV_WARNING: f64 = 0.10;

/// The per-run figures, as the notes name them.
const RUN_FIGURES: &str = "run time, aggregate speed and memory";

/// Everything the text and markdown renderers print, worded once: the renderers only lay it out.
pub struct View<'a> {
    pub summary: &'a Summary,
    pub sections: Vec<Section>,
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
}

/// One variant's heading and lines.
pub struct Section {
    pub heading: String,
    /// The fixed lines before the figures: label and value.
    pub counts: Vec<(&'static str, String)>,
    /// The figures printed (memory left out without memmon): label, value and spread.
    pub figures: Vec<(&'static str, String, String)>,
}

impl<'a> View<'a> {
    pub fn new(summary: &'a Summary) -> View<'a> {
        // A folder of several workloads names each section's; one of download alone reads as
        // the old suite's.
        let several = !summary.requests.is_empty()
            || summary.variants.iter().any(|s| !is_download(&s.workload));
        let sections: Vec<Section> = summary
            .variants
            .iter()
            .map(|s| Section {
                heading: if several {
                    format!("{}: {}", s.workload, heading(s))
                } else {
                    heading(s)
                },
                counts: counts(s),
                figures: figures(s)
                    .into_iter()
                    .filter_map(|line| {
                        let (value, spread) = line.cells()?;
                        Some((line.label, value, spread))
                    })
                    .collect(),
            })
            .collect();
        View {
            summary,
            sections,
            warnings: summary
                .variants
                .iter()
                .flat_map(|s| s.warnings.iter().cloned())
                .collect(),
            notes: notes(summary),
        }
    }
}

/// A figure that stands for nothing when no job succeeded.
pub(super) const NO_VALUE: &str = "—";

/// One printed figure.
pub(super) struct FigureLine {
    pub(super) label: &'static str,
    /// `None`: no value (no successful job, not measured, or no memmon).
    pub(super) figure: Option<Figure>,
    format: fn(f64) -> String,
    /// Printed as `—` when absent; otherwise left out (memory without memmon).
    always: bool,
    /// Whether a spread above [`CV_WARNING`] is flagged. Not for memory min: memmon's first sample
    /// is taken at spawn, before the client has allocated anything, so its spread is that of a few
    /// KiB of start-up noise, not of the workload.
    flagged: bool,
    /// A per-job figure, whose spread is over the runs with a successful job; else a per-run
    /// figure, over the runs it averages.
    per_job: bool,
}

/// The figures in display order.
pub(super) fn figures(s: &VariantSummary) -> Vec<FigureLine> {
    fn nanos(v: f64) -> String {
        format_nanos(v)
    }
    fn rate(v: f64) -> String {
        format!("{v:.3} MiB/s")
    }
    fn size(v: f64) -> String {
        format_bytes(v.round() as u64)
    }
    let job = |label, figure, format: fn(f64) -> String| FigureLine {
        label,
        figure,
        format,
        always: true,
        flagged: true,
        per_job: true,
    };
    let run = |label, figure, format: fn(f64) -> String| FigureLine {
        label,
        figure,
        format,
        always: true,
        flagged: true,
        per_job: false,
    };
    let memory = |label, figure, flagged| FigureLine {
        label,
        figure,
        format: size,
        always: false,
        flagged,
        per_job: false,
    };
    fn seconds(v: f64) -> String {
        format!("{v:.3} s")
    }
    fn count(v: f64) -> String {
        format!("{v:.1}")
    }
    fn micros(v: f64) -> String {
        format_nanos(v * 1e3)
    }
    // Beyond the client: printed (as `—` where absent) when the suite measured such costs.
    let cost = |label, figure, format: fn(f64) -> String| FigureLine {
        label,
        figure,
        format,
        always: s.cost_measured,
        flagged: false,
        per_job: false,
    };
    vec![
        job("Average socket creation time", s.socket_ns, nanos),
        job("Average job setup time", s.setup_ns, nanos),
        job("Average time spent receiving data", s.receive_ns, nanos),
        job("Average download speed per job", s.job_mib_s, rate),
        run("Average run time", s.run_ns, nanos),
        run("Average aggregate speed", s.aggregate_mib_s, rate),
        memory("Memory min (average over runs)", s.memory_min_bytes, false),
        memory("Memory avg (average over runs)", s.memory_avg_bytes, true),
        memory("Memory max (average over runs)", s.memory_max_bytes, true),
        cost("Server CPU per GiB", s.server_cpu_s_per_gib, seconds),
        cost("Server memory avg", s.server_memory_avg_bytes, size),
        cost(
            "Kernel socket memory per connection",
            s.socket_memory_per_connection_bytes,
            size,
        ),
        cost("TCP sockets in use at start", s.tcp_inuse_start, count),
        cost(
            "TCP retransmits per connection",
            s.retransmits_per_connection,
            count,
        ),
        cost("TCP RTT per connection", s.rtt_us, micros),
    ]
}

impl FigureLine {
    fn flagged_cv(&self) -> Option<f64> {
        let cv = self.figure?.cv?;
        (self.flagged && cv > CV_WARNING).then_some(cv)
    }

    /// The value and the spread as printed; `None` for a line left out.
    pub(super) fn cells(&self) -> Option<(String, String)> {
        let Some(figure) = self.figure else {
            return self.always.then(|| (NO_VALUE.to_string(), "-".to_string()));
        };
        let spread = match figure.cv {
            Some(cv) if self.flagged_cv().is_some() => format!("{:.1} % (!)", cv * 100.0),
            Some(cv) => format!("{:.1} %", cv * 100.0),
            None => "-".to_string(),
        };
        Some(((self.format)(figure.value), spread))
    }

    /// The runs the spread is over, when not every run of the variant: `the 2 of 3 runs in which
    /// every job succeeded`.
    fn coverage(&self, s: &VariantSummary) -> Option<String> {
        let n = self.figure?.runs;
        let of = s.runs;
        if n == of {
            return None;
        }
        Some(match s.selection {
            _ if self.per_job => format!("the {n} of {of} runs with a successful job"),
            RunSelection::Clean { clean, .. } if clean == n => {
                format!("the {n} of {of} runs in which every job succeeded")
            }
            _ => format!("the {n} of {of} runs that measured it"),
        })
    }
}

/// One warning per variant naming every figure that varies by more than [`CV_WARNING`] between
/// the runs it covers.
pub(super) fn warnings(s: &VariantSummary) -> Vec<String> {
    let noisy: Vec<(String, Option<String>)> = figures(s)
        .into_iter()
        .filter_map(|line| {
            let cv = line.flagged_cv()?;
            Some((
                format!("{} {:.1} %", line.label, cv * 100.0),
                line.coverage(s),
            ))
        })
        .collect();
    if noisy.is_empty() {
        return Vec::new();
    }
    let advice = "run more ITERATIONS or quiet the machine before comparing them";
    let threshold = CV_WARNING * 100.0;
    if noisy.iter().all(|(_, coverage)| coverage.is_none()) {
        let figures: Vec<String> = noisy.into_iter().map(|(figure, _)| figure).collect();
        return vec![format!(
            "{}: over {} runs these vary by more than {threshold:.0} % (CV): {}; {advice}",
            s.subject(),
            s.runs,
            figures.join(", ")
        )];
    }
    let figures: Vec<String> = noisy
        .into_iter()
        .map(|(figure, coverage)| {
            let runs = coverage.unwrap_or_else(|| format!("all {} runs", s.runs));
            format!("{figure} over {runs}")
        })
        .collect();
    vec![format!(
        "{}: these vary by more than {threshold:.0} % (CV): {}; {advice}",
        s.subject(),
        figures.join(", ")
    )]
}

/// `2 of 3 (1 left no record)`: successful runs of every iteration, recorded or not.
fn successful_runs(s: &VariantSummary) -> String {
    let iterations = s.runs + s.runs_unrecorded;
    let mut details = Vec::new();
    if s.runs_unrecorded > 0 {
        details.push(format!("{} left no record", s.runs_unrecorded));
    }
    if (s.iterations_planned as usize) > iterations {
        details.push(format!("{} planned", s.iterations_planned));
    }
    let mut text = format!("{} of {iterations}", s.runs_ok);
    if !details.is_empty() {
        text = format!("{text} ({})", details.join("; "));
    }
    text
}

/// The fixed lines before the figures: counts and data volumes.
fn counts(s: &VariantSummary) -> Vec<(&'static str, String)> {
    vec![
        ("Total jobs", s.jobs.to_string()),
        ("Successful runs", successful_runs(s)),
        ("Successful jobs", format!("{} of {}", s.jobs_ok, s.jobs)),
        ("Total data fetched", format_bytes(s.bytes)),
        (
            "Data fetched per job",
            format_bytes(s.bytes_per_job.round() as u64),
        ),
    ]
}

fn heading(s: &VariantSummary) -> String {
    let connections: Vec<String> = s.connections.iter().map(u32::to_string).collect();
    let noun = if s.connections == [1] {
        "connection"
    } else {
        "connections"
    };
    let mut heading = format!(
        "{} ({}), {} {noun}, server {}, network {}",
        s.variant,
        s.backend,
        connections.join("/"),
        if s.server.is_empty() {
            "unnamed"
        } else {
            &s.server
        },
        s.network
    );
    if !s.memory_metric.is_empty() {
        let _ = write!(heading, ", memory = {}", s.memory_metric);
    }
    heading
}

/// The note on jobs.csv rows that do not parse: how many, the first few, and the runs that take
/// their job figures from runs.csv instead.
fn skipped_job_rows_note(summary: &Summary) -> Option<String> {
    let file = Path::new(&summary.results).join("jobs.csv");
    let rows = match summary.skipped_job_rows {
        0 => return None,
        1 => format!(
            "{}: {}: that row is left out",
            file.display(),
            summary.skipped_job_rows_first.join("")
        ),
        n => {
            let first = &summary.skipped_job_rows_first;
            let which = if first.len() as u64 == n {
                String::new()
            } else {
                format!(", the first {}", first.len())
            };
            format!(
                "{}: {n} rows are not job rows and are left out{which}: {}",
                file.display(),
                first.join("; ")
            )
        }
    };
    let runs = &summary.runs_with_skipped_job_rows;
    let named: Vec<&str> = runs.iter().take(jobs::NAMED).map(String::as_str).collect();
    let fallback = match runs.len() {
        0 => String::new(),
        1 => format!("; run {} takes its job figures from runs.csv", named[0]),
        n if n > named.len() => format!(
            "; runs {} and {} more take their job figures from runs.csv",
            named.join(", "),
            n - named.len()
        ),
        _ => format!(
            "; runs {} take their job figures from runs.csv",
            named.join(", ")
        ),
    };
    Some(format!("{rows}{fallback}"))
}

fn notes(summary: &Summary) -> Vec<String> {
    let mut notes = Vec::new();
    if summary.status == "partial" {
        notes.push("status partial: the suite was interrupted (or is still running); the figures cover the runs recorded".to_string());
    }
    for failed in &summary.failed_iterations {
        notes.push(format!("failed iteration {failed}"));
    }
    if summary.orphan_jobs > 0 {
        notes.push(format!(
            "{} job rows belong to no recorded run (an interrupted or failed iteration) and are left out",
            summary.orphan_jobs
        ));
    }
    notes.extend(skipped_job_rows_note(summary));
    for s in &summary.variants {
        if s.jobs_ok == 0 && s.jobs > 0 {
            notes.push(format!(
                "{}: no job succeeded: the job figures ({NO_VALUE}) have nothing to average",
                s.subject()
            ));
        }
        notes.extend(s.selection.note(&s.subject(), RUN_FIGURES));
        if let (behind @ 1.., said) = s.memory_behind_schedule {
            notes.push(format!(
                "{}: memmon fell behind its sampling schedule in {behind} of {said} runs (fewer \
                 than {:.0} % of the scheduled samples; it warned in each): their memory figures \
                 rest on fewer samples than INTERVAL says, so rerun on a quieter machine",
                s.subject(),
                bench_records::MIN_SCHEDULED_SHARE * 100.0
            ));
        }
        let few_samples = s.memory_samples_min.filter(|samples| *samples < 3);
        if let Some(samples) = few_samples.filter(|_| s.memory_runs > 0) {
            notes.push(format!(
                "{}: a run had only {} memory sample(s): its runs are shorter than a few sampling \
                 intervals, so set INTERVAL lower (e.g. INTERVAL=10ms) for meaningful memory figures",
                s.subject(), samples
            ));
        }
    }
    for missing in &summary.variants_not_run {
        let why = match (missing.runs_unrecorded, summary.status.as_str()) {
            (0, "partial") => "never started: the suite stopped before its first run".to_string(),
            (0, _) => "no run recorded".to_string(),
            (n, _) => format!("no run recorded: {n} iteration(s) failed without a record"),
        };
        notes.push(format!("{}: {why}", missing.variant));
    }
    if summary.variants.is_empty() && summary.requests.is_empty() {
        notes.push("no runs recorded".to_string());
    }
    notes.extend(cost_notes(summary));
    notes
}

/// What the figures beyond the client stand for, and why the server's are missing.
fn cost_notes(summary: &Summary) -> Vec<String> {
    let mut notes = Vec::new();
    if !summary.server_cost.is_empty() {
        notes.push(format!("server cost {}", summary.server_cost));
    }
    if summary
        .variants
        .iter()
        .any(|s| s.socket_memory_per_connection_bytes.is_some())
    {
        notes.push(
            "kernel socket memory is the machine's TCP socket memory (/proc/net/sockstat), \
             system-wide, divided by the run's connections: other programs' sockets count too \
             (see the TCP sockets in use at start)"
                .to_string(),
        );
    }
    notes
}
