//! The calibration part of an MS detail: the `caltables` rows that apply to the MS and its
//! `calibration_qa` rows.
//!
//! A table applies when it was solved from the MS (`source_ms_path`; set only by the
//! provenance tracker, and wiped when the solve stage re-registers the set), when its set is
//! named after the MS (the solve stage names sets `{ms stem}_{mid_mjd:.6f}`), or when its
//! validity window covers the MS's time (what applying calibration selects). Each is one
//! bounded query on one of the pipeline's caltables indexes.

use std::collections::BTreeMap;

use sqlx::sqlite::SqliteRow;

use crate::db::list::select_list;
use crate::db::records::{absent_note, mjd_from_name};
use crate::db::sql::{self, Bind, SqlBuf};
use crate::db::{Db, DbError};
use crate::snapshot::records::{
    CalLink, CalQuality, CalTable, CalTableStatus, CalibrationQa, MjdFrom, MsCalibration,
    QaSeverity, TableNote,
};

/// Rows read per way of matching a table, and QA rows per MS.
const PER_MATCH_ROWS: i64 = 60;
const QA_ROWS: i64 = 20;
/// A validity window is looked for among windows starting at most this many days before the
/// MS (the solve stage writes ±1 h around its MS), so the read stays on the window index.
const WINDOW_LOOKBACK_DAYS: f64 = 7.0;

const CALTABLE_COLUMNS: &[&str] = &[
    "path",
    "set_name",
    "table_type",
    "order_index",
    "cal_field",
    "refant",
    "created_at",
    "valid_start_mjd",
    "valid_end_mjd",
    "status",
    "notes",
    "source_ms_path",
    "solver_command",
    "solver_version",
    "solver_params",
    "quality_metrics",
];

const QA_COLUMNS: &[&str] = &[
    "passed",
    "severity",
    "overall_grade",
    "n_warnings",
    "n_errors",
    "avg_flag_fraction",
    "created_at",
    "result_json",
];

/// The stem the solve stage names a set after: the file name without `.ms`.
fn ms_stem(ms_path: &str) -> &str {
    let name = ms_path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(ms_path);
    name.strip_suffix(".ms").unwrap_or(name)
}

impl Db {
    /// The calibration tables that apply to `ms_path`, its calibration QA, and notes for
    /// what is absent. Called from the MS detail.
    pub async fn ms_calibration(&self, ms_path: &str) -> Result<MsCalibration, DbError> {
        let schema = self.schema();
        let mut out = MsCalibration {
            ms_mjd: self.ms_mjd(ms_path).await?,
            ..MsCalibration::default()
        };
        if schema.has_table("caltables") && schema.has_column("caltables", "path") {
            out.tables = self
                .caltables_of_ms(ms_path, out.ms_mjd.map(|m| m.0))
                .await?;
        } else {
            out.notes.push(absent_note(&schema, "caltables"));
        }
        if !schema.has_table("calibration_qa") {
            out.notes.push(absent_note(&schema, "calibration_qa"));
        } else if !schema.has_column("calibration_qa", "passed") {
            out.notes.push(TableNote::other_layout(
                "calibration_qa",
                "has schema.sql's layout (job_id, k/bp/g_metrics), which the pipeline's \
                 QA store cannot insert into: no QA is recorded",
            ));
        } else {
            out.qa = self.calibration_qa_of_ms(ms_path).await?;
        }
        if schema.has_table("calibration_applied") {
            out.notes
                .push(TableNote::not_written("calibration_applied"));
        }
        Ok(out)
    }

    /// The MS's time: `ms_index.mid_mjd` when set, else the timestamp in its name.
    async fn ms_mjd(&self, ms_path: &str) -> Result<Option<(f64, MjdFrom)>, DbError> {
        let schema = self.schema();
        if schema.has_column("ms_index", "mid_mjd") && schema.has_column("ms_index", "path") {
            let sql = SqlBuf::with(
                "SELECT mid_mjd FROM ms_index WHERE path = ?",
                vec![Bind::Text(ms_path.to_string())],
            );
            let rows = self.fetch("ms mid_mjd", sql).await?;
            if let Some(m) = rows.first().and_then(|r| sql::real(r, "mid_mjd")) {
                return Ok(Some((m, MjdFrom::MsIndex)));
            }
        }
        Ok(mjd_from_name(ms_path).map(|m| (m, MjdFrom::Name)))
    }

    async fn caltables_of_ms(
        &self,
        ms_path: &str,
        mjd: Option<f64>,
    ) -> Result<Vec<CalTable>, DbError> {
        let schema = self.schema();
        let has = |c: &str| schema.has_column("caltables", c);
        let cols = select_list(&schema, "caltables", "", CALTABLE_COLUMNS);
        let order = if has("created_at") {
            " ORDER BY created_at DESC"
        } else {
            ""
        };
        let stem = ms_stem(ms_path);
        let mut queries: Vec<(&str, SqlBuf)> = Vec::new();
        if has("source_ms_path") {
            queries.push((
                "caltables by source ms",
                SqlBuf::with(
                    format!("SELECT {cols} FROM caltables WHERE source_ms_path = ?{order} LIMIT ?"),
                    vec![Bind::Text(ms_path.to_string()), Bind::Int(PER_MATCH_ROWS)],
                ),
            ));
        }
        if has("set_name") && !stem.is_empty() {
            // A range on the set index: names that start with `{stem}_` (`` ` `` follows `_`).
            queries.push((
                "caltables by set name",
                SqlBuf::with(
                    format!(
                        "SELECT {cols} FROM caltables WHERE set_name >= ? AND set_name < ?{order} LIMIT ?"
                    ),
                    vec![
                        Bind::Text(format!("{stem}_")),
                        Bind::Text(format!("{stem}`")),
                        Bind::Int(PER_MATCH_ROWS),
                    ],
                ),
            ));
        }
        if let (Some(mjd), true, true) = (mjd, has("valid_start_mjd"), has("valid_end_mjd")) {
            queries.push((
                "caltables by window",
                SqlBuf::with(
                    format!(
                        "SELECT {cols} FROM caltables WHERE valid_start_mjd BETWEEN ? AND ? \
                         AND valid_end_mjd >= ?{order} LIMIT ?"
                    ),
                    vec![
                        Bind::Real(mjd - WINDOW_LOOKBACK_DAYS),
                        Bind::Real(mjd),
                        Bind::Real(mjd),
                        Bind::Int(PER_MATCH_ROWS),
                    ],
                ),
            ));
        }
        let mut by_path: BTreeMap<String, CalTable> = BTreeMap::new();
        for (what, sql) in queries {
            for row in self.fetch(what, sql).await? {
                let t = caltable_row(&row, ms_path, stem, mjd);
                by_path.entry(t.path.clone()).or_insert(t);
            }
        }
        Ok(order_tables(by_path.into_values().collect()))
    }

    async fn calibration_qa_of_ms(&self, ms_path: &str) -> Result<Vec<CalibrationQa>, DbError> {
        let schema = self.schema();
        let cols = select_list(&schema, "calibration_qa", "", QA_COLUMNS);
        let order = if schema.has_column("calibration_qa", "created_at") {
            " ORDER BY created_at DESC"
        } else {
            ""
        };
        let sql = SqlBuf::with(
            format!("SELECT {cols} FROM calibration_qa WHERE ms_path = ?{order} LIMIT ?"),
            vec![Bind::Text(ms_path.to_string()), Bind::Int(QA_ROWS)],
        );
        Ok(self
            .fetch("calibration qa of ms", sql)
            .await?
            .iter()
            .map(qa_row)
            .collect())
    }
}

fn caltable_row(r: &SqliteRow, ms_path: &str, stem: &str, mjd: Option<f64>) -> CalTable {
    let t = |c: &str| sql::text(r, c);
    let set_name = t("set_name");
    let source = t("source_ms_path");
    let (start, end) = (
        sql::real(r, "valid_start_mjd"),
        sql::real(r, "valid_end_mjd"),
    );
    let mut links = Vec::new();
    if source.as_deref() == Some(ms_path) {
        links.push(CalLink::SolvedFrom);
    }
    if set_name
        .as_deref()
        .is_some_and(|s| !stem.is_empty() && s.starts_with(&format!("{stem}_")))
    {
        links.push(CalLink::SetNamed);
    }
    if let (Some(m), Some(s), Some(e)) = (mjd, start, end)
        && s <= m
        && m <= e
    {
        links.push(CalLink::WindowCovers);
    }
    CalTable {
        path: t("path").unwrap_or_default(),
        set_name,
        table_type: t("table_type"),
        order_index: sql::int(r, "order_index"),
        cal_field: t("cal_field"),
        refant: t("refant"),
        created_at: sql::real(r, "created_at"),
        valid_start_mjd: start,
        valid_end_mjd: end,
        status: CalTableStatus::parse(t("status").as_deref()),
        notes: t("notes"),
        source_ms_path: source,
        solver_command: t("solver_command"),
        solver_version: t("solver_version"),
        solver_params: t("solver_params"),
        quality: t("quality_metrics").as_deref().and_then(parse_quality),
        links,
    }
}

/// Sets newest first (by their newest table), each in apply order.
fn order_tables(mut tables: Vec<CalTable>) -> Vec<CalTable> {
    let mut newest: BTreeMap<String, f64> = BTreeMap::new();
    for t in &tables {
        let key = t.set_name.clone().unwrap_or_default();
        let at = t.created_at.unwrap_or(f64::NEG_INFINITY);
        let e = newest.entry(key).or_insert(at);
        *e = e.max(at);
    }
    tables.sort_by(|a, b| {
        let set = |t: &CalTable| t.set_name.clone().unwrap_or_default();
        let (sa, sb) = (set(a), set(b));
        newest[&sb]
            .total_cmp(&newest[&sa])
            .then_with(|| sa.cmp(&sb))
            .then_with(|| {
                a.order_index
                    .unwrap_or(i64::MAX)
                    .cmp(&b.order_index.unwrap_or(i64::MAX))
            })
            .then_with(|| a.path.cmp(&b.path))
    });
    tables
}

/// The solver QA's JSON (`qa_passed`, `flagged_fraction`, `snr_mean`, `issues`, …).
pub fn parse_quality(text: &str) -> Option<CalQuality> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let obj = v.as_object()?;
    let strings = |k: &str| -> Vec<String> {
        obj.get(k)
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .map(|x| {
                        x.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| x.to_string())
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Some(CalQuality {
        qa_passed: obj.get("qa_passed").and_then(|b| b.as_bool()),
        flagged_fraction: obj.get("flagged_fraction").and_then(|f| f.as_f64()),
        snr_mean: obj.get("snr_mean").and_then(|f| f.as_f64()),
        n_antennas: obj.get("n_antennas").and_then(|f| f.as_i64()),
        n_solutions: obj.get("n_solutions").and_then(|f| f.as_i64()),
        issues: strings("issues"),
        warnings: strings("warnings"),
    })
}

fn qa_row(r: &SqliteRow) -> CalibrationQa {
    let issues = sql::text(r, "result_json")
        .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok())
        .and_then(|v| v.get("issues").and_then(|i| i.as_array()).cloned())
        .map(|items| {
            let mut with_rank: Vec<(u8, String)> = items
                .iter()
                .filter_map(|i| {
                    let msg = i.get("message")?.as_str()?.to_string();
                    let rank = match i.get("severity").and_then(|s| s.as_str()) {
                        Some("error") => 0,
                        Some("warning") => 1,
                        _ => 2,
                    };
                    Some((rank, msg))
                })
                .collect();
            with_rank.sort_by_key(|(rank, _)| *rank);
            with_rank.into_iter().map(|(_, m)| m).collect()
        })
        .unwrap_or_default();
    CalibrationQa {
        passed: sql::flag(r, "passed"),
        severity: QaSeverity::parse(sql::text(r, "severity").as_deref()),
        overall_grade: sql::text(r, "overall_grade"),
        n_warnings: sql::int(r, "n_warnings"),
        n_errors: sql::int(r, "n_errors"),
        avg_flag_fraction: sql::real(r, "avg_flag_fraction"),
        created_at: sql::real(r, "created_at"),
        issues,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_solver_qa_json_is_read_for_its_figures_and_issues() {
        let q = parse_quality(
            r#"{"qa_passed": false, "issues": ["Low mean SNR: 3.1"], "flagged_fraction": 0.62,
                "snr_mean": 3.1, "n_antennas": 96, "n_solutions": 12}"#,
        )
        .unwrap();
        assert_eq!(q.qa_passed, Some(false));
        assert_eq!(q.issues, vec!["Low mean SNR: 3.1".to_string()]);
        assert_eq!(q.n_antennas, Some(96));
        assert!(parse_quality("not json").is_none());
    }

    #[test]
    fn the_set_stem_drops_the_directory_and_ms_suffix() {
        assert_eq!(
            ms_stem("/stage/ms/2025-10-21T14:23:19.ms"),
            "2025-10-21T14:23:19"
        );
        assert_eq!(ms_stem("/stage/ms/x.ms/"), "x");
    }
}
