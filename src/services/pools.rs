//! Samples every registered pool once a second into a bounded history, and the SQLite file
//! view (sizes, WAL growth, processes holding it) in a blocking task, then sends the Pool tab
//! its snapshot. Sampling reads counters only: it never takes a connection from a pool.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::app::Msg;
use crate::pool::sqlite_file::sqlite_file_view;
use crate::pool::{PoolHistory, PoolRegistry};
use crate::services::clock::now_unix;
use crate::snapshot::PoolSnapshot;

/// The file view walks /proc: once every few samples is enough.
const FILE_VIEW_EVERY: u32 = 2;

pub fn spawn(registry: PoolRegistry, db_path: PathBuf, out: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let mut history = PoolHistory::default();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut file_view = None;
        let mut last_view_at = Instant::now();
        for n in 0u32.. {
            tick.tick().await;
            let now = now_unix();
            let pools = registry.sample_all(now);
            for p in &pools {
                history.record(p);
            }
            if n % FILE_VIEW_EVERY == 0 {
                let path = db_path.clone();
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
                pools,
                sqlite: file_view.clone(),
            };
            if out.send(Msg::Pool(Box::new(snapshot))).is_err() {
                return;
            }
        }
    });
}
