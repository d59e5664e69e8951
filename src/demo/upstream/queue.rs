//! Real-shape records: the ABSURD task queue in PostgreSQL, in the shapes the pipeline's
//! `absurd/` code writes (read from `client.py`, `worker.py`, `adapter.py`, `ingestion.py`,
//! `ingestion_db.py`; our own values):
//!
//! - params nested as `{config, inputs, outputs}`, the target under the key each task name's
//!   executor reads; old queues' flat `{ms_path}` too;
//! - results `{status, message, errors, outputs}`; a stage error is `completed` with
//!   `status: error`; the systemd workers' default executor completes with `status: no-op`;
//! - `error` as the worker writes it: bare `str(e)` on a crash, `Task cancelled` when the
//!   task's coroutine was cancelled, `Cancelled by user` from the API's cancel;
//! - worker ids `{hostname}-{8 hex}`; `ingest-subband` on `dsa110-ingestion`, the rest on
//!   `dsa110-pipeline`; nothing ever `retrying`; a dead worker's claim left `claimed`;
//! - `ingestion_groups` (and `ingestion_subbands` where the schema has it).
//!
//! The shape writers here also feed the benchmark/demo generator (`queue::seed`) and the
//! live demo's queue feed, so `demo --with-postgres` shows the same.

use serde_json::{Value, json};
use sqlx::PgPool;

use super::UpstreamFixture;
use crate::queue::target::DEFAULT_MS_DIR;
use crate::queue::{INGESTION_QUEUE, PIPELINE_QUEUE};

/// Where the subband files arrive.
pub const INCOMING_DIR: &str = "/data/incoming";
/// Where images are written.
pub const IMAGES_DIR: &str = "/stage/dsa110-contimg/images";

/// The MS `convert-group` writes for a group.
pub fn ms_for_group(group_id: &str) -> String {
    format!("{DEFAULT_MS_DIR}/{group_id}.ms")
}

/// One subband file of a group, as the correlator names it.
pub fn subband_file(group_id: &str, subband: u32) -> String {
    format!("{INCOMING_DIR}/{group_id}_sb{subband:02}.hdf5")
}

/// The primary-beam-corrected CASA image the imaging stage registers for an MS.
pub fn image_for_ms(ms_path: &str) -> String {
    let stem = ms_path
        .rsplit('/')
        .next()
        .unwrap_or(ms_path)
        .trim_end_matches(".ms");
    format!("{IMAGES_DIR}/{stem}.img.image.pbcor")
}

/// A worker id as the worker makes it: host name, a dash, 8 hex digits.
pub fn worker_id(host: &str, n: u32) -> String {
    format!("{host}-{:08x}", n.wrapping_mul(0x9e37_79b9))
}

/// The queue a task name is spawned on.
pub fn queue_for(task_name: &str) -> &'static str {
    match task_name {
        "ingest-subband" | "scan-ingestion-directory" => INGESTION_QUEUE,
        _ => PIPELINE_QUEUE,
    }
}

/// A small stand-in for the `PipelineConfig` dict the spawner passes.
fn config() -> Value {
    json!({"paths": {"output_dir": DEFAULT_MS_DIR, "images_dir": IMAGES_DIR}, "imaging": {"imsize": 5040, "cell": "2.500arcsec"}})
}

/// The params a task name is spawned with, its target where its executor reads it.
pub fn params(task_name: &str, group_id: &str, subband: u32) -> Value {
    let ms = ms_for_group(group_id);
    match task_name {
        "ingest-subband" => json!({"inputs": {
            "file_path": subband_file(group_id, subband), "incoming_dir": INCOMING_DIR}}),
        "normalize-group" | "convert-group" => json!({"inputs": {"group_id": group_id}}),
        "scan-ingestion-directory" => json!({"inputs": {"incoming_dir": INCOMING_DIR}}),
        "convert-uvh5-to-ms" | "catalog-setup" => json!({"config": config(), "inputs": {
            "input_path": subband_file(group_id, 0),
            "start_time": group_id, "end_time": group_id}}),
        "calibration-solve" => json!({"config": config(), "inputs": {"ms_path": ms}}),
        "calibration-apply" => json!({"config": config(), "inputs": {}, "outputs": {
            "ms_path": ms, "caltables": {"K": format!("{ms}.K"), "BP": format!("{ms}.B"), "G": format!("{ms}.G")}}}),
        "validation" | "crossmatch" => {
            json!({"config": config(), "inputs": {}, "outputs": {"image_path": image_for_ms(&ms)}})
        }
        // imaging, photometry, organize-files and the rest read outputs.ms_path.
        _ => json!({"config": config(), "inputs": {}, "outputs": {"ms_path": ms}}),
    }
}

/// The params an older queue wrote: flat.
pub fn flat_params(group_id: &str) -> Value {
    json!({"ms_path": ms_for_group(group_id)})
}

/// A success as the executor returns it.
pub fn result_success(task_name: &str, group_id: &str, subband: u32) -> Value {
    let ms = ms_for_group(group_id);
    let (outputs, message) = match task_name {
        "ingest-subband" => (
            json!({"group_id": group_id, "subband_idx": subband, "subband_count": subband + 1,
                   "group_complete": subband == 15, "dec_deg": 16.12}),
            format!("Recorded subband {subband} for group {group_id}"),
        ),
        "normalize-group" => (
            json!({"canonical_group_id": group_id, "files_renamed": 0, "file_paths": {}}),
            format!("Normalized 0 files to group {group_id}"),
        ),
        "convert-group" => (
            json!({"ms_path": ms, "group_id": group_id}),
            format!("Converted group {group_id} to {ms}"),
        ),
        "imaging" => (
            json!({"ms_path": ms, "image_path": image_for_ms(&ms)}),
            "Imaging completed successfully".to_string(),
        ),
        "calibration-solve" => (
            json!({"ms_path": ms, "caltables": {"K": format!("{ms}.K"), "BP": format!("{ms}.B")}}),
            "Calibration solved: 2 tables".to_string(),
        ),
        "validation" => (
            json!({"image_path": image_for_ms(&ms), "validation_results": {"status": "pass"}}),
            "Validation completed with status: pass".to_string(),
        ),
        _ => (json!({"ms_path": ms}), format!("{task_name} completed")),
    };
    json!({"status": "success", "outputs": outputs, "message": message})
}

/// A stage error as the executor returns it: `completed`, result status `error`.
pub fn result_error(message: &str, errors: &[&str]) -> Value {
    json!({"status": "error", "message": message, "errors": errors})
}

/// What the systemd workers' default executor returns: it runs nothing.
pub fn result_no_op(task_name: &str) -> Value {
    json!({"status": "no-op", "task_name": task_name})
}

/// The executor's own error results, by kind (our values, the pipeline's shapes).
pub fn stage_error(kind: u32, group_id: &str) -> Value {
    let ms = ms_for_group(group_id);
    match kind % 4 {
        0 => {
            let e = format!(
                "Stage 'imaging' failed after 3 attempts: Imaging failed: No image files created for {ms}"
            );
            result_error(&e, &[&e])
        }
        1 => result_error(
            "Missing required output: ms_path",
            &["ms_path not found in outputs"],
        ),
        2 => result_error(
            &format!("Validation failed: MS {ms} has no CORRECTED_DATA column"),
            &[&format!("MS {ms} has no CORRECTED_DATA column")],
        ),
        _ => result_error("Incomplete group: 11/16 subbands", &["incomplete_group"]),
    }
}

/// A crash's `error` as the worker stores it: `str(e)`, no traceback, no class name.
pub fn crash_error(kind: u32, group_id: &str) -> String {
    let ms = ms_for_group(group_id);
    match kind % 3 {
        0 => format!("[Errno 2] No such file or directory: '{ms}'"),
        1 => format!("table {ms}/table.lock is locked by another process"),
        _ => "Unable to allocate 3.79 GiB for an array with shape (5040, 5040, 16, 1)".into(),
    }
}

/// What the worker writes when the task's coroutine is cancelled (status `failed`).
pub const TASK_CANCELLED: &str = "Task cancelled";
/// What the API's cancel writes (status `cancelled`, from pending or claimed).
pub const CANCELLED_BY_USER: &str = "Cancelled by user";

/// One task row in the shapes above.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskShape {
    pub task_id: String,
    pub queue_name: String,
    pub task_name: String,
    pub params: Value,
    pub priority: i32,
    pub status: &'static str,
    pub worker_id: Option<String>,
    pub attempt: i32,
    pub result: Option<Value>,
    pub error: Option<String>,
    pub created_at: f64,
    pub claimed_at: Option<f64>,
    pub completed_at: Option<f64>,
}

impl TaskShape {
    fn new(n: u32, task_name: &str, params: Value, created_at: f64) -> TaskShape {
        TaskShape {
            task_id: fixture_uuid(n),
            queue_name: queue_for(task_name).into(),
            task_name: task_name.into(),
            params,
            priority: match task_name {
                "normalize-group" | "convert-group" => 10,
                "ingest-subband" => 5,
                _ => 0,
            },
            status: "pending",
            worker_id: None,
            attempt: 0,
            result: None,
            error: None,
            created_at,
            claimed_at: None,
            completed_at: None,
        }
    }

    fn claimed(mut self, worker: &str, at: f64) -> Self {
        self.status = "claimed";
        self.worker_id = Some(worker.into());
        self.attempt = 1;
        self.claimed_at = Some(at);
        self
    }

    fn completed(mut self, worker: &str, claimed: f64, done: f64, result: Value) -> Self {
        self = self.claimed(worker, claimed);
        self.status = "completed";
        self.completed_at = Some(done);
        self.result = Some(result);
        self
    }

    fn failed(mut self, worker: &str, claimed: f64, done: f64, error: &str) -> Self {
        self = self.claimed(worker, claimed);
        self.status = "failed";
        self.completed_at = Some(done);
        self.error = Some(error.into());
        self
    }
}

/// A fixed, valid v4 UUID per number.
pub fn fixture_uuid(n: u32) -> String {
    format!("{n:08x}-5eed-4000-8000-{:012x}", u64::from(n) * 0x1_0001)
}

/// What [`seed`] wrote that the stories look for.
#[derive(Debug, Clone, PartialEq)]
pub struct SeededQueue {
    /// A `calibration-solve` task whose MS is at `inputs.ms_path`.
    pub nested_task: String,
    pub nested_ms: String,
    /// A pending `convert-group` (target `inputs.group_id`): its MS is derived.
    pub convert_group_task: String,
    pub convert_group_id: String,
    /// Tasks completed with `result.status = "no-op"`.
    pub no_op_tasks: Vec<String>,
    /// A task claimed hours ago by a worker silent since.
    pub stale_claim_task: String,
    pub stale_worker: String,
    /// A task claimed a minute ago (not stuck).
    pub fresh_claim_task: String,
    /// An `imaging` task with the old flat `{ms_path}` params.
    pub flat_task: String,
    pub flat_ms: String,
    /// Pending on each queue.
    pub pending_ingestion: u64,
    pub pending_pipeline: u64,
    /// A group stuck collecting subbands.
    pub stuck_group: String,
    /// Every task written.
    pub tasks: Vec<TaskShape>,
}

/// The group id (subband 0's timestamp) of a Unix time.
pub fn group_id_at(unix: f64) -> String {
    crate::text::fmt_utc(unix.floor()).replace(' ', "T")
}

/// Write the queue's real-shape records at the fixture's clock (schema included, idempotent
/// for the schema; the rows go in once).
pub async fn seed(pool: &PgPool, fx: &UpstreamFixture) -> anyhow::Result<SeededQueue> {
    sqlx::raw_sql(crate::queue::seed::SCHEMA_SQL)
        .execute(pool)
        .await?;
    let now = fx.now;
    let h = 3600.0;
    let host = "lxd110h17";
    let w_real = worker_id(host, 1);
    let w_noop = worker_id(host, 2);
    let w_dead = worker_id(host, 3);
    let w_live = worker_id(host, 4);
    let g_done = group_id_at(now - 6.0 * h);
    let g_bad = group_id_at(now - 5.0 * h);
    let g_stuck = group_id_at(now - 4.0 * h);
    let g_new = group_id_at(now - 120.0);
    let g_noop = group_id_at(now - 2.0 * h);
    let mut n = 0u32;
    let mut next = || {
        n += 1;
        n
    };
    let mut tasks: Vec<TaskShape> = Vec::new();

    // A group that went all the way, each stage reading its own key.
    let mut t = now - 6.0 * h + 30.0;
    for sb in [0u32, 15] {
        tasks.push(
            TaskShape::new(
                next(),
                "ingest-subband",
                params("ingest-subband", &g_done, sb),
                t,
            )
            .completed(
                &w_real,
                t + 2.0,
                t + 4.0,
                result_success("ingest-subband", &g_done, sb),
            ),
        );
        t += 10.0;
    }
    for stage in [
        "normalize-group",
        "convert-group",
        "calibration-solve",
        "calibration-apply",
        "imaging",
        "validation",
    ] {
        tasks.push(
            TaskShape::new(next(), stage, params(stage, &g_done, 0), t).completed(
                &w_real,
                t + 3.0,
                t + 240.0,
                result_success(stage, &g_done, 0),
            ),
        );
        t += 300.0;
    }
    let nested = tasks
        .iter()
        .find(|t| t.task_name == "calibration-solve")
        .map(|t| t.task_id.clone())
        .unwrap_or_default();

    // Stage errors as results, crashes as bare str(e), cancellations both ways.
    let mut t = now - 5.0 * h;
    for (i, stage) in [
        "imaging",
        "calibration-apply",
        "calibration-solve",
        "convert-group",
    ]
    .iter()
    .enumerate()
    {
        let mut p = params(stage, &g_bad, 0);
        if *stage == "calibration-apply" {
            // Spawned without its outputs: the executor says so.
            p = json!({"config": config(), "inputs": {}, "outputs": {}});
        }
        tasks.push(TaskShape::new(next(), stage, p, t).completed(
            &w_real,
            t + 5.0,
            t + 90.0,
            stage_error(i as u32, &g_bad),
        ));
        t += 120.0;
    }
    for kind in 0..3u32 {
        tasks.push(
            TaskShape::new(next(), "imaging", params("imaging", &g_bad, 0), t).failed(
                &w_real,
                t + 5.0,
                t + 60.0,
                &crash_error(kind, &g_bad),
            ),
        );
        t += 120.0;
    }
    tasks.push(
        TaskShape::new(next(), "photometry", params("photometry", &g_bad, 0), t).failed(
            &w_real,
            t + 5.0,
            t + 30.0,
            TASK_CANCELLED,
        ),
    );
    t += 120.0;
    let mut cancelled = TaskShape::new(next(), "imaging", params("imaging", &g_bad, 0), t)
        .claimed(&w_real, t + 5.0);
    cancelled.status = "cancelled";
    cancelled.error = Some(CANCELLED_BY_USER.into());
    cancelled.completed_at = Some(t + 50.0);
    tasks.push(cancelled);

    // The systemd workers' no-op executor: "completed", having done nothing.
    let mut no_op = Vec::new();
    let mut t = now - 2.0 * h;
    for stage in ["convert-group", "calibration-solve", "imaging"] {
        let task = TaskShape::new(next(), stage, params(stage, &g_noop, 0), t).completed(
            &w_noop,
            t + 1.0,
            t + 1.2,
            result_no_op(stage),
        );
        no_op.push(task.task_id.clone());
        tasks.push(task);
        t += 60.0;
    }

    // An old queue's flat params.
    let flat = TaskShape::new(next(), "imaging", flat_params(&g_done), now - 7.0 * h).completed(
        &w_real,
        now - 7.0 * h + 5.0,
        now - 7.0 * h + 400.0,
        result_success("imaging", &g_done, 0),
    );
    let flat_id = flat.task_id.clone();
    tasks.push(flat);

    // A worker that died holding its claim three hours ago, and a live one.
    let stale = TaskShape::new(
        next(),
        "imaging",
        params("imaging", &g_stuck, 0),
        now - 3.0 * h - 60.0,
    )
    .claimed(&w_dead, now - 3.0 * h);
    let stale_id = stale.task_id.clone();
    tasks.push(stale);
    let fresh = TaskShape::new(
        next(),
        "calibration-solve",
        params("calibration-solve", &g_new, 0),
        now - 90.0,
    )
    .claimed(&w_live, now - 60.0);
    let fresh_id = fresh.task_id.clone();
    tasks.push(fresh);

    // Waiting work: the ingestion queue nobody polls, and the pipeline's own.
    let mut pending_ingestion = 0;
    for sb in 0..5u32 {
        tasks.push(TaskShape::new(
            next(),
            "ingest-subband",
            params("ingest-subband", &g_stuck, sb + 11),
            now - 2.0 * h + f64::from(sb) * 30.0,
        ));
        pending_ingestion += 1;
    }
    let convert = TaskShape::new(
        next(),
        "convert-group",
        params("convert-group", &g_new, 0),
        now - 30.0,
    );
    let convert_id = convert.task_id.clone();
    tasks.push(convert);
    tasks.push(TaskShape::new(
        next(),
        "imaging",
        params("imaging", &g_done, 0),
        now - 20.0,
    ));
    let pending_pipeline = 2;

    for task in &tasks {
        insert_task(pool, task).await?;
    }

    // Ingestion groups: done, failed, stuck collecting, full and waiting. A failed
    // conversion leaves str(e) in error_message and clears ms_path.
    let group = |id: &str, state: &'static str, subbands: i32, at: f64| GroupShape {
        group_id: id.to_string(),
        state,
        subbands,
        at,
        ms_path: (state == "completed").then(|| ms_for_group(id)),
        error: None,
    };
    let mut failed = group(&g_bad, "failed", 16, now - 5.0 * h);
    failed.error = Some(format!(
        "HDF5 read failed: {} is truncated",
        subband_file(&g_bad, 7)
    ));
    let groups = [
        group(&g_done, "completed", 16, now - 6.0 * h),
        failed,
        group(&g_stuck, "collecting", 11, now - 4.0 * h),
        group(&g_noop, "completed", 16, now - 2.0 * h),
        group(&g_new, "pending", 16, now - 120.0),
    ];
    for g in &groups {
        insert_group(pool, g).await?;
    }

    Ok(SeededQueue {
        nested_task: nested,
        nested_ms: ms_for_group(&g_done),
        convert_group_task: convert_id,
        convert_group_id: g_new,
        no_op_tasks: no_op,
        stale_claim_task: stale_id,
        stale_worker: w_dead,
        fresh_claim_task: fresh_id,
        flat_task: flat_id,
        flat_ms: ms_for_group(&g_done),
        pending_ingestion,
        pending_pipeline,
        stuck_group: g_stuck,
        tasks,
    })
}

/// One ingestion group row.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupShape {
    pub group_id: String,
    pub state: &'static str,
    pub subbands: i32,
    pub at: f64,
    pub ms_path: Option<String>,
    pub error: Option<String>,
}

/// Insert a group as `ingestion_db.py` leaves it, and its subbands.
pub async fn insert_group(pool: &PgPool, g: &GroupShape) -> anyhow::Result<()> {
    let done = matches!(g.state, "completed" | "failed").then_some(g.at + 300.0);
    sqlx::query(
        "INSERT INTO absurd.ingestion_groups (group_id, state, subband_count, \
             expected_subbands, dec_deg, ra_deg, created_at, updated_at, completed_at, \
             ms_path, error_message) \
         VALUES ($1, $2, $3, 16, 16.12, $4, to_timestamp($5), to_timestamp($6), \
             to_timestamp($7), $8, $9)",
    )
    .bind(&g.group_id)
    .bind(g.state)
    .bind(g.subbands)
    .bind((g.at / 240.0).rem_euclid(360.0))
    .bind(g.at)
    .bind(done.unwrap_or(g.at + 60.0))
    .bind(done)
    .bind(&g.ms_path)
    .bind(&g.error)
    .execute(pool)
    .await?;
    write_subbands(pool, &g.group_id, g.subbands, g.at).await
}

/// One row per subband received, where the schema has `ingestion_subbands`.
async fn write_subbands(pool: &PgPool, group: &str, count: i32, at: f64) -> anyhow::Result<()> {
    let present: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('absurd.ingestion_subbands')::text")
            .fetch_one(pool)
            .await?;
    if present.is_none() {
        return Ok(());
    }
    for sb in 0..count {
        sqlx::query(
            "INSERT INTO absurd.ingestion_subbands (group_id, subband_idx, file_path, recorded_at) \
             VALUES ($1, $2, $3, to_timestamp($4)) ON CONFLICT DO NOTHING",
        )
        .bind(group)
        .bind(sb)
        .bind(subband_file(group, sb as u32))
        .bind(at + f64::from(sb) * 2.0)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Insert one task as the queue's own functions leave it (wait and run times as
/// `complete_task`/`fail_task` compute them).
pub async fn insert_task<'e, E>(conn: E, t: &TaskShape) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Postgres>,
{
    // Only complete_task and fail_task set the two durations.
    let finished = matches!(t.status, "completed" | "failed");
    let wait = t.claimed_at.map(|c| c - t.created_at).filter(|_| finished);
    let ran = match (t.claimed_at, t.completed_at) {
        (Some(c), Some(d)) if finished => Some(d - c),
        _ => None,
    };
    sqlx::query(
        "INSERT INTO absurd.tasks (task_id, queue_name, task_name, params, priority, \
             timeout_sec, status, worker_id, attempt, max_retries, result, error, created_at, \
             claimed_at, completed_at, wait_time_sec, execution_time_sec) \
         VALUES ($1::uuid, $2, $3, $4::jsonb, $5, NULL, $6, $7, $8, 3, $9::jsonb, $10, \
             to_timestamp($11), to_timestamp($12), to_timestamp($13), $14, $15) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&t.task_id)
    .bind(&t.queue_name)
    .bind(&t.task_name)
    .bind(t.params.to_string())
    .bind(t.priority)
    .bind(t.status)
    .bind(&t.worker_id)
    .bind(t.attempt)
    .bind(t.result.as_ref().map(Value::to_string))
    .bind(&t.error)
    .bind(t.created_at)
    .bind(t.claimed_at)
    .bind(t.completed_at)
    .bind(wait)
    .bind(ran)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::target::resolve;

    #[test]
    fn every_task_name_gets_its_target_where_its_executor_reads_it() {
        let g = "2025-10-21T14:23:19";
        for (name, key) in [
            ("ingest-subband", "inputs.file_path"),
            ("convert-group", "inputs.group_id"),
            ("convert-uvh5-to-ms", "inputs.input_path"),
            ("calibration-solve", "inputs.ms_path"),
            ("calibration-apply", "outputs.ms_path"),
            ("imaging", "outputs.ms_path"),
            ("photometry", "outputs.ms_path"),
            ("validation", "outputs.image_path"),
        ] {
            let t = resolve(name, &params(name, g, 3)).unwrap();
            assert_eq!(t.path.dotted(), key, "{name}");
        }
        assert_eq!(queue_for("ingest-subband"), "dsa110-ingestion");
        assert_eq!(queue_for("convert-group"), "dsa110-pipeline");
    }

    #[test]
    fn worker_ids_and_uuids_have_the_pipelines_shapes() {
        let w = worker_id("lxd110h17", 3);
        let (host, hex) = w.rsplit_once('-').unwrap();
        assert_eq!(host, "lxd110h17");
        assert!(hex.len() == 8 && hex.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(crate::queue::target::looks_like_group_id(&group_id_at(
            1_761_056_599.0
        )));
        let id = fixture_uuid(7);
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }
}
