//! `once`'s part for the pipeline's own records: the firing alerts of `alerts.sqlite3`
//! (`pipeline_alerts`) and the candidate counts (`candidates`). Every string is sanitised.

use serde_json::{Value, json};

use crate::snapshot::records::{AlertsState, CandidateCount, PipelineRecords};
use crate::text::sanitize_line;

fn s(text: &str) -> String {
    sanitize_line(text)
}

/// `{"status": "ok", "path", "firing_total", "firing": [...]}` or a note / error.
pub fn alerts_json(r: &PipelineRecords) -> Value {
    let path = s(&r.alerts_db);
    match &r.alerts {
        AlertsState::Ok {
            firing,
            firing_total,
        } => json!({
            "status": "ok",
            "path": path,
            "firing_total": firing_total,
            "firing": firing.iter().map(|a| json!({
                "rule_name": s(&a.rule_name),
                "severity": s(a.severity.word()),
                "message": a.message.as_deref().map(s),
                "fired_at": a.fired_at,
                "labels_json": a.labels_json.as_deref().map(s),
            })).collect::<Vec<_>>(),
        }),
        AlertsState::Missing { note } => {
            json!({"status": "missing", "path": path, "message": s(&note.text)})
        }
        AlertsState::Error { message } => {
            json!({"status": "error", "path": path, "message": s(message)})
        }
    }
}

fn count_json(c: &CandidateCount) -> Value {
    match c {
        CandidateCount::Ok { active, recent } => {
            json!({"status": "ok", "active": active, "in_window": recent})
        }
        CandidateCount::Note { note } => json!({"status": "missing", "message": s(&note.text)}),
    }
}

/// `{"ese": ..., "transients": ..., "mosaics": [...], "notes": [...]}`.
pub fn candidates_json(r: &PipelineRecords) -> Value {
    json!({
        "ese": count_json(&r.ese),
        "transients": count_json(&r.transients),
        "mosaics": r.mosaics.iter().map(|p| json!({
            "plan_id": p.plan_id,
            "name": p.name.as_deref().map(s),
            "tier": p.tier.as_deref().map(s),
            "status": p.status.as_deref().map(s),
            "qa_status": p.qa_status.as_deref().map(s),
            "created_at": p.created_at,
        })).collect::<Vec<_>>(),
        "notes": r.notes.iter().map(|n| s(&n.text)).collect::<Vec<_>>(),
    })
}

/// The table lines for the report's `pipeline_alerts`.
pub fn table_lines(report: &Value) -> String {
    let Some(a) = report.get("pipeline_alerts") else {
        return String::new();
    };
    let text = |v: &Value| v.as_str().map(sanitize_line).unwrap_or_default();
    let mut out = String::new();
    match a["status"].as_str() {
        Some("ok") => {
            out.push_str(&format!(
                "pipeline alerts  {} firing\n",
                a["firing_total"].as_u64().unwrap_or(0)
            ));
            for f in a["firing"].as_array().into_iter().flatten().take(10) {
                out.push_str(&format!(
                    "  {:<8} {}  {}\n",
                    text(&f["severity"]).to_uppercase(),
                    text(&f["rule_name"]),
                    text(&f["message"])
                ));
            }
        }
        _ => out.push_str(&format!(
            "pipeline alerts  {}  {}\n",
            text(&a["status"]),
            text(&a["message"])
        )),
    }
    out
}
