//! Cron runs `contimg-monitor once --format json`: the triage groups and stuck list are in the
//! JSON, and the exit code says whether a threshold is crossed (2) or not (0).

use std::process::{Command, Output};

use contimg_monitor::demo::build_fixture;
use contimg_monitor::services::now_unix;

fn monitor() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_contimg-monitor"));
    c.env_remove("PIPELINE_DB")
        .env_remove("PIPELINE_LOG_DIR")
        .env_remove("ABSURD_DATABASE_URL")
        .env_remove("NO_COLOR");
    c
}

async fn fixture_today(dir: &tempfile::TempDir) -> std::path::PathBuf {
    // `once` reads the real clock: the fixture's day is today.
    build_fixture(dir.path(), now_unix()).await.unwrap().db
}

fn json_of(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[tokio::test]
async fn a_hung_job_makes_once_exit_2_with_the_groups_and_the_stuck_list() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture_today(&dir).await;
    let out = monitor()
        .args(["--config", "/dev/null", "--db"])
        .arg(&db)
        .args(["once", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = json_of(&out);
    let triage = &json["triage"];
    assert_eq!(triage["crossed"], true);
    let groups = triage["groups"].as_array().unwrap();
    assert!(!groups.is_empty());
    for g in groups {
        assert!(
            g["signature"].is_string() && g["count"].as_u64().unwrap() >= 1,
            "{g}"
        );
        assert!(g["first_seen"].as_f64() <= g["last_seen"].as_f64(), "{g}");
        assert!(g["example_id"].as_str().unwrap().contains(':'), "{g}");
    }
    let stuck = triage["stuck"].as_array().unwrap();
    assert!(
        stuck
            .iter()
            .any(|s| s["what"] == "imaging" && s["kind"] == "running")
    );
    assert!(
        triage["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["what"] == "stuck"),
        "{triage}"
    );
    assert_eq!(json["queue"]["status"], "missing");
    assert_eq!(triage["headline"]["backlog"], serde_json::Value::Null);

    let table = monitor()
        .args(["--config", "/dev/null", "--db"])
        .arg(&db)
        .args(["once", "--format", "table"])
        .output()
        .unwrap();
    assert_eq!(table.status.code(), Some(2));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("ALERT"), "{text}");
    assert!(text.contains("triage    failure rate"), "{text}");
}

#[tokio::test]
async fn under_the_thresholds_once_exits_0_and_a_dead_queue_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture_today(&dir).await;
    let config = dir.path().join("lenient.toml");
    std::fs::write(
        &config,
        "[triage]\nstuck_minutes = 100000.0\ncollecting_stuck_minutes = 100000.0\n\
         failure_rate_alert = 1.0\nbacklog_alert = 1000000\n",
    )
    .unwrap();
    let out = monitor()
        .arg("--config")
        .arg(&config)
        .arg("--db")
        .arg(&db)
        .args(["once", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(json_of(&out)["triage"]["crossed"], false);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = monitor()
        .arg("--config")
        .arg(&config)
        .arg("--db")
        .arg(&db)
        .env(
            "ABSURD_DATABASE_URL",
            format!("postgresql://postgres@127.0.0.1:{port}/dsa110_absurd"),
        )
        .args(["once", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let json = json_of(&out);
    assert_eq!(json["queue"]["status"], "error");
    assert!(
        json["queue"]["message"]
            .as_str()
            .unwrap()
            .contains("unreachable")
    );
    assert!(
        json["triage"]["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["what"] == "queue")
    );
}

/// A job's error holds `ESC[31m…` (the fixture's coloured traceback): `once` writes it as
/// the visible `␛`, in JSON and in the table, so `jq -r` cannot print a live escape.
#[tokio::test]
async fn once_output_is_inert_whatever_the_data_holds() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture_today(&dir).await;
    // A failure of today whose exception line is coloured, with a bell and a bidi override.
    let writer =
        contimg_monitor::demo::schema::open_writer(&db, 1, std::time::Duration::from_secs(5))
            .await
            .unwrap();
    sqlx::query(
        "UPDATE jobs SET logs = ? WHERE id = (SELECT max(id) FROM jobs WHERE status = 'failed')",
    )
    .bind("Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: \u{1b}[31mred\u{1b}[0m \u{7} \u{202e}gnp.exe")
    .execute(&writer)
    .await
    .unwrap();
    writer.close().await;
    for format in ["json", "table"] {
        let out = monitor()
            .args(["--config", "/dev/null", "--db"])
            .arg(&db)
            .args(["once", "--format", format])
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let controls: Vec<char> = stdout
            .chars()
            .filter(|c| c.is_control() && *c != '\n')
            .collect();
        assert!(controls.is_empty(), "{format}: {controls:?} in\n{stdout}");
        if format == "table" {
            assert!(!stdout.contains("null"), "no `null` words:\n{stdout}");
        } else {
            // Decoded, the JSON strings hold no escape either (the raw text could hide one
            // as \u001b).
            let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            let decoded = json.to_string();
            assert!(!decoded.contains("\\u001b"), "{decoded}");
            assert!(
                decoded.contains('␛'),
                "the fixture's escape is shown as ␛: {decoded}"
            );
        }
    }
}
