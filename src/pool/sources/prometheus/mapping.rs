//! From a scrape to one [`PoolStats`] per pool, through OpenTelemetry's names or a mapping.
//!
//! OpenTelemetry's `db.client.connection.*` metrics reach Prometheus with dots turned into
//! underscores, counters suffixed `_total` and the wait histogram suffixed with its unit;
//! older semantic conventions said `db.client.connections.*` with `usage{state}` and
//! milliseconds; attribute names also lose their dots unless the exporter speaks UTF-8.
//! The defaults below try each spelling and keep the first that is present, so a mapping
//! is only needed for other vocabularies (HikariCP, custom exporters).

use std::collections::{BTreeMap, BTreeSet};

use crate::pool::sources::config::{MappingConfig, MetricSelector, SelectorConfig, TimeUnit};
use crate::snapshot::PoolStats;

use super::exposition::{Exposition, MetricType, Sample};
use super::histogram::WaitSeries;

/// The pool name used when no pool label is present (an exporter with a single pool).
pub const UNLABELLED_POOL: &str = "default";

/// The metric and label names to read, each field with candidates tried in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    pub pool_labels: Vec<String>,
    pub in_use: Vec<MetricSelector>,
    pub idle: Vec<MetricSelector>,
    pub max: Vec<MetricSelector>,
    pub pending: Vec<MetricSelector>,
    pub timeouts: Vec<MetricSelector>,
    pub wait_time: Vec<MetricSelector>,
}

const FAMILIES: [&str; 3] = [
    "db_client_connection",
    "db.client.connection",
    "db_client_connections",
];
const STATE_LABELS: [&str; 3] = [
    "state",
    "db_client_connection_state",
    "db.client.connection.state",
];

fn candidates(suffixes: &[&str]) -> Vec<MetricSelector> {
    FAMILIES
        .iter()
        .flat_map(|family| {
            let sep = if family.contains('.') { "." } else { "_" };
            suffixes
                .iter()
                .map(move |s| MetricSelector::named(&format!("{family}{sep}{s}")))
        })
        .collect()
}

fn by_state(state: &str) -> Vec<MetricSelector> {
    let names = [
        "db_client_connection_count",
        "db.client.connection.count",
        "db_client_connections_usage",
    ];
    names
        .iter()
        .flat_map(|name| {
            STATE_LABELS
                .iter()
                .map(move |label| MetricSelector::named(name).with_label(label, state))
        })
        .collect()
}

impl Default for Mapping {
    fn default() -> Self {
        Mapping {
            pool_labels: [
                "pool_name",
                "pool.name",
                "db_client_connection_pool_name",
                "db.client.connection.pool.name",
                "pool",
            ]
            .map(String::from)
            .to_vec(),
            in_use: by_state("used"),
            idle: by_state("idle"),
            max: candidates(&["max"]),
            pending: candidates(&["pending_requests"]),
            timeouts: candidates(&["timeouts"]),
            wait_time: candidates(&["wait_time_seconds", "wait_time_milliseconds", "wait_time"]),
        }
    }
}

impl Mapping {
    /// The defaults with the configured fields put in front of their candidates.
    pub fn from_config(config: Option<&MappingConfig>) -> Mapping {
        let mut mapping = Mapping::default();
        let Some(config) = config else {
            return mapping;
        };
        if let Some(labels) = &config.pool_label {
            mapping.pool_labels = labels.clone();
        }
        let fields: [(&Option<SelectorConfig>, &mut Vec<MetricSelector>); 6] = [
            (&config.in_use, &mut mapping.in_use),
            (&config.idle, &mut mapping.idle),
            (&config.max, &mut mapping.max),
            (&config.pending, &mut mapping.pending),
            (&config.timeouts, &mut mapping.timeouts),
            (&config.wait_time, &mut mapping.wait_time),
        ];
        for (configured, candidates) in fields {
            if let Some(selector) = configured {
                // A mapped field means exactly that metric: no silent fallback to others.
                *candidates = vec![selector.clone().into_selector()];
            }
        }
        mapping
    }

    /// What a scrape was searched for, for the "nothing found" message.
    pub fn describe(&self) -> String {
        let first = |c: &[MetricSelector]| c.first().map(|s| s.metric.clone()).unwrap_or_default();
        format!(
            "{}, {}, {}",
            first(&self.in_use),
            first(&self.max),
            first(&self.pending)
        )
    }

    fn pool_of(&self, sample: &Sample) -> String {
        self.pool_labels
            .iter()
            .find_map(|label| sample.label(label))
            .unwrap_or(UNLABELLED_POOL)
            .to_string()
    }
}

fn matches(sample: &Sample, name: &str, selector: &MetricSelector) -> bool {
    sample.name == name
        && selector
            .labels
            .iter()
            .all(|(k, v)| sample.label(k) == Some(v.as_str()))
}

/// Sum per pool of the first candidate that has any series. Counters may carry `_total`.
fn per_pool(
    scrape: &Exposition,
    mapping: &Mapping,
    candidates: &[MetricSelector],
) -> BTreeMap<String, f64> {
    for selector in candidates {
        let total = format!("{}_total", selector.metric);
        let mut sums = BTreeMap::new();
        for sample in &scrape.samples {
            if matches(sample, &selector.metric, selector) || matches(sample, &total, selector) {
                *sums.entry(mapping.pool_of(sample)).or_insert(0.0) += sample.value;
            }
        }
        if !sums.is_empty() {
            return sums;
        }
    }
    BTreeMap::new()
}

/// The wait-time series per pool (values in ms) from the first candidate that has any.
pub fn wait_series(scrape: &Exposition, mapping: &Mapping) -> BTreeMap<String, WaitSeries> {
    for selector in &mapping.wait_time {
        let unit = selector
            .unit
            .unwrap_or_else(|| TimeUnit::guess_from_name(&selector.metric));
        let base = selector.metric.as_str();
        let names = [
            format!("{base}_bucket"),
            format!("{base}_sum"),
            format!("{base}_count"),
            format!("{base}_max"),
        ];
        let mut out: BTreeMap<String, WaitSeries> = BTreeMap::new();
        for sample in &scrape.samples {
            let which = names.iter().position(|n| matches(sample, n, selector));
            let summary_quantile = (matches(sample, base, selector)
                && scrape.type_of(base) != MetricType::Gauge)
                .then(|| sample.label("quantile").and_then(|q| q.parse::<f64>().ok()))
                .flatten();
            if which.is_none() && summary_quantile.is_none() {
                continue;
            }
            let series = out.entry(mapping.pool_of(sample)).or_default();
            let ms = unit.to_ms(sample.value);
            match which {
                Some(0) => {
                    if let Some(le) = sample.label("le").and_then(parse_le) {
                        series.add_bucket(unit.to_ms(le), sample.value);
                    }
                }
                Some(1) => *series.sum.get_or_insert(0.0) += ms,
                Some(2) => *series.count.get_or_insert(0.0) += sample.value,
                Some(_) => series.max = Some(series.max.map_or(ms, |m| m.max(ms))),
                None => {
                    if let Some(q) = summary_quantile {
                        series.quantiles.push((q, ms));
                    }
                }
            }
        }
        if !out.is_empty() {
            return out;
        }
    }
    BTreeMap::new()
}

fn parse_le(text: &str) -> Option<f64> {
    match text {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        _ => text.parse().ok(),
    }
}

fn count(value: Option<&f64>) -> u32 {
    value
        .filter(|v| v.is_finite() && **v > 0.0)
        .map_or(0, |v| v.round().min(f64::from(u32::MAX)) as u32)
}

/// The gauges and counters of every pool in a scrape; wait figures are filled in by the
/// caller, which knows the previous scrape. Pools are sorted by name.
pub fn pool_rows(scrape: &Exposition, mapping: &Mapping, source: &str, now: f64) -> Vec<PoolStats> {
    let in_use = per_pool(scrape, mapping, &mapping.in_use);
    let idle = per_pool(scrape, mapping, &mapping.idle);
    let max = per_pool(scrape, mapping, &mapping.max);
    let pending = per_pool(scrape, mapping, &mapping.pending);
    let timeouts = per_pool(scrape, mapping, &mapping.timeouts);
    let names: BTreeSet<&str> = [&in_use, &idle, &max, &pending, &timeouts]
        .into_iter()
        .flat_map(|map| map.keys().map(String::as_str))
        .collect();
    names
        .into_iter()
        .map(|name| {
            let in_use = count(in_use.get(name));
            let idle = count(idle.get(name));
            PoolStats {
                source: source.to_string(),
                name: name.to_string(),
                max: count(max.get(name)),
                open: in_use.saturating_add(idle),
                in_use,
                idle,
                waiting: count(pending.get(name)),
                timeouts: timeouts
                    .get(name)
                    .filter(|v| v.is_finite() && **v > 0.0)
                    .map_or(0, |v| *v as u64),
                sampled_at: now,
                ..PoolStats::default()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::sources::prometheus::exposition::parse;

    /// What an OpenTelemetry Prometheus exporter writes for two pools, one saturated.
    pub const OTEL_SCRAPE: &str = r#"# HELP db_client_connection_count The number of connections that are currently in state described by the state attribute
# TYPE db_client_connection_count gauge
db_client_connection_count{pool_name="api",state="used"} 10
db_client_connection_count{pool_name="api",state="idle"} 0
db_client_connection_count{pool_name="worker",state="used"} 1
db_client_connection_count{pool_name="worker",state="idle"} 3
# TYPE db_client_connection_max gauge
db_client_connection_max{pool_name="api"} 10
db_client_connection_max{pool_name="worker"} 4
# TYPE db_client_connection_pending_requests gauge
db_client_connection_pending_requests{pool_name="api"} 6
db_client_connection_pending_requests{pool_name="worker"} 0
# TYPE db_client_connection_timeouts_total counter
db_client_connection_timeouts_total{pool_name="api"} 4
# TYPE db_client_connection_wait_time_seconds histogram
db_client_connection_wait_time_seconds_bucket{pool_name="api",le="0.005"} 100
db_client_connection_wait_time_seconds_bucket{pool_name="api",le="0.1"} 100
db_client_connection_wait_time_seconds_bucket{pool_name="api",le="2.5"} 150
db_client_connection_wait_time_seconds_bucket{pool_name="api",le="+Inf"} 200
db_client_connection_wait_time_seconds_sum{pool_name="api"} 310.5
db_client_connection_wait_time_seconds_count{pool_name="api"} 200
"#;

    #[test]
    fn opentelemetry_names_need_no_mapping() {
        let scrape = parse(OTEL_SCRAPE).expect("valid");
        let rows = pool_rows(&scrape, &Mapping::default(), "api-metrics", 1.0);
        let api = &rows[0];
        assert_eq!(api.name, "api");
        assert_eq!((api.max, api.in_use, api.idle, api.open), (10, 10, 0, 10));
        assert_eq!((api.waiting, api.timeouts), (6, 4));
        assert!(api.is_saturated());
        let worker = &rows[1];
        assert_eq!((worker.max, worker.in_use, worker.idle), (4, 1, 3));
        assert!(!worker.is_busy());
    }

    #[test]
    fn the_wait_histogram_is_read_in_milliseconds() {
        let scrape = parse(OTEL_SCRAPE).expect("valid");
        let waits = wait_series(&scrape, &Mapping::default());
        let f = waits["api"].figures();
        assert_eq!(f.p50, Some(5.0));
        assert_eq!(f.p95, Some(2500.0));
        assert!((f.mean.expect("mean") - 1552.5).abs() < 1e-6);
    }

    #[test]
    fn older_conventions_and_dotted_utf8_names_are_recognised() {
        let older = parse(
            "db_client_connections_usage{pool_name=\"q\",state=\"used\"} 2\n\
             db_client_connections_max{pool_name=\"q\"} 2\n\
             db_client_connections_pending_requests{pool_name=\"q\"} 1\n\
             db_client_connections_wait_time_sum{pool_name=\"q\"} 30\n\
             db_client_connections_wait_time_count{pool_name=\"q\"} 3\n",
        )
        .expect("valid");
        let rows = pool_rows(&older, &Mapping::default(), "x", 0.0);
        assert!(rows[0].is_saturated());
        let waits = wait_series(&older, &Mapping::default());
        assert_eq!(
            waits["q"].figures().mean,
            Some(10.0),
            "old convention is ms"
        );

        let dotted = parse(
            "{\"db.client.connection.count\",\"db.client.connection.pool.name\"=\"p\",\"db.client.connection.state\"=\"used\"} 5\n",
        )
        .expect("valid");
        let rows = pool_rows(&dotted, &Mapping::default(), "x", 0.0);
        assert_eq!((rows[0].name.as_str(), rows[0].in_use), ("p", 5));
    }

    /// HikariCP through Micrometer's Prometheus registry, mapped in the config file.
    const HIKARI_SCRAPE: &str = r#"# TYPE hikaricp_connections_active gauge
hikaricp_connections_active{pool="HikariPool-1",} 8.0
# TYPE hikaricp_connections_idle gauge
hikaricp_connections_idle{pool="HikariPool-1",} 0.0
# TYPE hikaricp_connections_max gauge
hikaricp_connections_max{pool="HikariPool-1",} 8.0
# TYPE hikaricp_connections_pending gauge
hikaricp_connections_pending{pool="HikariPool-1",} 3.0
# TYPE hikaricp_connections_timeout_total counter
hikaricp_connections_timeout_total{pool="HikariPool-1",} 2.0
# TYPE hikaricp_connections_acquire_seconds summary
hikaricp_connections_acquire_seconds_count{pool="HikariPool-1",} 1000.0
hikaricp_connections_acquire_seconds_sum{pool="HikariPool-1",} 12.5
# TYPE hikaricp_connections_acquire_seconds_max gauge
hikaricp_connections_acquire_seconds_max{pool="HikariPool-1",} 0.75
"#;

    #[test]
    fn hikaricp_metrics_are_read_through_a_mapping() {
        let config: MappingConfig = toml::from_str(
            r#"
            pool_label = ["pool"]
            in_use = "hikaricp_connections_active"
            idle = "hikaricp_connections_idle"
            max = "hikaricp_connections_max"
            pending = "hikaricp_connections_pending"
            timeouts = "hikaricp_connections_timeout"
            wait_time = "hikaricp_connections_acquire_seconds"
            "#,
        )
        .expect("mapping parses");
        let mapping = Mapping::from_config(Some(&config));
        let scrape = parse(HIKARI_SCRAPE).expect("valid");
        let rows = pool_rows(&scrape, &mapping, "billing", 0.0);
        let pool = &rows[0];
        assert_eq!(pool.name, "HikariPool-1");
        assert_eq!(
            (pool.max, pool.in_use, pool.waiting, pool.timeouts),
            (8, 8, 3, 2)
        );
        assert!(pool.is_saturated());
        let f = wait_series(&scrape, &mapping)["HikariPool-1"].figures();
        assert_eq!(f.mean, Some(12.5));
        assert_eq!(f.max, Some(750.0));
    }

    #[test]
    fn label_filters_pick_the_series_and_no_pool_label_means_one_pool() {
        let mut mapping = Mapping::from_config(None);
        mapping.in_use = vec![MetricSelector::named("conns").with_label("kind", "busy")];
        let scrape = parse("conns{kind=\"busy\"} 2\nconns{kind=\"free\"} 7\n").expect("valid");
        let rows = pool_rows(&scrape, &mapping, "x", 0.0);
        assert_eq!(
            (rows[0].name.as_str(), rows[0].in_use),
            (UNLABELLED_POOL, 2)
        );
    }

    #[test]
    fn a_scrape_without_pool_metrics_yields_no_rows() {
        let scrape = parse("process_cpu_seconds_total 12\n").expect("valid");
        assert!(pool_rows(&scrape, &Mapping::default(), "x", 0.0).is_empty());
    }
}
