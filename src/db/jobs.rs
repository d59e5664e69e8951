//! The Jobs list: one page merged from `jobs`, `ms_state` and `batch_job_items`.
//!
//! Each source is read newest first with its own LIMIT and keyset condition, then merged in
//! Rust on one total order: (time, source, source key), so the cursor `(time, "source:id")`
//! continues every source exactly where the merged page stopped. A missing source table is
//! skipped; only when all three are missing is the list `MissingTable`.

use std::cmp::Ordering;

use sqlx::sqlite::SqliteRow;

use crate::db::filter::check_fields;
use crate::db::keyset::{After, Order, SORT_KEY, Tie, ValueKind, segment_queries_at_least};
use crate::db::schema::Schema;
use crate::db::sql::{self, Bind, Conditions, SqlBuf, any_of, in_list, like_condition, negate};
use crate::db::{Db, DbError};
use crate::query::{Cursor, Filter, ListQuery, SqlValue, Term};
use crate::snapshot::jobs::error_one_liner;
use crate::snapshot::{JobKey, JobRow, JobSource, JobStatus, Page};

pub const SORT_NAMES: &[&str] = &["time"];
pub const FIELD_NAMES: &[&str] = &["status", "source", "kind", "ms", "error", "id"];

/// The sources this database holds, in the order that breaks ties between them.
const DB_SOURCES: [JobSource; 3] = [JobSource::Jobs, JobSource::MsState, JobSource::BatchItem];

/// `ms_state.retry_count` stops at this many.
const MS_STATE_MAX_RETRIES: i64 = 3;

/// Characters of `jobs.logs` read for the one-line error: the reason is at the end.
const LOG_TAIL_CHARS: i64 = 8000;

/// How one source maps onto the common job columns (all expressions from the schema).
#[derive(Debug, Clone)]
pub(crate) struct SourceSql {
    pub source: JobSource,
    pub from: String,
    pub key: String,
    pub key_kind: ValueKind,
    pub time: String,
    pub status: String,
    pub kind: String,
    pub target: String,
    pub error: String,
    pub columns: String,
}

/// The SQL shape of `source` in this schema, or `None` when its table is missing.
pub(crate) fn source_sql(source: JobSource, s: &Schema) -> Option<SourceSql> {
    match source {
        JobSource::Jobs if s.has_table("jobs") => {
            let status = s.col("jobs", "", "status");
            let logs = s.col("jobs", "", "logs");
            let error = if logs == "NULL" || status == "NULL" {
                "NULL".to_string()
            } else {
                format!(
                    "CASE WHEN {status} IN ('failed','error') THEN substr({logs}, -{LOG_TAIL_CHARS}) END"
                )
            };
            let key = s.col("jobs", "", "id");
            let columns = [
                (key.as_str(), "job_id"),
                (&s.col("jobs", "", "type"), "kind"),
                (&status, "raw_status"),
                (&s.col("jobs", "", "ms_path"), "target"),
                (&s.col("jobs", "", "created_at"), "created_at"),
                (&s.col("jobs", "", "started_at"), "started_at"),
                (&s.col("jobs", "", "finished_at"), "finished_at"),
                ("NULL", "attempts"),
                ("NULL", "max_attempts"),
                (&error, "error_text"),
            ];
            Some(SourceSql {
                source,
                from: "jobs".into(),
                key: key.clone(),
                key_kind: ValueKind::Int,
                time: s.col("jobs", "", "created_at"),
                kind: s.col("jobs", "", "type"),
                target: s.col("jobs", "", "ms_path"),
                error: logs,
                columns: select(&columns),
                status,
            })
        }
        JobSource::MsState if s.has_table("ms_state") => {
            let state = s.col("ms_state", "", "current_state");
            let transition = s.col("ms_state", "", "transition_time");
            // The state machine records only when it entered its current state: that is the
            // start of work in progress, and the end of a finished MS — whose start is unknown
            // (reporting both as the transition would claim a run time of zero).
            let (started, finished) = if state == "NULL" || transition == "NULL" {
                (transition.clone(), "NULL".to_string())
            } else {
                let terminal = format!("{state} IN ('done','failed','error')");
                (
                    format!("CASE WHEN {terminal} THEN NULL ELSE {transition} END"),
                    format!("CASE WHEN {terminal} THEN {transition} END"),
                )
            };
            let key = s.col("ms_state", "", "ms_path");
            let max = MS_STATE_MAX_RETRIES.to_string();
            let columns = [
                (key.as_str(), "job_id"),
                (&state, "kind"),
                (&state, "raw_status"),
                (&key, "target"),
                (&s.col("ms_state", "", "created_at"), "created_at"),
                (&started, "started_at"),
                (&finished, "finished_at"),
                (&s.col("ms_state", "", "retry_count"), "attempts"),
                (&max, "max_attempts"),
                (&s.col("ms_state", "", "error_message"), "error_text"),
            ];
            Some(SourceSql {
                source,
                from: "ms_state".into(),
                key: key.clone(),
                key_kind: ValueKind::Text,
                // The bare column (not a COALESCE) so an index on it, should the pipeline
                // add one, serves the order; every transition sets it.
                time: if transition != "NULL" {
                    transition.clone()
                } else {
                    s.col("ms_state", "", "created_at")
                },
                kind: state.clone(),
                target: key.clone(),
                error: s.col("ms_state", "", "error_message"),
                columns: select(&columns),
                status: state,
            })
        }
        JobSource::BatchItem if s.has_table("batch_job_items") => {
            let joined = s.has_table("batch_jobs") && s.has_column("batch_job_items", "batch_id");
            let from = if joined {
                "batch_job_items AS bi LEFT JOIN batch_jobs AS b ON b.id = bi.batch_id"
            } else {
                "batch_job_items AS bi"
            };
            let b = |c: &str| {
                if joined {
                    s.col("batch_jobs", "b", c)
                } else {
                    "NULL".into()
                }
            };
            let bi = |c: &str| s.col("batch_job_items", "bi", c);
            let key = bi("id");
            let columns = [
                (key.as_str(), "job_id"),
                (&b("type"), "kind"),
                (&bi("status"), "raw_status"),
                (&bi("ms_path"), "target"),
                (&b("created_at"), "created_at"),
                (&bi("started_at"), "started_at"),
                (&bi("completed_at"), "finished_at"),
                ("NULL", "attempts"),
                ("NULL", "max_attempts"),
                (&bi("error"), "error_text"),
            ];
            Some(SourceSql {
                source,
                from: from.into(),
                key: key.clone(),
                key_kind: ValueKind::Int,
                time: sql::coalesce(&[bi("started_at"), bi("completed_at"), b("created_at")]),
                status: bi("status"),
                kind: b("type"),
                target: bi("ms_path"),
                error: bi("error"),
                columns: select(&columns),
            })
        }
        _ => None,
    }
}

fn select(columns: &[(&str, &str)]) -> String {
    columns
        .iter()
        .map(|(expr, alias)| format!("{expr} AS {alias}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statuses a `status:` value names: a prefix of a normalised status (`fail` → failed).
fn statuses_named(term: &Term) -> Result<Vec<JobStatus>, DbError> {
    let value = term.value.to_ascii_lowercase();
    let found: Vec<JobStatus> = JobStatus::ALL
        .into_iter()
        .filter(|s| s.name().starts_with(&value))
        .collect();
    if found.is_empty() {
        return Err(DbError::BadValue {
            field: "status".into(),
            value: term.value.clone(),
            expected: JobStatus::ALL.map(|s| s.name()).join(", "),
        });
    }
    Ok(found)
}

/// Sources a `source:` value names (substring of `jobs`, `ms_state`, `batch`, `absurd`).
fn sources_named(term: &Term) -> Result<Vec<JobSource>, DbError> {
    let value = term.value.to_ascii_lowercase();
    let found: Vec<JobSource> = JobSource::ALL
        .into_iter()
        .filter(|s| s.name().contains(&value) || JobSource::parse(&value) == Some(*s))
        .collect();
    if found.is_empty() {
        return Err(DbError::BadValue {
            field: "source".into(),
            value: term.value.clone(),
            expected: JobSource::ALL.map(|s| s.name()).join(", "),
        });
    }
    Ok(found)
}

/// Which of the sources the filter keeps.
pub(crate) fn selected_sources(filter: &Filter) -> Result<Vec<JobSource>, DbError> {
    let mut keep: Vec<JobSource> = DB_SOURCES.to_vec();
    for term in filter.field_terms("source") {
        let named = sources_named(term)?;
        keep.retain(|s| named.contains(s) != term.negated);
    }
    Ok(keep)
}

/// The raw-status condition of one `status:` term on one source; `None` when the source
/// cannot match the term at all.
///
/// `walk_time` writes the column as `+status`, which keeps SQLite off the status index: when
/// the statuses asked for are common, walking the time index newest first and stopping at a
/// page is far cheaper than collecting every match through the status index and sorting it.
pub(crate) fn status_condition(
    src: &SourceSql,
    statuses: &[JobStatus],
    negated: bool,
    walk_time: bool,
) -> Option<SqlBuf> {
    let raws: Vec<&str> = statuses
        .iter()
        .flat_map(|s| s.raw_values(src.source).iter().copied())
        .collect();
    let known: Vec<&str> = JobStatus::ALL
        .iter()
        .flat_map(|s| s.raw_values(src.source).iter().copied())
        .collect();
    // A positive term keeps the bare column so SQLite can use the status index; a negated
    // one reads NULL as '' so rows without a status are kept.
    let expr = if negated {
        format!("IFNULL({},'')", src.status)
    } else if walk_time {
        format!("+{}", src.status)
    } else {
        src.status.clone()
    };
    let mut parts = Vec::new();
    if !raws.is_empty() {
        parts.push(in_list(&expr, &raws));
    }
    if statuses.contains(&JobStatus::Unknown) {
        parts.push(negate(in_list(
            &format!("IFNULL({},'')", src.status),
            &known,
        )));
    }
    match (any_of(parts), negated) {
        (Some(cond), false) => Some(cond),
        (Some(cond), true) => Some(negate(cond)),
        (None, false) => None,
        (None, true) => Some(SqlBuf::new("1")),
    }
}

/// The WHERE conditions of `filter` on one source; `None` when it can match nothing.
pub(crate) fn source_conditions(
    src: &SourceSql,
    filter: &Filter,
) -> Result<Option<Conditions>, DbError> {
    source_conditions_walking(src, filter, false)
}

fn source_conditions_walking(
    src: &SourceSql,
    filter: &Filter,
    walk_time: bool,
) -> Result<Option<Conditions>, DbError> {
    let mut out = Conditions::default();
    for term in &filter.terms {
        let cond = match term.field.as_deref() {
            Some("source") => continue,
            Some("status") => {
                match status_condition(src, &statuses_named(term)?, term.negated, walk_time) {
                    Some(c) => c,
                    None => return Ok(None),
                }
            }
            Some(field) => {
                if field == "id" {
                    // An id names one row: `id:7` is job 7, never 17 or 70.
                    let cond = SqlBuf::with(
                        format!("IFNULL(CAST({} AS TEXT) = ?, 0)", src.key),
                        vec![Bind::Text(term.value.trim().to_string())],
                    );
                    out.add(maybe_negate(cond, term.negated));
                    continue;
                }
                let expr = match field {
                    "kind" => &src.kind,
                    "ms" => &src.target,
                    "error" => &src.error,
                    _ => {
                        return Err(DbError::UnknownField {
                            field: field.to_string(),
                            known: FIELD_NAMES,
                        });
                    }
                };
                maybe_negate(like_condition(expr, &term.value), term.negated)
            }
            None => {
                let conds = [&src.kind, &src.target, &src.error, &src.status]
                    .into_iter()
                    .filter(|e| *e != "NULL")
                    .map(|e| like_condition(e, &term.value))
                    .collect();
                maybe_negate(
                    any_of(conds).unwrap_or_else(|| SqlBuf::new("0")),
                    term.negated,
                )
            }
        };
        out.add(cond);
    }
    Ok(Some(out))
}

fn maybe_negate(cond: SqlBuf, negated: bool) -> SqlBuf {
    if negated { negate(cond) } else { cond }
}

fn rank(source: JobSource) -> usize {
    DB_SOURCES.iter().position(|s| *s == source).unwrap_or(0)
}

/// The statements one source runs for a page, in order.
pub(crate) type SourcePlan = (JobSource, Vec<SqlBuf>);

/// A source's own key, compared as SQLite compares it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum KeyVal {
    Int(i64),
    Text(String),
}

/// A job row with what the merge orders it by.
#[derive(Debug, Clone)]
pub(crate) struct Ordered {
    pub time: Option<f64>,
    key: KeyVal,
    pub row: JobRow,
}

/// Newest first: set times before NULL ones, then by source rank, then key, all descending.
fn cmp_desc(a: &Ordered, b: &Ordered) -> Ordering {
    let time = match (a.time, b.time) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    time.then_with(|| rank(b.row.key.source).cmp(&rank(a.row.key.source)))
        .then_with(|| b.key.cmp(&a.key))
}

/// Where a cursor of the merged list puts one source: strictly after the cursor's row for
/// its own source; for the others, at equal times, before or after by source rank.
fn after_for(source: &SourceSql, cursor: &Cursor, descending: bool) -> Result<After, DbError> {
    let bad = || DbError::BadValue {
        field: "cursor".into(),
        value: cursor.key.clone(),
        expected: "source:id".into(),
    };
    let (name, id) = cursor.key.split_once(':').ok_or_else(bad)?;
    let cursor_source = JobSource::parse(name).ok_or_else(bad)?;
    let tie = if cursor_source == source.source {
        Tie::Key(crate::db::keyset::key_bind(source.key_kind, id).ok_or_else(bad)?)
    } else {
        let comes_after = if descending {
            rank(source.source) < rank(cursor_source)
        } else {
            rank(source.source) > rank(cursor_source)
        };
        if comes_after {
            Tie::IncludeEqual
        } else {
            Tie::ExcludeEqual
        }
    };
    Ok(After {
        value: Bind::from_value(&cursor.value),
        tie,
    })
}

/// The common row of one source's job, as read by a page or detail query.
pub(crate) fn job_row_of(source: JobSource, r: &SqliteRow) -> JobRow {
    job_row(source, r).row
}

fn job_row(source: JobSource, r: &SqliteRow) -> Ordered {
    let raw_status = sql::text(r, "raw_status").unwrap_or_default();
    let status = JobStatus::normalise(source, &raw_status);
    let error_line = sql::text(r, "error_text").and_then(|t| error_one_liner(&t));
    let key = match source {
        JobSource::MsState => KeyVal::Text(sql::text(r, SORT_KEY).unwrap_or_default()),
        _ => KeyVal::Int(sql::int(r, SORT_KEY).unwrap_or_default()),
    };
    Ordered {
        time: sql::real(r, crate::db::keyset::SORT_VALUE),
        key,
        row: JobRow {
            key: JobKey {
                source,
                id: sql::text(r, "job_id").unwrap_or_default(),
            },
            kind: sql::text(r, "kind"),
            status,
            raw_status,
            target: sql::text(r, "target"),
            created_at: sql::real(r, "created_at"),
            started_at: sql::real(r, "started_at"),
            finished_at: sql::real(r, "finished_at"),
            attempts: sql::int(r, "attempts"),
            max_attempts: sql::int(r, "max_attempts"),
            error_line,
        },
    }
}

impl Db {
    /// The job sources this database has (a missing table is skipped, not an error): the UI
    /// can say which are absent.
    pub fn job_sources(&self) -> Vec<JobSource> {
        let schema = self.schema();
        DB_SOURCES
            .into_iter()
            .filter(|s| source_sql(*s, &schema).is_some())
            .collect()
    }

    /// One page of jobs from every source, newest first.
    pub(crate) async fn jobs_now(&self, q: &ListQuery) -> Result<Page<JobRow>, DbError> {
        let (rows, has_more) = self.jobs_ordered(q, None).await?;
        let next = has_more
            .then(|| {
                rows.last().map(|o| Cursor {
                    value: o.time.map_or(SqlValue::Null, SqlValue::Real),
                    key: o.row.key.to_string(),
                })
            })
            .flatten();
        Ok(Page {
            rows: rows.into_iter().map(|o| o.row).collect(),
            has_more,
            total: None,
            next,
        })
    }

    /// The merged page with each row's order time; `target` restricts to one MS (exact).
    ///
    /// Sources are read in turn. Once one has filled a page, nothing older than its last row
    /// can reach the merged page, so (newest first) the sources after it read only rows at
    /// least that new: `ms_state` and `batch_job_items` have no time index in the pipeline's
    /// schema, and sorting all their rows for a page is most of the Jobs tab's cost at a year.
    pub(crate) async fn jobs_ordered(
        &self,
        q: &ListQuery,
        target: Option<&str>,
    ) -> Result<(Vec<Ordered>, bool), DbError> {
        self.jobs_ordered_since(q, target, None).await
    }

    /// [`Db::jobs_ordered`] reading, newest first, only rows whose order time is at least
    /// `floor` (rows without one are left out too).
    pub(crate) async fn jobs_ordered_since(
        &self,
        q: &ListQuery,
        target: Option<&str>,
        floor: Option<f64>,
    ) -> Result<(Vec<Ordered>, bool), DbError> {
        let limit = crate::db::page_limit(q.limit);
        let walk = self.status_is_common(q, target, limit, floor).await?;
        let (inputs, descending) = self.job_inputs(q, target, walk)?;
        let mut merged = Vec::new();
        let mut any_more = false;
        let mut bound: Option<f64> = floor.filter(|_| descending);
        for input in inputs {
            let queries = input.statements(bound);
            let (rows, more) = self
                .fetch_page(input.src.source.name(), queries, limit)
                .await?;
            any_more |= more;
            let rows: Vec<Ordered> = rows.iter().map(|r| job_row(input.src.source, r)).collect();
            if descending
                && more
                && let Some(t) = rows.last().and_then(|o| o.time)
            {
                bound = Some(bound.map_or(t, |b| b.max(t)));
            }
            merged.extend(rows);
        }
        merged.sort_by(|a, b| {
            let ord = cmp_desc(a, b);
            if descending { ord } else { ord.reverse() }
        });
        let has_more = any_more || merged.len() > limit;
        merged.truncate(limit);
        Ok((merged, has_more))
    }

    /// The statements each source runs for this page, and whether the order is descending.
    pub(crate) fn job_queries(
        &self,
        q: &ListQuery,
        target: Option<&str>,
    ) -> Result<(Vec<SourcePlan>, bool), DbError> {
        let (inputs, descending) = self.job_inputs(q, target, false)?;
        let plans = inputs
            .into_iter()
            .map(|i| (i.src.source, i.statements(None)))
            .collect();
        Ok((plans, descending))
    }

    /// Whether `jobs` rows with the statuses `q` asks for (its only terms) are common enough
    /// that walking the time index finds a page sooner than the status index and a sort: the
    /// walk visits about `limit × rows / matches` rows, the sort every match. One COUNT on the
    /// status index (a millisecond for tens of thousands of matches) decides.
    async fn status_is_common(
        &self,
        q: &ListQuery,
        target: Option<&str>,
        limit: usize,
        floor: Option<f64>,
    ) -> Result<bool, DbError> {
        let schema = self.schema();
        let only_positive_status = !q.filter.terms.is_empty()
            && q.filter
                .terms
                .iter()
                .all(|t| t.field.as_deref() == Some("status") && !t.negated);
        let Some(src) = source_sql(JobSource::Jobs, &schema) else {
            return Ok(false);
        };
        if target.is_some()
            || !only_positive_status
            || src.status == "NULL"
            || !selected_sources(&q.filter)?.contains(&JobSource::Jobs)
            || q.sort.as_ref().is_some_and(|s| !s.descending)
        {
            return Ok(false);
        }
        let Some(conds) = source_conditions(&src, &q.filter)? else {
            return Ok(false);
        };
        let mut count = SqlBuf::new("SELECT COUNT(*) FROM jobs");
        count.push_buf(conds.where_clause());
        let matches = self.scalar("jobs status count", count).await?.unwrap_or(0);
        let rows = self
            .scalar("jobs rows", SqlBuf::new("SELECT MAX(rowid) FROM jobs"))
            .await?
            .unwrap_or(0);
        // Above a floor the walk stops there: it visits the rows since then at most.
        let since_floor = match floor {
            Some(f) if src.time != "NULL" => Some(
                self.scalar(
                    "jobs rows since",
                    SqlBuf::with(
                        format!("SELECT COUNT(*) FROM jobs WHERE {} >= ?", src.time),
                        vec![Bind::Real(f)],
                    ),
                )
                .await?
                .unwrap_or(0),
            ),
            _ => None,
        };
        Ok(walk_is_cheaper(matches, rows, limit, since_floor))
    }

    fn job_inputs(
        &self,
        q: &ListQuery,
        target: Option<&str>,
        walk_jobs_by_time: bool,
    ) -> Result<(Vec<SourceInput>, bool), DbError> {
        check_fields(&q.filter, FIELD_NAMES)?;
        let descending = match &q.sort {
            None => true,
            Some(s) if s.column.eq_ignore_ascii_case("time") => s.descending,
            Some(s) => {
                return Err(DbError::UnknownSort {
                    column: s.column.clone(),
                    known: SORT_NAMES,
                });
            }
        };
        let schema = self.schema();
        let present: Vec<SourceSql> = DB_SOURCES
            .iter()
            .filter_map(|s| source_sql(*s, &schema))
            .collect();
        if present.is_empty() {
            return Err(DbError::MissingTable("jobs".into()));
        }
        let wanted = selected_sources(&q.filter)?;
        let mut inputs = Vec::new();
        for src in present.into_iter().filter(|s| wanted.contains(&s.source)) {
            let walk = walk_jobs_by_time && src.source == JobSource::Jobs;
            let Some(mut conds) = source_conditions_walking(&src, &q.filter, walk)? else {
                continue;
            };
            if let Some(t) = target {
                if src.target == "NULL" {
                    continue;
                }
                conds.add(SqlBuf::with(
                    format!("{} = ?", src.target),
                    vec![Bind::Text(t.to_string())],
                ));
            }
            let order = Order {
                expr: src.time.clone(),
                kind: ValueKind::Real,
                key: src.key.clone(),
                key_kind: src.key_kind,
                descending,
            };
            let after = q
                .after
                .as_ref()
                .map(|c| after_for(&src, c, descending))
                .transpose()?;
            inputs.push(SourceInput {
                src,
                conds,
                order,
                after,
            });
        }
        Ok((inputs, descending))
    }
}

/// Walking `rows` newest first visits about `limit × rows / matches` of them to fill a page;
/// collecting the matches costs a visit and a sort place each (counted as three visits, from
/// timings on a year of jobs: 15 000 failures sorted in ~100 ms, a walk of ~5 000 in ~2 ms).
/// `since_floor`: rows above the walk's floor, where it stops anyway.
fn walk_is_cheaper(matches: i64, rows: i64, limit: usize, since_floor: Option<i64>) -> bool {
    if matches <= 0 {
        return false;
    }
    let mut walk = (limit as f64) * (rows as f64) / (matches as f64);
    if let Some(n) = since_floor {
        walk = walk.min(n as f64);
    }
    walk < 3.0 * matches as f64
}

/// What one source's page statements are made of.
struct SourceInput {
    src: SourceSql,
    conds: Conditions,
    order: Order,
    after: Option<After>,
}

impl SourceInput {
    /// The statements, reading only rows at least as new as `bound` when one is given
    /// (rows without a time sort last newest first, and are left out with it).
    fn statements(&self, bound: Option<f64>) -> Vec<SqlBuf> {
        segment_queries_at_least(
            &self.src.columns,
            &self.src.from,
            &self.conds,
            &self.order,
            self.after.as_ref(),
            bound.map(Bind::Real),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_schema() -> Schema {
        let cols = [
            (
                "jobs",
                &["id", "type", "status", "ms_path", "logs", "created_at"][..],
            ),
            (
                "ms_state",
                &["ms_path", "current_state", "transition_time", "created_at"][..],
            ),
        ];
        Schema::from_parts(
            cols.iter()
                .flat_map(|(t, cs)| cs.iter().map(|c| (t.to_string(), c.to_string()))),
            [],
        )
    }

    #[test]
    fn a_common_status_walks_the_time_index_and_a_rare_one_sorts_its_matches() {
        // A year: 384 000 jobs, 15 500 failed — the walk visits ~5 000 rows.
        assert!(walk_is_cheaper(15_500, 384_000, 200, None));
        // Fifty failures in a year: sorting fifty beats walking the whole index.
        assert!(!walk_is_cheaper(50, 384_000, 200, None));
        assert!(!walk_is_cheaper(0, 384_000, 200, None));
        // Triage's 5 000 newest failures of a day: the walk stops at the day's 2 000 jobs.
        assert!(!walk_is_cheaper(15_500, 384_000, 5_000, None));
        assert!(walk_is_cheaper(15_500, 384_000, 5_000, Some(2_000)));
    }

    #[test]
    fn failed_only_asks_each_source_for_its_own_failure_words() {
        let s = full_schema();
        let jobs = source_sql(JobSource::Jobs, &s).unwrap();
        let cond = source_conditions(&jobs, &Filter::parse("status:failed"))
            .unwrap()
            .unwrap();
        assert_eq!(cond.where_clause().text, " WHERE ((status IN (?,?)))");
        let ms = source_sql(JobSource::MsState, &s).unwrap();
        let cond = source_conditions(&ms, &Filter::parse("status:failed"))
            .unwrap()
            .unwrap();
        assert!(cond.where_clause().text.contains("current_state IN (?,?)"));
    }

    #[test]
    fn a_status_a_source_never_has_skips_that_source() {
        let s = full_schema();
        let ms = source_sql(JobSource::MsState, &s).unwrap();
        assert!(
            source_conditions(&ms, &Filter::parse("status:cancelled"))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn source_terms_pick_and_drop_sources() {
        assert_eq!(
            selected_sources(&Filter::parse("source:batch")).unwrap(),
            vec![JobSource::BatchItem]
        );
        assert_eq!(
            selected_sources(&Filter::parse("!source:jobs")).unwrap(),
            vec![JobSource::MsState, JobSource::BatchItem]
        );
        assert!(selected_sources(&Filter::parse("source:slurm")).is_err());
    }

    #[test]
    fn a_missing_batch_table_means_no_batch_source() {
        assert!(source_sql(JobSource::BatchItem, &full_schema()).is_none());
    }

    #[test]
    fn an_unknown_status_word_is_refused() {
        let err = statuses_named(&Term {
            field: Some("status".into()),
            value: "exploded".into(),
            negated: false,
        })
        .unwrap_err();
        assert!(err.to_string().contains("queued"));
    }
}
