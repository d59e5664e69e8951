//! Table rows from the MS plans: `ms_index`, `ms_state`, `jobs` (with their log text, params
//! and artifacts), the caltable sets and what each MS applied, and operators' batch jobs. The
//! row types are the demo's (`demo::rows`), so the benchmark writes what the demo writes.

use serde_json::json;

use crate::demo::batches::{PlannedBatch, PlannedItem};
use crate::demo::errors::Stage;
use crate::demo::logs::{Level, LogEvent, Phase};
use crate::demo::names::group_id;
use crate::demo::rows::{
    BatchItemRecord, BatchJobRecord, CalAppliedRecord, CaltableRecord, DEFAULT_REFANT, JobRecord,
    MsIndexRecord, MsStateRecord, caltable_order_index,
};
use crate::demo::timeline::{self, JobParamsInput};
use crate::text::format::{mjd_to_unix, unix_to_mjd};

use super::failures::{self, FailureContext};
use super::mix::Draw;
use super::plan::{
    Attempt, CALTABLES_DIR, IMAGES_DIR, JobState, MsPlan, Outcome, Timeframe, job_draw, ms_path,
    pbcor_path,
};

pub fn ms_index_row(p: &MsPlan) -> MsIndexRecord {
    MsIndexRecord {
        path: p.ms_path.clone(),
        start_mjd: p.start_mjd,
        end_mjd: p.end_mjd,
        mid_mjd: p.mid_mjd,
        processed_at: (p.status == "done").then_some(p.state.transition),
        status: p.status.to_string(),
        stage: p.stage.to_string(),
        stage_updated_at: p.state.transition,
        cal_applied: i64::from(p.calibration.iter().any(|c| c.error.is_none())),
        imagename: p
            .images_at
            .map(|_| format!("{IMAGES_DIR}/{}.img", p.group_id)),
        field_name: p.field_name.clone(),
        pointing_ra_deg: p.ra_deg,
        pointing_dec_deg: p.dec_deg,
        ra_deg: p.ra_deg,
        dec_deg: p.dec_deg,
        group_id: p.group_id.clone(),
        created_at: p.discovered_at,
    }
}

pub fn ms_state_row(p: &MsPlan) -> MsStateRecord {
    let last_job = p
        .attempts
        .iter()
        .filter(|a| a.started.is_some())
        .map(|a| a.id)
        .max();
    MsStateRecord {
        ms_path: p.ms_path.clone(),
        current_state: p.state.current.to_string(),
        previous_state: p.state.previous.map(str::to_string),
        transition_time: p.state.transition,
        retry_count: p.state.retry_count,
        error_message: p.state.error.clone(),
        checkpoint_data: json!({
            "group_id": p.group_id,
            "last_job_id": last_job,
            "subbands": 16,
            "run_id": p.run_id,
        })
        .to_string(),
        created_at: p.discovered_at,
    }
}

fn job_params(p: &MsPlan, stage: Stage, calset: &str) -> String {
    timeline::job_params(
        stage,
        &JobParamsInput {
            images_dir: IMAGES_DIR,
            ms_path: &p.ms_path,
            group_id: &p.group_id,
            image: &pbcor_path(&p.group_id),
            calset: Some(calset),
            field_radius_deg: 1.75,
        },
    )
}

fn artifacts(p: &MsPlan, a: &Attempt, calset: &CalSet) -> String {
    if a.state != JobState::Completed {
        return "[]".to_string();
    }
    let list: Vec<String> = match a.stage {
        Stage::Conversion => vec![p.ms_path.clone()],
        Stage::Calibration => calset.tables.iter().map(|(_, path)| path.clone()).collect(),
        Stage::Imaging => vec![pbcor_path(&p.group_id)],
        Stage::Photometry => vec![format!(
            "/stage/dsa110-contimg/products/{}.photometry.csv",
            p.group_id
        )],
    };
    json!(list).to_string()
}

/// What a stage logs while it works.
fn progress(p: &MsPlan, stage: Stage, calset: &CalSet, d: &mut Draw) -> Vec<String> {
    match stage {
        Stage::Conversion => vec![
            format!("Found 16/16 subbands for group {}", p.group_id),
            format!("Wrote {} ({:.1} GB)", p.ms_path, d.range(1.6, 2.1)),
        ],
        Stage::Calibration => vec![
            format!("Using caltable set {}", calset.name),
            format!("Flagged {:.1}% of visibilities for RFI", d.range(2.0, 14.0)),
            format!("Applied {} calibration tables", calset.tables.len()),
        ],
        Stage::Imaging => vec![
            format!(
                "Running {}",
                timeline::wsclean_command(IMAGES_DIR, &p.ms_path, &p.group_id)
            ),
            format!("Wrote {}", pbcor_path(&p.group_id)),
        ],
        Stage::Photometry => vec![format!(
            "Forced photometry on {} NVSS sources in {}",
            d.int(90, 130),
            pbcor_path(&p.group_id)
        )],
    }
}

/// The `jobs.logs` text of one attempt as it stands at `now`: queued, started, progress (cut
/// short by a failure), then completed, or failed with the traceback last.
fn job_logs(p: &MsPlan, k: usize, calset: &CalSet, now: f64) -> String {
    let a = &p.attempts[k];
    let mut d = job_draw(p.i, k);
    let job_type = a.stage.job_type();
    let event = |unix: f64, level: Level, message: String| LogEvent {
        unix,
        level,
        stage: a.stage,
        message,
        ms_path: p.ms_path.clone(),
        group_id: p.group_id.clone(),
        run_id: p.run_id.clone(),
        exc_info: None,
        worker: 0,
        job_id: a.id,
        // Only the `jobs.logs` text is made from these (no log file).
        phase: Phase::Progress,
    };
    let mut events = Vec::new();
    if let Some(previous) = &a.retry_of {
        let n = p.attempts[..k]
            .iter()
            .filter(|x| x.stage == a.stage)
            .count();
        events.push(event(
            a.created,
            Level::Warning,
            format!(
                "Retrying {job_type} (attempt {} of 3) after: {previous}",
                n + 1
            ),
        ));
    }
    events.push(event(
        a.created,
        Level::Info,
        format!("Job {} queued: {job_type} of {}", a.id, p.ms_path),
    ));
    if let Some(started) = a.started {
        events.push(event(
            started,
            Level::Info,
            format!(
                "Job {} started {job_type} on worker dsa-proc-{:02}",
                a.id, a.worker
            ),
        ));
        let messages = progress(p, a.stage, calset, &mut d);
        let end = a.finished.unwrap_or(now);
        let kept = match a.state {
            JobState::Completed => messages.len(),
            _ => 1,
        };
        for (n, message) in messages.into_iter().take(kept).enumerate() {
            let at = started + (end - started) * (n as f64 + 1.0) / (kept as f64 + 1.0);
            events.push(event(at, Level::Info, message));
        }
    }
    match (&a.failure, a.finished) {
        (Some(f), Some(finished)) => {
            let mut e = event(
                finished,
                Level::Error,
                format!("{job_type} failed: {}", f.exception),
            );
            e.exc_info = Some(f.traceback.clone());
            events.push(e);
        }
        (None, Some(finished)) => events.push(event(
            finished,
            Level::Info,
            format!(
                "{job_type} completed in {:.1} s",
                finished - a.started.unwrap_or(finished)
            ),
        )),
        _ => {}
    }
    events
        .iter()
        .map(LogEvent::job_log_text)
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn job_row(p: &MsPlan, k: usize, calsets: &Calsets, now: f64) -> JobRecord {
    let a = &p.attempts[k];
    // The set the calibration applied when it finished (what `calibration_applied` records).
    let calset = calsets.for_time(a.finished.or(a.started).unwrap_or(a.created));
    JobRecord {
        id: a.id,
        kind: a.stage.job_type().to_string(),
        status: a.state.name().to_string(),
        ms_path: p.ms_path.clone(),
        params: job_params(p, a.stage, &calset.name),
        logs: job_logs(p, k, &calset, now),
        artifacts: artifacts(p, a, &calset),
        created_at: a.created,
        started_at: a.started,
        finished_at: a.finished,
    }
}

/// Calibrator transits a caltable set is solved from, in turn.
const CALIBRATORS: [&str; 4] = ["3C286", "3C48", "0834+555", "1331+305"];
/// A new caltable set every 12 h, valid a little longer.
const CALSET_EVERY_S: f64 = 12.0 * 3600.0;
/// A set is usable this long after its calibrator transit.
const CALSET_READY_S: f64 = 1800.0;

/// One caltable set: its name and (type, path) tables.
#[derive(Debug, Clone, PartialEq)]
pub struct CalSet {
    pub name: String,
    pub tables: Vec<(String, String)>,
    pub valid: (f64, f64),
    pub ready_at: f64,
    pub source_group: String,
}

/// The caltable sets of the timeframe: one every 12 h from half a day before the first MS.
#[derive(Debug, Clone)]
pub struct Calsets {
    first: f64,
    now: f64,
}

impl Calsets {
    pub fn new(tf: &Timeframe) -> Calsets {
        Calsets {
            first: tf.start(0) - CALSET_EVERY_S,
            now: tf.now,
        }
    }

    pub fn count(&self) -> u64 {
        ((self.now - self.first) / CALSET_EVERY_S).floor() as u64 + 1
    }

    pub fn set(&self, k: u64) -> CalSet {
        let t = self.first + k as f64 * CALSET_EVERY_S;
        let gid = group_id(t);
        let calibrator = CALIBRATORS[(k % CALIBRATORS.len() as u64) as usize];
        let mut types = vec!["K", "BP", "GP"];
        if Draw::new(k, 0xCA1).chance(0.5) {
            types.push("2G");
        }
        CalSet {
            name: format!("{gid}_{calibrator}"),
            tables: types
                .iter()
                .map(|ty| {
                    (
                        ty.to_string(),
                        format!("{CALTABLES_DIR}/{gid}_{}.cal", ty.to_ascii_lowercase()),
                    )
                })
                .collect(),
            valid: (unix_to_mjd(t), unix_to_mjd(t + CALSET_EVERY_S * 1.1)),
            ready_at: t + CALSET_READY_S,
            source_group: gid,
        }
    }

    /// The newest set ready at `t`.
    pub fn for_time(&self, t: f64) -> CalSet {
        let k = ((t - self.first) / CALSET_EVERY_S).floor().max(0.0) as u64;
        let set = self.set(k);
        if set.ready_at > t && k > 0 {
            self.set(k - 1)
        } else {
            set
        }
    }

    pub fn rows(&self) -> Vec<CaltableRecord> {
        (0..self.count())
            .flat_map(|k| {
                let set = self.set(k);
                let status = if mjd_to_unix(set.valid.1) >= self.now {
                    "active"
                } else {
                    "retired"
                };
                set.tables
                    .iter()
                    .map(|(ty, path)| CaltableRecord {
                        set_name: set.name.clone(),
                        path: path.clone(),
                        table_type: ty.clone(),
                        order_index: caltable_order_index(ty),
                        cal_field: "0".to_string(),
                        refant: DEFAULT_REFANT.to_string(),
                        valid_start_mjd: set.valid.0,
                        valid_end_mjd: set.valid.1,
                        status: status.to_string(),
                        source_ms_path: ms_path(&set.source_group),
                        created_at: set.ready_at,
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// What MS `p` applied: every table of its set when calibration succeeded, the first one with
/// the error when it failed.
pub fn cal_applied_rows(p: &MsPlan, calsets: &Calsets) -> Vec<CalAppliedRecord> {
    let mut d = Draw::new(p.i, 0xCA2);
    p.calibration
        .iter()
        .flat_map(|c| {
            let set = calsets.for_time(c.at);
            let tables: Vec<&(String, String)> = match c.error {
                None => set.tables.iter().collect(),
                Some(_) => set.tables.iter().take(1).collect(),
            };
            tables
                .into_iter()
                .map(|(_, path)| CalAppliedRecord {
                    ms_path: p.ms_path.clone(),
                    caltable_path: path.clone(),
                    applied_at: c.at,
                    quality: c
                        .error
                        .is_none()
                        .then(|| (d.range(0.82, 0.99) * 1000.0).round() / 1000.0),
                    success: i64::from(c.error.is_none()),
                    error_message: c.error.clone(),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// MS per batch an operator starts, and one batch per this many MS (~1.4 days).
const BATCH_SIZE: usize = 20;
const MS_PER_BATCH: u64 = 400;
const BATCH_KINDS: [&str; 3] = ["reimage", "recalibrate", "photometry_rerun"];

/// Operators' batch jobs: re-imaging or re-calibrating ~20 done MS at a time, some hours after
/// they finished; ~10 % of the items fail.
pub fn batches(tf: &Timeframe, plans: &[MsPlan]) -> Vec<PlannedBatch> {
    let done: Vec<&MsPlan> = plans
        .iter()
        .filter(|p| matches!(p.outcome, Outcome::Done { .. }))
        .collect();
    let count = (tf.n / MS_PER_BATCH).max(1) as usize;
    if done.len() < BATCH_SIZE {
        return Vec::new();
    }
    (0..count)
        .map(|b| {
            let mut d = Draw::new(b as u64, 0xBA7);
            let first =
                ((b * done.len()) / count + done.len() / (2 * count)).min(done.len() - BATCH_SIZE);
            let chosen = &done[first..first + BATCH_SIZE];
            let kind = BATCH_KINDS[b % BATCH_KINDS.len()];
            let stage = if kind == "recalibrate" {
                Stage::Calibration
            } else {
                Stage::Imaging
            };
            let last_done = chosen
                .iter()
                .filter_map(|p| p.photometry_at)
                .fold(f64::MIN, f64::max);
            let created = (last_done + d.range(3600.0, 6.0 * 3600.0)).min(tf.now - 600.0);
            let mut clock = created + d.range(5.0, 60.0);
            let items = chosen
                .iter()
                .map(|p| {
                    let started = clock;
                    let completed = started + d.range(240.0, 600.0);
                    clock = completed + d.range(1.0, 20.0);
                    let image = pbcor_path(&p.group_id);
                    let ctx = FailureContext {
                        ms_path: &p.ms_path,
                        group_id: &p.group_id,
                        mid_mjd: p.mid_mjd,
                        image_path: &image,
                    };
                    let error = d.chance(0.1).then(|| {
                        let retryable = d.chance(0.7);
                        failures::pick(stage, retryable, &ctx, &mut d).exception
                    });
                    PlannedItem {
                        id: None,
                        ms_path: p.ms_path.clone(),
                        job_id: p
                            .attempts
                            .iter()
                            .rev()
                            .find(|a| a.stage == Stage::Imaging)
                            .map(|a| a.id),
                        started,
                        completed,
                        error,
                    }
                })
                .collect();
            PlannedBatch {
                id: b as i64 + 1,
                kind,
                created,
                items,
            }
        })
        .collect()
}

/// The batch rows as they stand at `now`.
pub fn batch_rows(
    batches: &[PlannedBatch],
    now: f64,
) -> (Vec<BatchJobRecord>, Vec<BatchItemRecord>) {
    let mut jobs = Vec::with_capacity(batches.len());
    let mut items = Vec::new();
    for b in batches {
        let (job, its) = b.at(now);
        jobs.push(job);
        items.extend(its);
    }
    (jobs, items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::Scale;
    use crate::bench::generate::plan::plan_all;
    use crate::db::details::traceback;
    use crate::snapshot::jobs::error_one_liner;

    const NOW: f64 = 1_761_056_599.0;

    #[test]
    fn failed_jobs_end_their_logs_with_the_traceback() {
        let tf = Timeframe::new(&Scale::DAY, NOW);
        let plans = plan_all(&tf);
        let calsets = Calsets::new(&tf);
        let mut failed = 0;
        for p in &plans {
            for (k, a) in p.attempts.iter().enumerate() {
                let row = job_row(p, k, &calsets, NOW);
                assert!(
                    row.logs
                        .starts_with(&crate::text::format::fmt_utc(a.created))
                );
                assert!(serde_json::from_str::<serde_json::Value>(&row.params).is_ok());
                if let Some(f) = &a.failure {
                    failed += 1;
                    assert_eq!(row.status, "failed");
                    assert!(row.logs.ends_with(&f.exception));
                    assert_eq!(traceback(&row.logs), Some(f.traceback.clone()));
                    assert!(error_one_liner(&row.logs).is_some());
                }
                if a.retry_of.is_some() {
                    assert!(row.logs.contains("WARNING Retrying"));
                }
            }
        }
        assert!(failed > 0);
    }

    #[test]
    fn each_calibrated_ms_applied_the_set_ready_for_it() {
        let tf = Timeframe::new(&Scale::DAY, NOW);
        let plans = plan_all(&tf);
        let calsets = Calsets::new(&tf);
        let tables = calsets.rows();
        assert!(tables.iter().any(|t| t.status == "active"));
        for p in plans.iter().filter(|p| p.status == "done") {
            let rows = cal_applied_rows(p, &calsets);
            assert!(rows.len() >= 3, "{p:#?}");
            for r in &rows {
                let t = tables.iter().find(|t| t.path == r.caltable_path).unwrap();
                assert!(t.created_at <= r.applied_at);
                let mjd = unix_to_mjd(r.applied_at);
                assert!(t.valid_start_mjd <= mjd && mjd <= t.valid_end_mjd);
            }
        }
    }

    #[test]
    fn batches_rerun_done_ms_and_some_items_fail() {
        let tf = Timeframe::new(&Scale::MONTH, NOW);
        let plans = plan_all(&tf);
        let planned = batches(&tf, &plans);
        assert_eq!(planned.len(), 21);
        let (jobs, items) = batch_rows(&planned, NOW);
        assert_eq!(items.len(), 21 * BATCH_SIZE);
        assert!(jobs.iter().all(|j| j.params.starts_with("{'ms_paths': [")));
        let failed = items.iter().filter(|i| i.status == "failed").count();
        assert!(failed > 10 && failed < 80, "{failed}");
        assert!(
            items
                .iter()
                .filter(|i| i.status == "failed")
                .all(|i| i.error.is_some())
        );
    }
}
