//! The pipeline's own alerts: `alert_history` in the separate `alerts.sqlite3` (written by
//! its monitoring AlertManager: rule_name, severity info/warning/critical, state
//! firing/resolved/pending, fired_at unix seconds). Opened read-only with the same
//! [`Db::open`] as the main database, lazily, and opened again after a failure.

use std::path::{Path, PathBuf};

use tokio::sync::Mutex;

use crate::db::sql::{self, SqlBuf};
use crate::db::{Db, DbError, DbOptions};
use crate::snapshot::records::{AlertSeverity, AlertsState, PipelineAlert, TableNote};

/// Firing alerts listed at most.
pub const FIRING_SHOWN: i64 = 50;
/// Firing alerts are looked for among this many newest rows (on the `fired_at` index).
pub const NEWEST_SCANNED: i64 = 5000;

/// `alerts.sqlite3`, opened on first use.
pub struct AlertsDb {
    path: PathBuf,
    opts: DbOptions,
    db: Mutex<Option<Db>>,
}

impl AlertsDb {
    pub fn new(path: PathBuf, opts: DbOptions) -> AlertsDb {
        let opts = DbOptions {
            max_connections: 1,
            ..opts
        };
        AlertsDb {
            path,
            opts,
            db: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The firing alerts, or a note when the file or table is absent.
    pub async fn read(&self) -> AlertsState {
        let mut slot = self.db.lock().await;
        if slot.is_none() {
            match Db::open(&self.path, &self.opts).await {
                Ok(db) => *slot = Some(db),
                Err(DbError::NotFound(_)) => {
                    return AlertsState::Missing {
                        note: TableNote {
                            table: "alert_history".into(),
                            kind: crate::snapshot::records::NoteKind::Missing,
                            text: format!(
                                "no alerts.sqlite3 at {} (the pipeline writes it only where \
                                 its AlertManager is given a database)",
                                crate::text::sanitize_line(&self.path.display().to_string())
                            ),
                        },
                    };
                }
                Err(e) => {
                    return AlertsState::Error {
                        message: e.to_string(),
                    };
                }
            }
        }
        let Some(db) = slot.as_ref() else {
            return AlertsState::Error {
                message: "alerts database not open".into(),
            };
        };
        match firing(db).await {
            Ok(state) => state,
            Err(e) => {
                // Open it again next time: the file may have been replaced.
                if let Some(db) = slot.take() {
                    db.pool().inner().close().await;
                }
                if e.is_missing() {
                    AlertsState::Missing {
                        note: TableNote::missing("alert_history"),
                    }
                } else {
                    AlertsState::Error {
                        message: e.to_string(),
                    }
                }
            }
        }
    }

    /// Close the connection (headless runs).
    pub async fn close(&self) {
        if let Some(db) = self.db.lock().await.take() {
            db.pool().inner().close().await;
        }
    }
}

async fn firing(db: &Db) -> Result<AlertsState, DbError> {
    let mut schema = db.schema();
    if !schema.has_table("alert_history") {
        // The manager creates its table on start; the file may predate it.
        db.reload_schema().await?;
        schema = db.schema();
    }
    if !schema.has_column("alert_history", "state") {
        return Ok(AlertsState::Missing {
            note: TableNote::missing("alert_history"),
        });
    }
    let c = |col: &str| schema.col("alert_history", "", col);
    let fired = c("fired_at");
    let order = if fired == "NULL" {
        "rowid".to_string()
    } else {
        fired.clone()
    };
    let newest = format!(
        "SELECT {} AS rule_name, {} AS severity, state, {} AS message, {fired} AS fired_at, \
         {} AS labels_json FROM alert_history ORDER BY {order} DESC LIMIT {NEWEST_SCANNED}",
        c("rule_name"),
        c("severity"),
        c("message"),
        c("labels_json"),
    );
    let rows = db
        .fetch(
            "firing pipeline alerts",
            SqlBuf::new(format!(
                "SELECT * FROM ({newest}) WHERE lower(state) = 'firing' LIMIT {}",
                FIRING_SHOWN
            )),
        )
        .await?;
    let total = db
        .scalar(
            "firing pipeline alerts count",
            SqlBuf::new(format!(
                "SELECT COUNT(*) FROM ({newest}) WHERE lower(state) = 'firing'"
            )),
        )
        .await?
        .unwrap_or(0);
    let mut firing: Vec<PipelineAlert> = rows
        .iter()
        .map(|r| PipelineAlert {
            rule_name: sql::text(r, "rule_name").unwrap_or_default(),
            severity: AlertSeverity::parse(sql::text(r, "severity").as_deref()),
            message: sql::text(r, "message"),
            fired_at: sql::real(r, "fired_at"),
            labels_json: sql::text(r, "labels_json"),
        })
        .collect();
    firing.sort_by(|a, b| {
        a.severity.rank().cmp(&b.severity.rank()).then(
            b.fired_at
                .unwrap_or(0.0)
                .total_cmp(&a.fired_at.unwrap_or(0.0)),
        )
    });
    Ok(AlertsState::Ok {
        firing,
        firing_total: total.max(0) as u64,
    })
}

/// The default place of `alerts.sqlite3`: beside the pipeline database.
pub fn default_alerts_path(pipeline_db: &Path) -> PathBuf {
    pipeline_db
        .parent()
        .map(|d| d.join("alerts.sqlite3"))
        .unwrap_or_else(|| PathBuf::from("alerts.sqlite3"))
}
