//! The test fixture: a small, fixed history (30 MS, ~110 jobs, ~36 images, 20 sources) with
//! every case the UI must show. Same content on every run for the same `now`; every time is
//! derived from `now`. How tests find the special rows:
//!
//! - failed jobs with a traceback: `jobs.status = 'failed'` (12); one of them has `\x1b[31m` and
//!   a `\r\n` in `logs`; pending and running jobs exist too, one of them an imaging job
//!   hung for 50 minutes (`running`, `started_at` before `now - 1800`);
//! - beam only in the FITS header: the 2 `pbcor` rows with `beam_major_arcsec IS NULL`;
//! - the 3rd `pbcor` image (by id) has no file, the 4th's file is an HTML page, not FITS;
//! - `ms_state.current_state = 'failed' AND retry_count = 2`, plus `error` (terminal) rows;
//!   one MS is `skipped_no_caltables`;
//! - one variable source: `sources.source_type = 'variable'` (its light curve flares);
//! - 2 batches; at least one item `failed` with `error`;
//! - `logs_dir` holds `absurd-worker-{i}.log` (plain text, local time) and `pipeline.log` (JSON).

use std::path::Path;
use std::time::Duration;

use anyhow::Context;

use super::names::Layout;
use super::schema::open_writer;
use super::seed::{History, SeedPlan};
use super::sky::{SkyPlan, meridian_ra_deg};
use super::timeline::TimelineParams;
use super::{DemoPaths, build_history};
use crate::text::format::unix_to_mjd;

/// Chosen so that every special case occurs naturally (see `tests/it/demo_build.rs`).
pub const FIXTURE_SEED: u64 = 119;
const CADENCE_S: f64 = 309.0;
const N_MS: f64 = 30.0;

/// The fixture's image rows that the UI must treat specially, by position among pbcor images.
const NULL_BEAM_IMAGES: [usize; 2] = [0, 1];
const MISSING_FILE_IMAGE: usize = 2;
const NOT_FITS_IMAGE: usize = 3;

pub fn fixture_plan(dir: &Path, now: f64) -> SeedPlan {
    let layout = Layout::new(dir);
    let start = now - (N_MS + 0.5) * CADENCE_S;
    let dec = 41.5;
    let ra0 = meridian_ra_deg(unix_to_mjd(start));
    // The sky turns 360° per sidereal day: sources only where the fixture looked.
    let ra_span = (now - start) / 86_164.1 * 360.0;
    SeedPlan {
        timeline: TimelineParams {
            layout,
            obs_seconds: CADENCE_S,
            time_scale: 1.0,
            queue_delay_s: (10.0, 200.0),
            fail_probability: 0.1,
            retry_probability: 0.7,
            quicklook_probability: 0.65,
            beam_fill_probability: 1.0,
            meta_fill_probability: 0.5,
            null_flux_probability: 0.1,
            image_px: 64,
            // Wide, so each of the few sources is measured ~10 times in 30 observations.
            field_radius_deg: 6.5,
            pointing_dec_deg: dec,
        },
        sky: SkyPlan {
            n_sources: 20,
            ra_range_deg: (ra0, ra0 + ra_span),
            dec_centre_deg: dec,
            dec_half_width_deg: 1.0,
            n_variables: 1,
            mjd_range: (unix_to_mjd(start), unix_to_mjd(now)),
        },
        start,
        now,
        cadence_s: CADENCE_S,
        // One observation finds no valid calibration.
        caltable_gap: Some((start + 8.0 * CADENCE_S, start + 9.0 * CADENCE_S)),
        caltable_every_s: 6.0 * 3600.0,
        batch_every_s: (now - start) / 2.5,
        batch_size: (4, 6),
        batch_item_fail_probability: 0.25,
        fits_since: f64::NEG_INFINITY,
        run_logs_since: f64::INFINITY,
        variability_fraction: 1.0,
        sources_fraction: 0.5,
        hung_imaging_near: Some(now - 50.0 * 60.0),
    }
}

/// The special cases, applied to the planned history before it is written.
fn special_cases(history: &mut History) {
    let pbcor = history
        .ms
        .iter_mut()
        .flat_map(|m| m.images.iter_mut())
        .filter(|i| i.record.kind == "pbcor");
    for (k, image) in pbcor.enumerate() {
        if NULL_BEAM_IMAGES.contains(&k) {
            image.record.beam_major_arcsec = None;
            image.record.beam_minor_arcsec = None;
            image.record.beam_pa_deg = None;
        }
    }
    // Make sure one batch item fails, whatever the dice said.
    let items = history.batches.iter_mut().flat_map(|b| b.items.iter_mut());
    let mut items: Vec<_> = items.collect();
    if items.iter().all(|i| i.error.is_none())
        && let Some(item) = items.first_mut()
    {
        item.error = Some("TimeoutError: imaging exceeded 600 s".to_string());
    }
}

/// Paths of the pbcor images, in planning order.
fn pbcor_paths(history: &History) -> Vec<String> {
    history
        .ms
        .iter()
        .flat_map(|m| m.images.iter())
        .filter(|i| i.record.kind == "pbcor")
        .map(|i| i.record.path.clone())
        .collect()
}

/// Build the fixture under `dir` (which should be empty), with every time derived from `now`.
pub async fn build_fixture(dir: &Path, now: f64) -> anyhow::Result<DemoPaths> {
    let plan = fixture_plan(dir, now);
    let layout = plan.timeline.layout.clone();
    let (history, _) = build_history(&plan, FIXTURE_SEED, special_cases).await?;
    let pbcor = pbcor_paths(&history);
    if let Some(missing) = pbcor.get(MISSING_FILE_IMAGE)
        && Path::new(missing).exists()
    {
        std::fs::remove_file(missing)?;
    }
    if let Some(not_fits) = pbcor.get(NOT_FITS_IMAGE) {
        std::fs::write(
            not_fits,
            "<html><body>502 Bad Gateway: transfer from dsa-storage interrupted</body></html>\n",
        )?;
    }
    Ok(DemoPaths::of(&layout))
}

/// The older 8-column `images` layout, as `migrations/sqlite/legacy_images.sql` has it.
const LEGACY_IMAGES_SQL: &str = include_str!("../../migrations/sqlite/legacy_images.sql");

/// The fixture with the older 8-column `images` table (same rows, fewer columns), for proving
/// the monitor reads both layouts.
pub async fn build_legacy_fixture(dir: &Path, now: f64) -> anyhow::Result<DemoPaths> {
    let paths = build_fixture(dir, now).await?;
    let pool = open_writer(&paths.db, 1, Duration::from_secs(10)).await?;
    let script = format!(
        "BEGIN;\n\
         CREATE TEMP TABLE images_current AS SELECT * FROM main.images;\n\
         {LEGACY_IMAGES_SQL}\n\
         INSERT INTO images (id, path, ms_path, created_at, type, beam_major_arcsec, noise_jy, pbcor) \
         SELECT id, path, ms_path, created_at, type, beam_major_arcsec, noise_jy, pbcor \
         FROM temp.images_current;\n\
         DROP TABLE temp.images_current;\n\
         CREATE INDEX IF NOT EXISTS idx_images_ms_path ON images(ms_path);\n\
         COMMIT;"
    );
    let result = sqlx::raw_sql(sqlx::AssertSqlSafe(script))
        .execute(&pool)
        .await
        .context("cannot convert the fixture's images table to the legacy layout");
    pool.close().await;
    result.map(|_| paths)
}
