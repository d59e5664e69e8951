//! The demo pipeline and the test fixture, as the monitor's tests and the `demo` command use
//! them.

use std::path::Path;
use std::time::Duration;

use crate::db_support;
use contimg_monitor::demo::schema::{ALERTS_SQL, PIPELINE_TABLES};
use contimg_monitor::demo::{
    DemoOptions, SimulatorConfig, build_fixture, build_legacy_fixture, create_schema, ensure_demo,
    run_simulator_with,
};
use contimg_monitor::pool::PoolRegistry;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

/// 2025-10-21T18:00:00 UTC: fixture times derive from it.
const NOW: f64 = 1_761_069_600.0;

async fn read_only(db: &Path) -> SqlitePool {
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(db).read_only(true))
        .await
        .expect("open the demo database read-only")
}

async fn count(pool: &SqlitePool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql)
}

async fn table_counts(pool: &SqlitePool) -> Vec<(String, i64)> {
    let mut counts = Vec::new();
    for table in PIPELINE_TABLES {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(pool)
            .await
            .unwrap();
        counts.push((table.to_string(), n));
    }
    counts
}

type JobSample = (i64, String, String, Option<String>, Option<f64>);

async fn job_sample(pool: &SqlitePool) -> Vec<JobSample> {
    sqlx::query_as("SELECT id, type, status, logs, finished_at FROM jobs ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

fn relative(rows: Vec<JobSample>, root: &Path) -> Vec<JobSample> {
    let root = root.display().to_string();
    rows.into_iter()
        .map(|(id, t, s, logs, f)| (id, t, s, logs.map(|l| l.replace(&root, "{dir}")), f))
        .collect()
}

#[tokio::test]
async fn a_new_database_has_every_table_the_pipeline_documents() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pipeline.sqlite3");
    create_schema(&db).await.unwrap();
    let pool = read_only(&db).await;
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&pool)
            .await
            .unwrap();
    for table in PIPELINE_TABLES {
        assert!(tables.iter().any(|t| t == table), "missing table {table}");
    }
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
}

#[tokio::test]
async fn the_fixture_has_each_of_the_pipelines_indexes_and_the_queue_none_of_its_own() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let paths = build_fixture(dir.path(), NOW).await.unwrap();
    let mut conn = sqlx::SqliteConnection::connect_with(
        &SqliteConnectOptions::new()
            .filename(&paths.db)
            .read_only(true),
    )
    .await
    .unwrap();
    db_support::assert_pipeline_indexes(&mut conn, "the demo fixture").await;
    conn.close().await.unwrap();

    // alerts.sqlite3: alert_history as monitoring/alerting.py creates it, with its two indexes.
    let mut alerts = sqlx::SqliteConnection::connect_with(
        &SqliteConnectOptions::new()
            .filename(dir.path().join("alerts.sqlite3"))
            .create_if_missing(true),
    )
    .await
    .unwrap();
    sqlx::raw_sql(ALERTS_SQL)
        .execute(&mut alerts)
        .await
        .unwrap();
    let columns: Vec<String> =
        sqlx::query_scalar("SELECT name FROM pragma_table_info('alert_history')")
            .fetch_all(&mut alerts)
            .await
            .unwrap();
    assert_eq!(
        columns,
        [
            "id",
            "rule_name",
            "severity",
            "state",
            "message",
            "fired_at",
            "resolved_at",
            "labels_json",
            "created_at"
        ]
    );
    let mut indexes = db_support::index_columns(&mut alerts, "alert_history").await;
    indexes.sort();
    assert_eq!(indexes, [vec!["fired_at"], vec!["rule_name"]]);
    alerts.close().await.unwrap();

    // The queue's DDL: the pipeline's indexes, not the per-stage one the monitor once added.
    let pg = contimg_monitor::queue::seed::SCHEMA_SQL;
    assert!(!pg.contains("idx_tasks_task_name_created"), "{pg}");
    for index in [
        "idx_tasks_queue_status ON absurd.tasks (queue_name, status)",
        "idx_tasks_status ON absurd.tasks (status)",
        "idx_tasks_created_at ON absurd.tasks (created_at DESC)",
        "idx_tasks_worker_id ON absurd.tasks (worker_id)",
        "idx_tasks_priority ON absurd.tasks (priority DESC, created_at)",
        "idx_tasks_depends_on ON absurd.tasks USING GIN (depends_on)",
        "idx_tasks_workflow_id ON absurd.tasks (workflow_id)",
        "idx_ingestion_groups_state ON absurd.ingestion_groups (state)",
        "idx_ingestion_groups_created ON absurd.ingestion_groups (created_at)",
        "idx_ingestion_subbands_path ON absurd.ingestion_subbands (file_path)",
        "idx_workflows_status ON absurd.workflows (status)",
        "idx_scheduled_tasks_state ON absurd.scheduled_tasks (state)",
        "idx_scheduled_tasks_next_run ON absurd.scheduled_tasks (next_run_at)",
        "idx_scheduled_tasks_queue ON absurd.scheduled_tasks (queue_name)",
    ] {
        assert!(pg.contains(index), "the queue DDL lacks {index}");
    }
}

#[tokio::test]
async fn the_fixture_is_the_same_on_every_build() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let paths_a = build_fixture(a.path(), NOW).await.unwrap();
    let paths_b = build_fixture(b.path(), NOW).await.unwrap();
    let (pa, pb) = (read_only(&paths_a.db).await, read_only(&paths_b.db).await);
    assert_eq!(table_counts(&pa).await, table_counts(&pb).await);
    assert_eq!(
        relative(job_sample(&pa).await, a.path()),
        relative(job_sample(&pb).await, b.path())
    );
    let light_curves = "SELECT source_id, mjd, flux_jy, peak_flux_jy FROM photometry ORDER BY id";
    type Flux = (Option<String>, f64, Option<f64>, f64);
    let (ca, cb): (Vec<Flux>, Vec<Flux>) = (
        sqlx::query_as(light_curves).fetch_all(&pa).await.unwrap(),
        sqlx::query_as(light_curves).fetch_all(&pb).await.unwrap(),
    );
    assert!(!ca.is_empty());
    assert_eq!(ca, cb);
}

#[tokio::test]
async fn the_fixture_holds_every_case_the_ui_must_show() {
    let dir = tempfile::tempdir().unwrap();
    let paths = build_fixture(dir.path(), NOW).await.unwrap();
    let pool = read_only(&paths.db).await;

    let ms = count(&pool, "SELECT COUNT(*) FROM ms_index").await;
    assert!((25..=32).contains(&ms), "{ms} MS");
    let images = count(&pool, "SELECT COUNT(*) FROM images").await;
    assert!((30..=50).contains(&images), "{images} images");

    // Failed jobs say why in their logs, ending with the Python exception.
    let failed: Vec<String> = sqlx::query_scalar("SELECT logs FROM jobs WHERE status = 'failed'")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(failed.len() >= 4, "{} failed jobs", failed.len());
    assert!(
        failed
            .iter()
            .all(|l| l.contains("Traceback (most recent call last):"))
    );
    assert!(failed.iter().any(|l| l.contains("\x1b[31m")));
    assert!(failed.iter().any(|l| l.contains("\r\n")));
    for status in ["pending", "running", "completed", "failed"] {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = ?")
            .bind(status)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(n > 0, "no {status} job");
    }

    // A hung worker: a job in progress for over 30 minutes.
    let hung: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE status = 'running' AND started_at < ? - 1800",
    )
    .bind(NOW)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(hung, 1);

    // Two images have their beam only in the FITS header.
    let null_beam: Vec<String> = sqlx::query_scalar(
        "SELECT path FROM images WHERE beam_major_arcsec IS NULL AND type = 'pbcor'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(null_beam.len(), 2);
    for path in &null_beam {
        let header = contimg_monitor::fits::read_header(Path::new(path)).expect(path);
        let bmaj = header.summary.bmaj_arcsec.expect("BMAJ in the header");
        assert!(bmaj > 0.0, "{path}: beam {bmaj}");
    }
    // Every image file exists, except one missing and one that is not FITS.
    let paths_on_disk: Vec<String> = sqlx::query_scalar("SELECT path FROM images")
        .fetch_all(&pool)
        .await
        .unwrap();
    let missing = paths_on_disk
        .iter()
        .filter(|p| !Path::new(p).exists())
        .count();
    let not_fits = paths_on_disk
        .iter()
        .filter(|p| std::fs::read(p).is_ok_and(|b| !b.starts_with(b"SIMPLE  =")))
        .count();
    assert_eq!((missing, not_fits), (1, 1));

    // A retried MS and a terminal one.
    let retried = count(
        &pool,
        "SELECT COUNT(*) FROM ms_state WHERE current_state = 'failed' AND retry_count = 2 AND error_message IS NOT NULL",
    )
    .await;
    assert!(retried >= 1, "no MS failed twice");
    let skipped = count(
        &pool,
        "SELECT COUNT(*) FROM ms_index WHERE status = 'skipped_no_caltables'",
    )
    .await;
    assert!(skipped >= 1);

    // About twenty sources with about ten points each, one of them variable.
    let sources = count(&pool, "SELECT COUNT(DISTINCT source_id) FROM photometry").await;
    assert!((15..=20).contains(&sources), "{sources} sources");
    let points = count(&pool, "SELECT COUNT(*) FROM photometry").await;
    assert!((100..=400).contains(&points), "{points} photometry rows");
    let variables = count(
        &pool,
        "SELECT COUNT(*) FROM sources WHERE source_type = 'variable'",
    )
    .await;
    assert_eq!(variables, 1);

    // Batches, one item failed with its reason.
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM batch_jobs").await, 2);
    let failed_items = count(
        &pool,
        "SELECT COUNT(*) FROM batch_job_items WHERE status = 'failed' AND error IS NOT NULL",
    )
    .await;
    assert!(failed_items >= 1);
    assert!(count(&pool, "SELECT COUNT(*) FROM calibration_applied").await > 0);
    assert!(count(&pool, "SELECT COUNT(*) FROM caltables").await > 0);

    // The workers' plain-text logs carry the failures' tracebacks after their ERROR records;
    // no `{run_id}.log` and no error.log: the pipeline writes neither.
    let names: Vec<String> = std::fs::read_dir(&paths.logs_dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let workers: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with("absurd-worker-") && n.ends_with(".log"))
        .collect();
    assert!(!workers.is_empty(), "{names:?}");
    let traceback_after_error = workers.iter().any(|n| {
        let text = std::fs::read_to_string(paths.logs_dir.join(n)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        lines
            .windows(2)
            .any(|w| w[0].contains(" - ERROR - ") && w[1] == "Traceback (most recent call last):")
    });
    assert!(traceback_after_error);
    assert!(
        paths.logs_dir.join("pipeline.log").exists(),
        "the JSON format too"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("job-") || n == "error.log"),
        "{names:?}"
    );
}

#[tokio::test]
async fn the_legacy_fixture_has_the_old_eight_column_images_table_with_the_same_rows() {
    let (current, legacy) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let current = read_only(&build_fixture(current.path(), NOW).await.unwrap().db).await;
    let legacy = read_only(&build_legacy_fixture(legacy.path(), NOW).await.unwrap().db).await;
    let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info('images')")
        .fetch_all(&legacy)
        .await
        .unwrap();
    assert_eq!(
        columns,
        [
            "id",
            "path",
            "ms_path",
            "created_at",
            "type",
            "beam_major_arcsec",
            "noise_jy",
            "pbcor"
        ]
    );
    assert_eq!(
        count(&legacy, "SELECT COUNT(*) FROM images").await,
        count(&current, "SELECT COUNT(*) FROM images").await
    );
}

#[tokio::test]
async fn the_demo_seed_has_a_pipelines_volume() {
    let dir = tempfile::tempdir().unwrap();
    let opts = DemoOptions {
        days: 1.0,
        image_px: 64,
        fits_days: 0.25,
        ..DemoOptions::new(dir.path(), NOW)
    };
    let started = std::time::Instant::now();
    let paths = ensure_demo(&opts).await.unwrap();
    eprintln!("demo seed (1 day) built in {:?}", started.elapsed());
    let pool = read_only(&paths.db).await;
    let ms = count(&pool, "SELECT COUNT(*) FROM ms_index").await;
    assert!((260..=290).contains(&ms), "{ms} MS for one day");
    let jobs = count(&pool, "SELECT COUNT(*) FROM jobs").await;
    let failed = count(&pool, "SELECT COUNT(*) FROM jobs WHERE status = 'failed'").await;
    let rate = failed as f64 / jobs as f64;
    assert!(
        (0.05..=0.10).contains(&rate),
        "{failed} of {jobs} jobs failed"
    );
    let photometry = count(&pool, "SELECT COUNT(*) FROM photometry").await;
    assert!(photometry > 3000, "{photometry} photometry rows");
    assert!(
        count(
            &pool,
            "SELECT COUNT(*) FROM ms_state WHERE current_state = 'error'"
        )
        .await
            > 0
    );

    // A second call reuses the demo instead of rebuilding it.
    let mtime = std::fs::metadata(&paths.db).unwrap().modified().unwrap();
    ensure_demo(&opts).await.unwrap();
    assert_eq!(
        std::fs::metadata(&paths.db).unwrap().modified().unwrap(),
        mtime
    );
}

async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_adds_rows_and_saturates_its_pool_in_a_burst() {
    let dir = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let paths = build_fixture(dir.path(), now).await.unwrap();
    let reader = read_only(&paths.db).await;
    let ms_before = count(&reader, "SELECT COUNT(*) FROM ms_index").await;
    let jobs_before = count(&reader, "SELECT COUNT(*) FROM jobs").await;
    let last_job_before = count(&reader, "SELECT MAX(id) FROM jobs").await;
    let batches_before = count(&reader, "SELECT COUNT(*) FROM batch_jobs").await;

    let registry = PoolRegistry::default();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let config = SimulatorConfig {
        tick: Duration::from_millis(100),
        new_ms_every: Duration::from_millis(300),
        time_scale: 0.002,
        burst_every: (Duration::from_millis(500), Duration::from_millis(800)),
        burst_hold: (Duration::from_millis(200), Duration::from_millis(400)),
        image_px: 32,
        batch_every: Duration::from_secs(1),
        ..SimulatorConfig::default()
    };
    let simulator = tokio::spawn(run_simulator_with(
        paths.clone(),
        registry.clone(),
        shutdown,
        config,
    ));

    wait_for("a saturated demo pool", Duration::from_secs(20), || {
        let registry = registry.clone();
        async move {
            registry
                .sample_all(0.0)
                .iter()
                .any(|s| s.source == "demo" && s.waiting > 0 && s.in_use == s.max)
        }
    })
    .await;
    wait_for("new MS and jobs", Duration::from_secs(20), || {
        let reader = reader.clone();
        async move {
            count(&reader, "SELECT COUNT(*) FROM ms_index").await > ms_before + 2
                && count(&reader, "SELECT COUNT(*) FROM jobs").await > jobs_before + 4
        }
    })
    .await;
    wait_for("a completed simulated job", Duration::from_secs(20), || {
        let reader = reader.clone();
        async move {
            let completed: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM jobs WHERE status = 'completed' AND id > ?",
            )
            .bind(last_job_before)
            .fetch_one(&reader)
            .await
            .unwrap();
            completed > 0
        }
    })
    .await;

    wait_for("an operator's batch", Duration::from_secs(20), || {
        let reader = reader.clone();
        async move { count(&reader, "SELECT COUNT(*) FROM batch_jobs").await > batches_before }
    })
    .await;

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(15), simulator)
        .await
        .expect("the simulator stops when told")
        .unwrap()
        .unwrap();
}

/// Not a check: when the demo's generation changes, run with `--ignored --nocapture` to find
/// a `FIXTURE_SEED` under which every special case of the fixture occurs naturally.
#[test]
#[ignore]
fn find_fixture_seeds() {
    use contimg_monitor::demo::{fixture::fixture_plan, seed::plan_history};
    use rand::SeedableRng;
    let plan = fixture_plan(Path::new("/fixture"), NOW);
    for seed in 0..300u64 {
        let history = plan_history(&plan, &mut rand::rngs::StdRng::seed_from_u64(seed));
        let rows: Vec<_> = history.ms.iter().map(|m| m.at(NOW)).collect();
        let jobs: Vec<_> = rows.iter().flat_map(|r| r.jobs.iter()).collect();
        let with_status = |s: &str| jobs.iter().filter(|j| j.status == s).count();
        let images: usize = rows.iter().map(|r| r.images.len()).sum();
        let failed_twice = rows
            .iter()
            .filter_map(|r| r.ms_state.as_ref())
            .filter(|s| s.current_state == "failed" && s.retry_count == 2)
            .count();
        let failed_items = history
            .batches
            .iter()
            .flat_map(|b| b.at(NOW).1)
            .filter(|i| i.status == "failed")
            .count();
        let sources: std::collections::HashSet<_> = rows
            .iter()
            .flat_map(|r| r.photometry.iter().filter_map(|p| p.source_id.clone()))
            .collect();
        if with_status("pending") > 0
            && with_status("running") > 0
            && with_status("failed") >= 4
            && failed_twice > 0
            && failed_items > 0
            && (36..=46).contains(&images)
            && sources.len() >= 18
        {
            eprintln!(
                "seed {seed}: {} jobs ({} failed), {images} images, {} sources",
                jobs.len(),
                with_status("failed"),
                sources.len()
            );
        }
    }
}
