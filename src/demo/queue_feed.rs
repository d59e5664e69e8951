//! The demo's queue side of the pipeline: a history of tasks and ingestion groups, then new
//! tasks every few seconds (a few of them failing, as crashes or as stage errors stored as
//! `completed`, a few completing as no-ops), and the pipeline queue's waiting work picked up
//! after a while, as its workers would. Every row has the pipeline's shapes
//! (`demo::upstream::queue`): nested params, `{status, message, errors, outputs}` results,
//! bare `str(e)` errors.

use std::time::Duration;

use sqlx::{Connection, PgConnection};
use tokio::sync::watch;

use crate::demo::upstream::queue::{self as shapes, worker_id};
use crate::queue::seed::{SeedTask, generate, seed_tasks};
use crate::queue::{INGESTION_QUEUE, PIPELINE_QUEUE};

/// Tasks in the demo's history (about two days at the seed's spacing).
pub const HISTORY_TASKS: usize = 4_000;
/// How often new tasks arrive.
const TICK: Duration = Duration::from_secs(5);
/// Waiting work older than this is picked up and finished.
const PICKUP_AFTER_S: f64 = 120.0;

/// Seed the history ending at `now`.
pub async fn seed_history(url: &str, now: f64) -> anyhow::Result<()> {
    seed_tasks(url, HISTORY_TASKS, now, 2025).await?;
    // Subbands scanned onto the ingestion queue, which no worker polls: they wait.
    let mut conn = PgConnection::connect(url).await?;
    let group = shapes::group_id_at(now - UNPOLLED_SINCE_S);
    for sb in 0..UNPOLLED_SUBBANDS {
        let at = now - UNPOLLED_SINCE_S + f64::from(sb) * 20.0;
        let task = shapes::TaskShape {
            task_id: shapes::fixture_uuid(0x00de_0000 + sb),
            queue_name: INGESTION_QUEUE.into(),
            task_name: "ingest-subband".into(),
            params: shapes::params("ingest-subband", &group, sb),
            priority: 5,
            status: "pending",
            worker_id: None,
            attempt: 0,
            result: None,
            error: None,
            created_at: at,
            claimed_at: None,
            completed_at: None,
        };
        shapes::insert_task(&mut conn, &task).await?;
    }
    let _ = conn.close().await;
    Ok(())
}

/// How many subband tasks wait on the unpolled ingestion queue, and since when.
const UNPOLLED_SUBBANDS: u32 = 16;
const UNPOLLED_SINCE_S: f64 = 3.0 * 3600.0;

/// Keep feeding the queue until `shutdown` says stop.
pub async fn run_feed(url: String, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    // Named like a pipeline worker, so its session has a row of its own in the Pool tab.
    let options: sqlx::postgres::PgConnectOptions = url.parse()?;
    let mut conn = PgConnection::connect_with(&options.application_name("contimg-worker")).await?;
    let mut tick: u64 = 0;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = shutdown.changed() => return Ok(()),
        }
        if *shutdown.borrow() {
            return Ok(());
        }
        tick += 1;
        let now = crate::services::now_unix();
        // A fresh batch ending now; keep its finished tasks (the seed gives each a new id).
        let (tasks, _) = generate(12, now, 10_000 + tick);
        let finished: Vec<&SeedTask> = tasks
            .iter()
            .filter(|t| matches!(t.status, "completed" | "failed"))
            .rev()
            .take(2)
            .collect();
        for t in finished {
            insert(&mut conn, t, now).await?;
        }
        // Picked up and finished as the queue's claim and complete functions leave a task,
        // with a result in the executors' shape. The ingestion queue is left alone: no
        // worker polls it.
        sqlx::query(
            "UPDATE absurd.tasks SET status = 'completed', worker_id = $2, \
                 attempt = attempt + 1, claimed_at = COALESCE(claimed_at, now()), \
                 completed_at = now(), \
                 wait_time_sec = EXTRACT(EPOCH FROM (COALESCE(claimed_at, now()) - created_at)), \
                 execution_time_sec = 0, \
                 result = jsonb_build_object('status', 'success', \
                     'message', task_name || ' completed', \
                     'outputs', COALESCE(params->'outputs', '{}'::jsonb)) \
             WHERE status = 'pending' AND queue_name = $3 \
               AND created_at < now() - $1 * INTERVAL '1 second'",
        )
        .bind(PICKUP_AFTER_S)
        .bind(worker_id("lxd110h17", 1))
        .bind(PIPELINE_QUEUE)
        .execute(&mut conn)
        .await?;
    }
}

async fn insert(conn: &mut PgConnection, t: &SeedTask, now: f64) -> Result<(), sqlx::Error> {
    // Shifted so it finished just now.
    let shift = now - t.completed_at.unwrap_or(now);
    sqlx::query(
        "INSERT INTO absurd.tasks (task_id, queue_name, task_name, params, priority, timeout_sec, \
             status, worker_id, attempt, max_retries, result, error, created_at, claimed_at, \
             completed_at, wait_time_sec, execution_time_sec) \
         VALUES ($1::uuid, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, 3, $10::jsonb, $11, \
             to_timestamp($12), to_timestamp($13), to_timestamp($14), $15, $16) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&t.task_id)
    .bind(&t.queue_name)
    .bind(&t.task_name)
    .bind(&t.params)
    .bind(t.priority)
    .bind(t.timeout_sec)
    .bind(t.status)
    .bind(&t.worker_id)
    .bind(t.attempt)
    .bind(&t.result)
    .bind(&t.error)
    .bind(t.created_at + shift)
    .bind(t.claimed_at.map(|c| c + shift))
    .bind(t.completed_at.map(|c| c + shift))
    .bind(t.wait_time_sec)
    .bind(t.execution_time_sec)
    .execute(conn)
    .await?;
    Ok(())
}
