//! `demo --with-postgres` runs its own queue: a server started in a directory of its own,
//! the schema and a history of tasks in it, read by the monitor's read-only client, and
//! everything gone once it stops.

use crate::support;

use contimg_monitor::demo::postgres::{DemoPostgres, find_bin_dir};
use contimg_monitor::demo::queue_feed::{HISTORY_TASKS, seed_history};
use contimg_monitor::queue::{Queue, QueueOptions};
use contimg_monitor::services::now_unix;

#[tokio::test]
async fn the_demo_queue_starts_seeds_answers_and_is_removed_on_stop() {
    if find_bin_dir().is_none() {
        // Same loud skip (or CI failure) as every PostgreSQL test.
        assert!(support::postgres::PgServer::start().is_none());
        return;
    }
    let root = std::env::temp_dir().join(format!("contimg-demo-pg-test-{}", std::process::id()));
    let start_root = root.clone();
    let server = tokio::task::spawn_blocking(move || DemoPostgres::start(&start_root))
        .await
        .unwrap()
        .expect("the demo's server starts")
        .expect("binaries were found");
    let url = server.url();
    seed_history(&url, now_unix()).await.unwrap();
    let queue = Queue::connect(&url, &QueueOptions::default())
        .await
        .unwrap();
    let backlog = queue.backlog(now_unix()).await.unwrap();
    assert!(backlog.pending + backlog.running > 0, "{backlog:?}");
    let failures = queue.failures_since(now_unix() - 86_400.0).await.unwrap();
    assert!(!failures.is_empty() && failures.len() < HISTORY_TASKS);
    queue.pool().inner().close().await;
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .unwrap();
    assert!(!root.exists(), "the server's directory is removed");
    assert!(
        Queue::connect(&url, &QueueOptions::default())
            .await
            .is_err()
    );
}
