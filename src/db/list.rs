//! A single-table list (images, MS): its fields, sorts and columns, and the page queries
//! built from a `ListQuery`. Shared so each list module only declares its tables.

use sqlx::sqlite::SqliteRow;

use crate::db::error::DbError;
use crate::db::filter::{FieldSpec, check_fields, compile};
use crate::db::keyset::{After, Order, SORT_KEY, SORT_VALUE, Tie, ValueKind, key_bind};
use crate::db::schema::Schema;
use crate::db::sql::{self, Bind, SqlBuf};
use crate::query::{Cursor, ListQuery, SqlValue};

/// A column the operator can sort on: the name `s` shows, and the column behind it.
#[derive(Debug, Clone, Copy)]
pub struct SortSpec {
    pub name: &'static str,
    pub column: &'static str,
    pub kind: ValueKind,
}

pub const fn sort(name: &'static str, column: &'static str, kind: ValueKind) -> SortSpec {
    SortSpec { name, column, kind }
}

/// Everything needed to page through one table.
pub struct TableList {
    pub table: &'static str,
    pub key: &'static str,
    pub key_kind: ValueKind,
    /// Default first (newest first).
    pub sorts: &'static [SortSpec],
    pub sort_names: &'static [&'static str],
    pub fields: &'static [FieldSpec],
    pub field_names: &'static [&'static str],
    pub free_columns: &'static [&'static str],
    /// Every column the row type reads; absent ones are selected as NULL.
    pub columns: &'static [&'static str],
}

impl TableList {
    /// The statements to run in order for this page.
    pub fn page_queries(&self, schema: &Schema, q: &ListQuery) -> Result<Vec<SqlBuf>, DbError> {
        if !schema.has_table(self.table) {
            return Err(DbError::MissingTable(self.table.to_string()));
        }
        check_fields(&q.filter, self.field_names)?;
        let conds = compile(
            &q.filter,
            schema,
            self.table,
            "",
            self.fields,
            self.free_columns,
        )?;
        let order = self.order(schema, q)?;
        let after = q
            .after
            .as_ref()
            .map(|c| cursor_after(c, order.key_kind))
            .transpose()?;
        let columns = self.select_columns(schema);
        Ok(crate::db::keyset::segment_queries(
            &columns,
            self.table,
            &conds,
            &order,
            after.as_ref(),
        ))
    }

    pub fn select_columns(&self, schema: &Schema) -> String {
        select_list(schema, self.table, "", self.columns)
    }

    fn order(&self, schema: &Schema, q: &ListQuery) -> Result<Order, DbError> {
        let (spec, descending) = resolve_sort(self.sorts, self.sort_names, q)?;
        Ok(Order {
            expr: schema.col(self.table, "", spec.column),
            kind: spec.kind,
            key: schema.col(self.table, "", self.key),
            key_kind: self.key_kind,
            descending,
        })
    }
}

/// `a, b, NULL AS c` for the columns of `table`.
pub fn select_list(schema: &Schema, table: &str, alias: &str, columns: &[&str]) -> String {
    columns
        .iter()
        .map(|c| format!("{} AS {c}", schema.col(table, alias, c)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sort the query asks for (the list's default when none), and its direction.
pub fn resolve_sort(
    sorts: &'static [SortSpec],
    names: &'static [&'static str],
    q: &ListQuery,
) -> Result<(SortSpec, bool), DbError> {
    match &q.sort {
        None => Ok((sorts[0], true)),
        Some(s) => sorts
            .iter()
            .find(|spec| spec.name.eq_ignore_ascii_case(&s.column))
            .map(|spec| (*spec, s.descending))
            .ok_or_else(|| DbError::UnknownSort {
                column: s.column.clone(),
                known: names,
            }),
    }
}

pub fn cursor_after(cursor: &Cursor, key_kind: ValueKind) -> Result<After, DbError> {
    let key = key_bind(key_kind, &cursor.key).ok_or_else(|| DbError::BadValue {
        field: "cursor".into(),
        value: cursor.key.clone(),
        expected: "a key of this list".into(),
    })?;
    Ok(After {
        value: Bind::from_value(&cursor.value),
        tie: Tie::Key(key),
    })
}

/// The cursor just after `row` (which was read with the page query's sort columns).
pub fn row_cursor(row: &SqliteRow, kind: ValueKind) -> Cursor {
    let value = match kind {
        ValueKind::Int => sql::int(row, SORT_VALUE).map(SqlValue::Int),
        ValueKind::Real => sql::real(row, SORT_VALUE).map(SqlValue::Real),
        ValueKind::Text => sql::text(row, SORT_VALUE).map(SqlValue::Text),
    }
    .unwrap_or(SqlValue::Null);
    Cursor {
        value,
        key: sql::text(row, SORT_KEY).unwrap_or_default(),
    }
}
