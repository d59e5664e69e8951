//! The operator glances at the queue's health: backlog, tasks running too long, failures of
//! the day, and ingestion groups stuck collecting subbands.

use crate::support;

use std::time::Duration;

use contimg_monitor::query::{Filter, ListQuery};
use contimg_monitor::queue::seed::{SeedSummary, seed_tasks};
use contimg_monitor::queue::{Queue, QueueOptions, is_stuck_collecting};
use contimg_monitor::snapshot::JobStatus;
use sqlx::{Connection, Executor, PgConnection};
use support::postgres::PgServer;

const NOW: f64 = 1_761_056_599.0;

async fn seeded(server: &PgServer, db: &str, n: usize) -> (Queue, SeedSummary) {
    let url = server.create_database(db);
    let summary = seed_tasks(&url, n, NOW, 11).await.unwrap();
    let queue = Queue::connect(&url, &QueueOptions::default())
        .await
        .unwrap();
    (queue, summary)
}

#[tokio::test]
async fn the_backlog_counts_waiting_and_running_work_and_flags_the_long_runner() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let (queue, summary) = seeded(server, "backlog", 400).await;
    let backlog = queue.backlog(NOW).await.unwrap();
    assert_eq!(backlog.pending, summary.pending + summary.retrying);
    assert_eq!(backlog.retrying, 0, "nothing in the pipeline sets retrying");
    assert_eq!(backlog.running, summary.claimed);
    assert!(backlog.pending > 0 && backlog.running > 1, "{backlog:?}");
    let per_queue: u64 = backlog.by_queue.iter().map(|q| q.pending).sum();
    assert_eq!(per_queue, backlog.pending, "{backlog:?}");
    assert_eq!(
        backlog.running_over.len() as u64,
        summary.claimed_over_30min
    );
    assert!(backlog.running_over[0].worker_id.is_some());
    let over = &backlog.running_over[0].row;
    assert_eq!(over.status, JobStatus::Running);
    assert!(NOW - over.started_at.unwrap() > 1800.0);
    let oldest = backlog.oldest_pending_age_s.unwrap();
    assert!(oldest > 0.0 && oldest < 4.0 * 3600.0, "{oldest}");
}

#[tokio::test]
async fn failures_of_the_day_include_both_kinds_newest_first() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let (queue, summary) = seeded(server, "failures", 400).await;
    let day = queue.failures_since(NOW - 86_400.0).await.unwrap();
    assert_eq!(
        day.len() as u64,
        summary.failed(),
        "400 tasks span under 5 h"
    );
    assert!(day.windows(2).all(|w| w[0].at >= w[1].at - 700.0));
    assert!(
        day.iter()
            .all(|f| !f.error.is_empty() && f.error != "(no error text)")
    );
    // Stage errors in the result's words, crashes as the worker's bare str(e).
    assert!(day.iter().any(|f| {
        f.error
            .starts_with("Stage 'imaging' failed after 3 attempts")
            || f.error.starts_with("Missing required output")
            || f.error.starts_with("Validation failed")
            || f.error.starts_with("Incomplete group")
    }));
    assert!(
        day.iter()
            .any(|f| f.error.starts_with("[Errno 2]") || f.error.starts_with("table "))
    );

    let last_hour = queue.failures_since(NOW - 3600.0).await.unwrap();
    assert!(last_hour.len() < day.len());
    assert!(last_hour.iter().all(|f| f.at >= NOW - 3600.0));

    let capped = Queue::connect(
        &server.url_for("failures"),
        &QueueOptions {
            failures_limit: 5,
            ..QueueOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        capped.failures_since(NOW - 86_400.0).await.unwrap().len(),
        5
    );
}

#[tokio::test]
async fn groups_stuck_collecting_are_found_and_normal_arrivals_are_not() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let (queue, summary) = seeded(server, "groups", 400).await;
    let query = ListQuery {
        limit: 1_000,
        ..ListQuery::default()
    };
    let groups = queue.ingestion_groups(&query).await.unwrap();
    assert_eq!(groups.rows.len() as u64, summary.groups);
    let stuck: Vec<_> = groups
        .rows
        .iter()
        .filter(|g| is_stuck_collecting(g, NOW, Duration::from_secs(1800)))
        .collect();
    assert_eq!(stuck.len() as u64, summary.stuck_groups);
    assert_eq!(stuck.len(), 3);
    assert!(
        stuck
            .iter()
            .all(|g| g.subband_count.unwrap() < 16 && g.ms_path.is_none())
    );

    let collecting = ListQuery {
        filter: Filter::parse("state:collecting"),
        ..query.clone()
    };
    let collecting = queue.ingestion_groups(&collecting).await.unwrap();
    assert_eq!(
        collecting.rows.len(),
        4,
        "three stuck and the newest, still arriving"
    );
    assert_eq!(collecting.rows[0].updated_at, Some(NOW));
}

#[tokio::test]
async fn group_pages_continue_where_the_last_one_ended() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let (queue, summary) = seeded(server, "group_pages", 200).await;
    let mut query = ListQuery {
        limit: 7,
        ..ListQuery::default()
    };
    let mut ids = Vec::new();
    loop {
        let page = queue.ingestion_groups(&query).await.unwrap();
        ids.extend(page.rows.into_iter().map(|g| g.group_id));
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    assert_eq!(ids.len() as u64, summary.groups);
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted, "newest first, no repeats");
}

#[tokio::test]
async fn a_group_error_column_named_error_is_read_too() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let url = server.create_database("group_drift");
    let mut conn = PgConnection::connect(&url).await.unwrap();
    conn.execute(
        "CREATE SCHEMA absurd; \
         CREATE TABLE absurd.ingestion_groups (group_id TEXT PRIMARY KEY, state TEXT, \
           subband_count INTEGER, expected_subbands INTEGER, dec_deg REAL, ra_deg REAL, \
           created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ, completed_at TIMESTAMPTZ, \
           ms_path TEXT, error TEXT); \
         INSERT INTO absurd.ingestion_groups VALUES ('2025-10-21T14:23:19', 'failed', 16, 16, \
           16.1, 201.3, now(), now(), NULL, NULL, 'subband 7 truncated')",
    )
    .await
    .unwrap();
    let queue = Queue::connect(&url, &QueueOptions::default())
        .await
        .unwrap();
    let page = queue
        .ingestion_groups(&ListQuery {
            filter: Filter::parse("error:truncated"),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 1);
    assert_eq!(
        page.rows[0].error_message.as_deref(),
        Some("subband 7 truncated")
    );
    assert!((page.rows[0].dec_deg.unwrap() - 16.1).abs() < 1e-5);
}
