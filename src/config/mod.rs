//! Configuration: `config/default.toml` (embedded) < the user's TOML file < environment <
//! command-line flags. Layers are merged as TOML tables, so a user file may set one key only.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The defaults shipped with the monitor.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Invalid { path: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub pipeline: PipelineConfig,
    pub postgres: PostgresConfig,
    pub triage: TriageConfig,
    pub ui: UiConfig,
    pub db: DbConfig,
    pub fits: FitsConfig,
    pub pools: PoolsConfig,
    #[serde(default)]
    pub keys: HashMap<String, Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolsConfig {
    /// A pool saturated (busy with clients waiting) this long raises an alert.
    pub alert_after_secs: f64,
    /// Ring the terminal bell when an alert is raised.
    pub bell: bool,
    /// Pools seen from outside the monitor: PostgreSQL, pgbouncer, Prometheus endpoints.
    #[serde(default)]
    pub sources: Vec<crate::pool::sources::PoolSourceConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    pub db: PathBuf,
    pub log_dir: PathBuf,
    /// The zone of the plain-text logs' times: `local`, `UTC`, `-08:00` or an IANA name.
    pub log_timezone: String,
    /// Seconds added before a job's start and after its end when matching log lines.
    pub log_window_margin_secs: f64,
    /// The pipeline's alerts database (`alert_history`); empty: `alerts.sqlite3` in the
    /// pipeline database's directory.
    #[serde(default)]
    pub alerts_db: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresConfig {
    pub url: String,
    pub statement_timeout_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageConfig {
    pub window_hours: f64,
    pub stuck_minutes: f64,
    pub collecting_stuck_minutes: f64,
    pub failure_rate_alert: f64,
    pub backlog_alert: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    pub refresh_secs: f64,
    pub page_size: usize,
    pub no_color: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DbConfig {
    pub max_connections: u32,
    pub acquire_timeout_ms: u64,
    pub busy_timeout_ms: u64,
    pub slow_query_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitsConfig {
    pub cache_entries: usize,
}

/// Values that come from the environment or flags (highest layers), already combined by clap
/// (a flag wins over its environment variable).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub db: Option<PathBuf>,
    pub log_dir: Option<PathBuf>,
    pub postgres_url: Option<String>,
    pub refresh_secs: Option<f64>,
    pub no_color: bool,
}

impl Config {
    /// The shipped defaults alone.
    pub fn defaults() -> Config {
        toml::from_str(DEFAULT_TOML).expect("config/default.toml is valid (tested)")
    }

    /// Merge defaults < `file` (if it exists, or if it was named explicitly) < overrides.
    pub fn load(
        file: Option<&Path>,
        explicit: bool,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut merged: toml::Table = toml::from_str(DEFAULT_TOML).expect("default config parses");
        if let Some(path) = file {
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    let user: toml::Table =
                        toml::from_str(&text).map_err(|e| ConfigError::Invalid {
                            path: path.display().to_string(),
                            message: one_line(&e.to_string()),
                        })?;
                    merge_tables(&mut merged, user);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {}
                Err(source) => {
                    return Err(ConfigError::Read {
                        path: path.to_path_buf(),
                        source,
                    });
                }
            }
        }
        let mut config: Config =
            Config::deserialize(toml::Value::Table(merged)).map_err(|e| ConfigError::Invalid {
                path: file.map(|p| p.display().to_string()).unwrap_or_default(),
                message: one_line(&e.to_string()),
            })?;
        config.apply(overrides);
        config.validate()?;
        Ok(config)
    }

    fn apply(&mut self, o: &Overrides) {
        if let Some(db) = &o.db {
            self.pipeline.db = db.clone();
        }
        if let Some(dir) = &o.log_dir {
            self.pipeline.log_dir = dir.clone();
        }
        if let Some(url) = &o.postgres_url {
            self.postgres.url = url.clone();
        }
        if let Some(r) = o.refresh_secs {
            self.ui.refresh_secs = r;
        }
        if o.no_color {
            self.ui.no_color = true;
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |message: String| ConfigError::Invalid {
            path: "(merged configuration)".into(),
            message,
        };
        if !(0.5..=60.0).contains(&self.ui.refresh_secs) {
            return Err(bad(format!(
                "ui.refresh_secs = {} is outside 0.5 .. 60",
                self.ui.refresh_secs
            )));
        }
        if let Err(e) = crate::db::logs::LogZone::parse(&self.pipeline.log_timezone) {
            return Err(bad(format!("pipeline.log_timezone: {e}")));
        }
        let margin = self.pipeline.log_window_margin_secs;
        if !margin.is_finite() || margin < 0.0 {
            return Err(bad("pipeline.log_window_margin_secs must be >= 0".into()));
        }
        if self.db.max_connections == 0 {
            return Err(bad("db.max_connections must be at least 1".into()));
        }
        if self.ui.page_size == 0 {
            return Err(bad("ui.page_size must be at least 1".into()));
        }
        let t = &self.triage;
        if !(t.window_hours > 0.0 && t.stuck_minutes > 0.0 && t.collecting_stuck_minutes > 0.0) {
            return Err(bad(
                "triage.window_hours, stuck_minutes and collecting_stuck_minutes must be > 0"
                    .into(),
            ));
        }
        if !(0.0..=1.0).contains(&t.failure_rate_alert) {
            return Err(bad(format!(
                "triage.failure_rate_alert = {} is a fraction (0.10 is 10 %)",
                t.failure_rate_alert
            )));
        }
        if self.postgres.statement_timeout_ms == 0 {
            return Err(bad(
                "postgres.statement_timeout_ms must be at least 1".into()
            ));
        }
        if !self.pools.alert_after_secs.is_finite() || self.pools.alert_after_secs < 0.0 {
            return Err(bad("pools.alert_after_secs must be 0 or more".into()));
        }
        crate::pool::sources::config::validate_all(&self.pools.sources)
            .map_err(|e| bad(format!("[[pools.sources]]: {e}")))?;
        Ok(())
    }

    /// The merged configuration as TOML, for `--print-config`.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot print: {e}"))
    }

    pub fn refresh(&self) -> Duration {
        Duration::from_secs_f64(self.ui.refresh_secs)
    }

    /// How the monitor's read-only SQLite pool is set up.
    /// Where the pipeline's logs are and how their times read (validated at load).
    pub fn log_source(&self) -> crate::db::logs::LogSource {
        crate::db::logs::LogSource {
            dir: self.pipeline.log_dir.clone(),
            zone: crate::db::logs::LogZone::parse(&self.pipeline.log_timezone).unwrap_or_default(),
            margin_secs: self.pipeline.log_window_margin_secs,
        }
    }

    pub fn db_options(&self) -> crate::db::DbOptions {
        crate::db::DbOptions {
            max_connections: self.db.max_connections,
            acquire_timeout: Duration::from_millis(self.db.acquire_timeout_ms),
            busy_timeout: Duration::from_millis(self.db.busy_timeout_ms),
            slow_query: Duration::from_millis(self.db.slow_query_ms),
        }
    }

    /// How the monitor talks to the queue: the statement timeout stays under the refresh
    /// interval, so a slow query never stacks up behind the next refresh.
    pub fn queue_options(&self) -> crate::queue::QueueOptions {
        let refresh_ms = (self.ui.refresh_secs * 1000.0 * 0.9) as u64;
        crate::queue::QueueOptions {
            statement_timeout: Duration::from_millis(
                self.postgres.statement_timeout_ms.min(refresh_ms.max(100)),
            ),
            long_running_after: self.triage_thresholds().stuck_after,
            ..crate::queue::QueueOptions::default()
        }
    }

    /// The triage view's alert thresholds.
    pub fn triage_thresholds(&self) -> crate::triage::Thresholds {
        crate::triage::Thresholds {
            failure_rate: self.triage.failure_rate_alert,
            backlog: self.triage.backlog_alert,
            stuck_after: Duration::from_secs_f64(self.triage.stuck_minutes * 60.0),
            collecting_after: Duration::from_secs_f64(self.triage.collecting_stuck_minutes * 60.0),
        }
    }

    /// The triage window the view opens with, in seconds.
    pub fn triage_window_s(&self) -> f64 {
        self.triage.window_hours * 3600.0
    }

    /// Where the pipeline's `alerts.sqlite3` is read: `[pipeline] alerts_db`, or beside the
    /// pipeline database (`state/db/alerts.sqlite3`) when that is empty.
    pub fn alerts_db_path(&self) -> PathBuf {
        if self.pipeline.alerts_db.as_os_str().is_empty() {
            crate::db::records::alerts::default_alerts_path(&self.pipeline.db)
        } else {
            self.pipeline.alerts_db.clone()
        }
    }

    /// The PostgreSQL URL when one is configured.
    pub fn postgres_url(&self) -> Option<&str> {
        let url = self.postgres.url.trim();
        (!url.is_empty()).then_some(url)
    }
}

/// The user's config file at the XDG path (`~/.config/contimg-monitor/config.toml`).
pub fn user_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "contimg-monitor")
        .map(|d| d.config_dir().join("config.toml"))
}

/// Where the demo lives by default (`~/.local/share/contimg-monitor/demo`).
pub fn default_demo_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "contimg-monitor")
        .map(|d| d.data_dir().join("demo"))
        .unwrap_or_else(|| std::env::temp_dir().join("contimg-monitor-demo"))
}

fn merge_tables(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge_tables(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn the_shipped_defaults_parse_and_validate() {
        let c = Config::load(None, false, &Overrides::default()).unwrap();
        assert_eq!(c, Config::defaults());
        assert_eq!(c.refresh(), Duration::from_secs(2));
        assert_eq!(c.postgres_url(), None);
    }

    #[test]
    fn a_user_file_may_set_one_key_and_keeps_the_other_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "[ui]\nrefresh_secs = 5.0\n");
        let c = Config::load(Some(&path), true, &Overrides::default()).unwrap();
        assert_eq!(c.ui.refresh_secs, 5.0);
        assert_eq!(c.ui.page_size, Config::defaults().ui.page_size);
    }

    #[test]
    fn flags_and_environment_win_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "[pipeline]\ndb = \"/from/file.sqlite3\"\n");
        let o = Overrides {
            db: Some("/from/flag.sqlite3".into()),
            ..Default::default()
        };
        let c = Config::load(Some(&path), true, &o).unwrap();
        assert_eq!(c.pipeline.db, PathBuf::from("/from/flag.sqlite3"));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "[ui]\nrefresh = 5\n");
        let err = Config::load(Some(&path), true, &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("refresh"), "{err}");
        let path = write(&dir, "[ui]\nrefresh_secs = 0.01\n");
        let err = Config::load(Some(&path), true, &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("outside"), "{err}");
    }

    #[test]
    fn a_missing_default_file_is_fine_but_a_named_one_is_an_error() {
        let missing = Path::new("/nonexistent/contimg.toml");
        assert!(Config::load(Some(missing), false, &Overrides::default()).is_ok());
        assert!(Config::load(Some(missing), true, &Overrides::default()).is_err());
    }

    #[test]
    fn the_queue_statement_timeout_stays_under_the_refresh_interval() {
        let mut c = Config::defaults();
        c.ui.refresh_secs = 1.0;
        c.postgres.statement_timeout_ms = 5000;
        assert_eq!(
            c.queue_options().statement_timeout,
            Duration::from_millis(900)
        );
        let t = Config::defaults().triage_thresholds();
        assert_eq!(t.failure_rate, 0.10);
        assert_eq!(t.backlog, 100);
        assert_eq!(t.stuck_after, Duration::from_secs(1800));
    }

    #[test]
    fn the_printed_config_parses_back_to_the_same_values() {
        let c = Config::defaults();
        let back: Config = toml::from_str(&c.to_toml()).unwrap();
        assert_eq!(back, c);
    }
}
