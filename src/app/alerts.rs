//! Pool saturation alerts: shown until the operator acknowledges them, with one bell each.

use crate::app::{App, Command};
use crate::pool::sources::SaturationAlert;

impl App {
    /// Take the pool service's current alerts; ring once for each new one when enabled.
    pub(crate) fn note_alerts(&mut self, alerts: &[SaturationAlert]) -> Vec<Command> {
        let key = |a: &SaturationAlert| (a.pool.clone(), a.since.to_bits());
        let new = alerts
            .iter()
            .filter(|a| !self.alerts_rung.contains(&key(a)))
            .count();
        // Remember only alerts that still exist, so the set stays as small as the list.
        self.alerts_rung = alerts.iter().map(key).collect();
        self.alerts = alerts.to_vec();
        if new > 0 && self.cfg.bell {
            vec![Command::Bell]
        } else {
            Vec::new()
        }
    }

    /// `a`: the operator has seen the alerts.
    pub(crate) fn acknowledge_alerts(&mut self) -> Vec<Command> {
        if self.alerts.is_empty() {
            return Vec::new();
        }
        self.alerts.clear();
        vec![Command::AckAlerts]
    }
}
