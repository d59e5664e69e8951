//! One Measurement Set's life, planned ahead: its jobs (with retries and failures), the images
//! and photometry it produces, the calibration applied to it, its state transitions and its log
//! events, each with a time. [`MsTimeline::at`] gives the rows as they stand at any moment,
//! so the seed (history up to `now`) and the simulator (a clock that moves) share one model.

use rand::Rng;
use serde_json::json;

use super::errors::{Failure, FailureContext, Stage, no_caltables, pick_failure};
use super::logs::{Level, LogEvent, Phase};
use super::names::{Layout, field_name, group_id, iso_timestamp, run_id};
use super::rows::{
    CalAppliedRecord, ImageRecord, JobRecord, MsIndexRecord, MsStateRecord, PhotometryRecord,
};
use super::sky::{Sky, gaussian, meridian_ra_deg};
use crate::fits::write::ImageSpec;
use crate::text::format::unix_to_mjd;

/// The knobs of MS generation.
#[derive(Debug, Clone)]
pub struct TimelineParams {
    pub layout: Layout,
    /// Length of one observation (16 subbands).
    pub obs_seconds: f64,
    /// Multiplies every processing duration (1 for history, small for the simulator).
    pub time_scale: f64,
    /// How long a job waits in the queue before a worker takes it.
    pub queue_delay_s: (f64, f64),
    pub fail_probability: f64,
    /// After a retryable failure, how likely the pipeline retries (else it waits as `failed`).
    pub retry_probability: f64,
    pub quicklook_probability: f64,
    /// How often the pipeline filled the beam columns (mostly NULL in production).
    pub beam_fill_probability: f64,
    /// How often the noise and centre columns are filled.
    pub meta_fill_probability: f64,
    pub null_flux_probability: f64,
    pub image_px: usize,
    /// Photometry is measured for sources this close to the field centre.
    pub field_radius_deg: f64,
    pub pointing_dec_deg: f64,
}

/// The set of calibration tables valid for an MS.
#[derive(Debug, Clone, PartialEq)]
pub struct CalSet {
    pub set_name: String,
    /// (table type, path)
    pub tables: Vec<(String, String)>,
}

/// One run of one job.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub job_id: i64,
    pub stage: Stage,
    pub created: f64,
    pub started: f64,
    pub finished: f64,
    pub failure: Option<Failure>,
    pub events: Vec<LogEvent>,
    pub params: String,
    pub artifacts: String,
}

/// An image the imaging stage writes, with the header its FITS file gets.
#[derive(Debug, Clone)]
pub struct PlannedImage {
    pub record: ImageRecord,
    pub spec: ImageSpec,
}

/// A state of the MS at a time: ms_index's (status, stage) and ms_state's state.
#[derive(Debug, Clone, PartialEq)]
struct Transition {
    at: f64,
    status: &'static str,
    stage: &'static str,
    state: &'static str,
    retry_count: i64,
    error: Option<String>,
    job_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct MsTimeline {
    pub group_id: String,
    pub run_id: String,
    pub ms_path: String,
    pub start_unix: f64,
    pub discovered_at: f64,
    pub start_mjd: f64,
    pub end_mjd: f64,
    pub mid_mjd: f64,
    pub ra_deg: f64,
    pub dec_deg: f64,
    pub field_name: String,
    pub attempts: Vec<Attempt>,
    /// Images appear when imaging finishes.
    pub images: Vec<PlannedImage>,
    pub images_at: f64,
    /// Photometry appears when the photometry job finishes.
    pub photometry: Vec<PhotometryRecord>,
    pub photometry_at: f64,
    pub cal_applied: Vec<CalAppliedRecord>,
    transitions: Vec<Transition>,
}

/// The rows of one MS as they stand at a moment.
#[derive(Debug, Clone, Default)]
pub struct MsRows<'a> {
    pub ms_index: Option<MsIndexRecord>,
    pub ms_state: Option<MsStateRecord>,
    pub jobs: Vec<JobRecord>,
    pub images: Vec<&'a PlannedImage>,
    pub photometry: &'a [PhotometryRecord],
    pub cal_applied: Vec<&'a CalAppliedRecord>,
}

fn stage_duration(stage: Stage) -> (f64, f64) {
    match stage {
        Stage::Conversion => (120.0, 280.0),
        Stage::Calibration => (60.0, 200.0),
        Stage::Imaging => (200.0, 560.0),
        Stage::Photometry => (20.0, 90.0),
    }
}

fn running_state(stage: Stage, fraction: f64) -> (&'static str, &'static str, &'static str) {
    // (ms_index status, ms_index stage, ms_state state)
    match stage {
        Stage::Conversion => ("discovered", "conversion", "converting"),
        Stage::Calibration if fraction < 1.0 / 3.0 => {
            ("converted", "calibration_solve", "flagging_rfi")
        }
        Stage::Calibration if fraction < 2.0 / 3.0 => {
            ("converted", "calibration_solve", "solving_cal")
        }
        Stage::Calibration => ("converted", "calibration", "applying_cal"),
        Stage::Imaging | Stage::Photometry => ("converted", "imaging", "imaging"),
    }
}

/// Plans one MS whose first subband starts at `start_unix`. Job ids are taken from `next_job_id`.
pub fn plan_ms(
    params: &TimelineParams,
    start_unix: f64,
    next_job_id: &mut i64,
    calset: Option<&CalSet>,
    sky: &Sky,
    rng: &mut impl Rng,
) -> MsTimeline {
    let mut ms = MsTimeline::observed(params, start_unix, rng);
    let pbcor_path = params.layout.pbcor_image_path(&ms.group_id);
    let scale = params.time_scale;
    let mut t = ms.discovered_at + rng.random_range(10.0..90.0) * scale;
    let mut retries = 0i64;
    'stages: for stage in Stage::ALL {
        let mut previous_failure: Option<String> = None;
        loop {
            let job_id = *next_job_id;
            *next_job_id += 1;
            let created = t;
            let started =
                created + rng.random_range(params.queue_delay_s.0..params.queue_delay_s.1) * scale;
            let (d0, d1) = stage_duration(stage);
            let finished = started + rng.random_range(d0..d1) * scale;
            let ctx = FailureContext {
                ms_path: &ms.ms_path,
                group_id: &ms.group_id,
                mid_mjd: ms.mid_mjd,
                image_path: &pbcor_path,
            };
            let failure = if stage == Stage::Calibration && calset.is_none() {
                Some(no_caltables(&ctx, rng))
            } else if rng.random_bool(params.fail_probability) {
                Some(pick_failure(stage, &ctx, rng))
            } else {
                None
            };
            let details = stage_messages(stage, params, &ms, calset, &pbcor_path, sky, rng);
            let worker = rng.random_range(1..5);
            let window = JobWindow {
                job_id,
                stage,
                created,
                started,
                finished,
            };
            let events = ms.job_events(
                &window,
                worker,
                details,
                failure.as_ref(),
                previous_failure.as_deref(),
                retries,
            );
            ms.push_running(&window, retries);
            ms.attempts.push(Attempt {
                job_id,
                stage,
                created,
                started,
                finished,
                failure: failure.clone(),
                events,
                params: job_params(
                    stage,
                    &JobParamsInput {
                        images_dir: &params.layout.images_dir().display().to_string(),
                        ms_path: &ms.ms_path,
                        group_id: &ms.group_id,
                        image: &pbcor_path,
                        calset: calset.map(|c| c.set_name.as_str()),
                        field_radius_deg: params.field_radius_deg,
                    },
                ),
                artifacts: artifacts(stage, failure.is_some(), params, &ms, calset, &pbcor_path),
            });
            if stage == Stage::Calibration {
                record_calibration(&mut ms, calset, failure.as_ref(), finished, rng);
            }
            let Some(f) = failure else {
                on_success(
                    &mut ms,
                    stage,
                    params,
                    job_id,
                    finished,
                    &pbcor_path,
                    sky,
                    rng,
                );
                t = finished + rng.random_range(1.0..15.0) * scale;
                break;
            };
            retries += 1;
            let retry = !f.no_caltables
                && f.retryable
                && retries < 3
                && rng.random_bool(params.retry_probability);
            ms.push_failed(&window, &f, retries);
            if !retry {
                break 'stages;
            }
            previous_failure = Some(f.exception);
            t = finished + rng.random_range(60.0..300.0) * scale;
        }
    }
    ms
}

/// When one job ran.
struct JobWindow {
    job_id: i64,
    stage: Stage,
    created: f64,
    started: f64,
    finished: f64,
}

impl MsTimeline {
    /// A new observation, discovered shortly after its last subband was written.
    fn observed(params: &TimelineParams, start_unix: f64, rng: &mut impl Rng) -> MsTimeline {
        let gid = group_id(start_unix);
        let end_unix = start_unix + params.obs_seconds;
        let (start_mjd, end_mjd) = (unix_to_mjd(start_unix), unix_to_mjd(end_unix));
        let mid_mjd = (start_mjd + end_mjd) / 2.0;
        let ra_deg = meridian_ra_deg(mid_mjd);
        let dec_deg = params.pointing_dec_deg;
        let discovered_at = end_unix + rng.random_range(2.0..20.0) * params.time_scale;
        MsTimeline {
            run_id: run_id(start_unix),
            ms_path: params.layout.ms_path(&gid),
            group_id: gid,
            start_unix,
            discovered_at,
            start_mjd,
            end_mjd,
            mid_mjd,
            ra_deg,
            dec_deg,
            field_name: field_name(ra_deg, dec_deg),
            attempts: Vec::new(),
            images: Vec::new(),
            images_at: f64::INFINITY,
            photometry: Vec::new(),
            photometry_at: f64::INFINITY,
            cal_applied: Vec::new(),
            transitions: vec![Transition {
                at: discovered_at,
                status: "discovered",
                stage: "discovered",
                state: "pending",
                retry_count: 0,
                error: None,
                job_id: None,
            }],
        }
    }

    fn event(&self, unix: f64, level: Level, stage: Stage, message: String) -> LogEvent {
        LogEvent {
            unix,
            level,
            stage,
            message,
            ms_path: self.ms_path.clone(),
            group_id: self.group_id.clone(),
            run_id: self.run_id.clone(),
            exc_info: None,
            worker: 0,
            job_id: 0,
            phase: Phase::Queued,
        }
    }

    /// The log events of one job: queued (with a warning when it is a retry), started, its
    /// progress messages (cut short by a failure), then completed or failed with a traceback.
    fn job_events(
        &self,
        w: &JobWindow,
        worker: u32,
        details: Vec<String>,
        failure: Option<&Failure>,
        previous_failure: Option<&str>,
        retries: i64,
    ) -> Vec<LogEvent> {
        let job_type = w.stage.job_type();
        let mut events = Vec::new();
        if let Some(previous) = previous_failure {
            let message = format!(
                "Retrying {job_type} (attempt {} of 3) after: {previous}",
                retries + 1
            );
            events.push(self.event(w.created, Level::Warning, w.stage, message));
        }
        let queued = format!("Job {} queued: {job_type} of {}", w.job_id, self.ms_path);
        events.push(self.event(w.created, Level::Info, w.stage, queued));
        let started = format!(
            "Job {} started {job_type} on worker dsa-proc-{worker:02}",
            w.job_id
        );
        events.push(self.event(w.started, Level::Info, w.stage, started));
        let kept = if failure.is_some() { 1 } else { details.len() };
        for (i, message) in details.into_iter().take(kept).enumerate() {
            let at = w.started + (w.finished - w.started) * (i as f64 + 1.0) / (kept as f64 + 1.0);
            events.push(self.event(at, Level::Info, w.stage, message));
        }
        match failure {
            Some(f) => {
                let mut e = self.event(
                    w.finished,
                    Level::Error,
                    w.stage,
                    format!("{job_type} failed: {}", f.exception),
                );
                e.exc_info = Some(f.traceback.clone());
                events.push(e);
            }
            None => {
                let message = format!("{job_type} completed in {:.1} s", w.finished - w.started);
                events.push(self.event(w.finished, Level::Info, w.stage, message));
            }
        }
        // Which part of the run each event is, on which worker: the log files are written
        // from these (a worker logs one task run at a time).
        let n = events.len();
        let queued = usize::from(previous_failure.is_some()) + 1;
        for (i, e) in events.iter_mut().enumerate() {
            e.worker = worker;
            e.job_id = w.job_id;
            e.phase = if i < queued {
                Phase::Queued
            } else if i + 1 == n {
                Phase::Finished
            } else if i == queued {
                Phase::Started
            } else {
                Phase::Progress
            };
        }
        events
    }

    /// The states a running job puts the MS in (calibration goes through three).
    fn push_running(&mut self, w: &JobWindow, retries: i64) {
        let fractions: &[f64] = if w.stage == Stage::Calibration {
            &[0.0, 0.34, 0.67]
        } else {
            &[0.0]
        };
        for &fraction in fractions {
            let (status, stage, state) = running_state(w.stage, fraction);
            self.transitions.push(Transition {
                at: w.started + (w.finished - w.started) * fraction,
                status,
                stage,
                state,
                retry_count: retries,
                error: None,
                job_id: Some(w.job_id),
            });
        }
    }

    /// A failure: skipped (no caltables), `failed` (a retry may help) or `error` (a person must).
    fn push_failed(&mut self, w: &JobWindow, f: &Failure, retries: i64) {
        let (status, stage, state) = if f.no_caltables {
            ("skipped_no_caltables", "calibration", "error")
        } else if !f.retryable || retries >= 3 {
            ("failed", ms_stage_name(w.stage), "error")
        } else {
            ("failed", ms_stage_name(w.stage), "failed")
        };
        self.transitions.push(Transition {
            at: w.finished,
            status,
            stage,
            state,
            retry_count: retries,
            error: Some(f.exception.clone()),
            job_id: Some(w.job_id),
        });
    }
}

fn artifacts(
    stage: Stage,
    failed: bool,
    params: &TimelineParams,
    ms: &MsTimeline,
    calset: Option<&CalSet>,
    pbcor_path: &str,
) -> String {
    let list: Vec<String> = match (failed, stage) {
        (true, _) => Vec::new(),
        (false, Stage::Conversion) => vec![ms.ms_path.clone()],
        (false, Stage::Calibration) => calset
            .map(|c| c.tables.iter().map(|(_, p)| p.clone()).collect())
            .unwrap_or_default(),
        (false, Stage::Imaging) => vec![pbcor_path.to_string()],
        (false, Stage::Photometry) => vec![format!(
            "{}/stage/products/{}.photometry.csv",
            params.layout.root.display(),
            ms.group_id
        )],
    };
    json!(list).to_string()
}

fn ms_stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Conversion => "conversion",
        Stage::Calibration => "calibration",
        Stage::Imaging | Stage::Photometry => "imaging",
    }
}

/// The imaging job's command line, as the pipeline logs it.
pub fn wsclean_command(images_dir: &str, ms_path: &str, gid: &str) -> String {
    format!(
        "wsclean -name {images_dir}/{gid}.img -size 5040 5040 -scale 2.5asec -niter 10000 -mgain 0.8 \
         -auto-threshold 3 -auto-mask 5 -weight briggs 0.5 -pol I -data-column CORRECTED_DATA \
         -j 16 -mem 80 -reorder -parallel-deconvolution 2048 -apply-primary-beam {ms_path}"
    )
}

/// What a job's `params` JSON is made of (the benchmark's generator writes the same).
#[derive(Debug, Clone, Copy)]
pub struct JobParamsInput<'a> {
    pub images_dir: &'a str,
    pub ms_path: &'a str,
    pub group_id: &'a str,
    /// The primary-beam-corrected image photometry reads.
    pub image: &'a str,
    /// The calibration table set's name, when one applies.
    pub calset: Option<&'a str>,
    pub field_radius_deg: f64,
}

/// The `params` JSON of a job of `stage`, as the pipeline writes it.
pub fn job_params(stage: Stage, i: &JobParamsInput<'_>) -> String {
    match stage {
        Stage::Conversion => json!({
            "group_id": i.group_id,
            "input_dir": "/data/incoming",
            "expected_subbands": 16,
            "output_ms": i.ms_path,
            "writer": "parallel-subband",
        }),
        Stage::Calibration => json!({
            "ms_path": i.ms_path,
            "caltable_set": i.calset,
            "refant": "103",
            "flag_rfi": true,
        }),
        Stage::Imaging => json!({
            "ms_path": i.ms_path,
            "backend": "wsclean",
            "imsize": 5040,
            "cell_arcsec": 2.5,
            "niter": 10000,
            "robust": 0.5,
            "pbcor": true,
            "command": wsclean_command(i.images_dir, i.ms_path, i.group_id),
        }),
        Stage::Photometry => json!({
            "image_path": i.image,
            "catalog": "nvss",
            "radius_deg": i.field_radius_deg,
            "min_flux_mjy": 1.0,
        }),
    }
    .to_string()
}

#[allow(clippy::too_many_arguments)]
fn stage_messages(
    stage: Stage,
    params: &TimelineParams,
    ms: &MsTimeline,
    calset: Option<&CalSet>,
    image: &str,
    sky: &Sky,
    rng: &mut impl Rng,
) -> Vec<String> {
    match stage {
        Stage::Conversion => vec![
            format!("Found 16/16 subbands for group {}", ms.group_id),
            format!(
                "Wrote {} ({:.1} GB)",
                ms.ms_path,
                rng.random_range(1.6..2.1)
            ),
        ],
        Stage::Calibration => vec![
            format!(
                "Using caltable set {}",
                calset.map_or("none", |c| c.set_name.as_str())
            ),
            format!(
                "Flagged {:.1}% of visibilities for RFI",
                rng.random_range(2.0..14.0)
            ),
            format!(
                "Applied {} calibration tables",
                calset.map_or(0, |c| c.tables.len())
            ),
        ],
        Stage::Imaging => vec![
            format!(
                "Running {}",
                wsclean_command(
                    &params.layout.images_dir().display().to_string(),
                    &ms.ms_path,
                    &ms.group_id,
                )
            ),
            format!("Wrote {image}"),
        ],
        Stage::Photometry => vec![format!(
            "Forced photometry on {} NVSS sources in {image}",
            sky.in_field(ms.ra_deg, ms.dec_deg, params.field_radius_deg)
                .count()
        )],
    }
}

fn record_calibration(
    ms: &mut MsTimeline,
    calset: Option<&CalSet>,
    failure: Option<&Failure>,
    finished: f64,
    rng: &mut impl Rng,
) {
    let Some(calset) = calset else { return };
    match failure {
        None => {
            for (_, path) in &calset.tables {
                ms.cal_applied.push(CalAppliedRecord {
                    ms_path: ms.ms_path.clone(),
                    caltable_path: path.clone(),
                    applied_at: finished,
                    quality: Some((rng.random_range(0.82..0.99f64) * 1000.0).round() / 1000.0),
                    success: 1,
                    error_message: None,
                });
            }
        }
        Some(f) => {
            if let Some((_, path)) = calset.tables.first() {
                ms.cal_applied.push(CalAppliedRecord {
                    ms_path: ms.ms_path.clone(),
                    caltable_path: path.clone(),
                    applied_at: finished,
                    quality: None,
                    success: 0,
                    error_message: Some(f.exception.clone()),
                });
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn on_success(
    ms: &mut MsTimeline,
    stage: Stage,
    params: &TimelineParams,
    job_id: i64,
    finished: f64,
    pbcor_path: &str,
    sky: &Sky,
    rng: &mut impl Rng,
) {
    match stage {
        Stage::Conversion => ms.transitions.push(Transition {
            at: finished,
            status: "converted",
            stage: "conversion",
            state: "converted",
            retry_count: last_retries(ms),
            error: None,
            job_id: Some(job_id),
        }),
        Stage::Calibration => {}
        Stage::Imaging => {
            ms.images_at = finished;
            let noise = rng.random_range(0.0004..0.0012);
            ms.images.push(plan_image(
                ms,
                params,
                pbcor_path.to_string(),
                "pbcor",
                finished,
                noise,
                rng,
            ));
            if rng.random_bool(params.quicklook_probability) {
                let path = params.layout.quicklook_image_path(&ms.group_id);
                ms.images.push(plan_image(
                    ms,
                    params,
                    path,
                    "5min",
                    finished + 2.0,
                    noise * 1.3,
                    rng,
                ));
            }
        }
        Stage::Photometry => {
            ms.photometry_at = finished;
            ms.photometry = measure(ms, params, pbcor_path, finished, sky, rng);
            ms.transitions.push(Transition {
                at: finished,
                status: "done",
                stage: "imaging",
                state: "done",
                retry_count: last_retries(ms),
                error: None,
                job_id: Some(job_id),
            });
        }
    }
}

fn last_retries(ms: &MsTimeline) -> i64 {
    ms.transitions.last().map_or(0, |t| t.retry_count)
}

fn plan_image(
    ms: &MsTimeline,
    params: &TimelineParams,
    path: String,
    kind: &str,
    created_at: f64,
    noise: f64,
    rng: &mut impl Rng,
) -> PlannedImage {
    let px = params.image_px.max(8);
    // Production pixel scale and beam; the demo's small images are central cutouts.
    let cell_deg = 2.5 / 3600.0;
    let bmaj_deg = rng.random_range(14.0..19.0) / 3600.0;
    let bmin_deg = bmaj_deg * rng.random_range(0.65..0.85);
    let bpa_deg = (rng.random_range(-90.0..90.0f64) * 10.0).round() / 10.0;
    let fill_beam = rng.random_bool(params.beam_fill_probability);
    let fill_meta = rng.random_bool(params.meta_fill_probability);
    let integration = if kind == "5min" {
        300.0
    } else {
        params.obs_seconds
    };
    let record = ImageRecord {
        path,
        ms_path: ms.ms_path.clone(),
        created_at,
        kind: kind.to_string(),
        format: "fits".to_string(),
        beam_major_arcsec: fill_beam.then_some(bmaj_deg * 3600.0),
        beam_minor_arcsec: fill_beam.then_some(bmin_deg * 3600.0),
        beam_pa_deg: fill_beam.then_some(bpa_deg),
        noise_jy: fill_meta.then_some(noise),
        dynamic_range: fill_meta.then_some((rng.random_range(0.2..1.5f64) / noise).round()),
        pbcor: i64::from(kind == "pbcor"),
        field_name: ms.field_name.clone(),
        center_ra_deg: fill_meta.then_some(ms.ra_deg),
        center_dec_deg: fill_meta.then_some(ms.dec_deg),
        imsize_x: px as i64,
        imsize_y: px as i64,
        cellsize_arcsec: cell_deg * 3600.0,
        freq_ghz: 1.405,
        bandwidth_mhz: 187.5,
        integration_sec: integration,
    };
    let spec = ImageSpec {
        naxis1: px,
        naxis2: px,
        object: ms.field_name.clone(),
        date_obs: iso_timestamp(ms.start_unix)
            .trim_end_matches('Z')
            .to_string(),
        ra_deg: ms.ra_deg,
        dec_deg: ms.dec_deg,
        freq_hz: 1.405e9,
        bandwidth_hz: 187.5e6,
        bmaj_deg,
        bmin_deg,
        bpa_deg,
        cell_deg,
        command_line: wsclean_command(
            &params.layout.images_dir().display().to_string(),
            &ms.ms_path,
            &ms.group_id,
        ),
        history: vec![
            "WSClean version 3.4 (2023-10-11)".to_string(),
            format!("dsa110_contimg imaging stage, run {}", ms.run_id),
        ],
        seed: rng.random(),
    };
    PlannedImage { record, spec }
}

fn measure(
    ms: &MsTimeline,
    params: &TimelineParams,
    image_path: &str,
    measured_at: f64,
    sky: &Sky,
    rng: &mut impl Rng,
) -> Vec<PhotometryRecord> {
    let noise = rng.random_range(0.0005..0.0011);
    let scale = 1.0 + 0.03 * gaussian(rng);
    let radius = params.field_radius_deg;
    sky.in_field(ms.ra_deg, ms.dec_deg, radius)
        .map(|(src, sep)| {
            let truth = src.flux_jy(ms.mid_mjd);
            let rms = noise * (1.0 + (sep / radius).powi(2));
            let err = (rms * rms + (0.05 * truth).powi(2)).sqrt();
            let measured = truth + gaussian(rng) * err;
            // Slightly resolved sources: peak below integrated flux, by a fixed amount per source.
            let peak = measured * (0.93 + 0.07 * (src.nvss_flux_mjy * 7.0).fract());
            let snr = peak / rms;
            let edge = sep > 0.85 * radius;
            let (quality_flag, flags) = match (snr < 5.0, edge) {
                (true, _) => ("low_snr", 1),
                (false, true) => ("edge", 2),
                (false, false) => ("good", 0),
            };
            let has_flux = !rng.random_bool(params.null_flux_probability);
            PhotometryRecord {
                source_id: (!rng.random_bool(0.01)).then(|| src.id.clone()),
                image_path: image_path.to_string(),
                ra_deg: src.ra_deg + gaussian(rng) * 0.0003,
                dec_deg: src.dec_deg + gaussian(rng) * 0.0003,
                nvss_flux_mjy: src.nvss_flux_mjy,
                peak_jyb: peak,
                peak_err_jyb: err,
                measured_at,
                snr,
                mjd: ms.mid_mjd,
                flux_jy: has_flux.then_some(measured),
                flux_err_jy: has_flux.then_some(err),
                normalized_flux_jy: has_flux.then_some(measured * scale),
                normalized_flux_err_jy: has_flux.then_some(err * scale),
                mosaic_path: None,
                sep_from_center_deg: sep,
                local_rms: rms,
                rms_jy: noise,
                peak_flux_jy: peak,
                quality_flag: quality_flag.to_string(),
                flags,
            }
        })
        .collect()
}

impl MsTimeline {
    /// Every log event up to `now`, in time order.
    pub fn events_until(&self, now: f64) -> impl Iterator<Item = &LogEvent> {
        self.attempts
            .iter()
            .flat_map(|a| a.events.iter())
            .filter(move |e| e.unix <= now)
    }

    /// The worker running this MS's `stage` job hangs: the job stays `running` for ever and
    /// nothing after it happens (the runbook's "in progress for over 30 minutes").
    /// Returns whether there was such a job to hang.
    pub fn hang(&mut self, stage: Stage) -> bool {
        let Some(k) = self
            .attempts
            .iter()
            .rposition(|a| a.stage == stage && a.failure.is_none())
        else {
            return false;
        };
        self.attempts.truncate(k + 1);
        let attempt = &mut self.attempts[k];
        let started = attempt.started;
        attempt.finished = f64::INFINITY;
        // Its progress stops after the first message.
        let keep = attempt.events.iter().filter(|e| e.unix <= started).count() + 1;
        attempt.events.truncate(keep);
        let stage_time = started;
        self.transitions.retain(|t| t.at <= stage_time);
        if matches!(stage, Stage::Conversion | Stage::Calibration) {
            self.cal_applied.clear();
        }
        if stage != Stage::Photometry {
            self.images.clear();
            self.images_at = f64::INFINITY;
        }
        self.photometry.clear();
        self.photometry_at = f64::INFINITY;
        true
    }

    /// When the last thing about this MS happens.
    pub fn last_change(&self) -> f64 {
        let mut last = self.transitions.last().map_or(self.discovered_at, |t| t.at);
        for a in &self.attempts {
            last = last.max(a.finished);
        }
        for v in [self.images_at, self.photometry_at] {
            if v.is_finite() {
                last = last.max(v);
            }
        }
        last
    }

    /// The rows of this MS as they stand at `now`.
    pub fn at(&self, now: f64) -> MsRows<'_> {
        let mut rows = MsRows::default();
        let past: Vec<&Transition> = self.transitions.iter().filter(|t| t.at <= now).collect();
        let Some(current) = past.last() else {
            return rows;
        };
        let previous = past.iter().rev().skip(1).find(|t| t.state != current.state);
        let images_done = self.images_at <= now;
        let imagename = images_done.then(|| {
            self.images.first().map(|i| {
                i.record
                    .path
                    .trim_end_matches("-image-pbcor.fits")
                    .to_string()
            })
        });
        rows.ms_index = Some(MsIndexRecord {
            path: self.ms_path.clone(),
            start_mjd: self.start_mjd,
            end_mjd: self.end_mjd,
            mid_mjd: self.mid_mjd,
            processed_at: (current.status == "done").then_some(current.at),
            status: current.status.to_string(),
            stage: current.stage.to_string(),
            stage_updated_at: current.at,
            cal_applied: i64::from(
                self.cal_applied
                    .iter()
                    .any(|c| c.success == 1 && c.applied_at <= now),
            ),
            imagename: imagename.flatten(),
            field_name: self.field_name.clone(),
            pointing_ra_deg: self.ra_deg,
            pointing_dec_deg: self.dec_deg,
            ra_deg: self.ra_deg,
            dec_deg: self.dec_deg,
            group_id: self.group_id.clone(),
            created_at: self.discovered_at,
        });
        rows.ms_state = Some(MsStateRecord {
            ms_path: self.ms_path.clone(),
            current_state: current.state.to_string(),
            previous_state: previous.map(|t| t.state.to_string()),
            transition_time: current.at,
            retry_count: current.retry_count,
            error_message: current.error.clone().or_else(|| {
                // A retry keeps the last error visible until it succeeds.
                past.iter()
                    .rev()
                    .find_map(|t| t.error.clone())
                    .filter(|_| current.state != "done")
            }),
            checkpoint_data: json!({
                "group_id": self.group_id,
                "last_job_id": current.job_id,
                "subbands": 16,
                "run_id": self.run_id,
            })
            .to_string(),
            created_at: self.discovered_at,
        });
        rows.jobs = self
            .attempts
            .iter()
            .filter(|a| a.created <= now)
            .map(|a| job_at(a, &self.ms_path, now))
            .collect();
        if images_done {
            rows.images = self.images.iter().collect();
        }
        if self.photometry_at <= now {
            rows.photometry = &self.photometry;
        }
        rows.cal_applied = self
            .cal_applied
            .iter()
            .filter(|c| c.applied_at <= now)
            .collect();
        rows
    }
}

fn job_at(a: &Attempt, ms_path: &str, now: f64) -> JobRecord {
    let (status, started_at, finished_at) = if a.started > now {
        ("pending", None, None)
    } else if a.finished > now {
        ("running", Some(a.started), None)
    } else if a.failure.is_some() {
        ("failed", Some(a.started), Some(a.finished))
    } else {
        ("completed", Some(a.started), Some(a.finished))
    };
    let logs: Vec<String> = a
        .events
        .iter()
        .filter(|e| e.unix <= now)
        .map(LogEvent::job_log_text)
        .collect();
    JobRecord {
        id: a.job_id,
        kind: a.stage.job_type().to_string(),
        status: status.to_string(),
        ms_path: ms_path.to_string(),
        params: a.params.clone(),
        logs: logs.join("\n"),
        artifacts: if finished_at.is_some() {
            a.artifacts.clone()
        } else {
            "[]".to_string()
        },
        created_at: a.created,
        started_at,
        finished_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use std::path::Path;

    const T0: f64 = 1_761_056_599.0;

    fn params(fail_probability: f64, retry_probability: f64) -> TimelineParams {
        TimelineParams {
            layout: Layout::new(Path::new("/d")),
            obs_seconds: 309.0,
            time_scale: 1.0,
            queue_delay_s: (5.0, 60.0),
            fail_probability,
            retry_probability,
            quicklook_probability: 1.0,
            beam_fill_probability: 0.0,
            meta_fill_probability: 0.0,
            null_flux_probability: 0.0,
            image_px: 32,
            field_radius_deg: 1.75,
            pointing_dec_deg: 41.5,
        }
    }

    fn calset() -> CalSet {
        CalSet {
            set_name: "2025-10-21T08:00:00_3C286".into(),
            tables: vec![("BP".into(), "/d/stage/caltables/x_bp.cal".into())],
        }
    }

    fn plan(p: &TimelineParams, cal: Option<&CalSet>, seed: u64) -> MsTimeline {
        let mut next = 1;
        plan_ms(
            p,
            T0,
            &mut next,
            cal,
            &Sky::default(),
            &mut StdRng::seed_from_u64(seed),
        )
    }

    #[test]
    fn a_healthy_ms_goes_from_discovered_to_done_with_its_images() {
        let ms = plan(&params(0.0, 0.0), Some(&calset()), 1);
        assert!(ms.at(ms.discovered_at - 1.0).ms_index.is_none());
        let first = ms.at(ms.discovered_at);
        assert_eq!(first.ms_index.unwrap().status, "discovered");
        assert_eq!(first.ms_state.unwrap().current_state, "pending");

        let conversion = &ms.attempts[0];
        let queued = ms.at(conversion.created);
        assert_eq!(queued.jobs[0].status, "pending");
        let running = ms.at(conversion.started + 1.0);
        assert_eq!(running.jobs[0].status, "running");
        assert_eq!(running.ms_state.unwrap().current_state, "converting");

        let end = ms.at(ms.last_change());
        assert_eq!(end.ms_index.as_ref().unwrap().status, "done");
        assert_eq!(end.ms_index.unwrap().cal_applied, 1);
        assert_eq!(end.ms_state.unwrap().current_state, "done");
        assert_eq!(end.jobs.len(), 4);
        assert!(
            end.jobs
                .iter()
                .all(|j| j.status == "completed" && j.finished_at.is_some())
        );
        assert_eq!(end.images.len(), 2);
        assert!(
            end.images
                .iter()
                .all(|i| i.record.beam_major_arcsec.is_none())
        );
    }

    #[test]
    fn a_failed_job_leaves_its_traceback_and_the_ms_waiting_for_a_retry_or_a_person() {
        let ms = plan(&params(1.0, 0.0), Some(&calset()), 2);
        let end = ms.at(ms.last_change());
        assert_eq!(end.jobs.len(), 1);
        let job = &end.jobs[0];
        assert_eq!(job.status, "failed");
        assert!(job.logs.contains("Traceback (most recent call last):"));
        let state = end.ms_state.unwrap();
        assert!(matches!(state.current_state.as_str(), "failed" | "error"));
        assert_eq!(state.retry_count, 1);
        assert!(state.error_message.is_some());
        assert_eq!(end.ms_index.unwrap().status, "failed");
    }

    #[test]
    fn retries_stop_after_three_failures() {
        let ms = plan(&params(1.0, 1.0), Some(&calset()), 3);
        let end = ms.at(ms.last_change());
        let state = end.ms_state.unwrap();
        assert!(end.jobs.len() <= 3);
        assert!(end.jobs.iter().all(|j| j.status == "failed"));
        assert_eq!(state.current_state, "error");
    }

    #[test]
    fn a_hung_imaging_job_stays_running_and_the_ms_never_finishes() {
        let mut ms = plan(&params(0.0, 0.0), Some(&calset()), 5);
        assert!(ms.hang(Stage::Imaging));
        let later = ms.at(ms.start_unix + 86_400.0);
        let imaging = later.jobs.last().unwrap();
        assert_eq!(
            (imaging.kind.as_str(), imaging.status.as_str()),
            ("imaging", "running")
        );
        assert_eq!(later.ms_state.unwrap().current_state, "imaging");
        assert!(later.images.is_empty() && later.photometry.is_empty());
        assert_eq!(ms.last_change(), f64::INFINITY);
    }

    #[test]
    fn without_valid_caltables_the_ms_is_skipped() {
        let ms = plan(&params(0.0, 0.0), None, 4);
        let end = ms.at(ms.last_change());
        assert_eq!(end.ms_index.unwrap().status, "skipped_no_caltables");
        assert!(
            end.jobs[1]
                .logs
                .contains("No valid calibration tables for MJD")
        );
        assert!(end.images.is_empty());
    }
}
