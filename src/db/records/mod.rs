//! Reads of the pipeline's side records (`snapshot::records`): the calibration tables and
//! QA of one MS, what is kept about one image's quality, the triage view's candidates and
//! mosaics, and the alerts in the separate `alerts.sqlite3`. Each read is bounded (LIMIT,
//! on the pipeline's indexed columns) and built from the live schema: a column that is not
//! there reads as NULL, a table that is not there (or is never written) becomes a
//! [`TableNote`], never an error.

pub mod alerts;
pub mod calibration;
pub mod image_qa;
pub mod triage;

pub use alerts::AlertsDb;

use crate::db::schema::Schema;
use crate::snapshot::records::TableNote;

/// Tables schema.sql creates that no code of this pipeline version writes
/// (`shared/upstream-facts.md` §1, "Never written").
pub const NEVER_WRITTEN: &[&str] = &[
    "calibration_applied",
    "image_qa",
    "qa_artifacts",
    "alert_history",
    "operation_metrics",
    "dead_letter_queue",
    "pipeline_metrics",
    "pointing_history",
];

pub fn is_never_written(table: &str) -> bool {
    NEVER_WRITTEN.iter().any(|t| t.eq_ignore_ascii_case(table))
}

/// The note for a table this version never writes, or for one that is missing.
pub fn absent_note(schema: &Schema, table: &str) -> TableNote {
    if schema.has_table(table) && is_never_written(table) {
        TableNote::not_written(table)
    } else if is_never_written(table) {
        // Missing and never written: the more useful thing to say is that it never is.
        TableNote::not_written(table)
    } else {
        TableNote::missing(table)
    }
}

/// The MJD of the first `YYYY-MM-DDTHH:MM:SS` in an MS's file name (the pipeline names MS
/// and groups by the observation's start, zone-less UTC).
pub fn mjd_from_name(path: &str) -> Option<f64> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let b = name.as_bytes();
    (0..b.len().saturating_sub(18)).find_map(|i| parse_iso(&name[i..i + 19]))
}

fn parse_iso(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 19
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[13] == b':'
        && b[16] == b':';
    if !shape_ok {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let unix = days * 86_400 + h * 3600 + mi * 60 + se;
    Some(crate::text::unix_to_mjd(unix as f64))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ms_name_gives_its_observation_mjd() {
        // 2025-10-21T14:23:19 UTC is MJD 60969.59952...
        let mjd = mjd_from_name("/stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms").unwrap();
        assert!((mjd - 60969.599525).abs() < 1e-5, "{mjd}");
        assert_eq!(mjd_from_name("/stage/ms/calpass.ms"), None);
        assert_eq!(mjd_from_name("2025-13-21T14:23:19.ms"), None);
    }

    #[test]
    fn never_written_tables_are_notes_whether_present_or_not() {
        let with = Schema::from_parts([("image_qa".to_string(), "id".to_string())], []);
        assert_eq!(
            absent_note(&with, "image_qa").kind,
            crate::snapshot::records::NoteKind::NotWritten
        );
        assert_eq!(
            absent_note(&Schema::default(), "mosaics").kind,
            crate::snapshot::records::NoteKind::Missing
        );
    }
}
