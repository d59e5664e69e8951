//! Failed-job triage, pure: what failed (grouped by error signature), what is stuck, and the
//! headline figures against the pipeline's own alert thresholds. No I/O here: the services
//! gather the records and `report::build` turns them into what the view and `once` show.
//!
//! - `signature`: an error text with its variable parts normalised, so the same failure on
//!   different Measurement Sets falls into one group.
//! - `group`: failures of a window grouped by signature.
//! - `stuck`: work running or collecting for too long.
//! - `report`: headline figures, thresholds and the whole triage report.

pub mod group;
pub mod report;
pub mod signature;
pub mod stuck;

pub use group::{FailureGroup, group};
pub use report::{
    Alert, Headline, SourceState, SourceStatus, Thresholds, TriageInput, TriageReport, build,
};
pub use signature::{narrowing_text, signature};
pub use stuck::{StuckItem, StuckKind, stuck_claims, stuck_groups, stuck_running};

/// Windows the triage view cycles through, in seconds (1 h, 6 h, 24 h, 7 d).
pub const WINDOWS_S: [f64; 4] = [3600.0, 6.0 * 3600.0, 24.0 * 3600.0, 7.0 * 86_400.0];

/// The next window after `current` in [`WINDOWS_S`], wrapping around.
pub fn next_window(current: f64) -> f64 {
    WINDOWS_S
        .iter()
        .copied()
        .find(|w| *w > current + 1.0)
        .unwrap_or(WINDOWS_S[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_cycles_through_hour_six_hours_day_week_and_back() {
        assert_eq!(next_window(3600.0), 6.0 * 3600.0);
        assert_eq!(next_window(24.0 * 3600.0), 7.0 * 86_400.0);
        assert_eq!(next_window(7.0 * 86_400.0), 3600.0);
        assert_eq!(next_window(12.0 * 3600.0), 24.0 * 3600.0);
    }
}
