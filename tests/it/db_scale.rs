//! A year of data (scaled by CONTIMG_SCALE, default 1.0 = 100k MS, 600k images, 400k jobs,
//! 2M photometry rows): the default pages and failed-only must answer quickly. Ignored by
//! default because building the file takes a while; run with `--ignored --nocapture`.

use crate::db_support;

use std::time::{Duration, Instant};

use contimg_monitor::db::SourceAggregate;
use contimg_monitor::query::{Filter, ListQuery};
use db_support::Pipeline;

fn scaled(n: f64) -> i64 {
    let scale: f64 = std::env::var("CONTIMG_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    (n * scale).max(10.0) as i64
}

#[tokio::test]
#[ignore = "builds a year-sized database; run by hand"]
async fn a_year_of_data_pages_quickly() {
    let p = Pipeline::new().await;
    let (ms, images, jobs, phot) = (
        scaled(100_000.0),
        scaled(600_000.0),
        scaled(400_000.0),
        scaled(2_000_000.0),
    );
    let t = Instant::now();
    p.exec(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < {ms}) \
         INSERT INTO ms_index (path, status, stage, mid_mjd, group_id) \
         SELECT '/stage/ms/' || i || '.ms', CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'done' END, 'imaging', 60000 + i * 0.0036, 'g' || i FROM n;\
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < {ms}) \
         INSERT INTO ms_state (ms_path, current_state, transition_time, retry_count, created_at) \
         SELECT '/stage/ms/' || i || '.ms', CASE WHEN i % 50 = 0 THEN 'error' ELSE 'done' END, 1.7e9 + i * 300, 0, 1.7e9 + i * 300 FROM n;\
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < {images}) \
         INSERT INTO images (path, ms_path, created_at, type) \
         SELECT '/stage/img/' || i || '.fits', '/stage/ms/' || (i / 6) || '.ms', 1.7e9 + i * 50, CASE WHEN i % 2 = 0 THEN 'pbcor' ELSE '5min' END FROM n;\
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < {jobs}) \
         INSERT INTO jobs (type, status, ms_path, logs, created_at) \
         SELECT 'imaging', CASE WHEN i % 100 = 0 THEN 'failed' ELSE 'completed' END, '/stage/ms/' || (i / 4) || '.ms', 'INFO start' || char(10) || 'INFO done', 1.7e9 + i * 75 FROM n;\
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < {phot}) \
         INSERT INTO photometry (source_id, image_path, mjd, flux_jy, ra_deg, dec_deg) \
         SELECT 'S' || (i % 20000), '/stage/img/' || (i / 200) || '.fits', 60000 + i * 0.0001, \
             0.01 * (i % 97), 10.0, 42.0 FROM n;"
    ))
    .await;
    println!("built in {:?}", t.elapsed());
    let db = p.open().await;
    let q = |f: &str| ListQuery {
        filter: Filter::parse(f),
        ..ListQuery::default()
    };
    let time = |label: &str, d: Duration| println!("{label:<28} {d:?}");

    let t = Instant::now();
    let page = db.images(&q("")).await.unwrap();
    time("images first page", t.elapsed());
    let t = Instant::now();
    let mut deep = q("");
    deep.after = page.next;
    db.images(&deep).await.unwrap();
    time("images second page", t.elapsed());
    let t = Instant::now();
    db.ms_list(&q("")).await.unwrap();
    time("ms first page", t.elapsed());
    let t = Instant::now();
    let jobs_page = db.jobs(&q("")).await.unwrap();
    let jobs_default = t.elapsed();
    time("jobs first page", jobs_default);
    let t = Instant::now();
    let mut next = q("");
    next.after = jobs_page.next;
    db.jobs(&next).await.unwrap();
    time("jobs second page", t.elapsed());
    let t = Instant::now();
    let failed = db.jobs(&q("status:failed")).await.unwrap();
    time("jobs failed-only", t.elapsed());
    assert!(
        failed
            .rows
            .iter()
            .all(|r| r.error_line.is_some() || r.key.source.name() != "jobs")
    );
    let t = Instant::now();
    db.images(&q("type:pbcor")).await.unwrap();
    time("images type:pbcor", t.elapsed());
    let t = Instant::now();
    let mut agg = SourceAggregate::new();
    db.refresh_sources(&mut agg).await.unwrap();
    time("sources first chunk", t.elapsed());
    let t = Instant::now();
    agg.page(&q("")).unwrap();
    time("sources page in memory", t.elapsed());
    let t = Instant::now();
    db.summary(1.7e9 + 3e7).await.unwrap();
    time("summary", t.elapsed());
    let t = Instant::now();
    db.ms_detail("/stage/ms/5000.ms").await.unwrap();
    time("ms detail", t.elapsed());
    let t = Instant::now();
    db.source_detail("S17").await.unwrap();
    time("source detail", t.elapsed());
}
