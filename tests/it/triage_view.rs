//! The operator presses `t` on the demo fixture (fixed clock, no PostgreSQL): the failures of
//! the day grouped by error, the hung imaging job as stuck, the figures against their
//! thresholds; Enter narrows the Jobs list to a group, `e` opens its example with its log.

use contimg_monitor::app::AppConfig;
use contimg_monitor::db::DbOptions;
use contimg_monitor::demo::build_fixture;
use contimg_monitor::headless::harness::Harness;
use contimg_monitor::snapshot::{JobStatus, Tab};

/// 2025-10-21 14:23:19 UTC.
const NOW: f64 = 1_761_056_599.0;

async fn fixture_harness(dir: &tempfile::TempDir) -> Harness {
    let paths = build_fixture(dir.path(), NOW).await.unwrap();
    Harness::open(
        AppConfig {
            no_color: true,
            db_label: "pipeline.sqlite3".into(),
            ..AppConfig::default()
        },
        paths.db.clone(),
        &DbOptions::default(),
        Some(paths.logs_dir.clone().into()),
        NOW,
        true,
    )
    .await
}

#[tokio::test]
async fn the_triage_view_at_80x24_and_120x40() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = fixture_harness(&dir).await;
    h.type_keys("t").await;
    let tmp = dir.path().display().to_string();
    for (w, rows) in [(80, 24), (120, 40)] {
        let screen = h.render(w, rows).replace(&tmp, "<tmp>");
        assert!(screen.contains("Triage"), "{screen}");
        assert!(screen.contains("ALERT"), "the hung job is stuck: {screen}");
        insta::assert_snapshot!(format!("triage_{w}x{rows}"), screen);
    }
}

#[tokio::test]
async fn the_figures_say_alert_or_ok_in_words_without_colour() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = fixture_harness(&dir).await;
    h.type_keys("t").await;
    let screen = h.render(120, 40);
    let head = screen
        .lines()
        .find(|l| l.contains("failure rate"))
        .expect("headline");
    assert!(head.contains("limit 10 %"), "{head}");
    assert!(head.contains("14.4 % (20/139) ALERT"), "{head}");
    assert!(head.contains("backlog — (no queue) ok"), "{head}");
    assert!(
        screen.contains("stuck 2 (longest 33m53s) ALERT"),
        "{screen}"
    );
    assert!(screen.contains("absurd — no queue configured"), "{screen}");
    assert!(screen.contains("running"), "{screen}");
}

#[tokio::test]
async fn enter_on_a_group_shows_only_that_groups_failed_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = fixture_harness(&dir).await;
    h.type_keys("t").await;
    let view = h.app.triage.as_ref().expect("the view is open");
    let group = view.selected_group().expect("a group").clone();
    h.type_keys("\n").await;
    assert!(h.app.triage.is_none());
    assert_eq!(h.app.tab, Tab::Jobs);
    assert!(
        h.app.jobs.filter_text.contains("status:failed")
            && h.app.jobs.filter_text.contains("error:"),
        "{}",
        h.app.jobs.filter_text
    );
    let rows = &h.app.jobs.rows;
    assert!(!rows.is_empty(), "the group's jobs are listed");
    assert!(rows.iter().all(|r| r.status == JobStatus::Failed));
    assert!(
        rows.len() >= group.count,
        "every job of the group is listed ({} < {})",
        rows.len(),
        group.count
    );
    assert!(rows.iter().any(|r| r.key == group.example.key));
}

#[tokio::test]
async fn the_example_job_opens_with_the_tail_of_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = fixture_harness(&dir).await;
    h.type_keys("t").await;
    // The first group from the jobs table (whose MS has a log file).
    let groups = h
        .app
        .triage
        .as_ref()
        .unwrap()
        .report
        .as_ref()
        .unwrap()
        .groups
        .clone();
    let index = groups
        .iter()
        .position(|g| g.example.key.source == contimg_monitor::snapshot::JobSource::Jobs)
        .expect("a group of failed jobs");
    for _ in 0..index {
        h.type_keys("j").await;
    }
    h.type_keys("e").await;
    assert_eq!(h.app.tab, Tab::Jobs);
    let pane = h.app.open_detail().expect("the example's pane");
    assert!(matches!(pane.data, Some(Ok(_))), "{:?}", pane.data);
    h.type_keys("F").await;
    assert!(h.app.follow_log);
    let screen = h.render(120, 40);
    assert!(screen.contains("FOLLOW"), "{screen}");
    assert!(
        screen.contains(" INFO ") && screen.contains("ms path "),
        "the log file's lines with how they matched, time and level: {screen}"
    );
}

#[tokio::test]
async fn w_changes_the_window_and_esc_closes_the_view() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = fixture_harness(&dir).await;
    h.type_keys("t").await;
    assert!(h.render(80, 24).contains("last 1d"));
    h.type_keys("w").await;
    let view = h.app.triage.as_ref().unwrap();
    assert_eq!(view.window_s, 7.0 * 86_400.0);
    assert!(view.report.is_some(), "the new window's report arrived");
    h.type_keys("w").await;
    assert_eq!(h.app.triage.as_ref().unwrap().window_s, 3600.0);
    h.type_keys("\x1b").await;
    assert!(h.app.triage.is_none());
    assert!(!h.render(80, 24).contains("Triage"));
}
