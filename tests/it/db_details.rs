//! Detail panes on a real pipeline database: a failed job's traceback and log-file tail,
//! an MS with everything linked to it, a source's light curve.

use crate::db_support;

use contimg_monitor::db::logs::{LogSource, LogZone};
use contimg_monitor::snapshot::{JobKey, JobSource, JobStatus, LogMatch};
use db_support::{Pipeline, ms_path};

const T0: f64 = 1_761_000_000.0;

async fn fixture() -> Pipeline {
    let p = Pipeline::new().await;
    let a = ms_path("2025-10-21T14:23:19");
    p.exec(&format!(
        "INSERT INTO ms_index (path, status, stage, mid_mjd, group_id, cal_applied) VALUES \
           ('{a}', 'failed', 'imaging', 60970.6, '2025-10-21T14:23:19', 1);\
         INSERT INTO ms_state (ms_path, current_state, previous_state, transition_time, retry_count, error_message, checkpoint_data, created_at) VALUES \
           ('{a}', 'failed', 'imaging', {t2}, 2, 'Traceback (most recent call last):\n  File \"img.py\"\nMemoryError: wsclean', '{{\"step\":3}}', {t0});\
         INSERT INTO jobs (id, type, status, ms_path, params, logs, artifacts, created_at, started_at, finished_at) VALUES \
           (7, 'imaging', 'failed', '{a}', '{{\"imsize\":5040,\"cell\":\"2.5arcsec\"}}', \
            'INFO starting wsclean\nTraceback (most recent call last):\n  File \"img.py\", line 9\nMemoryError: wsclean ran out of memory', \
            '[\"/stage/x.fits\"]', {t1}, {t1}, {t2});\
         INSERT INTO batch_jobs (id, type, created_at, status, total_items, completed_items, failed_items, params) VALUES \
           (4, 'reimage', {t0}, 'running', 3, 1, 1, \"{{'ms_paths': ['{a}'], 'force': True}}\");\
         INSERT INTO batch_job_items (id, batch_id, ms_path, job_id, status, error, started_at) VALUES \
           (9, 4, '{a}', 7, 'failed', 'MemoryError: wsclean', {t1});\
         INSERT INTO images (id, path, ms_path, created_at, type) VALUES \
           (1, '/stage/img/2025-10-21T14:23:19.img-image.fits', '{a}', {t1}, '5min'),\
           (2, '/stage/img/other.fits', '/stage/other.ms', {t1}, '5min');\
         INSERT INTO calibration_applied (ms_path, caltable_path, applied_at, quality, success) VALUES \
           ('{a}', '/cal/2025-10-21.bpcal', {t0}, 0.9, 1);",
        t0 = T0,
        t1 = T0 + 10.0,
        t2 = T0 + 70.0,
    ))
    .await;
    p
}

fn job(source: JobSource, id: &str) -> JobKey {
    JobKey {
        source,
        id: id.to_string(),
    }
}

#[tokio::test]
async fn a_failed_jobs_detail_shows_the_whole_traceback_params_and_logs() {
    let p = fixture().await;
    let db = p.open().await;
    let d = db
        .job_detail(&job(JobSource::Jobs, "7"), None)
        .await
        .unwrap()
        .expect("job 7 exists");
    assert_eq!(d.row.status, JobStatus::Failed);
    let error = d.error_full.expect("a traceback");
    assert!(error.starts_with("Traceback (most recent call last):"));
    assert!(error.ends_with("MemoryError: wsclean ran out of memory"));
    assert_eq!(d.logs.len(), 4);
    assert!(d.params_pretty.unwrap().contains("\"imsize\": 5040"));
    assert!(d.artifacts_pretty.unwrap().contains("/stage/x.fits"));
    assert!(d.log_file.is_none(), "no log dir given");
}

#[tokio::test]
async fn ms_state_and_batch_details_carry_their_own_facts() {
    let p = fixture().await;
    let db = p.open().await;
    let a = ms_path("2025-10-21T14:23:19");
    let st = db
        .job_detail(&job(JobSource::MsState, &a), None)
        .await
        .unwrap()
        .unwrap();
    assert!(st.error_full.unwrap().ends_with("MemoryError: wsclean"));
    assert!(
        st.extra
            .contains(&("retries".to_string(), "2 of 3".to_string()))
    );
    assert!(st.params_pretty.unwrap().contains("\"step\": 3"));

    let batch = db
        .job_detail(&job(JobSource::BatchItem, "9"), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(batch.row.kind.as_deref(), Some("reimage"));
    // The batch params are a Python dict repr: shown as stored.
    assert!(batch.params_pretty.unwrap().starts_with("{'ms_paths'"));
    assert!(
        batch
            .extra
            .contains(&("batch id".to_string(), "4".to_string()))
    );
    assert!(
        batch
            .extra
            .iter()
            .any(|(k, v)| k == "batch progress" && v == "1 done, 1 failed of 3")
    );
    assert!(
        db.job_detail(&job(JobSource::Jobs, "999"), None)
            .await
            .unwrap()
            .is_none()
    );
}

fn utc_logs(dir: std::path::PathBuf) -> LogSource {
    LogSource::new(dir).with_zone(LogZone::utc())
}

#[tokio::test]
async fn a_run_log_is_still_read_when_one_exists() {
    let p = fixture().await;
    let logs = p.log_dir();
    let run_lines: String = (0..300)
        .map(|i| format!("2025-10-20 22:40:{:02},000 - x - INFO - step {i}\n", i % 60))
        .collect();
    std::fs::write(logs.join("job-2025-10-21-142319.log"), run_lines).unwrap();
    let db = p.open().await;
    let d = db
        .job_detail(&job(JobSource::Jobs, "7"), Some(&utc_logs(logs)))
        .await
        .unwrap()
        .unwrap();
    let tail = d.log_file.expect("searched");
    assert!(
        tail.searched
            .files
            .contains(&"job-2025-10-21-142319.log".to_string())
    );
    assert_eq!(tail.lines.len(), 200, "at most 200 records");
    assert!(tail.lines.iter().all(|l| l.how == LogMatch::RunLog));
}

#[tokio::test]
async fn plain_text_and_json_lines_naming_the_ms_inside_the_jobs_window_are_found() {
    let p = fixture().await;
    let logs = p.log_dir();
    let a = ms_path("2025-10-21T14:23:19");
    // Job 7 ran T0+10 .. T0+70 = 2025-10-20 22:40:10 .. 22:41:10 UTC.
    std::fs::write(
        logs.join("absurd-worker-2.log"),
        format!(
            "2025-10-20 20:00:00,000 - a - INFO - [Absurd] Creating image from: {a}\n\
             2025-10-20 22:40:11,000 - a - INFO - [Absurd] Creating image from: /stage/other.ms\n\
             2025-10-20 22:40:12,000 - a - INFO - [Absurd] Creating image from: {a}\n\
             2025-10-20 22:41:09,000 - m - INFO - State transition: 2025-10-21T14:23:19.ms: imaging → failed\n"
        ),
    )
    .unwrap();
    std::fs::write(
        logs.join("pipeline.log"),
        "{\"timestamp\": \"2025-10-20T22:40:30Z\", \"level\": \"ERROR\", \"logger\": \"o\", \"message\": \"wsclean failed\", \"group_id\": \"2025-10-21T14:23:19\", \"exception\": \"Traceback (most recent call last):\\nMemoryError: x\"}\n",
    )
    .unwrap();
    let db = p.open().await;
    let d = db
        .job_detail(&job(JobSource::Jobs, "7"), Some(&utc_logs(logs)))
        .await
        .unwrap()
        .unwrap();
    let tail = d.log_file.expect("searched");
    let got: Vec<(&str, LogMatch)> = tail
        .lines
        .iter()
        .map(|l| (l.file.as_str(), l.how))
        .collect();
    // The 20:00 line names the MS but is hours before the job: not its.
    assert_eq!(
        got,
        [
            ("absurd-worker-2.log", LogMatch::MsPath),
            // Its JSON `group_id` is the MS's stem (`{group_id}.ms`).
            ("pipeline.log", LogMatch::Group),
            ("absurd-worker-2.log", LogMatch::MsStem),
        ],
        "{:?}",
        tail.lines
    );
    assert_eq!(tail.lines[1].record.continuation.len(), 2);
}

#[tokio::test]
async fn an_ms_detail_gathers_its_state_images_jobs_and_calibration() {
    let p = fixture().await;
    let db = p.open().await;
    let a = ms_path("2025-10-21T14:23:19");
    let d = db.ms_detail(&a).await.unwrap();
    assert_eq!(
        d.row.unwrap().group_id.as_deref(),
        Some("2025-10-21T14:23:19")
    );
    let state = d.state.unwrap();
    assert_eq!(
        (state.current_state.as_deref(), state.retry_count),
        (Some("failed"), Some(2))
    );
    assert_eq!(d.images.iter().map(|i| i.id).collect::<Vec<_>>(), vec![1]);
    let mut sources: Vec<JobSource> = d.jobs.iter().map(|j| j.key.source).collect();
    sources.sort();
    assert_eq!(
        sources,
        vec![JobSource::Jobs, JobSource::MsState, JobSource::BatchItem]
    );
    assert_eq!(d.calibration.len(), 1);
    assert_eq!(d.calibration[0].success, Some(true));

    let unknown = db.ms_detail("/stage/nope.ms").await.unwrap();
    assert!(unknown.row.is_none() && unknown.jobs.is_empty() && unknown.images.is_empty());
}

#[tokio::test]
async fn a_sources_light_curve_is_oldest_first_with_the_flux_fallback() {
    let p = Pipeline::new().await;
    let src = "NVSS J123456.7+420312";
    p.exec(&format!(
        "INSERT INTO photometry (source_id, image_path, ra_deg, dec_deg, nvss_flux_mjy, mjd, flux_jy, flux_err_jy, peak_flux_jy) VALUES \
           ('{src}', '/i/3.fits', 188.7, 42.05, 120.0, 60003.0, NULL, NULL, 0.13),\
           ('{src}', '/i/1.fits', 188.7, 42.05, 120.0, 60001.0, 0.11, 0.01, 0.2),\
           ('{src}', '/i/2.fits', 188.7, 42.05, 120.0, 60002.0, 0.12, 0.01, 0.2),\
           ('other', '/i/1.fits', 1.0, 2.0, NULL, 60001.0, 5.0, 0.1, 5.0);\
         INSERT INTO variability_stats (source_id, ra_deg, dec_deg, n_obs, chi2_nu, eta_metric, updated_at) \
           VALUES ('{src}', 188.7, 42.05, 3, 1.7, 0.2, 1.7e9);\
         INSERT INTO sources (id, name, ra_deg, dec_deg) VALUES ('{src}', '3C 999', 188.7, 42.05);"
    ))
    .await;
    let db = p.open().await;
    let d = db.source_detail(src).await.unwrap();
    let mjds: Vec<f64> = d.points.iter().map(|pt| pt.mjd).collect();
    assert_eq!(mjds, vec![60001.0, 60002.0, 60003.0]);
    assert_eq!(
        d.points[2].flux_jy, 0.13,
        "peak flux stands in for a missing flux"
    );
    let row = d.row.unwrap();
    assert_eq!(row.detections, 3);
    assert_eq!(row.latest_flux_jy, Some(0.13));
    assert_eq!(row.name.as_deref(), Some("3C 999"));
    let var = row.variability.unwrap();
    assert_eq!((var.chi2_nu, var.eta), (Some(1.7), Some(0.2)));
    assert!(db.source_detail("nobody").await.unwrap().row.is_none());
}

#[tokio::test]
async fn the_summary_counts_tables_statuses_and_lists_todays_failures() {
    let p = fixture().await;
    p.exec("DROP TABLE caltables").await;
    // An old failure, outside the 24 h window.
    p.exec(&format!(
        "INSERT INTO jobs (id, type, status, ms_path, logs, created_at, finished_at) VALUES \
         (1, 'conversion', 'failed', '/stage/old.ms', 'ValueError: old', {old}, {old})",
        old = T0 - 3.0 * 86_400.0
    ))
    .await;
    let db = p.open().await;
    let s = db.summary(T0 + 3600.0).await.unwrap();
    let table = |name: &str| s.tables.iter().find(|t| t.table == name).unwrap().clone();
    assert_eq!(table("jobs").rows, Some(2));
    assert_eq!(table("images").rows, Some(2));
    assert!(!table("caltables").present);
    assert_eq!(table("caltables").rows, None);
    assert!(table("photometry").approximate);
    assert_eq!(s.jobs_in(JobStatus::Failed), 4, "{:?}", s.jobs_by_status);
    let failed: Vec<String> = s
        .failed_recent
        .iter()
        .map(|f| format!("{}:{}", f.source.name(), f.id))
        .collect();
    assert_eq!(failed.len(), 3, "{failed:?}");
    assert!(!failed.contains(&"jobs:1".to_string()), "older than a day");
    let job7 = s.failed_recent.iter().find(|f| f.id == "7").unwrap();
    assert_eq!(
        job7.error_line.as_deref(),
        Some("MemoryError: wsclean ran out of memory")
    );
}
