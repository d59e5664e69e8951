//! The triage view's records: active ESE and transient candidates (with those of the
//! window) and the newest mosaic plans with their mosaic's QA. Bounded reads on the
//! pipeline's indexes (`ese_candidates(status)`, `(flagged_at)`,
//! `transient_candidates(detected_at)`, `mosaic_plans(created_at)`, `mosaics(plan_id)`).

use crate::db::records::absent_note;
use crate::db::sql::{self, Bind, SqlBuf};
use crate::db::{Db, DbError};
use crate::snapshot::records::{CandidateCount, MosaicPlan, PipelineRecords, TableNote};

/// Mosaic plans listed.
pub const MOSAIC_PLANS: i64 = 5;
/// Unclassified transients are counted among this many newest candidates (no index on
/// `classification`).
pub const TRANSIENTS_SCANNED: i64 = 10_000;

impl Db {
    /// Candidates and mosaics for the triage view; `since` is the window's start (unix s).
    pub async fn triage_records(&self, since: f64) -> Result<PipelineRecords, DbError> {
        let schema = self.schema();
        let ese = if schema.has_column("ese_candidates", "status") {
            let active = self
                .scalar(
                    "active ese candidates",
                    SqlBuf::new("SELECT COUNT(*) FROM ese_candidates WHERE status = 'active'"),
                )
                .await?
                .unwrap_or(0);
            let recent = if schema.has_column("ese_candidates", "flagged_at") {
                self.scalar(
                    "recent ese candidates",
                    SqlBuf::with(
                        "SELECT COUNT(*) FROM ese_candidates WHERE flagged_at >= ? \
                         AND status = 'active'",
                        vec![Bind::Real(since)],
                    ),
                )
                .await?
                .unwrap_or(0)
            } else {
                0
            };
            CandidateCount::Ok {
                active: active.max(0) as u64,
                recent: recent.max(0) as u64,
            }
        } else {
            CandidateCount::Note {
                note: absent_note(&schema, "ese_candidates"),
            }
        };
        let transients = if schema.has_column("transient_candidates", "detected_at") {
            let class = schema.col("transient_candidates", "", "classification");
            let active = self
                .scalar(
                    "unclassified transients",
                    SqlBuf::with(
                        format!(
                            "SELECT COUNT(*) FROM (SELECT {class} AS c FROM transient_candidates \
                             ORDER BY detected_at DESC LIMIT ?) WHERE c IS NULL OR c = ''"
                        ),
                        vec![Bind::Int(TRANSIENTS_SCANNED)],
                    ),
                )
                .await?
                .unwrap_or(0);
            let recent = self
                .scalar(
                    "recent transients",
                    SqlBuf::with(
                        "SELECT COUNT(*) FROM transient_candidates WHERE detected_at >= ?",
                        vec![Bind::Real(since)],
                    ),
                )
                .await?
                .unwrap_or(0);
            CandidateCount::Ok {
                active: active.max(0) as u64,
                recent: recent.max(0) as u64,
            }
        } else {
            CandidateCount::Note {
                note: absent_note(&schema, "transient_candidates"),
            }
        };
        let mut out = PipelineRecords {
            ese,
            transients,
            ..PipelineRecords::default()
        };
        if schema.has_column("mosaic_plans", "id") {
            let p = |c: &str| schema.col("mosaic_plans", "p", c);
            let jobs_layout = schema.has_column("mosaics", "plan_id");
            let join = if jobs_layout {
                " LEFT JOIN mosaics AS m ON m.plan_id = p.id"
            } else {
                ""
            };
            let m_col = |c: &str| {
                if jobs_layout && schema.has_column("mosaics", c) {
                    format!("m.{c}")
                } else {
                    "NULL".to_string()
                }
            };
            let order = if schema.has_column("mosaic_plans", "created_at") {
                "p.created_at DESC, p.id DESC"
            } else {
                "p.id DESC"
            };
            let sql = SqlBuf::with(
                format!(
                    "SELECT p.id AS plan_id, {} AS name, {} AS tier, {} AS status, \
                     {} AS n_images, {} AS created_at, {} AS mosaic_path, {} AS qa_status, \
                     {} AS median_rms_jy FROM mosaic_plans AS p{join} ORDER BY {order} LIMIT ?",
                    p("name"),
                    p("tier"),
                    p("status"),
                    p("n_images"),
                    p("created_at"),
                    m_col("path"),
                    m_col("qa_status"),
                    m_col("median_rms_jy"),
                ),
                vec![Bind::Int(MOSAIC_PLANS)],
            );
            out.mosaics = self
                .fetch("mosaic plans", sql)
                .await?
                .iter()
                .map(|r| MosaicPlan {
                    plan_id: sql::int(r, "plan_id").unwrap_or_default(),
                    name: sql::text(r, "name"),
                    tier: sql::text(r, "tier"),
                    status: sql::text(r, "status"),
                    n_images: sql::int(r, "n_images"),
                    created_at: sql::real(r, "created_at"),
                    mosaic_path: sql::text(r, "mosaic_path"),
                    qa_status: sql::text(r, "qa_status"),
                    median_rms_jy: sql::real(r, "median_rms_jy"),
                })
                .collect();
            if schema.has_table("mosaics") && !jobs_layout {
                out.notes.push(TableNote::other_layout(
                    "mosaics",
                    "has schema.sql's layout (no plan_id), which the mosaic jobs cannot \
                     insert into: built mosaics are not recorded",
                ));
            }
        } else {
            let mut note = absent_note(&schema, "mosaic_plans");
            note.text.push_str(" (created by the first mosaic job)");
            out.notes.push(note);
        }
        if schema.has_table("alert_history") {
            let mut note = TableNote::not_written("alert_history");
            note.text
                .push_str(" in pipeline.sqlite3 (its alerts are in alerts.sqlite3)");
            out.notes.push(note);
        }
        Ok(out)
    }
}
