//! Real-shape side records: `caltables` as the solve stage registers them (set named
//! `{ms stem}_{mid_mjd:.6f}`, validity ±1 h around the MS, `source_ms_path` left NULL by the
//! registration and set only by a provenance update), a failed `calibration_qa` row in the
//! layout the QA store writes, a `data_registry` product record, a mosaic plan and its
//! mosaic with `qa_status` WARN (INTEGER unix times), a transient candidate, ESE candidates,
//! and `alerts.sqlite3` with one firing and one resolved alert.
//!
//! Each table is created with the pipeline writer's own layout when the schema lacks it; a
//! table that exists in a layout the writer cannot insert into is left as the pipeline
//! leaves it (its insert fails there too).

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Row, SqlitePool};

use super::UpstreamFixture;
use crate::demo::names::group_id;
use crate::text::unix_to_mjd;

/// The fixture's calibrated MS: solved from itself, with failed calibration QA.
pub fn calibrated_ms(fx: &UpstreamFixture) -> String {
    ms_path(fx, fx.now - 2.0 * 3600.0)
}

/// An MS observed 40 min after [`calibrated_ms`]: inside its caltables' window.
pub fn covered_ms(fx: &UpstreamFixture) -> String {
    ms_path(fx, fx.now - 2.0 * 3600.0 + 40.0 * 60.0)
}

/// The image of [`calibrated_ms`] that has a `data_registry` record.
pub fn registered_image(fx: &UpstreamFixture) -> String {
    format!(
        "{}/images/{}.img.image.pbcor",
        fx.stage_dir.display(),
        group_id(fx.now - 2.0 * 3600.0)
    )
}

fn ms_path(fx: &UpstreamFixture, start: f64) -> String {
    format!("{}/ms/{}.ms", fx.stage_dir.display(), group_id(start))
}

/// `caltables` as `database/unified.py` creates it.
const CALTABLES_DDL: &str = "CREATE TABLE IF NOT EXISTS caltables (
    id INTEGER PRIMARY KEY, set_name TEXT NOT NULL, path TEXT NOT NULL UNIQUE,
    table_type TEXT NOT NULL, order_index INTEGER NOT NULL, cal_field TEXT, refant TEXT,
    created_at REAL NOT NULL, valid_start_mjd REAL, valid_end_mjd REAL,
    status TEXT NOT NULL DEFAULT 'active', notes TEXT, source_ms_path TEXT,
    solver_command TEXT, solver_version TEXT, solver_params TEXT, quality_metrics TEXT)";

/// Columns the pipeline's own caltables migration adds to an older table.
const CALTABLES_COLUMNS: &[(&str, &str)] = &[
    ("set_name", "TEXT"),
    ("table_type", "TEXT"),
    ("order_index", "INTEGER"),
    ("cal_field", "TEXT"),
    ("refant", "TEXT"),
    ("created_at", "REAL"),
    ("valid_start_mjd", "REAL"),
    ("valid_end_mjd", "REAL"),
    ("status", "TEXT"),
    ("notes", "TEXT"),
    ("source_ms_path", "TEXT"),
    ("solver_command", "TEXT"),
    ("solver_version", "TEXT"),
    ("solver_params", "TEXT"),
    ("quality_metrics", "TEXT"),
];

/// `calibration_qa` as the QA store (`calibration/qa.py`) creates it.
const CALIBRATION_QA_DDL: &str = "CREATE TABLE IF NOT EXISTS calibration_qa (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ms_path TEXT NOT NULL, passed BOOLEAN NOT NULL,
    severity TEXT NOT NULL, overall_grade TEXT NOT NULL, n_warnings INTEGER DEFAULT 0,
    n_errors INTEGER DEFAULT 0, avg_flag_fraction REAL, assessment_time_s REAL,
    result_json TEXT NOT NULL, created_at REAL NOT NULL, UNIQUE(ms_path, created_at));
CREATE INDEX IF NOT EXISTS idx_calibration_qa_ms_path ON calibration_qa(ms_path);
CREATE INDEX IF NOT EXISTS idx_calibration_qa_created_at ON calibration_qa(created_at DESC)";

/// `data_registry` as `database/data_registry.py` creates it (with its migrations).
const DATA_REGISTRY_DDL: &str = "CREATE TABLE IF NOT EXISTS data_registry (
    id INTEGER PRIMARY KEY AUTOINCREMENT, data_type TEXT NOT NULL, data_id TEXT NOT NULL UNIQUE,
    base_path TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'staging', stage_path TEXT NOT NULL,
    published_path TEXT, created_at REAL NOT NULL, staged_at REAL NOT NULL, published_at REAL,
    publish_mode TEXT, metadata_json TEXT, qa_status TEXT, validation_status TEXT,
    finalization_status TEXT DEFAULT 'pending', auto_publish_enabled INTEGER DEFAULT 1,
    publish_attempts INTEGER DEFAULT 0, publish_error TEXT,
    photometry_status TEXT DEFAULT NULL, photometry_job_id TEXT DEFAULT NULL,
    UNIQUE(data_type, data_id));
CREATE INDEX IF NOT EXISTS idx_data_registry_type_status ON data_registry(data_type, status);
CREATE INDEX IF NOT EXISTS idx_data_registry_status ON data_registry(status)";

/// The mosaic jobs' tables (`mosaic/schema.py`): INTEGER unix times.
const MOSAIC_DDL: &str = "CREATE TABLE IF NOT EXISTS mosaic_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE NOT NULL,
    tier TEXT NOT NULL CHECK(tier IN ('quicklook', 'science', 'deep')),
    start_time INTEGER NOT NULL, end_time INTEGER NOT NULL, image_ids TEXT NOT NULL,
    n_images INTEGER NOT NULL, ra_min_deg REAL, ra_max_deg REAL, dec_min_deg REAL,
    dec_max_deg REAL, created_at INTEGER NOT NULL, status TEXT DEFAULT 'pending'
    CHECK(status IN ('pending', 'building', 'completed', 'failed')));
CREATE TABLE IF NOT EXISTS mosaics (
    id INTEGER PRIMARY KEY AUTOINCREMENT, plan_id INTEGER NOT NULL REFERENCES mosaic_plans(id),
    path TEXT UNIQUE NOT NULL, tier TEXT NOT NULL, n_images INTEGER NOT NULL,
    median_rms_jy REAL, effective_noise_jy REAL, coverage_sq_deg REAL,
    qa_status TEXT CHECK(qa_status IN ('PASS', 'WARN', 'FAIL')), qa_details TEXT,
    created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS idx_mosaic_plans_created ON mosaic_plans(created_at);
CREATE INDEX IF NOT EXISTS idx_mosaics_plan ON mosaics(plan_id)";

/// `transient_candidates` (schema.sql and `catalog/transient_detection.py` agree).
const TRANSIENTS_DDL: &str = "CREATE TABLE IF NOT EXISTS transient_candidates (
    id INTEGER PRIMARY KEY AUTOINCREMENT, source_name TEXT NOT NULL, ra_deg REAL NOT NULL,
    dec_deg REAL NOT NULL, detection_type TEXT NOT NULL, flux_obs_mjy REAL NOT NULL,
    flux_baseline_mjy REAL, flux_ratio REAL, significance_sigma REAL NOT NULL,
    baseline_catalog TEXT, detected_at REAL NOT NULL, mosaic_id INTEGER, classification TEXT,
    variability_index REAL, last_updated REAL NOT NULL, notes TEXT, classified_by TEXT,
    classified_at REAL, follow_up_status TEXT);
CREATE INDEX IF NOT EXISTS idx_transients_detected ON transient_candidates(detected_at DESC)";

/// `ese_candidates` (schema.sql; written by `photometry/ese_detection.py`).
const ESE_DDL: &str = "CREATE TABLE IF NOT EXISTS ese_candidates (
    id INTEGER PRIMARY KEY AUTOINCREMENT, source_id TEXT NOT NULL, flagged_at REAL NOT NULL,
    flagged_by TEXT DEFAULT 'auto', significance REAL NOT NULL, flag_type TEXT NOT NULL,
    notes TEXT, status TEXT DEFAULT 'active', investigated_at REAL, dismissed_at REAL);
CREATE INDEX IF NOT EXISTS idx_ese_status ON ese_candidates(status);
CREATE INDEX IF NOT EXISTS idx_ese_flagged ON ese_candidates(flagged_at)";

/// `alert_history` as the AlertManager (`monitoring/alerting.py`) creates it.
pub const ALERTS_DDL: &str = include_str!("../../../migrations/sqlite/alerts.sql");

async fn columns(pool: &SqlitePool, table: &str) -> anyhow::Result<Vec<String>> {
    let rows = sqlx::query("SELECT name FROM pragma_table_info(?)")
        .bind(table)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get::<String, _>(0).ok())
        .map(|c| c.to_ascii_lowercase())
        .collect())
}

async fn run(pool: &SqlitePool, sql: &str) -> anyhow::Result<()> {
    sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
        .execute(pool)
        .await?;
    Ok(())
}

/// Create `caltables` or bring an older one to the solver's columns, as the pipeline does.
async fn ensure_caltables(pool: &SqlitePool) -> anyhow::Result<()> {
    run(pool, CALTABLES_DDL).await?;
    let have = columns(pool, "caltables").await?;
    for (col, ty) in CALTABLES_COLUMNS {
        if !have.iter().any(|c| c == col) {
            run(
                pool,
                &format!("ALTER TABLE caltables ADD COLUMN {col} {ty}"),
            )
            .await?;
        }
    }
    Ok(())
}

/// One calibration set as the solve stage registers it.
struct CalSet<'a> {
    ms: &'a str,
    start: f64,
    /// A set named by hand (a manual solve) instead of after its MS.
    name: Option<&'a str>,
    created_at: f64,
    status: &'a str,
    notes: Option<&'a str>,
    /// Set by the provenance tracker (on a re-solve whose tables were already registered).
    source_ms_path: Option<&'a str>,
    /// (type, order, qa_passed, flagged fraction, snr)
    tables: &'a [(&'a str, i64, bool, f64, f64)],
}

async fn write_set(
    pool: &SqlitePool,
    fx: &UpstreamFixture,
    set: &CalSet<'_>,
) -> anyhow::Result<()> {
    let mid = unix_to_mjd(set.start + 150.0);
    let stem = set.name.map_or_else(|| group_id(set.start), str::to_string);
    let set_name = match set.name {
        Some(n) => n.to_string(),
        None => format!("{stem}_{mid:.6}"),
    };
    let (start_mjd, end_mjd) = (
        unix_to_mjd(set.start) - 1.0 / 24.0,
        unix_to_mjd(set.start + 300.0) + 1.0 / 24.0,
    );
    for (ty, order, passed, flagged, snr) in set.tables {
        let suffix = match *ty {
            "K" => "kcal",
            "BP" => "bpcal",
            "GP" => "gpcal",
            "GA" => "gacal",
            _ => "cal",
        };
        let path = format!("{}/caltables/{stem}_0_{suffix}", fx.stage_dir.display());
        let mut quality = serde_json::json!({
            "qa_passed": passed, "assessed_at": set.created_at, "n_solutions": 4608,
            "flagged_fraction": flagged, "snr_mean": snr, "snr_median": snr * 0.95,
            "n_antennas": 96, "n_spws": 16,
        });
        if !passed {
            quality["issues"] = serde_json::json!([format!(
                "Flagged fraction {:.1}% exceeds 50%",
                flagged * 100.0
            )]);
        }
        sqlx::query(
            "INSERT OR REPLACE INTO caltables (set_name, path, table_type, order_index, \
             cal_field, refant, created_at, valid_start_mjd, valid_end_mjd, status, notes, \
             source_ms_path, solver_command, solver_version, solver_params, quality_metrics) \
             VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        )
        .bind(&set_name)
        .bind(&path)
        .bind(*ty)
        .bind(*order)
        .bind("0")
        .bind("103")
        .bind(set.created_at)
        .bind(start_mjd)
        .bind(end_mjd)
        .bind(set.status)
        .bind(set.notes)
        .bind(set.source_ms_path)
        .bind(
            set.source_ms_path
                .map(|_| format!("gaincal(vis='{}', caltable='{path}', refant='103')", set.ms)),
        )
        .bind(set.source_ms_path.map(|_| "6.6.5.31"))
        .bind(
            set.source_ms_path
                .map(|_| r#"{"refant": "103", "solint": "inf"}"#),
        )
        .bind(quality.to_string())
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Everything this area writes into the pipeline database and `alerts.sqlite3`.
pub async fn write(pool: &SqlitePool, fx: &UpstreamFixture) -> anyhow::Result<()> {
    let now = fx.now;
    let ms = calibrated_ms(fx);
    let start = now - 2.0 * 3600.0;
    ensure_caltables(pool).await?;
    // A manual solve from the same MS, registered first so its provenance update found its
    // rows (the stage's own registration writes no source_ms_path); retired since.
    let manual = format!("calpass_{}", &group_id(start)[..10]);
    write_set(
        pool,
        fx,
        &CalSet {
            ms: &ms,
            start,
            name: Some(&manual),
            created_at: now - 7000.0,
            status: "retired",
            notes: Some(" Retired: re-solved"),
            source_ms_path: Some(&ms),
            tables: &[("GA", 40, true, 0.08, 31.0)],
        },
    )
    .await?;
    // The set solved from the MS before: its window reaches this MS.
    let earlier = ms_path(fx, start - 40.0 * 60.0);
    write_set(
        pool,
        fx,
        &CalSet {
            ms: &earlier,
            start: start - 40.0 * 60.0,
            name: None,
            created_at: now - 9000.0,
            status: "active",
            notes: None,
            source_ms_path: None,
            tables: &[("GP", 50, true, 0.06, 35.0)],
        },
    )
    .await?;
    // The current set: registered by the stage (no source_ms_path), the bandpass QA failed.
    write_set(
        pool,
        fx,
        &CalSet {
            ms: &ms,
            start,
            name: None,
            created_at: now - 6600.0,
            status: "active",
            notes: None,
            source_ms_path: None,
            tables: &[
                ("K", 10, true, 0.04, 42.0),
                ("BP", 30, false, 0.63, 4.2),
                ("GP", 50, true, 0.05, 38.5),
            ],
        },
    )
    .await?;
    write_calibration_qa(pool, &ms, now - 6500.0).await?;
    write_registry(pool, fx, now).await?;
    write_mosaic(pool, fx, now).await?;
    write_candidates(pool, now).await?;
    write_alerts(&fx.alerts_db, now).await?;
    Ok(())
}

async fn write_calibration_qa(pool: &SqlitePool, ms: &str, at: f64) -> anyhow::Result<()> {
    run(pool, CALIBRATION_QA_DDL).await?;
    if !columns(pool, "calibration_qa")
        .await?
        .iter()
        .any(|c| c == "passed")
    {
        // schema.sql's layout won: the QA store's insert fails there, as in production.
        return Ok(());
    }
    let result = serde_json::json!({
        "ms_path": ms, "passed": false, "severity": "error", "overall_grade": "failed",
        "issues": [
            {"severity": "error", "cal_type": "BP", "metric": "flag_fraction", "value": 0.63,
             "threshold": 0.5, "message": "BP: 63% of solutions flagged (limit 50%)"},
            {"severity": "warning", "cal_type": "BP", "metric": "snr", "value": 4.2,
             "threshold": 5.0, "message": "BP: median SNR 4.2 below 5.0"}
        ],
        "metrics": [], "summary": {"n_errors": 1, "n_warnings": 1, "avg_flag_fraction": 0.24},
        "assessment_time_s": 3.8, "timestamp": at,
    });
    sqlx::query(
        "INSERT INTO calibration_qa (ms_path, passed, severity, overall_grade, n_warnings, \
         n_errors, avg_flag_fraction, assessment_time_s, result_json, created_at) \
         VALUES (?, 0, 'error', 'failed', 1, 1, 0.24, 3.8, ?, ?)",
    )
    .bind(ms)
    .bind(result.to_string())
    .bind(at)
    .execute(pool)
    .await?;
    Ok(())
}

async fn write_registry(pool: &SqlitePool, fx: &UpstreamFixture, now: f64) -> anyhow::Result<()> {
    run(pool, DATA_REGISTRY_DDL).await?;
    let have = columns(pool, "data_registry").await?;
    if !["data_id", "stage_path", "base_path"]
        .iter()
        .all(|c| have.iter().any(|h| h == c))
    {
        return Ok(());
    }
    let image = registered_image(fx);
    let ms = calibrated_ms(fx);
    for (ty, id, status, published) in [
        ("image", image.as_str(), "published", true),
        ("ms", ms.as_str(), "staging", false),
    ] {
        sqlx::query(
            "INSERT OR REPLACE INTO data_registry (data_type, data_id, base_path, status, \
             stage_path, published_path, created_at, staged_at, published_at, publish_mode, \
             metadata_json, finalization_status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        )
        .bind(ty)
        .bind(id)
        .bind(fx.stage_dir.display().to_string())
        .bind(status)
        .bind(id)
        .bind(published.then(|| id.replace("/stage/", "/products/")))
        .bind(now - 6000.0)
        .bind(now - 6000.0)
        .bind(published.then_some(now - 5900.0))
        .bind(published.then_some("auto"))
        .bind(serde_json::json!({"ms_path": ms}).to_string())
        .bind(if published { "finalized" } else { "pending" })
        .execute(pool)
        .await?;
    }
    Ok(())
}

async fn write_mosaic(pool: &SqlitePool, fx: &UpstreamFixture, now: f64) -> anyhow::Result<()> {
    run(pool, MOSAIC_DDL).await?;
    let now_i = now as i64;
    let name = format!("science_{}", &group_id(now - 86_400.0)[..10]);
    let jobs_layout = columns(pool, "mosaics")
        .await?
        .iter()
        .any(|c| c == "plan_id");
    let plan = sqlx::query(
        "INSERT OR REPLACE INTO mosaic_plans (name, tier, start_time, end_time, image_ids, \
         n_images, ra_min_deg, ra_max_deg, dec_min_deg, dec_max_deg, created_at, status) \
         VALUES (?, 'science', ?, ?, '[11, 12, 13, 14]', 4, 201.2, 208.9, 41.6, 43.1, ?, ?)",
    )
    .bind(&name)
    .bind(now_i - 86_400)
    .bind(now_i - 3_600)
    .bind(now_i - 3_000)
    .bind(if jobs_layout { "completed" } else { "failed" })
    .execute(pool)
    .await?
    .last_insert_rowid();
    if jobs_layout {
        let qa = serde_json::json!({
            "astrometry_rms_arcsec": 1.9, "n_reference_stars": 37, "median_noise_jy": 0.00041,
            "dynamic_range": 410.0, "has_artifacts": true, "artifact_score": 0.31,
            "warnings": ["Artifacts near the field edge"], "critical_failures": [],
            "passed": true,
        });
        sqlx::query(
            "INSERT OR REPLACE INTO mosaics (plan_id, path, tier, n_images, median_rms_jy, \
             coverage_sq_deg, qa_status, qa_details, created_at) \
             VALUES (?, ?, 'science', 4, 0.00041, 11.6, 'WARN', ?, ?)",
        )
        .bind(plan)
        .bind(format!("{}/mosaics/{name}.fits", fx.stage_dir.display()))
        .bind(qa.to_string())
        .bind(now_i - 2_400)
        .execute(pool)
        .await?;
    }
    Ok(())
}

async fn write_candidates(pool: &SqlitePool, now: f64) -> anyhow::Result<()> {
    run(pool, TRANSIENTS_DDL).await?;
    sqlx::query(
        "INSERT INTO transient_candidates (source_name, ra_deg, dec_deg, detection_type, \
         flux_obs_mjy, flux_baseline_mjy, flux_ratio, significance_sigma, baseline_catalog, \
         detected_at, last_updated) VALUES \
         ('DSA J133012.4+421733', 202.5517, 42.2925, 'new', 18.4, NULL, NULL, 12.3, 'NVSS', ?, ?)",
    )
    .bind(now - 3.0 * 3600.0)
    .bind(now - 3.0 * 3600.0)
    .execute(pool)
    .await?;
    run(pool, ESE_DDL).await?;
    for (source, at, sig, status) in [
        ("NVSS J133012+421733", now - 2.0 * 3600.0, 6.1, "active"),
        ("NVSS J132544+413302", now - 3.0 * 86_400.0, 5.4, "active"),
        (
            "NVSS J131907+430148",
            now - 5.0 * 86_400.0,
            5.1,
            "dismissed",
        ),
    ] {
        sqlx::query(
            "INSERT INTO ese_candidates (source_id, flagged_at, flagged_by, significance, \
             flag_type, status) VALUES (?, ?, 'auto', ?, 'auto', ?)",
        )
        .bind(source)
        .bind(at)
        .bind(sig)
        .bind(status)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Open (creating) `alerts.sqlite3` as the AlertManager does: a plain rollback journal.
pub async fn open_alerts_writer(path: &Path) -> anyhow::Result<SqlitePool> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(
            SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Delete),
        )
        .await?;
    run(&pool, ALERTS_DDL).await?;
    Ok(pool)
}

/// One alert as the AlertManager saves it when it fires.
pub async fn fire_alert(
    pool: &SqlitePool,
    rule: &str,
    severity: &str,
    message: &str,
    fired_at: f64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO alert_history (rule_name, severity, state, message, fired_at, labels_json) \
         VALUES (?, ?, 'firing', ?, ?, ?)",
    )
    .bind(rule)
    .bind(severity)
    .bind(message)
    .bind(fired_at)
    .bind(r#"{"component": "pipeline"}"#)
    .execute(pool)
    .await?;
    Ok(())
}

/// Resolve a rule's open alert, as the AlertManager does when its condition clears.
pub async fn resolve_alert(pool: &SqlitePool, rule: &str, at: f64) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE alert_history SET state = 'resolved', resolved_at = ? \
         WHERE rule_name = ? AND resolved_at IS NULL",
    )
    .bind(at)
    .bind(rule)
    .execute(pool)
    .await?;
    Ok(())
}

async fn write_alerts(path: &Path, now: f64) -> anyhow::Result<()> {
    let pool = open_alerts_writer(path).await?;
    // Whole seconds here (INTEGER-valued), fractional below: both are unix seconds.
    fire_alert(
        &pool,
        "pipeline_backlog_critical",
        "critical",
        "Pipeline backlog is critical: over 500 pending tasks",
        (now - 1200.0).floor(),
    )
    .await?;
    fire_alert(
        &pool,
        "pipeline_processing_slow",
        "warning",
        "Pipeline processing is slower than expected",
        now - 5.0 * 3600.0 + 0.25,
    )
    .await?;
    resolve_alert(&pool, "pipeline_processing_slow", now - 4.0 * 3600.0).await?;
    pool.close().await;
    Ok(())
}

/// The live demo's side records: the same writers, at the demo database (`db`) under
/// `root`, with `alerts.sqlite3` beside it (written afresh).
pub async fn write_demo(db: &Path, root: &Path, now: f64) -> anyhow::Result<()> {
    let alerts_db = crate::db::records::alerts::default_alerts_path(db);
    if alerts_db.exists() {
        std::fs::remove_file(&alerts_db)?;
    }
    let fx = UpstreamFixture {
        root: root.to_path_buf(),
        db: db.to_path_buf(),
        alerts_db,
        logs_dir: root.join("state/logs"),
        stage_dir: root.join("stage/dsa110-contimg"),
        now,
    };
    let pool = crate::demo::schema::open_writer(db, 1, Duration::from_secs(30)).await?;
    let result = write(&pool, &fx).await;
    pool.close().await;
    result
}

/// The demo simulator's alert rule: fires when it is not firing, resolves when it is, as
/// the AlertManager's evaluation would over time.
pub async fn toggle_demo_alert(pipeline_db: &Path, now: f64) -> anyhow::Result<()> {
    const RULE: &str = "pipeline_backlog_growing";
    let pool = open_alerts_writer(&crate::db::records::alerts::default_alerts_path(
        pipeline_db,
    ))
    .await?;
    let firing: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM alert_history WHERE rule_name = ? AND resolved_at IS NULL",
    )
    .bind(RULE)
    .fetch_one(&pool)
    .await?;
    let result = if firing > 0 {
        resolve_alert(&pool, RULE, now).await
    } else {
        fire_alert(
            &pool,
            RULE,
            "warning",
            "Pipeline backlog is growing: over 100 pending tasks",
            now,
        )
        .await
    };
    pool.close().await;
    result
}
