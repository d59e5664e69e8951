//! Story tests: the pipeline's logs as the deployed pipeline really writes them (plain text in
//! the host's local time, appended by systemd; JSON lines where someone called the JSON
//! setup), matched to a job by what the lines carry, on the real-shape fixture
//! (`demo::upstream::logs`) or a small plain file.

use contimg_monitor::db::Db;
use contimg_monitor::db::logs::{LogSource, LogZone, find_job_logs};
use contimg_monitor::demo::upstream::{self, logs as fxlogs};
use contimg_monitor::query::ListQuery;
use contimg_monitor::snapshot::{
    JobDetail, JobKey, JobRow, JobSource, JobStatus, LogFormat, LogMatch, LogTail,
};
use contimg_monitor::ui::detail::job::job_lines;
use contimg_monitor::ui::detail::theme::Theme;

const NOW: f64 = 1_761_056_599.0;

fn pacific_logs(dir: &std::path::Path) -> LogSource {
    LogSource::new(dir).with_zone(LogZone::parse(fxlogs::PIPELINE_TZ).unwrap())
}

/// A queue task's detail as the queue reader makes it: the row, the bare `str(e)` error.
fn task_detail(run: &fxlogs::TaskRun, status: JobStatus, error: Option<&str>) -> JobDetail {
    JobDetail {
        row: JobRow {
            key: JobKey {
                source: JobSource::AbsurdTask,
                id: run.uuid.clone(),
            },
            kind: Some(run.task_name.clone()),
            status,
            raw_status: status.name().into(),
            target: Some(run.target.clone()),
            created_at: Some(run.claimed - 30.0),
            started_at: Some(run.claimed),
            finished_at: Some(run.finished),
            attempts: Some(1),
            max_attempts: Some(3),
            error_line: error.map(str::to_string),
        },
        error_full: error.map(str::to_string),
        logs: Vec::new(),
        log_file: None,
        params_pretty: None,
        artifacts_pretty: None,
        extra: Vec::new(),
        links: Default::default(),
    }
}

fn run_of(uuid: &str) -> fxlogs::TaskRun {
    fxlogs::fixture_runs(NOW)
        .into_iter()
        .map(|(_, r)| r)
        .find(|r| r.uuid == uuid)
        .unwrap()
}

fn pane_text(d: &JobDetail) -> Vec<String> {
    job_lines(d, NOW, 200, &Theme::new(true))
        .into_iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

fn tags(tail: &LogTail) -> Vec<(&str, LogMatch)> {
    tail.lines
        .iter()
        .map(|l| (l.file.as_str(), l.how))
        .collect()
}

#[tokio::test]
async fn a_failed_tasks_detail_shows_its_worker_log_lines_matched_by_uuid_with_the_traceback() {
    let dir = tempfile::tempdir().unwrap();
    let fx = upstream::build_fixture(dir.path(), NOW).await.unwrap();
    let src = pacific_logs(&fx.logs_dir);

    // The executor raised: the worker's own `Task <uuid> failed: …` carries the traceback.
    let run = run_of(fxlogs::names::IMAGING_FAILED_TASK);
    let mut d = task_detail(
        &run,
        JobStatus::Failed,
        Some("Imaging failed: No image files"),
    );
    let tail = find_job_logs(&src, &d, NOW);
    assert_eq!(
        tags(&tail),
        [
            ("absurd-worker-1.log", LogMatch::Uuid),
            ("absurd-worker-1.log", LogMatch::MsPath),
            ("absurd-worker-1.log", LogMatch::Uuid),
        ],
        "{:#?}",
        tail.lines
    );
    let failed = tail.last_error().expect("the ERROR record");
    assert!(
        failed
            .record
            .message
            .starts_with(&format!("Task {} failed:", run.uuid))
    );
    assert_eq!(
        failed.record.continuation[0],
        "Traceback (most recent call last):"
    );
    assert_eq!(
        failed.record.continuation.last().unwrap(),
        fxlogs::names::IMAGING_ERROR
    );
    // The times were local (Pacific): read back as UTC they are the run's own.
    assert_eq!(tail.lines[0].record.unix, Some(run.claimed));

    // On screen: the error from the queue has no traceback, so the log's comes first, in
    // the Error section, before the pipeline log's own section.
    d.log_file = Some(tail);
    let text = pane_text(&d);
    let at = |needle: &str| {
        text.iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} not in {text:#?}"))
    };
    let error = at("Error");
    let from = at("from absurd-worker-1.log (uuid):");
    let log = at("Pipeline log: 3 records, 1 errors");
    assert!(error < from && from < log, "{text:#?}");
    assert!(text[from + 2].contains("Traceback (most recent call last):"));
    assert!(
        text.iter()
            .any(|l| l.starts_with("uuid     2025-10-21 13:23:19 INFO"))
    );

    // The executor caught the failure (the real path): the adapter's ERROR and traceback
    // carry no UUID; they are the task's as lines of its run on that worker.
    let run = run_of(fxlogs::names::SOLVE_FAILED_TASK);
    let d = task_detail(
        &run,
        JobStatus::Failed,
        Some("gaincal: no unflagged solutions"),
    );
    let tail = find_job_logs(&src, &d, NOW);
    let error = tail.last_error().expect("the adapter's ERROR record");
    assert_eq!(error.how, LogMatch::TaskRun);
    assert!(
        error
            .record
            .message
            .starts_with("[Absurd] Calibration solve failed")
    );
    assert!(error.record.continuation.len() >= 3);
    // CASA's own log (UTC, tab-separated) names the MS inside the window.
    assert!(
        tail.lines
            .iter()
            .any(|l| l.file.starts_with("casa/casa-") && l.record.format == Some(LogFormat::Casa)),
        "{:#?}",
        tags(&tail)
    );
}

#[tokio::test]
async fn an_ms_stem_line_in_local_time_is_matched_inside_the_jobs_window_and_not_outside_it() {
    let dir = tempfile::tempdir().unwrap();
    // An ms_state failure at 2025-10-21 14:23:19 UTC = 07:23:19 PDT on the pipeline host.
    let stem = "2025-10-21T06:41:07";
    let text = format!(
        "2025-10-20 07:23:00,000 - dsa110_contimg.database.state_machine - INFO - State transition: {stem}.ms: pending → converting\n\
         2025-10-21 07:20:02,114 - dsa110_contimg.database.state_machine - INFO - State transition: {stem}.ms: pending → failed\n\
         2025-10-21 07:21:00,000 - dsa110_contimg.absurd.adapter - INFO - [Absurd] Solving calibration for: /stage/ms/2025-10-21T06:46:16.ms\n"
    );
    std::fs::write(dir.path().join("absurd-worker.log"), text).unwrap();
    let d = JobDetail {
        row: JobRow {
            key: JobKey {
                source: JobSource::MsState,
                id: format!("/stage/dsa110-contimg/ms/{stem}.ms"),
            },
            kind: Some("failed".into()),
            status: JobStatus::Failed,
            raw_status: "failed".into(),
            target: Some(format!("/stage/dsa110-contimg/ms/{stem}.ms")),
            created_at: None,
            started_at: None,
            finished_at: Some(NOW),
            attempts: Some(0),
            max_attempts: Some(3),
            error_line: Some("RuntimeError: x".into()),
        },
        error_full: Some("RuntimeError: x".into()),
        logs: Vec::new(),
        log_file: None,
        params_pretty: None,
        artifacts_pretty: None,
        extra: Vec::new(),
        links: Default::default(),
    };
    let pacific = pacific_logs(dir.path());
    let tail = find_job_logs(&pacific, &d, NOW);
    // Only the transition at 07:20 local (14:20 UTC, inside the hour before the failure);
    // the one a day earlier names the same MS but is outside the window, and the other MS's
    // line is not about it.
    assert_eq!(tags(&tail), [("absurd-worker.log", LogMatch::MsStem)]);
    assert!(tail.lines[0].record.message.ends_with("pending → failed"));
    assert_eq!(tail.lines[0].record.unix, Some(NOW - 196.886));
    // Read as UTC, the same line would be 7 h off: outside the window, not matched.
    let utc = LogSource::new(dir.path()).with_zone(LogZone::utc());
    assert!(find_job_logs(&utc, &d, NOW).lines.is_empty());
}

#[tokio::test]
async fn a_job_with_no_matching_line_says_which_files_and_window_were_searched() {
    let dir = tempfile::tempdir().unwrap();
    let fx = upstream::build_fixture(dir.path(), NOW).await.unwrap();
    let run = fxlogs::TaskRun {
        uuid: "77777777-0000-4000-8000-000000000001".into(),
        task_name: "imaging".into(),
        target: "/stage/dsa110-contimg/ms/2025-10-21T04:00:00.ms".into(),
        claimed: NOW - 20_000.0,
        finished: NOW - 19_000.0,
        end: fxlogs::RunEnd::Raised(String::new()),
    };
    let mut d = task_detail(&run, JobStatus::Failed, Some("Task cancelled"));
    let tail = find_job_logs(&pacific_logs(&fx.logs_dir), &d, NOW);
    assert!(tail.lines.is_empty(), "{:#?}", tail.lines);
    let s = &tail.searched;
    for f in [
        "absurd-worker.log",
        "absurd-worker-1.log",
        "absurd-worker-2.log",
        "absurd-scheduler.log",
        "pointing-monitor.log",
        "mosaic-nightly.log",
        "pipeline.log",
    ] {
        assert!(s.files.iter().any(|x| x == f), "{f} in {:?}", s.files);
    }
    // CASA's log started after the window closed: skipped, and counted.
    assert!(!s.files.iter().any(|x| x.starts_with("casa/casa-")));
    assert_eq!(s.skipped, 1);
    assert_eq!(s.window, Some((NOW - 20_600.0, NOW - 18_400.0)));
    d.log_file = Some(tail);
    let text = pane_text(&d).join("\n");
    assert!(text.contains("Pipeline log: no line matched"), "{text}");
    assert!(text.contains("absurd-worker-1.log"), "{text}");
    assert!(
        text.contains("window 2025-10-21 08:39:59 .. 2025-10-21 09:16:39 UTC"),
        "{text}"
    );
    assert!(text.contains("read as America/Los_Angeles"), "{text}");
    assert!(
        text.contains("uuid 77777777-0000-4000-8000-000000000001")
            && text.contains("ms stem 2025-10-21T04:00:00"),
        "{text}"
    );
}

#[tokio::test]
async fn the_json_lines_format_is_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let fx = upstream::build_fixture(dir.path(), NOW).await.unwrap();
    // The convert-group's target is its group id; the orchestrator's JSON records carry it
    // as the `group_id` extra, in UTC with `Z`.
    let run = run_of(fxlogs::names::CONVERT_OK_TASK);
    let d = task_detail(&run, JobStatus::Succeeded, None);
    let tail = find_job_logs(&pacific_logs(&fx.logs_dir), &d, NOW);
    let json: Vec<_> = tail
        .lines
        .iter()
        .filter(|l| l.record.format == Some(LogFormat::Json))
        .collect();
    assert_eq!(json.len(), 2, "{:#?}", tags(&tail));
    assert!(
        json.iter()
            .all(|l| l.file == "pipeline.log" && l.how == LogMatch::Group)
    );
    assert_eq!(json[0].record.unix, Some(run.claimed + 5.0));
    assert_eq!(
        json[0].record.logger,
        "dsa110_contimg.conversion.hdf5_orchestrator"
    );
    // The worker's plain-text lines of the same task come with them, in time order.
    assert!(tail.lines.iter().any(|l| l.how == LogMatch::Uuid));
    let times: Vec<f64> = tail.lines.iter().filter_map(|l| l.record.unix).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

/// The figure: on the fixture, how many failed jobs get their pipeline lines (before this
/// change: none — it looked for `{run_id}.log` and JSON `ms_path` fields nobody writes).
#[tokio::test]
async fn every_failed_job_of_the_fixture_finds_its_pipeline_lines() {
    let dir = tempfile::tempdir().unwrap();
    let fx = upstream::build_fixture(dir.path(), NOW).await.unwrap();
    let src = pacific_logs(&fx.logs_dir);
    let mut found = Vec::new();
    for (_, run) in fxlogs::fixture_runs(NOW) {
        if let fxlogs::RunEnd::Completed(None) = run.end {
            continue;
        }
        let d = task_detail(&run, JobStatus::Failed, Some("x"));
        let tail = find_job_logs(&src, &d, NOW);
        found.push((
            run.uuid.clone(),
            tail.lines.len(),
            tail.last_error().is_some(),
        ));
    }
    // The SQLite side of the same fixture (ms_state, jobs, batch items), as far as it has
    // failed rows.
    let db = Db::open(&fx.db, &Default::default()).await.unwrap();
    let rows = db
        .jobs(&ListQuery {
            limit: 500,
            ..ListQuery::default()
        })
        .await
        .map(|p| p.rows)
        .unwrap_or_default();
    for row in rows.iter().filter(|r| r.status == JobStatus::Failed) {
        let d = db.job_detail(&row.key, Some(&src)).await.unwrap().unwrap();
        let tail = d.log_file.unwrap();
        found.push((
            row.key.to_string(),
            tail.lines.len(),
            tail.last_error().is_some(),
        ));
    }
    let with_lines = found.iter().filter(|(_, n, _)| *n > 0).count();
    let with_error = found.iter().filter(|(_, _, e)| *e).count();
    let lines: usize = found.iter().map(|(_, n, _)| n).sum();
    eprintln!(
        "failed jobs with matched lines: {with_lines} of {}, with their ERROR record: \
         {with_error}, lines {lines}: {found:?}",
        found.len()
    );
    let tasks = found
        .iter()
        .filter(|(k, _, _)| !k.contains(':'))
        .collect::<Vec<_>>();
    assert!(tasks.len() >= 3);
    assert!(tasks.iter().all(|(_, n, e)| *n > 0 && *e), "{tasks:?}");
}
