//! Writing a queue for tests, the demo (`--with-postgres`) and the benchmark, through its own
//! writable connection. The monitor's [`Queue`](super::Queue) never writes.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sqlx::postgres::PgConnection;
use sqlx::{Connection, Executor};
use thiserror::Error;

// The pipeline's own shapes (params, results, errors, worker ids), shared with the
// real-shape fixture and the live demo.
use crate::demo::upstream::queue as shapes;

/// The `absurd` schema as the pipeline creates it (tables and indexes).
pub const SCHEMA_SQL: &str = include_str!("../../migrations/postgres/0001_absurd.sql");

#[derive(Debug, Error)]
pub enum SeedError {
    #[error("cannot open a writable connection to the queue: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("writing the queue failed: {0}")]
    Write(#[source] sqlx::Error),
}

/// Create the `absurd` schema, tables and indexes (idempotent).
pub async fn apply_schema(url: &str) -> Result<(), SeedError> {
    let mut conn = PgConnection::connect(url)
        .await
        .map_err(SeedError::Connect)?;
    conn.execute(sqlx::raw_sql(SCHEMA_SQL))
        .await
        .map_err(SeedError::Write)?;
    let _ = conn.close().await;
    Ok(())
}

/// Seconds between two tasks: about 2 200 a day, what ~280 MS a day through 8 stages make.
pub const TASK_SPACING_S: f64 = 40.0;
/// Tasks per observation group (one per pipeline stage).
const STAGES_PER_GROUP: usize = 8;
/// Rows per INSERT statement: large enough to be fast, small enough for the bind limit.
const INSERT_CHUNK: usize = 5_000;
/// A claimed task this old is the "running over" one the seed plants.
const STUCK_CLAIM_AGE_S: f64 = 2.0 * 3600.0;

const STAGES: [&str; STAGES_PER_GROUP] = [
    "convert-uvh5-to-ms",
    "calibration-solve",
    "calibration-apply",
    "imaging",
    "validation",
    "crossmatch",
    "photometry",
    "organize-files",
];
const OCCASIONAL_STAGES: [&str; 4] = [
    "catalog-setup",
    "create-mosaic",
    "ingest-subband",
    "convert-group",
];

/// What a seed wrote, counted as the queue should report it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedSummary {
    pub tasks: u64,
    /// `status = 'failed'` (crashes).
    pub failed_crashed: u64,
    /// `status = 'completed'` with `result.status = 'error'` (the trap).
    pub failed_in_result: u64,
    pub pending: u64,
    pub retrying: u64,
    pub claimed: u64,
    /// `completed` with `result.status = 'no-op'` (the default executor ran).
    pub no_op: u64,
    /// Claimed longer than 30 minutes before `now`.
    pub claimed_over_30min: u64,
    pub groups: u64,
    /// Collecting, short of subbands, with no update for over an hour.
    pub stuck_groups: u64,
}

impl SeedSummary {
    pub fn failed(&self) -> u64 {
        self.failed_crashed + self.failed_in_result
    }
}

/// One task row as it will be inserted.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedTask {
    pub task_id: String,
    pub queue_name: String,
    pub task_name: String,
    pub params: String,
    pub priority: i32,
    pub timeout_sec: i32,
    pub status: &'static str,
    pub worker_id: Option<String>,
    pub attempt: i32,
    pub result: Option<String>,
    pub error: Option<String>,
    pub created_at: f64,
    pub claimed_at: Option<f64>,
    pub completed_at: Option<f64>,
    pub wait_time_sec: Option<f64>,
    pub execution_time_sec: Option<f64>,
}

/// One ingestion group row as it will be inserted.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedGroup {
    pub group_id: String,
    pub state: &'static str,
    pub subband_count: i32,
    pub dec_deg: f64,
    pub ra_deg: f64,
    pub created_at: f64,
    pub updated_at: f64,
    pub completed_at: Option<f64>,
    pub ms_path: Option<String>,
    pub error_message: Option<String>,
}

/// Insert `n` realistic tasks ending at `now` (Unix seconds) and their ingestion groups,
/// creating the schema first. The same `seed` gives the same rows.
pub async fn seed_tasks(
    url: &str,
    n: usize,
    now: f64,
    seed: u64,
) -> Result<SeedSummary, SeedError> {
    apply_schema(url).await?;
    let (tasks, groups) = generate(n, now, seed);
    let mut conn = PgConnection::connect(url)
        .await
        .map_err(SeedError::Connect)?;
    for chunk in tasks.chunks(INSERT_CHUNK) {
        insert_tasks(&mut conn, chunk)
            .await
            .map_err(SeedError::Write)?;
    }
    for chunk in groups.chunks(INSERT_CHUNK) {
        insert_groups(&mut conn, chunk)
            .await
            .map_err(SeedError::Write)?;
    }
    // Fresh statistics, so the planner sees the table as it is (as autovacuum would later).
    conn.execute("ANALYZE absurd.tasks; ANALYZE absurd.ingestion_groups")
        .await
        .map_err(SeedError::Write)?;
    let _ = conn.close().await;
    Ok(summarise(&tasks, &groups, now))
}

/// The rows a seed writes (pure: the same arguments give the same rows).
pub fn generate(n: usize, now: f64, seed: u64) -> (Vec<SeedTask>, Vec<SeedGroup>) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let oldest = now - n as f64 * TASK_SPACING_S;
    // The newest 1 % (three to forty) are still waiting or running: a healthy queue.
    let in_flight = (n / 100).clamp(3, 40).min(n);
    let stuck_claim = (0..n)
        .find(|&i| now - task_created(oldest, i) < STUCK_CLAIM_AGE_S)
        .and_then(|i| i.checked_sub(1))
        .filter(|&i| now - task_created(oldest, i) > 45.0 * 60.0);
    let tasks: Vec<SeedTask> = (0..n)
        .map(|i| {
            let created = task_created(oldest, i);
            let group_id = group_id(oldest, i / STAGES_PER_GROUP);
            let fate = if Some(i) == stuck_claim {
                Fate::Claimed { at: created + 60.0 }
            } else if i >= n - in_flight {
                // Nothing in the pipeline sets `retrying`: waiting work is `pending`.
                match (n - 1 - i) % 7 {
                    1 | 5 => Fate::Claimed {
                        at: (now - rng.random_range(5.0..120.0_f64)).max(created),
                    },
                    _ => Fate::Pending,
                }
            } else {
                let r: f64 = rng.random();
                match r {
                    r if r < 0.0375 => Fate::Crashed,
                    r if r < 0.075 => Fate::ResultError,
                    r if r < 0.08 => Fate::Cancelled,
                    // A worker started with the no-op default executor now and then.
                    r if r < 0.095 => Fate::NoOp,
                    _ => Fate::Succeeded,
                }
            };
            make_task(&mut rng, i, created, &group_id, fate)
        })
        .collect();
    let groups = make_groups(&mut rng, n, oldest, now);
    (tasks, groups)
}

fn task_created(oldest: f64, i: usize) -> f64 {
    // Every tenth task is spawned in the same instant as the one before it, as a batch
    // spawn does: pagination must break such ties by task id.
    let slot = if i % 10 == 9 { i - 1 } else { i };
    oldest + slot as f64 * TASK_SPACING_S + 0.123_456
}

/// A group id is the timestamp of its subband 0, e.g. `2025-10-21T14:23:19`.
fn group_id(oldest: f64, group: usize) -> String {
    let at = oldest + (group * STAGES_PER_GROUP) as f64 * TASK_SPACING_S - 30.0;
    crate::text::fmt_utc(at).replace(' ', "T")
}

fn ms_path(group_id: &str) -> String {
    shapes::ms_for_group(group_id)
}

/// The host the seeded workers run on (worker ids are `{host}-{8 hex}`).
const WORKER_HOST: &str = "lxd110h17";

#[derive(Debug, Clone, Copy)]
enum Fate {
    Succeeded,
    Crashed,
    ResultError,
    Cancelled,
    NoOp,
    Pending,
    Claimed { at: f64 },
}

fn make_task(rng: &mut SmallRng, i: usize, created: f64, group_id: &str, fate: Fate) -> SeedTask {
    let task_name = if rng.random_bool(0.05) {
        OCCASIONAL_STAGES[rng.random_range(0..OCCASIONAL_STAGES.len())]
    } else {
        STAGES[i % STAGES_PER_GROUP]
    };
    let subband = (i % 16) as u32;
    let params = shapes::params(task_name, group_id, subband);
    let worker = shapes::worker_id(WORKER_HOST, rng.random_range(1..=4));
    let wait = rng.random_range(0.5..90.0_f64);
    let run = rng.random_range(20.0..600.0_f64);
    let mut task = SeedTask {
        task_id: random_uuid(rng),
        queue_name: shapes::queue_for(task_name).into(),
        task_name: task_name.into(),
        params: params.to_string(),
        priority: if task_name == "imaging" { 5 } else { 0 },
        timeout_sec: if task_name == "imaging" { 1800 } else { 600 },
        status: "completed",
        worker_id: Some(worker),
        attempt: 1,
        result: None,
        error: None,
        created_at: created,
        claimed_at: Some(created + wait),
        completed_at: Some(created + wait + run),
        wait_time_sec: Some(wait),
        execution_time_sec: Some(run),
    };
    match fate {
        Fate::Succeeded => {
            task.result = Some(shapes::result_success(task_name, group_id, subband).to_string());
        }
        Fate::Crashed => {
            task.status = "failed";
            // The worker stores str(e); a cancelled coroutine now and then.
            task.error = Some(if rng.random_bool(0.1) {
                shapes::TASK_CANCELLED.to_string()
            } else {
                shapes::crash_error(rng.random_range(0..3), group_id)
            });
        }
        Fate::ResultError => {
            task.result = Some(shapes::stage_error(rng.random_range(0..4), group_id).to_string())
        }
        Fate::NoOp => {
            task.worker_id = Some(shapes::worker_id(WORKER_HOST, 9));
            task.execution_time_sec = Some(0.01);
            task.completed_at = Some(created + wait + 0.01);
            task.result = Some(shapes::result_no_op(task_name).to_string());
        }
        Fate::Cancelled => {
            task.status = "cancelled";
            task.worker_id = None;
            task.attempt = 0;
            task.error = Some(shapes::CANCELLED_BY_USER.to_string());
            task.claimed_at = None;
            task.wait_time_sec = None;
            task.execution_time_sec = None;
        }
        Fate::Pending => {
            task.status = "pending";
            task.worker_id = None;
            task.attempt = 0;
            task.claimed_at = None;
            task.completed_at = None;
            task.wait_time_sec = None;
            task.execution_time_sec = None;
        }
        Fate::Claimed { at } => {
            task.status = "claimed";
            task.claimed_at = Some(at);
            task.completed_at = None;
            task.wait_time_sec = None;
            task.execution_time_sec = None;
        }
    }
    task
}

fn random_uuid(rng: &mut SmallRng) -> String {
    let mut b: [u8; 16] = rng.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn make_groups(rng: &mut SmallRng, n: usize, oldest: f64, now: f64) -> Vec<SeedGroup> {
    let count = n.div_ceil(STAGES_PER_GROUP);
    let created = |g: usize| oldest + (g * STAGES_PER_GROUP) as f64 * TASK_SPACING_S - 30.0;
    let old_enough: Vec<usize> = (0..count).filter(|&g| now - created(g) > 3600.0).collect();
    // Up to three stuck groups, spread over the old ones.
    let stuck: Vec<usize> = match old_enough.len() {
        0 => Vec::new(),
        len => (1..=3.min(len)).map(|k| old_enough[len * k / 4]).collect(),
    };
    (0..count)
        .map(|g| {
            let group_id = group_id(oldest, g);
            let at = created(g);
            let mut group = SeedGroup {
                ms_path: Some(ms_path(&group_id)),
                group_id,
                state: "completed",
                subband_count: 16,
                dec_deg: 16.1 + rng.random_range(-0.05..0.05),
                ra_deg: (at / 240.0).rem_euclid(360.0),
                created_at: at,
                updated_at: at + 320.0,
                completed_at: Some(at + 320.0),
                error_message: None,
            };
            if stuck.contains(&g) {
                group.state = "collecting";
                group.subband_count = [11, 14, 5][stuck.iter().position(|s| *s == g).unwrap_or(0)];
                group.updated_at = at + 60.0;
                group.completed_at = None;
                group.ms_path = None;
            } else if g + 1 == count {
                // The newest group is still arriving, normally.
                group.state = "collecting";
                group.subband_count = 9;
                group.updated_at = now;
                group.completed_at = None;
                group.ms_path = None;
            } else if rng.random_bool(0.02) {
                group.state = "failed";
                group.error_message = Some(format!(
                    "Conversion failed: subband 7 of {} is truncated (HDF5 read error)",
                    group.group_id
                ));
                group.ms_path = None;
            }
            group
        })
        .collect()
}

fn summarise(tasks: &[SeedTask], groups: &[SeedGroup], now: f64) -> SeedSummary {
    let count = |f: &dyn Fn(&SeedTask) -> bool| tasks.iter().filter(|t| f(t)).count() as u64;
    SeedSummary {
        tasks: tasks.len() as u64,
        failed_crashed: count(&|t| t.status == "failed"),
        failed_in_result: count(&|t| {
            t.status == "completed"
                && t.result
                    .as_deref()
                    .is_some_and(|r| r.contains("\"status\":\"error\""))
        }),
        pending: count(&|t| t.status == "pending"),
        retrying: count(&|t| t.status == "retrying"),
        no_op: count(&|t| {
            t.result
                .as_deref()
                .is_some_and(|r| r.contains("\"status\":\"no-op\""))
        }),
        claimed: count(&|t| t.status == "claimed"),
        claimed_over_30min: count(&|t| {
            t.status == "claimed" && t.claimed_at.is_some_and(|c| now - c > 1800.0)
        }),
        groups: groups.len() as u64,
        stuck_groups: groups
            .iter()
            .filter(|g| {
                g.state == "collecting" && g.subband_count < 16 && now - g.updated_at > 3600.0
            })
            .count() as u64,
    }
}

async fn insert_tasks(conn: &mut PgConnection, rows: &[SeedTask]) -> Result<(), sqlx::Error> {
    let col = |f: &dyn Fn(&SeedTask) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
    let num = |f: &dyn Fn(&SeedTask) -> Option<f64>| rows.iter().map(f).collect::<Vec<_>>();
    let int = |f: &dyn Fn(&SeedTask) -> i32| rows.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO absurd.tasks (task_id, queue_name, task_name, params, priority, timeout_sec, \
             status, worker_id, attempt, max_retries, result, error, created_at, claimed_at, \
             completed_at, wait_time_sec, execution_time_sec) \
         SELECT id::uuid, q, name, params::jsonb, prio, tmo, st, w, att, 3, res::jsonb, err, \
             to_timestamp(c), to_timestamp(cl), to_timestamp(co), wt, et \
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::int4[], \
             $7::text[], $8::text[], $9::int4[], $10::text[], $11::text[], $12::float8[], \
             $13::float8[], $14::float8[], $15::float8[], $16::float8[]) \
             AS u(id, q, name, params, prio, tmo, st, w, att, res, err, c, cl, co, wt, et)",
    )
    .bind(col(&|t| Some(t.task_id.clone())))
    .bind(col(&|t| Some(t.queue_name.clone())))
    .bind(col(&|t| Some(t.task_name.clone())))
    .bind(col(&|t| Some(t.params.clone())))
    .bind(int(&|t| t.priority))
    .bind(int(&|t| t.timeout_sec))
    .bind(col(&|t| Some(t.status.to_string())))
    .bind(col(&|t| t.worker_id.clone()))
    .bind(int(&|t| t.attempt))
    .bind(col(&|t| t.result.clone()))
    .bind(col(&|t| t.error.clone()))
    .bind(num(&|t| Some(t.created_at)))
    .bind(num(&|t| t.claimed_at))
    .bind(num(&|t| t.completed_at))
    .bind(num(&|t| t.wait_time_sec))
    .bind(num(&|t| t.execution_time_sec))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_groups(conn: &mut PgConnection, rows: &[SeedGroup]) -> Result<(), sqlx::Error> {
    let col = |f: &dyn Fn(&SeedGroup) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
    let num = |f: &dyn Fn(&SeedGroup) -> Option<f64>| rows.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO absurd.ingestion_groups (group_id, state, subband_count, expected_subbands, \
             dec_deg, ra_deg, created_at, updated_at, completed_at, ms_path, error_message) \
         SELECT g, st, n, 16, dec, ra, to_timestamp(c), to_timestamp(u), to_timestamp(co), ms, err \
         FROM UNNEST($1::text[], $2::text[], $3::int4[], $4::float8[], $5::float8[], \
             $6::float8[], $7::float8[], $8::float8[], $9::text[], $10::text[]) \
             AS x(g, st, n, dec, ra, c, u, co, ms, err)",
    )
    .bind(col(&|g| Some(g.group_id.clone())))
    .bind(col(&|g| Some(g.state.to_string())))
    .bind(rows.iter().map(|g| g.subband_count).collect::<Vec<i32>>())
    .bind(num(&|g| Some(g.dec_deg)))
    .bind(num(&|g| Some(g.ra_deg)))
    .bind(num(&|g| Some(g.created_at)))
    .bind(num(&|g| Some(g.updated_at)))
    .bind(num(&|g| g.completed_at))
    .bind(col(&|g| g.ms_path.clone()))
    .bind(col(&|g| g.error_message.clone()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 1_761_056_599.0;

    #[test]
    fn a_seed_is_reproducible_and_realistic() {
        let (tasks, groups) = generate(2_000, NOW, 7);
        assert_eq!(generate(2_000, NOW, 7).0, tasks);
        let summary = summarise(&tasks, &groups, NOW);
        let failed_share = summary.failed() as f64 / summary.tasks as f64;
        assert!((0.05..=0.10).contains(&failed_share), "{summary:?}");
        assert!(
            summary.failed_in_result * 3 >= summary.failed(),
            "{summary:?}"
        );
        assert!(summary.pending > 0 && summary.claimed > 0);
        assert_eq!(summary.retrying, 0, "nothing in the pipeline sets retrying");
        assert!(summary.no_op > 0, "{summary:?}");
        assert_eq!(summary.claimed_over_30min, 1, "{summary:?}");
        assert_eq!(summary.stuck_groups, 3, "{summary:?}");
        assert_eq!(summary.groups, 250);
    }

    #[test]
    fn failures_name_the_measurement_set() {
        let (tasks, _) = generate(500, NOW, 3);
        let crashed = tasks.iter().find(|t| t.status == "failed").unwrap();
        // The worker stores str(e): one line, no traceback, no exception class.
        let error = crashed.error.as_deref().unwrap();
        assert!(
            !error.contains('\n') && !error.starts_with("Traceback"),
            "{error}"
        );
        let in_result = tasks
            .iter()
            .filter_map(|t| t.result.as_deref())
            .find(|r| r.contains("\"status\":\"error\""))
            .unwrap();
        let result: serde_json::Value = serde_json::from_str(in_result).unwrap();
        assert!(
            result["message"].is_string() && result["errors"].is_array(),
            "{result}"
        );
    }

    #[test]
    fn group_ids_are_subband_zero_timestamps() {
        let (_, groups) = generate(16, NOW, 1);
        let id = &groups[0].group_id;
        assert_eq!(id.len(), "2025-10-21T14:23:19".len(), "{id}");
        assert_eq!(&id[10..11], "T");
    }
}
