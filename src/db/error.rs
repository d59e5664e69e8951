//! The one error type of the data layer, shaped for the status line: every variant prints as
//! one line, and `is_missing` tells "this data is not there" apart from "this failed".

use std::path::PathBuf;

use thiserror::Error;

use crate::pool::AcquireError;

#[derive(Debug, Error)]
pub enum DbError {
    #[error("database not found: {}", .0.display())]
    NotFound(PathBuf),
    #[error("not an SQLite database: {}: {reason}", path.display())]
    NotADatabase { path: PathBuf, reason: String },
    #[error("table `{0}` is missing from the database")]
    MissingTable(String),
    /// Opening would create or re-own a file beside the pipeline's database: nothing opened.
    #[error("not opened, to leave the pipeline's files alone: {0}")]
    Unsafe(String),
    #[error("database is locked: {0}")]
    Locked(String),
    #[error(transparent)]
    Acquire(#[from] AcquireError),
    #[error("query failed: {0}")]
    Query(String),
    #[error("unknown filter field `{field}` (known: {})", known.join(", "))]
    UnknownField {
        field: String,
        known: &'static [&'static str],
    },
    #[error("cannot sort on `{column}` (known: {})", known.join(", "))]
    UnknownSort {
        column: String,
        known: &'static [&'static str],
    },
    #[error("bad value `{value}` for `{field}`: expected {expected}")]
    BadValue {
        field: String,
        value: String,
        expected: String,
    },
}

impl DbError {
    /// The data is absent (no file, no table) rather than broken: shown as "missing".
    pub fn is_missing(&self) -> bool {
        matches!(self, DbError::NotFound(_) | DbError::MissingTable(_))
    }

    /// A table or column is not where the schema we read said: worth re-reading it.
    pub fn is_schema_drift(&self) -> bool {
        match self {
            DbError::MissingTable(_) => true,
            DbError::Query(message) => message.contains("no such column"),
            _ => false,
        }
    }

    /// The operator's filter or sort was wrong: show it at the prompt, do not retry.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            DbError::UnknownField { .. } | DbError::UnknownSort { .. } | DbError::BadValue { .. }
        )
    }

    /// The connection may be reading a file that is gone, replaced or damaged: reopen it.
    pub fn suggests_reopen(&self) -> bool {
        match self {
            DbError::NotFound(_) | DbError::NotADatabase { .. } => true,
            DbError::Acquire(AcquireError::Closed) => true,
            DbError::Query(message) => {
                let lower = message.to_ascii_lowercase();
                [
                    "disk i/o error",
                    "unable to open",
                    "malformed",
                    "not a database",
                ]
                .iter()
                .any(|s| lower.contains(s))
            }
            _ => false,
        }
    }

    /// Classify a sqlx error from a query. SQLite reports lock contention and a damaged or
    /// foreign file only through its message, so the message is what we look at.
    pub(crate) fn from_sqlx(err: sqlx::Error, path: &std::path::Path) -> DbError {
        match err {
            sqlx::Error::PoolTimedOut => {
                DbError::Acquire(AcquireError::TimedOut(std::time::Duration::default()))
            }
            sqlx::Error::PoolClosed => DbError::Acquire(AcquireError::Closed),
            other => {
                let message = one_line(&other.to_string());
                let lower = message.to_ascii_lowercase();
                if lower.contains("database is locked")
                    || lower.contains("database table is locked")
                {
                    DbError::Locked(message)
                } else if lower.contains("file is not a database")
                    || lower.contains("malformed")
                    || lower.contains("not a database")
                {
                    DbError::NotADatabase {
                        path: path.to_path_buf(),
                        reason: message,
                    }
                } else if lower.contains("unable to open database file") {
                    DbError::Query(format!(
                        "{message} (is {} and its -wal/-shm readable by this user?)",
                        path.display()
                    ))
                } else if let Some(table) = lower
                    .split("no such table: ")
                    .nth(1)
                    .map(|t| t.trim().to_string())
                {
                    DbError::MissingTable(table)
                } else {
                    DbError::Query(message)
                }
            }
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn lock_contention_is_recognised_from_the_message() {
        let err = sqlx::Error::Protocol("(code: 5) database is locked".into());
        assert!(matches!(
            DbError::from_sqlx(err, Path::new("/x")),
            DbError::Locked(_)
        ));
    }

    #[test]
    fn missing_things_are_not_errors_for_the_status_line() {
        assert!(DbError::MissingTable("jobs".into()).is_missing());
        assert!(DbError::NotFound("/x".into()).is_missing());
        assert!(!DbError::Query("boom".into()).is_missing());
    }

    #[test]
    fn an_unknown_field_lists_the_known_ones() {
        let err = DbError::UnknownField {
            field: "colour".into(),
            known: &["path", "ms"],
        };
        assert_eq!(
            err.to_string(),
            "unknown filter field `colour` (known: path, ms)"
        );
        assert!(err.is_user_error());
    }
}
