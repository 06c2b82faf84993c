//! Why a job failed: a [`FailureKind`], which a run counts its failures by, with the message
//! beside it, which `jobs.csv` keeps.
//!
//! The message is short and stable: the kind's label, then `: ` and the detail when there is one
//! ("connection refused", "HTTP 404", "truncated body: got 5 of 10 bytes"). A [`Failure`] is
//! written as its message, byte for byte, and read back from it: the label (the text before the
//! first `:`) names the kind, so files written before the kinds existed read the same.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The kinds of failure a job can have. The label of each is the category a run's `failures`
/// counts it under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FailureKind {
    ConnectionRefused,
    /// Reset by the peer, or a broken pipe.
    ConnectionReset,
    ConnectionAborted,
    /// The server closed before any response byte.
    ConnectionClosed,
    /// No connection within the timeout, as written (`30s`).
    ConnectTimeout(String),
    /// connect() found no free local port (EADDRNOTAVAIL): the ephemeral range is held by
    /// connections in TIME_WAIT, what churn at a high rate leaves behind. Not a generic connect
    /// failure: what to do is different (the message says it).
    PortsExhausted,
    /// No data within the timeout, as written.
    DataTimeout(String),
    /// The run's own deadline (`--run-timeout`) came first.
    RunTimeout,
    /// A status other than 200.
    Http(u16),
    /// The server closed before Content-Length bytes.
    TruncatedBody,
    /// More bytes than Content-Length.
    OverlongBody,
    MalformedHead,
    ThreadSpawn,
    /// A job's thread ended without handing back its record (it panicked).
    JobThreadLost,
    /// A system call other than the download's own: `socket`, `setsockopt`, `readiness wait`,
    /// `poller registration`, `poller update`, or `connect`/`send`/`recv` with an unexpected error.
    Call(String),
    /// A label this version does not know (a newer client's); kept as read.
    Other(String),
}

/// Calls whose failure is [`FailureKind::Call`], as the label names them.
const CALLS: [&str; 8] = [
    "socket",
    "setsockopt",
    "readiness wait",
    "poller registration",
    "poller update",
    "connect",
    "send",
    "recv",
];

impl FailureKind {
    /// The category a run counts this failure under, and the start of its message.
    pub fn label(&self) -> String {
        match self {
            FailureKind::ConnectionRefused => "connection refused".into(),
            FailureKind::ConnectionReset => "connection reset".into(),
            FailureKind::ConnectionAborted => "connection aborted".into(),
            FailureKind::ConnectionClosed => "connection closed before any response".into(),
            FailureKind::ConnectTimeout(after) => format!("timed out after {after} connecting"),
            FailureKind::PortsExhausted => "local ports exhausted (TIME_WAIT)".into(),
            FailureKind::DataTimeout(after) => format!("timed out after {after} waiting for data"),
            FailureKind::RunTimeout => "run timeout".into(),
            FailureKind::Http(status) => format!("HTTP {status}"),
            FailureKind::TruncatedBody => "truncated body".into(),
            FailureKind::OverlongBody => "overlong body".into(),
            FailureKind::MalformedHead => "malformed response head".into(),
            FailureKind::ThreadSpawn => "thread spawn failed".into(),
            FailureKind::JobThreadLost => "job thread ended without a result".into(),
            FailureKind::Call(call) => format!("{call} failed"),
            FailureKind::Other(label) => label.clone(),
        }
    }

    /// The kind a label names; [`FailureKind::Other`] for one this version does not know.
    pub fn from_label(label: &str) -> FailureKind {
        let fixed = [
            FailureKind::ConnectionRefused,
            FailureKind::ConnectionReset,
            FailureKind::ConnectionAborted,
            FailureKind::ConnectionClosed,
            FailureKind::PortsExhausted,
            FailureKind::RunTimeout,
            FailureKind::TruncatedBody,
            FailureKind::OverlongBody,
            FailureKind::MalformedHead,
            FailureKind::ThreadSpawn,
            FailureKind::JobThreadLost,
        ];
        if let Some(kind) = fixed.into_iter().find(|k| k.label() == label) {
            return kind;
        }
        let timeout = |suffix: &str| {
            label
                .strip_prefix("timed out after ")?
                .strip_suffix(suffix)
                .map(str::to_string)
        };
        if let Some(after) = timeout(" connecting") {
            return FailureKind::ConnectTimeout(after);
        }
        if let Some(after) = timeout(" waiting for data") {
            return FailureKind::DataTimeout(after);
        }
        if let Some(status) = label.strip_prefix("HTTP ").and_then(|s| s.parse().ok()) {
            return FailureKind::Http(status);
        }
        match label.strip_suffix(" failed") {
            Some(call) if CALLS.contains(&call) => FailureKind::Call(call.to_string()),
            _ => FailureKind::Other(label.to_string()),
        }
    }

    /// Whether the job waited too long for the server (connecting or for data).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            FailureKind::ConnectTimeout(_) | FailureKind::DataTimeout(_)
        )
    }
}

/// A job's failure: its kind and the message `jobs.csv` keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    kind: FailureKind,
    message: String,
}

impl Failure {
    /// A failure saying only its kind.
    pub fn new(kind: FailureKind) -> Failure {
        let message = kind.label();
        Failure { kind, message }
    }

    /// A failure with a detail after its label: `truncated body: got 5 of 10 bytes`.
    pub fn with_detail(kind: FailureKind, detail: impl fmt::Display) -> Failure {
        let message = format!("{}: {detail}", kind.label());
        Failure { kind, message }
    }

    /// The failure a message states: its kind is named by the text before the first `:`.
    pub fn parse(message: &str) -> Failure {
        let label = message.split(':').next().unwrap_or(message).trim();
        Failure {
            kind: FailureKind::from_label(label),
            message: message.to_string(),
        }
    }

    pub fn kind(&self) -> &FailureKind {
        &self.kind
    }

    /// The category a run counts this failure under: the text before the first `:`.
    pub fn category(&self) -> &str {
        self.message
            .split(':')
            .next()
            .unwrap_or(&self.message)
            .trim()
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::parse(&message)
    }
}

impl Serialize for Failure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.message)
    }
}

impl<'de> Deserialize<'de> for Failure {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Failure, D::Error> {
        Ok(Failure::parse(&String::deserialize(deserializer)?))
    }
}

/// `jobs.csv`'s `error` cell: empty when the job succeeded, else the failure's message.
pub(crate) mod cell {
    use super::Failure;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(failure: &Option<Failure>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(failure.as_ref().map_or("", |f| f.message()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Failure>, D::Error> {
        let text = String::deserialize(d)?;
        Ok((!text.is_empty()).then(|| Failure::parse(&text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_label() {
        let kinds = [
            FailureKind::ConnectionRefused,
            FailureKind::ConnectionReset,
            FailureKind::ConnectionAborted,
            FailureKind::ConnectionClosed,
            FailureKind::ConnectTimeout("30s".into()),
            FailureKind::PortsExhausted,
            FailureKind::DataTimeout("500ms".into()),
            FailureKind::RunTimeout,
            FailureKind::Http(404),
            FailureKind::TruncatedBody,
            FailureKind::OverlongBody,
            FailureKind::MalformedHead,
            FailureKind::ThreadSpawn,
            FailureKind::JobThreadLost,
            FailureKind::Call("setsockopt".into()),
            FailureKind::Call("readiness wait".into()),
            FailureKind::Other("cosmic ray".into()),
        ];
        for kind in kinds {
            assert_eq!(FailureKind::from_label(&kind.label()), kind);
        }
    }

    #[test]
    fn messages_are_kept_byte_for_byte() {
        for message in [
            "connection refused",
            "connection reset: broken pipe during send",
            "truncated body: got 1 of 2 bytes",
            "timed out after 30s waiting for data",
            "run timeout: not finished after 10m (--run-timeout)",
            "HTTP 404",
            "recv failed: Bad file descriptor (os error 9)",
        ] {
            let failure = Failure::parse(message);
            assert_eq!(failure.to_string(), message);
            let json = serde_json::to_string(&failure).unwrap();
            assert_eq!(serde_json::from_str::<Failure>(&json).unwrap(), failure);
        }
        let failure = Failure::parse("truncated body: got 1 of 2 bytes");
        assert_eq!(failure.kind(), &FailureKind::TruncatedBody);
        assert_eq!(failure.category(), "truncated body");
        assert_eq!(
            Failure::with_detail(FailureKind::TruncatedBody, "got 1 of 2 bytes"),
            failure
        );
        assert_eq!(Failure::new(FailureKind::Http(500)).message(), "HTTP 500");
        assert!(Failure::parse("timed out after 1s connecting")
            .kind()
            .is_timeout());
    }
}
