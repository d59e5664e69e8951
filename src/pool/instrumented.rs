//! A sqlx pool wrapper that counts waiters, times every acquire and counts timeouts.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{Database, Pool};
use thiserror::Error;

use crate::pool::registry::PoolProbe;
use crate::snapshot::PoolStats;

/// How far back the wait-time percentiles look.
const WAIT_WINDOW: Duration = Duration::from_secs(60);
/// At most this many recent waits are kept, whatever the rate.
const WAIT_SAMPLES_MAX: usize = 4096;
/// Upper bounds (seconds) of the cumulative wait-time histogram, OpenTelemetry's defaults
/// for `db.client.connection.wait_time`.
pub const WAIT_BUCKETS_S: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Every wait since the pool was made, as a Prometheus-style cumulative histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitHistogram {
    /// (upper bound in seconds, waits at or under it), then +Inf is `count`.
    pub buckets: Vec<(f64, u64)>,
    pub sum_s: f64,
    pub count: u64,
}

/// Why a connection could not be had.
#[derive(Debug, Error)]
pub enum AcquireError {
    #[error("timed out waiting {0:?} for a connection (pool saturated?)")]
    TimedOut(Duration),
    #[error("pool is closed")]
    Closed,
    #[error(transparent)]
    Other(sqlx::Error),
}

struct Meter {
    source: String,
    name: String,
    max: u32,
    waiting: AtomicU32,
    timeouts: AtomicU64,
    errors: AtomicU64,
    waits: Mutex<VecDeque<(Instant, Duration)>>,
    /// Non-cumulative counts per bucket of `WAIT_BUCKETS_S`, plus one for over the last bound.
    wait_buckets: [AtomicU64; WAIT_BUCKETS_S.len() + 1],
    wait_sum_us: AtomicU64,
}

/// A sqlx pool plus the figures sqlx does not give: waiting, wait times, timeouts, errors.
pub struct InstrumentedPool<DB: Database> {
    pool: Pool<DB>,
    meter: Arc<Meter>,
}

impl<DB: Database> Clone for InstrumentedPool<DB> {
    fn clone(&self) -> Self {
        InstrumentedPool {
            pool: self.pool.clone(),
            meter: self.meter.clone(),
        }
    }
}

/// Decrements the waiting count even when the acquiring future is dropped (cancelled).
struct WaitingGuard<'a>(&'a AtomicU32);

impl Drop for WaitingGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<DB: Database> InstrumentedPool<DB> {
    /// `source` is the kind of pool (`monitor`, `demo`…), `name` tells pools of one kind apart.
    pub fn new(source: &str, name: &str, pool: Pool<DB>) -> Self {
        let max = pool.options().get_max_connections();
        InstrumentedPool {
            pool,
            meter: Arc::new(Meter {
                source: source.to_string(),
                name: name.to_string(),
                max,
                waiting: AtomicU32::new(0),
                timeouts: AtomicU64::new(0),
                errors: AtomicU64::new(0),
                waits: Mutex::new(VecDeque::new()),
                wait_buckets: Default::default(),
                wait_sum_us: AtomicU64::new(0),
            }),
        }
    }

    /// Check out a connection, measuring how long it took and how many others waited.
    pub async fn acquire(&self) -> Result<PoolConnection<DB>, AcquireError> {
        self.meter.waiting.fetch_add(1, Ordering::Relaxed);
        let guard = WaitingGuard(&self.meter.waiting);
        let started = Instant::now();
        let result = self.pool.acquire().await;
        drop(guard);
        let waited = started.elapsed();
        self.record_wait(waited);
        result.map_err(|e| match e {
            sqlx::Error::PoolTimedOut => {
                self.meter.timeouts.fetch_add(1, Ordering::Relaxed);
                AcquireError::TimedOut(waited)
            }
            sqlx::Error::PoolClosed => AcquireError::Closed,
            other => {
                self.meter.errors.fetch_add(1, Ordering::Relaxed);
                AcquireError::Other(other)
            }
        })
    }

    /// Count a failed query (the pool itself cannot see them).
    pub fn record_error(&self) {
        self.meter.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// The underlying pool, for closing it. Queries must use [`Self::acquire`].
    pub fn inner(&self) -> &Pool<DB> {
        &self.pool
    }

    fn record_wait(&self, waited: Duration) {
        let secs = waited.as_secs_f64();
        let bucket = WAIT_BUCKETS_S
            .iter()
            .position(|bound| secs <= *bound)
            .unwrap_or(WAIT_BUCKETS_S.len());
        self.meter.wait_buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.meter
            .wait_sum_us
            .fetch_add(waited.as_micros() as u64, Ordering::Relaxed);
        let now = Instant::now();
        let mut waits = self.meter.waits.lock().unwrap_or_else(|p| p.into_inner());
        waits.push_back((now, waited));
        while waits.len() > WAIT_SAMPLES_MAX
            || waits
                .front()
                .is_some_and(|(at, _)| now.duration_since(*at) > WAIT_WINDOW)
        {
            waits.pop_front();
        }
    }

    /// Every acquire's wait so far, for exporting in the Prometheus format.
    pub fn wait_histogram(&self) -> WaitHistogram {
        let counts: Vec<u64> = self
            .meter
            .wait_buckets
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let mut running = 0;
        let buckets = WAIT_BUCKETS_S
            .iter()
            .zip(&counts)
            .map(|(bound, n)| {
                running += n;
                (*bound, running)
            })
            .collect();
        WaitHistogram {
            buckets,
            sum_s: self.meter.wait_sum_us.load(Ordering::Relaxed) as f64 / 1e6,
            count: counts.iter().sum(),
        }
    }

    /// The pool's figures now. `now_unix` stamps the sample.
    pub fn stats(&self, now_unix: f64) -> PoolStats {
        let open = self.pool.size();
        let idle = (self.pool.num_idle() as u32).min(open);
        let now = Instant::now();
        let mut recent: Vec<f64> = {
            let waits = self.meter.waits.lock().unwrap_or_else(|p| p.into_inner());
            waits
                .iter()
                .filter(|(at, _)| now.duration_since(*at) <= WAIT_WINDOW)
                .map(|(_, d)| d.as_secs_f64() * 1e3)
                .collect()
        };
        recent.sort_by(f64::total_cmp);
        PoolStats {
            source: self.meter.source.clone(),
            name: self.meter.name.clone(),
            max: self.meter.max,
            open,
            in_use: open - idle,
            idle,
            waiting: self.meter.waiting.load(Ordering::Relaxed),
            wait_p50_ms: percentile(&recent, 0.50),
            wait_p95_ms: percentile(&recent, 0.95),
            wait_max_ms: recent.last().copied(),
            timeouts: self.meter.timeouts.load(Ordering::Relaxed),
            errors: self.meter.errors.load(Ordering::Relaxed),
            sampled_at: now_unix,
            ..PoolStats::default()
        }
    }
}

impl<DB: Database> PoolProbe for InstrumentedPool<DB> {
    fn sample(&self, now_unix: f64) -> PoolStats {
        self.stats(now_unix)
    }
    fn wait_histogram(&self) -> Option<WaitHistogram> {
        Some(InstrumentedPool::wait_histogram(self))
    }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::SqlitePoolOptions;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), Some(50.0));
        assert_eq!(percentile(&v, 0.95), Some(95.0));
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[7.0], 0.95), Some(7.0));
    }

    #[tokio::test]
    async fn a_held_pool_shows_busy_then_saturated_then_a_timeout() {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_millis(200))
            .connect("sqlite::memory:")
            .await
            .unwrap();
        let pool = InstrumentedPool::new("test", "one", pool);
        let held = pool.acquire().await.unwrap();
        let busy = pool.stats(0.0);
        assert_eq!((busy.max, busy.in_use, busy.waiting), (1, 1, 0));
        assert!(busy.is_busy() && !busy.is_saturated());

        let waiter = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.acquire().await.map(|_| ()) })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let saturated = pool.stats(0.0);
        assert_eq!(saturated.waiting, 1);
        assert!(saturated.is_saturated());

        assert!(matches!(
            waiter.await.unwrap(),
            Err(AcquireError::TimedOut(_))
        ));
        drop(held);
        let after = pool.stats(0.0);
        assert_eq!((after.waiting, after.timeouts), (0, 1));
        assert!(after.wait_max_ms.unwrap() >= 150.0);
        let histogram = pool.wait_histogram();
        assert_eq!(histogram.count, 2, "two acquires were timed");
        assert_eq!(histogram.buckets[0].1, 1, "the first acquire did not wait");
        assert_eq!(
            histogram.buckets.last().unwrap().1,
            2,
            "the timeout waited under 10 s"
        );
        assert!(histogram.sum_s >= 0.15);
    }
}
