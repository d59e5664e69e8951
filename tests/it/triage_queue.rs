//! Triage across both job sources, against a real PostgreSQL: stage errors stored as
//! `completed` count as failures, the queue joins the Jobs list, a queue that is down at start
//! or restarted while the monitor runs is shown stale and then fresh, and the time from `t`
//! to a filled triage view on 100 000 tasks is measured.

use crate::support;

use std::time::{Duration, Instant};

use contimg_monitor::app::{App, AppConfig, DetailData, ListData, Msg};
use contimg_monitor::db::DbOptions;
use contimg_monitor::demo::build_fixture;
use contimg_monitor::fits::worker::FitsWorker;
use contimg_monitor::headless::harness::Harness;
use contimg_monitor::pool::PoolRegistry;
use contimg_monitor::query::{Filter, ListQuery};
use contimg_monitor::queue::seed::{apply_schema, seed_tasks};
use contimg_monitor::queue::{Queue, QueueOptions};
use contimg_monitor::services::lists::{ListCache, fetch};
use contimg_monitor::services::{ServiceConfig, Services};
use contimg_monitor::snapshot::{JobSource, JobStatus, Tab};
use contimg_monitor::triage::{SourceState, Thresholds};
use sqlx::{Connection, Executor, PgConnection};
use support::postgres::PgServer;
use tokio::sync::mpsc;

/// 2025-10-21 14:23:19 UTC.
const NOW: f64 = 1_761_056_599.0;

const TASKS: &str = "
 ('11111111-1111-4111-8111-111111111111', 'dsa110-pipeline', 'calibration-solve',
  '{\"ms_path\": \"/stage/dsa110-contimg/ms/2025-10-21T13:23:19.ms\"}', 'completed', 'w1', 1,
  '{\"status\": \"error\", \"message\": \"Calibration solve failed: no valid calibrator in /stage/dsa110-contimg/ms/2025-10-21T13:23:19.ms\"}',
  NULL, to_timestamp(1761050000), to_timestamp(1761050010), to_timestamp(1761050100)),
 ('22222222-2222-4222-8222-222222222222', 'dsa110-pipeline', 'calibration-solve',
  '{\"ms_path\": \"/stage/dsa110-contimg/ms/2025-10-21T13:28:28.ms\"}', 'completed', 'w2', 1,
  '{\"status\": \"error\", \"message\": \"Calibration solve failed: no valid calibrator in /stage/dsa110-contimg/ms/2025-10-21T13:28:28.ms\"}',
  NULL, to_timestamp(1761050300), to_timestamp(1761050310), to_timestamp(1761050400)),
 ('33333333-3333-4333-8333-333333333333', 'dsa110-pipeline', 'imaging',
  '{\"ms_path\": \"/stage/dsa110-contimg/ms/2025-10-21T13:33:37.ms\"}', 'completed', 'w1', 1,
  '{\"status\": \"success\", \"message\": \"imaged\"}', NULL,
  to_timestamp(1761050600), to_timestamp(1761050610), to_timestamp(1761050900)),
 ('44444444-4444-4444-8444-444444444444', 'dsa110-pipeline', 'imaging',
  '{\"ms_path\": \"/stage/dsa110-contimg/ms/2025-10-21T13:38:46.ms\"}', 'claimed', 'w3', 1, NULL, NULL,
  to_timestamp(1761050900), to_timestamp(1761050905), NULL)";

async fn queue_with_tasks(url: &str) -> Queue {
    apply_schema(url).await.unwrap();
    let mut conn = PgConnection::connect(url).await.unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!(
        "INSERT INTO absurd.tasks (task_id, queue_name, task_name, params, status, worker_id, \
         attempt, result, error, created_at, claimed_at, completed_at) VALUES {TASKS}"
    )))
    .await
    .unwrap();
    Queue::connect(url, &QueueOptions::default()).await.unwrap()
}

async fn fixture_harness(dir: &tempfile::TempDir, queue: Option<Queue>) -> Harness {
    let paths = build_fixture(dir.path(), NOW).await.unwrap();
    Harness::open(
        AppConfig {
            no_color: true,
            db_label: "pipeline.sqlite3".into(),
            queue_label: queue.as_ref().map(|q| q.target().to_string()),
            ..AppConfig::default()
        },
        paths.db.clone(),
        &DbOptions::default(),
        Some(paths.logs_dir.clone().into()),
        NOW,
        true,
    )
    .await
    .with_queue(queue, Thresholds::default())
    .await
}

#[tokio::test]
async fn a_stage_error_stored_as_completed_is_a_failure_grouped_with_its_twin() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let queue = queue_with_tasks(&server.create_database("triage_trap")).await;
    let dir = tempfile::tempdir().unwrap();
    let mut h = fixture_harness(&dir, Some(queue)).await;
    h.type_keys("t").await;
    let report = h.app.triage.as_ref().unwrap().report.clone().unwrap();
    let group = report
        .groups
        .iter()
        .find(|g| g.signature == "Calibration solve failed: no valid calibrator in <path>")
        .expect("the two stage errors on different MS form one group");
    assert_eq!(group.count, 2);
    assert_eq!(group.sources, vec![JobSource::AbsurdTask]);
    assert_eq!(group.stages, vec!["calibration-solve"]);
    assert!(report.sources.iter().all(|s| s.state == SourceState::Ok));
    assert!(
        report.stuck.iter().any(|s| s.id.starts_with("absurd:4444")),
        "the task claimed for 100 min is stuck"
    );
    let screen = h.render(120, 40);
    assert!(screen.contains("calibration-solve·absurd"), "{screen}");
    assert!(
        screen.contains("queue ✓"),
        "the queue's health is shown: {screen}"
    );

    // Enter: the Jobs list narrows to the two tasks, merged with nothing else.
    let index = report.groups.iter().position(|g| g == group).unwrap();
    for _ in 0..index {
        h.type_keys("j").await;
    }
    h.type_keys("\n").await;
    let keys: Vec<String> = h.app.jobs.rows.iter().map(|r| r.key.to_string()).collect();
    assert_eq!(
        keys,
        vec![
            "absurd:22222222-2222-4222-8222-222222222222",
            "absurd:11111111-1111-4111-8111-111111111111"
        ]
    );
    // The task's detail comes from the queue.
    h.type_keys("\n").await;
    let pane = h.app.open_detail().expect("the task's pane");
    match &pane.data {
        Some(Ok(DetailData::Job(d))) => {
            assert_eq!(d.row.status, JobStatus::Failed);
            assert!(d.extra.iter().any(|(k, _)| k == "worker"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_jobs_list_merges_jobs_and_tasks_newest_first_across_pages() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let url = server.create_database("triage_merge");
    seed_tasks(&url, 300, NOW, 7).await.unwrap();
    let queue = Queue::connect(&url, &QueueOptions::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let paths = build_fixture(dir.path(), NOW).await.unwrap();
    let db = contimg_monitor::db::Db::open(&paths.db, &DbOptions::default())
        .await
        .unwrap();
    let mut cache = ListCache::default();
    let all = |limit| ListQuery {
        limit,
        ..ListQuery::default()
    };
    let ListData::Jobs(everything) = fetch(&db, Some(&queue), Tab::Jobs, &all(5000), &mut cache)
        .await
        .unwrap()
    else {
        panic!("a Jobs page");
    };
    assert!(!everything.has_more);
    let mut paged = Vec::new();
    let mut query = all(37);
    loop {
        let ListData::Jobs(page) = fetch(&db, Some(&queue), Tab::Jobs, &query, &mut cache)
            .await
            .unwrap()
        else {
            panic!("a Jobs page");
        };
        paged.extend(page.rows.iter().map(|r| r.key.to_string()));
        match page.next {
            Some(next) if page.has_more => query.after = Some(next),
            _ => break,
        }
    }
    let whole: Vec<String> = everything.rows.iter().map(|r| r.key.to_string()).collect();
    assert_eq!(
        paged, whole,
        "pages continue exactly where the last one stopped"
    );
    let tasks = whole.iter().filter(|k| k.starts_with("absurd:")).count();
    assert_eq!(tasks, 300);
    assert!(whole.len() > 300);

    let ListData::Jobs(only_queue) = fetch(
        &db,
        Some(&queue),
        Tab::Jobs,
        &ListQuery {
            filter: Filter::parse("source:absurd status:failed"),
            ..ListQuery::default()
        },
        &mut cache,
    )
    .await
    .unwrap() else {
        panic!("a Jobs page");
    };
    assert!(!only_queue.rows.is_empty());
    assert!(
        only_queue
            .rows
            .iter()
            .all(|r| r.key.source == JobSource::AbsurdTask && r.status == JobStatus::Failed)
    );
}

/// Messages from the real services until `pred` holds or `timeout` passes.
async fn wait_for(
    rx: &mut mpsc::UnboundedReceiver<Msg>,
    timeout: Duration,
    mut pred: impl FnMut(&Msg) -> bool,
) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(msg)) if pred(&msg) => return true,
            Ok(Some(_)) => {}
            _ => return false,
        }
    }
}

fn quick_options() -> QueueOptions {
    QueueOptions {
        connect_timeout: Duration::from_secs(1),
        acquire_timeout: Duration::from_secs(1),
        ..QueueOptions::default()
    }
}

async fn start_services(
    db: std::path::PathBuf,
    url: String,
) -> (Services, mpsc::UnboundedReceiver<Msg>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let services = Services::spawn(
        ServiceConfig {
            db_path: db,
            db_options: DbOptions::default(),
            alerts_db: None,
            logs: None,
            refresh: Duration::from_millis(500),
            queue_url: Some(url),
            queue_options: quick_options(),
            thresholds: Thresholds::default(),
            pool_sources: Vec::new(),
            alert_after: Duration::from_secs(30),
        },
        PoolRegistry::default(),
        FitsWorker::spawn(4),
        tx,
    );
    let (_app, commands) = App::new(AppConfig::default(), NOW);
    for command in commands {
        services.dispatch(command);
    }
    (services, rx)
}

fn jobs_with_tasks(msg: &Msg) -> bool {
    matches!(msg, Msg::List { data: ListData::Jobs(p), .. }
        if p.rows.iter().any(|r| r.key.source == JobSource::AbsurdTask))
}

#[tokio::test]
async fn a_queue_down_at_start_is_shown_down_and_the_database_tabs_still_fill() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    // The services read the real clock: the fixture's day is today.
    let paths = build_fixture(dir.path(), contimg_monitor::services::now_unix())
        .await
        .unwrap();
    let (services, mut rx) = start_services(
        paths.db.clone(),
        format!("postgresql://postgres@127.0.0.1:{port}/dsa110_absurd"),
    )
    .await;
    let mut queue_error = None;
    let mut jobs = false;
    let mut images = false;
    // The operator's screen: the app fed with everything the services say.
    let (mut app, _) = App::new(
        AppConfig {
            no_color: true,
            queue_label: Some(format!("127.0.0.1:{port}/dsa110_absurd")),
            ..AppConfig::default()
        },
        NOW,
    );
    assert!(
        wait_for(&mut rx, Duration::from_secs(20), |msg| {
            app.update(msg.clone());
            match msg {
                Msg::QueueHealth(h) if h.error.is_some() => queue_error = h.error.clone(),
                // The page, then the tab's health: wait for the health, sent second.
                Msg::Health {
                    tab: Some(Tab::Jobs),
                    health,
                } if health.error.is_none() && health.last_ok.is_some() => jobs = true,
                Msg::List {
                    data: ListData::Images(p),
                    ..
                } if !p.rows.is_empty() => images = true,
                _ => {}
            }
            queue_error.is_some() && jobs && images
        })
        .await,
        "queue error {queue_error:?}, jobs {jobs}, images {images}"
    );
    let error = queue_error.unwrap();
    assert!(error.contains("unreachable"), "{error}");
    assert!(error.contains("retry in"), "{error}");
    app.update(Msg::Resize(160, 30));
    app.update(Msg::Key(ratatui::crossterm::event::KeyEvent::new(
        ratatui::crossterm::event::KeyCode::Char('3'),
        ratatui::crossterm::event::KeyModifiers::NONE,
    )));
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 30)).unwrap();
    terminal
        .draw(|f| contimg_monitor::ui::draw(f, &app))
        .unwrap();
    let screen = contimg_monitor::headless::harness::buffer_text(terminal.backend().buffer());
    let status = screen.lines().nth(28).unwrap_or_default().to_string();
    assert!(status.contains("Jobs ✓"), "the Jobs tab is fine: {screen}");
    assert!(
        status.contains("queue  STALE"),
        "the queue is shown down: {screen}"
    );
    assert!(app.jobs.rows.len() > 10, "the database's jobs are listed");

    services.dispatch(contimg_monitor::app::Command::Triage(Some(86_400.0)));
    let mut report = None;
    assert!(
        wait_for(&mut rx, Duration::from_secs(20), |msg| {
            if let Msg::Triage { result: Ok(r), .. } = msg {
                report = Some(r.clone());
                true
            } else {
                false
            }
        })
        .await
    );
    let report = report.unwrap();
    assert_eq!(report.sources[0].state, SourceState::Ok, "sqlite answers");
    assert!(matches!(report.sources[1].state, SourceState::Error(_)));
    assert!(
        !report.groups.is_empty(),
        "the database's failures are grouped"
    );
}

#[tokio::test]
async fn a_queue_restarted_while_the_monitor_runs_goes_stale_then_fresh() {
    let Some(server) = PgServer::start() else {
        return;
    };
    let url = server.url();
    queue_with_tasks(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let paths = build_fixture(dir.path(), NOW).await.unwrap();
    let (services, mut rx) = start_services(paths.db.clone(), url).await;
    let fresh =
        |msg: &Msg| matches!(msg, Msg::QueueHealth(h) if h.error.is_none() && h.last_ok.is_some());
    assert!(
        wait_for(&mut rx, Duration::from_secs(20), fresh).await,
        "fresh at start"
    );
    assert!(
        wait_for(&mut rx, Duration::from_secs(20), jobs_with_tasks).await,
        "tasks in the Jobs list"
    );

    // A failed task's pane is open while the queue goes away.
    let task = contimg_monitor::app::DetailKey::Job(contimg_monitor::snapshot::JobKey {
        source: JobSource::AbsurdTask,
        id: "11111111-1111-4111-8111-111111111111".into(),
    });
    services.dispatch(contimg_monitor::app::Command::OpenDetail(task.clone()));
    assert!(
        wait_for(&mut rx, Duration::from_secs(20), |msg| matches!(
            msg,
            Msg::Detail { key, result: Ok(_) } if *key == task
        ))
        .await,
        "the task's detail arrives"
    );

    server.stop();
    let mut stale = None;
    let mut pane_errors = 0;
    assert!(
        wait_for(&mut rx, Duration::from_secs(30), |msg| {
            if let Msg::QueueHealth(h) = msg
                && h.is_stale()
            {
                stale = Some(h.clone());
            }
            if let Msg::Detail { result: Err(_), .. } = msg {
                pane_errors += 1;
            }
            if stale.is_some() {
                return true;
            }
            false
        })
        .await,
        "stale once the server is gone"
    );
    let stale = stale.unwrap();
    // A few refreshes while the queue is away.
    wait_for(&mut rx, Duration::from_secs(3), |msg| {
        if let Msg::Detail { result: Err(_), .. } = msg {
            pane_errors += 1;
        }
        false
    })
    .await;
    assert_eq!(pane_errors, 0, "the open pane keeps its last data");
    assert!(
        stale.last_ok.is_some(),
        "the age of the last good data is known"
    );

    server.start_again();
    assert!(
        wait_for(&mut rx, Duration::from_secs(60), fresh).await,
        "fresh again, with no restart of the monitor"
    );
    assert!(
        wait_for(&mut rx, Duration::from_secs(20), jobs_with_tasks).await,
        "the tasks are back in the Jobs list"
    );
}

#[tokio::test]
async fn keypress_to_triage_view_on_100k_tasks_is_measured() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let url = server.create_database("triage_scale");
    let started = Instant::now();
    let summary = seed_tasks(&url, 100_000, NOW, 2026).await.unwrap();
    eprintln!("seeded {} tasks in {:?}", summary.tasks, started.elapsed());
    let queue = Queue::connect(&url, &QueueOptions::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut h = fixture_harness(&dir, Some(queue)).await;
    let mut timings = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        h.type_keys("t").await;
        let screen = h.render(120, 40);
        let elapsed = t.elapsed();
        assert!(screen.contains("failure rate"), "{screen}");
        let view = h.app.triage.as_ref().expect("open");
        let report = view.report.as_ref().expect("filled");
        assert!(report.headline.failures > 0);
        timings.push(elapsed);
        h.type_keys("t").await;
    }
    eprintln!(
        "TRIAGE TIMING: keypress to drawn, filled triage view on {} tasks: {:?} (first), {:?}, {:?}",
        summary.tasks, timings[0], timings[1], timings[2]
    );
}

#[tokio::test]
async fn ingestion_groups_show_their_subbands_and_the_stuck_ones_are_flagged() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let url = server.create_database("triage_groups");
    let summary = seed_tasks(&url, 300, NOW, 7).await.unwrap();
    assert!(summary.stuck_groups > 0);
    let queue = Queue::connect(&url, &QueueOptions::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut h = fixture_harness(&dir, Some(queue)).await;
    h.type_keys("t").await;
    let report = h.app.triage.as_ref().unwrap().report.clone().unwrap();
    let stuck_groups = report
        .stuck
        .iter()
        .filter(|s| s.id.starts_with("group:"))
        .count() as u64;
    assert_eq!(stuck_groups, summary.stuck_groups);
    // A tall screen lists them below the stuck list; `i` shows them on any screen.
    let tall = h.render(120, 60);
    assert!(tall.contains("ingestion groups, newest first"), "{tall}");
    assert!(tall.contains("STUCK"), "{tall}");
    h.type_keys("i").await;
    let small = h.render(80, 24);
    assert!(small.contains("ingestion groups"), "{small}");
    assert!(small.contains("/16"), "{small}");
}

/// Cron's `once --format json` counts the queue's tasks in `jobs.by_status` and lists its
/// failures in `jobs.failed_recent`, as the Jobs list and triage do (it used to see only the
/// SQLite tables).
#[tokio::test]
async fn once_counts_the_queues_failures_with_the_databases() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let url = server.create_database("once_queue_jobs");
    let now = contimg_monitor::services::now_unix();
    let seeded = seed_tasks(&url, 300, now, 11).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = contimg_monitor::demo::build_fixture(dir.path(), now)
        .await
        .unwrap()
        .db;
    let once = |queue: Option<&str>| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_contimg-monitor"));
        c.env_remove("PIPELINE_DB")
            .env_remove("PIPELINE_LOG_DIR")
            .env_remove("ABSURD_DATABASE_URL")
            .args(["--config", "/dev/null", "--db"])
            .arg(&db);
        if let Some(url) = queue {
            c.args(["--postgres-url", url]);
        }
        let out = c.args(["once", "--format", "json"]).output().unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    let alone = once(None);
    let with_queue = once(Some(&url));
    let failed = |v: &serde_json::Value| v["jobs"]["by_status"]["failed"].as_i64().unwrap();
    assert_eq!(
        failed(&with_queue),
        failed(&alone) + (seeded.failed_crashed + seeded.failed_in_result) as i64,
        "every failed task, crashes and result errors alike, is counted once"
    );
    let recent = with_queue["jobs"]["failed_recent"].as_array().unwrap();
    let from_queue = recent.iter().filter(|f| f["source"] == "queue").count();
    assert!(from_queue > 0, "{recent:?}");
    let at: Vec<f64> = recent.iter().map(|f| f["at"].as_f64().unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] >= w[1]), "newest first: {at:?}");
}
