//! Test fixtures: a real pipeline database in a temporary directory, built from the
//! migration, with a separate writable connection playing the pipeline.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use contimg_monitor::db::{Db, DbOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

pub const SCHEMA: &str = include_str!("../../../migrations/sqlite/0001_pipeline.sql");
pub const LEGACY_IMAGES: &str = include_str!("../../../migrations/sqlite/legacy_images.sql");

/// Not the pipeline's layout (its `images.created_at` and `type` are NOT NULL): an `images`
/// table that lets them be NULL, with the pipeline's indexes, for tests that the monitor pages
/// and filters a hand-edited or foreign database holding NULLs there without breaking.
pub const IMAGES_ALLOWING_NULLS: &str = "DROP TABLE images;\
     CREATE TABLE images (id INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL UNIQUE, \
         ms_path TEXT, created_at REAL, type TEXT, noise_jy REAL);\
     CREATE INDEX idx_images_ms_path ON images(ms_path);\
     CREATE INDEX idx_images_type ON images(type);\
     CREATE INDEX idx_images_created_at ON images(created_at);";

/// The pipeline's side: a temp dir, the database path and a writer connection (WAL mode,
/// as in production).
pub struct Pipeline {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub writer: SqlitePool,
}

impl Pipeline {
    pub async fn empty_file() -> Pipeline {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pipeline.sqlite3");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // Unenforced, as on the pipeline's own connections.
                    .foreign_keys(false),
            )
            .await
            .expect("writer");
        Pipeline { dir, path, writer }
    }

    /// The full layout of `0001_pipeline.sql`, no rows.
    pub async fn new() -> Pipeline {
        let p = Pipeline::empty_file().await;
        p.exec(SCHEMA).await;
        p
    }

    pub async fn exec(&self, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&self.writer)
            .await
            .unwrap_or_else(|e| panic!("fixture SQL failed: {e}\n{sql}"));
    }

    pub async fn open(&self) -> Db {
        Db::open(&self.path, &DbOptions::default())
            .await
            .expect("open read-only")
    }

    pub fn log_dir(&self) -> PathBuf {
        let dir = self.dir.path().join("logs");
        std::fs::create_dir_all(&dir).expect("log dir");
        dir
    }
}

pub fn ms_path(stamp: &str) -> String {
    format!("/stage/dsa110-contimg/ms/{stamp}.ms")
}

/// `n` images, one per MS, created one minute apart from `t0`, ids 1..=n.
pub fn images_sql(n: usize, t0: f64) -> String {
    (1..=n)
        .map(|i| {
            let stamp = format!("2025-10-21T14:{:02}:00", i % 60);
            let kind = if i % 2 == 0 { "pbcor" } else { "5min" };
            format!(
                "INSERT INTO images (id, path, ms_path, created_at, type, noise_jy) VALUES \
                 ({i}, '/stage/dsa110-contimg/images/{stamp}-{i}.img-image.fits', '{}', {}, '{kind}', 0.001);",
                ms_path(&stamp),
                t0 + 60.0 * i as f64
            )
        })
        .collect()
}

pub fn file_fingerprint(path: &Path) -> (Vec<u8>, std::time::SystemTime) {
    let bytes = std::fs::read(path).expect("read db");
    let mtime = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .expect("mtime");
    (bytes, mtime)
}

/// The pipeline's indexes on the tables the monitor reads, by (table, columns), a `-`
/// suffix for a descending column: upstream-facts.md §2 (its unified schema, the two
/// products.py adds, the two its state machine creates at run time, mosaic/schema.py's) and
/// those on the other §1 tables the monitor will read.
pub const PIPELINE_INDEXES: &[(&str, &[&str])] = &[
    ("ms_index", &["mid_mjd"]),
    ("ms_index", &["status"]),
    ("ms_index", &["stage"]),
    ("ms_index", &["group_id"]),
    ("ms_index", &["stage", "path"]),
    ("images", &["ms_path"]),
    ("images", &["type"]),
    ("images", &["created_at"]),
    ("photometry", &["image_path"]),
    ("photometry", &["source_id"]),
    ("photometry", &["ra_deg", "dec_deg"]),
    ("photometry", &["mjd"]),
    ("photometry", &["source_id", "mjd"]),
    ("sources", &["ra_deg", "dec_deg"]),
    ("sources", &["catalog_match"]),
    ("caltables", &["set_name"]),
    ("caltables", &["valid_start_mjd", "valid_end_mjd"]),
    ("caltables", &["status"]),
    ("caltables", &["source_ms_path"]),
    ("calibration_applied", &["ms_path"]),
    ("calibration_qa", &["ms_path"]),
    ("calibration_qa", &["created_at-"]),
    ("jobs", &["status"]),
    ("jobs", &["created_at-"]),
    ("jobs", &["ms_path"]),
    ("batch_jobs", &["status"]),
    ("batch_job_items", &["batch_id"]),
    ("batch_job_items", &["ms_path"]),
    ("ms_state", &["current_state"]),
    ("ms_state", &["transition_time"]),
    ("variability_stats", &["chi2_nu"]),
    ("variability_stats", &["sigma_deviation"]),
    ("variability_stats", &["last_mjd"]),
    ("variability_stats", &["eta_metric"]),
    ("ese_candidates", &["source_id"]),
    ("ese_candidates", &["status"]),
    ("ese_candidates", &["flagged_at"]),
    ("data_registry", &["data_type", "status"]),
    ("data_registry", &["status"]),
    ("data_registry", &["published_at"]),
    ("data_registry", &["finalization_status"]),
    ("hdf5_files", &["group_id"]),
    ("hdf5_files", &["timestamp_mjd"]),
    ("hdf5_files", &["stored"]),
    ("hdf5_files", &["ra_deg", "dec_deg"]),
    ("mosaic_plans", &["tier"]),
    ("mosaic_plans", &["status"]),
    ("mosaic_plans", &["created_at"]),
    ("mosaics", &["tier"]),
    ("mosaics", &["created_at"]),
    ("mosaics", &["plan_id"]),
    ("mosaic_qa", &["mosaic_id"]),
    (
        "transient_candidates",
        &["detection_type", "significance_sigma-"],
    ),
    ("transient_candidates", &["ra_deg", "dec_deg"]),
    ("transient_candidates", &["detected_at-"]),
    ("transient_alerts", &["alert_level", "created_at-"]),
    ("transient_alerts", &["acknowledged", "created_at-"]),
];

/// Every explicitly created index of `table` (not those behind UNIQUE or PRIMARY KEY), as
/// its columns in order, `-` after a descending one: read with `PRAGMA index_list` and
/// `PRAGMA index_xinfo`.
pub async fn index_columns(conn: &mut sqlx::SqliteConnection, table: &str) -> Vec<Vec<String>> {
    use sqlx::Row;
    let list = sqlx::query("SELECT name, origin FROM pragma_index_list(?)")
        .bind(table)
        .fetch_all(&mut *conn)
        .await
        .expect("index_list");
    let mut out = Vec::new();
    for row in list {
        let (name, origin): (String, String) = (row.get(0), row.get(1));
        if origin != "c" {
            continue;
        }
        let cols = sqlx::query(
            "SELECT name, \"desc\" FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .expect("index_xinfo");
        out.push(
            cols.iter()
                .map(|c| {
                    let col: String = c.get(0);
                    let desc: i64 = c.get(1);
                    if desc == 1 { format!("{col}-") } else { col }
                })
                .collect(),
        );
    }
    out
}

/// Panics naming each of [`PIPELINE_INDEXES`] the database behind `conn` lacks.
pub async fn assert_pipeline_indexes(conn: &mut sqlx::SqliteConnection, what: &str) {
    let mut missing = Vec::new();
    for (table, wanted) in PIPELINE_INDEXES {
        let have = index_columns(conn, table).await;
        if !have.iter().any(|cols| cols.iter().eq(wanted.iter())) {
            missing.push(format!("{table}({})", wanted.join(", ")));
        }
    }
    assert!(
        missing.is_empty(),
        "{what} lacks the pipeline's indexes: {missing:?}"
    );
}
