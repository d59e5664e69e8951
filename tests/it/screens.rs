//! What the operator sees, frame by frame, on the fixture database with a fixed clock: the
//! real app and the real data layer driven by key presses (`headless::harness`), rendered at
//! 80x24 and 120x40 into insta snapshots. Paths are fixed (`/tmp/contimg-fixture/NAME`) so
//! frames are identical on every machine.

use std::path::PathBuf;

use contimg_monitor::app::AppConfig;
use contimg_monitor::db::DbOptions;
use contimg_monitor::demo::DemoPaths;
use contimg_monitor::headless::harness::Harness;
use ratatui::style::{Color, Modifier};

const NOW: f64 = 1_761_056_599.0; // 2025-10-21 14:23:19 UTC
const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// A fresh fixture under a fixed path, so paths on screen are the same everywhere.
async fn fixture(name: &str) -> DemoPaths {
    let dir = PathBuf::from("/tmp/contimg-fixture").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    contimg_monitor::demo::build_fixture(&dir, NOW)
        .await
        .unwrap()
}

async fn monitor(paths: &DemoPaths, no_color: bool, (cols, rows): (u16, u16)) -> Harness {
    let config = AppConfig {
        no_color,
        db_label: "fixture/pipeline.sqlite3".into(),
        ..AppConfig::default()
    };
    let mut h = Harness::open(
        config,
        paths.db.clone(),
        // One connection, so the Pool tab's open/idle counts do not depend on how many
        // connections sqlx happened to open for concurrent queries.
        &DbOptions {
            max_connections: 1,
            ..DbOptions::default()
        },
        Some(paths.logs_dir.clone().into()),
        NOW,
        true,
    )
    .await;
    h.resize(cols, rows).await;
    h
}

/// Press `keys` at each size and snapshot the screen as `{name}_{cols}x{rows}`.
async fn screens(paths: &DemoPaths, name: &str, keys: &str) -> Vec<String> {
    let mut frames = Vec::new();
    for size in SIZES {
        let mut h = monitor(paths, false, size).await;
        h.type_keys(keys).await;
        let frame = h.render(size.0, size.1);
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), frame);
        frames.push(frame);
    }
    frames
}

#[tokio::test]
async fn every_tab_of_the_monitor_on_the_fixture() {
    let paths = fixture("tabs").await;
    for (key, tab) in [
        ("1", "images"),
        ("2", "sources"),
        ("3", "jobs"),
        ("4", "ms"),
        ("5", "pool"),
    ] {
        let frames = screens(&paths, &format!("tab_{tab}"), key).await;
        assert!(
            frames.iter().all(|f| !f.contains("loading…")),
            "{tab} never filled"
        );
    }
}

#[tokio::test]
async fn a_failed_jobs_detail_shows_the_traceback_first() {
    let paths = fixture("failed_job").await;
    let frames = screens(&paths, "job_failed_detail", "3f\n").await;
    for f in &frames {
        assert!(f.contains("Error"), "{f}");
        assert!(f.contains("Traceback") || f.contains("Error:"), "{f}");
    }
}

#[tokio::test]
async fn failed_only_leaves_only_failures_from_every_source() {
    let paths = fixture("failed_only").await;
    let frames = screens(&paths, "jobs_failed_only", "3f").await;
    let big = &frames[1];
    assert!(
        big.contains("failed") && !big.contains("✓ ok") && !big.contains("▶ running"),
        "{big}"
    );
}

#[tokio::test]
async fn an_images_header_opens_with_its_summary() {
    let paths = fixture("image_header").await;
    let frames = screens(&paths, "image_header", "1\n").await;
    assert!(
        // The first image is a CASA directory (`Jy/beam`); FITS ones say `JY/BEAM`.
        frames[1].to_lowercase().contains("unit jy/beam") && frames[1].contains("OVRO"),
        "{}",
        frames[1]
    );
    screens(&paths, "image_header_raw", "1\nv").await;
}

#[tokio::test]
async fn an_ms_detail_gathers_state_images_jobs_and_calibration() {
    let paths = fixture("ms_detail").await;
    screens(&paths, "ms_detail", "4\n").await;
}

#[tokio::test]
async fn a_sources_light_curve_is_drawn() {
    let paths = fixture("source_detail").await;
    screens(&paths, "source_detail", "2\n").await;
}

#[tokio::test]
async fn help_is_generated_from_the_keymap() {
    let paths = fixture("help").await;
    let frames = screens(&paths, "help", "?").await;
    assert!(
        frames[0].contains("acknowledge pool saturati"),
        "{}",
        frames[0]
    );
    // On the Jobs tab the help adds the keys that only apply there.
    let jobs = screens(&paths, "help_jobs", "3?").await;
    assert!(
        jobs[0].contains("failed") && !frames[0].contains("failed"),
        "{}",
        jobs[0]
    );
}

#[tokio::test]
async fn with_no_color_the_selection_is_still_visible() {
    let paths = fixture("no_color").await;
    let mut h = monitor(&paths, true, (120, 40)).await;
    h.type_keys("3").await;
    let buffer = h.render_buffer(120, 40);
    let mut reversed_rows = 0;
    for y in 0..40 {
        for x in 0..120 {
            let cell = &buffer[(x, y)];
            assert!(
                matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
                "colour at {x},{y}: {:?}/{:?}",
                cell.fg,
                cell.bg
            );
        }
        if (0..120).all(|x| buffer[(x, y)].modifier.contains(Modifier::REVERSED)) {
            reversed_rows += 1;
        }
    }
    assert_eq!(reversed_rows, 1, "exactly the selected row is reversed");
}

#[tokio::test]
async fn the_older_eight_column_images_table_still_lists() {
    let dir = PathBuf::from("/tmp/contimg-fixture/legacy");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let paths = contimg_monitor::demo::build_legacy_fixture(&dir, NOW)
        .await
        .unwrap();
    let frames = screens(&paths, "legacy_images", "1").await;
    assert!(frames[1].contains("pbcor"), "{}", frames[1]);
}

#[tokio::test]
async fn a_database_without_photometry_and_jobs_says_so_and_the_rest_works() {
    let paths = fixture("missing_tables").await;
    drop_tables(&paths, &["photometry", "jobs"]).await;
    let sources = screens(&paths, "missing_photometry", "2").await;
    assert!(sources[1].contains("missing: photometry"), "{}", sources[1]);
    let jobs = screens(&paths, "missing_jobs", "3").await;
    assert!(
        jobs[1].contains("ms_state"),
        "the other job sources still list:\n{}",
        jobs[1]
    );
    assert!(jobs[1].contains("missing: jobs"), "{}", jobs[1]);
    let images = screens(&paths, "missing_tables_images", "1").await;
    assert!(images[1].contains("pbcor"));
}

#[tokio::test]
async fn an_empty_database_shows_empty_lists_with_a_reason() {
    let dir = PathBuf::from("/tmp/contimg-fixture/empty");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("pipeline.sqlite3");
    contimg_monitor::demo::create_schema(&db).await.unwrap();
    let paths = DemoPaths {
        db,
        images_dir: dir.clone(),
        logs_dir: dir.clone(),
        ms_dir: dir,
    };
    let frames = screens(&paths, "empty_jobs", "3").await;
    assert!(!frames[1].contains("loading…"), "{}", frames[1]);
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_named_with_the_reason() {
    let dir = PathBuf::from("/tmp/contimg-fixture/not_a_db");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("pipeline.sqlite3");
    std::fs::write(&db, "SQLite? no: a text file\n".repeat(100)).unwrap();
    let paths = DemoPaths {
        db,
        images_dir: dir.clone(),
        logs_dir: dir.clone(),
        ms_dir: dir,
    };
    let frames = screens(&paths, "not_a_database", "1").await;
    assert!(
        frames[1].contains("not an SQLite database"),
        "{}",
        frames[1]
    );
}

async fn drop_tables(paths: &DemoPaths, tables: &[&str]) {
    use sqlx::Connection;
    let url = format!("sqlite://{}", paths.db.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    // As on the pipeline's connections: its declared foreign keys are not enforced (sqlx
    // turns them on, and DROP TABLE would then check the tables referring to this one).
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut conn)
        .await
        .unwrap();
    for t in tables {
        // Table names come from this test's own literals.
        let sql = sqlx::AssertSqlSafe(format!("DROP TABLE {t}"));
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
}

/// `snapshot --tab images` reads the Images list only: at a year the Sources list alone is
/// every photometry row (seconds), and nobody is looking at it.
#[tokio::test]
async fn a_one_tab_snapshot_reads_only_that_tabs_list() {
    let paths = fixture("one_tab").await;
    let h = Harness::open_showing(
        AppConfig::default(),
        paths.db.clone(),
        &DbOptions::default(),
        Some(paths.logs_dir.clone().into()),
        NOW,
        true,
        Some(contimg_monitor::snapshot::Tab::Images),
    )
    .await;
    assert!(!h.app.images.rows.is_empty(), "the Images list was read");
    let others = [
        h.app.sources.rows.len(),
        h.app.jobs.rows.len(),
        h.app.ms.rows.len(),
    ];
    assert_eq!(others, [0, 0, 0], "no other list was read");
    let full = monitor(&paths, true, (120, 40)).await;
    assert!(
        !full.app.sources.rows.is_empty() && !full.app.jobs.rows.is_empty(),
        "the TUI harness reads every list"
    );
}
