//! History: days of pipeline operation planned up to `now`, then written to the database,
//! the image directory (FITS files) and the log directory.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use rand::Rng;
use sqlx::SqlitePool;
use sqlx::sqlite::SqliteConnection;

use super::batches::{BatchShape, PlannedBatch, plan_batch};
use super::errors::Stage;
use super::logs::{LogEvent, append_events};
use super::names::{Layout, group_id};
use super::rows::{
    CaltableRecord, DEFAULT_REFANT, Record, SourceRecord, VariabilityRecord, Verb,
    caltable_order_index, insert_all,
};
use super::sky::{Sky, SkyPlan};
use super::stats::{self, Point, SourceInfo};
use super::timeline::{CalSet, MsTimeline, TimelineParams, plan_ms};
use crate::text::format::{mjd_to_unix, unix_to_mjd};

/// What history to make.
#[derive(Debug, Clone)]
pub struct SeedPlan {
    pub timeline: TimelineParams,
    pub sky: SkyPlan,
    pub start: f64,
    pub now: f64,
    /// Seconds between the starts of consecutive observations.
    pub cadence_s: f64,
    /// Observations whose middle falls in this Unix range find no valid calibration.
    pub caltable_gap: Option<(f64, f64)>,
    pub caltable_every_s: f64,
    pub batch_every_s: f64,
    pub batch_size: (usize, usize),
    pub batch_item_fail_probability: f64,
    /// FITS files are written for images created at or after this time.
    pub fits_since: f64,
    /// `{run_id}.log` files are written for MS observed since then, and for every failure.
    pub run_logs_since: f64,
    pub variability_fraction: f64,
    pub sources_fraction: f64,
    /// The imaging job of the MS observed closest to this time hangs (still `running` at `now`).
    pub hung_imaging_near: Option<f64>,
}

/// Everything planned, before it is written.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub sky: Sky,
    pub ms: Vec<MsTimeline>,
    pub caltables: Vec<CaltableRecord>,
    pub batches: Vec<PlannedBatch>,
    pub variability: Vec<VariabilityRecord>,
    pub sources: Vec<SourceRecord>,
    pub next_job_id: i64,
}

/// What writing the history did, for the caller to report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeedReport {
    pub ms: usize,
    pub jobs: usize,
    pub images: usize,
    pub photometry: usize,
    pub fits_written: usize,
    /// FITS files that could not be written (the first reason is kept).
    pub fits_failed: usize,
    pub first_fits_error: Option<String>,
}

struct CalWindow {
    set: CalSet,
    valid: (f64, f64),
    ready_at: f64,
}

const CALIBRATORS: [&str; 4] = ["3C286", "3C48", "0834+555", "1331+305"];

fn plan_caltables(plan: &SeedPlan, rng: &mut impl Rng) -> (Vec<CalWindow>, Vec<CaltableRecord>) {
    let layout = &plan.timeline.layout;
    let mut windows = Vec::new();
    let mut records = Vec::new();
    let mut t = plan.start - plan.caltable_every_s;
    let mut k = 0usize;
    while t <= plan.now {
        let gid = group_id(t);
        let calibrator = CALIBRATORS[k % CALIBRATORS.len()];
        let set_name = format!("{gid}_{calibrator}");
        let mut types = vec!["K", "BP", "GP"];
        if rng.random_bool(0.5) {
            types.push("2G");
        }
        let valid_start = unix_to_mjd(t);
        let valid_end = unix_to_mjd(t + plan.caltable_every_s * 1.1);
        let ready_at = t + 1800.0;
        let source_ms = layout.ms_path(&gid);
        let tables: Vec<(String, String)> = types
            .iter()
            .map(|ty| (ty.to_string(), layout.caltable_path(&gid, ty)))
            .collect();
        let status = if mjd_to_unix(valid_end) >= plan.now {
            "active"
        } else {
            "retired"
        };
        for (ty, path) in &tables {
            records.push(CaltableRecord {
                set_name: set_name.clone(),
                path: path.clone(),
                table_type: ty.clone(),
                order_index: caltable_order_index(ty),
                cal_field: "0".to_string(),
                refant: DEFAULT_REFANT.to_string(),
                valid_start_mjd: valid_start,
                valid_end_mjd: valid_end,
                status: status.to_string(),
                source_ms_path: source_ms.clone(),
                created_at: ready_at,
            });
        }
        windows.push(CalWindow {
            set: CalSet { set_name, tables },
            valid: (valid_start, valid_end),
            ready_at,
        });
        t += plan.caltable_every_s;
        k += 1;
    }
    (windows, records)
}

fn calset_for<'a>(
    windows: &'a [CalWindow],
    plan: &SeedPlan,
    mid_mjd: f64,
    start_unix: f64,
) -> Option<&'a CalSet> {
    let mid_unix = mjd_to_unix(mid_mjd);
    if plan
        .caltable_gap
        .is_some_and(|(a, b)| (a..b).contains(&mid_unix))
    {
        return None;
    }
    windows
        .iter()
        .rev()
        .find(|w| w.ready_at <= start_unix && (w.valid.0..=w.valid.1).contains(&mid_mjd))
        .map(|w| &w.set)
}

/// Plan the whole history (pure: same plan and seed, same history).
pub fn plan_history(plan: &SeedPlan, rng: &mut impl Rng) -> History {
    let sky = Sky::generate(&plan.sky, rng);
    let (windows, caltables) = plan_caltables(plan, rng);
    let mut next_job_id = 1i64;
    let mut ms = Vec::new();
    let mut t = plan.start;
    while t + plan.timeline.obs_seconds < plan.now {
        let mid_mjd = unix_to_mjd(t + plan.timeline.obs_seconds / 2.0);
        let calset = calset_for(&windows, plan, mid_mjd, t);
        let timeline = plan_ms(&plan.timeline, t, &mut next_job_id, calset, &sky, rng);
        if timeline.discovered_at <= plan.now {
            ms.push(timeline);
        }
        // Real groups do not start on a perfect grid.
        t += plan.cadence_s + rng.random_range(-3.0..3.0);
    }
    if let Some(when) = plan.hung_imaging_near {
        let closest = ms.iter_mut().min_by(|a, b| {
            (a.start_unix - when)
                .abs()
                .total_cmp(&(b.start_unix - when).abs())
        });
        if let Some(m) = closest {
            m.hang(Stage::Imaging);
        }
    }
    let batches = plan_batches(plan, &ms, rng);
    let (variability, sources) = summarise_sources(plan, &sky, &ms, rng);
    History {
        sky,
        ms,
        caltables,
        batches,
        variability,
        sources,
        next_job_id,
    }
}

fn plan_batches(plan: &SeedPlan, ms: &[MsTimeline], rng: &mut impl Rng) -> Vec<PlannedBatch> {
    let shape = BatchShape {
        item_seconds: (150.0, 400.0),
        fail_probability: plan.batch_item_fail_probability,
    };
    let mut batches = Vec::new();
    let mut t = plan.start + plan.batch_every_s;
    while t <= plan.now {
        // An operator re-runs a stretch of what finished since the last batch.
        let candidates: Vec<&MsTimeline> = ms
            .iter()
            .filter(|m| m.last_change() <= t && m.last_change() > t - plan.batch_every_s)
            .collect();
        if !candidates.is_empty() {
            let n = rng
                .random_range(plan.batch_size.0..=plan.batch_size.1)
                .min(candidates.len());
            let first = rng.random_range(0..=candidates.len() - n);
            let created = t + rng.random_range(5.0..30.0);
            let id = batches.len() as i64 + 1;
            let layout = &plan.timeline.layout;
            let batch = plan_batch(
                id,
                created,
                &candidates[first..first + n],
                layout,
                shape,
                None,
                rng,
            );
            batches.push(batch);
        }
        t += plan.batch_every_s;
    }
    batches
}

fn summarise_sources(
    plan: &SeedPlan,
    sky: &Sky,
    ms: &[MsTimeline],
    rng: &mut impl Rng,
) -> (Vec<VariabilityRecord>, Vec<SourceRecord>) {
    // Measurements per source, from rows that exist at `now`.
    let mut points: BTreeMap<&str, Vec<Point>> = BTreeMap::new();
    for m in ms {
        for p in m.at(plan.now).photometry {
            if let Some(id) = p.source_id.as_deref() {
                points.entry(id).or_default().push(Point::of(p));
            }
        }
    }
    let mut variability = Vec::new();
    let mut sources = Vec::new();
    for src in &sky.sources {
        let Some(pts) = points.get(src.id.as_str()) else {
            continue;
        };
        let n = pts.len();
        if rng.random_bool(plan.sources_fraction) || src.variation.is_some() {
            sources.push(SourceRecord {
                id: src.id.clone(),
                name: src.id.clone(),
                ra_deg: src.ra_deg,
                dec_deg: src.dec_deg,
                catalog_match: "NVSS".to_string(),
                source_type: if src.variation.is_some() {
                    "variable"
                } else {
                    "point"
                }
                .to_string(),
                first_detected_mjd: pts.iter().map(|p| p.mjd).fold(f64::INFINITY, f64::min),
                last_detected_mjd: pts.iter().map(|p| p.mjd).fold(f64::NEG_INFINITY, f64::max),
                detection_count: n as i64,
            });
        }
        if !(src.variation.is_some() || rng.random_bool(plan.variability_fraction)) {
            continue;
        }
        let info = SourceInfo {
            id: &src.id,
            ra_deg: src.ra_deg,
            dec_deg: src.dec_deg,
            nvss_flux_mjy: src.nvss_flux_mjy,
        };
        variability.extend(stats::variability(info, pts));
    }
    (variability, sources)
}

async fn insert_in_transaction<R: Record>(pool: &SqlitePool, rows: &[R]) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    let conn: &mut SqliteConnection = &mut tx;
    insert_all(conn, rows, Verb::Insert)
        .await
        .with_context(|| format!("cannot insert into {}", R::TABLE))?;
    tx.commit().await?;
    Ok(())
}

/// Write the history's rows as they stand at `now`, one transaction per table.
pub async fn write_rows(
    pool: &SqlitePool,
    history: &History,
    now: f64,
) -> anyhow::Result<SeedReport> {
    let snapshots: Vec<_> = history.ms.iter().map(|m| m.at(now)).collect();
    let ms_index: Vec<_> = snapshots
        .iter()
        .filter_map(|s| s.ms_index.clone())
        .collect();
    let ms_state: Vec<_> = snapshots
        .iter()
        .filter_map(|s| s.ms_state.clone())
        .collect();
    let jobs: Vec<_> = snapshots
        .iter()
        .flat_map(|s| s.jobs.iter().cloned())
        .collect();
    let images: Vec<_> = snapshots
        .iter()
        .flat_map(|s| s.images.iter().map(|i| i.record.clone()))
        .collect();
    let photometry: Vec<_> = snapshots
        .iter()
        .flat_map(|s| s.photometry.iter().cloned())
        .collect();
    let cal_applied: Vec<_> = snapshots
        .iter()
        .flat_map(|s| s.cal_applied.iter().map(|c| (*c).clone()))
        .collect();
    insert_in_transaction(pool, &ms_index).await?;
    insert_in_transaction(pool, &ms_state).await?;
    insert_in_transaction(pool, &jobs).await?;
    insert_in_transaction(pool, &images).await?;
    insert_in_transaction(pool, &photometry).await?;
    insert_in_transaction(pool, &cal_applied).await?;
    insert_in_transaction(pool, &history.caltables).await?;
    let (batches, batch_items): (Vec<_>, Vec<_>) =
        history.batches.iter().map(|b| b.at(now)).unzip();
    let batch_items: Vec<_> = batch_items.into_iter().flatten().collect();
    insert_in_transaction(pool, &batches).await?;
    insert_in_transaction(pool, &batch_items).await?;
    insert_in_transaction(pool, &history.variability).await?;
    insert_in_transaction(pool, &history.sources).await?;
    Ok(SeedReport {
        ms: ms_index.len(),
        jobs: jobs.len(),
        images: images.len(),
        photometry: photometry.len(),
        ..SeedReport::default()
    })
}

/// Write the FITS file of every image created since `since` (and existing at `now`).
/// A file that cannot be written is counted, not fatal: the monitor must cope with missing files.
pub async fn write_fits_files(
    history: &History,
    layout: &Layout,
    since: f64,
    now: f64,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(layout.images_dir())?;
    let jobs: Vec<_> = history
        .ms
        .iter()
        .filter(|m| m.images_at <= now)
        .flat_map(|m| m.images.iter())
        .filter(|i| i.record.created_at >= since)
        .map(|i| (std::path::PathBuf::from(&i.record.path), i.spec.clone()))
        .collect();
    // CFITSIO is blocking; two threads match the machine's cores.
    let halves: Vec<Vec<_>> = {
        let mid = jobs.len() / 2;
        let (a, b) = jobs.split_at(mid);
        vec![a.to_vec(), b.to_vec()]
    };
    let mut handles = Vec::new();
    for part in halves {
        handles.push(tokio::task::spawn_blocking(move || {
            let mut ok = 0usize;
            let mut failed = Vec::new();
            for (path, spec) in &part {
                match crate::fits::casa::write::write_image_product(path, spec) {
                    Ok(()) => ok += 1,
                    Err(e) => failed.push(format!("{}: {e}", path.display())),
                }
            }
            (ok, failed)
        }));
    }
    for h in handles {
        let (ok, failed) = h.await.context("FITS writer thread panicked")?;
        report.fits_written += ok;
        report.fits_failed += failed.len();
        if report.first_fits_error.is_none() {
            report.first_fits_error = failed.into_iter().next();
        }
    }
    Ok(())
}

/// Write the log files for every event up to `now`. `run_logs_since` is kept for the
/// callers: no `{run_id}.log` is written (the pipeline writes none).
pub fn write_logs(
    history: &History,
    logs_dir: &Path,
    _run_logs_since: f64,
    now: f64,
) -> anyhow::Result<()> {
    let mut events: Vec<&LogEvent> = history
        .ms
        .iter()
        .flat_map(|m| m.events_until(now))
        .collect();
    events.sort_by(|a, b| a.unix.total_cmp(&b.unix));
    append_events(logs_dir, events)
        .with_context(|| format!("cannot write logs under {}", logs_dir.display()))
}

/// Make one failed job's text carry terminal control sequences and a CRLF, as real captured
/// subprocess output does, so the UI's sanitiser has something to do.
pub fn inject_terminal_noise(history: &mut History) {
    let Some(attempt) = history
        .ms
        .iter_mut()
        .flat_map(|m| m.attempts.iter_mut())
        .find(|a| a.failure.is_some())
    else {
        return;
    };
    if let Some(started) = attempt.events.get_mut(1) {
        started
            .message
            .push_str("\r\ncasa: \x1b[33mWARN\x1b[0m table lock held by another process, waiting");
    }
    if let Some(last) = attempt.events.last_mut() {
        last.message = format!("\x1b[31m{}\x1b[0m", last.message);
    }
}

/// Create the MS directories of every MS that was converted, so paths in the tables exist.
pub fn create_ms_dirs(history: &History, now: f64) -> std::io::Result<()> {
    for m in &history.ms {
        let converted = m
            .attempts
            .iter()
            .any(|a| a.stage == Stage::Conversion && a.failure.is_none() && a.finished <= now);
        if converted {
            std::fs::create_dir_all(&m.ms_path)?;
        }
    }
    Ok(())
}
