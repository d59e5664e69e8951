//! Real-shape records: logs (being written; see `mod.rs`).

use super::UpstreamFixture;

pub fn write(_fx: &UpstreamFixture) -> anyhow::Result<()> {
    Ok(())
}
