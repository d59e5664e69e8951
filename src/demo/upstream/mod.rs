//! A pipeline's records in the shapes the pipeline's own code writes them
//! (`shared/upstream-facts.md`, read from `dsa110/dsa110-contimg` at HEAD): `ms_index` rows
//! wiped by later stage upserts, `ms_state` rows only for first failures, nested task
//! `params`, plain-text systemd logs in local time, CASA image directories labelled `fits`,
//! prefixed error strings, batch times 8 h in the future, the separate `alerts.sqlite3`.
//!
//! One writer per area, each used twice: by [`build_fixture`] (the real-shape fixture that
//! drives the story tests) and by the demo's simulated pipeline, so the live demo shows what
//! the observatory host shows. The monitor only ever reads what these write.

pub mod images;
pub mod logs;
pub mod ms;
pub mod queue;
pub mod tables;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::demo::schema::{create_schema, open_writer};

/// Where the real-shape fixture put things: the pipeline's layout (`state/db`, `state/logs`,
/// `stage/…`) under one directory.
#[derive(Debug, Clone)]
pub struct UpstreamFixture {
    pub root: PathBuf,
    /// `state/db/pipeline.sqlite3`, in WAL mode as every pipeline opener leaves it.
    pub db: PathBuf,
    /// `state/db/alerts.sqlite3` (`alert_history`).
    pub alerts_db: PathBuf,
    /// `state/logs/`: `absurd-worker.log` and friends, as systemd appends them.
    pub logs_dir: PathBuf,
    /// `stage/dsa110-contimg/`: MS and image products.
    pub stage_dir: PathBuf,
    /// The fixture's clock (unix seconds, UTC).
    pub now: f64,
}

impl UpstreamFixture {
    fn under(root: &Path, now: f64) -> Self {
        UpstreamFixture {
            root: root.to_path_buf(),
            db: root.join("state/db/pipeline.sqlite3"),
            alerts_db: root.join("state/db/alerts.sqlite3"),
            logs_dir: root.join("state/logs"),
            stage_dir: root.join("stage/dsa110-contimg"),
            now,
        }
    }
}

/// Build the real-shape fixture under `root` (which should be empty) at clock `now`. The
/// PostgreSQL queue's part is separate ([`queue::seed`]): it needs a server.
pub async fn build_fixture(root: &Path, now: f64) -> anyhow::Result<UpstreamFixture> {
    let fx = UpstreamFixture::under(root, now);
    std::fs::create_dir_all(&fx.logs_dir)?;
    std::fs::create_dir_all(&fx.stage_dir)?;
    create_schema(&fx.db).await?;
    let pool = open_writer(&fx.db, 1, Duration::from_secs(10)).await?;
    ms::write(&pool, &fx).await?;
    images::write(&pool, &fx).await?;
    tables::write(&pool, &fx).await?;
    logs::write(&fx)?;
    pool.close().await;
    Ok(fx)
}
