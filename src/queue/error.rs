//! What can go wrong talking to the queue, in the four shapes the app treats differently.

use std::time::Duration;

use thiserror::Error;

/// Every message is one line: it goes straight into a status bar.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum QueueError {
    /// The server cannot be reached or refused us: keep the last data, mark it stale, retry.
    #[error("PostgreSQL queue unreachable at {target}: {reason}")]
    Unreachable { target: String, reason: String },
    /// The server is there but did not answer in time (statement_timeout, busy pool).
    #[error("PostgreSQL queue timed out after {} ms: {what}", .after.as_millis())]
    Timeout { after: Duration, what: String },
    /// The database, schema, table or a column the monitor reads is absent: a note, not an
    /// alarm (the pipeline creates it on first start; a schema change may have renamed it).
    #[error("PostgreSQL queue has no {what}")]
    MissingSchema { what: String },
    /// Anything else the server said no to.
    #[error("PostgreSQL queue query failed: {0}")]
    Query(String),
}

impl QueueError {
    /// The queue is simply not set up there: show a note instead of an error.
    pub fn is_missing(&self) -> bool {
        matches!(self, QueueError::MissingSchema { .. })
    }

    pub fn is_unreachable(&self) -> bool {
        matches!(self, QueueError::Unreachable { .. })
    }

    pub fn is_timeout(&self) -> bool {
        matches!(self, QueueError::Timeout { .. })
    }
}

/// Sort a sqlx error into the four shapes. `target` names the server in messages;
/// `statement_timeout` is what a cancelled statement ran into.
pub fn classify(err: &sqlx::Error, target: &str, statement_timeout: Duration) -> QueueError {
    let unreachable = |reason: String| QueueError::Unreachable {
        target: target.to_string(),
        reason: one_line(&reason),
    };
    match err {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let message = one_line(db.message());
            match sqlstate_kind(&code) {
                SqlStateKind::Cancelled => QueueError::Timeout {
                    after: statement_timeout,
                    what: format!("statement_timeout cancelled the query ({message})"),
                },
                SqlStateKind::Missing => QueueError::MissingSchema { what: message },
                SqlStateKind::Unavailable => unreachable(message),
                SqlStateKind::Other => QueueError::Query(format!("{message} [SQLSTATE {code}]")),
            }
        }
        sqlx::Error::Io(e) => unreachable(e.to_string()),
        sqlx::Error::Tls(e) => unreachable(format!("TLS: {e}")),
        sqlx::Error::PoolTimedOut => unreachable("no connection could be opened in time".into()),
        sqlx::Error::PoolClosed => unreachable("the connection pool is closed".into()),
        sqlx::Error::Configuration(e) => unreachable(format!("bad connection settings: {e}")),
        sqlx::Error::Protocol(e) => unreachable(format!("protocol error: {e}")),
        other => QueueError::Query(one_line(&other.to_string())),
    }
}

enum SqlStateKind {
    Cancelled,
    Missing,
    Unavailable,
    Other,
}

fn sqlstate_kind(code: &str) -> SqlStateKind {
    match code {
        // query_canceled: what statement_timeout raises.
        "57014" => SqlStateKind::Cancelled,
        // undefined_table, invalid_schema_name, undefined_column, undefined_function,
        // invalid_catalog_name (no such database).
        "42P01" | "3F000" | "42703" | "42883" | "3D000" => SqlStateKind::Missing,
        // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, and
        // the connection_exception and invalid_authorization classes.
        "57P01" | "57P02" | "57P03" | "53300" => SqlStateKind::Unavailable,
        c if c.starts_with("08") || c.starts_with("28") => SqlStateKind::Unavailable,
        _ => SqlStateKind::Other,
    }
}

/// Server messages may carry a DETAIL on the next line; the status bar wants the first.
fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_is_unreachable_and_names_the_server() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let err = classify(
            &sqlx::Error::Io(io),
            "127.0.0.1:5432/dsa110_absurd",
            Duration::from_millis(1500),
        );
        assert!(err.is_unreachable());
        assert_eq!(
            err.to_string(),
            "PostgreSQL queue unreachable at 127.0.0.1:5432/dsa110_absurd: Connection refused"
        );
    }

    #[test]
    fn sqlstates_sort_into_missing_cancelled_and_unavailable() {
        assert!(matches!(sqlstate_kind("42P01"), SqlStateKind::Missing));
        assert!(matches!(sqlstate_kind("3D000"), SqlStateKind::Missing));
        assert!(matches!(sqlstate_kind("57014"), SqlStateKind::Cancelled));
        assert!(matches!(sqlstate_kind("28P01"), SqlStateKind::Unavailable));
        assert!(matches!(sqlstate_kind("08006"), SqlStateKind::Unavailable));
        assert!(matches!(sqlstate_kind("25006"), SqlStateKind::Other));
    }

    #[test]
    fn messages_stay_on_one_line() {
        assert_eq!(one_line("\n  first\nDETAIL: second"), "first");
        let err = QueueError::MissingSchema {
            what: "relation \"absurd.tasks\" does not exist".into(),
        };
        assert!(err.is_missing());
        assert!(!err.to_string().contains('\n'));
    }
}
