//! The binary's non-interactive behaviour: clear messages and exit codes for bad input.

use std::process::Command;

fn monitor() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_contimg-monitor"));
    c.env_remove("PIPELINE_DB")
        .env_remove("PIPELINE_LOG_DIR")
        .env_remove("ABSURD_DATABASE_URL");
    c
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn print_config_shows_flags_over_environment_over_defaults() {
    let out = monitor()
        .env("PIPELINE_DB", "/from/env.sqlite3")
        .env("PIPELINE_LOG_DIR", "/from/env/logs")
        .args([
            "--config",
            "/dev/null",
            "--db",
            "/from/flag.sqlite3",
            "--print-config",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("db = \"/from/flag.sqlite3\""), "{text}");
    assert!(text.contains("log_dir = \"/from/env/logs\""), "{text}");
    assert!(text.contains("refresh_secs = 2.0"), "{text}");
}

#[test]
fn an_invalid_config_file_is_named_with_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[ui]\nrefresh_sec = 3\n").unwrap();
    let out = monitor()
        .args(["--config", path.to_str().unwrap(), "--print-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("bad.toml") && err.contains("refresh_sec"),
        "{err}"
    );
}

#[test]
fn a_named_config_file_that_does_not_exist_is_an_error() {
    let out = monitor()
        .args(["--config", "/nonexistent/contimg.toml", "--print-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("/nonexistent/contimg.toml"));
}

#[test]
fn once_exits_1_with_a_reason_when_the_database_cannot_be_opened() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("pipeline.sqlite3");
    let out = monitor()
        .args(["--config", "/dev/null", "--db", missing.to_str().unwrap()])
        .args(["once", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["database"]["status"], "error");
    assert!(
        json["database"]["message"]
            .as_str()
            .unwrap()
            .contains("pipeline.sqlite3")
    );
}

#[test]
fn once_refuses_a_file_that_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.sqlite3");
    std::fs::write(&text, "this is not a database\n".repeat(200)).unwrap();
    let out = monitor()
        .args(["--config", "/dev/null", "--db", text.to_str().unwrap()])
        .args(["once", "--format", "table"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(
        all.to_lowercase().contains("not an sqlite database"),
        "{all}"
    );
}

#[test]
fn fits_header_reports_each_unreadable_file_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("not.fits");
    std::fs::write(&text, "hello").unwrap();
    let out = monitor()
        .args(["fits-header", text.to_str().unwrap(), "/nonexistent.fits"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("not.fits") && err.contains("/nonexistent.fits"),
        "{err}"
    );
}

#[test]
fn snapshot_rejects_a_bad_size_clearly() {
    let out = monitor()
        .args(["--config", "/dev/null", "snapshot", "--size", "huge"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("COLSxROWS"));
}

/// A pool that is always full with clients waiting.
struct FullPool;

impl contimg_monitor::pool::PoolProbe for FullPool {
    fn sample(&self, now_unix: f64) -> contimg_monitor::snapshot::PoolStats {
        contimg_monitor::snapshot::PoolStats {
            source: "test".into(),
            name: "api".into(),
            max: 10,
            open: 10,
            in_use: 10,
            waiting: 6,
            sampled_at: now_unix,
            ..Default::default()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_exits_2_when_a_scraped_pool_is_saturated() {
    let dir = tempfile::tempdir().unwrap();
    let paths = contimg_monitor::demo::build_fixture(dir.path(), 1_761_056_599.0)
        .await
        .unwrap();
    let registry = contimg_monitor::pool::PoolRegistry::default();
    registry.register(std::sync::Arc::new(FullPool));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/metrics", listener.local_addr().unwrap());
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(contimg_monitor::demo::metrics::serve(
        listener, registry, stop_rx,
    ));
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[pools.sources]]\nkind = \"prometheus\"\nname = \"api-metrics\"\nurl = \"{url}\"\n"
        ),
    )
    .unwrap();
    let out = tokio::task::spawn_blocking(move || {
        monitor()
            .args(["--config", config.to_str().unwrap()])
            .args(["--db", paths.db.to_str().unwrap()])
            .args(["once", "--format", "json"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pools = json["pools"].as_array().unwrap();
    let api = pools
        .iter()
        .find(|p| p["source"] == "api-metrics")
        .unwrap_or_else(|| panic!("no scraped pool in {pools:?}"));
    assert_eq!(api["saturated"], true);
    assert_eq!(
        (api["in_use"].as_u64(), api["waiting"].as_u64()),
        (Some(10), Some(6))
    );
}
