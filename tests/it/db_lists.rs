//! The Images, MS and Jobs lists on a real pipeline database: pages, filters, sorts, keyset
//! continuation, drifted and missing tables, and query plans that stay on the indexes.

use crate::db_support;

use contimg_monitor::db::plan::is_full_scan;
use contimg_monitor::db::{DbError, filter_fields, sort_columns};
use contimg_monitor::query::{Filter, ListQuery, Sort};
use contimg_monitor::snapshot::{JobSource, JobStatus, Tab};
use db_support::{IMAGES_ALLOWING_NULLS, LEGACY_IMAGES, Pipeline, images_sql, ms_path};

const T0: f64 = 1_761_000_000.0;

fn query(filter: &str, limit: usize) -> ListQuery {
    ListQuery {
        filter: Filter::parse(filter),
        limit,
        ..ListQuery::default()
    }
}

#[tokio::test]
async fn images_come_newest_first_and_page_two_continues_page_one() {
    let p = Pipeline::new().await;
    p.exec(IMAGES_ALLOWING_NULLS).await;
    p.exec(&images_sql(25, T0)).await;
    // Two images share a timestamp and one has none: ties and NULLs must not break paging.
    p.exec(&format!(
        "UPDATE images SET created_at = {} WHERE id = 24;\
         UPDATE images SET created_at = NULL WHERE id = 3;",
        T0 + 60.0 * 25.0
    ))
    .await;
    let db = p.open().await;

    let mut seen = Vec::new();
    let mut q = query("", 10);
    loop {
        let page = db.images(&q).await.expect("page");
        seen.extend(page.rows.iter().map(|r| r.id));
        if !page.has_more {
            assert!(page.next.is_none());
            break;
        }
        q.after = page.next.clone();
        assert!(
            q.after.is_some(),
            "a page with more must say where to go on"
        );
    }
    let mut expected: Vec<i64> = (1..=25).rev().filter(|i| *i != 3).collect();
    expected.push(3); // no creation time: last
    // id 25 and 24 share the newest time; the larger id comes first.
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn image_filters_match_substrings_negation_and_exact_ids() {
    let p = Pipeline::new().await;
    p.exec(IMAGES_ALLOWING_NULLS).await;
    p.exec(&images_sql(10, T0)).await;
    p.exec("UPDATE images SET type = NULL WHERE id = 10").await;
    let db = p.open().await;

    let pbcor = db.images(&query("type:PBCOR", 100)).await.unwrap();
    assert_eq!(
        pbcor.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![8, 6, 4, 2]
    );
    // Negation keeps the image whose type is NULL.
    let not_pbcor = db.images(&query("!type:pbcor", 100)).await.unwrap();
    assert_eq!(
        not_pbcor.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![10, 9, 7, 5, 3, 1]
    );
    let one = db.images(&query("id:7", 100)).await.unwrap();
    assert_eq!(one.rows.len(), 1);
    assert_eq!(
        one.rows[0].ms_path.as_deref(),
        Some(ms_path("2025-10-21T14:07:00").as_str())
    );
    // `_` is a literal, not a wildcard.
    assert!(
        db.images(&query("path:14_07", 100))
            .await
            .unwrap()
            .rows
            .is_empty()
    );
    let newer = db
        .images(&query(&format!("created:>{}", T0 + 60.0 * 8.0), 100))
        .await
        .unwrap();
    assert_eq!(
        newer.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![10, 9]
    );
    let free = db.images(&query("\"14:05\"", 100)).await.unwrap();
    assert_eq!(free.rows.iter().map(|r| r.id).collect::<Vec<_>>(), vec![5]);
}

#[tokio::test]
async fn an_unknown_filter_field_is_an_error_the_operator_can_read() {
    let p = Pipeline::new().await;
    let db = p.open().await;
    let err = db.images(&query("colour:red", 10)).await.unwrap_err();
    assert!(matches!(err, DbError::UnknownField { ref field, .. } if field == "colour"));
    assert!(err.to_string().contains("path"));
    assert!(filter_fields(Tab::Images).contains(&"type"));
    let err = db
        .jobs(&ListQuery {
            sort: Some(Sort {
                column: "colour".into(),
                descending: true,
            }),
            ..ListQuery::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::UnknownSort { .. }));
}

#[tokio::test]
async fn every_sort_column_of_images_and_ms_pages_without_overlap() {
    let p = Pipeline::new().await;
    p.exec(&images_sql(12, T0)).await;
    for i in 0..12 {
        let status = ["done", "failed", "converted"][i % 3];
        p.exec(&format!(
            "INSERT INTO ms_index (path, status, stage, mid_mjd, processed_at, group_id) \
             VALUES ('{}', '{status}', 'imaging', {}, {}, 'g{i}')",
            ms_path(&format!("2025-10-21T15:{i:02}:00")),
            60_970.0 + i as f64 * 0.01,
            if i % 4 == 0 {
                "NULL".to_string()
            } else {
                (T0 + i as f64).to_string()
            }
        ))
        .await;
    }
    let db = p.open().await;
    for tab in [Tab::Images, Tab::Ms] {
        for column in sort_columns(tab) {
            for descending in [true, false] {
                let mut q = ListQuery {
                    sort: Some(Sort {
                        column: column.to_string(),
                        descending,
                    }),
                    limit: 5,
                    ..ListQuery::default()
                };
                let mut keys = Vec::new();
                loop {
                    let (mut page_keys, next, more) = match tab {
                        Tab::Images => {
                            let page = db.images(&q).await.unwrap();
                            (
                                page.rows
                                    .iter()
                                    .map(|r| r.id.to_string())
                                    .collect::<Vec<_>>(),
                                page.next,
                                page.has_more,
                            )
                        }
                        _ => {
                            let page = db.ms_list(&q).await.unwrap();
                            (
                                page.rows.iter().map(|r| r.path.clone()).collect(),
                                page.next,
                                page.has_more,
                            )
                        }
                    };
                    keys.append(&mut page_keys);
                    if !more {
                        break;
                    }
                    q.after = next;
                }
                let mut unique = keys.clone();
                unique.sort();
                unique.dedup();
                assert_eq!(
                    (keys.len(), unique.len()),
                    (12, 12),
                    "{tab:?} by {column} desc={descending}: {keys:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn ms_list_filters_on_status_group_and_calibration() {
    let p = Pipeline::new().await;
    p.exec(&format!(
        "INSERT INTO ms_index (path, status, stage, mid_mjd, group_id, cal_applied) VALUES \
         ('{}', 'done', 'imaging', 60970.1, '2025-10-21T14:23:19', 1),\
         ('{}', 'failed', 'calibration', 60970.2, '2025-10-21T14:28:28', 0),\
         ('{}', NULL, NULL, 60970.3, NULL, NULL)",
        ms_path("2025-10-21T14:23:19"),
        ms_path("2025-10-21T14:28:28"),
        ms_path("2025-10-21T14:33:37"),
    ))
    .await;
    let db = p.open().await;
    let failed = db.ms_list(&query("status:fail", 10)).await.unwrap();
    assert_eq!(failed.rows.len(), 1);
    assert_eq!(failed.rows[0].stage.as_deref(), Some("calibration"));
    let not_done = db.ms_list(&query("!status:done", 10)).await.unwrap();
    assert_eq!(
        not_done.rows.len(),
        2,
        "the row without status is not 'done'"
    );
    let calibrated = db.ms_list(&query("cal:yes", 10)).await.unwrap();
    assert_eq!(calibrated.rows.len(), 1);
    assert_eq!(calibrated.rows[0].cal_applied, Some(true));
    let uncalibrated = db.ms_list(&query("cal:no", 10)).await.unwrap();
    assert_eq!(uncalibrated.rows.len(), 2);
    let newest = db.ms_list(&query("", 10)).await.unwrap();
    assert!(newest.rows[0].path.contains("14:33:37"));
}

async fn jobs_fixture() -> Pipeline {
    let p = Pipeline::new().await;
    p.exec(&format!(
        "INSERT INTO jobs (id, type, status, ms_path, logs, created_at, started_at, finished_at) VALUES \
         (1, 'imaging', 'completed', '{a}', 'INFO start\nINFO done', {t1}, {t1}, {t2}),\
         (2, 'calibration', 'failed', '{b}', 'INFO start\nTraceback (most recent call last):\n  File \"x.py\"\nRuntimeError: no valid caltables', {t3}, {t3}, {t4}),\
         (3, 'imaging', 'running', '{c}', 'INFO start', {t5}, {t5}, NULL);\
         INSERT INTO ms_state (ms_path, current_state, transition_time, retry_count, error_message, created_at) VALUES \
         ('{a}', 'done', {t2}, 0, NULL, {t1}),\
         ('{b}', 'error', {t4}, 3, 'Traceback...\nCalibrationError: solve failed', {t3}),\
         ('{c}', 'imaging', {t6}, 1, NULL, {t5});\
         INSERT INTO batch_jobs (id, type, created_at, status, total_items, params) VALUES \
         (1, 'reimage', {t0}, 'running', 2, \"{{'ms_paths': ['x']}}\");\
         INSERT INTO batch_job_items (id, batch_id, ms_path, job_id, status, error, started_at, completed_at) VALUES \
         (1, 1, '{a}', 1, 'done', NULL, {t1}, {t2}),\
         (2, 1, '{b}', 2, 'failed', 'OSError: disk full', NULL, NULL);",
        a = ms_path("2025-10-21T14:23:19"),
        b = ms_path("2025-10-21T14:28:28"),
        c = ms_path("2025-10-21T14:33:37"),
        t0 = T0,
        t1 = T0 + 10.0,
        t2 = T0 + 20.0,
        t3 = T0 + 30.0,
        t4 = T0 + 40.0,
        t5 = T0 + 50.0,
        t6 = T0 + 60.0,
    ))
    .await;
    p
}

#[tokio::test]
async fn jobs_merge_all_three_sources_newest_first() {
    let p = jobs_fixture().await;
    let db = p.open().await;
    let page = db.jobs(&query("", 100)).await.unwrap();
    let keys: Vec<String> = page.rows.iter().map(|r| r.key.to_string()).collect();
    assert_eq!(page.rows.len(), 8, "{keys:?}");
    assert_eq!(
        keys[0],
        format!("ms_state:{}", ms_path("2025-10-21T14:33:37"))
    );
    assert_eq!(keys[1], "jobs:3");
    // The batch item without any time of its own sorts by its batch's creation.
    assert_eq!(keys.last().map(String::as_str), Some("batch:2"));
    let failed_job = page
        .rows
        .iter()
        .find(|r| r.key.to_string() == "jobs:2")
        .unwrap();
    assert_eq!(failed_job.status, JobStatus::Failed);
    assert_eq!(
        failed_job.error_line.as_deref(),
        Some("RuntimeError: no valid caltables")
    );
    let done_job = page
        .rows
        .iter()
        .find(|r| r.key.to_string() == "jobs:1")
        .unwrap();
    assert_eq!(
        done_job.error_line, None,
        "a finished job has no error line"
    );
    let ms_state = page
        .rows
        .iter()
        .find(|r| r.key.source == JobSource::MsState && r.raw_status == "error")
        .unwrap();
    assert_eq!(
        (ms_state.attempts, ms_state.max_attempts),
        (Some(3), Some(3))
    );
    let batch = page
        .rows
        .iter()
        .find(|r| r.key.to_string() == "batch:1")
        .unwrap();
    assert_eq!(batch.kind.as_deref(), Some("reimage"));
}

#[tokio::test]
async fn jobs_page_two_continues_page_one_across_sources() {
    let p = jobs_fixture().await;
    let db = p.open().await;
    let all: Vec<String> = db
        .jobs(&query("", 100))
        .await
        .unwrap()
        .rows
        .iter()
        .map(|r| r.key.to_string())
        .collect();
    for descending in [true, false] {
        let mut q = query("", 3);
        q.sort = Some(Sort {
            column: "time".into(),
            descending,
        });
        let mut paged = Vec::new();
        loop {
            let page = db.jobs(&q).await.unwrap();
            paged.extend(page.rows.iter().map(|r| r.key.to_string()));
            if !page.has_more {
                break;
            }
            q.after = page.next;
        }
        let mut expected = all.clone();
        if !descending {
            expected.reverse();
        }
        assert_eq!(paged, expected);
    }
}

#[tokio::test]
async fn failed_only_shows_failures_from_every_source() {
    let p = jobs_fixture().await;
    let db = p.open().await;
    let page = db.jobs(&query("status:failed", 100)).await.unwrap();
    let keys: Vec<String> = page.rows.iter().map(|r| r.key.to_string()).collect();
    assert_eq!(
        keys,
        vec![
            format!("ms_state:{}", ms_path("2025-10-21T14:28:28")),
            "jobs:2".to_string(),
            "batch:2".to_string()
        ]
    );
    let not_failed = db.jobs(&query("!status:failed", 100)).await.unwrap();
    assert_eq!(not_failed.rows.len(), 5);
    let only_batch = db
        .jobs(&query("source:batch error:disk", 100))
        .await
        .unwrap();
    assert_eq!(only_batch.rows.len(), 1);
    let by_ms = db
        .jobs(&query("ms:14:33:37 !source:ms_state", 100))
        .await
        .unwrap();
    assert_eq!(
        by_ms
            .rows
            .iter()
            .map(|r| r.key.to_string())
            .collect::<Vec<_>>(),
        vec!["jobs:3"]
    );
    let err = db.jobs(&query("status:exploded", 100)).await.unwrap_err();
    assert!(err.is_user_error());
}

#[tokio::test]
async fn default_pages_and_failed_only_stay_on_the_indexes() {
    let p = Pipeline::new().await;
    let db = p.open().await;
    // batch_job_items has no index on its times in the pipeline's schema. Every other table
    // (ms_state too: the pipeline's state machine indexes transition_time) must be read
    // through an index.
    let check = |lines: Vec<String>, what: &str| {
        for line in &lines {
            let unindexed_table = line.contains(" bi");
            assert!(
                unindexed_table || !is_full_scan(line),
                "{what}: full scan in {lines:?}"
            );
        }
    };
    // A page's second segment (rows without a sort value) asks `created_at IS NULL`; on the
    // pipeline's NOT NULL `images.created_at` and `jobs.created_at` SQLite codes that as a
    // jump past the loop, so its one bare `SCAN images` / `SCAN jobs` line reads no row.
    let without_null_segment = |lines: Vec<String>, table: &str| {
        let bare = format!("SCAN {table}");
        let n = lines.iter().filter(|l| **l == bare).count();
        assert_eq!(n, 1, "one NULL segment on {table}: {lines:?}");
        lines.into_iter().filter(|l| *l != bare).collect::<Vec<_>>()
    };
    let images = db.query_plan(Tab::Images, &query("", 200)).await.unwrap();
    check(without_null_segment(images, "images"), "images");
    check(db.query_plan(Tab::Ms, &query("", 200)).await.unwrap(), "ms");
    let jobs = db.query_plan(Tab::Jobs, &query("", 200)).await.unwrap();
    check(without_null_segment(jobs, "jobs"), "jobs");
    let failed = db
        .query_plan(Tab::Jobs, &query("status:failed", 200))
        .await
        .unwrap();
    check(failed.clone(), "failed jobs");
    assert!(
        failed.iter().any(|l| l.contains("idx_jobs_status")),
        "failed-only uses the status index: {failed:?}"
    );
}

#[tokio::test]
async fn the_legacy_eight_column_images_table_still_lists() {
    let p = Pipeline::new().await;
    p.exec(LEGACY_IMAGES).await;
    p.exec(&images_sql(3, T0)).await;
    let db = p.open().await;
    let page = db.images(&query("type:pbcor", 10)).await.unwrap();
    assert_eq!(page.rows.len(), 1);
    assert_eq!(page.rows[0].field_name, None);
    assert_eq!(page.rows[0].noise_jy, Some(0.001));
    // Filtering on a column the old layout lacks matches nothing rather than failing.
    assert!(
        db.images(&query("field:3C", 10))
            .await
            .unwrap()
            .rows
            .is_empty()
    );
    assert_eq!(
        db.images(&query("!field:3C", 10)).await.unwrap().rows.len(),
        3
    );
    assert_eq!(db.image(2).await.unwrap().map(|r| r.id), Some(2));
}

#[tokio::test]
async fn a_database_without_jobs_and_photometry_keeps_the_other_tabs() {
    let p = Pipeline::new().await;
    p.exec(&images_sql(2, T0)).await;
    p.exec("DROP TABLE jobs; DROP TABLE photometry;").await;
    let db = p.open().await;
    assert_eq!(db.images(&query("", 10)).await.unwrap().rows.len(), 2);
    // ms_state and batch items still feed the Jobs tab, which can say `jobs` is absent.
    assert!(db.jobs(&query("", 10)).await.is_ok());
    assert_eq!(
        db.job_sources(),
        vec![JobSource::MsState, JobSource::BatchItem]
    );
    // Without photometry the Sources tab reads the (here empty) `sources` table.
    let mut agg = contimg_monitor::db::SourceAggregate::new();
    db.refresh_sources(&mut agg).await.unwrap();
    assert!(agg.is_empty() && agg.progress().is_complete());
    p.exec("DROP TABLE ms_state; DROP TABLE batch_job_items; DROP TABLE images;")
        .await;
    db.reload_schema().await.unwrap();
    let err = db.jobs(&query("", 10)).await.unwrap_err();
    assert!(err.is_missing(), "{err}");
    let err = db.images(&query("", 10)).await.unwrap_err();
    assert!(matches!(err, DbError::MissingTable(ref t) if t == "images"));
}

#[tokio::test]
async fn an_empty_database_has_empty_lists_or_missing_tables() {
    let p = Pipeline::empty_file().await;
    p.exec("CREATE TABLE unrelated (x)").await;
    let db = p.open().await;
    assert!(db.images(&query("", 10)).await.unwrap_err().is_missing());
    assert!(db.ms_list(&query("", 10)).await.unwrap_err().is_missing());
    assert!(db.jobs(&query("", 10)).await.unwrap_err().is_missing());

    let full = Pipeline::new().await;
    let db = full.open().await;
    let page = db.images(&query("", 10)).await.unwrap();
    assert!(page.rows.is_empty() && !page.has_more && page.next.is_none());
    assert!(db.jobs(&query("", 10)).await.unwrap().rows.is_empty());
}

#[tokio::test]
#[ignore = "prints the plans for a human"]
async fn print_plans() {
    let p = Pipeline::new().await;
    let db = p.open().await;
    for (tab, f) in [
        (Tab::Images, ""),
        (Tab::Ms, ""),
        (Tab::Jobs, ""),
        (Tab::Jobs, "status:failed"),
    ] {
        println!(
            "{tab:?} {f}: {:#?}",
            db.query_plan(tab, &query(f, 200)).await.unwrap()
        );
    }
}

#[tokio::test]
async fn schema_changes_while_the_monitor_runs_are_picked_up() {
    let p = Pipeline::new().await;
    p.exec("DROP TABLE jobs; DROP TABLE ms_state; DROP TABLE batch_job_items;")
        .await;
    p.exec(&images_sql(2, T0)).await;
    let db = p.open().await;
    assert!(db.jobs(&query("", 10)).await.unwrap_err().is_missing());
    // The pipeline migrates: a table appears, a column goes away.
    p.exec(
        "CREATE TABLE jobs (id INTEGER PRIMARY KEY, type TEXT, status TEXT, ms_path TEXT, created_at REAL);\
         INSERT INTO jobs (type, status, created_at) VALUES ('imaging', 'running', 1.0);\
         ALTER TABLE images DROP COLUMN noise_jy;",
    )
    .await;
    assert_eq!(db.jobs(&query("", 10)).await.unwrap().rows.len(), 1);
    let images = db.images(&query("", 10)).await.unwrap();
    assert_eq!(images.rows.len(), 2);
    assert_eq!(images.rows[0].noise_jy, None);
}

#[tokio::test]
async fn the_index_the_pipeline_adds_on_ms_state_transitions_is_used() {
    // The state machine creates it at run time; the migration has it.
    let p = Pipeline::new().await;
    let db = p.open().await;
    let plan = db.query_plan(Tab::Jobs, &query("", 200)).await.unwrap();
    assert!(
        plan.iter()
            .any(|l| l.contains("ms_state USING INDEX idx_ms_state_transition_time")),
        "{plan:?}"
    );
}

/// `id:2` is the rows whose id is 2 — job 2 and batch item 2 — never 12 or 20.
#[tokio::test]
async fn an_id_filter_names_one_id_not_every_id_containing_it() {
    let p = jobs_fixture().await;
    p.exec(&format!(
        "INSERT INTO jobs (id, type, status, ms_path, logs, created_at) VALUES \
         (12, 'imaging', 'failed', '{a}', 'ERROR: boom', {t}), (20, 'imaging', 'done', '{a}', '', {t});",
        a = ms_path("2025-10-21T14:23:19"),
        t = T0 + 70.0,
    ))
    .await;
    let db = p.open().await;
    let page = db.jobs(&query("id:2", 100)).await.unwrap();
    let mut keys: Vec<String> = page.rows.iter().map(|r| r.key.to_string()).collect();
    keys.sort();
    assert_eq!(keys, vec!["batch:2", "jobs:2"]);
    let others = db.jobs(&query("!id:2 source:jobs", 100)).await.unwrap();
    assert!(others.rows.iter().any(|r| r.key.to_string() == "jobs:12"));
    assert!(others.rows.iter().all(|r| r.key.to_string() != "jobs:2"));
}
