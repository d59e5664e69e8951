//! A one-shot summary of the pipeline database for `contimg-monitor once`: which tables are
//! there and how big, jobs by normalised status, and the failures of the last 24 hours.

use crate::db::sql::{self, SqlBuf};
use crate::db::{Db, DbError};
use crate::query::{Filter, ListQuery};
use crate::snapshot::{JobSource, JobStatus};

/// The tables the monitor reads, in the order a summary lists them.
pub const TABLES: [&str; 11] = [
    "ms_index",
    "images",
    "photometry",
    "sources",
    "variability_stats",
    "jobs",
    "batch_jobs",
    "batch_job_items",
    "ms_state",
    "caltables",
    "calibration_applied",
];

/// Tables too big to `COUNT(*)` in a summary: their size is `MAX(rowid)`.
const COUNTED_BY_MAX_ROWID: [&str; 1] = ["photometry"];

/// How far back `failed_recent` looks.
pub const FAILED_WINDOW_S: f64 = 24.0 * 3600.0;
/// Most failures listed.
pub const FAILED_MAX: usize = 50;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TableCount {
    pub table: &'static str,
    pub present: bool,
    pub rows: Option<i64>,
    /// `rows` is the largest rowid (deleted rows still count), not an exact count.
    pub approximate: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JobStatusCount {
    pub source: JobSource,
    pub status: JobStatus,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FailedJob {
    pub source: JobSource,
    pub id: String,
    pub kind: Option<String>,
    pub target: Option<String>,
    pub error_line: Option<String>,
    /// When it failed, as well as the source tells (finished, else started, else created).
    pub at: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DbSummary {
    pub path: String,
    pub tables: Vec<TableCount>,
    pub jobs_by_status: Vec<JobStatusCount>,
    /// Newest first.
    pub failed_recent: Vec<FailedJob>,
}

impl DbSummary {
    /// Jobs of every source in one normalised status.
    pub fn jobs_in(&self, status: JobStatus) -> i64 {
        self.jobs_by_status
            .iter()
            .filter(|c| c.status == status)
            .map(|c| c.count)
            .sum()
    }
}

/// Add `count` to the (source, status) entry, keeping the list ordered.
fn add_count(counts: &mut Vec<JobStatusCount>, source: JobSource, status: JobStatus, count: i64) {
    match counts
        .iter_mut()
        .find(|c| c.source == source && c.status == status)
    {
        Some(c) => c.count += count,
        None => counts.push(JobStatusCount {
            source,
            status,
            count,
        }),
    }
    counts.sort_by_key(|c| (c.source, c.status));
}

impl Db {
    /// The summary as of `now` (Unix seconds).
    pub(crate) async fn summary_now(&self, now: f64) -> Result<DbSummary, DbError> {
        let schema = self.schema();
        let mut tables = Vec::new();
        for table in TABLES {
            let present = schema.has_table(table);
            let approximate = COUNTED_BY_MAX_ROWID.contains(&table);
            let rows = if !present {
                None
            } else if approximate {
                self.scalar(
                    "summary rows",
                    SqlBuf::new(format!("SELECT MAX(rowid) FROM {table}")),
                )
                .await
                .ok()
                .map(|n| n.unwrap_or(0))
            } else {
                self.scalar(
                    "summary rows",
                    SqlBuf::new(format!("SELECT COUNT(*) FROM {table}")),
                )
                .await?
            };
            tables.push(TableCount {
                table,
                present,
                rows,
                approximate,
            });
        }

        let mut jobs_by_status = Vec::new();
        for (source, table, column) in [
            (JobSource::Jobs, "jobs", "status"),
            (JobSource::MsState, "ms_state", "current_state"),
            (JobSource::BatchItem, "batch_job_items", "status"),
        ] {
            if !schema.has_column(table, column) {
                continue;
            }
            let rows = self
                .fetch(
                    "summary statuses",
                    SqlBuf::new(format!(
                        "SELECT {column} AS raw, COUNT(*) AS n FROM {table} GROUP BY {column}"
                    )),
                )
                .await?;
            for r in &rows {
                let raw = sql::text(r, "raw").unwrap_or_default();
                let n = sql::int(r, "n").unwrap_or(0);
                add_count(&mut jobs_by_status, source, source.normalise(&raw), n);
            }
        }

        let failed_recent = match self
            .jobs_ordered(
                &ListQuery {
                    filter: Filter::parse("status:failed"),
                    limit: FAILED_MAX * 2,
                    ..ListQuery::default()
                },
                None,
            )
            .await
        {
            Ok((rows, _)) => rows
                .into_iter()
                .filter_map(|o| {
                    let at = o.row.finished_at.or(o.row.started_at).or(o.time);
                    at.is_some_and(|t| t >= now - FAILED_WINDOW_S)
                        .then_some(FailedJob {
                            source: o.row.key.source,
                            id: o.row.key.id,
                            kind: o.row.kind,
                            target: o.row.target,
                            error_line: o.row.error_line,
                            at,
                        })
                })
                .take(FAILED_MAX)
                .collect(),
            Err(e) if e.is_missing() => Vec::new(),
            Err(e) => return Err(e),
        };

        Ok(DbSummary {
            path: self.path().display().to_string(),
            tables,
            jobs_by_status,
            failed_recent,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_of_raw_values_add_up_under_their_normalised_status() {
        let mut counts = Vec::new();
        add_count(&mut counts, JobSource::MsState, JobStatus::Failed, 2);
        add_count(&mut counts, JobSource::Jobs, JobStatus::Failed, 1);
        add_count(&mut counts, JobSource::MsState, JobStatus::Failed, 3);
        let summary = DbSummary {
            jobs_by_status: counts,
            ..DbSummary::default()
        };
        assert_eq!(summary.jobs_by_status.len(), 2);
        assert_eq!(summary.jobs_by_status[0].source, JobSource::Jobs);
        assert_eq!(summary.jobs_in(JobStatus::Failed), 6);
    }
}
