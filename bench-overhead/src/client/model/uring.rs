//! placeholder
use crate::client::job::{Outcome, Target};
pub fn run(_target: &Target, _connections: u32) -> anyhow::Result<Option<Outcome>> {
    anyhow::bail!("todo")
}
