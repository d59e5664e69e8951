//! Keyset pagination that stays on the index even when the sort column has NULLs.
//!
//! `ORDER BY col DESC, key DESC` puts NULLs last, but a single "strictly after the cursor"
//! condition that also admits NULLs needs an `OR col IS NULL`, which stops SQLite from using
//! the index on `col`. So a page is read in up to two segments, each a plain range scan: the
//! rows where `col` is set (ordered by `col, key`), then the rows where it is NULL (ordered by
//! `key`); ascending order reads them the other way round, as SQLite orders NULLs first.

use crate::db::sql::{Bind, Conditions, SqlBuf};

/// The SQLite type a sort value or key is read back as, for the next cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Int,
    Real,
    Text,
}

/// A list's order: a sort expression and a unique tie-break key, in one direction.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Column expression, or `NULL` when the column does not exist in this file.
    pub expr: String,
    pub kind: ValueKind,
    pub key: String,
    pub key_kind: ValueKind,
    pub descending: bool,
}

/// How rows whose sort value equals the cursor's are treated.
#[derive(Debug, Clone, PartialEq)]
pub enum Tie {
    /// Same list: continue strictly after this key.
    Key(Bind),
    /// Merged lists: this list's rows sort after the cursor's list at equal values.
    IncludeEqual,
    /// Merged lists: this list's rows sort before the cursor's list at equal values.
    ExcludeEqual,
}

/// Where the previous page ended: `value` `None` means in the NULL segment.
#[derive(Debug, Clone, PartialEq)]
pub struct After {
    pub value: Option<Bind>,
    pub tie: Tie,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    Set,
    Null,
}

/// The column aliases every page query adds, to build the next cursor from the last row.
pub const SORT_VALUE: &str = "sort_value__";
pub const SORT_KEY: &str = "sort_key__";

/// The statements to run in order (each without LIMIT); their rows, concatenated, are the
/// list in order from just after `after`.
pub fn segment_queries(
    columns: &str,
    from: &str,
    conds: &Conditions,
    order: &Order,
    after: Option<&After>,
) -> Vec<SqlBuf> {
    segment_queries_at_least(columns, from, conds, order, after, None)
}

/// [`segment_queries`] for the rows whose sort value is at least `at_least`: rows without
/// one are left out, so the NULL segment is not read at all (without an index on the sort
/// column, SQLite would scan the table to find it empty).
pub fn segment_queries_at_least(
    columns: &str,
    from: &str,
    conds: &Conditions,
    order: &Order,
    after: Option<&After>,
    at_least: Option<Bind>,
) -> Vec<SqlBuf> {
    let segments: &[Segment] = match (order.expr == "NULL", order.descending, &at_least) {
        (true, _, None) => &[Segment::Null],
        (true, _, Some(_)) => &[],
        (false, _, Some(_)) => &[Segment::Set],
        (false, true, None) => &[Segment::Set, Segment::Null],
        (false, false, None) => &[Segment::Null, Segment::Set],
    };
    let cursor_segment = after.map(|a| {
        if a.value.is_some() {
            Segment::Set
        } else {
            Segment::Null
        }
    });
    let mut seen_cursor_segment = cursor_segment.is_none();
    let (op, dir) = if order.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let mut out = Vec::new();
    for &segment in segments {
        let mut where_ = conds.clone();
        if Some(segment) == cursor_segment {
            seen_cursor_segment = true;
            let Some(after) = after else { continue };
            match cursor_condition(segment, order, after, op) {
                CursorCond::None => {}
                CursorCond::Empty => continue,
                CursorCond::Sql(cond) => where_.add(cond),
            }
        } else if !seen_cursor_segment {
            continue;
        }
        let (segment_cond, order_by) = match segment {
            Segment::Set => (
                format!("{} IS NOT NULL", order.expr),
                format!("{e} {dir}, {k} {dir}", e = order.expr, k = order.key),
            ),
            Segment::Null => (
                format!("{} IS NULL", order.expr),
                format!("{} {dir}", order.key),
            ),
        };
        where_.add(SqlBuf::new(segment_cond));
        if let Some(floor) = &at_least {
            where_.add(SqlBuf::with(
                format!("{} >= ?", order.expr),
                vec![floor.clone()],
            ));
        }
        let mut sql = SqlBuf::new(format!(
            "SELECT {columns}, {e} AS {SORT_VALUE}, {k} AS {SORT_KEY} FROM {from}",
            e = order.expr,
            k = order.key
        ));
        sql.push_buf(where_.where_clause());
        sql.push(&format!(" ORDER BY {order_by}"));
        out.push(sql);
    }
    out
}

enum CursorCond {
    None,
    Empty,
    Sql(SqlBuf),
}

fn cursor_condition(segment: Segment, order: &Order, after: &After, op: &str) -> CursorCond {
    let (e, k) = (&order.expr, &order.key);
    match (segment, &after.tie, &after.value) {
        (Segment::Set, Tie::Key(key), Some(v)) => CursorCond::Sql(SqlBuf::with(
            format!("{e} {op}= ? AND ({e} {op} ? OR {k} {op} ?)"),
            vec![v.clone(), v.clone(), key.clone()],
        )),
        (Segment::Set, Tie::IncludeEqual, Some(v)) => {
            CursorCond::Sql(SqlBuf::with(format!("{e} {op}= ?"), vec![v.clone()]))
        }
        (Segment::Set, Tie::ExcludeEqual, Some(v)) => {
            CursorCond::Sql(SqlBuf::with(format!("{e} {op} ?"), vec![v.clone()]))
        }
        (Segment::Null, Tie::Key(key), _) => {
            CursorCond::Sql(SqlBuf::with(format!("{k} {op} ?"), vec![key.clone()]))
        }
        (Segment::Null, Tie::IncludeEqual, _) => CursorCond::None,
        (Segment::Null, Tie::ExcludeEqual, _) => CursorCond::Empty,
        (Segment::Set, _, None) => CursorCond::None,
    }
}

/// Parse a cursor key back into a bind of the key's kind.
pub fn key_bind(kind: ValueKind, key: &str) -> Option<Bind> {
    match kind {
        ValueKind::Int => key.parse().ok().map(Bind::Int),
        ValueKind::Real => key.parse().ok().map(Bind::Real),
        ValueKind::Text => Some(Bind::Text(key.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(descending: bool) -> Order {
        Order {
            expr: "created_at".into(),
            kind: ValueKind::Real,
            key: "id".into(),
            key_kind: ValueKind::Int,
            descending,
        }
    }

    #[test]
    fn a_first_page_newest_first_reads_set_values_then_nulls() {
        let q = segment_queries("id", "images", &Conditions::default(), &order(true), None);
        assert_eq!(q.len(), 2);
        assert!(
            q[0].text
                .ends_with("WHERE (created_at IS NOT NULL) ORDER BY created_at DESC, id DESC")
        );
        assert!(
            q[1].text
                .ends_with("WHERE (created_at IS NULL) ORDER BY id DESC")
        );
    }

    #[test]
    fn a_floor_reads_only_set_values_at_least_that_high() {
        let q = segment_queries_at_least(
            "id",
            "ms_state",
            &Conditions::default(),
            &order(true),
            None,
            Some(Bind::Real(100.0)),
        );
        assert_eq!(q.len(), 1, "no NULL segment: {q:?}");
        assert!(
            q[0].text.ends_with(
                "WHERE (created_at IS NOT NULL) AND (created_at >= ?) \
                 ORDER BY created_at DESC, id DESC"
            ),
            "{}",
            q[0].text
        );
        assert_eq!(q[0].binds, vec![Bind::Real(100.0)]);
    }

    #[test]
    fn a_cursor_in_the_null_segment_skips_the_set_values() {
        let after = After {
            value: None,
            tie: Tie::Key(Bind::Int(7)),
        };
        let q = segment_queries(
            "id",
            "images",
            &Conditions::default(),
            &order(true),
            Some(&after),
        );
        assert_eq!(q.len(), 1);
        assert!(q[0].text.contains("(id < ?) AND (created_at IS NULL)"));
        assert_eq!(q[0].binds, vec![Bind::Int(7)]);
    }

    #[test]
    fn ascending_reads_nulls_first_and_a_set_cursor_skips_them() {
        let after = After {
            value: Some(Bind::Real(5.0)),
            tie: Tie::Key(Bind::Int(3)),
        };
        let q = segment_queries(
            "id",
            "images",
            &Conditions::default(),
            &order(false),
            Some(&after),
        );
        assert_eq!(q.len(), 1);
        assert!(
            q[0].text
                .contains("created_at >= ? AND (created_at > ? OR id > ?)")
        );
    }

    #[test]
    fn a_merged_list_that_sorts_first_at_equal_values_excludes_the_null_segment() {
        let after = After {
            value: None,
            tie: Tie::ExcludeEqual,
        };
        let q = segment_queries(
            "id",
            "jobs",
            &Conditions::default(),
            &order(true),
            Some(&after),
        );
        assert!(q.is_empty());
    }
}
