//! Runs every pool source on its own interval and timeout and publishes the rows.
//!
//! One tokio task per source, never overlapping itself; a slow or dead source delays
//! nobody else. Failures keep the last good rows on screen, marked stale with the reason,
//! and back off. The lead's pool service merges [`PoolSampler::subscribe`]'s rows with the
//! in-process registry.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::pool::sources::config::{PoolSourceConfig, SourceConfigError, validate_all};
use crate::pool::sources::{PoolSource, SourceError, build_source};
use crate::snapshot::PoolStats;

/// The row a source shows before it has ever answered.
pub const NO_DATA_ROW: &str = "(no data)";
/// Backoff never waits longer than this (or the interval, when that is longer).
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How often and how patiently one source is sampled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SourceSchedule {
    pub interval: Duration,
    pub timeout: Duration,
}

/// The bookkeeping of one source between samples. Pure: the task feeds it outcomes.
#[derive(Debug, Clone, Default)]
pub struct SourceState {
    last: Vec<PoolStats>,
    failures: u32,
}

impl SourceState {
    /// Fresh rows: timeouts since the previous sample are filled in per pool.
    pub fn on_success(&mut self, mut rows: Vec<PoolStats>) -> &[PoolStats] {
        for row in &mut rows {
            row.stale = None;
            // Stale rows still hold the last good count, so an outage's timeouts show up.
            row.timeouts_delta = self
                .last
                .iter()
                .find(|prev| prev.name == row.name)
                // A counter that went down restarted: all it counts is new.
                .map_or(0, |prev| {
                    row.timeouts
                        .checked_sub(prev.timeouts)
                        .unwrap_or(row.timeouts)
                });
        }
        self.last = rows;
        self.failures = 0;
        &self.last
    }

    /// A failed attempt: the last rows stay, marked stale; their `sampled_at` keeps their age.
    pub fn on_failure(&mut self, source: &str, reason: &str, now: f64) -> &[PoolStats] {
        self.failures = self.failures.saturating_add(1);
        if self.last.is_empty() || self.last.iter().all(|r| r.name == NO_DATA_ROW) {
            self.last = vec![PoolStats {
                source: source.to_string(),
                name: NO_DATA_ROW.to_string(),
                sampled_at: now,
                ..PoolStats::default()
            }];
        }
        for row in &mut self.last {
            row.stale = Some(reason.to_string());
            row.timeouts_delta = 0;
        }
        &self.last
    }

    /// The interval, doubled for each consecutive failure up to a cap.
    pub fn next_delay(&self, interval: Duration) -> Duration {
        if self.failures == 0 {
            return interval;
        }
        let cap = MAX_BACKOFF.max(interval);
        let factor = 1u32 << self.failures.min(16).saturating_sub(1);
        interval.saturating_mul(factor).min(cap)
    }
}

/// Handle to the running sources. Dropping it stops them.
pub struct PoolSampler {
    rows: watch::Receiver<Vec<PoolStats>>,
    tasks: Vec<JoinHandle<()>>,
    query_counters: Vec<Arc<AtomicU64>>,
}

impl PoolSampler {
    /// Validate the config and start every enabled source. Needs a tokio runtime.
    pub fn from_config(configs: &[PoolSourceConfig]) -> Result<PoolSampler, SourceConfigError> {
        validate_all(configs)?;
        let mut sources = Vec::new();
        for config in configs.iter().filter(|c| c.enabled) {
            let source = build_source(config).map_err(|e| SourceConfigError::Invalid {
                name: config.display_name().to_string(),
                reason: e.to_string(),
            })?;
            let schedule = SourceSchedule {
                interval: config.interval(),
                timeout: config.timeout(),
            };
            sources.push((source, schedule));
        }
        Ok(PoolSampler::spawn(sources))
    }

    /// Start the given sources, each on its own task. Needs a tokio runtime.
    pub fn spawn(sources: Vec<(Box<dyn PoolSource>, SourceSchedule)>) -> PoolSampler {
        let (tx, rows) = watch::channel(Vec::new());
        let tx = Arc::new(tx);
        let slots = Arc::new(Mutex::new(vec![Vec::new(); sources.len()]));
        let query_counters = sources
            .iter()
            .filter_map(|(s, _)| s.query_counter())
            .collect();
        let tasks = sources
            .into_iter()
            .enumerate()
            .map(|(slot, (source, schedule))| {
                let publish = Publisher {
                    slot,
                    slots: slots.clone(),
                    tx: tx.clone(),
                };
                tokio::spawn(run_source(source, schedule, publish))
            })
            .collect();
        PoolSampler {
            rows,
            tasks,
            query_counters,
        }
    }

    /// Every source's latest rows, in config order; changes after each sample.
    pub fn subscribe(&self) -> watch::Receiver<Vec<PoolStats>> {
        self.rows.clone()
    }

    pub fn latest(&self) -> Vec<PoolStats> {
        self.rows.borrow().clone()
    }

    /// Queries sent to database servers (PostgreSQL, pgbouncer) since the start.
    pub fn queries_sent(&self) -> u64 {
        self.query_counters
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }
}

impl Drop for PoolSampler {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Where one source's rows go: its slot, then the whole list to subscribers.
struct Publisher {
    slot: usize,
    slots: Arc<Mutex<Vec<Vec<PoolStats>>>>,
    tx: Arc<watch::Sender<Vec<PoolStats>>>,
}

impl Publisher {
    fn publish(&self, rows: &[PoolStats]) {
        let all = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(slot) = slots.get_mut(self.slot) {
                *slot = rows.to_vec();
            }
            slots.concat()
        };
        self.tx.send_replace(all);
    }
}

pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

async fn run_source(
    mut source: Box<dyn PoolSource>,
    schedule: SourceSchedule,
    publisher: Publisher,
) {
    let mut state = SourceState::default();
    loop {
        let started = Instant::now();
        let now = unix_now();
        let outcome = match tokio::time::timeout(schedule.timeout, source.sample(now)).await {
            Ok(result) => result,
            Err(_) => Err(SourceError::TimedOut(schedule.timeout)),
        };
        let rows = match outcome {
            Ok(rows) => state.on_success(rows),
            Err(e) => {
                tracing::debug!(source = source.name(), error = %e, "pool source failed");
                state.on_failure(source.name(), &e.to_string(), now)
            }
        };
        publisher.publish(rows);
        tokio::time::sleep_until((started + state.next_delay(schedule.interval)).into()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::sources::SampleFuture;
    use tokio::sync::mpsc;

    fn row(name: &str, timeouts: u64, at: f64) -> PoolStats {
        PoolStats {
            source: "api".into(),
            name: name.into(),
            max: 4,
            timeouts,
            sampled_at: at,
            ..PoolStats::default()
        }
    }

    #[test]
    fn timeouts_since_the_last_sample_are_counted_per_pool() {
        let mut state = SourceState::default();
        state.on_success(vec![row("a", 5, 1.0), row("b", 0, 1.0)]);
        let rows = state.on_success(vec![row("a", 8, 2.0), row("b", 1, 2.0), row("c", 2, 2.0)]);
        let deltas: Vec<u64> = rows.iter().map(|r| r.timeouts_delta).collect();
        assert_eq!(deltas, vec![3, 1, 0], "a new pool has no previous count");
        let rows = state.on_success(vec![row("a", 1, 3.0)]);
        assert_eq!(
            rows[0].timeouts_delta, 1,
            "a restarted counter counts afresh"
        );
    }

    #[test]
    fn a_failed_source_keeps_its_last_rows_marked_stale_with_their_age() {
        let mut state = SourceState::default();
        state.on_success(vec![row("a", 5, 10.0)]);
        let rows = state.on_failure("api", "cannot reach api: connection refused", 20.0);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].sampled_at, 10.0);
        assert_eq!(
            rows[0].stale.as_deref(),
            Some("cannot reach api: connection refused")
        );
        let rows = state.on_success(vec![row("a", 6, 30.0)]);
        assert_eq!((rows[0].stale.clone(), rows[0].timeouts_delta), (None, 1));
    }

    #[test]
    fn a_source_that_never_answered_shows_why() {
        let mut state = SourceState::default();
        let rows = state.on_failure("pgbouncer", "no answer within 1s", 5.0);
        assert_eq!(rows[0].name, NO_DATA_ROW);
        assert_eq!(rows[0].source, "pgbouncer");
        assert_eq!(rows[0].stale.as_deref(), Some("no answer within 1s"));
    }

    #[test]
    fn failures_back_off_up_to_a_cap() {
        let mut state = SourceState::default();
        let interval = Duration::from_secs(2);
        assert_eq!(state.next_delay(interval), interval);
        state.on_failure("x", "down", 0.0);
        assert_eq!(state.next_delay(interval), interval);
        state.on_failure("x", "down", 0.0);
        assert_eq!(state.next_delay(interval), Duration::from_secs(4));
        for _ in 0..40 {
            state.on_failure("x", "down", 0.0);
        }
        assert_eq!(state.next_delay(interval), MAX_BACKOFF);
    }

    /// A source whose answers the test hands over one by one; it waits for each.
    struct Scripted {
        name: &'static str,
        answers: mpsc::UnboundedReceiver<Result<Vec<PoolStats>, SourceError>>,
    }

    impl PoolSource for Scripted {
        fn name(&self) -> &str {
            self.name
        }
        fn sample(&mut self, _now: f64) -> SampleFuture<'_> {
            Box::pin(async move {
                match self.answers.recv().await {
                    Some(answer) => answer,
                    // The test is done with this source: never answer again.
                    None => std::future::pending().await,
                }
            })
        }
    }

    type Answers = mpsc::UnboundedSender<Result<Vec<PoolStats>, SourceError>>;

    fn scripted(name: &'static str) -> (Box<dyn PoolSource>, Answers) {
        let (tx, answers) = mpsc::unbounded_channel();
        (Box::new(Scripted { name, answers }), tx)
    }

    async fn wait_for(
        rx: &mut watch::Receiver<Vec<PoolStats>>,
        what: impl FnMut(&Vec<PoolStats>) -> bool,
    ) -> Vec<PoolStats> {
        tokio::time::timeout(Duration::from_secs(5), rx.wait_for(what))
            .await
            .expect("the condition within 5 s")
            .expect("sampler alive")
            .clone()
    }

    const FAST: SourceSchedule = SourceSchedule {
        interval: Duration::from_millis(20),
        timeout: Duration::from_millis(100),
    };

    #[tokio::test]
    async fn a_hung_source_goes_stale_while_the_others_keep_publishing() {
        let (api, api_tx) = scripted("api");
        let (hung, hung_tx) = scripted("hung");
        let sampler = PoolSampler::spawn(vec![(api, FAST), (hung, FAST)]);
        let mut rx = sampler.subscribe();
        let mut hung_row = row("h", 0, 1.0);
        hung_row.source = "hung".into();
        hung_tx.send(Ok(vec![hung_row])).expect("send");
        api_tx.send(Ok(vec![row("a", 0, 1.0)])).expect("send");
        let rows = wait_for(&mut rx, |rows| rows.len() == 2).await;
        assert_eq!(rows[0].name, "a", "rows come in config order");
        // `hung` now never answers: it times out and goes stale, keeping its row.
        let rows = wait_for(&mut rx, |rows| rows.iter().any(|r| r.stale.is_some())).await;
        let stale = rows
            .iter()
            .find(|r| r.source == "hung")
            .expect("hung row kept");
        assert!(
            stale
                .stale
                .as_deref()
                .is_some_and(|s| s.contains("no answer"))
        );
        // …while `api` still gets through.
        api_tx.send(Ok(vec![row("a", 3, 2.0)])).expect("send");
        let rows = wait_for(&mut rx, |rows| rows.iter().any(|r| r.timeouts == 3)).await;
        assert_eq!(rows[0].timeouts_delta, 3);
        drop(hung_tx);
    }

    #[tokio::test]
    async fn an_error_is_shown_as_the_stale_reason() {
        let (api, api_tx) = scripted("api");
        let sampler = PoolSampler::spawn(vec![(api, FAST)]);
        let mut rx = sampler.subscribe();
        api_tx
            .send(Err(SourceError::HttpStatus {
                target: "http://127.0.0.1:8000/metrics".into(),
                status: 503,
            }))
            .expect("send");
        let rows = wait_for(&mut rx, |rows| !rows.is_empty()).await;
        assert_eq!(rows[0].name, NO_DATA_ROW);
        assert_eq!(
            rows[0].stale.as_deref(),
            Some("HTTP 503 from http://127.0.0.1:8000/metrics")
        );
    }

    #[tokio::test]
    async fn invalid_config_is_refused_before_anything_starts() {
        let config: PoolSourceConfig = toml::from_str(
            r#"
            kind = "prometheus"
            url = "ftp://x"
            "#,
        )
        .expect("parses");
        let err = PoolSampler::from_config(&[config])
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("http://")));
    }
}
