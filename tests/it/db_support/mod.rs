//! Test fixtures: a real pipeline database in a temporary directory, built from the
//! migration, with a separate writable connection playing the pipeline.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use contimg_monitor::db::{Db, DbOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

pub const SCHEMA: &str = include_str!("../../../migrations/sqlite/0001_pipeline.sql");
pub const LEGACY_IMAGES: &str = include_str!("../../../migrations/sqlite/legacy_images.sql");

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
                    .journal_mode(SqliteJournalMode::Wal),
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
