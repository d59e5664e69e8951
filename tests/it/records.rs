//! Story tests for the tables operators look for (issue 11, point 8), on the real-shape
//! fixture: calibration tables and QA in the MS detail, the pipeline's own alerts in triage
//! and `once`, and notes (not errors) for tables this pipeline never writes or files that
//! are not there.

use std::process::Command;

use contimg_monitor::db::records::AlertsDb;
use contimg_monitor::db::{Db, DbOptions};
use contimg_monitor::demo::upstream::{self, UpstreamFixture, tables};
use contimg_monitor::headless::once_records;
use contimg_monitor::services::records::triage_records;
use contimg_monitor::snapshot::records::{
    AlertSeverity, AlertsState, CalLink, CalTableStatus, NoteKind, QaSeverity,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const NOW: f64 = 1_761_056_599.0;

async fn fixture(dir: &tempfile::TempDir, now: f64) -> UpstreamFixture {
    upstream::build_fixture(dir.path(), now).await.unwrap()
}

fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn an_ms_detail_lists_the_calibration_tables_that_apply_to_it_and_their_qa() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(&dir, NOW).await;
    let db = Db::open(&fx.db, &DbOptions::default()).await.unwrap();
    let ms = tables::calibrated_ms(&fx);
    let d = db.ms_detail(&ms).await.unwrap();
    let cal = &d.cal;
    // The stage's set (named after the MS), the manual solve (source_ms_path) and the earlier
    // MS's set whose window covers this one.
    let types: Vec<(&str, &CalTableStatus, &CalLink)> = cal
        .tables
        .iter()
        .map(|t| (t.table_type.as_deref().unwrap(), &t.status, &t.links[0]))
        .collect();
    assert_eq!(cal.tables.len(), 5, "{types:?}");
    let bp = cal
        .tables
        .iter()
        .find(|t| t.path.ends_with("_bpcal"))
        .expect("the bandpass table");
    assert_eq!(bp.status, CalTableStatus::Active);
    assert_eq!(bp.refant.as_deref(), Some("103"));
    assert_eq!(bp.links, vec![CalLink::SetNamed, CalLink::WindowCovers]);
    assert_eq!(bp.quality.as_ref().unwrap().qa_passed, Some(false));
    let manual = cal
        .tables
        .iter()
        .find(|t| t.status == CalTableStatus::Retired)
        .expect("the retired manual solve");
    assert_eq!(manual.links[0], CalLink::SolvedFrom);
    assert!(
        manual
            .solver_command
            .as_deref()
            .unwrap()
            .starts_with("gaincal(")
    );
    assert!(
        cal.tables
            .iter()
            .any(|t| t.links == vec![CalLink::WindowCovers]),
        "the earlier MS's set: {types:?}"
    );
    // Sets newest first, each in apply order: the stage's K, BP, GP lead.
    let order: Vec<i64> = cal
        .tables
        .iter()
        .take(3)
        .map(|t| t.order_index.unwrap())
        .collect();
    assert_eq!(order, vec![10, 30, 50]);
    let qa = &cal.qa[0];
    assert_eq!((qa.passed, &qa.severity), (Some(false), &QaSeverity::Error));
    assert_eq!(qa.overall_grade.as_deref(), Some("failed"));
    assert!(
        qa.issues[0].contains("63%"),
        "errors first: {:?}",
        qa.issues
    );

    // On screen: the QA verdict, the tables and why each applies.
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let theme = contimg_monitor::ui::detail::Theme::new(true);
    terminal
        .draw(|f| {
            contimg_monitor::ui::detail::render_ms_detail(
                f,
                f.area(),
                &d,
                &Default::default(),
                NOW,
                &theme,
            )
        })
        .unwrap();
    let text = screen_text(&terminal);
    assert!(text.contains("cal QA FAILED"), "{text}");
    assert!(text.contains("grade failed"), "{text}");
    assert!(text.contains("set named after it"), "{text}");
    assert!(text.contains("solved from it"), "{text}");
    assert!(text.contains("window covers it"), "{text}");
    assert!(text.contains("FAIL flag 63%"), "{text}");

    // An MS observed 40 min later has no tables of its own but is inside the window.
    let later = db.ms_calibration(&tables::covered_ms(&fx)).await.unwrap();
    assert!(!later.tables.is_empty());
    assert!(
        later
            .tables
            .iter()
            .all(|t| t.links == vec![CalLink::WindowCovers])
    );
    assert!(later.qa.is_empty());
}

#[tokio::test]
async fn a_firing_pipeline_alert_shows_in_triage_and_in_onces_json() {
    let dir = tempfile::tempdir().unwrap();
    let now = contimg_monitor::services::now_unix();
    let fx = fixture(&dir, now).await;
    let db = Db::open(&fx.db, &DbOptions::default()).await.unwrap();
    let alerts = AlertsDb::new(fx.alerts_db.clone(), DbOptions::default());
    let records = triage_records(Some(&db), &alerts, now - 86_400.0).await;
    let AlertsState::Ok {
        firing,
        firing_total,
    } = &records.alerts
    else {
        panic!("{:?}", records.alerts);
    };
    assert_eq!(*firing_total, 1, "the resolved one is not firing");
    assert_eq!(firing[0].rule_name, "pipeline_backlog_critical");
    assert_eq!(firing[0].severity, AlertSeverity::Critical);
    // Candidates: two active ESE (one in the window), one unclassified transient.
    assert_eq!(
        serde_json::to_value(&records.ese).unwrap(),
        serde_json::json!({"status": "ok", "active": 2, "recent": 1})
    );
    assert_eq!(records.mosaics[0].qa_status.as_deref(), Some("WARN"));

    let lines = contimg_monitor::ui::triage_records::records_lines(
        &records,
        now,
        120,
        contimg_monitor::ui::theme::Theme::new(true),
    );
    let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    assert!(text[0].contains("1 firing"), "{text:?}");
    assert!(
        text[1].contains("CRITICAL") && text[1].contains("pipeline_backlog_critical"),
        "{text:?}"
    );
    assert!(text.iter().any(|l| l.contains("QA WARN")), "{text:?}");
    assert!(!text.iter().any(|l| l.contains("pipeline_processing_slow")));

    let out = Command::new(env!("CARGO_BIN_EXE_contimg-monitor"))
        .env_remove("PIPELINE_DB")
        .env_remove("ABSURD_DATABASE_URL")
        .args(["--config", "/dev/null", "--db"])
        .arg(&fx.db)
        .args(["once", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let a = &json["pipeline_alerts"];
    assert_eq!(a["status"], "ok", "{a}");
    assert_eq!(a["firing_total"], 1);
    assert_eq!(a["firing"][0]["rule_name"], "pipeline_backlog_critical");
    assert_eq!(a["firing"][0]["severity"], "critical");
    assert_eq!(json["candidates"]["transients"]["active"], 1);
    let table = Command::new(env!("CARGO_BIN_EXE_contimg-monitor"))
        .env_remove("PIPELINE_DB")
        .env_remove("ABSURD_DATABASE_URL")
        .args(["--config", "/dev/null", "--db"])
        .arg(&fx.db)
        .args(["once", "--format", "table"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("pipeline alerts  1 firing"), "{table}");
    assert!(
        table.contains("CRITICAL pipeline_backlog_critical"),
        "{table}"
    );
}

#[tokio::test]
async fn a_table_this_pipeline_never_writes_is_a_note_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(&dir, NOW).await;
    // schema.sql creates these; nothing in this pipeline version writes them.
    let writer =
        contimg_monitor::demo::schema::open_writer(&fx.db, 1, std::time::Duration::from_secs(5))
            .await
            .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS image_qa (id INTEGER PRIMARY KEY, ms_path TEXT, image_path TEXT);
         CREATE TABLE IF NOT EXISTS calibration_applied (id INTEGER PRIMARY KEY, ms_path TEXT);
         CREATE TABLE IF NOT EXISTS alert_history (id INTEGER PRIMARY KEY, alert_name TEXT,
             severity TEXT, triggered_at REAL);",
    )
    .execute(&writer)
    .await
    .unwrap();
    writer.close().await;
    let db = Db::open(&fx.db, &DbOptions::default()).await.unwrap();
    let d = db.ms_detail(&tables::calibrated_ms(&fx)).await.unwrap();
    let applied = d
        .cal
        .notes
        .iter()
        .find(|n| n.table == "calibration_applied")
        .expect("a note for calibration_applied");
    assert_eq!(applied.kind, NoteKind::NotWritten);
    assert_eq!(
        applied.text,
        "calibration_applied: not written by this pipeline version"
    );

    let image = tables::registered_image(&fx);
    let qa = db
        .image_qa(&image, Some(&tables::calibrated_ms(&fx)))
        .await
        .unwrap();
    assert_eq!(qa.notes[0].kind, NoteKind::NotWritten);
    assert_eq!(qa.notes[0].table, "image_qa");
    assert_eq!(qa.registry.unwrap().status.as_deref(), Some("published"));

    let alerts = AlertsDb::new(fx.alerts_db.clone(), DbOptions::default());
    let records = triage_records(Some(&db), &alerts, NOW - 86_400.0).await;
    let note = records
        .notes
        .iter()
        .find(|n| n.table == "alert_history")
        .expect("a note for pipeline.sqlite3's alert_history");
    assert_eq!(note.kind, NoteKind::NotWritten);
    // And the real alerts still come from alerts.sqlite3.
    assert!(matches!(records.alerts, AlertsState::Ok { .. }));
}

#[tokio::test]
async fn a_missing_alerts_sqlite3_is_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixture(&dir, contimg_monitor::services::now_unix()).await;
    std::fs::remove_file(&fx.alerts_db).unwrap();
    let db = Db::open(&fx.db, &DbOptions::default()).await.unwrap();
    let alerts = AlertsDb::new(fx.alerts_db.clone(), DbOptions::default());
    let records = triage_records(Some(&db), &alerts, NOW).await;
    let AlertsState::Missing { note } = &records.alerts else {
        panic!("{:?}", records.alerts);
    };
    assert!(
        note.text.starts_with("no alerts.sqlite3 at "),
        "{}",
        note.text
    );
    assert!(!fx.alerts_db.exists(), "reading must not create it");
    let json = once_records::alerts_json(&records);
    assert_eq!(json["status"], "missing");
    let lines = contimg_monitor::ui::triage_records::records_lines(
        &records,
        NOW,
        160,
        contimg_monitor::ui::theme::Theme::new(true),
    );
    assert!(lines[0].to_string().contains("no alerts.sqlite3 at"));

    // `once` answers (exit 0 or 2 for the fixture's own thresholds, never 1) and says so.
    let out = Command::new(env!("CARGO_BIN_EXE_contimg-monitor"))
        .env_remove("PIPELINE_DB")
        .env_remove("ABSURD_DATABASE_URL")
        .args(["--config", "/dev/null", "--db"])
        .arg(&fx.db)
        .args(["once", "--format", "json"])
        .output()
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["pipeline_alerts"]["status"], "missing");
}
