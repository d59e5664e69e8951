//! The benchmark's results: one row per (scale, measurement) with p50, p95, the target and
//! whether it was met, rendered as one markdown table.

use std::fmt::Write as _;
use std::time::Duration;

use super::stats::Samples;

/// What a row's numbers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Seconds, printed in µs, ms or s as fits.
    Seconds,
    /// Percent of one core.
    Percent,
    MiB,
    KiBPerSec,
    /// A ratio ("42×").
    Times,
}

/// Which figure a target applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    P50,
    P95,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    Below(f64),
    AtLeast(f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    pub stat: Stat,
    pub bound: Bound,
}

impl Target {
    pub fn p95_below(d: Duration) -> Target {
        Target {
            stat: Stat::P95,
            bound: Bound::Below(d.as_secs_f64()),
        }
    }
    pub fn p50_below(d: Duration) -> Target {
        Target {
            stat: Stat::P50,
            bound: Bound::Below(d.as_secs_f64()),
        }
    }
    /// For single figures (CPU share, RSS, ratios), which are recorded as the p50.
    pub fn below(v: f64) -> Target {
        Target {
            stat: Stat::P50,
            bound: Bound::Below(v),
        }
    }
    pub fn at_least(v: f64) -> Target {
        Target {
            stat: Stat::P50,
            bound: Bound::AtLeast(v),
        }
    }
}

/// One measured figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub scale: String,
    pub what: String,
    pub unit: Unit,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub target: Option<Target>,
    /// Why a figure is missing, or what it needs to be read right.
    pub note: Option<String>,
}

impl Row {
    /// A timed measurement's p50 and p95.
    pub fn timed(scale: &str, what: &str, samples: &Samples, target: Option<Target>) -> Row {
        Row {
            scale: scale.into(),
            what: what.into(),
            unit: Unit::Seconds,
            p50: samples.p50().map(|d| d.as_secs_f64()),
            p95: samples.p95().map(|d| d.as_secs_f64()),
            target,
            note: None,
        }
    }

    /// A single figure (recorded in the p50 column).
    pub fn single(scale: &str, what: &str, unit: Unit, value: f64, target: Option<Target>) -> Row {
        Row {
            scale: scale.into(),
            what: what.into(),
            unit,
            p50: Some(value),
            p95: None,
            target,
            note: None,
        }
    }

    /// A measurement that could not be taken, and why.
    pub fn skipped(scale: &str, what: &str, why: impl Into<String>) -> Row {
        Row {
            scale: scale.into(),
            what: what.into(),
            unit: Unit::Seconds,
            p50: None,
            p95: None,
            target: None,
            note: Some(why.into()),
        }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Row {
        self.note = Some(note.into());
        self
    }

    /// `Some(true)` met, `Some(false)` missed, `None` no target or no figure.
    pub fn verdict(&self) -> Option<bool> {
        let target = self.target?;
        let value = match target.stat {
            Stat::P50 => self.p50?,
            Stat::P95 => self.p95?,
        };
        Some(match target.bound {
            Bound::Below(limit) => value < limit,
            Bound::AtLeast(limit) => value >= limit,
        })
    }
}

/// `1.234 ms`, `56 µs`, `2.1 s`, `0.84 %`, `49.5 MiB`, `31×`.
pub fn format_value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Seconds if v < 1e-3 => format!("{:.1} µs", v * 1e6),
        Unit::Seconds if v < 1.0 => format!("{:.2} ms", v * 1e3),
        Unit::Seconds => format!("{v:.2} s"),
        Unit::Percent => format!("{v:.2} %"),
        Unit::MiB => format!("{v:.1} MiB"),
        Unit::KiBPerSec => format!("{v:.2} KiB/s"),
        Unit::Times => format!("{v:.1}×"),
    }
}

/// `single` rows (one figure, no distribution) name no percentile.
fn format_target(unit: Unit, t: &Target, single: bool) -> String {
    let stat = match t.stat {
        _ if single => "",
        Stat::P95 => "p95 ",
        Stat::P50 => "p50 ",
    };
    match t.bound {
        Bound::Below(v) => format!("{stat}< {}", format_value(unit, v)),
        Bound::AtLeast(v) => format!("{stat}≥ {}", format_value(unit, v)),
    }
}

/// The whole result as one markdown table, then one line per missed target.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from("| scale | measurement | p50 | p95 | target | result |\n");
    out.push_str("|---|---|---:|---:|---|---|\n");
    let cell = |v: Option<f64>, unit: Unit| v.map_or("–".to_string(), |v| format_value(unit, v));
    for r in rows {
        let result = match (r.verdict(), &r.note) {
            (Some(true), _) => "pass".to_string(),
            (Some(false), _) => "**FAIL**".to_string(),
            (None, Some(note)) if r.p50.is_none() => format!("skipped: {note}"),
            (None, _) => String::new(),
        };
        let result = match (&r.note, r.p50.is_some()) {
            (Some(note), true) => format!("{result} ({note})").trim().to_string(),
            _ => result,
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            r.scale,
            r.what.replace('|', "\\|"),
            cell(r.p50, r.unit),
            cell(r.p95, r.unit),
            r.target
                .as_ref()
                .map_or(String::new(), |t| format_target(r.unit, t, r.p95.is_none())),
            result.replace('|', "\\|"),
        );
    }
    let missed: Vec<&Row> = rows.iter().filter(|r| r.verdict() == Some(false)).collect();
    if missed.is_empty() {
        out.push_str("\nEvery measured target is met.\n");
    } else {
        let _ = writeln!(out, "\n{} target(s) missed:", missed.len());
        for r in missed {
            let _ = writeln!(out, "- {} / {}", r.scale, r.what);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(ms: &[u64]) -> Samples {
        Samples::from_durations(ms.iter().map(|m| Duration::from_millis(*m)).collect())
    }

    #[test]
    fn a_p95_over_its_target_fails_and_is_listed() {
        let fast = Row::timed(
            "year",
            "images refresh",
            &samples(&[1, 2, 3]),
            Some(Target::p95_below(Duration::from_millis(20))),
        );
        let slow = Row::timed(
            "year",
            "jobs refresh",
            &samples(&[10, 30, 40]),
            Some(Target::p95_below(Duration::from_millis(20))),
        );
        assert_eq!((fast.verdict(), slow.verdict()), (Some(true), Some(false)));
        let md = markdown(&[fast, slow]);
        assert!(
            md.contains("| year | images refresh | 2.00 ms | 3.00 ms | p95 < 20.00 ms | pass |"),
            "{md}"
        );
        assert!(
            md.contains("**FAIL**") && md.contains("- year / jobs refresh"),
            "{md}"
        );
    }

    #[test]
    fn ratios_and_skips_read_plainly() {
        let ratio = Row::single(
            "year",
            "sources vs GROUP BY",
            Unit::Times,
            31.0,
            Some(Target::at_least(20.0)),
        );
        assert_eq!(ratio.verdict(), Some(true));
        let skip = Row::skipped("-", "astropy fitsheader", "run with --astropy");
        let md = markdown(&[ratio, skip]);
        assert!(md.contains("| 31.0× | – | ≥ 20.0× | pass |"), "{md}");
        assert!(md.contains("skipped: run with --astropy"), "{md}");
    }
}
