//! One job's record: a `jobs.csv` row.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::failure::Failure;

/// One download: one connection, one request, one response read to EOF.
///
/// Phases are `None` when the job failed before reaching them. Times are nanoseconds from a
/// monotonic clock (ARCHITECTURE.md, Phases).
///
/// The run id, variant and backend are the same for every job of a run, and a run of 10,000
/// connections holds its 10,000 records in memory until it ends: shared (`Arc<str>`), they cost
/// the client's memory figure no allocation per job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub run_id: Arc<str>,
    /// Index of the job within its run, 0-based.
    pub job: u32,
    pub variant: Arc<str>,
    /// The bare `socket()` call, plus making it non-blocking where the variant needs it.
    pub socket_ns: Option<u64>,
    /// The variant's job setup: thread spawn (threaded) or register + non-blocking connect (poll).
    pub setup_ns: Option<u64>,
    /// Connect started → connected. Poll variant: from the later of `connect()` and its loop's
    /// first wait, as before that the thread was opening the other connections.
    pub connect_ns: Option<u64>,
    /// Request written → first response byte.
    pub ttfb_ns: Option<u64>,
    /// First response byte → last byte (EOF).
    pub transfer_ns: Option<u64>,
    /// Response body bytes received.
    pub bytes: u64,
    /// HTTP status, 0 when none was received.
    pub status: u16,
    /// Why the job failed; `None` (an empty cell) when it succeeded.
    #[serde(with = "crate::failure::cell")]
    pub error: Option<Failure>,
    /// The model's backend (see [`RunRecord::backend`](crate::RunRecord)). The columns from here
    /// on were added later: files written before lack them and read them as absent.
    #[serde(default)]
    pub backend: Arc<str>,
    /// Named part of `connect_ns`: the time before the model first waited (poll, uring).
    #[serde(default)]
    pub queued_ns: Option<u64>,
    /// Named part of `setup_ns` (threaded): thread spawn called → the thread runs.
    #[serde(default)]
    pub thread_start_ns: Option<u64>,
    /// When the job began and ended, from the run's start: the phases add up to `end - start`.
    #[serde(default)]
    pub start_ns: Option<u64>,
    #[serde(default)]
    pub end_ns: Option<u64>,
    /// TCP_INFO at the end of the job (see [`crate::cost::TcpInfo`]); empty where the OS has
    /// none, the job never connected, or the file was written before they were read.
    #[serde(default)]
    pub tcp_retransmits: Option<u64>,
    #[serde(default)]
    pub tcp_rtt_us: Option<u64>,
    #[serde(default)]
    pub tcp_rttvar_us: Option<u64>,
    #[serde(default)]
    pub tcp_cwnd_bytes: Option<u64>,
    /// Bytes per second (Linux only).
    #[serde(default)]
    pub tcp_delivery_rate: Option<u64>,
}

impl JobRecord {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// The old suite's "receive time": request written → last byte (TTFB + transfer).
    pub fn receive_ns(&self) -> Option<u64> {
        Some(self.ttfb_ns? + self.transfer_ns?)
    }

    /// The job's wall time, begin → end.
    pub fn wall_ns(&self) -> Option<u64> {
        self.end_ns?.checked_sub(self.start_ns?)
    }

    /// The five phases added up; `None` unless every one was reached.
    pub fn phase_sum_ns(&self) -> Option<u64> {
        Some(
            self.socket_ns?
                + self.setup_ns?
                + self.connect_ns?
                + self.ttfb_ns?
                + self.transfer_ns?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> JobRecord {
        JobRecord {
            run_id: "poll-1".into(),
            job: 3,
            variant: "poll".into(),
            socket_ns: Some(1),
            setup_ns: Some(2),
            connect_ns: None,
            ttfb_ns: Some(5),
            transfer_ns: Some(7),
            bytes: 10,
            status: 200,
            error: None,
            ..JobRecord::default()
        }
    }

    #[test]
    fn job_rows_round_trip_through_csv() {
        let failed = JobRecord {
            error: Some(Failure::parse("truncated body: got 5 of 10 bytes")),
            ..sample()
        };
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.serialize(sample()).unwrap();
        writer.serialize(&failed).unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        assert_eq!(
            text,
            "run_id,job,variant,socket_ns,setup_ns,connect_ns,ttfb_ns,transfer_ns,bytes,status,error,\
             backend,queued_ns,thread_start_ns,start_ns,end_ns,\
             tcp_retransmits,tcp_rtt_us,tcp_rttvar_us,tcp_cwnd_bytes,tcp_delivery_rate\n\
             poll-1,3,poll,1,2,,5,7,10,200,,,,,,,,,,,\n\
             poll-1,3,poll,1,2,,5,7,10,200,truncated body: got 5 of 10 bytes,,,,,,,,,,\n"
        );
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<JobRecord> = reader.deserialize().map(Result::unwrap).collect();
        assert_eq!(rows, [sample(), failed]);
    }

    #[test]
    fn receive_time_is_ttfb_plus_transfer() {
        assert_eq!(sample().receive_ns(), Some(12));
        assert!(sample().ok());
    }
}
