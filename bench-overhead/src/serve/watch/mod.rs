//! Knowing, without asking on every request, that no file the server holds has changed.
//!
//! `files.rs` would otherwise `fstatat` the name on every request to learn whether the file it
//! holds is still the one under that name: a tenth of the server's time per `/hello` request.
//! On Linux the folders on the way to each held file are watched with inotify (each folder
//! reports changes to its entries and to the files in it). Any change anywhere, or a lost event
//! (queue overflow), makes every held file be asked again on its next request, once (watches are
//! renewed then, as a folder replaced under its name loses its watch). Changes are read (one
//! `read`) before the first held file is used in each turn of the event loop and for each new
//! connection: a request sent after a change completed sees it (on a kept-alive connection that
//! pipelines, unless both fall within one turn, the time to serve one batch of ready
//! connections). Elsewhere (`portable.rs`) nothing is watched and every request asks.
//!
//! Watches are added by path, after the file was opened safely: a folder swapped between the two
//! can leave a file stale until the next change is seen, never make one from outside the root
//! served (`beneath` decides what is opened).

#[cfg(target_os = "linux")]
mod linux;
#[cfg(not(target_os = "linux"))]
mod portable;

#[cfg(target_os = "linux")]
pub use linux::Watcher;
#[cfg(not(target_os = "linux"))]
pub use portable::Watcher;
