//! The benchmark's database generator at the tiny scale: the file it builds is the pipeline's
//! schema with exactly the pipeline's indexes, every tab of the monitor finds real work in it,
//! failures carry their tracebacks, the source statistics agree with the photometry rows, and
//! `ensure` reuses a finished file but never a half-built one.

use std::path::Path;

use crate::db_support;
use contimg_monitor::bench::Scale;
use contimg_monitor::bench::generate::{Built, build, ensure};
use contimg_monitor::db::{Db, DbOptions, SourceAggregate};
use contimg_monitor::demo::schema::PIPELINE_SQL;
use contimg_monitor::query::{Filter, ListQuery};
use contimg_monitor::snapshot::{JobSource, JobStatus};
use contimg_monitor::triage;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Row};

const SCALE: Scale = Scale::TINY;

async fn reader(path: &Path) -> SqliteConnection {
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .expect("read-only connection")
}

async fn scalar(conn: &mut SqliteConnection, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn q(filter: &str) -> ListQuery {
    ListQuery {
        filter: Filter::parse(filter),
        ..ListQuery::default()
    }
}

#[tokio::test]
async fn a_tiny_benchmark_database_tells_the_pipelines_story() {
    let dir = tempfile::tempdir().unwrap();
    let built: Built = ensure(dir.path(), &SCALE).await.unwrap();
    assert!(built.built_in.is_some());
    assert_eq!(built.path, dir.path().join("tiny.sqlite3"));

    let mut conn = reader(&built.path).await;
    // Exactly the pipeline's indexes, no statistics, WAL like production.
    let mut indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut wanted: Vec<String> = PIPELINE_SQL
        .split("CREATE INDEX IF NOT EXISTS ")
        .skip(1)
        .map(|s| s.split_whitespace().next().unwrap().to_string())
        .collect();
    indexes.sort();
    wanted.sort();
    assert_eq!(indexes, wanted);
    // And by columns, each index the pipeline has.
    db_support::assert_pipeline_indexes(&mut conn, "the tiny benchmark database").await;
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'sqlite_stat%'"
        )
        .await,
        0
    );
    let mode: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    assert_eq!(mode, "wal");
    for (table, rows) in [
        ("ms_index", SCALE.ms),
        ("ms_state", SCALE.ms_state),
        ("images", SCALE.images),
        ("photometry", SCALE.photometry),
    ] {
        let n = scalar(&mut conn, &format!("SELECT COUNT(*) FROM {table}")).await;
        assert_eq!(n as u64, rows, "{table}");
    }
    let jobs = scalar(&mut conn, "SELECT COUNT(*) FROM jobs").await as f64;
    assert!((jobs / SCALE.jobs as f64 - 1.0).abs() < 0.05, "{jobs}");
    for table in [
        "caltables",
        "calibration_applied",
        "batch_jobs",
        "batch_job_items",
        "sources",
    ] {
        let n = scalar(&mut conn, &format!("SELECT COUNT(*) FROM {table}")).await;
        assert!(n > 0, "{table} is empty");
    }

    let db = Db::open(&built.path, &DbOptions::default()).await.unwrap();
    // Every list tab has a first page.
    assert!(!db.images(&q("")).await.unwrap().rows.is_empty());
    assert!(!db.images(&q("type:pbcor")).await.unwrap().rows.is_empty());
    let ms = db.ms_list(&q("")).await.unwrap();
    assert!(!ms.rows.is_empty());
    let jobs_page = db.jobs(&q("")).await.unwrap();
    assert!(!jobs_page.rows.is_empty());
    // The newest work is still waiting or running.
    assert!(
        jobs_page
            .rows
            .iter()
            .any(|r| matches!(r.status, JobStatus::Queued | JobStatus::Running))
    );

    // Failed jobs end with a traceback; their error line is its exception.
    let failed = db.jobs(&q("status:failed source:jobs")).await.unwrap();
    assert!(!failed.rows.is_empty());
    for row in &failed.rows {
        assert_eq!(row.key.source, JobSource::Jobs);
        let detail = db.job_detail(&row.key, None).await.unwrap().unwrap();
        let traceback = detail.error_full.expect("a failed job shows its traceback");
        assert!(traceback.starts_with("Traceback (most recent call last):"));
        let exception = traceback.lines().last().unwrap();
        let line = row.error_line.as_deref().unwrap();
        assert!(
            exception.starts_with(line.trim_end_matches('…')),
            "{line} vs {exception}"
        );
    }

    // Triage groups the day's failures into a handful of signatures.
    let failures = db
        .failures_since(built.newest_unix - 86_400.0)
        .await
        .unwrap();
    assert!(failures.len() >= 5, "{}", failures.len());
    let groups = triage::group(&failures, built.newest_unix - 86_400.0);
    assert!((2..=20).contains(&groups.len()), "{groups:#?}");
    assert!(groups.len() < failures.len());

    // The sources aggregate sees every source the photometry names.
    let distinct = scalar(
        &mut conn,
        "SELECT COUNT(DISTINCT source_id) FROM photometry WHERE source_id IS NOT NULL",
    )
    .await;
    assert!(distinct as f64 > 0.9 * SCALE.sources as f64, "{distinct}");
    let mut agg = SourceAggregate::new();
    for _ in 0..100 {
        db.refresh_sources(&mut agg).await.unwrap();
        if agg.progress().is_complete() {
            break;
        }
    }
    assert_eq!(agg.len() as i64, distinct);
    let sources = agg.page(&q("")).unwrap();
    assert!(!sources.rows.is_empty());

    // Details have content: an MS with its state, images, jobs and calibration; a source
    // with its light curve.
    let done: String = sqlx::query_scalar(
        "SELECT path FROM ms_index WHERE status = 'done' ORDER BY mid_mjd DESC LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let detail = db.ms_detail(&done).await.unwrap();
    assert!(detail.row.is_some() && detail.state.is_some());
    assert!(detail.images.len() >= 6);
    assert!(detail.jobs.len() >= 4);
    assert!(detail.calibration.len() >= 3);
    let source = &sources.rows[0].id;
    assert!(!db.source_detail(source).await.unwrap().points.is_empty());

    // variability_stats agrees with the photometry it summarises (up to its last update).
    let stats = sqlx::query(
        "SELECT source_id, n_obs, mean_flux_mjy, last_measured_at FROM variability_stats \
         ORDER BY source_id LIMIT 200",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(!stats.is_empty());
    for s in stats {
        let id: String = s.get(0);
        let row = sqlx::query(
            "SELECT COUNT(*), AVG(COALESCE(flux_jy, peak_flux_jy)) * 1000.0 FROM photometry \
             WHERE source_id = ? AND measured_at <= ?",
        )
        .bind(&id)
        .bind(s.get::<f64, _>(3))
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(row.get::<i64, _>(0), s.get::<i64, _>(1), "{id}");
        let (ours, theirs) = (row.get::<f64, _>(1), s.get::<f64, _>(2));
        assert!(
            (ours - theirs).abs() <= 1e-9 * theirs.abs().max(1.0),
            "{id}: {ours} vs {theirs}"
        );
    }
    drop(db);
    drop(conn);

    // The same (scale, now) builds the same file.
    let twin = dir.path().join("twin.sqlite3");
    build(&twin, &SCALE, built.newest_unix).await.unwrap();
    assert!(std::fs::read(&twin).unwrap() == std::fs::read(&built.path).unwrap());

    // A second call reuses the file; without the marker it is rebuilt.
    let modified = std::fs::metadata(&built.path).unwrap().modified().unwrap();
    let again = ensure(dir.path(), &SCALE).await.unwrap();
    assert_eq!(again.built_in, None);
    assert_eq!(again.newest_unix, built.newest_unix);
    assert_eq!(
        std::fs::metadata(&built.path).unwrap().modified().unwrap(),
        modified
    );
    std::fs::remove_file(dir.path().join("tiny.sqlite3.version")).unwrap();
    let rebuilt = ensure(dir.path(), &SCALE).await.unwrap();
    assert!(rebuilt.built_in.is_some());
    assert!(!dir.path().join("tiny.sqlite3.building").exists());
}
