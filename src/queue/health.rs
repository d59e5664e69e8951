//! The queue at a glance: how much is waiting, what runs too long, and every failure of a
//! period (both kinds: crashes and stage errors stored as `completed`).

use super::groups::groups_sql;
use super::sql::{Bind, Sql, get};
use super::tasks::{FAILED_SQL, TaskRecord, status_sql, task_columns, tasks_sql};
use super::{Queue, QueueError};
use crate::query::{Filter, ListQuery, Term};
use crate::snapshot::jobs::error_one_liner;
use crate::snapshot::{JobKey, JobRow, JobStatus};

/// At most this many over-running tasks are listed (they should be a handful).
const RUNNING_OVER_MAX: i64 = 100;
/// A failure is looked up by creation time (the indexed column), reaching back this much
/// further than asked so that a task created earlier but failing inside the period is kept.
const FAILURE_LOOKBACK_SLACK_S: f64 = 24.0 * 3600.0;

/// How much work waits and runs, in every queue together and per queue.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Backlog {
    /// Waiting for a worker: `pending` plus `retrying`.
    pub pending: u64,
    /// Of `pending`, how many are retries of a failed attempt.
    pub retrying: u64,
    /// Age of the oldest waiting task, seconds.
    pub oldest_pending_age_s: Option<f64>,
    /// Claimed by a worker.
    pub running: u64,
    /// The same figures per queue, by queue name (each worker polls one queue, and no unit
    /// polls `dsa110-ingestion`: its backlog must be seen apart).
    pub by_queue: Vec<QueueBacklog>,
    /// Claimed longer than `QueueOptions::long_running_after`, longest first.
    pub running_over: Vec<StaleClaim>,
}

impl Backlog {
    /// The figures of one queue (zero when it has nothing waiting or running).
    pub fn queue(&self, name: &str) -> QueueBacklog {
        self.by_queue
            .iter()
            .find(|q| q.queue == name)
            .cloned()
            .unwrap_or_else(|| QueueBacklog {
                queue: name.to_string(),
                ..QueueBacklog::default()
            })
    }
}

/// One queue's waiting and running work.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct QueueBacklog {
    pub queue: String,
    pub pending: u64,
    pub retrying: u64,
    pub oldest_pending_age_s: Option<f64>,
    pub running: u64,
}

/// A task claimed for too long. The queue keeps no heartbeat and does not enforce
/// `timeout_sec`, so a worker that died holding it leaves it `claimed` for ever.
#[derive(Debug, Clone, PartialEq)]
pub struct StaleClaim {
    pub row: JobRow,
    pub worker_id: Option<String>,
    /// The last time that worker claimed or finished any task (Unix seconds): a worker
    /// silent since this claim is likely dead.
    pub worker_last_seen: Option<f64>,
}

/// One failure, for grouping by error signature.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FailureRecord {
    pub key: JobKey,
    pub kind: Option<String>,
    pub target: Option<String>,
    /// The one line that says why (exception line, result message or first listed error);
    /// the whole text is in the task's detail.
    pub error: String,
    /// When it failed (completed_at; else claimed or created), Unix seconds.
    pub at: f64,
}

/// Tasks per normalised status, every status present (zero or not), in [`JobStatus::ALL`]'s
/// order.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct StatusCounts {
    pub counts: Vec<(JobStatus, u64)>,
}

impl StatusCounts {
    pub fn get(&self, status: JobStatus) -> u64 {
        self.counts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    }

    /// Work that ran to an end: succeeded or failed (a no-op did not run; a cancel did not end).
    pub fn finished(&self) -> u64 {
        self.get(JobStatus::Succeeded) + self.get(JobStatus::Failed)
    }
}

pub(crate) fn status_counts_sql(since: f64) -> Sql {
    let mut sql = Sql::default();
    let from = at_unix(&mut sql, since);
    let columns: Vec<String> = JobStatus::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| format!("count(*) FILTER (WHERE {})::int8 AS s{i}", status_sql(*s)))
        .collect();
    sql.push(&format!(
        "SELECT {} FROM absurd.tasks WHERE created_at >= {from}",
        columns.join(", ")
    ));
    sql
}

/// `TIMESTAMPTZ` of a Unix time bound to a parameter.
fn at_unix(sql: &mut Sql, unix: f64) -> String {
    format!(
        "(TIMESTAMPTZ 'epoch' + {} * INTERVAL '1 second')",
        sql.bind(Bind::Float(unix))
    )
}

pub(crate) fn backlog_counts_sql() -> Sql {
    let mut sql = Sql::default();
    sql.push(
        "SELECT queue_name, \
                count(*) FILTER (WHERE status IN ('pending', 'retrying'))::int8 AS waiting, \
                count(*) FILTER (WHERE status = 'retrying')::int8 AS retrying, \
                EXTRACT(EPOCH FROM min(created_at) FILTER (WHERE status IN ('pending', 'retrying')))::float8 AS oldest, \
                count(*) FILTER (WHERE status = 'claimed')::int8 AS running \
         FROM absurd.tasks WHERE status IN ('pending', 'retrying', 'claimed') \
         GROUP BY queue_name ORDER BY queue_name",
    );
    sql
}

pub(crate) fn running_over_sql(claimed_before: f64) -> Sql {
    let mut sql = Sql::default();
    let before = at_unix(&mut sql, claimed_before);
    sql.push(&format!(
        "SELECT {}, (SELECT EXTRACT(EPOCH FROM max(GREATEST(w.claimed_at, w.completed_at)))::float8 \
                 FROM absurd.tasks w WHERE w.worker_id = t.worker_id) AS worker_last_seen \
         FROM absurd.tasks t \
         WHERE status = 'claimed' AND COALESCE(claimed_at, created_at) < {before} \
         ORDER BY COALESCE(claimed_at, created_at) LIMIT {RUNNING_OVER_MAX}",
        task_columns()
    ));
    sql
}

pub(crate) fn failures_sql(since: f64, limit: usize) -> Sql {
    let mut sql = Sql::default();
    let created_from = at_unix(&mut sql, since - FAILURE_LOOKBACK_SLACK_S);
    let failed_from = at_unix(&mut sql, since);
    let limit = sql.bind(Bind::Int(limit as i64));
    sql.push(&format!(
        "SELECT {} FROM absurd.tasks \
         WHERE created_at >= {created_from} AND {FAILED_SQL} \
           AND COALESCE(completed_at, claimed_at, created_at) >= {failed_from} \
         ORDER BY created_at DESC LIMIT {limit}",
        task_columns()
    ));
    sql
}

fn failure_record(task: &TaskRecord) -> FailureRecord {
    let text = task.failure_text();
    FailureRecord {
        key: JobKey {
            source: crate::snapshot::JobSource::AbsurdTask,
            id: task.task_id.clone(),
        },
        kind: task.task_name.clone(),
        target: task.target.clone(),
        error: text
            .as_deref()
            .and_then(error_one_liner)
            .unwrap_or_else(|| "(no error text)".to_string()),
        at: task
            .completed_s
            .or(task.claimed_s)
            .or(task.created_s)
            .unwrap_or(0.0),
    }
}

impl Queue {
    /// Waiting and running work at `now` (Unix seconds), in all and per queue.
    pub async fn backlog(&self, now: f64) -> Result<Backlog, QueueError> {
        let counts = self.fetch_all(&backlog_counts_sql()).await?;
        let over_after = self.options.long_running_after.as_secs_f64();
        let over = self.fetch_all(&running_over_sql(now - over_after)).await?;
        let read = || -> Result<Backlog, sqlx::Error> {
            let count = |r: &sqlx::postgres::PgRow, name: &str| -> Result<u64, sqlx::Error> {
                Ok(get::<i64>(r, name)?.unwrap_or(0).max(0) as u64)
            };
            let by_queue = counts
                .iter()
                .map(|r| {
                    let oldest: Option<f64> = get(r, "oldest")?;
                    Ok(QueueBacklog {
                        queue: get::<String>(r, "queue_name")?.unwrap_or_default(),
                        pending: count(r, "waiting")?,
                        retrying: count(r, "retrying")?,
                        oldest_pending_age_s: oldest.map(|t| (now - t).max(0.0)),
                        running: count(r, "running")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?;
            let running_over = over
                .iter()
                .map(|r| {
                    let task = TaskRecord::from_row(r)?;
                    Ok(StaleClaim {
                        row: task.to_job_row(),
                        worker_id: task.worker_id.clone(),
                        worker_last_seen: get(r, "worker_last_seen")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?;
            Ok(Backlog {
                pending: by_queue.iter().map(|q| q.pending).sum(),
                retrying: by_queue.iter().map(|q| q.retrying).sum(),
                oldest_pending_age_s: by_queue
                    .iter()
                    .filter_map(|q| q.oldest_pending_age_s)
                    .reduce(f64::max),
                running: by_queue.iter().map(|q| q.running).sum(),
                by_queue,
                running_over,
            })
        };
        read().map_err(|e| self.classify(&e))
    }

    /// How many tasks created since `since_unix` ended in each normalised status (no-op
    /// completions apart from successes): one count over the creation-time index.
    pub async fn status_counts_since(&self, since_unix: f64) -> Result<StatusCounts, QueueError> {
        let rows = self.fetch_all(&status_counts_sql(since_unix)).await?;
        let read = || -> Result<StatusCounts, sqlx::Error> {
            let Some(row) = rows.first() else {
                return Ok(StatusCounts::default());
            };
            let counts = JobStatus::ALL
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let n = get::<i64>(row, &format!("s{i}"))?.unwrap_or(0).max(0) as u64;
                    Ok((*s, n))
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?;
            Ok(StatusCounts { counts })
        };
        read().map_err(|e| self.classify(&e))
    }

    /// Every task by normalised status (all time, like the SQLite summary), through the
    /// same mapping the Jobs list uses (`task_status`), so a "completed" task whose result
    /// says otherwise is counted as what it is. One pass over `absurd.tasks`: for `once`,
    /// not for the TUI's poll.
    pub async fn status_counts(&self) -> Result<Vec<(JobStatus, i64)>, QueueError> {
        let mut sql = Sql::default();
        sql.push(
            "SELECT status, result->>'status' AS result_status, count(*)::int8 AS n \
             FROM absurd.tasks GROUP BY 1, 2",
        );
        let rows = self.fetch_all(&sql).await?;
        let read = || -> Result<Vec<(JobStatus, i64)>, sqlx::Error> {
            let mut counts: Vec<(JobStatus, i64)> = Vec::new();
            for r in &rows {
                let status: Option<String> = super::sql::get(r, "status")?;
                let result: Option<String> = super::sql::get(r, "result_status")?;
                let n: i64 = super::sql::get(r, "n")?.unwrap_or(0);
                let (normalised, _) =
                    super::tasks::task_status(status.as_deref(), result.as_deref());
                match counts.iter_mut().find(|(s, _)| *s == normalised) {
                    Some((_, total)) => *total += n,
                    None => counts.push((normalised, n)),
                }
            }
            Ok(counts)
        };
        read().map_err(|e| self.classify(&e))
    }

    /// Every failure (crash or stage error) since `since_unix`, newest first, at most
    /// `QueueOptions::failures_limit`.
    pub async fn failures_since(&self, since_unix: f64) -> Result<Vec<FailureRecord>, QueueError> {
        let sql = failures_sql(since_unix, self.options.failures_limit);
        let rows = self.fetch_all(&sql).await?;
        rows.iter()
            .map(|r| TaskRecord::from_row(r).map(|t| failure_record(&t)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.classify(&e))
    }

    /// The plans of the queries the monitor runs by default, as (name, `EXPLAIN` text): on a
    /// production-sized queue none of them should read the whole tasks table.
    pub async fn explain_default_queries(
        &self,
        now: f64,
    ) -> Result<Vec<(String, String)>, QueueError> {
        let failed_only = ListQuery {
            filter: Filter::default().with_term(Term {
                field: Some("status".into()),
                value: "failed".into(),
                negated: false,
            }),
            ..ListQuery::default()
        };
        let over_after = self.options.long_running_after.as_secs_f64();
        let queries = [
            ("tasks, newest first", tasks_sql(&ListQuery::default())?),
            ("tasks, failed only", tasks_sql(&failed_only)?),
            (
                "failures of the last 24 h",
                failures_sql(now - 86_400.0, self.options.failures_limit),
            ),
            ("backlog counts", backlog_counts_sql()),
            ("tasks running over", running_over_sql(now - over_after)),
            (
                "ingestion groups, newest first",
                groups_sql(&ListQuery::default())?,
            ),
        ];
        let mut plans = Vec::with_capacity(queries.len());
        for (name, sql) in queries {
            let rows = self.fetch_all(&sql.explained()).await?;
            let lines = rows
                .iter()
                .map(|r| super::sql::get::<String>(r, "QUERY PLAN").map(Option::unwrap_or_default))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.classify(&e))?;
            plans.push((name.to_string(), lines.join("\n")));
        }
        Ok(plans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_record_uses_the_result_message_when_there_is_no_error() {
        let task = TaskRecord {
            task_id: "0b7f3c1e-8a2d-4f6b-9c3e-1d2a3b4c5d6e".into(),
            task_name: Some("calibration-solve".into()),
            status: Some("completed".into()),
            result_status: Some("error".into()),
            result_message: Some("No valid caltables for 2025-10-21T14:23:19".into()),
            created_s: Some(100.0),
            claimed_s: Some(110.0),
            completed_s: Some(200.0),
            ..TaskRecord::default()
        };
        let record = failure_record(&task);
        assert_eq!(record.error, "No valid caltables for 2025-10-21T14:23:19");
        assert_eq!(record.at, 200.0);
        assert_eq!(
            record.key.to_string(),
            "absurd:0b7f3c1e-8a2d-4f6b-9c3e-1d2a3b4c5d6e"
        );
    }

    #[test]
    fn failures_are_looked_up_on_the_indexed_creation_time_with_slack() {
        let sql = failures_sql(1_000_000.0, 10);
        assert!(sql.text.contains("created_at >= "));
        assert!(sql.text.contains(FAILED_SQL));
        assert_eq!(
            sql.binds[0],
            Bind::Float(1_000_000.0 - FAILURE_LOOKBACK_SLACK_S)
        );
        assert_eq!(sql.binds[2], Bind::Int(10));
    }
}
