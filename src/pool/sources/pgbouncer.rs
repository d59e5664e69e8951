//! pgbouncer's pools from its admin console: one row per database/user pair.
//!
//! The console (database `pgbouncer`) speaks only the simple query protocol, so every
//! command goes through `sqlx::raw_sql`, and every value arrives as text. Columns differ
//! between pgbouncer versions: they are read by name, unknown ones ignored, and numbers
//! parsed from text whatever type the console announces (`SHOW STATS` sends NUMERIC).
//!
//! `SHOW POOLS` gives the live figures, `SHOW DATABASES` the pool size per database,
//! `SHOW CONFIG` (once per connection) `default_pool_size`, and `SHOW STATS` the wait
//! totals from which the mean wait of the last interval is computed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::postgres::{PgConnectOptions, PgConnection, PgRow};
use sqlx::{Column, ConnectOptions, Row, ValueRef};

use crate::pool::sources::config::PoolSourceConfig;
use crate::pool::sources::postgres::{MONITOR_APP, one_line};
use crate::pool::sources::{PoolSource, SampleFuture, SourceError, redact_url};
use crate::snapshot::PoolStats;

/// The admin console's own pseudo-database, which is no pool of anyone's.
const ADMIN_DB: &str = "pgbouncer";

/// One result set, column name → text; NULLs are absent.
pub type Table = Vec<BTreeMap<String, String>>;

/// What one sample read from the console.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsoleReading {
    pub pools: Table,
    pub databases: Table,
    pub stats: Table,
    /// `default_pool_size` from `SHOW CONFIG`, for databases without their own size.
    pub default_pool_size: Option<u32>,
}

/// Cumulative wait figures of one database, to difference between samples.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WaitTotals {
    pub wait_us: f64,
    pub assignments: f64,
}

pub struct PgbouncerSource {
    name: String,
    options: PgConnectOptions,
    conn: Option<(PgConnection, Option<u32>)>,
    previous: BTreeMap<String, WaitTotals>,
    queries: Arc<AtomicU64>,
}

impl PgbouncerSource {
    pub fn new(config: &PoolSourceConfig) -> Result<Self, SourceError> {
        let options: PgConnectOptions = config.url.parse().map_err(|e| {
            SourceError::Invalid(format!("bad url {}: {e}", redact_url(&config.url)))
        })?;
        let options = options
            .application_name(MONITOR_APP)
            // The console refuses startup parameters it does not know.
            .extra_float_digits(None)
            .disable_statement_logging();
        Ok(PgbouncerSource {
            name: config.display_name().to_string(),
            options,
            conn: None,
            previous: BTreeMap::new(),
            queries: Arc::new(AtomicU64::new(0)),
        })
    }

    async fn read(&mut self, now: f64) -> Result<Vec<PoolStats>, SourceError> {
        let (mut conn, default_pool_size) = match self.conn.take() {
            Some(open) => open,
            None => self.connect().await?,
        };
        let pools = self.show(&mut conn, "SHOW POOLS").await?;
        let databases = self.show(&mut conn, "SHOW DATABASES").await?;
        let stats = self.show(&mut conn, "SHOW STATS").await?;
        self.conn = Some((conn, default_pool_size));
        let reading = ConsoleReading {
            pools,
            databases,
            stats,
            default_pool_size,
        };
        let totals = wait_totals(&reading.stats);
        let rows = console_rows(&reading, &self.previous, &self.name, now);
        self.previous = totals;
        Ok(rows)
    }

    async fn connect(&self) -> Result<(PgConnection, Option<u32>), SourceError> {
        let mut conn = self
            .options
            .connect()
            .await
            .map_err(|e| SourceError::Unreachable {
                target: format!(
                    "pgbouncer {}:{}",
                    self.options.get_host(),
                    self.options.get_port()
                ),
                reason: one_line(&e),
            })?;
        // Optional: without it, databases that have no size of their own show max 0 (unknown).
        let default_size = match self.show(&mut conn, "SHOW CONFIG").await {
            Ok(config) => default_pool_size(&config),
            Err(e) => {
                tracing::debug!(source = %self.name, error = %e, "pgbouncer SHOW CONFIG refused");
                None
            }
        };
        Ok((conn, default_size))
    }

    async fn show(
        &self,
        conn: &mut PgConnection,
        command: &'static str,
    ) -> Result<Table, SourceError> {
        self.queries.fetch_add(1, Ordering::Relaxed);
        let rows =
            sqlx::raw_sql(command)
                .fetch_all(conn)
                .await
                .map_err(|e| SourceError::Query {
                    query: command,
                    reason: one_line(&e),
                })?;
        Ok(rows.iter().map(text_row).collect())
    }
}

impl PoolSource for PgbouncerSource {
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

/// Every column as text, whatever type the console announced.
fn text_row(row: &PgRow) -> BTreeMap<String, String> {
    row.columns()
        .iter()
        .filter_map(|column| {
            let value = row.try_get_raw(column.ordinal()).ok()?;
            if value.is_null() {
                return None;
            }
            let text = value.as_str().ok()?;
            Some((column.name().to_string(), text.to_string()))
        })
        .collect()
}

fn number(row: &BTreeMap<String, String>, column: &str) -> Option<f64> {
    row.get(column)?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

fn count(row: &BTreeMap<String, String>, column: &str) -> Option<u32> {
    number(row, column).map(|v| v.max(0.0).min(f64::from(u32::MAX)) as u32)
}

/// `SHOW CONFIG` has rows `key | value | …`.
pub fn default_pool_size(config: &Table) -> Option<u32> {
    config
        .iter()
        .find(|row| row.get("key").map(String::as_str) == Some("default_pool_size"))
        .and_then(|row| count(row, "value"))
}

/// Cumulative wait time and server assignments per database from `SHOW STATS`.
/// Newer pgbouncers count assignments; older ones get one per transaction.
pub fn wait_totals(stats: &Table) -> BTreeMap<String, WaitTotals> {
    stats
        .iter()
        .filter_map(|row| {
            let db = row.get("database")?.clone();
            let wait_us = number(row, "total_wait_time")?;
            let assignments = number(row, "total_server_assignment_count")
                .or_else(|| number(row, "total_xact_count"))?;
            Some((
                db,
                WaitTotals {
                    wait_us,
                    assignments,
                },
            ))
        })
        .collect()
}

/// Mean wait per server assignment since the previous sample, in ms.
fn mean_wait_ms(now: Option<&WaitTotals>, before: Option<&WaitTotals>) -> Option<f64> {
    let (now, before) = (now?, before?);
    let assignments = now.assignments - before.assignments;
    let waited = now.wait_us - before.wait_us;
    (assignments > 0.0 && waited >= 0.0).then(|| waited / assignments / 1e3)
}

/// One row per database/user pool; `previous` holds the last sample's wait totals.
pub fn console_rows(
    reading: &ConsoleReading,
    previous: &BTreeMap<String, WaitTotals>,
    source: &str,
    now: f64,
) -> Vec<PoolStats> {
    let pool_size: BTreeMap<&str, u32> = reading
        .databases
        .iter()
        .filter_map(|row| {
            let name = row.get("name")?.as_str();
            // -1 (or absent) means "use default_pool_size".
            let size = number(row, "pool_size")
                .filter(|s| *s >= 0.0)
                .map(|s| s as u32)
                .or(reading.default_pool_size)?;
            Some((name, size))
        })
        .collect();
    let totals = wait_totals(&reading.stats);
    reading
        .pools
        .iter()
        .filter_map(|row| {
            let db = row.get("database")?;
            if db == ADMIN_DB {
                return None;
            }
            let user = row.get("user").map_or("", String::as_str);
            let get = |column: &str| count(row, column).unwrap_or(0);
            let in_use = count(row, "sv_active").unwrap_or_else(|| get("cl_active"));
            let idle = get("sv_idle");
            let open = in_use
                .saturating_add(idle)
                .saturating_add(get("sv_used"))
                .saturating_add(get("sv_tested"))
                .saturating_add(get("sv_login"));
            let maxwait_s = number(row, "maxwait").unwrap_or(0.0);
            let maxwait_us = number(row, "maxwait_us").unwrap_or(0.0);
            let wait_max_ms = maxwait_s * 1e3 + maxwait_us / 1e3;
            let mode = row.get("pool_mode").map_or("", String::as_str);
            let clients = format!(
                "{} clients active, {} waiting",
                get("cl_active"),
                get("cl_waiting")
            );
            let note = if mode.is_empty() {
                clients
            } else {
                format!("{mode} mode; {clients}")
            };
            Some(PoolStats {
                source: source.to_string(),
                name: format!("{db}/{user}"),
                max: pool_size
                    .get(db.as_str())
                    .copied()
                    .or(reading.default_pool_size)
                    .unwrap_or(0),
                open,
                in_use,
                idle,
                waiting: get("cl_waiting"),
                wait_max_ms: Some(wait_max_ms),
                wait_mean_ms: mean_wait_ms(totals.get(db), previous.get(db)),
                note: Some(note),
                sampled_at: now,
                ..PoolStats::default()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(header: &str, rows: &[&str]) -> Table {
        let columns: Vec<&str> = header.split('|').map(str::trim).collect();
        rows.iter()
            .map(|line| {
                columns
                    .iter()
                    .zip(line.split('|').map(str::trim))
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .collect()
    }

    /// `SHOW POOLS` as pgbouncer 1.18 prints it, with the admin pseudo-pool.
    fn pools() -> Table {
        table(
            "database | user | cl_active | cl_waiting | cl_active_cancel_req | cl_waiting_cancel_req | sv_active | sv_active_cancel | sv_being_canceled | sv_idle | sv_used | sv_tested | sv_login | maxwait | maxwait_us | pool_mode",
            &[
                "dsa110_absurd | postgres | 2 | 5 | 0 | 0 | 2 | 0 | 0 | 0 | 0 | 0 | 0 | 3 | 250000 | transaction",
                "pgbouncer | pgbouncer | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | statement",
                "reports | api | 1 | 0 | 0 | 0 | 1 | 0 | 0 | 2 | 0 | 0 | 0 | 0 | 0 | session",
            ],
        )
    }

    fn reading() -> ConsoleReading {
        ConsoleReading {
            pools: pools(),
            databases: table(
                "name | host | port | database | pool_size | reserve_pool | pool_mode",
                &[
                    "dsa110_absurd | 127.0.0.1 | 5432 | dsa110_absurd | 2 | 0 |",
                    "reports | 127.0.0.1 | 5432 | reports | -1 | 0 |",
                ],
            ),
            stats: table(
                "database | total_xact_count | total_wait_time | avg_wait_time",
                &["dsa110_absurd | 110.000 | 3500000 | 1200"],
            ),
            default_pool_size: Some(20),
        }
    }

    #[test]
    fn clients_queued_behind_a_full_pool_make_it_saturated() {
        let rows = console_rows(&reading(), &BTreeMap::new(), "pgbouncer", 9.0);
        assert_eq!(rows.len(), 2, "the admin console is no pool");
        let queue = &rows[0];
        assert_eq!(queue.name, "dsa110_absurd/postgres");
        assert_eq!((queue.max, queue.in_use, queue.waiting), (2, 2, 5));
        assert!(queue.is_saturated());
        assert_eq!(queue.wait_max_ms, Some(3250.0));
        assert_eq!(
            queue.note.as_deref(),
            Some("transaction mode; 2 clients active, 5 waiting")
        );
    }

    #[test]
    fn a_database_without_its_own_size_uses_the_default() {
        let rows = console_rows(&reading(), &BTreeMap::new(), "pgbouncer", 0.0);
        let reports = &rows[1];
        assert_eq!(
            (reports.max, reports.in_use, reports.idle, reports.open),
            (20, 1, 2, 3)
        );
        assert!(!reports.is_busy());
    }

    #[test]
    fn mean_wait_covers_the_last_interval_and_accepts_numeric_text() {
        let before = BTreeMap::from([(
            "dsa110_absurd".to_string(),
            WaitTotals {
                wait_us: 500_000.0,
                assignments: 100.0,
            },
        )]);
        let rows = console_rows(&reading(), &before, "pgbouncer", 0.0);
        // 3 s of waiting over 10 assignments.
        assert_eq!(rows[0].wait_mean_ms, Some(300.0));
        let first = console_rows(&reading(), &BTreeMap::new(), "pgbouncer", 0.0);
        assert_eq!(first[0].wait_mean_ms, None);
    }

    #[test]
    fn unknown_columns_are_ignored_and_missing_ones_default() {
        let odd = ConsoleReading {
            pools: table(
                "database | user | cl_active | cl_waiting | some_future_column",
                &["db | u | 4 | 1 | x"],
            ),
            ..Default::default()
        };
        let rows = console_rows(&odd, &BTreeMap::new(), "pgb", 0.0);
        assert_eq!((rows[0].in_use, rows[0].waiting, rows[0].max), (4, 1, 0));
    }

    #[test]
    fn default_pool_size_is_read_from_show_config() {
        let config = table(
            "key | value | default | changeable",
            &[
                "max_client_conn | 100 | 100 | yes",
                "default_pool_size | 3 | 20 | yes",
            ],
        );
        assert_eq!(default_pool_size(&config), Some(3));
    }
}
