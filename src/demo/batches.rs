//! Batch jobs an operator starts over several MS (re-imaging, re-calibration): planned with
//! their items' times and outcomes, viewed at any moment like an MS timeline.

use rand::Rng;

use super::errors::{FailureContext, Stage, pick_failure};
use super::names::Layout;
use super::rows::{BatchItemRecord, BatchJobRecord};
use super::timeline::MsTimeline;

const KINDS: [&str; 3] = ["reimage", "recalibrate", "photometry_rerun"];

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedItem {
    /// Fixed by the simulator so it can update the row; `None` lets SQLite number it.
    pub id: Option<i64>,
    pub ms_path: String,
    pub job_id: Option<i64>,
    pub started: f64,
    pub completed: f64,
    /// Why it fails, when it does (the exception line).
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedBatch {
    pub id: i64,
    pub kind: &'static str,
    pub created: f64,
    pub items: Vec<PlannedItem>,
}

/// How a batch is made.
#[derive(Debug, Clone, Copy)]
pub struct BatchShape {
    /// Seconds one item takes.
    pub item_seconds: (f64, f64),
    pub fail_probability: f64,
}

/// Plan batch `id` over `chosen`, created at `created`. Item ids come from `next_item_id` when
/// given.
pub fn plan_batch(
    id: i64,
    created: f64,
    chosen: &[&MsTimeline],
    layout: &Layout,
    shape: BatchShape,
    mut next_item_id: Option<&mut i64>,
    rng: &mut impl Rng,
) -> PlannedBatch {
    let kind = KINDS[(id.unsigned_abs() as usize) % KINDS.len()];
    let stage = if kind == "recalibrate" {
        Stage::Calibration
    } else {
        Stage::Imaging
    };
    let (lo, hi) = shape.item_seconds;
    let mut clock = created + rng.random_range(0.0..(lo * 0.1).max(1e-3));
    let mut items = Vec::with_capacity(chosen.len());
    for m in chosen {
        let started = clock;
        let completed = started + rng.random_range(lo..hi.max(lo + 1e-3));
        clock = completed + rng.random_range(0.0..(lo * 0.05).max(1e-3));
        let error = rng.random_bool(shape.fail_probability).then(|| {
            let image = layout.pbcor_image_path(&m.group_id);
            let ctx = FailureContext {
                ms_path: &m.ms_path,
                group_id: &m.group_id,
                mid_mjd: m.mid_mjd,
                image_path: &image,
            };
            pick_failure(stage, &ctx, rng).exception
        });
        let id = next_item_id.as_deref_mut().map(|next| {
            *next += 1;
            *next - 1
        });
        items.push(PlannedItem {
            id,
            ms_path: m.ms_path.clone(),
            job_id: m
                .attempts
                .iter()
                .rev()
                .find(|a| a.stage == Stage::Imaging)
                .map(|a| a.job_id),
            started,
            completed,
            error,
        });
    }
    PlannedBatch {
        id,
        kind,
        created,
        items,
    }
}

fn python_repr_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
    format!("[{}]", quoted.join(", "))
}

impl PlannedBatch {
    /// When the last item ends.
    pub fn finished_at(&self) -> f64 {
        self.items
            .iter()
            .map(|i| i.completed)
            .fold(self.created, f64::max)
    }

    /// The batch row and its item rows as they stand at `now`.
    pub fn at(&self, now: f64) -> (BatchJobRecord, Vec<BatchItemRecord>) {
        let (mut done, mut failed, mut finished) = (0i64, 0i64, 0usize);
        let items: Vec<BatchItemRecord> = self
            .items
            .iter()
            .map(|item| {
                let (status, started_at, completed_at, error) = if item.started > now {
                    ("pending", None, None, None)
                } else if item.completed > now {
                    ("running", Some(item.started), None, None)
                } else if let Some(e) = &item.error {
                    failed += 1;
                    (
                        "failed",
                        Some(item.started),
                        Some(item.completed),
                        Some(e.clone()),
                    )
                } else {
                    done += 1;
                    ("done", Some(item.started), Some(item.completed), None)
                };
                if completed_at.is_some() {
                    finished += 1;
                }
                BatchItemRecord {
                    id: item.id,
                    batch_id: self.id,
                    ms_path: item.ms_path.clone(),
                    job_id: item.job_id,
                    status: status.to_string(),
                    error,
                    started_at,
                    completed_at,
                }
            })
            .collect();
        let total = self.items.len();
        let status = if finished < total {
            if self.items.first().is_some_and(|i| i.started <= now) {
                "running"
            } else {
                "pending"
            }
        } else if failed * 2 > total as i64 {
            "failed"
        } else {
            "done"
        };
        let paths: Vec<String> = self.items.iter().map(|i| i.ms_path.clone()).collect();
        let batch = BatchJobRecord {
            id: self.id,
            kind: self.kind.to_string(),
            created_at: self.created,
            status: status.to_string(),
            total_items: total as i64,
            completed_items: done,
            failed_items: failed,
            params: format!(
                "{{'ms_paths': {}, 'imsize': 2048, 'niter': 1000, 'robust': 0.5, 'pbcor': True, \
                 'requested_by': 'operator', 'note': None}}",
                python_repr_list(&paths)
            ),
        };
        (batch, items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(started: f64, error: Option<&str>) -> PlannedItem {
        PlannedItem {
            id: None,
            ms_path: format!("/d/stage/ms/{started}.ms"),
            job_id: Some(1),
            started,
            completed: started + 10.0,
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn a_batch_runs_its_items_in_turn_and_counts_failures() {
        let batch = PlannedBatch {
            id: 1,
            kind: "reimage",
            created: 0.0,
            items: vec![
                item(1.0, None),
                item(12.0, Some("TimeoutError: imaging exceeded 600 s")),
            ],
        };
        let (b, items) = batch.at(0.5);
        assert_eq!(b.status, "pending");
        assert!(items.iter().all(|i| i.status == "pending"));
        let (b, items) = batch.at(15.0);
        assert_eq!((b.status.as_str(), b.completed_items), ("running", 1));
        assert_eq!(items[1].status, "running");
        let (b, items) = batch.at(30.0);
        assert_eq!((b.status.as_str(), b.failed_items), ("done", 1));
        assert_eq!(
            items[1].error.as_deref(),
            Some("TimeoutError: imaging exceeded 600 s")
        );
        assert!(b.params.starts_with("{'ms_paths': ['/d/stage/ms/1.ms', "));
        assert!(b.params.contains("'pbcor': True"));
    }
}
