//! A bounded ring of samples per pool: memory stays flat however long the monitor runs.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::snapshot::{PoolSample, PoolStats};

/// One hour at one sample a second.
pub const DEFAULT_CAPACITY: usize = 3600;

#[derive(Debug, Clone)]
pub struct PoolHistory {
    capacity: usize,
    rings: HashMap<(String, String), VecDeque<PoolSample>>,
}

impl Default for PoolHistory {
    fn default() -> Self {
        PoolHistory::with_capacity(DEFAULT_CAPACITY)
    }
}

impl PoolHistory {
    pub fn with_capacity(capacity: usize) -> Self {
        PoolHistory {
            capacity: capacity.max(1),
            rings: HashMap::new(),
        }
    }

    pub fn record(&mut self, stats: &PoolStats) {
        let ring = self
            .rings
            .entry((stats.source.clone(), stats.name.clone()))
            .or_default();
        if ring.len() == self.capacity {
            ring.pop_front();
        }
        ring.push_back(PoolSample {
            at: stats.sampled_at,
            in_use: stats.in_use,
            waiting: stats.waiting,
            max: stats.max,
        });
    }

    /// The samples of one pool, oldest first.
    pub fn samples(&self, stats: &PoolStats) -> Arc<Vec<PoolSample>> {
        Arc::new(
            self.rings
                .get(&(stats.source.clone(), stats.name.clone()))
                .map(|r| r.iter().copied().collect())
                .unwrap_or_default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_only_the_newest_samples() {
        let mut h = PoolHistory::with_capacity(3);
        let mut s = PoolStats {
            source: "monitor".into(),
            name: "sqlite".into(),
            max: 4,
            ..Default::default()
        };
        for i in 0..5 {
            s.sampled_at = f64::from(i);
            s.in_use = i;
            h.record(&s);
        }
        let got: Vec<u32> = h.samples(&s).iter().map(|x| x.in_use).collect();
        assert_eq!(got, vec![2, 3, 4]);
    }
}
