//! The operator points the monitor at the pipeline's PostgreSQL queue: what the connection
//! guarantees (read-only, bounded), and how it behaves when the server is down or restarted.

use crate::support;

use std::time::{Duration, Instant};

use contimg_monitor::queue::{Queue, QueueError, QueueOptions};
use support::postgres::PgServer;

async fn connect(url: &str) -> Queue {
    Queue::connect(url, &QueueOptions::default())
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}

#[tokio::test]
async fn the_monitor_session_is_named_read_only_and_time_bounded() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let queue = connect(&server.url()).await;
    let mut conn = queue.conn().await.unwrap();
    let (name, read_only, timeout): (String, String, String) = sqlx::query_as(
        "SELECT current_setting('application_name'), \
                current_setting('default_transaction_read_only'), \
                current_setting('statement_timeout')",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(name, "contimg-monitor");
    assert_eq!(read_only, "on");
    assert_eq!(timeout, "1500ms");
    drop(conn);
    let stats = queue.pool().stats(0.0);
    assert_eq!(
        (stats.source.as_str(), stats.name.as_str()),
        ("monitor", "postgres")
    );
    assert_eq!(stats.max, 2);
}

#[tokio::test]
async fn a_read_only_session_refuses_a_write() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let url = server.create_database("refuses_write");
    contimg_monitor::queue::seed::apply_schema(&url)
        .await
        .unwrap();
    let queue = connect(&url).await;
    let mut conn = queue.conn().await.unwrap();
    let err = sqlx::query(
        "INSERT INTO absurd.tasks (queue_name, task_name) VALUES ('default', 'imaging')",
    )
    .execute(&mut *conn)
    .await
    .expect_err("a monitor session must not be able to write");
    let sqlx::Error::Database(db) = &err else {
        panic!("expected a database error, got {err}");
    };
    assert_eq!(db.code().as_deref(), Some("25006"), "{err}");
    assert!(db.message().contains("read-only transaction"), "{err}");
}

#[tokio::test]
async fn the_statement_timeout_cancels_a_slow_query() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let queue = connect(&server.url()).await;
    let mut conn = queue.conn().await.unwrap();
    let started = Instant::now();
    let err = sqlx::query("SELECT pg_sleep(10)")
        .execute(&mut *conn)
        .await
        .expect_err("pg_sleep(10) must be cancelled");
    let elapsed = started.elapsed();
    let err = queue.classify(&err);
    assert!(err.is_timeout(), "{err}");
    assert!(err.to_string().contains("1500 ms"), "{err}");
    assert!(
        elapsed < Duration::from_secs(5),
        "cancelled after {elapsed:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(1400),
        "cancelled after {elapsed:?}"
    );
}

#[tokio::test]
async fn a_server_that_is_down_at_connect_is_unreachable_quickly() {
    let Some(server) = PgServer::start() else {
        return;
    };
    let url = server.url();
    server.stop();
    let started = Instant::now();
    let err = Queue::connect(&url, &QueueOptions::default())
        .await
        .expect_err("nothing listens there");
    let elapsed = started.elapsed();
    assert!(err.is_unreachable(), "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&format!("127.0.0.1:{}/dsa110_absurd", server.port())),
        "{message}"
    );
    assert!(message.to_lowercase().contains("refused"), "{message}");
    assert!(!message.contains('\n'));
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

#[tokio::test]
async fn a_missing_database_is_a_note_not_an_outage() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let err = Queue::connect(&server.url_for("no_such_db"), &QueueOptions::default())
        .await
        .expect_err("the database does not exist");
    assert!(err.is_missing(), "{err}");
    assert!(matches!(err, QueueError::MissingSchema { .. }));
}

#[tokio::test]
async fn the_same_queue_works_again_after_the_server_restarts() {
    let Some(server) = PgServer::start() else {
        return;
    };
    let url = server.url();
    contimg_monitor::queue::seed::apply_schema(&url)
        .await
        .unwrap();
    let options = QueueOptions {
        acquire_timeout: Duration::from_secs(1),
        ..QueueOptions::default()
    };
    let queue = Queue::connect(&url, &options).await.unwrap();
    let query = contimg_monitor::query::ListQuery::default();
    queue.tasks(&query).await.expect("works before the restart");

    server.stop();
    let started = Instant::now();
    let err = queue
        .tasks(&query)
        .await
        .expect_err("the server is stopped");
    assert!(err.is_unreachable(), "{err}");
    assert!(err.to_string().to_lowercase().contains("refused"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    server.start_again();
    let page = queue
        .tasks(&query)
        .await
        .expect("the same Queue reconnects after the restart");
    assert!(page.rows.is_empty());
    assert_eq!(queue.backlog(0.0).await.unwrap().pending, 0);
}
