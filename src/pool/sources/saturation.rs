//! Saturation episodes: since when a pool has been saturated, and alerts for the long ones.
//!
//! A pool is saturated in a sample when every connection is in use and someone waits
//! ([`PoolStats::is_saturated`]), or when someone waits and the longest wait grew since the
//! previous sample (a client stuck although the pool is not full: server connections that
//! cannot be opened, a database-wide limit…). An episode that lasts `alert_after` raises an
//! alert, which stays, even after the episode ends, until the operator acknowledges it.
//! Stale rows say nothing new and are ignored.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::snapshot::PoolStats;

/// Which pool a row is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoolKey {
    pub source: String,
    pub name: String,
}

impl PoolKey {
    pub fn new(source: &str, name: &str) -> Self {
        PoolKey {
            source: source.to_string(),
            name: name.to_string(),
        }
    }

    pub fn of(stats: &PoolStats) -> Self {
        PoolKey::new(&stats.source, &stats.name)
    }
}

/// A pool that stayed saturated too long.
#[derive(Debug, Clone, PartialEq)]
pub struct SaturationAlert {
    pub pool: PoolKey,
    /// When the episode began (Unix seconds).
    pub since: f64,
    /// When it ended, if it has.
    pub ended_at: Option<f64>,
    /// Most clients seen waiting during the episode.
    pub peak_waiting: u32,
}

#[derive(Debug, Clone)]
struct Episode {
    since: f64,
    peak_waiting: u32,
    /// Already alerted (or acknowledged): one alert per episode.
    alerted: bool,
}

#[derive(Debug, Clone)]
pub struct SaturationTracker {
    alert_after_s: f64,
    episodes: BTreeMap<PoolKey, Episode>,
    last_wait_max: BTreeMap<PoolKey, f64>,
    alerts: BTreeMap<PoolKey, SaturationAlert>,
}

/// Saturated in this sample, given the longest wait of the previous one.
pub fn is_saturated_now(row: &PoolStats, previous_wait_max_ms: Option<f64>) -> bool {
    let wait_grew = match (row.wait_max_ms, previous_wait_max_ms) {
        (Some(now), Some(before)) => now > before,
        _ => false,
    };
    row.is_saturated() || (row.waiting > 0 && wait_grew)
}

impl SaturationTracker {
    pub fn new(alert_after: Duration) -> Self {
        SaturationTracker {
            alert_after_s: alert_after.as_secs_f64(),
            episodes: BTreeMap::new(),
            last_wait_max: BTreeMap::new(),
            alerts: BTreeMap::new(),
        }
    }

    /// Feed one round of rows; returns the alerts raised by it.
    pub fn observe(&mut self, rows: &[PoolStats]) -> Vec<SaturationAlert> {
        let mut raised = Vec::new();
        for row in rows.iter().filter(|r| r.stale.is_none()) {
            let key = PoolKey::of(row);
            let previous = self.last_wait_max.get(&key).copied();
            match row.wait_max_ms {
                Some(w) => self.last_wait_max.insert(key.clone(), w),
                None => self.last_wait_max.remove(&key),
            };
            if !is_saturated_now(row, previous) {
                if self.episodes.remove(&key).is_some()
                    && let Some(alert) = self.alerts.get_mut(&key)
                    && alert.ended_at.is_none()
                {
                    alert.ended_at = Some(row.sampled_at);
                }
                continue;
            }
            let episode = self.episodes.entry(key.clone()).or_insert(Episode {
                since: row.sampled_at,
                peak_waiting: 0,
                alerted: false,
            });
            episode.peak_waiting = episode.peak_waiting.max(row.waiting);
            if let Some(alert) = self.alerts.get_mut(&key) {
                // An unacknowledged alert follows the pool into its next episode.
                alert.ended_at = None;
                alert.peak_waiting = alert.peak_waiting.max(row.waiting);
                episode.alerted = true;
                continue;
            }
            if !episode.alerted && row.sampled_at - episode.since >= self.alert_after_s {
                episode.alerted = true;
                let alert = SaturationAlert {
                    pool: key.clone(),
                    since: episode.since,
                    ended_at: None,
                    peak_waiting: episode.peak_waiting,
                };
                self.alerts.insert(key, alert.clone());
                raised.push(alert);
            }
        }
        raised
    }

    /// When the pool's current saturation began, if it is saturated.
    pub fn saturated_since(&self, pool: &PoolKey) -> Option<f64> {
        self.episodes.get(pool).map(|e| e.since)
    }

    /// Unacknowledged alerts, oldest episode first.
    pub fn alerts(&self) -> Vec<&SaturationAlert> {
        let mut alerts: Vec<&SaturationAlert> = self.alerts.values().collect();
        alerts.sort_by(|a, b| a.since.total_cmp(&b.since));
        alerts
    }

    /// The operator has seen it. A still-running episode raises no second alert.
    pub fn ack(&mut self, pool: &PoolKey) -> bool {
        self.alerts.remove(pool).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: f64, in_use: u32, waiting: u32) -> PoolStats {
        PoolStats {
            source: "pgbouncer".into(),
            name: "dsa110_absurd/postgres".into(),
            max: 2,
            in_use,
            waiting,
            sampled_at: at,
            ..PoolStats::default()
        }
    }

    fn key() -> PoolKey {
        PoolKey::new("pgbouncer", "dsa110_absurd/postgres")
    }

    #[test]
    fn a_saturated_pool_reports_since_when() {
        let mut t = SaturationTracker::new(Duration::from_secs(30));
        t.observe(&[sample(100.0, 1, 0)]);
        assert_eq!(t.saturated_since(&key()), None);
        t.observe(&[sample(102.0, 2, 3)]);
        t.observe(&[sample(104.0, 2, 1)]);
        assert_eq!(t.saturated_since(&key()), Some(102.0));
        t.observe(&[sample(106.0, 2, 0)]);
        assert_eq!(
            t.saturated_since(&key()),
            None,
            "busy without waiters is not saturated"
        );
    }

    #[test]
    fn an_alert_is_raised_once_after_the_threshold_and_stays_until_acknowledged() {
        let mut t = SaturationTracker::new(Duration::from_secs(10));
        assert!(t.observe(&[sample(0.0, 2, 1)]).is_empty());
        assert!(t.observe(&[sample(9.0, 2, 4)]).is_empty());
        let raised = t.observe(&[sample(10.0, 2, 2)]);
        assert_eq!(raised.len(), 1);
        assert_eq!((raised[0].since, raised[0].peak_waiting), (0.0, 4));
        assert!(t.observe(&[sample(12.0, 2, 2)]).is_empty(), "raised once");
        // The pool recovers; the alert stays, now with an end.
        t.observe(&[sample(14.0, 1, 0)]);
        let alerts = t.alerts();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].ended_at, Some(14.0));
        assert!(t.ack(&key()));
        assert!(t.alerts().is_empty());
        assert!(!t.ack(&key()));
    }

    #[test]
    fn an_acknowledged_episode_does_not_alert_again_but_the_next_one_does() {
        let mut t = SaturationTracker::new(Duration::from_secs(5));
        t.observe(&[sample(0.0, 2, 1)]);
        assert_eq!(t.observe(&[sample(5.0, 2, 1)]).len(), 1);
        t.ack(&key());
        assert!(t.observe(&[sample(60.0, 2, 1)]).is_empty());
        t.observe(&[sample(61.0, 0, 0)]);
        t.observe(&[sample(70.0, 2, 1)]);
        assert_eq!(t.observe(&[sample(75.0, 2, 1)]).len(), 1);
    }

    #[test]
    fn short_blips_raise_nothing() {
        let mut t = SaturationTracker::new(Duration::from_secs(10));
        for i in 0..20 {
            let at = f64::from(i) * 3.0;
            let waiting = if i % 2 == 0 { 1 } else { 0 };
            assert!(t.observe(&[sample(at, 2, waiting)]).is_empty());
        }
    }

    #[test]
    fn clients_stuck_behind_a_pool_that_is_not_full_count_as_saturated() {
        let mut stuck = sample(0.0, 0, 3);
        stuck.wait_max_ms = Some(1000.0);
        assert!(!is_saturated_now(&stuck, None));
        assert!(is_saturated_now(&stuck, Some(200.0)));
        assert!(
            !is_saturated_now(&stuck, Some(1000.0)),
            "the wait must grow"
        );
        let mut t = SaturationTracker::new(Duration::from_secs(60));
        t.observe(&[stuck.clone()]);
        stuck.sampled_at = 2.0;
        stuck.wait_max_ms = Some(3000.0);
        t.observe(&[stuck]);
        assert_eq!(t.saturated_since(&key()), Some(2.0));
    }

    #[test]
    fn stale_rows_change_nothing() {
        let mut t = SaturationTracker::new(Duration::from_secs(1));
        t.observe(&[sample(0.0, 2, 1)]);
        let mut old = sample(0.0, 2, 1);
        old.stale = Some("cannot reach pgbouncer".into());
        assert!(t.observe(&[old]).is_empty());
        assert_eq!(t.saturated_since(&key()), Some(0.0));
    }
}
