//! The list of pool sources the Pool tab shows. Each probe samples without taking a
//! connection from the pool it measures.

use std::sync::{Arc, RwLock};

use crate::snapshot::PoolStats;

/// Anything that can report a pool's figures now, cheaply and without I/O.
pub trait PoolProbe: Send + Sync {
    fn sample(&self, now_unix: f64) -> PoolStats;
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

    pub fn sample_all(&self, now_unix: f64) -> Vec<PoolStats> {
        self.probes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|p| p.sample(now_unix))
            .collect()
    }
}
