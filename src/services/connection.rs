//! Keeps the pipeline database open, read-only. When it cannot be opened, or the file goes
//! away, or is replaced by a new file (a restore, a move), the slot empties, the reason is
//! reported, and opening is retried with backoff; the lists keep their last good data, marked
//! stale, and fill again when the file comes back. The monitor never needs a restart.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc::UnboundedSender, watch};

use crate::app::Msg;
use crate::db::{Db, DbOptions};
use crate::pool::PoolRegistry;
use crate::services::clock::now_unix;
use crate::snapshot::SourceHealth;

const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// The current database connection, shared by every poller.
#[derive(Clone)]
pub struct DbSlot {
    rx: watch::Receiver<Option<Arc<Db>>>,
    reopen: Arc<Notify>,
}

impl DbSlot {
    pub fn current(&self) -> Option<Arc<Db>> {
        self.rx.borrow().clone()
    }

    /// Resolves when the connection is replaced (opened, lost or reopened).
    pub async fn changed(&mut self) {
        if self.rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// A query failed in a way that suggests the file is gone or was replaced: reopen.
    pub fn request_reopen(&self) {
        self.reopen.notify_one();
    }

    /// A slot that always holds `db` (or nothing): for tests of the pollers.
    pub fn fixed(db: Option<Arc<Db>>) -> DbSlot {
        let (_tx, rx) = watch::channel(db);
        DbSlot {
            rx,
            reopen: Arc::new(Notify::new()),
        }
    }
}

/// (device, inode) of a file: changes when the file is replaced.
fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

pub fn spawn(
    path: PathBuf,
    options: DbOptions,
    registry: PoolRegistry,
    refresh: watch::Receiver<Duration>,
    out: UnboundedSender<Msg>,
) -> DbSlot {
    let (tx, rx) = watch::channel(None);
    let reopen = Arc::new(Notify::new());
    let slot = DbSlot {
        rx,
        reopen: reopen.clone(),
    };
    tokio::spawn(async move {
        let report = |health: SourceHealth| {
            let _ = out.send(Msg::Health { tab: None, health });
        };
        let mut backoff = BACKOFF_MIN;
        let mut last_ok: Option<f64> = None;
        loop {
            let started = Instant::now();
            let opened = Db::open(&path, &options).await;
            let db = match opened {
                Ok(db) => Arc::new(db),
                Err(e) => {
                    tracing::warn!("database {}: {e}; retrying in {backoff:?}", path.display());
                    let _ = tx.send(None);
                    report(SourceHealth {
                        last_ok,
                        last_attempt: Some(now_unix()),
                        latency: None,
                        error: Some(format!(
                            "{e} (retry in {})",
                            crate::text::fmt_duration(backoff.as_secs_f64())
                        )),
                        missing: None,
                        loading: None,
                    });
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = reopen.notified() => {}
                    }
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                    continue;
                }
            };
            tracing::info!("opened {} read-only", path.display());
            let opened_identity = identity(&path);
            registry.register(Arc::new(db.pool().clone()));
            let _ = tx.send(Some(db.clone()));
            backoff = BACKOFF_MIN;
            last_ok = Some(now_unix());
            report(SourceHealth {
                last_ok,
                last_attempt: last_ok,
                latency: Some(started.elapsed()),
                error: None,
                missing: None,
                loading: None,
            });
            // Watch the file: gone or replaced means this connection reads a dead inode.
            loop {
                let every = *refresh.borrow();
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = reopen.notified() => {
                        tracing::info!("reopening {} after a failed query", path.display());
                        break;
                    }
                }
                match identity(&path) {
                    None => {
                        tracing::warn!("database file {} is gone", path.display());
                        break;
                    }
                    Some(id) if Some(id) != opened_identity => {
                        tracing::warn!("database file {} was replaced; reopening", path.display());
                        break;
                    }
                    Some(_) => {
                        last_ok = Some(now_unix());
                        report(SourceHealth {
                            last_ok,
                            last_attempt: last_ok,
                            latency: None,
                            error: None,
                            missing: None,
                            loading: None,
                        });
                    }
                }
            }
            let _ = tx.send(None);
            db.pool().inner().close().await;
        }
    });
    slot
}
