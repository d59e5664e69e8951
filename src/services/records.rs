//! The pipeline's side records, read in the services (never on the render path): an image
//! detail's quality records, and the triage view's alerts, candidates and mosaics.

use crate::db::records::AlertsDb;
use crate::db::{Db, DbError};
use crate::snapshot::records::{AlertsState, ImageDetail, PipelineRecords};

/// An image's row and what the pipeline keeps about its quality.
pub async fn image_detail(db: &Db, id: i64, path: &str) -> Result<ImageDetail, DbError> {
    let row = db.image(id).await?;
    let path = row.as_ref().map_or(path, |r| r.path.as_str()).to_string();
    let ms = row.as_ref().and_then(|r| r.ms_path.clone());
    let qa = db.image_qa(&path, ms.as_deref()).await?;
    Ok(ImageDetail { row, qa })
}

/// The triage view's records: firing alerts from `alerts.sqlite3`, and candidates and
/// mosaics from the pipeline database (`since`: the window's start). A part that cannot be
/// read says so in its place; nothing here fails the report.
pub async fn triage_records(db: Option<&Db>, alerts: &AlertsDb, since: f64) -> PipelineRecords {
    let mut out = match db {
        Some(db) => match db.triage_records(since).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "pipeline records for triage");
                PipelineRecords::default()
            }
        },
        None => PipelineRecords::default(),
    };
    out.alerts_db = alerts.path().display().to_string();
    out.alerts = alerts.read().await;
    if let AlertsState::Error { message } = &out.alerts {
        tracing::warn!(error = %message, "alerts.sqlite3");
    }
    out
}
