//! The simulated pipeline: new observations keep arriving and move through the stages, jobs
//! run and sometimes fail, images and photometry appear, logs grow. It writes through its own
//! measured pool, and now and then a burst of work holds every connection so the Pool tab can
//! show saturation.

use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{Connection, Sqlite, SqliteConnection};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::DemoPaths;
use super::batches::{BatchShape, PlannedBatch, plan_batch};
use super::logs::append_events;
use super::names::{Layout, group_id};
use super::rows::PhotometryRecord;
use super::rows::{Verb, insert_all};
use super::schema::open_writer;
use super::sky::{Sky, SkySource, Variation};
use super::stats::{Point, SourceInfo, variability};
use super::timeline::{CalSet, MsTimeline, TimelineParams, plan_ms};
use crate::pool::{InstrumentedPool, PoolRegistry};

/// How fast and how hard the simulator works. The defaults suit a live demo; tests shorten
/// every interval.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// How often the clock moves and rows are written.
    pub tick: Duration,
    pub new_ms_every: Duration,
    /// Multiplies the pipeline's real stage durations (0.03: a 300 s stage takes 9 s).
    pub time_scale: f64,
    pub fail_probability: f64,
    /// A burst starts after a pause drawn from this range.
    pub burst_every: (Duration, Duration),
    pub burst_tasks: (usize, usize),
    /// Each burst task holds its connection this long.
    pub burst_hold: (Duration, Duration),
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    pub image_px: usize,
    /// How often an operator starts a batch over recent MS.
    pub batch_every: Duration,
    pub seed: u64,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            tick: Duration::from_secs(1),
            new_ms_every: Duration::from_secs(5),
            time_scale: 0.03,
            fail_probability: 0.06,
            burst_every: (Duration::from_secs(45), Duration::from_secs(90)),
            burst_tasks: (8, 12),
            burst_hold: (Duration::from_secs(1), Duration::from_secs(4)),
            max_connections: 4,
            acquire_timeout: Duration::from_secs(10),
            image_px: 96,
            batch_every: Duration::from_secs(120),
            seed: 110,
        }
    }
}

/// Run the simulated pipeline with the default pace until `shutdown` becomes true.
pub async fn run_simulator(
    paths: DemoPaths,
    registry: PoolRegistry,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    run_simulator_with(paths, registry, shutdown, SimulatorConfig::default()).await
}

fn wall_clock() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn random_duration(rng: &mut impl Rng, (lo, hi): (Duration, Duration)) -> Duration {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..hi)
    }
}

/// An MS being simulated and what of it is already in the database.
struct Live {
    ms: MsTimeline,
    images_written: bool,
    photometry_written: bool,
    cal_applied_written: usize,
    logged_until: f64,
}

impl Live {
    fn new(ms: MsTimeline) -> Self {
        Live {
            ms,
            images_written: false,
            photometry_written: false,
            cal_applied_written: 0,
            logged_until: f64::NEG_INFINITY,
        }
    }

    /// Nothing about it will change any more and all of it is written.
    fn finished(&self, now: f64) -> bool {
        self.ms.last_change() <= now && (self.images_written || self.ms.images_at > now)
    }
}

/// Finished MS kept for operators' batches to re-run.
const RECENT_MS: usize = 24;

/// What the simulated pipeline knows between ticks.
struct Simulator {
    config: SimulatorConfig,
    params: TimelineParams,
    sky: Sky,
    calset: Option<CalSet>,
    next_job_id: i64,
    next_batch_id: i64,
    next_item_id: i64,
    last_group: String,
    live: Vec<Live>,
    recent: VecDeque<MsTimeline>,
    batches: Vec<PlannedBatch>,
    rng: StdRng,
}

impl Simulator {
    /// Picks up where the database stands: the newest group, the next free ids, the sky the
    /// pipeline has measured and its newest calibration tables.
    async fn resume(
        pool: &InstrumentedPool<Sqlite>,
        layout: &Layout,
        config: SimulatorConfig,
    ) -> anyhow::Result<Self> {
        let mut conn = pool.acquire().await.context("demo writer pool")?;
        let sky = load_sky(&mut conn).await?;
        let calset = load_calset(&mut conn).await?;
        let next_id = |table: &'static str| -> String {
            format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
        };
        let mut ids = Vec::new();
        for table in ["jobs", "batch_jobs", "batch_job_items"] {
            let id: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(next_id(table)))
                .fetch_one(&mut *conn)
                .await?;
            ids.push(id);
        }
        let last_group: Option<String> = sqlx::query_scalar("SELECT MAX(group_id) FROM ms_index")
            .fetch_one(&mut *conn)
            .await?;
        let params = TimelineParams {
            layout: layout.clone(),
            obs_seconds: 309.0,
            time_scale: config.time_scale,
            queue_delay_s: (5.0, 120.0),
            fail_probability: config.fail_probability,
            retry_probability: 0.6,
            quicklook_probability: 0.4,
            beam_fill_probability: 0.15,
            meta_fill_probability: 0.1,
            null_flux_probability: 0.08,
            image_px: config.image_px,
            field_radius_deg: 1.75,
            pointing_dec_deg: 41.5,
        };
        let rng = StdRng::seed_from_u64(config.seed ^ wall_clock().to_bits());
        Ok(Simulator {
            config,
            params,
            sky,
            calset,
            next_job_id: ids[0],
            next_batch_id: ids[1],
            next_item_id: ids[2],
            last_group: last_group.unwrap_or_default(),
            live: Vec::new(),
            recent: VecDeque::new(),
            batches: Vec::new(),
            rng,
        })
    }

    /// A new observation has just ended.
    fn observe(&mut self, now: f64) {
        // Group ids must be new even at a pace faster than real observations.
        let mut start_unix = (now - self.params.obs_seconds).floor();
        while group_id(start_unix) <= self.last_group {
            start_unix += 1.0;
        }
        self.last_group = group_id(start_unix);
        let ms = plan_ms(
            &self.params,
            start_unix,
            &mut self.next_job_id,
            self.calset.as_ref(),
            &self.sky,
            &mut self.rng,
        );
        self.live.push(Live::new(ms));
    }

    /// An operator re-runs a few recently finished MS.
    fn start_batch(&mut self, now: f64) {
        if self.recent.len() < 3 {
            return;
        }
        let n = self.rng.random_range(3..=6).min(self.recent.len());
        let chosen: Vec<&MsTimeline> = self.recent.iter().rev().take(n).collect();
        let scale = self.config.time_scale;
        let shape = BatchShape {
            item_seconds: (150.0 * scale, 400.0 * scale),
            fail_probability: 0.15,
        };
        let batch = plan_batch(
            self.next_batch_id,
            now,
            &chosen,
            &self.params.layout,
            shape,
            Some(&mut self.next_item_id),
            &mut self.rng,
        );
        self.next_batch_id += 1;
        self.batches.push(batch);
    }

    /// Forget what is finished and written.
    fn retire(&mut self, now: f64) {
        let (finished, live): (Vec<Live>, Vec<Live>) =
            self.live.drain(..).partition(|l| l.finished(now));
        self.live = live;
        for l in finished {
            if self.recent.len() == RECENT_MS {
                self.recent.pop_front();
            }
            self.recent.push_back(l.ms);
        }
        self.batches.retain(|b| b.finished_at() > now);
    }
}

/// Run the simulated pipeline with `config` until `shutdown` becomes true.
pub async fn run_simulator_with(
    paths: DemoPaths,
    registry: PoolRegistry,
    mut shutdown: watch::Receiver<bool>,
    config: SimulatorConfig,
) -> anyhow::Result<()> {
    let pool = open_writer(&paths.db, config.max_connections, config.acquire_timeout).await?;
    let pool = InstrumentedPool::new("demo", "pipeline-writer", pool);
    registry.register(Arc::new(pool.clone()));
    let layout = Layout::new(&paths.root());
    let mut sim = Simulator::resume(&pool, &layout, config.clone()).await?;

    let mut bursts: JoinSet<()> = JoinSet::new();
    let start = tokio::time::Instant::now();
    let (mut next_ms, mut next_batch) = (start, start + config.batch_every);
    let mut next_burst = start + random_duration(&mut sim.rng, config.burst_every);
    let mut ticker = tokio::time::interval(config.tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The pipeline's AlertManager fires and resolves now and then (alerts.sqlite3).
    let mut next_alert = tokio::time::Instant::now() + Duration::from_secs(240);
    loop {
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
                continue;
            }
            _ = ticker.tick() => {}
        }
        let tick_at = tokio::time::Instant::now();
        let now = wall_clock();
        while bursts.try_join_next().is_some() {}
        if tick_at >= next_burst {
            start_burst(&pool, &config, &mut sim.rng, &mut bursts);
            next_burst = tick_at + random_duration(&mut sim.rng, config.burst_every);
        }
        if tick_at >= next_ms {
            sim.observe(now);
            next_ms = tick_at + config.new_ms_every;
        }
        if tick_at >= next_batch {
            sim.start_batch(now);
            next_batch = tick_at + config.batch_every;
        }
        if tick_at >= next_alert {
            if let Err(e) = super::upstream::tables::toggle_demo_alert(&paths.db, now).await {
                tracing::warn!(error = %e, "demo alert write failed");
            }
            next_alert = tick_at + Duration::from_secs(300);
        }
        if let Err(e) = write_tick(&pool, &mut sim.live, &sim.batches, now).await {
            pool.record_error();
            tracing::warn!(error = %e, "demo simulator write failed; retrying next tick");
            continue;
        }
        write_side_files(&layout, &mut sim.live, now).await;
        sim.retire(now);
    }
    bursts.shutdown().await;
    pool.inner().close().await;
    Ok(())
}

fn start_burst(
    pool: &InstrumentedPool<Sqlite>,
    config: &SimulatorConfig,
    rng: &mut impl Rng,
    bursts: &mut JoinSet<()>,
) {
    let (lo, hi) = config.burst_tasks;
    let n = if hi > lo {
        rng.random_range(lo..=hi)
    } else {
        lo
    };
    tracing::debug!(tasks = n, "demo simulator: burst");
    for _ in 0..n {
        let pool = pool.clone();
        let hold = random_duration(rng, config.burst_hold);
        bursts.spawn(async move {
            // A heavy batch step: it keeps its connection while it works.
            let Ok(mut conn) = pool.acquire().await else {
                return;
            };
            if sqlx::query("SELECT COUNT(*) FROM jobs WHERE status = 'running'")
                .execute(&mut *conn)
                .await
                .is_err()
            {
                pool.record_error();
            }
            tokio::time::sleep(hold).await;
        });
    }
}

/// One short write transaction with every live MS's rows as they stand at `now`.
async fn write_tick(
    pool: &InstrumentedPool<Sqlite>,
    live: &mut [Live],
    batches: &[PlannedBatch],
    now: f64,
) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    let mut tx = Connection::begin(&mut *conn).await?;
    let db: &mut SqliteConnection = &mut tx;
    let mut written: Vec<(usize, bool, bool, usize)> = Vec::new();
    for (k, l) in live.iter().enumerate() {
        let rows = l.ms.at(now);
        let (Some(ms_index), Some(ms_state)) = (rows.ms_index, rows.ms_state) else {
            continue;
        };
        insert_all(db, &[ms_index], Verb::Replace).await?;
        insert_all(db, &[ms_state], Verb::Replace).await?;
        insert_all(db, &rows.jobs, Verb::Replace).await?;
        let new_images = !l.images_written && !rows.images.is_empty();
        if new_images {
            let images: Vec<_> = rows.images.iter().map(|i| i.record.clone()).collect();
            insert_all(db, &images, Verb::Ignore).await?;
        }
        let new_photometry = !l.photometry_written && !rows.photometry.is_empty();
        if new_photometry {
            insert_all(db, rows.photometry, Verb::Insert).await?;
            update_variability(db, rows.photometry).await?;
        }
        let cal: Vec<_> = rows
            .cal_applied
            .iter()
            .skip(l.cal_applied_written)
            .map(|c| (*c).clone())
            .collect();
        insert_all(db, &cal, Verb::Insert).await?;
        written.push((k, new_images, new_photometry, rows.cal_applied.len()));
    }
    for batch in batches {
        let (record, items) = batch.at(now);
        insert_all(db, &[record], Verb::Replace).await?;
        insert_all(db, &items, Verb::Replace).await?;
    }
    tx.commit().await?;
    for (k, images, photometry, cal) in written {
        let l = &mut live[k];
        l.images_written |= images;
        l.photometry_written |= photometry;
        l.cal_applied_written = cal;
    }
    Ok(())
}

/// Recompute `variability_stats` of the sources just measured, from all their photometry.
async fn update_variability(
    db: &mut SqliteConnection,
    measured: &[PhotometryRecord],
) -> sqlx::Result<()> {
    let mut records = Vec::new();
    for p in measured {
        let Some(id) = p.source_id.as_deref() else {
            continue;
        };
        let points: Vec<(f64, f64, f64, f64)> = sqlx::query_as(
            "SELECT COALESCE(flux_jy, peak_flux_jy) * 1000.0, \
                    MAX(COALESCE(flux_err_jy, peak_err_jyb, 0.001) * 1000.0, 1e-6), mjd, measured_at \
             FROM photometry WHERE source_id = ? \
               AND COALESCE(flux_jy, peak_flux_jy) IS NOT NULL \
               AND mjd IS NOT NULL AND measured_at IS NOT NULL",
        )
        .bind(id)
        .fetch_all(&mut *db)
        .await?;
        let points: Vec<Point> = points
            .into_iter()
            .map(|(flux_mjy, err_mjy, mjd, measured_at)| Point {
                flux_mjy,
                err_mjy,
                mjd,
                measured_at,
            })
            .collect();
        let info = SourceInfo {
            id,
            ra_deg: p.ra_deg,
            dec_deg: p.dec_deg,
            nvss_flux_mjy: p.nvss_flux_mjy,
        };
        records.extend(variability(info, &points));
    }
    insert_all(db, &records, Verb::Replace).await
}

/// FITS files for images now in the database, and log lines up to `now`.
async fn write_side_files(layout: &Layout, live: &mut [Live], now: f64) {
    let mut fits: Vec<(PathBuf, crate::fits::write::ImageSpec)> = Vec::new();
    let mut events = Vec::new();
    for l in live.iter_mut() {
        if l.images_written && l.ms.images_at > l.logged_until && l.ms.images_at <= now {
            fits.extend(
                l.ms.images
                    .iter()
                    .map(|i| (PathBuf::from(&i.record.path), i.spec.clone())),
            );
        }
        let since = l.logged_until;
        events.extend(l.ms.events_until(now).filter(|e| e.unix > since).cloned());
        l.logged_until = now;
    }
    if !fits.is_empty() {
        let images_dir = layout.images_dir();
        let result = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&images_dir).map_err(|e| e.to_string())?;
            for (path, spec) in &fits {
                crate::fits::casa::write::write_image_product(path, spec)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
            Ok::<(), String>(())
        })
        .await;
        if let Ok(Err(e)) | Err(e) = result.map_err(|e| e.to_string()) {
            tracing::warn!(error = %e, "demo simulator could not write a FITS file");
        }
    }
    events.sort_by(|a, b| a.unix.total_cmp(&b.unix));
    if let Err(e) = append_events(&layout.logs_dir(), &events) {
        tracing::warn!(error = %e, "demo simulator could not append to the logs");
    }
}

/// The sources the pipeline has measured, as the sky to keep measuring.
async fn load_sky(conn: &mut SqliteConnection) -> anyhow::Result<Sky> {
    let rows: Vec<(String, f64, f64, f64)> = sqlx::query_as(
        "SELECT source_id, AVG(ra_deg), AVG(dec_deg), MAX(nvss_flux_mjy) FROM photometry \
         WHERE source_id IS NOT NULL AND nvss_flux_mjy IS NOT NULL GROUP BY source_id LIMIT 20000",
    )
    .fetch_all(&mut *conn)
    .await?;
    let variables: HashSet<String> =
        sqlx::query_scalar("SELECT id FROM sources WHERE source_type = 'variable'")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let mut sources: Vec<SkySource> = rows
        .into_iter()
        .map(|(id, ra_deg, dec_deg, nvss_flux_mjy)| SkySource {
            variation: variables.contains(&id).then_some(Variation::Periodic {
                amplitude: 0.6,
                period_days: 0.01,
                phase: 0.0,
            }),
            id,
            ra_deg,
            dec_deg,
            nvss_flux_mjy,
        })
        .collect();
    sources.sort_by(|a, b| a.ra_deg.total_cmp(&b.ra_deg));
    Ok(Sky { sources })
}

/// The newest calibration tables: the simulator calibrates every new MS with them.
async fn load_calset(conn: &mut SqliteConnection) -> anyhow::Result<Option<CalSet>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT set_name, table_type, path FROM caltables \
         WHERE set_name = (SELECT set_name FROM caltables ORDER BY created_at DESC LIMIT 1)",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.first().map(|(set_name, _, _)| CalSet {
        set_name: set_name.clone(),
        tables: rows
            .iter()
            .map(|(_, ty, path)| (ty.clone(), path.clone()))
            .collect(),
    }))
}
