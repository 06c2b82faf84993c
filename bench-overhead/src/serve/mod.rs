//! `bench-overhead serve`: the built-in target server.
//!
//! It exists so the suite works on a machine with nothing installed and so client tests can
//! provoke every failure on purpose (`--fault`). It must never be what a benchmark measures, so it
//! is built like lighttpd: one thread, one readiness loop (epoll, kqueue or poll through
//! `polling`), non-blocking sockets, and the kernel's zero-copy `sendfile` for bodies on Linux.
//! One thread keeps 10,000 connections at a few KiB each (no stack per connection) and leaves the
//! second core of a small machine to the client under test. Per request it makes fewer system
//! calls than lighttpd (`make bench-server` holds it to at least lighttpd's request rate): on
//! Linux a kept-alive `/hello` costs one `recv` and one `send`, plus its share of the loop turn's
//! wait and change check (2.3 system calls per request under wrk -c100, lighttpd 3.9).
//!
//! It also receives uploads (PUT/POST with Content-Length), counting the body and answering with
//! the count, so upload workloads need no other server.
//!
//! Where things live:
//! - `event_loop.rs`: readiness, timers, idle and header timeouts, shutdown.
//! - `accept.rs`: accepting connections with their socket options in few system calls.
//! - `connection.rs`: one connection's state machine (read head [→ receive upload] → respond →
//!   keep-alive/close).
//! - `request.rs`: request heads (httparse) and what they ask for.
//! - `path.rs`: mapping a request target to a relative path of plain names, or a refusal.
//! - `beneath/`: opening such a path under the root, never outside it (per-OS files).
//! - `files.rs`: open files shared by all connections sending them, small files' bytes.
//! - `watch/`: learning that held files changed without asking per request (inotify on Linux).
//! - `response.rs`: response heads and error bodies.
//! - `fault.rs`: how each `--fault` bends a response.
//! - `send.rs`: body bytes to the socket (`sendfile` on Linux, read+write elsewhere).
//! - `os.rs`: descriptor limit and SIGINT/SIGTERM (Unix).

mod accept;
mod config;
pub use config::ServeConfig;
mod beneath;
mod connection;
mod event_loop;
pub mod fault;
mod files;
mod os;
mod path;
mod request;
mod response;
mod send;
mod watch;

use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use socket2::{Domain, Socket, Type};

use fault::Fault;

/// What every connection needs to know, fixed for the server's life.
#[derive(Debug)]
pub struct Config {
    pub fault: Option<Fault>,
    pub idle_timeout: Duration,
    pub header_timeout: Duration,
    pub max_upload: u64,
}

/// The `Server` header: names this server and its version in every record the client writes.
pub const SERVER_NAME: &str = concat!("bench-overhead/", env!("CARGO_PKG_VERSION"));

/// Pending connections the kernel may queue before `accept`: 10,000 clients connect at once.
/// Kernels clamp it to their own maximum (Linux: net.core.somaxconn).
const LISTEN_BACKLOG: i32 = 16384;

pub fn run(args: ServeConfig) -> anyhow::Result<ExitCode> {
    let root = args.root.canonicalize().with_context(|| {
        format!(
            "the root folder {} does not exist: run `make payload` or pass --root DIR",
            args.root.display()
        )
    })?;
    anyhow::ensure!(
        root.is_dir(),
        "--root {} is not a folder: pass the folder holding the files to serve",
        args.root.display()
    );
    // Before the first line: whoever reads the port from it may stop the server at once, and a
    // SIGTERM that arrived before the handler would kill it without its closing line.
    let root_dir = beneath::Root::open(&root)
        .with_context(|| format!("cannot open the root folder {}", root.display()))?;
    let signal =
        os::ShutdownSignal::install().context("cannot install the SIGINT/SIGTERM handler")?;
    let address = SocketAddr::new(args.address, args.port);
    let listener = listen(address)?;
    let local = listener
        .local_addr()
        .context("cannot read the listening address")?;
    // The first stderr line, always: scripts and tests read the port from it (`--port 0`).
    eprintln!("listening on {local}");
    if !args.address.is_loopback() {
        eprintln!(
            "warning: {local} is reachable from other machines, which can then read every file \
             under {}; use --address 127.0.0.1 unless that is intended",
            root.display()
        );
    }
    let fd_limit = os::raise_descriptor_limit();
    if let Some(limit) = fd_limit.filter(|&n| n < 10_100) {
        eprintln!(
            "warning: the descriptor limit ({limit}) allows fewer than 10,000 connections; \
             raise it with `ulimit -n 20000`"
        );
    }
    eprintln!(
        "serving regular files under {} over HTTP/1.0 and 1.1 (PUT/POST bodies up to {} bytes \
         counted and discarded): one thread, {} readiness loop, \
         bodies via {}, idle timeout {:?}, header timeout {:?}",
        root.display(),
        args.max_upload,
        bench_records::Backend::READINESS,
        send::METHOD,
        args.idle_timeout,
        args.header_timeout
    );
    if let Some(fault) = args.fault {
        eprintln!("fault: {}", fault::describe(fault));
    }
    let config = Config {
        fault: args.fault,
        idle_timeout: args.idle_timeout,
        header_timeout: args.header_timeout,
        max_upload: args.max_upload,
    };
    let stats = event_loop::serve(
        listener,
        &signal,
        &config,
        files::OpenFiles::new(root_dir, &root),
    )?;
    eprintln!(
        "stopped on {}: {} connections, {} requests, {} body bytes sent, {} upload bytes received",
        stats.stopped_by, stats.connections, stats.requests, stats.body_bytes, stats.upload_bytes
    );
    Ok(ExitCode::SUCCESS)
}

/// Binds `address` with a deep accept queue, non-blocking, ready for the event loop.
fn listen(address: SocketAddr) -> anyhow::Result<TcpListener> {
    let hint = "stop whatever uses it or pass another --port (0 picks a free one)";
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, None)
        .context("cannot create the listening socket")?;
    // Restarting the server must not wait for old connections' TIME_WAIT.
    #[cfg(unix)]
    socket
        .set_reuse_address(true)
        .context("cannot set SO_REUSEADDR")?;
    // Inherited by accepted sockets where the OS does so (`accept.rs`).
    accept::set_options(socket2::SockRef::from(&socket))
        .context("cannot set TCP_NODELAY and the send buffer on the listening socket")?;
    socket
        .bind(&address.into())
        .with_context(|| format!("cannot listen on {address}: {hint}"))?;
    socket
        .listen(LISTEN_BACKLOG)
        .with_context(|| format!("cannot listen on {address}: {hint}"))?;
    socket
        .set_nonblocking(true)
        .context("cannot make the listening socket non-blocking")?;
    Ok(socket.into())
}
