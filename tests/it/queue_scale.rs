//! A year-sized queue: 100 000 tasks. Every default query must use an index, and the two the
//! triage view leans on are timed (printed, not asserted: timings depend on the machine).

use crate::support;

use std::time::Instant;

use contimg_monitor::query::{Filter, ListQuery};
use contimg_monitor::queue::seed::seed_tasks;
use contimg_monitor::queue::{Queue, QueueOptions};
use support::postgres::PgServer;

const NOW: f64 = 1_761_056_599.0;
const TASKS: usize = 100_000;

#[tokio::test]
async fn on_100k_tasks_default_queries_use_indexes_and_failures_come_back_fast() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let url = server.create_database("scale");
    let started = Instant::now();
    let summary = seed_tasks(&url, TASKS, NOW, 2026).await.unwrap();
    eprintln!(
        "seeded {} tasks ({} failed, {} of them completed-with-error) and {} groups in {:?}",
        summary.tasks,
        summary.failed(),
        summary.failed_in_result,
        summary.groups,
        started.elapsed()
    );
    let queue = Queue::connect(&url, &QueueOptions::default())
        .await
        .unwrap();

    for (name, plan) in queue.explain_default_queries(NOW).await.unwrap() {
        eprintln!("-- {name}\n{plan}");
        assert!(
            !plan.contains("Seq Scan on tasks"),
            "{name} reads the whole tasks table:\n{plan}"
        );
        assert!(plan.contains("Index"), "{name} uses no index:\n{plan}");
    }

    let failed_only = ListQuery {
        filter: Filter::parse("status:failed"),
        ..ListQuery::default()
    };
    queue.tasks(&failed_only).await.unwrap(); // warm the cache and the plan
    let t = Instant::now();
    let page = queue.tasks(&failed_only).await.unwrap();
    let failed_page = t.elapsed();
    assert_eq!(page.rows.len(), 200);
    assert!(page.has_more);

    let t = Instant::now();
    let next = queue
        .tasks(&ListQuery {
            after: page.next.clone(),
            ..failed_only.clone()
        })
        .await
        .unwrap();
    let failed_page_2 = t.elapsed();
    assert_eq!(next.rows.len(), 200);

    let t = Instant::now();
    let day = queue.failures_since(NOW - 86_400.0).await.unwrap();
    let failures_day = t.elapsed();
    assert!(!day.is_empty());

    let t = Instant::now();
    let backlog = queue.backlog(NOW).await.unwrap();
    let backlog_time = t.elapsed();
    assert_eq!(backlog.pending, summary.pending + summary.retrying);

    // The worst case: a word no task has makes the scan read the whole index range, bounded
    // by statement_timeout in production.
    let t = Instant::now();
    let nothing = queue
        .tasks(&ListQuery {
            filter: Filter::parse("no-task-mentions-this"),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    let no_match = t.elapsed();
    assert!(nothing.rows.is_empty());

    eprintln!("tasks(status:failed), page 1 of 200: {failed_page:?}");
    eprintln!("tasks(status:failed), page 2 of 200: {failed_page_2:?}");
    eprintln!(
        "failures_since(24 h): {} records in {failures_day:?}",
        day.len()
    );
    eprintln!("backlog: {backlog_time:?}");
    eprintln!("tasks(free word matching nothing), full scan: {no_match:?}");
}
