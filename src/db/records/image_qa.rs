//! What the pipeline keeps about one image's quality. `image_qa` is never written by this
//! pipeline version; its API grades an image from the MS's `ms_index.stage` and summarises
//! the `images` row (noise, dynamic range, beam: NULL in production). The stages' product
//! record (`data_registry`, keyed by path) carries `qa_status` and `validation_status`.

use crate::db::list::select_list;
use crate::db::records::absent_note;
use crate::db::sql::{self, Bind, SqlBuf};
use crate::db::{Db, DbError};
use crate::snapshot::records::{ImageQa, RegistryRecord, TableNote};

const REGISTRY_COLUMNS: &[&str] = &[
    "data_type",
    "status",
    "qa_status",
    "validation_status",
    "finalization_status",
    "published_path",
    "publish_error",
    "staged_at",
    "published_at",
];

impl Db {
    /// The quality records of the image at `path` (made from MS `ms_path`).
    pub async fn image_qa(&self, path: &str, ms_path: Option<&str>) -> Result<ImageQa, DbError> {
        let schema = self.schema();
        let mut qa = ImageQa {
            notes: vec![TableNote::not_written("image_qa")],
            ..ImageQa::default()
        };
        if schema.has_column("data_registry", "data_id") {
            let sql = SqlBuf::with(
                format!(
                    "SELECT {} FROM data_registry WHERE data_id = ? LIMIT 1",
                    select_list(&schema, "data_registry", "", REGISTRY_COLUMNS)
                ),
                vec![Bind::Text(path.to_string())],
            );
            qa.registry = self
                .fetch("data_registry of image", sql)
                .await?
                .first()
                .map(|r| RegistryRecord {
                    data_type: sql::text(r, "data_type"),
                    status: sql::text(r, "status"),
                    qa_status: sql::text(r, "qa_status"),
                    validation_status: sql::text(r, "validation_status"),
                    finalization_status: sql::text(r, "finalization_status"),
                    published_path: sql::text(r, "published_path"),
                    publish_error: sql::text(r, "publish_error"),
                    staged_at: sql::real(r, "staged_at"),
                    published_at: sql::real(r, "published_at"),
                });
        } else {
            let mut note = absent_note(&schema, "data_registry");
            note.text
                .push_str(" (the pipeline may keep it in state/data_registry.db)");
            qa.notes.push(note);
        }
        if let Some(ms) = ms_path
            && schema.has_column("ms_index", "stage")
        {
            let sql = SqlBuf::with(
                "SELECT stage FROM ms_index WHERE path = ?",
                vec![Bind::Text(ms.to_string())],
            );
            qa.ms_stage = self
                .fetch("ms stage of image", sql)
                .await?
                .first()
                .and_then(|r| sql::text(r, "stage"));
        }
        Ok(qa)
    }
}

/// The pipeline API's grade for an image from its MS's stage (`good`, `warn`, `fail`).
pub fn api_grade(ms_stage: Option<&str>) -> &'static str {
    match ms_stage.map(str::trim) {
        Some("imaged" | "mosaicked" | "cataloged") => "good",
        Some("calibrated") => "warn",
        _ => "fail",
    }
}
