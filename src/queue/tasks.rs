//! `absurd.tasks` as jobs: the list (newest first, keyset pages, filters) and one task's detail.
//!
//! THE TRAP: a pipeline stage that fails is usually stored as `status = 'completed'` with
//! `result->>'status' = 'error'`; only crashes reach `status = 'failed'`. Both are failures
//! here — in the row's status, in `status:` filters and in every count.

use std::sync::LazyLock;

use sqlx::postgres::PgRow;

use super::sql::{Bind, Sql, and_all, canonical_uuid, contains_pattern, filter_clauses, get};
use super::target::{RESULT_MS_SQL, target_sql};
use super::{Queue, QueueError};
use crate::query::{Cursor, ListQuery, SqlValue, Term};
use crate::snapshot::jobs::error_one_liner;
use crate::snapshot::{GroupLink, JobDetail, JobKey, JobRow, JobSource, JobStatus, Page};
use crate::text::fmt_duration;

/// The status the queue stores, as the pipeline spells it.
pub const RAW_STATUSES: [&str; 6] = [
    "pending",
    "claimed",
    "completed",
    "failed",
    "cancelled",
    "retrying",
];

/// What `raw_status` says for a completed task whose result reports an error.
pub const COMPLETED_WITH_ERROR: &str = "completed (result: error)";

/// The SQL condition of a task being FAILED, trap included. Uses only the task's own row.
pub const FAILED_SQL: &str =
    "(status = 'failed' OR (status = 'completed' AND result->>'status' = 'error'))";

/// What `raw_status` says for a completed task whose result reports a no-op.
pub const COMPLETED_AS_NO_OP: &str = "completed (result: no-op)";

/// The SQL condition of a task that "completed" having done nothing: what the queue workers'
/// default executor returns (`{"status": "no-op"}`).
pub const NO_OP_SQL: &str = "(status = 'completed' AND result->>'status' = 'no-op')";

/// What a no-op completion means, for the detail and the triage note.
pub const NO_OP_EXPLAINED: &str = "nothing: the worker ran the no-op executor (result.status \
     \"no-op\"), as `python -m dsa110_contimg.absurd.worker` does; the real executor is \
     `python -m dsa110_contimg.absurd`";

/// The columns every task query reads. Times come back as Unix seconds; `created_us` is the
/// exact keyset value (microseconds, as PostgreSQL stores them). The target is read where
/// each task name keeps it ([`super::target`]).
pub(crate) fn task_columns() -> &'static str {
    static COLUMNS: LazyLock<String> = LazyLock::new(|| {
        format!(
            "task_id::text AS task_id, task_name, status, queue_name, \
             worker_id, attempt::int8 AS attempt, max_retries::int8 AS max_retries, \
             EXTRACT(EPOCH FROM created_at)::float8 AS created_s, \
             (EXTRACT(EPOCH FROM created_at) * 1000000)::int8 AS created_us, \
             EXTRACT(EPOCH FROM claimed_at)::float8 AS claimed_s, \
             EXTRACT(EPOCH FROM completed_at)::float8 AS completed_s, \
             {} AS target, \
             result->>'status' AS result_status, error, result->>'message' AS result_message, \
             (result->'errors')::text AS result_errors",
            target_sql()
        )
    });
    COLUMNS.as_str()
}

/// `created_at` of a keyset cursor, rebuilt exactly from its microseconds.
const CURSOR_TIME_SQL: &str = "(TIMESTAMPTZ 'epoch' + {} * INTERVAL '1 microsecond')";

/// One task as read from the database, before it becomes a [`JobRow`].
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TaskRecord {
    pub task_id: String,
    pub task_name: Option<String>,
    pub status: Option<String>,
    pub queue_name: Option<String>,
    pub worker_id: Option<String>,
    pub attempt: Option<i64>,
    pub max_retries: Option<i64>,
    pub created_s: Option<f64>,
    pub created_us: Option<i64>,
    pub claimed_s: Option<f64>,
    pub completed_s: Option<f64>,
    pub target: Option<String>,
    pub result_status: Option<String>,
    pub error: Option<String>,
    pub result_message: Option<String>,
    pub result_errors: Option<String>,
}

impl TaskRecord {
    pub(crate) fn from_row(row: &PgRow) -> Result<TaskRecord, sqlx::Error> {
        Ok(TaskRecord {
            task_id: get::<String>(row, "task_id")?.unwrap_or_default(),
            task_name: get(row, "task_name")?,
            status: get(row, "status")?,
            queue_name: get(row, "queue_name")?,
            worker_id: get(row, "worker_id")?,
            attempt: get(row, "attempt")?,
            max_retries: get(row, "max_retries")?,
            created_s: get(row, "created_s")?,
            created_us: get(row, "created_us")?,
            claimed_s: get(row, "claimed_s")?,
            completed_s: get(row, "completed_s")?,
            target: get(row, "target")?,
            result_status: get(row, "result_status")?,
            error: get(row, "error")?,
            result_message: get(row, "result_message")?,
            result_errors: get(row, "result_errors")?,
        })
    }

    /// The normalised status (trap included) and the raw status as shown.
    pub(crate) fn status(&self) -> (JobStatus, String) {
        task_status(self.status.as_deref(), self.result_status.as_deref())
    }

    /// Why it failed, in the trap's order: `error`, else the result's message, else its errors.
    pub(crate) fn failure_text(&self) -> Option<String> {
        failure_text(
            self.error.as_deref(),
            self.result_message.as_deref(),
            self.result_errors.as_deref(),
        )
    }

    pub(crate) fn to_job_row(&self) -> JobRow {
        let (status, raw_status) = self.status();
        // A retrying task keeps the error of its last attempt: worth a line too.
        let error_text = match status {
            JobStatus::Failed => self.failure_text(),
            _ => self.error.clone().filter(|e| !e.trim().is_empty()),
        };
        JobRow {
            key: JobKey {
                source: JobSource::AbsurdTask,
                id: self.task_id.clone(),
            },
            kind: self.task_name.clone(),
            status,
            raw_status,
            target: self.target.clone(),
            created_at: self.created_s,
            started_at: self.claimed_s,
            finished_at: self.completed_s,
            attempts: self.attempt,
            max_attempts: self.max_retries,
            error_line: error_text.as_deref().and_then(error_one_liner),
        }
    }
}

/// Normalise a task's status: `completed` whose result says `error` is a failure, and one
/// whose result says `no-op` did nothing.
pub fn task_status(raw: Option<&str>, result_status: Option<&str>) -> (JobStatus, String) {
    let raw = raw.unwrap_or("").trim();
    let result_is = |what: &str| result_status.is_some_and(|s| s.trim().eq_ignore_ascii_case(what));
    let completed = raw.eq_ignore_ascii_case("completed");
    if completed && result_is("error") {
        (JobStatus::Failed, COMPLETED_WITH_ERROR.to_string())
    } else if completed && result_is("no-op") {
        (JobStatus::NoOp, COMPLETED_AS_NO_OP.to_string())
    } else {
        (JobSource::AbsurdTask.normalise(raw), raw.to_string())
    }
}

/// The failure text of a task: `error`, else `result.message`, else `result.errors` (a JSON
/// list of strings or objects, joined with `; ` so its one-line form keeps the first one).
/// Blank values count as absent.
pub fn failure_text(
    error: Option<&str>,
    result_message: Option<&str>,
    result_errors_json: Option<&str>,
) -> Option<String> {
    let present = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    present(error)
        .or_else(|| present(result_message))
        .or_else(|| result_errors_json.and_then(|j| join_errors(j, "; ")))
}

fn join_errors(json: &str, separator: &str) -> Option<String> {
    let text_of = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.trim().to_string(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let joined = match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Array(items)) => items
            .iter()
            .map(text_of)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(separator),
        Ok(value) => text_of(&value),
        Err(_) => json.trim().to_string(),
    };
    (!joined.is_empty()).then_some(joined)
}

/// The SQL condition for one normalised status.
pub fn status_sql(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Failed => FAILED_SQL,
        JobStatus::Succeeded => {
            "(status = 'completed' AND (result->>'status') IS DISTINCT FROM 'error' \
             AND (result->>'status') IS DISTINCT FROM 'no-op')"
        }
        JobStatus::NoOp => NO_OP_SQL,
        JobStatus::Queued => "status IN ('pending', 'retrying')",
        JobStatus::Running => "status = 'claimed'",
        JobStatus::Cancelled => "status = 'cancelled'",
        JobStatus::Unknown => {
            "status NOT IN ('pending', 'claimed', 'completed', 'failed', 'cancelled', 'retrying')"
        }
    }
}

/// The positive condition of one filter term on `absurd.tasks`.
fn term_sql(term: &Term, sql: &mut Sql) -> String {
    let needle = term.value.to_lowercase();
    let field = term.field.as_deref();
    if matches!(field, Some("status" | "state")) {
        // Normalised names (`failed` catches the trap) or the raw status as displayed.
        let pattern = sql.bind(Bind::Text(contains_pattern(&needle)));
        let mut alternatives: Vec<String> = JobStatus::ALL
            .into_iter()
            .filter(|s| s.name().contains(&needle))
            .map(|s| status_sql(s).to_string())
            .collect();
        alternatives.push(format!("status ILIKE {pattern}"));
        if COMPLETED_WITH_ERROR.contains(&needle) && !"completed".contains(&needle) {
            alternatives.push(FAILED_SQL.replace("status = 'failed' OR ", ""));
        }
        if COMPLETED_AS_NO_OP.contains(&needle) && !"completed".contains(&needle) {
            alternatives.push(NO_OP_SQL.to_string());
        }
        return alternatives.join(" OR ");
    }
    if field == Some("source") {
        return if JobSource::AbsurdTask.name().contains(&needle) {
            "TRUE".into()
        } else {
            "FALSE".into()
        };
    }
    let p = sql.bind(Bind::Text(contains_pattern(&term.value)));
    match field {
        None => format!(
            "task_name ILIKE {p} OR queue_name ILIKE {p} OR params::text ILIKE {p} \
             OR error ILIKE {p} OR result->>'message' ILIKE {p} OR task_id::text ILIKE {p}"
        ),
        Some("kind" | "task" | "stage" | "type" | "name") => format!("task_name ILIKE {p}"),
        // The target wherever the task keeps it, and the MS its result names.
        Some("ms" | "target" | "group") => {
            format!("{} ILIKE {p} OR {RESULT_MS_SQL} ILIKE {p}", target_sql())
        }
        Some("worker") => format!("worker_id ILIKE {p}"),
        Some("queue") => format!("queue_name ILIKE {p}"),
        Some("error" | "err") => format!(
            "error ILIKE {p} OR result->>'message' ILIKE {p} OR (result->'errors')::text ILIKE {p}"
        ),
        Some("id") => format!("task_id::text ILIKE {p}"),
        // A field tasks do not have matches nothing, as in the in-memory matcher.
        Some(_) => "FALSE".into(),
    }
}

/// Sort direction of the tasks list: newest first unless `created` is asked ascending.
fn descending(query: &ListQuery) -> bool {
    match &query.sort {
        Some(sort) if matches!(sort.column.as_str(), "created" | "created_at") => sort.descending,
        _ => true,
    }
}

/// The keyset position of a cursor: (created_at in microseconds, task id).
fn cursor_position(cursor: &Cursor) -> Result<(i64, String), QueueError> {
    let micros = match &cursor.value {
        SqlValue::Int(us) => *us,
        SqlValue::Real(s) => (s * 1e6).round() as i64,
        _ => {
            return Err(QueueError::Query(
                "tasks cursor has no creation time".into(),
            ));
        }
    };
    let key = cursor.key.strip_prefix("absurd:").unwrap_or(&cursor.key);
    let id = canonical_uuid(key)
        .ok_or_else(|| QueueError::Query(format!("tasks cursor key {key:?} is not a task id")))?;
    Ok((micros, id))
}

/// The SQL of one page of tasks.
pub(crate) fn tasks_sql(query: &ListQuery) -> Result<Sql, QueueError> {
    let mut sql = Sql::default();
    let mut clauses = filter_clauses(&query.filter, &mut sql, term_sql);
    let desc = descending(query);
    if let Some(cursor) = &query.after {
        let (micros, id) = cursor_position(cursor)?;
        let at = CURSOR_TIME_SQL.replace("{}", &sql.bind(Bind::Int(micros)));
        let id = sql.bind(Bind::Text(id));
        let (le, lt) = if desc { ("<=", "<") } else { (">=", ">") };
        // The first half alone is an index range on created_at; the second breaks ties.
        clauses.push(format!(
            "t.created_at {le} {at} AND (t.created_at {lt} {at} OR t.task_id {lt} {id}::uuid)"
        ));
    }
    let limit = sql.bind(Bind::Int(query.limit.max(1) as i64 + 1));
    let dir = if desc { "DESC" } else { "ASC" };
    sql.push(&format!(
        // Qualified: the output column `task_id` is text, and the order must be the uuid's,
        // as in the keyset condition above.
        "SELECT {} FROM absurd.tasks t WHERE {} \
         ORDER BY t.created_at {dir}, t.task_id {dir} LIMIT {limit}",
        task_columns(),
        and_all(&clauses)
    ));
    Ok(sql)
}

/// Cut the extra row that tells whether more follow, and point a cursor after the last row.
fn paginate(mut records: Vec<TaskRecord>, limit: usize) -> Page<JobRow> {
    let limit = limit.max(1);
    let has_more = records.len() > limit;
    records.truncate(limit);
    let next = has_more.then(|| records.last()).flatten().and_then(|last| {
        Some(Cursor {
            value: SqlValue::Int(last.created_us?),
            key: format!("absurd:{}", last.task_id),
        })
    });
    Page {
        rows: records.iter().map(TaskRecord::to_job_row).collect(),
        has_more,
        total: None,
        next,
    }
}

impl Queue {
    /// One page of tasks, newest first, filtered (see the module notes for the trap).
    pub async fn tasks(&self, query: &ListQuery) -> Result<Page<JobRow>, QueueError> {
        let sql = tasks_sql(query)?;
        let rows = self.fetch_all(&sql).await?;
        let records = rows
            .iter()
            .map(TaskRecord::from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.classify(&e))?;
        Ok(paginate(records, query.limit))
    }

    /// Everything about one task (`id` is its UUID, with or without the `absurd:` prefix).
    pub async fn task_detail(&self, id: &str) -> Result<Option<JobDetail>, QueueError> {
        let id = id.strip_prefix("absurd:").unwrap_or(id);
        let Some(id) = canonical_uuid(id) else {
            return Ok(None);
        };
        let mut sql = Sql::default();
        let p = sql.bind(Bind::Text(id));
        sql.push(&format!(
            "SELECT {}, jsonb_pretty(params) AS params_pretty, \
             jsonb_pretty(result) AS result_pretty, params::text AS params_json, \
             result::text AS result_json, priority::int8 AS priority, \
             timeout_sec::int8 AS timeout_sec, wait_time_sec::float8 AS wait_time_sec, \
             execution_time_sec::float8 AS execution_time_sec \
             FROM absurd.tasks WHERE task_id = {p}::uuid",
            task_columns()
        ));
        let mut conn = self.conn().await?;
        let row = sql
            .query()
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| self.classify(&e))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut detail = detail_from_row(&row).map_err(|e| self.classify(&e))?;
        if let Some(group) = detail.links.group.as_mut() {
            self.fill_group(group).await?;
        }
        Ok(Some(detail))
    }

    /// The group's row, when the queue has one (a queue without the ingestion tables has
    /// none, and that is no error).
    async fn fill_group(&self, group: &mut GroupLink) -> Result<(), QueueError> {
        let mut sql = Sql::default();
        let id = sql.bind(Bind::Text(group.id.clone()));
        sql.push(&format!(
            "SELECT state, subband_count::int8 AS subband_count, \
             expected_subbands::int8 AS expected_subbands, ms_path \
             FROM absurd.ingestion_groups WHERE group_id = {id}"
        ));
        let rows = match self.fetch_all(&sql).await {
            Ok(rows) => rows,
            Err(e) if e.is_missing() => return Ok(()),
            Err(e) => return Err(e),
        };
        let Some(row) = rows.first() else {
            return Ok(());
        };
        let mut read = || -> Result<(), sqlx::Error> {
            group.state = get(row, "state")?;
            let count: Option<i64> = get(row, "subband_count")?;
            let expected: Option<i64> = get(row, "expected_subbands")?;
            group.subbands =
                count.map(|c| (c, expected.unwrap_or(super::groups::EXPECTED_SUBBANDS)));
            group.ms_path = get(row, "ms_path")?;
            Ok(())
        };
        read().map_err(|e| self.classify(&e))
    }

    /// Run a query through the measured pool.
    pub(crate) async fn fetch_all(&self, sql: &Sql) -> Result<Vec<PgRow>, QueueError> {
        let mut conn = self.conn().await?;
        sql.query()
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| self.classify(&e))
    }
}

fn detail_from_row(row: &PgRow) -> Result<JobDetail, sqlx::Error> {
    let record = TaskRecord::from_row(row)?;
    let priority: Option<i64> = get(row, "priority")?;
    let timeout: Option<i64> = get(row, "timeout_sec")?;
    let waited: Option<f64> = get(row, "wait_time_sec")?;
    let ran: Option<f64> = get(row, "execution_time_sec")?;
    let mut extra = vec![
        ("queue".to_string(), opt_text(record.queue_name.as_deref())),
        ("worker".to_string(), opt_text(record.worker_id.as_deref())),
        (
            "attempt".to_string(),
            format!(
                "{}/{}",
                opt_num(record.attempt),
                opt_num(record.max_retries)
            ),
        ),
        ("priority".to_string(), opt_num(priority)),
        (
            "timeout".to_string(),
            timeout.map_or("—".into(), |t| format!("{t} s")),
        ),
        (
            "waited".to_string(),
            waited.map_or("—".into(), fmt_duration),
        ),
        ("ran".to_string(), ran.map_or("—".into(), fmt_duration)),
    ];
    if let Some(result_status) = &record.result_status {
        extra.push(("result status".to_string(), result_status.clone()));
    }
    if let Some(worker) = &record.worker_id
        && record.status.as_deref() == Some("claimed")
    {
        // No heartbeat is stored and timeout_sec is not enforced: a dead worker's claim
        // stays `claimed` for ever.
        let held = record
            .claimed_s
            .map(|c| format!(" since {}", crate::text::fmt_utc(c)));
        extra.push((
            "claim".to_string(),
            format!(
                "held by {worker}{} (no heartbeat is recorded)",
                held.unwrap_or_default()
            ),
        ));
    }
    if record.status().0 == JobStatus::NoOp {
        extra.push(("did".to_string(), NO_OP_EXPLAINED.to_string()));
    }
    let json = |column: &str| -> Result<serde_json::Value, sqlx::Error> {
        let text: Option<String> = get(row, column)?;
        Ok(text
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(serde_json::Value::Null))
    };
    let links = super::target::links(
        record.task_name.as_deref().unwrap_or(""),
        &json("params_json")?,
        &json("result_json")?,
    );
    Ok(JobDetail {
        error_full: full_error(&record),
        row: record.to_job_row(),
        logs: Vec::new(),
        log_file: None,
        params_pretty: get(row, "params_pretty")?,
        artifacts_pretty: get(row, "result_pretty")?,
        extra,
        links,
    })
}

/// Everything the task says about its failure: the exception, then the result's own words
/// when they add something.
fn full_error(record: &TaskRecord) -> Option<String> {
    if record.status().0 != JobStatus::Failed {
        // A success's or a no-op's message is no error; a cancel keeps its `error` text.
        return record.error.clone().filter(|e| !e.trim().is_empty());
    }
    let mut parts: Vec<String> = Vec::new();
    let candidates = [
        record.error.clone(),
        record.result_message.clone(),
        record
            .result_errors
            .as_deref()
            .and_then(|j| join_errors(j, "\n")),
    ];
    for text in candidates.into_iter().flatten() {
        let text = text.trim().to_string();
        if !text.is_empty() && !parts.contains(&text) {
            parts.push(text);
        }
    }
    (!parts.is_empty()).then(|| parts.join("\n"))
}

fn opt_text(s: Option<&str>) -> String {
    s.filter(|s| !s.is_empty()).unwrap_or("—").to_string()
}

fn opt_num(n: Option<i64>) -> String {
    n.map_or("—".into(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Filter;

    fn record(status: &str, result_status: Option<&str>) -> TaskRecord {
        TaskRecord {
            task_id: "0b7f3c1e-8a2d-4f6b-9c3e-1d2a3b4c5d6e".into(),
            task_name: Some("imaging".into()),
            status: Some(status.into()),
            result_status: result_status.map(String::from),
            created_s: Some(1_761_056_599.0),
            created_us: Some(1_761_056_599_000_000),
            ..TaskRecord::default()
        }
    }

    #[test]
    fn a_completed_task_whose_result_says_error_is_failed() {
        let (status, raw) = task_status(Some("completed"), Some("error"));
        assert_eq!(status, JobStatus::Failed);
        assert_eq!(raw, "completed (result: error)");
        assert_eq!(
            task_status(Some("completed"), Some("success")).0,
            JobStatus::Succeeded
        );
        assert_eq!(task_status(Some("completed"), None).0, JobStatus::Succeeded);
        assert_eq!(task_status(Some("claimed"), None).0, JobStatus::Running);
        assert_eq!(task_status(None, None).0, JobStatus::Unknown);
    }

    #[test]
    fn the_result_message_explains_a_completed_with_error_task() {
        let mut task = record("completed", Some("error"));
        task.result_message = Some(
            "Calibration solve failed for /stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms".into(),
        );
        let row = task.to_job_row();
        assert_eq!(row.status, JobStatus::Failed);
        assert_eq!(
            row.error_line.as_deref(),
            Some("Calibration solve failed for /stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms")
        );
    }

    #[test]
    fn failure_text_prefers_error_then_message_then_errors() {
        assert_eq!(
            failure_text(Some("KeyError: 'x'"), Some("m"), None).as_deref(),
            Some("KeyError: 'x'")
        );
        assert_eq!(
            failure_text(Some("  "), Some("no caltables"), None).as_deref(),
            Some("no caltables")
        );
        assert_eq!(
            failure_text(None, None, Some(r#"["flagging failed", {"code": 3}]"#)).as_deref(),
            Some("flagging failed; {\"code\":3}")
        );
        assert_eq!(failure_text(None, None, Some("[]")), None);
    }

    #[test]
    fn a_succeeded_task_shows_no_error_line_even_with_a_message() {
        let mut task = record("completed", Some("success"));
        task.result_message = Some("imaged 1 field".into());
        assert_eq!(task.to_job_row().error_line, None);
    }

    #[test]
    fn the_failed_filter_includes_the_trap_and_binds_every_value() {
        let query = ListQuery {
            filter: Filter::parse("status:failed ms:'x' !worker:w1"),
            ..ListQuery::default()
        };
        let sql = tasks_sql(&query).unwrap();
        assert!(sql.text.contains(FAILED_SQL), "{}", sql.text);
        assert!(!sql.text.contains("'x'"), "values are bound: {}", sql.text);
        assert!(sql.binds.contains(&Bind::Text("%'x'%".into())));
        assert!(sql.text.contains("NOT COALESCE((worker_id ILIKE"));
    }

    #[test]
    fn a_page_cursor_continues_strictly_after_the_last_row() {
        let records: Vec<TaskRecord> = (0..3)
            .map(|i| TaskRecord {
                task_id: format!("00000000-0000-4000-8000-00000000000{i}"),
                created_us: Some(1_000_000 - i),
                ..TaskRecord::default()
            })
            .collect();
        let page = paginate(records, 2);
        assert!(page.has_more);
        assert_eq!(page.rows.len(), 2);
        let cursor = page.next.unwrap();
        assert_eq!(cursor.value, SqlValue::Int(999_999));
        assert_eq!(
            cursor_position(&cursor).unwrap(),
            (999_999, "00000000-0000-4000-8000-000000000001".into())
        );
    }

    #[test]
    fn a_cursor_that_is_not_a_task_id_is_refused() {
        let cursor = Cursor {
            value: SqlValue::Int(1),
            key: "jobs:17".into(),
        };
        assert!(cursor_position(&cursor).is_err());
    }
}
