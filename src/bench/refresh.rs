//! The data path, timed in process: each tab's refresh as its poller runs it, the filters, the
//! open details, the triage grouping and `once`'s summary, on one benchmark database.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::report::{Row, Target};
use super::stats::{Repeat, time_async};
use crate::app::DetailKey;
use crate::db::{Db, DbOptions, SourceAggregate};
use crate::query::{Filter, ListQuery};
use crate::services::detail;
use crate::services::lists::{ListCache, fetch};
use crate::services::triage::{QueueSource, TriageCache, gather};
use crate::snapshot::Tab;
use crate::triage::Thresholds;

pub const REFRESH_P95: Duration = Duration::from_millis(20);
pub const SOURCES_P95: Duration = Duration::from_millis(50);
pub const TRIAGE_P95: Duration = Duration::from_millis(100);
/// The triage window the issue names.
pub const TRIAGE_WINDOW_S: f64 = 86_400.0;

/// What a scale's timings found besides the rows: the keys the details were opened on and
/// the first load of the sources aggregate.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    pub rows: Vec<Row>,
    /// Wall time to fold every photometry row into a fresh aggregate.
    pub sources_first_load: Option<Duration>,
    pub distinct_sources: usize,
}

fn query(filter: &str) -> ListQuery {
    ListQuery {
        filter: Filter::parse(filter),
        ..ListQuery::default()
    }
}

/// Time everything the pollers and the detail and triage services do, on `db_path`, with
/// `now` the data's newest time (so "the last 24 h" has a day of data in it).
pub async fn measure(
    db_path: &Path,
    scale: &str,
    now: f64,
    repeat: Repeat,
) -> anyhow::Result<Probe> {
    let db = Db::open(db_path, &DbOptions::default())
        .await
        .with_context(|| format!("opening {}", db_path.display()))?;
    let mut rows = Vec::new();
    let mut cache = ListCache::default();

    // Sources first, so the aggregate is complete before its steady refresh is timed.
    let t = Instant::now();
    let mut agg = SourceAggregate::with_chunk(i64::MAX / 4);
    db.load_sources(&mut agg).await?;
    let sources_first_load = t.elapsed();
    let distinct_sources = agg.len();
    cache.sources = agg;
    // Kept across runs (the steady refresh would fold new rows into it; the benchmark
    // database has none, so each run costs the checks for them); one run at a time holds it.
    let cache = tokio::sync::Mutex::new(cache);

    let refresh = |tab: Tab, filter: &'static str| {
        let db = &db;
        let q = query(filter);
        async move {
            let mut cache = ListCache::default();
            fetch(db, None, tab, &q, &mut cache).await.map(|_| ())
        }
    };
    for (tab, what) in [
        (Tab::Images, "Images refresh (first page, newest first)"),
        (Tab::Jobs, "Jobs refresh (first page, newest first)"),
        (Tab::Ms, "MS refresh (first page, newest first)"),
    ] {
        let s = time_async(repeat, || refresh(tab, "")).await?;
        rows.push(Row::timed(
            scale,
            what,
            &s,
            Some(Target::p95_below(REFRESH_P95)),
        ));
    }
    let s = time_async(repeat, || async {
        let mut cache = cache.lock().await;
        fetch(&db, None, Tab::Sources, &ListQuery::default(), &mut cache)
            .await
            .map(|_| ())
    })
    .await?;
    rows.push(Row::timed(
        scale,
        "Sources refresh (steady: look for new rows, first page)",
        &s,
        Some(Target::p95_below(SOURCES_P95)),
    ));
    for (tab, filter, what) in [
        (
            Tab::Jobs,
            "status:failed",
            "Jobs failed-only (status:failed)",
        ),
        (Tab::Jobs, "kind:imaging", "Jobs field:value (kind:imaging)"),
        (Tab::Images, "type:pbcor", "Images field:value (type:pbcor)"),
        (Tab::Ms, "status:failed", "MS field:value (status:failed)"),
    ] {
        let s = time_async(repeat, || refresh(tab, filter)).await?;
        rows.push(Row::timed(
            scale,
            what,
            &s,
            Some(Target::p95_below(REFRESH_P95)),
        ));
    }
    let s = time_async(repeat, || db.summary(now)).await?;
    rows.push(Row::timed(
        scale,
        "`once` summary (counts; not on the TUI path)",
        &s,
        None,
    ));

    let cache = cache.into_inner();
    for (what, key) in detail_keys(&db, &cache).await? {
        let s = time_async(repeat, || detail::fetch(Some(&db), None, &key, None)).await?;
        rows.push(Row::timed(
            scale,
            &what,
            &s,
            Some(Target::p95_below(REFRESH_P95)),
        ));
    }

    let triage_cache = tokio::sync::Mutex::new(TriageCache::default());
    let s = time_async(repeat, || async {
        let mut triage_cache = triage_cache.lock().await;
        let report = gather(
            Some(&db),
            QueueSource::NotConfigured,
            now,
            TRIAGE_WINDOW_S,
            Thresholds::default(),
            &mut triage_cache,
        )
        .await;
        Ok::<_, anyhow::Error>(report)
    })
    .await?;
    rows.push(Row::timed(
        scale,
        "triage grouping over 24 h",
        &s,
        Some(Target::p95_below(TRIAGE_P95)),
    ));
    Ok(Probe {
        rows,
        sources_first_load: Some(sources_first_load),
        distinct_sources,
    })
}

/// The details an operator opens: the newest image, a failed MS, a failed job and the source
/// with the most detections (the longest light curve).
async fn detail_keys(db: &Db, cache: &ListCache) -> anyhow::Result<Vec<(String, DetailKey)>> {
    let mut keys = Vec::new();
    if let Some(image) = db.images(&query("")).await?.rows.into_iter().next() {
        keys.push((
            "Images detail (newest image)".to_string(),
            DetailKey::Image {
                id: image.id,
                path: image.path,
            },
        ));
    }
    let failed_ms = db
        .ms_list(&query("status:failed"))
        .await?
        .rows
        .into_iter()
        .next();
    let any_ms = db.ms_list(&query("")).await?.rows.into_iter().next();
    if let Some(ms) = failed_ms.or(any_ms) {
        keys.push((
            "MS detail (a failed MS)".to_string(),
            DetailKey::Ms(ms.path),
        ));
    }
    if let Some(job) = db
        .jobs(&query("status:failed"))
        .await?
        .rows
        .into_iter()
        .next()
    {
        keys.push((
            "Jobs detail (a failed job)".to_string(),
            DetailKey::Job(job.key),
        ));
    }
    let busiest = ListQuery {
        sort: Some(crate::query::Sort {
            column: "detections".into(),
            descending: true,
        }),
        limit: 1,
        ..ListQuery::default()
    };
    if let Some(source) = cache.sources.page(&busiest)?.rows.into_iter().next() {
        keys.push((
            format!(
                "Sources detail (light curve of {} points)",
                source.detections
            ),
            DetailKey::Source(source.id),
        ));
    }
    Ok(keys)
}
