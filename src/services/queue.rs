//! The PostgreSQL task queue as a job source. Without a URL nothing here runs. With one, a
//! connector opens the queue (read-only sessions), registers its pool for the Pool tab, and
//! checks it every refresh; while the queue is down (or was never reachable) its health says
//! so with the reason and the next retry, retries back off, and every other source keeps
//! working. The Jobs list merges the pipeline database's jobs with the queue's tasks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc::UnboundedSender, watch};

use crate::app::Msg;
use crate::pool::PoolRegistry;
use crate::query::{Cursor, ListQuery, Sort, SqlValue};
use crate::queue::{Queue, QueueError, QueueOptions};
use crate::services::clock::now_unix;
use crate::snapshot::{JobRow, JobSource, Page, SourceHealth};

const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// The largest task id: at equal times every task sorts after a database row, so a cursor on
/// a database row continues the queue at that time with every task (see [`queue_query`]).
const MAX_TASK_ID: &str = "absurd:ffffffff-ffff-ffff-ffff-ffffffffffff";

/// The queue while it answers; `None` when not configured, not reachable yet, or down.
#[derive(Clone)]
pub struct QueueSlot {
    rx: watch::Receiver<Option<Queue>>,
    _fixed: Option<Arc<watch::Sender<Option<Queue>>>>,
}

impl QueueSlot {
    pub fn current(&self) -> Option<Queue> {
        self.rx.borrow().clone()
    }

    /// Resolves when the queue comes up or goes down.
    pub async fn changed(&mut self) {
        if self.rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// A slot holding a fixed queue (or none): headless commands and tests.
    pub fn fixed(queue: Option<Queue>) -> QueueSlot {
        let (tx, rx) = watch::channel(queue);
        QueueSlot {
            rx,
            _fixed: Some(Arc::new(tx)),
        }
    }
}

/// Health of a failed attempt: the reason and when the next one comes.
fn down(last_ok: Option<f64>, err: &QueueError, retry_in: Duration) -> SourceHealth {
    let mut health = SourceHealth {
        last_ok,
        last_attempt: Some(now_unix()),
        ..SourceHealth::default()
    };
    if err.is_missing() {
        health.missing = Some(err.to_string());
    } else {
        health.error = Some(format!(
            "{err} (retry in {})",
            crate::text::fmt_duration(retry_in.as_secs_f64())
        ));
    }
    health
}

/// `host:port/database` of a queue URL, never the user or password (it goes on screen).
pub fn safe_label(url: &str) -> String {
    match url.parse::<sqlx::postgres::PgConnectOptions>() {
        Ok(o) => format!(
            "{}:{}/{}",
            o.get_host(),
            o.get_port(),
            o.get_database().unwrap_or("")
        ),
        Err(_) => "(unreadable URL)".to_string(),
    }
}

/// One cheap statement that needs the tasks table: the server answers and the schema is there.
pub async fn ping(queue: &Queue) -> Result<(), QueueError> {
    let mut conn = queue.conn().await?;
    sqlx::query("SELECT 1 FROM absurd.tasks LIMIT 1")
        .fetch_optional(&mut *conn)
        .await
        .map(|_| ())
        .map_err(|e| queue.classify(&e))
}

/// Start the connector. Health arrives as `Msg::QueueHealth`.
pub fn spawn(
    url: String,
    options: QueueOptions,
    registry: PoolRegistry,
    refresh: watch::Receiver<Duration>,
    out: UnboundedSender<Msg>,
) -> QueueSlot {
    let (tx, rx) = watch::channel(None);
    tokio::spawn(async move {
        let report = |health: SourceHealth| out.send(Msg::QueueHealth(health)).is_ok();
        let mut backoff = BACKOFF_MIN;
        let mut last_ok: Option<f64> = None;
        // Connect: a clear reason at once ("connection refused", "no such database").
        let queue = loop {
            match Queue::connect(&url, &options).await {
                Ok(queue) => break queue,
                Err(e) => {
                    tracing::warn!("queue: {e}; retrying in {backoff:?}");
                    if !report(down(None, &e, backoff)) {
                        return;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
        };
        tracing::info!("queue {} opened read-only", queue.target());
        registry.register(Arc::new(queue.pool().clone()));
        backoff = BACKOFF_MIN;
        // Check it every refresh; the pool reconnects by itself once the server is back.
        loop {
            let started = Instant::now();
            let wait = match ping(&queue).await {
                Ok(()) => {
                    last_ok = Some(now_unix());
                    if tx.borrow().is_none() {
                        tracing::info!("queue {} answers", queue.target());
                        let _ = tx.send(Some(queue.clone()));
                    }
                    backoff = BACKOFF_MIN;
                    if !report(SourceHealth {
                        last_ok,
                        last_attempt: last_ok,
                        latency: Some(started.elapsed()),
                        error: None,
                        missing: None,
                        loading: None,
                    }) {
                        return;
                    }
                    *refresh.borrow()
                }
                Err(e) => {
                    if tx.borrow().is_some() {
                        tracing::warn!("queue: {e}");
                        let _ = tx.send(None);
                    }
                    if !report(down(last_ok, &e, backoff)) {
                        return;
                    }
                    let wait = backoff;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                    wait
                }
            };
            tokio::time::sleep(wait).await;
        }
    });
    QueueSlot { rx, _fixed: None }
}

/// The time a merged Jobs list orders a database row by (as `db::jobs` does per source).
pub fn order_time(row: &JobRow) -> Option<f64> {
    match row.key.source {
        JobSource::Jobs | JobSource::AbsurdTask => row.created_at,
        // The transition time: the start of work in progress, the end of a finished MS.
        JobSource::MsState => row.started_at.or(row.finished_at).or(row.created_at),
        JobSource::BatchItem => row.started_at.or(row.finished_at).or(row.created_at),
    }
}

fn descending(query: &ListQuery) -> bool {
    query.sort.as_ref().is_none_or(|s| s.descending)
}

/// The queue's query for one page of the merged list, or `None` when the queue has nothing
/// left to give after this cursor. At equal times database rows come before tasks (newest
/// first) and after them (oldest first), matching `db::jobs`' ranks, where a task's cursor
/// excludes database rows at its time.
pub fn queue_query(query: &ListQuery) -> Option<ListQuery> {
    let mut q = query.clone();
    q.sort = query.sort.as_ref().map(|s| Sort {
        column: "created".into(),
        descending: s.descending,
    });
    if let Some(cursor) = &query.after {
        let is_task = cursor.key.starts_with("absurd:");
        q.after = match (&cursor.value, is_task) {
            (_, true) => Some(cursor.clone()),
            // Database rows without a time come after every task (newest first) or before
            // all of them (oldest first).
            (SqlValue::Null, false) if descending(query) => return None,
            (SqlValue::Null, false) => None,
            (value, false) => Some(Cursor {
                value: value.clone(),
                key: MAX_TASK_ID.into(),
            }),
        };
    }
    Some(q)
}

/// Merge a database page and a queue page of the same query into one page of `limit` rows,
/// in the list's order; the next cursor is the last row shown.
pub fn merge_jobs(
    db: Page<JobRow>,
    queue: Page<JobRow>,
    limit: usize,
    descending: bool,
) -> Page<JobRow> {
    let limit = limit.max(1);
    let total_in = db.rows.len() + queue.rows.len();
    let mut rows = Vec::with_capacity(limit.min(total_in));
    let mut a = db.rows.into_iter().peekable();
    let mut b = queue.rows.into_iter().peekable();
    while rows.len() < limit {
        let take_db = match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(x), Some(y)) => {
                let (tx, ty) = (order_time(x), order_time(y));
                if descending {
                    // NULL times last; at equal times the database row first.
                    match (tx, ty) {
                        (Some(tx), Some(ty)) => tx >= ty,
                        (None, _) => false,
                        (Some(_), None) => true,
                    }
                } else {
                    match (tx, ty) {
                        (Some(tx), Some(ty)) => tx < ty,
                        (None, _) => true,
                        (Some(_), None) => false,
                    }
                }
            }
        };
        let next = if take_db { a.next() } else { b.next() };
        rows.extend(next);
    }
    let left_over = total_in > rows.len();
    let has_more = left_over || db.has_more || queue.has_more;
    let next = has_more.then(|| rows.last()).flatten().map(|last| Cursor {
        value: order_time(last).map_or(SqlValue::Null, SqlValue::Real),
        key: last.key.to_string(),
    });
    Page {
        rows,
        has_more,
        total: None,
        next,
    }
}

/// The queue's part of a Jobs page, or the reason it is missing.
pub async fn tasks_page(queue: &Queue, query: &ListQuery) -> Result<Page<JobRow>, QueueError> {
    match queue_query(query) {
        Some(q) => queue.tasks(&q).await,
        None => Ok(Page::default()),
    }
}

/// Tasks that ran to an end (succeeded or failed; no-op completions are not counted) created
/// at or after `since`, the queue's part of the failure rate's denominator.
pub async fn finished_since(queue: &Queue, since: f64) -> Result<u64, QueueError> {
    Ok(queue.status_counts_since(since).await?.finished())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{JobKey, JobStatus};

    fn row(source: JobSource, id: &str, t: Option<f64>) -> JobRow {
        JobRow {
            key: JobKey {
                source,
                id: id.into(),
            },
            kind: None,
            status: JobStatus::Succeeded,
            raw_status: String::new(),
            target: None,
            created_at: t,
            started_at: None,
            finished_at: None,
            attempts: None,
            max_attempts: None,
            error_line: None,
        }
    }

    fn page(rows: Vec<JobRow>, has_more: bool) -> Page<JobRow> {
        Page {
            rows,
            has_more,
            total: None,
            next: None,
        }
    }

    #[test]
    fn jobs_and_tasks_merge_newest_first_and_the_cursor_is_the_last_row_shown() {
        let db = page(
            vec![
                row(JobSource::Jobs, "3", Some(30.0)),
                row(JobSource::Jobs, "2", Some(20.0)),
                row(JobSource::Jobs, "1", None),
            ],
            false,
        );
        let tasks = page(
            vec![
                row(JobSource::AbsurdTask, "b", Some(25.0)),
                row(JobSource::AbsurdTask, "a", Some(20.0)),
            ],
            false,
        );
        let merged = merge_jobs(db, tasks, 4, true);
        let keys: Vec<String> = merged.rows.iter().map(|r| r.key.to_string()).collect();
        assert_eq!(keys, vec!["jobs:3", "absurd:b", "jobs:2", "absurd:a"]);
        assert!(merged.has_more, "jobs:1 is left over");
        let next = merged.next.unwrap();
        assert_eq!(next.key, "absurd:a");
        assert_eq!(next.value, SqlValue::Real(20.0));
    }

    #[test]
    fn a_cursor_on_a_database_row_continues_the_queue_at_that_time() {
        let mut query = ListQuery {
            after: Some(Cursor {
                value: SqlValue::Real(20.0),
                key: "jobs:2".into(),
            }),
            ..ListQuery::default()
        };
        let q = queue_query(&query).unwrap();
        assert_eq!(q.after.unwrap().key, MAX_TASK_ID);
        query.after = Some(Cursor {
            value: SqlValue::Null,
            key: "jobs:1".into(),
        });
        assert!(queue_query(&query).is_none(), "past the last task");
    }

    #[test]
    fn the_queue_label_never_shows_the_password() {
        assert_eq!(
            safe_label("postgresql://monitor:s3cret@db.example:6543/dsa110_absurd"),
            "db.example:6543/dsa110_absurd"
        );
    }

    #[test]
    fn oldest_first_asks_the_queue_by_creation_time_ascending() {
        let query = ListQuery {
            sort: Some(Sort {
                column: "time".into(),
                descending: false,
            }),
            ..ListQuery::default()
        };
        let q = queue_query(&query).unwrap();
        assert_eq!(q.sort.unwrap().column, "created");
        let merged = merge_jobs(
            page(vec![row(JobSource::Jobs, "1", Some(10.0))], false),
            page(vec![row(JobSource::AbsurdTask, "a", Some(5.0))], false),
            10,
            false,
        );
        assert_eq!(merged.rows[0].key.source, JobSource::AbsurdTask);
        assert!(!merged.has_more && merged.next.is_none());
    }
}
