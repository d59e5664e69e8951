//! Real-shape records: the ABSURD queue in PostgreSQL (being written; see `mod.rs`).

use sqlx::PgPool;

use super::UpstreamFixture;

pub async fn seed(_pool: &PgPool, _fx: &UpstreamFixture) -> anyhow::Result<()> {
    Ok(())
}
