//! Reading a small side table (`variability_stats`, the names in `sources`) again each poll
//! without re-reading all of it: only rows that are new (a higher rowid, which is also where
//! `INSERT OR REPLACE` puts a replaced row) or, when the table has an `updated_at` column,
//! rows whose `updated_at` moved past the newest one seen (an upsert in place).
//!
//! Changes neither shows — a row deleted (the count drops), a row updated in place without a
//! timestamp, a delete balanced by an insert — are caught by reading the whole table again:
//! at once when the count drops or the rowids go backwards, and otherwise every
//! [`WHOLE_READ_EVERY`]-th read, so no change stays unseen for longer than that many polls.

use std::cmp::Ordering;

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::db::Db;
use crate::db::error::DbError;
use crate::db::sql::{Bind, SqlBuf};
use crate::query::SqlValue;

/// Every this-many reads of a table, it is read whole whatever the cheap checks say.
pub const WHOLE_READ_EVERY: u32 = 30;

/// Where the last read of one table stopped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SideSync {
    /// Nothing read yet (or the table must be read whole next time).
    loaded: bool,
    /// Rows in the table at the last look.
    rows: i64,
    /// The highest rowid read.
    max_rowid: i64,
    /// The highest `updated_at` read, in SQLite's order (numbers before text).
    max_updated: Option<SqlValue>,
    /// Reads since the last whole read.
    since_whole: u32,
}

/// What one side table is: its name, the columns to read, which rows count, and its
/// change-time column when it has one. The texts are the monitor's own (names from the schema).
#[derive(Debug, Clone)]
pub struct SideTable<'a> {
    pub table: &'a str,
    /// The select list (`a AS x, b AS y`).
    pub columns: String,
    /// A condition every row read must meet (`name IS NOT NULL`).
    pub keep: &'a str,
    /// `updated_at` (or whatever the table calls it) when the table has it.
    pub updated: Option<&'a str>,
    /// The most rows read at once.
    pub limit: i64,
}

/// What a read found: the rows as the caller's `parse` made them, collected into `C`.
#[derive(Debug)]
pub enum SideRead<C> {
    /// The whole table: replace what is kept.
    Whole(C),
    /// The rows that changed since the last read: merge them in (may be empty).
    Changed(C),
}

impl SideSync {
    /// Forget everything: the next read is whole.
    pub fn reset(&mut self) {
        *self = SideSync::default();
    }

    /// Whether the table must be read whole, given its row count and highest rowid now.
    pub fn needs_whole_read(&self, rows: i64, max_rowid: i64) -> bool {
        !self.loaded
            || rows < self.rows
            || max_rowid < self.max_rowid
            // Rows were added but none above the last rowid: an insert with an explicit low id.
            || (rows > self.rows && max_rowid == self.max_rowid)
            || self.since_whole + 1 >= WHOLE_READ_EVERY
    }

    fn note_row(&mut self, row: &SqliteRow) {
        if let Ok(Some(id)) = row.try_get::<Option<i64>, _>("_side_rowid") {
            self.max_rowid = self.max_rowid.max(id);
        }
        let updated = raw_value(row, "_side_updated");
        if updated != SqlValue::Null
            && self
                .max_updated
                .as_ref()
                .is_none_or(|m| sqlite_order(&updated, m) == Ordering::Greater)
        {
            self.max_updated = Some(updated);
        }
    }
}

/// A column as SQLite stored it (integer, real, text; a blob reads as text).
fn raw_value(row: &SqliteRow, name: &str) -> SqlValue {
    if let Ok(Some(v)) = row.try_get::<Option<i64>, _>(name) {
        return SqlValue::Int(v);
    }
    if let Ok(Some(v)) = row.try_get::<Option<f64>, _>(name) {
        return SqlValue::Real(v);
    }
    match crate::db::sql::text(row, name) {
        Some(t) => SqlValue::Text(t),
        None => SqlValue::Null,
    }
}

/// SQLite's order of values of different kinds: NULL, then numbers, then text.
pub fn sqlite_order(a: &SqlValue, b: &SqlValue) -> Ordering {
    fn rank(v: &SqlValue) -> u8 {
        match v {
            SqlValue::Null => 0,
            SqlValue::Int(_) | SqlValue::Real(_) => 1,
            SqlValue::Text(_) => 2,
        }
    }
    let num = |v: &SqlValue| match v {
        SqlValue::Int(i) => *i as f64,
        SqlValue::Real(r) => *r,
        _ => 0.0,
    };
    match (a, b) {
        (SqlValue::Text(x), SqlValue::Text(y)) => x.cmp(y),
        _ if rank(a) == rank(b) && rank(a) == 1 => num(a).total_cmp(&num(b)),
        _ => rank(a).cmp(&rank(b)),
    }
}

impl Db {
    /// Read `spec`'s table: whole the first time and whenever [`SideSync`] says so, otherwise
    /// only the rows that changed. A table without a rowid (a view) is read whole each time.
    /// Each row is kept as `parse` makes it (rows it refuses still move the marks).
    pub async fn read_side_table<T, C: Default + Extend<T>>(
        &self,
        spec: &SideTable<'_>,
        sync: &mut SideSync,
        mut parse: impl FnMut(&SqliteRow) -> Option<T>,
    ) -> Result<SideRead<C>, DbError> {
        let updated = spec.updated.unwrap_or("NULL");
        let select = |extra: &str, binds: Vec<Bind>| {
            let mut binds = binds;
            binds.push(Bind::Int(spec.limit));
            SqlBuf::with(
                format!(
                    "SELECT rowid AS _side_rowid, {updated} AS _side_updated, {} FROM {} \
                     WHERE ({}){extra} LIMIT ?",
                    spec.columns, spec.table, spec.keep
                ),
                binds,
            )
        };
        let counts = self
            .fetch(
                "side table counts",
                SqlBuf::new(format!(
                    "SELECT COUNT(*) AS n, MAX(rowid) AS m FROM {}",
                    spec.table
                )),
            )
            .await;
        let counts = match counts {
            Ok(r) => {
                let first = r.first();
                let get =
                    |c: &str| first.and_then(|r| r.try_get::<Option<i64>, _>(c).ok().flatten());
                (get("n").unwrap_or(0), get("m"))
            }
            // A table without a rowid (WITHOUT ROWID) has nothing to follow.
            Err(DbError::Query(message)) if message.contains("rowid") => (0, None),
            Err(e) => return Err(e),
        };
        let (rows, max_rowid) = match counts {
            (rows, Some(max_rowid)) => (rows, max_rowid),
            // No rowid to follow (a view, or no rows at all): read it whole, as before.
            _ => {
                sync.reset();
                let all = self
                    .fetch_map(spec.table, select_plain(spec), |r| parse(&r))
                    .await?;
                return Ok(SideRead::Whole(all));
            }
        };
        if sync.needs_whole_read(rows, max_rowid) {
            let mut fresh = SideSync {
                loaded: true,
                rows,
                ..SideSync::default()
            };
            let all = self
                .fetch_map(spec.table, select("", Vec::new()), |r| {
                    fresh.note_row(&r);
                    parse(&r)
                })
                .await?;
            *sync = fresh;
            // Rows the filter leaves out still move the rowid mark.
            sync.max_rowid = sync.max_rowid.max(max_rowid);
            return Ok(SideRead::Whole(all));
        }
        sync.since_whole += 1;
        let mut binds = vec![Bind::Int(sync.max_rowid)];
        let mut extra = " AND (rowid > ?".to_string();
        if let (Some(column), Some(mark)) = (spec.updated, sync.max_updated.as_ref())
            && let Some(bind) = Bind::from_value(mark)
        {
            extra.push_str(&format!(" OR {column} > ?"));
            binds.push(bind);
        }
        extra.push(')');
        let changed = self
            .fetch_map(spec.table, select(&extra, binds), |r| {
                sync.note_row(&r);
                parse(&r)
            })
            .await?;
        sync.rows = rows;
        sync.max_rowid = sync.max_rowid.max(max_rowid);
        Ok(SideRead::Changed(changed))
    }
}

/// The table's rows without rowid or timestamp, for tables that have no rowid.
fn select_plain(spec: &SideTable<'_>) -> SqlBuf {
    SqlBuf::with(
        format!(
            "SELECT NULL AS _side_rowid, NULL AS _side_updated, {} FROM {} WHERE ({}) LIMIT ?",
            spec.columns, spec.table, spec.keep
        ),
        vec![Bind::Int(spec.limit)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_read_and_every_nth_read_are_whole() {
        let mut sync = SideSync::default();
        assert!(sync.needs_whole_read(10, 10));
        sync.loaded = true;
        sync.rows = 10;
        sync.max_rowid = 10;
        assert!(!sync.needs_whole_read(10, 10));
        assert!(
            !sync.needs_whole_read(11, 11),
            "an insert is read incrementally"
        );
        sync.since_whole = WHOLE_READ_EVERY - 1;
        assert!(sync.needs_whole_read(10, 10));
    }

    #[test]
    fn deletes_and_rebuilds_force_a_whole_read() {
        let sync = SideSync {
            loaded: true,
            rows: 10,
            max_rowid: 10,
            ..SideSync::default()
        };
        assert!(sync.needs_whole_read(9, 10), "a row was deleted");
        assert!(sync.needs_whole_read(10, 5), "the table was rebuilt");
        assert!(
            sync.needs_whole_read(11, 10),
            "a row came in below the mark"
        );
    }

    #[test]
    fn values_order_as_in_sqlite() {
        use SqlValue::*;
        assert_eq!(sqlite_order(&Int(2), &Real(1.5)), Ordering::Greater);
        assert_eq!(sqlite_order(&Real(9e9), &Text("0".into())), Ordering::Less);
        assert_eq!(
            sqlite_order(&Text("2025-01-02".into()), &Text("2025-01-01".into())),
            Ordering::Greater
        );
        assert_eq!(sqlite_order(&Null, &Int(0)), Ordering::Less);
    }
}
