//! Samples every pool once a second: the in-process ones (the registry) and the external
//! sources (PostgreSQL, pgbouncer, Prometheus; each on its own interval in the sampler), into a
//! bounded history and the saturation tracker; adds the SQLite file view (walked from /proc in
//! a blocking task, only while the Pool tab is on screen) and sends the Pool tab its snapshot. Sampling reads counters and server
//! views only: it never takes a connection from a pool it measures.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::app::Msg;
use crate::pool::sources::{
    PoolKey, PoolSampler, PoolSourceConfig, SaturationAlert, SaturationTracker,
};
use crate::pool::sqlite_file::sqlite_file_view;
use crate::pool::{PoolHistory, PoolRegistry};
use crate::services::clock::now_unix;
use crate::services::shown::Shown;
use crate::snapshot::{PoolSnapshot, PoolStats, SqliteFileView, Tab};

/// The file view walks /proc: once every few samples is enough.
const FILE_VIEW_EVERY: u32 = 2;

/// What the pool service needs to know.
#[derive(Debug, Clone)]
pub struct PoolServiceConfig {
    pub db_path: PathBuf,
    pub sources: Vec<PoolSourceConfig>,
    pub alert_after: Duration,
}

/// Starts the service; send `()` on the returned channel to acknowledge the current alerts.
/// Pools are sampled every second whatever is on screen (the history and the alerts need
/// every sample), but the app gets a snapshot only while the Pool tab is on screen, at once
/// when it comes on screen, and whenever the alerts change (they show on every tab).
pub fn spawn(
    registry: PoolRegistry,
    cfg: PoolServiceConfig,
    mut shown: Shown,
    out: mpsc::UnboundedSender<Msg>,
) -> mpsc::UnboundedSender<()> {
    let (ack_tx, mut ack_rx) = mpsc::unbounded_channel::<()>();
    tokio::spawn(async move {
        let sampler = match PoolSampler::from_config(&cfg.sources) {
            Ok(sampler) => Some(sampler),
            Err(e) => {
                tracing::error!("pool sources not started: {e}");
                None
            }
        };
        let mut history = PoolHistory::default();
        let mut tracker = SaturationTracker::new(cfg.alert_after);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut file_view: Option<SqliteFileView> = None;
        let mut last_view_at = Instant::now();
        let mut pools: Vec<PoolStats> = Vec::new();
        // The alerts the app was last sent (`None`: nothing sent yet).
        let mut sent_alerts: Option<Vec<SaturationAlert>> = None;
        let mut ticks = 0u32;
        loop {
            let mut sample = false;
            tokio::select! {
                _ = tick.tick() => sample = true,
                _ = shown.changed() => {
                    if !shown.is(Tab::Pool) {
                        continue;
                    }
                }
                ack = ack_rx.recv() => {
                    if ack.is_none() {
                        return;
                    }
                    let keys: Vec<PoolKey> = tracker.alerts().iter().map(|a| a.pool.clone()).collect();
                    for key in keys {
                        tracker.ack(&key);
                    }
                }
            }
            if sample {
                pools = registry.sample_all(now_unix());
                if let Some(sampler) = &sampler {
                    pools.extend(sampler.latest());
                }
                for p in pools.iter().filter(|p| p.stale.is_none()) {
                    history.record(p);
                }
                for alert in tracker.observe(&pools) {
                    tracing::warn!(
                        "pool {}/{} saturated since {} ({} waiting at peak)",
                        alert.pool.source,
                        alert.pool.name,
                        crate::text::fmt_utc(alert.since),
                        alert.peak_waiting
                    );
                }
            }
            let on_screen = shown.is(Tab::Pool);
            let alerts: Vec<SaturationAlert> = tracker.alerts().into_iter().cloned().collect();
            if !on_screen && sent_alerts.as_ref() == Some(&alerts) {
                continue;
            }
            // The file view walks /proc: only for a Pool tab on screen, every few samples.
            let view_due = file_view.is_none() || !sample || ticks.is_multiple_of(FILE_VIEW_EVERY);
            if sample {
                ticks = ticks.wrapping_add(1);
            }
            if on_screen && view_due {
                let path = cfg.db_path.clone();
                let prev = file_view.clone();
                let elapsed = last_view_at.elapsed();
                last_view_at = Instant::now();
                if let Ok(view) = tokio::task::spawn_blocking(move || {
                    sqlite_file_view(&path, prev.as_ref(), elapsed)
                })
                .await
                {
                    file_view = Some(view);
                }
            }
            let snapshot = PoolSnapshot {
                history: pools.iter().map(|p| history.samples(p)).collect(),
                saturated_since: pools
                    .iter()
                    .map(|p| tracker.saturated_since(&PoolKey::of(p)))
                    .collect(),
                alerts: alerts.clone(),
                pools: pools.clone(),
                sqlite: file_view.clone(),
            };
            sent_alerts = Some(alerts);
            if out.send(Msg::Pool(Box::new(snapshot))).is_err() {
                return;
            }
        }
    });
    ack_tx
}
