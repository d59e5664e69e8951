//! Opening the pipeline's database: read-only in every sense, and clear about files that
//! are missing or are not databases.

use crate::db_support;

use contimg_monitor::db::{Db, DbError, DbOptions};
use contimg_monitor::query::ListQuery;
use db_support::{Pipeline, file_fingerprint, images_sql};

#[tokio::test]
async fn opening_and_reading_never_changes_the_file_and_writes_are_refused() {
    let p = Pipeline::new().await;
    p.exec(&images_sql(5, 1_761_000_000.0)).await;
    // Checkpoint so the main file holds everything, then let the pipeline go away.
    p.exec("PRAGMA wal_checkpoint(TRUNCATE)").await;
    p.writer.close().await;
    let before = file_fingerprint(&p.path);

    let db = Db::open(&p.path, &DbOptions::default()).await.unwrap();
    assert_eq!(
        db.images(&ListQuery::default()).await.unwrap().rows.len(),
        5
    );
    db.jobs(&ListQuery::default()).await.unwrap();
    db.ms_detail("/stage/x.ms").await.unwrap();

    let mut conn = db.pool().acquire().await.unwrap();
    let write = sqlx::query("CREATE TABLE monitor_was_here (x)")
        .execute(&mut *conn)
        .await;
    let err = write.expect_err("a write through the monitor's pool must fail");
    assert!(err.to_string().contains("readonly"), "{err}");
    let delete = sqlx::query("DELETE FROM images").execute(&mut *conn).await;
    assert!(delete.is_err());
    drop(conn);
    db.pool().inner().close().await;

    assert!(
        before == file_fingerprint(&p.path),
        "bytes or mtime changed"
    );
}

#[tokio::test]
async fn the_pipeline_keeps_writing_while_the_monitor_reads() {
    let p = Pipeline::new().await;
    let db = p.open().await;
    p.exec(&images_sql(3, 1_761_000_000.0)).await;
    // WAL mode: a `mode=ro` reader sees committed rows without blocking the writer.
    assert_eq!(
        db.images(&ListQuery::default()).await.unwrap().rows.len(),
        3
    );
    p.exec(
        "INSERT INTO images (path, ms_path, created_at, type) \
         VALUES ('/x.fits', '/stage/dsa110-contimg/ms/x.ms', 1761000300.0, '5min')",
    )
    .await;
    assert_eq!(
        db.images(&ListQuery::default()).await.unwrap().rows.len(),
        4
    );
}

#[tokio::test]
async fn a_missing_file_is_not_found_and_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pipeline.sqlite3");
    let err = Db::open(&path, &DbOptions::default()).await.err().unwrap();
    assert!(matches!(err, DbError::NotFound(_)));
    assert!(err.is_missing());
    assert!(!path.exists(), "open must never create the database");
}

#[tokio::test]
async fn files_that_are_not_databases_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "notes.txt",
            b"just some text, long enough to fill a header\n".to_vec(),
            "no SQLite header",
        ),
        ("empty.sqlite3", Vec::new(), "empty"),
        ("short.sqlite3", b"SQLite for".to_vec(), "shorter"),
    ];
    for (name, bytes, reason) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = Db::open(&path, &DbOptions::default()).await.err().unwrap();
        assert!(
            matches!(&err, DbError::NotADatabase { reason: r, .. } if r.contains(reason)),
            "{name}: {err}"
        );
        assert!(!err.to_string().contains('\n'));
    }
    let err = Db::open(dir.path(), &DbOptions::default())
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, DbError::NotADatabase { .. }),
        "a directory: {err}"
    );
}

#[tokio::test]
async fn a_truncated_database_is_not_a_database() {
    let p = Pipeline::new().await;
    p.exec(&images_sql(200, 1_761_000_000.0)).await;
    p.exec("PRAGMA wal_checkpoint(TRUNCATE)").await;
    p.writer.close().await;
    let bytes = std::fs::read(&p.path).unwrap();
    let cut = p.dir.path().join("cut.sqlite3");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let result = match Db::open(&cut, &DbOptions::default()).await {
        Err(e) => Err(e),
        Ok(db) => db.images(&ListQuery::default()).await.map(|_| ()),
    };
    let err = result.expect_err("a truncated file cannot be read whole");
    assert!(matches!(err, DbError::NotADatabase { .. }), "{err}");
}

#[tokio::test]
async fn the_database_and_its_futures_go_to_other_tasks() {
    let p = Pipeline::new().await;
    p.exec(&images_sql(2, 1_761_000_000.0)).await;
    let db = p.open().await;
    let (a, b) = (db.clone(), db.clone());
    let images =
        tokio::spawn(async move { a.images(&ListQuery::default()).await.map(|p| p.rows.len()) });
    let jobs = tokio::spawn(async move {
        let mut agg = contimg_monitor::db::SourceAggregate::new();
        b.refresh_sources(&mut agg).await?;
        b.jobs(&ListQuery::default()).await?;
        b.summary(0.0).await.map(|s| s.tables.len())
    });
    assert_eq!(images.await.unwrap().unwrap(), 2);
    assert!(jobs.await.unwrap().unwrap() > 0);
    // A request for an absurd page size is served as a bounded page.
    let huge = ListQuery {
        limit: usize::MAX,
        ..ListQuery::default()
    };
    assert_eq!(db.images(&huge).await.unwrap().rows.len(), 2);
}
