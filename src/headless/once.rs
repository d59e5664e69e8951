//! `contimg-monitor once --format json|table`: one poll of every source, then exit.
//! Exit code 0 when every source answered (a missing table is an answer) and no alert
//! threshold is crossed; 1 when the database cannot be opened or a query failed; 2 when a
//! pool is saturated, a triage threshold is crossed (failure rate, backlog, stuck work)
//! or a configured queue does not answer. Made for cron jobs and for pasting into tickets.

use std::process::ExitCode;

use color_eyre::eyre::Result;
use serde_json::{Value, json};

use crate::cli::OnceFormat;
use crate::config::Config;
use crate::db::{Db, DbSummary};
use crate::queue::Queue;
use crate::services::now_unix;
use crate::services::queue::ping;
use crate::services::triage::{QueueSource, TriageCache, gather};
use crate::snapshot::{JobStatus, PoolStats};
use crate::text::{fmt_utc, sanitize_json, sanitize_line};
use crate::triage::TriageReport;

/// Exit code when an alert threshold is crossed.
pub const EXIT_ALERT: u8 = 2;

pub async fn run(config: &Config, format: OnceFormat) -> Result<ExitCode> {
    let now = now_unix();
    let (mut report, ok) = poll(config, now).await;
    let external = external_pools(config).await;
    if let (Some(pools), Value::Array(more)) =
        (report["pools"].as_array_mut(), pools_json(&external))
    {
        pools.extend(more);
    }
    let saturated = report["pools"]
        .as_array()
        .is_some_and(|p| p.iter().any(|p| p["saturated"] == true));
    let triage_alert = if ok {
        add_triage(config, &mut report, now).await
    } else {
        false
    };
    let alert = saturated || triage_alert;
    // Every string that leaves the monitor is inert, whatever the data held (`jq -r` would
    // print a raw ESC as a live escape sequence).
    sanitize_json(&mut report);
    match format {
        OnceFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        OnceFormat::Table => print!("{}", table(&report)),
    }
    Ok(match (ok, alert) {
        (false, _) => ExitCode::from(1),
        (true, true) => ExitCode::from(EXIT_ALERT),
        (true, false) => ExitCode::SUCCESS,
    })
}

/// Add the queue's status and the triage report to `report`; true when cron should alert.
pub async fn add_triage(config: &Config, report: &mut Value, now: f64) -> bool {
    let queue = match config.postgres_url() {
        None => Err(json!({"status": "missing", "message": "no queue configured"})),
        Some(url) => match Queue::connect(url, &config.queue_options()).await {
            Ok(q) => match ping(&q).await {
                Ok(()) => Ok(q),
                Err(e) if e.is_missing() => {
                    Err(json!({"status": "missing", "message": e.to_string()}))
                }
                Err(e) => Err(json!({"status": "error", "message": e.to_string()})),
            },
            Err(e) if e.is_missing() => Err(json!({"status": "missing", "message": e.to_string()})),
            Err(e) => Err(json!({"status": "error", "message": e.to_string()})),
        },
    };
    let queue_down = matches!(&queue, Err(v) if v["status"] == "error");
    let (queue_json, source) = match &queue {
        Ok(q) => (
            json!({"status": "ok", "target": q.target()}),
            QueueSource::Up(q),
        ),
        Err(v) if v["status"] == "error" => (v.clone(), QueueSource::Down),
        Err(v) => (v.clone(), QueueSource::NotConfigured),
    };
    let db = Db::open(&config.pipeline.db, &config.db_options())
        .await
        .ok();
    let triage = gather(
        db.as_ref(),
        source,
        now,
        config.triage_window_s(),
        config.triage_thresholds(),
        &mut TriageCache::default(),
    )
    .await;
    let alerts = crate::db::records::AlertsDb::new(config.alerts_db_path(), config.db_options());
    let records = crate::services::records::triage_records(
        db.as_ref(),
        &alerts,
        now - config.triage_window_s(),
    )
    .await;
    alerts.close().await;
    report["pipeline_alerts"] = super::once_records::alerts_json(&records);
    report["candidates"] = super::once_records::candidates_json(&records);
    if let Some(db) = &db {
        db.pool().inner().close().await;
    }
    if let Ok(q) = &queue {
        add_queue_jobs(report, q, now).await;
    }
    report["queue"] = queue_json;
    report["triage"] = triage_json(&triage, queue_down);
    if let Ok(q) = &queue {
        q.pool().inner().close().await;
    }
    triage.crossed() || queue_down
}

/// The queue's tasks join `jobs.by_status` and `jobs.failed_recent`, as they join the Jobs
/// list: a failure in the queue is a failure whichever table holds it.
async fn add_queue_jobs(report: &mut Value, q: &Queue, now: f64) {
    let failures = q.failures_since(now - FAILED_RECENT_WINDOW_S).await;
    let counts = q.status_counts().await;
    if report["jobs"]["status"] != "ok" {
        report["jobs"] = json!({
            "status": "ok", "count": 0, "by_status": {}, "failed_recent": [],
            "missing_tables": ["jobs", "ms_state", "batch_job_items"],
        });
    }
    let jobs = &mut report["jobs"];
    match counts {
        Ok(counts) => {
            for (status, n) in counts {
                let slot = &mut jobs["by_status"][status.name()];
                *slot = json!(slot.as_i64().unwrap_or(0) + n);
                jobs["count"] = json!(jobs["count"].as_i64().unwrap_or(0) + n);
            }
        }
        Err(e) => jobs["queue_message"] = json!(format!("queue counts: {e}")),
    }
    match failures {
        Ok(failures) => {
            if let Some(list) = jobs["failed_recent"].as_array_mut() {
                list.extend(failures.iter().map(|f| {
                    json!({
                        "source": "queue", "id": f.key.to_string(), "kind": f.kind,
                        "target": f.target, "error": f.error, "at": f.at,
                    })
                }));
                // Newest first across every source.
                list.sort_by(|a, b| {
                    let at = |v: &Value| v["at"].as_f64().unwrap_or(f64::NEG_INFINITY);
                    at(b).total_cmp(&at(a))
                });
            }
        }
        Err(e) => jobs["queue_message"] = json!(format!("queue failures: {e}")),
    }
}

/// `jobs.failed_recent` covers this long, for the SQLite summary and the queue alike.
const FAILED_RECENT_WINDOW_S: f64 = 24.0 * 3600.0;

/// Pure: the triage part of the report.
pub fn triage_json(report: &TriageReport, queue_down: bool) -> Value {
    let mut alerts: Vec<Value> = report
        .alerts()
        .into_iter()
        .map(|a| json!({"what": a.what, "message": a.message}))
        .collect();
    if queue_down {
        alerts.push(json!({"what": "queue", "message": "the task queue does not answer"}));
    }
    let groups: Vec<Value> = report
        .groups
        .iter()
        .map(|g| {
            json!({
                "signature": g.signature, "count": g.count,
                "first_seen": g.first_seen, "last_seen": g.last_seen,
                "example_id": g.example.key.to_string(), "example_error": g.example.error,
                "stages": g.stages,
                "sources": g.sources.iter().map(|s| s.name()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let stuck: Vec<Value> = report
        .stuck
        .iter()
        .map(|s| {
            json!({
                "kind": s.kind, "id": s.id, "what": s.what, "target": s.target,
                "since": s.since, "age_s": s.age_s, "note": s.note,
            })
        })
        .collect();
    let h = &report.headline;
    let t = &report.thresholds;
    json!({
        "window_s": report.window_s,
        "crossed": !alerts.is_empty(),
        "alerts": alerts,
        "headline": {
            "failures": h.failures, "finished": h.finished, "failure_rate": h.failure_rate,
            "backlog": h.backlog, "oldest_pending_age_s": h.oldest_pending_age_s,
            "backlog_by_queue": h.backlog_by_queue.iter().map(|q| json!({
                "queue": sanitize_line(&q.queue), "pending": q.pending, "retrying": q.retrying,
                "oldest_pending_age_s": q.oldest_pending_age_s, "running": q.running,
            })).collect::<Vec<_>>(),
            "no_op": h.no_op, "all_completed_no_op": h.all_completed_no_op,
            "stuck": h.stuck, "longest_stuck_s": h.longest_stuck_s,
        },
        "queue_by_status": report.queue_counts.as_ref().map(|c| {
            c.counts
                .iter()
                .map(|(s, n)| (s.name().to_string(), json!(n)))
                .collect::<serde_json::Map<String, Value>>()
        }),
        "thresholds": {
            "failure_rate": t.failure_rate, "backlog": t.backlog,
            "stuck_after_s": t.stuck_after.as_secs_f64(),
            "collecting_after_s": t.collecting_after.as_secs_f64(),
        },
        "sources": report.sources,
        "groups": groups,
        "stuck": stuck,
    })
}

/// One sample of every configured external pool source (PostgreSQL, pgbouncer, Prometheus):
/// waits until each has answered or failed, bounded by the slowest source's timeout.
async fn external_pools(config: &Config) -> Vec<PoolStats> {
    let enabled: Vec<_> = config.pools.sources.iter().filter(|s| s.enabled).collect();
    if enabled.is_empty() {
        return Vec::new();
    }
    let sampler = match crate::pool::sources::PoolSampler::from_config(&config.pools.sources) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("pool sources: {e}");
            return Vec::new();
        }
    };
    let longest = enabled
        .iter()
        .map(|s| s.timeout())
        .max()
        .unwrap_or_default();
    let deadline = tokio::time::Instant::now() + longest + std::time::Duration::from_millis(500);
    let mut rows = sampler.subscribe();
    loop {
        let all_answered = {
            let latest = rows.borrow();
            enabled
                .iter()
                .all(|s| latest.iter().any(|r| r.source == s.display_name()))
        };
        if all_answered
            || tokio::time::timeout_at(deadline, rows.changed())
                .await
                .is_err()
        {
            break;
        }
    }
    sampler.latest()
}

/// The report and whether every source answered.
pub async fn poll(config: &Config, now: f64) -> (Value, bool) {
    let path = config.pipeline.db.display().to_string();
    let db = match Db::open(&config.pipeline.db, &config.db_options()).await {
        Ok(db) => db,
        Err(e) => {
            let error = json!({"status": "error", "message": e.to_string()});
            let report = json!({
                "generated_at": now,
                "database": {"path": path, "status": "error", "message": e.to_string()},
                "images": error, "sources": error, "jobs": error, "ms": error,
                "pools": [],
            });
            return (report, false);
        }
    };
    let summary = db.summary(now).await;
    let pools = vec![db.pool().stats(now_unix())];
    let ok = summary.is_ok();
    let report = match summary {
        Ok(summary) => build_report(&summary, &pools, now),
        Err(e) => {
            let error = json!({"status": "error", "message": e.to_string()});
            json!({
                "generated_at": now,
                "database": {"path": path, "status": "error", "message": e.to_string()},
                "images": error, "sources": error, "jobs": error, "ms": error,
                "pools": pools_json(&pools),
            })
        }
    };
    db.pool().inner().close().await;
    (report, ok)
}

/// Pure: the JSON report from a summary.
pub fn build_report(summary: &DbSummary, pools: &[PoolStats], now: f64) -> Value {
    let table = |name: &str| summary.tables.iter().find(|t| t.table == name);
    let counted = |name: &str| match table(name) {
        Some(t) if t.present => {
            json!({"status": "ok", "count": t.rows, "approximate": t.approximate})
        }
        _ => json!({"status": "missing", "message": format!("table `{name}` is missing")}),
    };
    let sources = match ["variability_stats", "sources"]
        .iter()
        .find_map(|n| table(n).filter(|t| t.present && t.rows.unwrap_or(0) > 0))
    {
        Some(t) => json!({"status": "ok", "count": t.rows, "count_from": t.table,
                          "photometry_rows": table("photometry").and_then(|p| p.rows)}),
        None => match table("photometry") {
            Some(p) if p.present => {
                json!({"status": "ok", "count": null, "photometry_rows": p.rows,
                "message": "no sources or variability_stats rows; the TUI aggregates photometry"})
            }
            _ => {
                json!({"status": "missing", "message": "no photometry, sources or variability_stats table"})
            }
        },
    };
    let job_tables = ["jobs", "ms_state", "batch_job_items"];
    let jobs = if job_tables
        .iter()
        .any(|n| table(n).is_some_and(|t| t.present))
    {
        let by_status: serde_json::Map<String, Value> = JobStatus::ALL
            .iter()
            .map(|s| (s.name().to_string(), json!(summary.jobs_in(*s))))
            .collect();
        let failed: Vec<Value> = summary
            .failed_recent
            .iter()
            .map(|f| {
                json!({
                    "source": f.source.name(), "id": f.id, "kind": f.kind, "target": f.target,
                    "error": f.error_line, "at": f.at,
                })
            })
            .collect();
        json!({
            "status": "ok",
            "count": summary.jobs_by_status.iter().map(|c| c.count).sum::<i64>(),
            "by_status": by_status,
            "failed_recent": failed,
            "missing_tables": job_tables.iter().filter(|n| !table(n).is_some_and(|t| t.present)).collect::<Vec<_>>(),
        })
    } else {
        json!({"status": "missing", "message": "no jobs, ms_state or batch_job_items table"})
    };
    json!({
        "generated_at": now,
        "database": {"path": summary.path, "status": "ok"},
        "images": counted("images"),
        "sources": sources,
        "jobs": jobs,
        "ms": counted("ms_index"),
        "pools": pools_json(pools),
    })
}

fn pools_json(pools: &[PoolStats]) -> Value {
    Value::Array(
        pools
            .iter()
            .map(|p| {
                json!({
                    "source": p.source, "name": p.name, "max": p.max, "open": p.open,
                    "in_use": p.in_use, "idle": p.idle, "waiting": p.waiting,
                    "saturation": p.saturation(), "busy": p.is_busy(), "saturated": p.is_saturated(),
                    "timeouts": p.timeouts, "errors": p.errors,
                    "status": if p.stale.is_some() { "error" } else { "ok" },
                    "message": p.stale.as_deref().or(p.note.as_deref()),
                })
            })
            .collect(),
    )
}

/// A number for the table: `-` where the report has none (never the word `null`).
fn num(v: &Value) -> String {
    match v {
        Value::Null => "-".to_string(),
        Value::String(s) => sanitize_line(s),
        v => v.to_string(),
    }
}

/// Pure: the report as a short human table.
pub fn table(report: &Value) -> String {
    let mut out = String::new();
    let text = |v: &Value| {
        sanitize_line(
            &v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string()),
        )
    };
    let when = report["generated_at"]
        .as_f64()
        .map(fmt_utc)
        .unwrap_or_default();
    out.push_str(&format!("contimg-monitor once  {when} UTC\n"));
    out.push_str(&format!(
        "database  {}  {}\n",
        text(&report["database"]["path"]),
        text(&report["database"]["status"])
    ));
    if let Some(m) = report["database"]["message"].as_str() {
        out.push_str(&format!("  {}\n", sanitize_line(m)));
    }
    for key in ["images", "sources", "jobs", "ms"] {
        let s = &report[key];
        let count = num(&s["count"]);
        let extra = s["message"].as_str().map(sanitize_line).unwrap_or_default();
        out.push_str(&format!(
            "{key:<9} {:<8} {count:>10}  {extra}\n",
            text(&s["status"])
        ));
    }
    if let Some(by) = report["jobs"]["by_status"].as_object() {
        let parts: Vec<String> = by.iter().map(|(k, v)| format!("{k} {}", num(v))).collect();
        out.push_str(&format!("  jobs by status: {}\n", parts.join(", ")));
    }
    if let Some(failed) = report["jobs"]["failed_recent"].as_array() {
        out.push_str(&format!("  failed in the last 24 h: {}\n", failed.len()));
        for f in failed.iter().take(10) {
            out.push_str(&format!(
                "    {}:{}  {}  {}\n",
                text(&f["source"]),
                text(&f["id"]),
                text(&f["target"]),
                text(&f["error"])
            ));
        }
    }
    if let Some(q) = report.get("queue") {
        let extra = q["message"]
            .as_str()
            .or(q["target"].as_str())
            .map(sanitize_line)
            .unwrap_or_default();
        out.push_str(&format!("queue     {:<8} {extra}\n", text(&q["status"])));
    }
    if let Some(t) = report.get("triage") {
        let h = &t["headline"];
        let rate = h["failure_rate"]
            .as_f64()
            .map(|r| format!("{:.1} %", r * 100.0))
            .unwrap_or_else(|| "-".into());
        out.push_str(&format!(
            "triage    failure rate {rate} ({}/{}), backlog {}, stuck {}\n",
            num(&h["failures"]),
            num(&h["finished"]),
            num(&h["backlog"]),
            num(&h["stuck"])
        ));
        let queues: Vec<String> = t["headline"]["backlog_by_queue"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|q| format!("{} {}", text(&q["queue"]), q["pending"]))
            .collect();
        if !queues.is_empty() {
            out.push_str(&format!("  backlog by queue: {}\n", queues.join(", ")));
        }
        if let Some(by) = t["queue_by_status"].as_object() {
            let parts: Vec<String> = by.iter().map(|(k, v)| format!("{k} {v}")).collect();
            out.push_str(&format!("  queue tasks by status: {}\n", parts.join(", ")));
        }
        for a in t["alerts"].as_array().into_iter().flatten() {
            out.push_str(&format!("  ALERT {}\n", text(&a["message"])));
        }
        for g in t["groups"].as_array().into_iter().flatten().take(10) {
            out.push_str(&format!(
                "  {:>5}  {}  (e.g. {})\n",
                num(&g["count"]),
                text(&g["signature"]),
                text(&g["example_id"])
            ));
        }
        for s in t["stuck"].as_array().into_iter().flatten().take(10) {
            out.push_str(&format!(
                "  stuck {}  {}  {}\n",
                text(&s["id"]),
                text(&s["what"]),
                s["age_s"]
                    .as_f64()
                    .map(crate::text::fmt_duration)
                    .unwrap_or_default()
            ));
        }
    }
    out.push_str(&super::once_records::table_lines(report));
    if let Some(pools) = report["pools"].as_array() {
        for p in pools {
            out.push_str(&format!(
                "pool {}/{}  in use {}/{}  idle {}  waiting {}{}\n",
                text(&p["source"]),
                text(&p["name"]),
                num(&p["in_use"]),
                num(&p["max"]),
                num(&p["idle"]),
                num(&p["waiting"]),
                if p["saturated"] == true {
                    "  SATURATED"
                } else {
                    ""
                }
            ));
        }
    }
    out
}
