//! The list of pool sources the Pool tab shows. Each probe samples without taking a
//! connection from the pool it measures.

use std::sync::{Arc, RwLock};

use crate::pool::instrumented::WaitHistogram;
use crate::snapshot::PoolStats;

/// Anything that can report a pool's figures now, cheaply and without I/O.
pub trait PoolProbe: Send + Sync {
    fn sample(&self, now_unix: f64) -> PoolStats;
    /// Every wait so far, where the probe times them (for exporting as a histogram).
    fn wait_histogram(&self) -> Option<WaitHistogram> {
        None
    }
}

/// Pools known to this process (the monitor's own, the demo's simulated backend…).
#[derive(Clone, Default)]
pub struct PoolRegistry {
    probes: Arc<RwLock<Vec<Arc<dyn PoolProbe>>>>,
}

impl PoolRegistry {
    /// Add a pool; a pool with the same source and name (a reconnect) replaces the old one.
    pub fn register(&self, probe: Arc<dyn PoolProbe>) {
        let id = |p: &Arc<dyn PoolProbe>| {
            let s = p.sample(0.0);
            (s.source, s.name)
        };
        let new_id = id(&probe);
        let mut probes = self.probes.write().unwrap_or_else(|p| p.into_inner());
        probes.retain(|p| id(p) != new_id);
        probes.push(probe);
    }

    /// Each pool's figures with its wait histogram, for the demo's metrics endpoint.
    pub fn sample_all_with_waits(&self, now_unix: f64) -> Vec<(PoolStats, Option<WaitHistogram>)> {
        self.probes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|p| (p.sample(now_unix), p.wait_histogram()))
            .collect()
    }

    pub fn sample_all(&self, now_unix: f64) -> Vec<PoolStats> {
        self.probes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|p| p.sample(now_unix))
            .collect()
    }
}
