//! `absurd.ingestion_groups`: one row per observation (16 subband files) on its way to becoming
//! a Measurement Set. A group stuck `collecting` short of its subbands is a classic problem.

use std::time::Duration;

use sqlx::postgres::PgRow;

use super::sql::{Bind, Sql, and_all, contains_pattern, filter_clauses, get};
use super::{Queue, QueueError};
use crate::query::{Cursor, ListQuery, SqlValue, Term};
use crate::snapshot::Page;

/// Subband files per observation when the row does not say.
pub const EXPECTED_SUBBANDS: i64 = 16;

/// The error column is `error_message` in the documented schema and `error` in some
/// pipeline versions: read whichever the row has (`to_jsonb` tolerates a missing column).
const ERROR_SQL: &str = "COALESCE(to_jsonb(g)->>'error_message', to_jsonb(g)->>'error')";

const GROUP_COLUMNS: &str = "g.group_id, g.state, g.subband_count::int8 AS subband_count, \
     g.expected_subbands::int8 AS expected_subbands, g.dec_deg::float8 AS dec_deg, \
     g.ra_deg::float8 AS ra_deg, \
     EXTRACT(EPOCH FROM g.created_at)::float8 AS created_s, \
     (EXTRACT(EPOCH FROM g.created_at) * 1000000)::int8 AS created_us, \
     EXTRACT(EPOCH FROM g.updated_at)::float8 AS updated_s, \
     EXTRACT(EPOCH FROM g.completed_at)::float8 AS completed_s, g.ms_path";

/// One ingestion group. Times are Unix seconds.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct IngestGroupRow {
    pub group_id: String,
    pub state: Option<String>,
    pub subband_count: Option<i64>,
    pub expected_subbands: Option<i64>,
    pub dec_deg: Option<f64>,
    pub ra_deg: Option<f64>,
    pub created_at: Option<f64>,
    pub updated_at: Option<f64>,
    pub completed_at: Option<f64>,
    pub ms_path: Option<String>,
    pub error_message: Option<String>,
    /// Exact creation time in microseconds: the keyset value of the list.
    #[serde(skip)]
    pub created_us: Option<i64>,
    /// The subband indexes received (`absurd.ingestion_subbands`), when read.
    pub received: Option<Vec<i64>>,
}

impl IngestGroupRow {
    /// The subbands not received yet (`sb11, sb12, …`), when the received ones were read.
    pub fn missing_subbands(&self) -> Option<Vec<i64>> {
        let received = self.received.as_ref()?;
        let expected = self.expected_subbands.unwrap_or(EXPECTED_SUBBANDS);
        Some((0..expected).filter(|i| !received.contains(i)).collect())
    }
}

/// Collecting, short of its expected subbands, and unchanged for longer than `threshold`
/// (since its last update, or since creation when it was never updated).
pub fn is_stuck_collecting(row: &IngestGroupRow, now: f64, threshold: Duration) -> bool {
    let collecting = row
        .state
        .as_deref()
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("collecting"));
    let expected = row.expected_subbands.unwrap_or(EXPECTED_SUBBANDS);
    let short = row.subband_count.unwrap_or(0) < expected;
    let last_change = row.updated_at.or(row.created_at);
    let quiet_for = last_change.map(|at| now - at);
    collecting && short && quiet_for.is_some_and(|q| q > threshold.as_secs_f64())
}

fn group_from_row(row: &PgRow) -> Result<IngestGroupRow, sqlx::Error> {
    Ok(IngestGroupRow {
        group_id: get::<String>(row, "group_id")?.unwrap_or_default(),
        state: get(row, "state")?,
        subband_count: get(row, "subband_count")?,
        expected_subbands: get(row, "expected_subbands")?,
        dec_deg: get(row, "dec_deg")?,
        ra_deg: get(row, "ra_deg")?,
        created_at: get(row, "created_s")?,
        updated_at: get(row, "updated_s")?,
        completed_at: get(row, "completed_s")?,
        ms_path: get(row, "ms_path")?,
        error_message: get(row, "error_message")?,
        created_us: get(row, "created_us")?,
        received: None,
    })
}

fn term_sql(term: &Term, sql: &mut Sql) -> String {
    let p = sql.bind(Bind::Text(contains_pattern(&term.value)));
    match term.field.as_deref() {
        None => format!(
            "g.group_id ILIKE {p} OR g.state ILIKE {p} OR g.ms_path ILIKE {p} \
             OR {ERROR_SQL} ILIKE {p}"
        ),
        Some("state" | "status") => format!("g.state ILIKE {p}"),
        Some("group" | "id") => format!("g.group_id ILIKE {p}"),
        Some("ms" | "target") => format!("g.ms_path ILIKE {p} OR g.group_id ILIKE {p}"),
        Some("error" | "err") => format!("{ERROR_SQL} ILIKE {p}"),
        Some(_) => "FALSE".into(),
    }
}

/// One page of groups, newest first; keyset on (created_at, group_id).
pub(crate) fn groups_sql(query: &ListQuery) -> Result<Sql, QueueError> {
    let mut sql = Sql::default();
    let mut clauses = filter_clauses(&query.filter, &mut sql, term_sql);
    if let Some(cursor) = &query.after {
        let micros = match &cursor.value {
            SqlValue::Int(us) => *us,
            SqlValue::Real(s) => (s * 1e6).round() as i64,
            _ => {
                return Err(QueueError::Query(
                    "groups cursor has no creation time".into(),
                ));
            }
        };
        let at = format!(
            "(TIMESTAMPTZ 'epoch' + {} * INTERVAL '1 microsecond')",
            sql.bind(Bind::Int(micros))
        );
        let key = sql.bind(Bind::Text(cursor.key.clone()));
        clauses.push(format!(
            "g.created_at <= {at} AND (g.created_at < {at} OR g.group_id < {key})"
        ));
    }
    let limit = sql.bind(Bind::Int(query.limit.max(1) as i64 + 1));
    sql.push(&format!(
        "SELECT {GROUP_COLUMNS}, {ERROR_SQL} AS error_message \
         FROM absurd.ingestion_groups g WHERE {} \
         ORDER BY g.created_at DESC, g.group_id DESC LIMIT {limit}",
        and_all(&clauses)
    ));
    Ok(sql)
}

impl Queue {
    /// One page of ingestion groups, newest first, filtered (`state:`, `group:`, `ms:`,
    /// `error:`, free words).
    pub async fn ingestion_groups(
        &self,
        query: &ListQuery,
    ) -> Result<Page<IngestGroupRow>, QueueError> {
        let sql = groups_sql(query)?;
        let rows = self.fetch_all(&sql).await?;
        let mut groups = rows
            .iter()
            .map(group_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.classify(&e))?;
        let limit = query.limit.max(1);
        let has_more = groups.len() > limit;
        groups.truncate(limit);
        let next = has_more.then(|| groups.last()).flatten().and_then(|last| {
            Some(Cursor {
                value: SqlValue::Int(last.created_us?),
                key: last.group_id.clone(),
            })
        });
        Ok(Page {
            rows: groups,
            has_more,
            total: None,
            next,
        })
    }
}

impl Queue {
    /// Fill in which subbands each group has received, from `absurd.ingestion_subbands`
    /// (an older schema without it leaves them unknown).
    pub async fn read_received_subbands(
        &self,
        groups: &mut [IngestGroupRow],
    ) -> Result<(), QueueError> {
        if groups.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = groups.iter().map(|g| g.group_id.clone()).collect();
        let mut conn = self.conn().await?;
        let rows: Result<Vec<(String, Vec<i64>)>, sqlx::Error> = sqlx::query_as(
            "SELECT group_id, array_agg(subband_idx::int8 ORDER BY subband_idx) \
             FROM absurd.ingestion_subbands WHERE group_id = ANY($1) GROUP BY group_id",
        )
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await;
        let rows = match rows.map_err(|e| self.classify(&e)) {
            Ok(rows) => rows,
            Err(e) if e.is_missing() => return Ok(()),
            Err(e) => return Err(e),
        };
        for g in groups.iter_mut() {
            let got = rows.iter().find(|(id, _)| *id == g.group_id);
            g.received = Some(got.map(|(_, r)| r.clone()).unwrap_or_default());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 1_761_056_599.0;
    const HALF_HOUR: Duration = Duration::from_secs(1800);

    fn collecting(count: i64, updated_ago: f64) -> IngestGroupRow {
        IngestGroupRow {
            group_id: "2025-10-21T14:23:19".into(),
            state: Some("collecting".into()),
            subband_count: Some(count),
            expected_subbands: Some(16),
            created_at: Some(NOW - updated_ago - 60.0),
            updated_at: Some(NOW - updated_ago),
            ..IngestGroupRow::default()
        }
    }

    #[test]
    fn a_group_short_of_subbands_for_an_hour_is_stuck() {
        assert!(is_stuck_collecting(&collecting(11, 3600.0), NOW, HALF_HOUR));
    }

    #[test]
    fn a_group_still_receiving_subbands_is_not_stuck() {
        assert!(!is_stuck_collecting(&collecting(9, 30.0), NOW, HALF_HOUR));
    }

    #[test]
    fn a_full_or_converted_group_is_not_stuck() {
        assert!(!is_stuck_collecting(
            &collecting(16, 7200.0),
            NOW,
            HALF_HOUR
        ));
        let mut converting = collecting(11, 7200.0);
        converting.state = Some("converting".into());
        assert!(!is_stuck_collecting(&converting, NOW, HALF_HOUR));
    }

    #[test]
    fn without_an_update_time_creation_counts_and_16_is_expected() {
        let mut row = collecting(15, 0.0);
        row.updated_at = None;
        row.expected_subbands = None;
        row.created_at = Some(NOW - 2000.0);
        assert!(is_stuck_collecting(&row, NOW, HALF_HOUR));
        row.created_at = None;
        assert!(!is_stuck_collecting(&row, NOW, HALF_HOUR));
    }
}
