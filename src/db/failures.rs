//! What the triage view needs from the pipeline database: the failures of a window, the jobs
//! running now, and how many jobs finished in the window (the failure rate's denominator).
//! Every read is bounded and goes through the instrumented pool like the lists do.

use crate::db::jobs::{source_sql, status_condition};
use crate::db::sql::{Bind, SqlBuf};
use crate::db::{Db, DbError};
use crate::query::{Filter, ListQuery};
use crate::queue::FailureRecord;
use crate::snapshot::{JobRow, JobSource, JobStatus};

/// At most this many failures are read (newest first); a day rarely has more.
pub const FAILURES_MAX: usize = 5_000;
/// Jobs are ordered by when they were created, but fail when they finish: rows created this
/// long before the window are still read, for jobs that ran that long.
pub const LONGEST_JOB_S: f64 = 86_400.0;
/// At most this many running jobs are read; the long runners are picked from them.
pub const RUNNING_MAX: usize = 1_000;

/// The sources held in the pipeline database.
const DB_SOURCES: [JobSource; 3] = [JobSource::Jobs, JobSource::MsState, JobSource::BatchItem];

/// When a job failed, as well as its source tells: finished, else started, else created.
fn failed_at(row: &JobRow) -> Option<f64> {
    row.finished_at.or(row.started_at).or(row.created_at)
}

fn failure_record(row: JobRow) -> Option<FailureRecord> {
    let at = failed_at(&row)?;
    Some(FailureRecord {
        error: row
            .error_line
            .clone()
            .unwrap_or_else(|| "(no error text)".to_string()),
        kind: row.kind,
        target: row.target,
        key: row.key,
        at,
    })
}

impl Db {
    /// Failed jobs of every source that failed at or after `since` (Unix seconds), newest
    /// first, at most [`FAILURES_MAX`].
    pub async fn failures_since(&self, since: f64) -> Result<Vec<FailureRecord>, DbError> {
        let query = ListQuery {
            filter: Filter::parse("status:failed"),
            limit: FAILURES_MAX,
            ..ListQuery::default()
        };
        let floor = Some(since - LONGEST_JOB_S);
        let (rows, _) = self
            .drift_retry(|| self.jobs_ordered_since(&query, None, floor))
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|o| failure_record(o.row))
            .filter(|f| f.at >= since)
            .collect())
    }

    /// Jobs running now, newest first, at most [`RUNNING_MAX`].
    pub async fn running_jobs(&self) -> Result<Vec<JobRow>, DbError> {
        let query = ListQuery {
            filter: Filter::parse("status:running"),
            limit: RUNNING_MAX,
            ..ListQuery::default()
        };
        let (rows, _) = self.drift_retry(|| self.jobs_ordered(&query, None)).await?;
        Ok(rows.into_iter().map(|o| o.row).collect())
    }

    /// Jobs of every source that finished (succeeded or failed) with their order time at or
    /// after `since`: one indexed count per source.
    ///
    /// The status is read as the Jobs list's time walk reads it (`+status`), so SQLite cannot
    /// answer from the status index: "finished" is nearly every row of a year, and walking them
    /// cost 117 ms where the time index's day of rows costs 1 ms (`jobs`, year scale).
    pub async fn finished_since(&self, since: f64) -> Result<u64, DbError> {
        let schema = self.schema();
        let mut total = 0u64;
        for source in DB_SOURCES {
            let Some(src) = source_sql(source, &schema) else {
                continue;
            };
            if src.time == "NULL" || src.status == "NULL" {
                continue;
            }
            let finished = [JobStatus::Succeeded, JobStatus::Failed];
            let Some(finished) = status_condition(&src, &finished, false, true) else {
                continue;
            };
            let mut sql = SqlBuf::with(
                format!(
                    "SELECT COUNT(*) FROM {} WHERE {} >= ? AND ",
                    src.from, src.time
                ),
                vec![Bind::Real(since)],
            );
            sql.push_buf(finished);
            total += self
                .scalar("triage finished", sql)
                .await?
                .unwrap_or(0)
                .max(0) as u64;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::JobKey;

    #[test]
    fn a_failure_without_error_text_still_counts_and_says_so() {
        let row = JobRow {
            key: JobKey {
                source: JobSource::Jobs,
                id: "3".into(),
            },
            kind: Some("imaging".into()),
            status: JobStatus::Failed,
            raw_status: "failed".into(),
            target: None,
            created_at: Some(10.0),
            started_at: Some(20.0),
            finished_at: None,
            attempts: None,
            max_attempts: None,
            error_line: None,
        };
        let record = failure_record(row).unwrap();
        assert_eq!(record.at, 20.0);
        assert_eq!(record.error, "(no error text)");
    }
}
