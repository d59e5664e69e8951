//! The open detail pane's data, fetched when it opens and kept fresh while it stays open.
//! Only the latest request matters: opening another detail replaces the current one.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::app::{DetailData, DetailKey, Msg};
use crate::db::{Db, DbError};
use crate::services::connection::DbSlot;

/// Fetch one detail. Shared with the headless snapshot command.
pub async fn fetch(
    db: &Db,
    key: &DetailKey,
    log_dir: Option<&std::path::Path>,
) -> Result<DetailData, DbError> {
    Ok(match key {
        DetailKey::Job(job) => match db.job_detail(job, log_dir).await? {
            Some(d) => DetailData::Job(Box::new(d)),
            None => return Err(DbError::Query(format!("job {job} no longer exists"))),
        },
        DetailKey::Ms(path) => DetailData::Ms(Box::new(db.ms_detail(path).await?)),
        DetailKey::Source(id) => DetailData::Source(Box::new(db.source_detail(id).await?)),
        DetailKey::Image { id, .. } => DetailData::Image(Box::new(db.image(*id).await?)),
    })
}

pub fn spawn(
    db: DbSlot,
    log_dir: Option<PathBuf>,
    refresh: watch::Receiver<Duration>,
    out: mpsc::UnboundedSender<Msg>,
) -> mpsc::UnboundedSender<Option<DetailKey>> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Option<DetailKey>>();
    tokio::spawn(async move {
        let mut current: Option<DetailKey> = None;
        loop {
            if let (Some(key), Some(conn)) = (&current, db.current()) {
                let result = fetch(&conn, key, log_dir.as_deref())
                    .await
                    .map_err(|e| e.to_string());
                // The operator may have moved on while we fetched; the app drops stale keys too.
                if out
                    .send(Msg::Detail {
                        key: key.clone(),
                        result,
                    })
                    .is_err()
                {
                    return;
                }
            }
            let every = *refresh.borrow();
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                next = rx.recv() => match next {
                    Some(key) => current = key,
                    None => return,
                },
            }
            // Coalesce a burst of requests (fast scrolling) into the newest one.
            while let Ok(key) = rx.try_recv() {
                current = key;
            }
        }
    });
    tx
}
