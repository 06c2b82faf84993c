//! I/O models: how bytes move for many exchanges. Each model only moves bytes; what a connection
//! says is its [`Exchange`](crate::client::exchange::Exchange), and the phases it times are the
//! table of `phases.rs`.
//!
//! - `threaded`: one OS thread per connection, blocking calls.
//! - `poll` (`readiness/`): one thread, non-blocking sockets, a readiness [`Backend`].
//! - `uring` (Linux): completion-based, io_uring.
//!
//! A run names a model and, for `poll`, a backend: `poll:epoll`, `poll:poll`, `poll:polling`…;
//! a bare `poll` takes the OS's native raw backend.

pub mod readiness;
pub mod threaded;
#[cfg(target_os = "linux")]
pub mod uring;

use std::fmt;
use std::str::FromStr;

use bench_records::Variant;

/// A readiness API for the `poll` model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Linux epoll, raw.
    Epoll,
    /// kqueue (macOS, BSDs), raw.
    Kqueue,
    /// Plain poll(2), every Unix.
    Poll,
    /// The `polling` crate.
    Polling,
}

impl Backend {
    pub const ALL: [Backend; 4] = [
        Backend::Epoll,
        Backend::Kqueue,
        Backend::Poll,
        Backend::Polling,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Backend::Epoll => "epoll",
            Backend::Kqueue => "kqueue",
            Backend::Poll => "poll",
            Backend::Polling => "polling",
        }
    }

    /// The OS's native raw backend: epoll on Linux, kqueue on the BSDs and macOS, poll(2)
    /// elsewhere (Haiku).
    pub fn native() -> Backend {
        if cfg!(any(target_os = "linux", target_os = "android")) {
            Backend::Epoll
        } else if cfg!(any(
            target_os = "macos",
            target_os = "ios",
            target_os = "freebsd",
            target_os = "netbsd",
            target_os = "openbsd",
            target_os = "dragonfly"
        )) {
            Backend::Kqueue
        } else {
            Backend::Poll
        }
    }

    /// The backends this build can run.
    pub fn available() -> Vec<Backend> {
        Backend::ALL
            .into_iter()
            .filter(|backend| match backend {
                Backend::Epoll => cfg!(any(target_os = "linux", target_os = "android")),
                Backend::Kqueue => cfg!(any(
                    target_os = "macos",
                    target_os = "ios",
                    target_os = "freebsd",
                    target_os = "netbsd",
                    target_os = "openbsd",
                    target_os = "dragonfly"
                )),
                Backend::Poll | Backend::Polling => true,
            })
            .collect()
    }
}

impl FromStr for Backend {
    type Err = String;

    fn from_str(text: &str) -> Result<Backend, String> {
        Backend::ALL
            .into_iter()
            .find(|backend| backend.name() == text)
            .ok_or_else(|| format!("unknown backend `{text}`: use epoll, kqueue, poll or polling"))
    }
}

/// One model to run, with its backend where it has one: the `model[:backend]` token of
/// `--variant` and of bench-overhead.sh's `VARIANTS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSpec {
    pub variant: Variant,
    /// `Some` exactly for [`Variant::Poll`].
    pub backend: Option<Backend>,
}

impl ModelSpec {
    /// The models this OS supports, each with its native backend: what runs when none is named.
    pub fn defaults() -> Vec<ModelSpec> {
        let mut specs = vec![
            ModelSpec {
                variant: Variant::Threaded,
                backend: None,
            },
            ModelSpec {
                variant: Variant::Poll,
                backend: Some(Backend::native()),
            },
        ];
        if cfg!(target_os = "linux") {
            specs.push(ModelSpec {
                variant: Variant::Uring,
                backend: None,
            });
        }
        specs
    }

    /// The backend name every record carries: the readiness API, `blocking` (threaded) or
    /// `io_uring`.
    pub fn backend_name(self) -> &'static str {
        match (self.variant, self.backend) {
            (Variant::Poll, Some(backend)) => backend.name(),
            (Variant::Poll, None) => Backend::native().name(),
            (Variant::Threaded, _) => "blocking",
            (Variant::Uring, _) => "io_uring",
        }
    }
}

impl fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.backend {
            Some(backend) => write!(f, "{}:{}", self.variant.name(), backend.name()),
            None => write!(f, "{}", self.variant.name()),
        }
    }
}

impl FromStr for ModelSpec {
    type Err = String;

    /// `threaded`, `poll`, `poll:BACKEND`, `uring`.
    fn from_str(text: &str) -> Result<ModelSpec, String> {
        let (model, backend) = match text.split_once(':') {
            Some((model, backend)) => (model, Some(backend)),
            None => (text, None),
        };
        let variant = Variant::ALL
            .into_iter()
            .find(|v| v.name() == model)
            .ok_or_else(|| {
                format!(
                    "unknown model `{model}` in `{text}`: use threaded, poll[:backend] or uring"
                )
            })?;
        let backend = match (variant, backend) {
            (Variant::Poll, None) => Some(Backend::native()),
            (Variant::Poll, Some(name)) => {
                let backend = name.parse::<Backend>()?;
                if !Backend::available().contains(&backend) {
                    return Err(format!(
                        "the {name} backend does not exist on this OS: use {}",
                        Backend::available()
                            .iter()
                            .map(|b| b.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                Some(backend)
            }
            (_, None) => None,
            (_, Some(_)) => {
                return Err(format!(
                    "`{text}`: only the poll model takes a backend (poll:epoll, poll:poll…)"
                ))
            }
        };
        if variant == Variant::Uring && !cfg!(target_os = "linux") {
            return Err("the uring model needs Linux (io_uring)".to_string());
        }
        Ok(ModelSpec { variant, backend })
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_and_print_back() {
        for text in [
            "threaded",
            "poll:poll",
            "poll:polling",
            "uring",
            "poll:epoll",
        ] {
            let spec: ModelSpec = text.parse().unwrap();
            assert_eq!(spec.to_string(), text);
        }
        let bare: ModelSpec = "poll".parse().unwrap();
        assert_eq!(bare.backend, Some(Backend::native()));
        assert!("poll:select"
            .parse::<ModelSpec>()
            .unwrap_err()
            .contains("unknown backend"));
        assert!("threaded:epoll"
            .parse::<ModelSpec>()
            .unwrap_err()
            .contains("only the poll model"));
        assert!("fibers"
            .parse::<ModelSpec>()
            .unwrap_err()
            .contains("unknown model"));
        assert!("poll:kqueue"
            .parse::<ModelSpec>()
            .unwrap_err()
            .contains("does not exist on this OS"));
    }

    #[test]
    fn every_record_names_a_backend() {
        let names: Vec<_> = ModelSpec::defaults()
            .into_iter()
            .map(ModelSpec::backend_name)
            .collect();
        assert_eq!(names, ["blocking", "epoll", "io_uring"]);
    }
}
