//! The detail panes: one job (whole error, logs, params, log-file tail), one MS (its index
//! row, state, images, jobs and calibration) and one source (its light curve). Each reads a
//! bounded number of rows by key, so opening a detail costs the same after a year.

use crate::db::jobs::source_sql;
use crate::db::keyset::{SORT_KEY, SORT_VALUE, key_bind};
use crate::db::logs::{LogSource, find_job_logs};
use crate::db::sources::{flux_expr, variability_row, variability_select};
use crate::db::sql::{self, Bind, SqlBuf};
use crate::db::{Db, DbError};
use crate::query::ListQuery;
use crate::snapshot::{
    CalibrationApplied, JobDetail, JobKey, JobSource, LightPoint, MsDetail, MsStateRow,
    SourceDetail, SourceRow,
};

/// Newest light-curve points a source detail shows.
pub const LIGHT_CURVE_POINTS: i64 = 5000;
/// Jobs and calibration rows an MS detail shows.
const PER_MS_ROWS: i64 = 200;

/// JSON pretty-printed, anything else as it is (batch params are a Python dict repr).
pub fn pretty_json_or_raw(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_string())
}

/// The traceback at the end of a log: from its last `Traceback` line on.
pub fn traceback(logs: &str) -> Option<String> {
    let start = logs.rfind("Traceback (most recent call last)")?;
    let line_start = logs[..start].rfind('\n').map_or(0, |i| i + 1);
    Some(logs[line_start..].trim_end().to_string())
}

/// The pipeline's log lines about a job, read on a blocking thread (file I/O).
pub async fn attach_logs(src: &LogSource, detail: &JobDetail) -> Option<crate::snapshot::LogTail> {
    let (src, d) = (src.clone(), detail.clone());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    tokio::task::spawn_blocking(move || find_job_logs(&src, &d, now))
        .await
        .ok()
}

fn nonempty(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty())
}

impl Db {
    /// Everything about one job; `None` when it no longer exists. `logs` is where the
    /// pipeline writes its logs, searched for this job's lines.
    pub(crate) async fn job_detail_now(
        &self,
        key: &JobKey,
        logs: Option<&LogSource>,
    ) -> Result<Option<JobDetail>, DbError> {
        let schema = self.schema();
        let Some(src) = source_sql(key.source, &schema) else {
            return match key.source {
                JobSource::AbsurdTask => Ok(None),
                _ => Err(DbError::MissingTable(key.source.name().to_string())),
            };
        };
        let Some(id) = key_bind(src.key_kind, &key.id) else {
            return Ok(None);
        };
        let extra_cols = match key.source {
            JobSource::Jobs => ["params", "logs", "artifacts"]
                .map(|c| format!("{} AS x_{c}", schema.col("jobs", "", c)))
                .join(", "),
            JobSource::MsState => ["previous_state", "checkpoint_data", "error_message"]
                .map(|c| format!("{} AS x_{c}", schema.col("ms_state", "", c)))
                .join(", "),
            _ => {
                let joined = src.from.contains("batch_jobs");
                let b = |c: &str| {
                    if joined {
                        schema.col("batch_jobs", "b", c)
                    } else {
                        "NULL".to_string()
                    }
                };
                let bi = |c: &str| schema.col("batch_job_items", "bi", c);
                [
                    (bi("batch_id"), "batch_id"),
                    (bi("job_id"), "job_id"),
                    (bi("error"), "error"),
                    (b("params"), "params"),
                    (b("status"), "batch_status"),
                    (b("total_items"), "total_items"),
                    (b("completed_items"), "completed_items"),
                    (b("failed_items"), "failed_items"),
                ]
                .iter()
                .map(|(e, a)| format!("{e} AS x_{a}"))
                .collect::<Vec<_>>()
                .join(", ")
            }
        };
        let sql = SqlBuf::with(
            format!(
                "SELECT {}, {} AS {SORT_VALUE}, {} AS {SORT_KEY}, {extra_cols} FROM {} WHERE {} = ?",
                src.columns, src.time, src.key, src.from, src.key
            ),
            vec![id],
        );
        let rows = self.fetch("job detail", sql).await?;
        let Some(r) = rows.first() else {
            return Ok(None);
        };
        let row = crate::db::jobs::job_row_of(key.source, r);
        let x = |c: &str| sql::text(r, &format!("x_{c}"));
        let mut detail = JobDetail {
            row,
            error_full: None,
            logs: Vec::new(),
            log_file: None,
            params_pretty: None,
            artifacts_pretty: None,
            extra: Vec::new(),
            links: Default::default(),
        };
        match key.source {
            JobSource::Jobs => {
                let logs = x("logs").unwrap_or_default();
                if detail.row.status == crate::snapshot::JobStatus::Failed {
                    detail.error_full = traceback(&logs).or_else(|| detail.row.error_line.clone());
                }
                detail.logs = logs.lines().map(str::to_string).collect();
                detail.params_pretty = nonempty(x("params")).map(|p| pretty_json_or_raw(&p));
                detail.artifacts_pretty = nonempty(x("artifacts")).map(|a| pretty_json_or_raw(&a));
                detail.extra.push(("job id".into(), key.id.clone()));
            }
            JobSource::MsState => {
                detail.error_full = nonempty(x("error_message"));
                detail.params_pretty =
                    nonempty(x("checkpoint_data")).map(|c| pretty_json_or_raw(&c));
                if let Some(prev) = x("previous_state") {
                    detail.extra.push(("previous state".into(), prev));
                }
                if let Some(n) = detail.row.attempts {
                    let max = detail.row.max_attempts.unwrap_or(3);
                    detail
                        .extra
                        .push(("retries".into(), format!("{n} of {max}")));
                }
            }
            _ => {
                detail.error_full = nonempty(x("error"));
                detail.params_pretty = nonempty(x("params"));
                for (label, col) in [
                    ("batch id", "batch_id"),
                    ("job id", "job_id"),
                    ("batch status", "batch_status"),
                ] {
                    if let Some(v) = x(col) {
                        detail.extra.push((label.into(), v));
                    }
                }
                if let Some(total) = x("total_items") {
                    detail.extra.push((
                        "batch progress".into(),
                        format!(
                            "{} done, {} failed of {total}",
                            x("completed_items").unwrap_or_else(|| "?".into()),
                            x("failed_items").unwrap_or_else(|| "?".into())
                        ),
                    ));
                }
            }
        }
        if let Some(src) = logs {
            detail.log_file = attach_logs(src, &detail).await;
        }
        Ok(Some(detail))
    }

    /// Everything about one Measurement Set; parts whose table is missing are empty.
    pub(crate) async fn ms_detail_now(&self, ms_path: &str) -> Result<MsDetail, DbError> {
        let jobs = match self
            .jobs_ordered(
                &ListQuery {
                    limit: PER_MS_ROWS as usize,
                    ..ListQuery::default()
                },
                Some(ms_path),
            )
            .await
        {
            Ok((rows, _)) => rows.into_iter().map(|o| o.row).collect(),
            Err(e) if e.is_missing() => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(MsDetail {
            row: self.ms_row(ms_path).await?,
            state: self.ms_state_row(ms_path).await?,
            images: self.images_of_ms(ms_path).await?,
            jobs,
            calibration: self.calibration_of_ms(ms_path).await?,
            cal: self.ms_calibration(ms_path).await?,
        })
    }

    async fn ms_state_row(&self, ms_path: &str) -> Result<Option<MsStateRow>, DbError> {
        let schema = self.schema();
        if !schema.has_column("ms_state", "ms_path") {
            return Ok(None);
        }
        let cols = crate::db::list::select_list(
            &schema,
            "ms_state",
            "",
            &[
                "current_state",
                "previous_state",
                "transition_time",
                "retry_count",
                "error_message",
                "checkpoint_data",
            ],
        );
        let sql = SqlBuf::with(
            format!("SELECT {cols} FROM ms_state WHERE ms_path = ?"),
            vec![Bind::Text(ms_path.to_string())],
        );
        Ok(self
            .fetch("ms_state row", sql)
            .await?
            .first()
            .map(|r| MsStateRow {
                current_state: sql::text(r, "current_state"),
                previous_state: sql::text(r, "previous_state"),
                transition_time: sql::real(r, "transition_time"),
                retry_count: sql::int(r, "retry_count"),
                error_message: sql::text(r, "error_message"),
                checkpoint_data: sql::text(r, "checkpoint_data"),
            }))
    }

    async fn calibration_of_ms(&self, ms_path: &str) -> Result<Vec<CalibrationApplied>, DbError> {
        let schema = self.schema();
        if !schema.has_column("calibration_applied", "ms_path") {
            return Ok(Vec::new());
        }
        let cols = crate::db::list::select_list(
            &schema,
            "calibration_applied",
            "",
            &[
                "caltable_path",
                "applied_at",
                "quality",
                "success",
                "error_message",
            ],
        );
        let sql = SqlBuf::with(
            format!(
                "SELECT {cols} FROM calibration_applied WHERE ms_path = ? \
                 ORDER BY applied_at DESC LIMIT ?"
            ),
            vec![Bind::Text(ms_path.to_string()), Bind::Int(PER_MS_ROWS)],
        );
        Ok(self
            .fetch("calibration of ms", sql)
            .await?
            .iter()
            .map(|r| CalibrationApplied {
                caltable_path: sql::text(r, "caltable_path"),
                applied_at: sql::real(r, "applied_at"),
                quality: sql::real(r, "quality"),
                success: sql::flag(r, "success"),
                error_message: sql::text(r, "error_message"),
            })
            .collect())
    }

    /// One source: its aggregate row and its newest light-curve points, oldest first.
    pub(crate) async fn source_detail_now(&self, source_id: &str) -> Result<SourceDetail, DbError> {
        let schema = self.schema();
        let variability = if schema.has_column("variability_stats", "source_id") {
            let sql = SqlBuf::with(
                format!(
                    "SELECT {} FROM variability_stats WHERE source_id = ?",
                    variability_select(&schema)
                ),
                vec![Bind::Text(source_id.to_string())],
            );
            self.fetch("variability of source", sql)
                .await?
                .first()
                .map(variability_row)
        } else {
            None
        };
        let name = if schema.has_column("sources", "name") && schema.has_column("sources", "id") {
            let sql = SqlBuf::with(
                "SELECT name FROM sources WHERE id = ?",
                vec![Bind::Text(source_id.to_string())],
            );
            self.fetch("source name", sql)
                .await?
                .first()
                .and_then(|r| sql::text(r, "name"))
        } else {
            None
        };
        if !schema.has_column("photometry", "source_id") {
            let row = (name.is_some() || variability.is_some()).then(|| SourceRow {
                id: source_id.to_string(),
                name,
                ra_deg: variability.as_ref().and_then(|v| v.ra_deg),
                dec_deg: variability.as_ref().and_then(|v| v.dec_deg),
                nvss_flux_mjy: variability.as_ref().and_then(|v| v.nvss_flux_mjy),
                variability: variability.map(|v| v.figures),
                ..SourceRow::default()
            });
            return Ok(SourceDetail {
                row,
                points: Vec::new(),
            });
        }
        let p = |c: &str| schema.col("photometry", "", c);
        let flux = flux_expr(&schema);
        let err = match (p("flux_jy"), p("flux_err_jy"), p("peak_err_jyb")) {
            (f, e, pe) if f != "NULL" => {
                format!("CASE WHEN {f} IS NOT NULL THEN {e} ELSE {pe} END")
            }
            (_, _, pe) => pe,
        };
        let mjd = p("mjd");
        let sql = SqlBuf::with(
            format!(
                "SELECT {mjd} AS mjd, {flux} AS flux, {err} AS flux_err, {} AS image_path, \
                 {} AS ra_deg, {} AS dec_deg, {} AS nvss_flux_mjy FROM photometry \
                 WHERE source_id = ? ORDER BY {mjd} DESC LIMIT ?",
                p("image_path"),
                p("ra_deg"),
                p("dec_deg"),
                p("nvss_flux_mjy"),
            ),
            vec![
                Bind::Text(source_id.to_string()),
                Bind::Int(LIGHT_CURVE_POINTS),
            ],
        );
        let rows = self.fetch("light curve", sql).await?;
        let count = self
            .scalar(
                "detections of source",
                SqlBuf::with(
                    "SELECT COUNT(*) FROM photometry WHERE source_id = ?",
                    vec![Bind::Text(source_id.to_string())],
                ),
            )
            .await?
            .unwrap_or(0);
        let newest = rows.first();
        let first_set = |c: &str| rows.iter().find_map(|r| sql::real(r, c));
        let row = (count > 0 || variability.is_some()).then(|| SourceRow {
            id: source_id.to_string(),
            name,
            ra_deg: first_set("ra_deg").or(variability.as_ref().and_then(|v| v.ra_deg)),
            dec_deg: first_set("dec_deg").or(variability.as_ref().and_then(|v| v.dec_deg)),
            detections: count,
            latest_flux_jy: newest.and_then(|r| sql::real(r, "flux")),
            latest_mjd: newest.and_then(|r| sql::real(r, "mjd")),
            nvss_flux_mjy: first_set("nvss_flux_mjy")
                .or(variability.as_ref().and_then(|v| v.nvss_flux_mjy)),
            variability: variability.map(|v| v.figures),
        });
        let mut points: Vec<LightPoint> = rows
            .iter()
            .filter_map(|r| {
                Some(LightPoint {
                    mjd: sql::real(r, "mjd")?,
                    flux_jy: sql::real(r, "flux")?,
                    flux_err_jy: sql::real(r, "flux_err"),
                    image_path: sql::text(r, "image_path"),
                })
            })
            .collect();
        points.reverse();
        Ok(SourceDetail { row, points })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_pretty_printed_and_python_reprs_stay_raw() {
        assert_eq!(pretty_json_or_raw(r#"{"a":1}"#), "{\n  \"a\": 1\n}");
        let repr = "{'ms_paths': ['/stage/x.ms'], 'force': True}";
        assert_eq!(pretty_json_or_raw(repr), repr);
    }

    #[test]
    fn the_traceback_is_cut_from_its_first_line_to_the_end() {
        let logs =
            "INFO a\nERROR b\nTraceback (most recent call last):\n  File \"x\"\nValueError: bad\n";
        assert_eq!(
            traceback(logs).as_deref(),
            Some("Traceback (most recent call last):\n  File \"x\"\nValueError: bad")
        );
        assert_eq!(traceback("INFO fine"), None);
    }
}
