//! The open detail pane's data, fetched when it opens and kept fresh while it stays open.
//! Only the latest request matters: opening another detail replaces the current one.
//! A queue task's detail comes from the queue, with the pipeline's log lines about its MS.

use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::app::{DetailData, DetailKey, Msg};
use crate::db::details::attach_logs;
use crate::db::logs::LogSource;
use crate::db::{Db, DbError};
use crate::queue::Queue;
use crate::services::connection::DbSlot;
use crate::services::queue::QueueSlot;
use crate::snapshot::{JobDetail, JobKey, JobSource};

/// Fetch one detail. Shared with the headless snapshot command.
pub async fn fetch(
    db: Option<&Db>,
    queue: Option<&Queue>,
    key: &DetailKey,
    logs: Option<&LogSource>,
) -> Result<DetailData, DbError> {
    if let DetailKey::Job(job) = key
        && job.source == JobSource::AbsurdTask
    {
        return task_detail(queue, job, logs)
            .await
            .map(|d| DetailData::Job(Box::new(d)));
    }
    let db = db.ok_or_else(|| DbError::Query("database not open".into()))?;
    Ok(match key {
        DetailKey::Job(job) => match db.job_detail(job, logs).await? {
            Some(d) => DetailData::Job(Box::new(d)),
            None => return Err(DbError::Query(format!("job {job} no longer exists"))),
        },
        DetailKey::Ms(path) => DetailData::Ms(Box::new(db.ms_detail(path).await?)),
        DetailKey::Source(id) => DetailData::Source(Box::new(db.source_detail(id).await?)),
        DetailKey::Image { id, path } => DetailData::Image(Box::new(
            crate::services::records::image_detail(db, *id, path).await?,
        )),
    })
}

async fn task_detail(
    queue: Option<&Queue>,
    job: &JobKey,
    logs: Option<&LogSource>,
) -> Result<JobDetail, DbError> {
    let queue = queue.ok_or_else(|| DbError::Query("the task queue is not reachable".into()))?;
    let mut detail = queue
        .task_detail(&job.id)
        .await
        .map_err(|e| DbError::Query(e.to_string()))?
        .ok_or_else(|| DbError::Query(format!("task {job} no longer exists")))?;
    if let Some(src) = logs {
        detail.log_file = attach_logs(src, &detail).await;
    }
    Ok(detail)
}

pub fn spawn(
    db: DbSlot,
    queue: QueueSlot,
    logs: Option<LogSource>,
    refresh: watch::Receiver<Duration>,
    out: mpsc::UnboundedSender<Msg>,
) -> mpsc::UnboundedSender<Option<DetailKey>> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Option<DetailKey>>();
    tokio::spawn(async move {
        let mut current: Option<DetailKey> = None;
        // Whether the current key's pane has had data: a task's pane keeps it while the
        // queue is away (its health says so) instead of turning into an error.
        let mut shown = false;
        loop {
            if let Some(key) = &current {
                let conn = db.current();
                let q = queue.current();
                let is_task = matches!(key, DetailKey::Job(j) if j.source == JobSource::AbsurdTask);
                let queue_away = is_task && q.is_none() && shown;
                if (conn.is_some() || is_task) && !queue_away {
                    let result = fetch(conn.as_deref(), q.as_ref(), key, logs.as_ref())
                        .await
                        .map_err(|e| e.to_string());
                    let keep_last = is_task && shown && result.is_err();
                    shown |= result.is_ok();
                    // The operator may have moved on while we fetched; the app drops stale
                    // keys too.
                    if !keep_last
                        && out
                            .send(Msg::Detail {
                                key: key.clone(),
                                result,
                            })
                            .is_err()
                    {
                        return;
                    }
                }
            }
            let every = *refresh.borrow();
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                next = rx.recv() => match next {
                    Some(key) => {
                        shown &= key == current;
                        current = key;
                    }
                    None => return,
                },
            }
            // Coalesce a burst of requests (fast scrolling) into the newest one.
            while let Ok(key) = rx.try_recv() {
                shown &= key == current;
                current = key;
            }
        }
    });
    tx
}
