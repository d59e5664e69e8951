//! Pools an application exports on a Prometheus `/metrics` endpoint.
//!
//! Fetched with `ureq` (no default features: plain HTTP only) on tokio's blocking pool.
//! `ureq` is small, well kept and has a whole-request deadline; `reqwest` would bring
//! hyper, tower and a TLS stack for what is one GET to a loopback port.

pub mod exposition;
pub mod histogram;
pub mod mapping;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::pool::sources::config::PoolSourceConfig;
use crate::pool::sources::{PoolSource, SampleFuture, SourceError};
use crate::snapshot::PoolStats;

use histogram::WaitSeries;
use mapping::Mapping;

/// A `/metrics` page larger than this is not what we were told it is.
const MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;
/// Grace on top of ureq's own deadline before the async side gives up on the thread.
const DEADLINE_GRACE: Duration = Duration::from_millis(250);

pub struct PrometheusSource {
    name: String,
    url: String,
    timeout: Duration,
    mapping: Mapping,
    agent: ureq::Agent,
    /// Last scrape's wait series per pool, to report the waits of the last interval.
    previous_waits: BTreeMap<String, WaitSeries>,
}

impl PrometheusSource {
    pub fn new(config: &PoolSourceConfig) -> Self {
        let timeout = config.timeout();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            // Targets are on this host: an HTTP_PROXY from the environment must not apply.
            .proxy(None)
            .build()
            .into();
        PrometheusSource {
            name: config.display_name().to_string(),
            url: config.url.clone(),
            timeout,
            mapping: Mapping::from_config(config.mapping.as_ref()),
            agent,
            previous_waits: BTreeMap::new(),
        }
    }

    async fn scrape(&mut self, now: f64) -> Result<Vec<PoolStats>, SourceError> {
        let agent = self.agent.clone();
        let url = self.url.clone();
        let timeout = self.timeout;
        let fetch = tokio::task::spawn_blocking(move || fetch_blocking(&agent, &url, timeout));
        let body = match tokio::time::timeout(timeout + DEADLINE_GRACE, fetch).await {
            Err(_) => return Err(SourceError::TimedOut(timeout)),
            Ok(Err(join)) => return Err(SourceError::Invalid(format!("scrape task: {join}"))),
            Ok(Ok(result)) => result?,
        };
        let scrape = exposition::parse(&body).map_err(|e| SourceError::Garbage(e.to_string()))?;
        let mut rows = mapping::pool_rows(&scrape, &self.mapping, &self.name, now);
        let waits = mapping::wait_series(&scrape, &self.mapping);
        if rows.is_empty() && waits.is_empty() {
            return Err(SourceError::NoPoolMetrics(self.mapping.describe()));
        }
        for row in &mut rows {
            let Some(series) = waits.get(&row.name) else {
                continue;
            };
            let window = self
                .previous_waits
                .get(&row.name)
                .and_then(|before| series.since(before));
            let figures = match &window {
                // No acquisition in the last interval: nobody waited, nothing to estimate.
                Some(w) if w.count == Some(0.0) => Default::default(),
                Some(w) => w.figures(),
                None => series.figures(),
            };
            row.wait_p50_ms = figures.p50;
            row.wait_p95_ms = figures.p95;
            row.wait_mean_ms = figures.mean;
            row.wait_max_ms = figures.max;
        }
        self.previous_waits = waits;
        Ok(rows)
    }
}

impl PoolSource for PrometheusSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn sample(&mut self, now: f64) -> SampleFuture<'_> {
        Box::pin(self.scrape(now))
    }
}

fn fetch_blocking(
    agent: &ureq::Agent,
    url: &str,
    timeout: Duration,
) -> Result<String, SourceError> {
    let target = crate::pool::sources::redact_url(url);
    let unreachable = |e: ureq::Error| match e {
        ureq::Error::Timeout(_) => SourceError::TimedOut(timeout),
        other => SourceError::Unreachable {
            target: target.clone(),
            reason: other.to_string(),
        },
    };
    let mut response = agent
        .get(url)
        .header("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
        .call()
        .map_err(unreachable)?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(SourceError::HttpStatus {
            target: target.clone(),
            status,
        });
    }
    response
        .body_mut()
        .with_config()
        .limit(MAX_BODY_BYTES)
        .read_to_string()
        .map_err(|e| match e {
            ureq::Error::Timeout(_) => SourceError::TimedOut(timeout),
            other => SourceError::Garbage(format!("unreadable body from {target}: {other}")),
        })
}
