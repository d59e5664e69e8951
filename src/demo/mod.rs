//! The demo pipeline: a database, FITS images and log files that look like the DSA-110
//! pipeline's, a simulator that keeps writing to them, and the small deterministic fixture the
//! tests use.
//!
//! `timeline` is the model (one MS's life, planned ahead, viewed at any time); `seed` plans and
//! writes history with it; `simulate` replays new MS against a moving clock; `fixture` is a
//! small fixed history. The monitor only ever reads what these write.
//!
//! Layout under the demo directory (the pipeline's, rooted there so every path is real):
//! `state/db/pipeline.sqlite3` (WAL), `state/logs/` (`pipeline.log`, `conversion.log`,
//! `calibration.log`, `imaging.log`, `photometry.log`, `error.log`, `job-*.log`),
//! `stage/ms/{group}.ms/` (empty directories), `stage/images/{group}.img-image-pbcor.fits` and
//! `{group}.img.image/` (a CASA image directory), `stage/caltables/` (named in the tables, not created).

pub mod batches;
pub mod errors;
pub mod fixture;
pub mod logs;
pub mod metrics;
pub mod names;
pub mod pg_load;
pub mod pgbouncer;
pub mod postgres;
pub mod queue_feed;
pub mod rows;
pub mod schema;
pub mod seed;
pub mod simulate;
pub mod sky;
pub mod stats;
pub mod timeline;
pub mod upstream;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use rand::SeedableRng;
use rand::rngs::StdRng;

pub use fixture::{build_fixture, build_legacy_fixture};
pub use schema::create_schema;
pub use simulate::{SimulatorConfig, run_simulator, run_simulator_with};

use names::Layout;
use seed::{SeedPlan, SeedReport};
use sky::SkyPlan;
use timeline::TimelineParams;

/// Bump when the demo's content changes, so an old demo directory is rebuilt.
pub const DEMO_VERSION: &str = "1";
/// Marker file in the demo directory holding the version that built it.
const MARKER: &str = ".contimg-demo-version";

/// How big a demo to build.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    pub dir: PathBuf,
    pub days: f64,
    pub ms_per_day: u32,
    pub n_sources: usize,
    pub image_px: usize,
    pub seed: u64,
    /// History ends here (Unix seconds).
    pub now: f64,
    /// FITS files are written for images of the last this-many days (older rows have none).
    pub fits_days: f64,
}

impl DemoOptions {
    /// The standard demo: 3 days at 280 MS a day, ~3000 sources, 96-pixel images.
    pub fn new(dir: &Path, now: f64) -> Self {
        DemoOptions {
            dir: dir.to_path_buf(),
            days: 3.0,
            ms_per_day: 280,
            n_sources: 3000,
            image_px: 96,
            seed: 110,
            now,
            fits_days: 3.0,
        }
    }
}

/// Where a built demo (or fixture) lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPaths {
    pub db: PathBuf,
    pub images_dir: PathBuf,
    pub logs_dir: PathBuf,
    pub ms_dir: PathBuf,
}

impl DemoPaths {
    fn of(layout: &Layout) -> Self {
        DemoPaths {
            db: layout.db(),
            images_dir: layout.images_dir(),
            logs_dir: layout.logs_dir(),
            ms_dir: layout.ms_dir(),
        }
    }

    /// The demo directory these paths were made under.
    pub fn root(&self) -> PathBuf {
        // db is {root}/state/db/pipeline.sqlite3
        self.db
            .ancestors()
            .nth(3)
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

/// The history plan the standard demo uses.
pub fn demo_plan(opts: &DemoOptions) -> SeedPlan {
    let layout = Layout::new(&opts.dir);
    let start = opts.now - opts.days * 86_400.0;
    let dec = 41.5;
    SeedPlan {
        timeline: TimelineParams {
            layout,
            obs_seconds: 309.0,
            time_scale: 1.0,
            queue_delay_s: (5.0, 120.0),
            fail_probability: 0.065,
            retry_probability: 0.6,
            quicklook_probability: 0.4,
            beam_fill_probability: 0.15,
            meta_fill_probability: 0.1,
            null_flux_probability: 0.08,
            image_px: opts.image_px,
            field_radius_deg: 1.75,
            pointing_dec_deg: dec,
        },
        sky: SkyPlan {
            n_sources: opts.n_sources,
            ra_range_deg: (0.0, 360.0),
            dec_centre_deg: dec,
            dec_half_width_deg: 1.75,
            n_variables: (opts.n_sources / 300).max(1),
            mjd_range: (
                crate::text::format::unix_to_mjd(start),
                crate::text::format::unix_to_mjd(opts.now),
            ),
        },
        start,
        now: opts.now,
        cadence_s: 86_400.0 / f64::from(opts.ms_per_day.max(1)),
        caltable_gap: Some((
            start + opts.days * 0.45 * 86_400.0,
            start + opts.days * 0.45 * 86_400.0 + 3600.0,
        )),
        caltable_every_s: 12.0 * 3600.0,
        batch_every_s: 8.0 * 3600.0,
        batch_size: (6, 12),
        batch_item_fail_probability: 0.1,
        fits_since: opts.now - opts.fits_days * 86_400.0,
        run_logs_since: opts.now - 86_400.0,
        variability_fraction: 0.6,
        sources_fraction: 0.1,
        hung_imaging_near: Some(opts.now - 50.0 * 60.0),
    }
}

/// Plan a history and write all of it (database, MS directories, FITS files, logs) under the
/// plan's layout. The database must not exist yet.
pub async fn build_history(
    plan: &SeedPlan,
    seed: u64,
    tweak: impl FnOnce(&mut seed::History),
) -> anyhow::Result<(seed::History, SeedReport)> {
    let layout = &plan.timeline.layout;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut history = seed::plan_history(plan, &mut rng);
    seed::inject_terminal_noise(&mut history);
    tweak(&mut history);
    create_schema(&layout.db()).await?;
    let pool = schema::open_writer(&layout.db(), 1, Duration::from_secs(30)).await?;
    let written = seed::write_rows(&pool, &history, plan.now).await;
    pool.close().await;
    let mut report = written?;
    seed::create_ms_dirs(&history, plan.now).context("cannot create MS directories")?;
    seed::write_fits_files(&history, layout, plan.fits_since, plan.now, &mut report).await?;
    seed::write_logs(&history, &layout.logs_dir(), plan.run_logs_since, plan.now)?;
    Ok((history, report))
}

fn remove_previous(layout: &Layout) -> std::io::Result<()> {
    let db = layout.db();
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", db.display()));
        if path.exists() {
            std::fs::remove_file(path)?;
        }
    }
    for dir in [
        layout.logs_dir(),
        layout.images_dir(),
        layout.ms_dir(),
        layout.caltables_dir(),
    ] {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
    }
    Ok(())
}

/// Build the demo under `opts.dir`, or reuse it when it was built by this `DEMO_VERSION`.
pub async fn ensure_demo(opts: &DemoOptions) -> anyhow::Result<DemoPaths> {
    let layout = Layout::new(&opts.dir);
    let marker = opts.dir.join(MARKER);
    let current = std::fs::read_to_string(&marker).ok();
    if current.as_deref().map(str::trim) == Some(DEMO_VERSION) && layout.db().exists() {
        return Ok(DemoPaths::of(&layout));
    }
    std::fs::create_dir_all(&opts.dir)
        .with_context(|| format!("cannot create {}", opts.dir.display()))?;
    remove_previous(&layout).context("cannot remove the previous demo")?;
    let plan = demo_plan(opts);
    let (_, report) = build_history(&plan, opts.seed, |_| {}).await?;
    upstream::tables::write_demo(&layout.db(), &opts.dir, plan.now).await?;
    if let Some(err) = &report.first_fits_error {
        tracing::warn!(failed = report.fits_failed, first = %err, "some demo FITS files could not be written");
    }
    std::fs::write(&marker, DEMO_VERSION)
        .with_context(|| format!("cannot write {}", marker.display()))?;
    Ok(DemoPaths::of(&layout))
}
