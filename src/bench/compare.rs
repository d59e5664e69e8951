//! The pipeline's own way of listing sources, for comparison: its API derives the list from
//! `photometry` with a `GROUP BY source_id` on every request. Here the same aggregate is run by
//! the `sqlite3` command-line tool (whole process, read-only), first page only.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use super::Scale;
use super::report::{Row, Target, Unit};
use super::stats::{Repeat, Samples, time_self_timed};

/// At least this many times faster than the `GROUP BY` way.
pub const SOURCES_SPEEDUP: f64 = 20.0;

/// The API-style source list: one row per source with its count, mean flux (flux falling back
/// to peak flux) and latest observation, newest first, first page.
pub const GROUP_BY_SQL: &str = "SELECT source_id, COUNT(*) AS n_meas, \
     AVG(COALESCE(flux_jy, peak_flux_jy)) AS mean_flux_jy, MAX(mjd) AS last_mjd, \
     AVG(ra_deg) AS ra_deg, AVG(dec_deg) AS dec_deg \
     FROM photometry WHERE source_id IS NOT NULL \
     GROUP BY source_id ORDER BY last_mjd DESC LIMIT 200;";

/// Time the `sqlite3` CLI running [`GROUP_BY_SQL`]; `Err` says why it could not run.
pub fn time_group_by(db: &Path, repeat: Repeat) -> Result<Samples, String> {
    time_self_timed(repeat, || {
        let started = Instant::now();
        let out = Command::new("sqlite3")
            .arg("-readonly")
            .arg(db)
            .arg(GROUP_BY_SQL)
            .output()
            .map_err(|e| format!("sqlite3 not runnable: {e}"))?;
        let took = started.elapsed();
        if !out.status.success() {
            return Err(format!(
                "sqlite3 failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        if out.stdout.is_empty() {
            return Err("sqlite3 printed no sources".into());
        }
        Ok(took)
    })
}

/// The `GROUP BY` timing and the ratio of its p50 to the monitor's sources refresh p50.
pub fn rows(scale: &str, db: &Path, repeat: Repeat, monitor_p50_s: Option<f64>) -> Vec<Row> {
    match time_group_by(db, repeat) {
        Err(why) => vec![Row::skipped(
            scale,
            "API GROUP BY source_id (sqlite3 CLI)",
            why,
        )],
        Ok(s) => {
            let mut rows = vec![Row::timed(
                scale,
                "API GROUP BY source_id (sqlite3 CLI, first page)",
                &s,
                None,
            )];
            if let (Some(api), Some(mon)) = (s.p50(), monitor_p50_s) {
                // The issue sets the speed-up for a year; on less data it is shown, not judged.
                let target = (scale == Scale::YEAR.name).then(|| Target::at_least(SOURCES_SPEEDUP));
                let row = Row::single(
                    scale,
                    "Sources refresh vs API GROUP BY (speed-up, p50)",
                    Unit::Times,
                    api.as_secs_f64() / mon.max(1e-9),
                    target,
                );
                rows.push(match target {
                    Some(_) => row,
                    None => row.with_note("the ≥ 20× target is set for a year of data"),
                });
            }
            rows
        }
    }
}
