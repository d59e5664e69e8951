//! Connections to a PostgreSQL server as `pg_stat_activity` shows them, one row per
//! application plus one for the whole server.
//!
//! The server sees connections, not pools: a client queued inside an application's own
//! pool has no connection yet, so `waiting` here counts sessions waiting on a lock. Only the
//! application's metrics or a pooler can show the queue (see the `prometheus` and
//! `pgbouncer` sources).
//!
//! One dedicated connection, read-only session, `statement_timeout` set, named
//! `contimg-monitor` so that it (and the monitor's other sessions) can be left out.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::pool::sources::config::PoolSourceConfig;
use crate::pool::sources::{PoolSource, SampleFuture, SourceError, redact_url};
use crate::snapshot::PoolStats;

/// The application_name of every session the monitor opens.
pub const MONITOR_APP: &str = "contimg-monitor";
/// The name of the row that sums the whole server.
pub const SERVER_ROW: &str = "(server)";
/// The name of the row for sessions that set no application_name.
pub const UNNAMED_APP: &str = "(no application_name)";

const ACTIVITY_SQL: &str = "\
SELECT coalesce(application_name, '') AS app,
       state,
       count(*)::int8 AS sessions,
       (count(*) FILTER (WHERE wait_event_type = 'Lock'))::int8 AS lock_waiting,
       max(extract(epoch FROM (now() - xact_start)))::float8 AS oldest_xact_s
  FROM pg_stat_activity
 WHERE backend_type = 'client backend'
 GROUP BY 1, 2";

const SETTINGS_SQL: &str = "\
SELECT current_setting('max_connections')::int8,
       current_setting('superuser_reserved_connections')::int8";

/// One `(application, state)` group of `pg_stat_activity`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityGroup {
    pub app: String,
    /// NULL when we may not see other users' sessions (no `pg_read_all_stats`).
    pub state: Option<String>,
    pub sessions: i64,
    pub lock_waiting: i64,
    pub oldest_xact_s: Option<f64>,
}

/// The server's connection limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServerLimits {
    pub max_connections: u32,
    pub superuser_reserved: u32,
}

pub struct PostgresSource {
    name: String,
    options: PgConnectOptions,
    max_per_app: BTreeMap<String, u32>,
    conn: Option<(PgConnection, ServerLimits)>,
    queries: Arc<AtomicU64>,
}

impl PostgresSource {
    pub fn new(config: &PoolSourceConfig) -> Result<Self, SourceError> {
        let options: PgConnectOptions = config.url.parse().map_err(|e| {
            SourceError::Invalid(format!("bad url {}: {e}", redact_url(&config.url)))
        })?;
        let statement_timeout = format!("{}ms", config.timeout_ms);
        let options = options
            .application_name(MONITOR_APP)
            .options([
                ("default_transaction_read_only", "on"),
                ("statement_timeout", statement_timeout.as_str()),
            ])
            // One query every few seconds would flood the log at debug level.
            .disable_statement_logging();
        Ok(PostgresSource {
            name: config.display_name().to_string(),
            options,
            max_per_app: config.max_per_app.clone(),
            conn: None,
            queries: Arc::new(AtomicU64::new(0)),
        })
    }

    async fn read(&mut self, now: f64) -> Result<Vec<PoolStats>, SourceError> {
        // Taken out so that a cancelled or failed sample leaves no half-used connection.
        let (mut conn, limits) = match self.conn.take() {
            Some(open) => open,
            None => self.connect().await?,
        };
        self.queries.fetch_add(1, Ordering::Relaxed);
        let groups: Vec<ActivityGroup> =
            sqlx::query_as::<_, (String, Option<String>, i64, i64, Option<f64>)>(ACTIVITY_SQL)
                .fetch_all(&mut conn)
                .await
                .map_err(|e| query_error("pg_stat_activity", e))?
                .into_iter()
                .map(
                    |(app, state, sessions, lock_waiting, oldest_xact_s)| ActivityGroup {
                        app,
                        state,
                        sessions,
                        lock_waiting,
                        oldest_xact_s,
                    },
                )
                .collect();
        self.conn = Some((conn, limits));
        Ok(activity_rows(
            &groups,
            limits,
            &self.max_per_app,
            &self.name,
            now,
        ))
    }

    async fn connect(&self) -> Result<(PgConnection, ServerLimits), SourceError> {
        let mut conn = self
            .options
            .connect()
            .await
            .map_err(|e| SourceError::Unreachable {
                target: describe(&self.options),
                reason: one_line(&e),
            })?;
        // Limits change only with a server restart, which also drops this connection.
        self.queries.fetch_add(1, Ordering::Relaxed);
        let (max, reserved): (i64, i64) = sqlx::query_as(SETTINGS_SQL)
            .fetch_one(&mut conn)
            .await
            .map_err(|e| query_error("max_connections", e))?;
        let limits = ServerLimits {
            max_connections: u32::try_from(max).unwrap_or(0),
            superuser_reserved: u32::try_from(reserved).unwrap_or(0),
        };
        Ok((conn, limits))
    }
}

impl PoolSource for PostgresSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn sample(&mut self, now: f64) -> SampleFuture<'_> {
        Box::pin(self.read(now))
    }

    fn query_counter(&self) -> Option<Arc<AtomicU64>> {
        Some(self.queries.clone())
    }
}

fn describe(options: &PgConnectOptions) -> String {
    format!(
        "postgresql://{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("")
    )
}

/// The server's own message when there is one (sqlx's wrapper adds source-line noise).
pub(crate) fn one_line(error: &sqlx::Error) -> String {
    let text = match error {
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
    };
    text.lines().next().unwrap_or("").trim().to_string()
}

fn query_error(query: &'static str, error: sqlx::Error) -> SourceError {
    SourceError::Query {
        query,
        reason: one_line(&error),
    }
}

/// Per-application figures being summed.
#[derive(Default)]
struct Tally {
    open: u64,
    in_use: u64,
    idle: u64,
    idle_in_xact: u64,
    hidden: u64,
    lock_waiting: u64,
    oldest_xact_s: Option<f64>,
}

impl Tally {
    fn add(&mut self, group: &ActivityGroup) {
        let n = u64::try_from(group.sessions).unwrap_or(0);
        self.open += n;
        self.lock_waiting += u64::try_from(group.lock_waiting).unwrap_or(0);
        match group.state.as_deref() {
            Some("idle") => self.idle += n,
            Some("idle in transaction" | "idle in transaction (aborted)") => {
                self.in_use += n;
                self.idle_in_xact += n;
            }
            Some("active" | "fastpath function call") => self.in_use += n,
            // NULL (other users' sessions without privilege) or `disabled` (track_activities off).
            _ => self.hidden += n,
        }
        if let Some(age) = group.oldest_xact_s.filter(|a| a.is_finite()) {
            self.oldest_xact_s = Some(self.oldest_xact_s.map_or(age, |o| o.max(age)));
        }
    }

    fn note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.idle_in_xact > 0 {
            parts.push(format!("{} idle in transaction", self.idle_in_xact));
        }
        if self.hidden > 0 {
            parts.push(format!(
                "{} without state (grant pg_read_all_stats to see them)",
                self.hidden
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

fn clamp(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The rows for one reading of `pg_stat_activity`: applications by name, then the server.
/// The monitor's own sessions take server slots but get no row of their own.
pub fn activity_rows(
    groups: &[ActivityGroup],
    limits: ServerLimits,
    max_per_app: &BTreeMap<String, u32>,
    source: &str,
    now: f64,
) -> Vec<PoolStats> {
    let mut apps: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut server = Tally::default();
    for group in groups {
        server.add(group);
        if group.app != MONITOR_APP {
            apps.entry(group.app.as_str()).or_default().add(group);
        }
    }
    let row = |name: &str, t: &Tally| PoolStats {
        source: source.to_string(),
        name: name.to_string(),
        open: clamp(t.open),
        in_use: clamp(t.in_use),
        idle: clamp(t.idle),
        waiting: clamp(t.lock_waiting),
        oldest_xact_s: t.oldest_xact_s,
        note: t.note(),
        sampled_at: now,
        ..PoolStats::default()
    };
    let mut rows: Vec<PoolStats> = apps
        .iter()
        .map(|(app, tally)| {
            let name = if app.is_empty() { UNNAMED_APP } else { app };
            PoolStats {
                max: max_per_app.get(*app).copied().unwrap_or(0),
                ..row(name, tally)
            }
        })
        .collect();
    let mut total = row(SERVER_ROW, &server);
    // For the server the scarce thing is a connection slot, whether busy or idle.
    total.in_use = total.open;
    total.max = limits.max_connections;
    let caveat = format!(
        "slots used of max_connections ({} reserved for superusers); \
         clients queued inside an application's pool are not visible to the server",
        limits.superuser_reserved
    );
    total.note = Some(match total.note {
        Some(n) => format!("{n}; {caveat}"),
        None => caveat,
    });
    rows.push(total);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(app: &str, state: Option<&str>, sessions: i64, lock: i64) -> ActivityGroup {
        ActivityGroup {
            app: app.to_string(),
            state: state.map(String::from),
            sessions,
            lock_waiting: lock,
            oldest_xact_s: None,
        }
    }

    const LIMITS: ServerLimits = ServerLimits {
        max_connections: 100,
        superuser_reserved: 3,
    };

    #[test]
    fn an_application_holding_its_whole_pool_in_transactions_is_busy() {
        let mut leaking = group("contimg-api", Some("idle in transaction"), 8, 0);
        leaking.oldest_xact_s = Some(421.5);
        let groups = vec![
            leaking,
            group("contimg-api", Some("active"), 2, 1),
            group("worker", Some("idle"), 4, 0),
        ];
        let max = BTreeMap::from([("contimg-api".to_string(), 10)]);
        let rows = activity_rows(&groups, LIMITS, &max, "postgres", 5.0);
        let api = &rows[0];
        assert_eq!(api.name, "contimg-api");
        assert_eq!((api.max, api.in_use, api.idle, api.waiting), (10, 10, 0, 1));
        assert!(api.is_busy());
        assert_eq!(api.oldest_xact_s, Some(421.5));
        assert_eq!(api.note.as_deref(), Some("8 idle in transaction"));
        let worker = &rows[1];
        assert_eq!((worker.max, worker.idle, worker.in_use), (0, 4, 0));
        assert!(
            !worker.is_busy(),
            "no configured size means unknown, never busy"
        );
    }

    #[test]
    fn the_monitor_counts_against_the_server_but_has_no_row() {
        let groups = vec![
            group(MONITOR_APP, Some("idle"), 2, 0),
            group("", Some("active"), 1, 0),
        ];
        let rows = activity_rows(&groups, LIMITS, &BTreeMap::new(), "pg", 0.0);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, vec![UNNAMED_APP, SERVER_ROW]);
        let server = &rows[1];
        assert_eq!((server.open, server.in_use, server.max), (3, 3, 100));
        assert!(
            server
                .note
                .as_deref()
                .is_some_and(|n| n.contains("not visible"))
        );
    }

    #[test]
    fn sessions_we_may_not_inspect_are_counted_and_explained() {
        let groups = vec![group("etl", None, 3, 0)];
        let rows = activity_rows(&groups, LIMITS, &BTreeMap::new(), "pg", 0.0);
        assert_eq!((rows[0].open, rows[0].in_use, rows[0].idle), (3, 0, 0));
        assert!(
            rows[0]
                .note
                .as_deref()
                .is_some_and(|n| n.contains("pg_read_all_stats"))
        );
    }

    #[test]
    fn the_sampling_session_is_named_read_only_and_time_bounded() {
        let config: PoolSourceConfig = toml::from_str(
            r#"
            kind = "postgres"
            url = "postgresql://postgres:secret@127.0.0.1:5432/dsa110_absurd"
            timeout_ms = 800
            "#,
        )
        .expect("parses");
        let source = PostgresSource::new(&config).expect("valid url");
        assert_eq!(source.options.get_application_name(), Some(MONITOR_APP));
        let options = source.options.get_options().unwrap_or_default();
        assert!(
            options.contains("default_transaction_read_only=on"),
            "{options}"
        );
        assert!(options.contains("statement_timeout=800ms"), "{options}");
        assert_eq!(
            describe(&source.options),
            "postgresql://127.0.0.1:5432/dsa110_absurd"
        );
    }

    #[test]
    fn a_full_server_is_busy() {
        let groups = vec![group("api", Some("idle"), 100, 0)];
        let rows = activity_rows(&groups, LIMITS, &BTreeMap::new(), "pg", 0.0);
        assert!(rows[1].is_busy());
    }
}
