//! What `serve` is asked to do, as the command line (`cli.rs`) hands it over.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::fault::Fault;

#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to bind; anything but loopback is served only when asked, with a warning.
    pub address: IpAddr,
    /// Port to bind (0 picks a free one and prints it).
    pub port: u16,
    /// Folder whose regular files are served.
    pub root: PathBuf,
    /// Misbehave on purpose, for testing clients.
    pub fault: Option<Fault>,
    /// Close connections that read or wrote nothing for this long.
    pub idle_timeout: Duration,
    /// Answer 408 and close when a request head is not complete this long after its first byte.
    pub header_timeout: Duration,
    /// Largest PUT/POST body accepted.
    pub max_upload: u64,
}
