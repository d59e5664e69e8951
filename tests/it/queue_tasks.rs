//! The operator triages failed jobs from the PostgreSQL queue: the tasks list, its filters,
//! its pages and one task's detail, against a real server.

use crate::support;

use contimg_monitor::query::{Filter, ListQuery};
use contimg_monitor::queue::seed::{apply_schema, seed_tasks};
use contimg_monitor::queue::{Queue, QueueOptions};
use contimg_monitor::snapshot::{JobSource, JobStatus};
use sqlx::{Connection, Executor, PgConnection};
use support::postgres::PgServer;

const NOW: f64 = 1_761_056_599.0;

/// A database with the schema and these hand-written tasks (SQL VALUES rows), and a queue on it.
async fn queue_with(server: &PgServer, db: &str, values: &str) -> Queue {
    let url = server.create_database(db);
    apply_schema(&url).await.unwrap();
    let mut conn = PgConnection::connect(&url).await.unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!(
        "INSERT INTO absurd.tasks (task_id, queue_name, task_name, params, status, worker_id, \
         attempt, result, error, created_at, claimed_at, completed_at) VALUES {values}"
    )))
    .await
    .unwrap();
    Queue::connect(&url, &QueueOptions::default())
        .await
        .unwrap()
}

async fn seeded(server: &PgServer, db: &str, n: usize) -> Queue {
    let url = server.create_database(db);
    seed_tasks(&url, n, NOW, 42).await.unwrap();
    Queue::connect(&url, &QueueOptions::default())
        .await
        .unwrap()
}

fn filtered(text: &str, limit: usize) -> ListQuery {
    ListQuery {
        filter: Filter::parse(text),
        limit,
        ..ListQuery::default()
    }
}

const TRAP_ROWS: &str = "
 ('11111111-1111-4111-8111-111111111111', 'dsa110-pipeline', 'calibration-solve',
  '{\"ms_path\": \"/stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms\"}', 'completed', 'w1', 1,
  '{\"status\": \"error\", \"message\": \"Calibration solve failed: no valid calibrator in /stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms\"}',
  NULL, to_timestamp(1761050000), to_timestamp(1761050010), to_timestamp(1761050100)),
 ('22222222-2222-4222-8222-222222222222', 'dsa110-pipeline', 'imaging',
  '{\"ms_path\": \"/stage/dsa110-contimg/ms/2025-10-21T14:28:28.ms\"}', 'failed', 'w2', 3, NULL,
  E'Traceback (most recent call last):\\n  File \"x.py\", line 3, in run\\nMemoryError: Unable to allocate 3.79 GiB',
  to_timestamp(1761050300), to_timestamp(1761050310), to_timestamp(1761050400)),
 ('33333333-3333-4333-8333-333333333333', 'dsa110-pipeline', 'imaging',
  '{\"ms_path\": \"/stage/dsa110-contimg/ms/2025-10-21T14:33:37.ms\"}', 'completed', 'w1', 1,
  '{\"status\": \"success\", \"message\": \"imaged\"}', NULL,
  to_timestamp(1761050600), to_timestamp(1761050610), to_timestamp(1761050900)),
 ('44444444-4444-4444-8444-444444444444', 'ingest', 'convert-group',
  '{\"group_id\": \"2025-10-21T14:38:46\"}', 'claimed', 'w3', 1, NULL, NULL,
  to_timestamp(1761050900), to_timestamp(1761050905), NULL),
 ('55555555-5555-4555-8555-555555555555', 'dsa110-pipeline', 'photometry',
  '{\"ms_path\": \"/stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms\"}', 'completed', 'w2', 1,
  '{\"status\": \"error\", \"errors\": [\"flagging fraction 0.93 exceeds 0.80\", \"too few baselines\"]}',
  NULL, to_timestamp(1761051000), to_timestamp(1761051010), to_timestamp(1761051100))";

#[tokio::test]
async fn a_completed_task_whose_result_is_an_error_counts_as_failed_with_its_message() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let queue = queue_with(server, "trap", TRAP_ROWS).await;
    let page = queue.tasks(&filtered("status:failed", 50)).await.unwrap();
    let ids: Vec<&str> = page.rows.iter().map(|r| r.key.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "55555555-5555-4555-8555-555555555555",
            "22222222-2222-4222-8222-222222222222",
            "11111111-1111-4111-8111-111111111111"
        ]
    );
    let solve = &page.rows[2];
    assert_eq!(solve.key.source, JobSource::AbsurdTask);
    assert_eq!(solve.status, JobStatus::Failed);
    assert_eq!(solve.raw_status, "completed (result: error)");
    assert_eq!(
        solve.error_line.as_deref(),
        Some(
            "Calibration solve failed: no valid calibrator in \
             /stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms"
        )
    );
    assert_eq!(
        solve.target.as_deref(),
        Some("/stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms")
    );
    assert_eq!(solve.created_at, Some(1_761_050_000.0));
    assert_eq!(solve.finished_at, Some(1_761_050_100.0));
    assert_eq!((solve.attempts, solve.max_attempts), (Some(1), Some(3)));

    let crash = &page.rows[1];
    assert_eq!(crash.raw_status, "failed");
    assert_eq!(
        crash.error_line.as_deref(),
        Some("MemoryError: Unable to allocate 3.79 GiB")
    );
    let errors_only = &page.rows[0];
    assert_eq!(
        errors_only.error_line.as_deref(),
        Some("flagging fraction 0.93 exceeds 0.80; too few baselines")
    );

    let succeeded = queue
        .tasks(&filtered("status:succeeded", 50))
        .await
        .unwrap();
    let ids: Vec<&str> = succeeded.rows.iter().map(|r| r.key.id.as_str()).collect();
    assert_eq!(ids, ["33333333-3333-4333-8333-333333333333"]);
    let not_failed = queue.tasks(&filtered("!status:failed", 50)).await.unwrap();
    assert_eq!(not_failed.rows.len(), 2);
}

#[tokio::test]
async fn a_claimed_task_is_running_and_targets_its_group() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let queue = queue_with(server, "claimed", TRAP_ROWS).await;
    let page = queue.tasks(&filtered("status:running", 50)).await.unwrap();
    assert_eq!(page.rows.len(), 1);
    let row = &page.rows[0];
    assert_eq!(row.status, JobStatus::Running);
    assert_eq!(row.raw_status, "claimed");
    assert_eq!(row.kind.as_deref(), Some("convert-group"));
    assert_eq!(row.target.as_deref(), Some("2025-10-21T14:38:46"));
    assert_eq!(row.finished_at, None);
    assert_eq!(row.duration(1_761_051_005.0), Some(100.0));
}

#[tokio::test]
async fn filters_on_kind_target_worker_queue_error_and_free_words() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let queue = queue_with(server, "filters", TRAP_ROWS).await;
    let ids = |page: contimg_monitor::snapshot::Page<contimg_monitor::snapshot::JobRow>| {
        page.rows
            .iter()
            .map(|r| r.key.id[..1].to_string())
            .collect::<Vec<_>>()
            .join("")
    };
    let run = |text: &'static str| {
        let queue = queue.clone();
        async move { ids(queue.tasks(&filtered(text, 50)).await.unwrap()) }
    };
    assert_eq!(run("kind:imaging").await, "32");
    assert_eq!(run("ms:14:23:19").await, "51");
    assert_eq!(run("target:2025-10-21T14:38").await, "4");
    assert_eq!(run("worker:w2").await, "52");
    assert_eq!(run("queue:ingest").await, "4");
    assert_eq!(run("error:calibrator").await, "1");
    assert_eq!(run("error:\"too few\"").await, "5");
    assert_eq!(run("memoryerror").await, "2");
    assert_eq!(run("photometry").await, "5");
    assert_eq!(run("!kind:imaging !worker:w3").await, "51");
    assert_eq!(run("kind:imaging status:failed").await, "2");
    assert_eq!(run("source:absurd").await, "54321");
    assert_eq!(run("source:jobs").await, "");
    assert_eq!(run("batch:7").await, "");
    // Wildcards typed by the operator are literal, and quotes cannot break out.
    assert_eq!(run("error:%").await, "");
    assert_eq!(run("kind:'; DROP TABLE absurd.tasks; --").await, "");
    assert_eq!(run("").await, "54321");
}

#[tokio::test]
async fn keyset_page_two_continues_page_one_across_tied_creation_times() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let queue = seeded(server, "keyset", 500).await;
    let mut seen = Vec::new();
    let mut query = ListQuery {
        limit: 37,
        ..ListQuery::default()
    };
    loop {
        let page = queue.tasks(&query).await.unwrap();
        assert!(page.rows.len() <= 37);
        seen.extend(page.rows.iter().map(|r| (r.created_at, r.key.id.clone())));
        match page.next {
            Some(next) => query.after = Some(next),
            None => {
                assert!(!page.has_more);
                break;
            }
        }
    }
    assert_eq!(seen.len(), 500, "every task exactly once");
    let mut unique = seen.iter().map(|(_, id)| id.clone()).collect::<Vec<_>>();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 500);
    assert!(
        seen.windows(2).all(|w| w[0].0 >= w[1].0),
        "newest first all the way down"
    );
}

#[tokio::test]
async fn the_failed_only_list_of_a_seeded_queue_matches_its_count() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let url = server.create_database("seeded_failed");
    let summary = seed_tasks(&url, 3_000, NOW, 9).await.unwrap();
    let queue = Queue::connect(&url, &QueueOptions::default())
        .await
        .unwrap();
    let page = queue
        .tasks(&filtered("status:failed", 10_000))
        .await
        .unwrap();
    assert_eq!(page.rows.len() as u64, summary.failed());
    let trap = page
        .rows
        .iter()
        .filter(|r| r.raw_status == "completed (result: error)")
        .count() as u64;
    assert_eq!(trap, summary.failed_in_result);
    assert!(page.rows.iter().all(|r| r.error_line.is_some()));
}

#[tokio::test]
async fn a_task_detail_has_the_whole_error_params_result_and_timings() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let queue = queue_with(server, "detail", TRAP_ROWS).await;
    let detail = queue
        .task_detail("absurd:22222222-2222-4222-8222-222222222222")
        .await
        .unwrap()
        .expect("the task exists");
    assert_eq!(detail.row.status, JobStatus::Failed);
    let error = detail.error_full.unwrap();
    assert!(
        error.starts_with("Traceback (most recent call last):"),
        "{error}"
    );
    assert!(
        error.ends_with("MemoryError: Unable to allocate 3.79 GiB"),
        "{error}"
    );
    let params = detail.params_pretty.unwrap();
    assert!(params.contains("\n"), "pretty JSON: {params}");
    assert!(params.contains("2025-10-21T14:28:28.ms"));
    let extra: std::collections::HashMap<_, _> = detail.extra.into_iter().collect();
    assert_eq!(extra["worker"], "w2");
    assert_eq!(extra["attempt"], "3/3");
    assert_eq!(extra["queue"], "dsa110-pipeline");

    let trap = queue
        .task_detail("11111111-1111-4111-8111-111111111111")
        .await
        .unwrap()
        .unwrap();
    assert!(
        trap.artifacts_pretty
            .unwrap()
            .contains("\"status\": \"error\"")
    );
    assert!(trap.error_full.unwrap().contains("no valid calibrator"));
    assert_eq!(extra.get("result status"), None);

    assert_eq!(
        queue
            .task_detail("99999999-9999-4999-8999-999999999999")
            .await
            .unwrap(),
        None
    );
    assert_eq!(queue.task_detail("not-a-uuid").await.unwrap(), None);
}

#[tokio::test]
async fn a_database_without_the_absurd_schema_reports_it_missing() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let url = server.create_database("no_schema");
    let queue = Queue::connect(&url, &QueueOptions::default())
        .await
        .expect("the server and database are there");
    let err = queue.tasks(&ListQuery::default()).await.unwrap_err();
    assert!(err.is_missing(), "{err}");
    assert!(err.to_string().contains("absurd.tasks"), "{err}");
}
