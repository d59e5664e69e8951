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
    }
}
