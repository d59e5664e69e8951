//! Triage on the pipeline database alone (the demo fixture, fixed clock): the failures of the
//! day group by signature, the hung imaging job is stuck, and the figures are judged.

use std::time::Duration;

use contimg_monitor::db::{Db, DbOptions};
use contimg_monitor::demo::build_fixture;
use contimg_monitor::triage::{self, Thresholds, TriageInput};

/// 2025-10-21 14:23:19 UTC.
const NOW: f64 = 1_761_056_599.0;

#[tokio::test]
async fn the_fixture_failures_group_and_the_hung_job_is_stuck() {
    let dir = tempfile::tempdir().unwrap();
    let paths = build_fixture(dir.path(), NOW).await.unwrap();
    let db = Db::open(&paths.db, &DbOptions::default()).await.unwrap();
    let since = NOW - 86_400.0;
    let failures = db.failures_since(since).await.unwrap();
    assert!(
        failures.len() >= 12,
        "12 failed jobs plus ms_state failures"
    );
    assert!(failures.iter().all(|f| f.at >= since));
    let finished = db.finished_since(since).await.unwrap();
    assert!(finished >= failures.len() as u64, "{finished}");
    let running = db.running_jobs().await.unwrap();
    let report = triage::build(
        TriageInput {
            now: NOW,
            window_s: 86_400.0,
            failures: failures.clone(),
            finished,
            running,
            ..TriageInput::default()
        },
        Thresholds::default(),
    );
    assert!(
        report.groups.len() < failures.len(),
        "failures on different MS share signatures: {:#?}",
        report
            .groups
            .iter()
            .map(|g| (&g.signature, g.count))
            .collect::<Vec<_>>()
    );
    let total: usize = report.groups.iter().map(|g| g.count).sum();
    assert_eq!(total, failures.len());
    let hung = report
        .stuck
        .iter()
        .find(|s| s.what.as_deref() == Some("imaging"))
        .expect("the hung imaging job is stuck");
    assert!(hung.age_s > Duration::from_secs(1800).as_secs_f64());
    assert!(report.crossed(), "a stuck job crosses a threshold");
}
