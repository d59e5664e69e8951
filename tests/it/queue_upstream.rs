//! The operator reads the pipeline's own task queue (ABSURD, PostgreSQL) as its code writes it:
//! nested params, no-op completions, the unpolled ingestion queue, claims left by dead
//! workers, and an older queue's flat params. Seeded by `demo::upstream::queue::seed` on a
//! real server.

use crate::support;

use contimg_monitor::app::{AppConfig, DetailData, DetailKey};
use contimg_monitor::db::DbOptions;
use contimg_monitor::demo::upstream::{self, UpstreamFixture, queue::SeededQueue};
use contimg_monitor::headless::harness::Harness;
use contimg_monitor::headless::once::triage_json;
use contimg_monitor::query::{Filter, ListQuery};
use contimg_monitor::queue::{INGESTION_QUEUE, PIPELINE_QUEUE, Queue, QueueOptions};
use contimg_monitor::services::triage::{QueueSource, TriageCache, gather};
use contimg_monitor::snapshot::{JobRow, JobStatus, LinkSource, Tab};
use contimg_monitor::triage::{StuckKind, Thresholds};
use sqlx::postgres::PgPoolOptions;
use support::postgres::PgServer;

/// 2025-10-21 14:23:19 UTC.
const NOW: f64 = 1_761_056_599.0;

struct Seeded {
    _dir: tempfile::TempDir,
    fx: UpstreamFixture,
    queue: Queue,
    seeded: SeededQueue,
}

async fn seeded(server: &PgServer, db: &str) -> Seeded {
    let dir = tempfile::tempdir().unwrap();
    let fx = upstream::build_fixture(dir.path(), NOW).await.unwrap();
    let url = server.create_database(db);
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    let seeded = upstream::queue::seed(&pool, &fx).await.unwrap();
    pool.close().await;
    let queue = Queue::connect(&url, &QueueOptions::default())
        .await
        .unwrap();
    Seeded {
        _dir: dir,
        fx,
        queue,
        seeded,
    }
}

async fn harness(s: &Seeded) -> Harness {
    Harness::open(
        AppConfig {
            no_color: true,
            db_label: "pipeline.sqlite3".into(),
            queue_label: Some(s.queue.target().to_string()),
            ..AppConfig::default()
        },
        s.fx.db.clone(),
        &DbOptions::default(),
        Some(
            contimg_monitor::db::logs::LogSource::new(s.fx.logs_dir.clone()).with_zone(
                contimg_monitor::db::logs::LogZone::parse(
                    contimg_monitor::demo::upstream::logs::PIPELINE_TZ,
                )
                .unwrap(),
            ),
        ),
        NOW,
        true,
    )
    .await
    .with_queue(Some(s.queue.clone()), Thresholds::default())
    .await
}

async fn task_row(queue: &Queue, id: &str) -> JobRow {
    let page = queue
        .tasks(&ListQuery {
            filter: Filter::parse(&format!("id:{id}")),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 1, "task {id}");
    page.rows.into_iter().next().unwrap()
}

async fn ids_matching(queue: &Queue, filter: &str) -> Vec<String> {
    let page = queue
        .tasks(&ListQuery {
            filter: Filter::parse(filter),
            limit: 500,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    page.rows.into_iter().map(|r| r.key.id).collect()
}

async fn report(queue: &Queue) -> contimg_monitor::triage::TriageReport {
    gather(
        None,
        QueueSource::Up(queue),
        NOW,
        86_400.0,
        Thresholds::default(),
        &mut TriageCache::default(),
    )
    .await
}

#[tokio::test]
async fn a_nested_params_task_shows_its_ms_and_jumps_to_it() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let s = seeded(server, "upstream_nested").await;
    let id = &s.seeded.nested_task;
    // The list: its target is the MS at inputs.ms_path, shown by its stem.
    let row = task_row(&s.queue, id).await;
    assert_eq!(row.kind.as_deref(), Some("calibration-solve"));
    assert_eq!(row.target.as_deref(), Some(s.seeded.nested_ms.as_str()));
    // A target filter finds it by the nested value.
    let stem = s
        .seeded
        .nested_ms
        .rsplit('/')
        .next()
        .unwrap()
        .trim_end_matches(".ms");
    assert!(
        ids_matching(&s.queue, &format!("ms:{stem}"))
            .await
            .contains(id)
    );
    assert!(ids_matching(&s.queue, stem).await.contains(id), "free text");

    let mut h = harness(&s).await;
    h.type_keys("3").await;
    h.type_keys(&format!("/id:{id}\n")).await;
    assert_eq!(h.app.jobs.rows.len(), 1);
    let list = h.render(120, 40);
    assert!(list.contains(stem), "the MS stem in the list: {list}");
    h.type_keys("\n").await;
    let pane = h.app.open_detail().expect("the task's pane");
    let Some(Ok(DetailData::Job(d))) = &pane.data else {
        panic!("a job detail: {:?}", pane.data);
    };
    let ms = d.links.ms.as_ref().expect("an MS link");
    assert_eq!(ms.path, s.seeded.nested_ms);
    assert_eq!(ms.source, LinkSource::Params("inputs.ms_path".into()));
    let group = d.links.group.as_ref().expect("its group");
    assert_eq!(group.state.as_deref(), Some("completed"));
    assert_eq!(group.subbands, Some((16, 16)));
    let screen = h.render(120, 40);
    assert!(screen.contains("params inputs.ms_path"), "{screen}");
    // `m`: the MS tab, on that MS.
    h.type_keys("m").await;
    assert_eq!(h.app.tab, Tab::Ms);
    let opened = h.app.open_detail().expect("the MS pane");
    assert_eq!(opened.key, DetailKey::Ms(s.seeded.nested_ms.clone()));

    // A convert-group names only its group: its MS is derived, and said to be.
    let detail = s
        .queue
        .task_detail(&s.seeded.convert_group_task)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        detail.row.target.as_deref(),
        Some(s.seeded.convert_group_id.as_str())
    );
    let ms = detail.links.ms.unwrap();
    assert_eq!(
        ms.path,
        format!("/stage/dsa110-contimg/ms/{}.ms", s.seeded.convert_group_id)
    );
    assert!(ms.source.is_derived(), "{:?}", ms.source);
    let group = detail.links.group.unwrap();
    assert_eq!(group.id, s.seeded.convert_group_id);
    assert_eq!(group.state.as_deref(), Some("pending"));
}

#[tokio::test]
async fn a_no_op_completion_is_shown_as_no_op_never_success() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let s = seeded(server, "upstream_noop").await;
    for id in &s.seeded.no_op_tasks {
        let row = task_row(&s.queue, id).await;
        assert_eq!(row.status, JobStatus::NoOp, "{id}");
        assert_eq!(row.raw_status, "completed (result: no-op)");
    }
    let succeeded = ids_matching(&s.queue, "status:succeeded").await;
    assert!(
        s.seeded
            .no_op_tasks
            .iter()
            .all(|id| !succeeded.contains(id)),
        "no no-op among the successes"
    );
    let mut no_op = ids_matching(&s.queue, "status:no-op").await;
    no_op.sort();
    let mut expected = s.seeded.no_op_tasks.clone();
    expected.sort();
    assert_eq!(no_op, expected);

    // Counted apart, and left out of the finished work the failure rate divides by.
    let counts = s.queue.status_counts_since(NOW - 86_400.0).await.unwrap();
    assert_eq!(counts.get(JobStatus::NoOp), 3);
    let triage = report(&s.queue).await;
    assert_eq!(triage.headline.no_op, 3);
    assert_eq!(
        triage.headline.finished,
        counts.get(JobStatus::Succeeded) + counts.get(JobStatus::Failed)
    );
    assert!(
        !triage.headline.all_completed_no_op,
        "real work succeeded too"
    );
    let json = triage_json(&triage, false);
    assert_eq!(json["queue_by_status"]["no-op"], 3);
    assert_eq!(json["headline"]["no_op"], 3);

    // The list and the detail say it.
    let mut h = harness(&s).await;
    h.type_keys("3").await;
    h.type_keys(&format!("/id:{}\n", s.seeded.no_op_tasks[0]))
        .await;
    let list = h.render(120, 40);
    assert!(list.contains("no-op"), "{list}");
    assert!(!list.contains("✓ ok"), "{list}");
    h.type_keys("\n").await;
    let screen = h.render(120, 40);
    assert!(screen.contains("NO-OP"), "{screen}");
    assert!(screen.contains("no-op executor"), "{screen}");
}

#[tokio::test]
async fn when_every_completion_was_a_no_op_triage_says_the_workers_run_the_no_op_executor() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let s = seeded(server, "upstream_all_noop").await;
    // Only the last two hours: the no-op worker's, and nothing real completed there.
    let triage = gather(
        None,
        QueueSource::Up(&s.queue),
        NOW,
        2.5 * 3600.0,
        Thresholds::default(),
        &mut TriageCache::default(),
    )
    .await;
    assert!(triage.headline.all_completed_no_op, "{:?}", triage.headline);
    let alert = triage
        .alerts()
        .into_iter()
        .find(|a| a.what == "no_op")
        .expect("a no-op alert");
    assert!(
        alert.message.contains("no-op executor"),
        "{}",
        alert.message
    );
    assert!(triage.crossed());
}

#[tokio::test]
async fn the_ingestion_backlog_is_counted_apart() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let s = seeded(server, "upstream_backlog").await;
    let backlog = s.queue.backlog(NOW).await.unwrap();
    assert_eq!(
        backlog.queue(INGESTION_QUEUE).pending,
        s.seeded.pending_ingestion
    );
    assert_eq!(
        backlog.queue(PIPELINE_QUEUE).pending,
        s.seeded.pending_pipeline
    );
    assert_eq!(
        backlog.pending,
        s.seeded.pending_ingestion + s.seeded.pending_pipeline
    );
    let triage = report(&s.queue).await;
    let json = triage_json(&triage, false);
    let by_queue = json["headline"]["backlog_by_queue"].as_array().unwrap();
    let pending_of = |name: &str| {
        by_queue
            .iter()
            .find(|q| q["queue"] == name)
            .map(|q| q["pending"].as_u64().unwrap())
    };
    assert_eq!(
        pending_of(INGESTION_QUEUE),
        Some(s.seeded.pending_ingestion)
    );
    assert_eq!(pending_of(PIPELINE_QUEUE), Some(s.seeded.pending_pipeline));
    // Its oldest has waited two hours: nothing polls it, and triage says so.
    let unpolled = triage
        .alerts()
        .into_iter()
        .find(|a| a.what == "ingestion_unpolled")
        .expect("an unpolled-queue alert");
    assert!(
        unpolled.message.contains(INGESTION_QUEUE),
        "{}",
        unpolled.message
    );
    let mut h = harness(&s).await;
    h.type_keys("t").await;
    let screen = h.render(160, 40);
    assert!(
        screen.contains(&format!(
            "{INGESTION_QUEUE} {} pending",
            s.seeded.pending_ingestion
        )),
        "{screen}"
    );
    assert!(
        screen.contains(&format!(
            "{PIPELINE_QUEUE} {} pending",
            s.seeded.pending_pipeline
        )),
        "{screen}"
    );
}

#[tokio::test]
async fn a_claim_older_than_the_threshold_by_a_dead_worker_is_stuck() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let s = seeded(server, "upstream_stale").await;
    let triage = report(&s.queue).await;
    let stuck: Vec<_> = triage
        .stuck
        .iter()
        .filter(|i| i.kind == StuckKind::Running)
        .collect();
    assert_eq!(stuck.len(), 1, "{stuck:?}");
    let item = stuck[0];
    assert_eq!(item.id, format!("absurd:{}", s.seeded.stale_claim_task));
    assert!(item.age_s > 3.0 * 3600.0 - 1.0, "{}", item.age_s);
    let note = item.note.as_deref().unwrap();
    assert!(note.contains(&s.seeded.stale_worker), "{note}");
    assert!(note.contains("silent since the claim"), "{note}");
    assert!(
        !triage
            .stuck
            .iter()
            .any(|i| i.id.ends_with(&s.seeded.fresh_claim_task)),
        "a claim a minute old is not stuck"
    );
    // The group collecting 11 of 16 subbands for hours is stuck too.
    assert!(
        triage.stuck.iter().any(|i| i.kind == StuckKind::Collecting
            && i.id == format!("group:{}", s.seeded.stuck_group)
            && i.note.as_deref() == Some("11/16 subbands, missing sb11-sb15")),
        "{:?}",
        triage.stuck
    );
    // The detail names who holds the claim.
    let detail = s
        .queue
        .task_detail(&s.seeded.stale_claim_task)
        .await
        .unwrap()
        .unwrap();
    let claim = detail
        .extra
        .iter()
        .find(|(k, _)| k == "claim")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(claim.contains(&s.seeded.stale_worker), "{claim}");
}

#[tokio::test]
async fn the_old_flat_params_layout_still_shows_its_target() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let s = seeded(server, "upstream_flat").await;
    let row = task_row(&s.queue, &s.seeded.flat_task).await;
    assert_eq!(row.target.as_deref(), Some(s.seeded.flat_ms.as_str()));
    assert_eq!(row.status, JobStatus::Succeeded);
    let stem = s.seeded.flat_ms.rsplit('/').next().unwrap();
    assert!(
        ids_matching(&s.queue, &format!("target:{stem}"))
            .await
            .contains(&s.seeded.flat_task)
    );
    let detail = s
        .queue
        .task_detail(&s.seeded.flat_task)
        .await
        .unwrap()
        .unwrap();
    let ms = detail.links.ms.unwrap();
    assert_eq!(ms.path, s.seeded.flat_ms);
    assert_eq!(ms.source, LinkSource::Params("ms_path".into()));
}

#[tokio::test]
async fn errors_and_results_keep_the_workers_shapes() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let s = seeded(server, "upstream_errors").await;
    let failed = s
        .queue
        .tasks(&ListQuery {
            filter: Filter::parse("status:failed"),
            limit: 100,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    let lines: Vec<&str> = failed
        .rows
        .iter()
        .filter_map(|r| r.error_line.as_deref())
        .collect();
    for expected in [
        "Stage 'imaging' failed after 3 attempts: Imaging failed",
        "Missing required output: ms_path",
        "Incomplete group: 11/16 subbands",
        "Task cancelled",
        "[Errno 2] No such file or directory",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(expected)),
            "{expected} in {lines:#?}"
        );
    }
    // A cancel by the API is a cancel, not a failure.
    assert!(!lines.iter().any(|l| l.contains("Cancelled by user")));
    let cancelled = ids_matching(&s.queue, "status:cancelled").await;
    assert_eq!(cancelled.len(), 1);
}
