//! What the app asks a list for: a filter, a sort and a page. Shared by `app/` (which builds
//! requests from keys) and `db/` (which turns them into SQL). Pure values only.

pub mod filter;

pub use filter::{Filter, Term};

/// A sort order on one column of a list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sort {
    /// A column name from the list's `sortable_columns` (see `db`).
    pub column: String,
    pub descending: bool,
}

/// A value of the sort column, carried by a cursor (keyset pagination).
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// Where the next page starts: strictly after this (sort value, tiebreak key) pair in the
/// list's order. Keyset pagination, never OFFSET, so deep pages cost what the first one does.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub value: SqlValue,
    /// The row's unique key (id, path, or `source:id` for jobs).
    pub key: String,
}

/// A request for one page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub filter: Filter,
    /// `None` means the list's default: newest first.
    pub sort: Option<Sort>,
    pub limit: usize,
    pub after: Option<Cursor>,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            filter: Filter::default(),
            sort: None,
            limit: 200,
            after: None,
        }
    }
}
