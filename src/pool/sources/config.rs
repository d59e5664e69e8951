//! The `[[pools.sources]]` entries of the config file: where else pool figures can be read.
//!
//! ```toml
//! [[pools.sources]]
//! kind = "postgres"                 # pg_stat_activity of the queue's server
//! url = "postgresql://postgres@localhost/dsa110_absurd"
//! interval_ms = 2000
//! max_per_app = { "contimg-api" = 10 }
//!
//! [[pools.sources]]
//! kind = "pgbouncer"                # the admin console: database must be `pgbouncer`
//! url = "postgresql://pgbouncer@127.0.0.1:6432/pgbouncer"
//!
//! [[pools.sources]]
//! kind = "prometheus"               # OpenTelemetry names are recognised without a mapping
//! name = "api"
//! url = "http://127.0.0.1:8000/metrics"
//!
//! # A HikariCP (Micrometer) application: map our fields to its metric names.
//! [[pools.sources]]
//! kind = "prometheus"
//! name = "hikari"
//! url = "http://127.0.0.1:8080/actuator/prometheus"
//! [pools.sources.mapping]
//! pool_label = ["pool"]
//! in_use = "hikaricp_connections_active"
//! idle = "hikaricp_connections_idle"
//! max = "hikaricp_connections_max"
//! pending = "hikaricp_connections_pending"
//! timeouts = "hikaricp_connections_timeout_total"
//! wait_time = "hikaricp_connections_acquire_seconds"
//! ```
//!
//! A mapped field may also carry label filters and a unit:
//! `in_use = { metric = "db_pool_connections", labels = { state = "busy" } }`,
//! `wait_time = { metric = "acquire_wait", unit = "ms" }`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Shortest interval accepted: a source sampled faster than this would load the server
/// it watches more than it tells.
pub const MIN_INTERVAL_MS: u64 = 250;

/// Which kind of place a pool source reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Postgres,
    Pgbouncer,
    Prometheus,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Postgres => "postgres",
            SourceKind::Pgbouncer => "pgbouncer",
            SourceKind::Prometheus => "prometheus",
        }
    }
}

/// One `[[pools.sources]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSourceConfig {
    pub kind: SourceKind,
    /// Shown as the rows' `source`; defaults to the kind.
    #[serde(default)]
    pub name: Option<String>,
    pub url: String,
    #[serde(default = "default_interval_ms")]
    pub interval_ms: u64,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    #[serde(default = "default_enabled")]
    pub enabled: bool,
    /// postgres only: the pool size each application is known to use (the server can't know).
    #[serde(default)]
    pub max_per_app: BTreeMap<String, u32>,
    /// prometheus only: metric names to read instead of OpenTelemetry's.
    #[serde(default)]
    pub mapping: Option<MappingConfig>,
}

fn default_interval_ms() -> u64 {
    2000
}
fn default_timeout_ms() -> u64 {
    1500
}
fn default_enabled() -> bool {
    true
}

/// A config entry that cannot work, with what to change.
#[derive(Debug, Error, PartialEq)]
pub enum SourceConfigError {
    #[error("pool source {name}: {reason}")]
    Invalid { name: String, reason: String },
}

impl PoolSourceConfig {
    /// The name its rows carry as `source`.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(self.kind.as_str())
    }

    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// Checks what serde cannot: URL schemes, kind-specific keys, sane timings.
    pub fn validate(&self) -> Result<(), SourceConfigError> {
        let fail = |reason: String| {
            Err(SourceConfigError::Invalid {
                name: self.display_name().to_string(),
                reason,
            })
        };
        if self.interval_ms < MIN_INTERVAL_MS {
            return fail(format!(
                "interval_ms = {} is below the minimum of {MIN_INTERVAL_MS}",
                self.interval_ms
            ));
        }
        if self.timeout_ms == 0 {
            return fail("timeout_ms must be above 0".into());
        }
        let scheme = self.url.split_once("://").map(|(s, _)| s);
        match self.kind {
            SourceKind::Postgres | SourceKind::Pgbouncer => {
                if !matches!(scheme, Some("postgres" | "postgresql")) {
                    return fail(format!(
                        "url must start with postgresql:// (got {:?})",
                        self.url
                    ));
                }
            }
            SourceKind::Prometheus => match scheme {
                Some("http") => {}
                Some("https") => {
                    return fail(
                        "https is not supported: scrape a plain-HTTP endpoint on this host".into(),
                    );
                }
                _ => return fail(format!("url must start with http:// (got {:?})", self.url)),
            },
        }
        // The admin console is the pseudo-database `pgbouncer`; any other name is a pool.
        if self.kind == SourceKind::Pgbouncer && database_of(&self.url) != Some("pgbouncer") {
            return fail("url must name the admin database: …/pgbouncer".into());
        }
        if self.kind != SourceKind::Postgres && !self.max_per_app.is_empty() {
            return fail("max_per_app applies to kind = \"postgres\" only".into());
        }
        if self.kind != SourceKind::Prometheus && self.mapping.is_some() {
            return fail("mapping applies to kind = \"prometheus\" only".into());
        }
        Ok(())
    }
}

/// The database part of a `postgresql://…/db?params` URL.
fn database_of(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let (_, path) = rest.split_once('/')?;
    path.split('?').next()
}

/// Validates the enabled entries (disabling one is how an operator sidelines a broken
/// source): names must tell the sources apart, since rows are keyed by them.
pub fn validate_all(sources: &[PoolSourceConfig]) -> Result<(), SourceConfigError> {
    let mut seen = std::collections::BTreeSet::new();
    for source in sources.iter().filter(|s| s.enabled) {
        source.validate()?;
        if !seen.insert(source.display_name()) {
            return Err(SourceConfigError::Invalid {
                name: source.display_name().to_string(),
                reason: "two enabled sources share this name; give each a `name`".into(),
            });
        }
    }
    Ok(())
}

/// Our fields mapped to another exporter's metric names. Unset fields keep the defaults.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MappingConfig {
    /// Labels that name the pool, first present wins.
    #[serde(default)]
    pub pool_label: Option<Vec<String>>,
    #[serde(default)]
    pub in_use: Option<SelectorConfig>,
    #[serde(default)]
    pub idle: Option<SelectorConfig>,
    #[serde(default)]
    pub max: Option<SelectorConfig>,
    #[serde(default)]
    pub pending: Option<SelectorConfig>,
    #[serde(default)]
    pub timeouts: Option<SelectorConfig>,
    #[serde(default)]
    pub wait_time: Option<SelectorConfig>,
}

/// A metric name alone, or with label filters and a unit.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum SelectorConfig {
    Name(String),
    Full(MetricSelector),
}

impl SelectorConfig {
    pub fn into_selector(self) -> MetricSelector {
        match self {
            SelectorConfig::Name(metric) => MetricSelector::named(&metric),
            SelectorConfig::Full(selector) => selector,
        }
    }
}

/// Which series carry one of our fields.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSelector {
    pub metric: String,
    /// Only series whose labels have these values.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// For `wait_time`: the unit of the values; guessed from the name when absent.
    #[serde(default)]
    pub unit: Option<TimeUnit>,
}

impl MetricSelector {
    pub fn named(metric: &str) -> Self {
        MetricSelector {
            metric: metric.to_string(),
            labels: BTreeMap::new(),
            unit: None,
        }
    }

    pub fn with_label(mut self, name: &str, value: &str) -> Self {
        self.labels.insert(name.to_string(), value.to_string());
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum TimeUnit {
    #[serde(rename = "s")]
    Seconds,
    #[serde(rename = "ms")]
    Milliseconds,
    #[serde(rename = "us")]
    Microseconds,
}

impl TimeUnit {
    pub fn to_ms(self, value: f64) -> f64 {
        match self {
            TimeUnit::Seconds => value * 1e3,
            TimeUnit::Milliseconds => value,
            TimeUnit::Microseconds => value / 1e3,
        }
    }

    /// The unit a metric's name announces; OpenTelemetry's current convention is seconds.
    pub fn guess_from_name(metric: &str) -> TimeUnit {
        if metric.ends_with("_milliseconds") || metric.ends_with("_ms") {
            TimeUnit::Milliseconds
        } else if metric.ends_with("_microseconds") || metric.ends_with("_us") {
            TimeUnit::Microseconds
        } else if metric.starts_with("db_client_connections_") {
            // The older semantic conventions (plural `connections`) used milliseconds.
            TimeUnit::Milliseconds
        } else {
            TimeUnit::Seconds
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Pools {
        sources: Vec<PoolSourceConfig>,
    }
    #[derive(Deserialize)]
    struct File {
        pools: Pools,
    }

    fn parse(text: &str) -> Vec<PoolSourceConfig> {
        toml::from_str::<File>(text)
            .expect("config parses")
            .pools
            .sources
    }

    #[test]
    fn the_documented_example_parses_with_defaults_filled_in() {
        let doc = include_str!("config.rs")
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.trim_start_matches("//!").trim_start_matches(' '))
            .collect::<Vec<_>>()
            .join("\n");
        let sources = parse(&doc);
        assert_eq!(sources.len(), 4);
        validate_all(&sources).expect("the example is valid");

        let pg = &sources[0];
        assert_eq!(
            (pg.kind, pg.display_name()),
            (SourceKind::Postgres, "postgres")
        );
        assert_eq!(pg.max_per_app.get("contimg-api"), Some(&10));
        assert_eq!(
            (pg.interval_ms, pg.timeout_ms, pg.enabled),
            (2000, 1500, true)
        );

        let hikari = sources[3].mapping.clone().expect("mapping");
        assert_eq!(hikari.pool_label, Some(vec!["pool".to_string()]));
        assert_eq!(
            hikari.in_use.map(SelectorConfig::into_selector),
            Some(MetricSelector::named("hikaricp_connections_active"))
        );
    }

    #[test]
    fn a_selector_can_filter_labels_and_name_its_unit() {
        let sources = parse(
            r#"
            [[pools.sources]]
            kind = "prometheus"
            url = "http://127.0.0.1:9000/metrics"
            [pools.sources.mapping]
            in_use = { metric = "db_pool_connections", labels = { state = "busy" } }
            wait_time = { metric = "acquire_wait", unit = "ms" }
            "#,
        );
        let mapping = sources[0].mapping.clone().expect("mapping");
        assert_eq!(
            mapping.in_use.map(SelectorConfig::into_selector),
            Some(MetricSelector::named("db_pool_connections").with_label("state", "busy"))
        );
        let wait = mapping.wait_time.map(SelectorConfig::into_selector);
        assert_eq!(wait.and_then(|w| w.unit), Some(TimeUnit::Milliseconds));
    }

    #[test]
    fn mistakes_are_reported_with_what_to_change() {
        let bad = |text: &str| {
            let sources = parse(text);
            validate_all(&sources).expect_err("invalid").to_string()
        };
        let https = bad(r#"
            [[pools.sources]]
            kind = "prometheus"
            url = "https://api.example/metrics""#);
        assert!(https.contains("https is not supported"), "{https}");

        let not_admin = bad(r#"
            [[pools.sources]]
            kind = "pgbouncer"
            url = "postgresql://u@127.0.0.1:6432/dsa110_absurd""#);
        assert!(not_admin.contains("/pgbouncer"), "{not_admin}");

        let misplaced = bad(r#"
            [[pools.sources]]
            kind = "pgbouncer"
            url = "postgresql://u@127.0.0.1:6432/pgbouncer"
            max_per_app = { api = 3 }"#);
        assert!(misplaced.contains("postgres\" only"), "{misplaced}");

        let twins = bad(r#"
            [[pools.sources]]
            kind = "postgres"
            url = "postgresql://a@h/db"
            [[pools.sources]]
            kind = "postgres"
            url = "postgresql://b@h/db""#);
        assert!(twins.contains("share this name"), "{twins}");

        let fast = bad(r#"
            [[pools.sources]]
            kind = "postgres"
            url = "postgresql://a@h/db"
            interval_ms = 10"#);
        assert!(fast.contains("below the minimum"), "{fast}");
    }

    #[test]
    fn a_disabled_entry_is_not_checked() {
        let sources = parse(
            r#"
            [[pools.sources]]
            kind = "prometheus"
            url = "https://not-yet/metrics"
            enabled = false"#,
        );
        assert_eq!(validate_all(&sources), Ok(()));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<File>(
            r#"
            [[pools.sources]]
            kind = "postgres"
            url = "postgresql://a@h/db"
            intervall_ms = 100"#,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("intervall_ms"), "{err}");
    }

    #[test]
    fn wait_units_are_read_from_metric_names() {
        assert_eq!(
            TimeUnit::guess_from_name("db_client_connection_wait_time_seconds"),
            TimeUnit::Seconds
        );
        assert_eq!(
            TimeUnit::guess_from_name("db_client_connections_wait_time"),
            TimeUnit::Milliseconds
        );
        assert_eq!(TimeUnit::Microseconds.to_ms(1500.0), 1.5);
    }
}
