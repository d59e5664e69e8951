//! Work that should have moved on: jobs running (tasks claimed) for longer than the
//! threshold, and ingestion groups still collecting subbands long after they went quiet.

use std::time::Duration;

use crate::queue::groups::EXPECTED_SUBBANDS;
use crate::queue::{IngestGroupRow, StaleClaim, is_stuck_collecting};
use crate::snapshot::{JobKey, JobRow, JobStatus};
use crate::text::fmt_duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StuckKind {
    /// A job running, or a task claimed, for too long.
    Running,
    /// An ingestion group collecting subbands for too long.
    Collecting,
}

/// One stuck thing, in the words the view and the JSON use.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StuckItem {
    pub kind: StuckKind,
    /// `jobs:12`, `absurd:<uuid>`, or `group:<group id>`.
    pub id: String,
    /// The job for a running item (to open its detail).
    #[serde(skip)]
    pub job: Option<JobKey>,
    /// Stage or state.
    pub what: Option<String>,
    pub target: Option<String>,
    /// Unix seconds since when it has been in this state.
    pub since: f64,
    pub age_s: f64,
    /// Extra facts: subbands received, worker, attempt.
    pub note: Option<String>,
}

/// Running jobs whose start (else creation) is older than `threshold`, longest first.
pub fn stuck_running(rows: &[JobRow], now: f64, threshold: Duration) -> Vec<StuckItem> {
    let mut items: Vec<StuckItem> = rows
        .iter()
        .filter(|r| r.status == JobStatus::Running)
        .filter_map(|r| {
            let since = r.started_at.or(r.created_at)?;
            let age = now - since;
            (age > threshold.as_secs_f64()).then(|| StuckItem {
                kind: StuckKind::Running,
                id: r.key.to_string(),
                job: Some(r.key.clone()),
                what: r.kind.clone(),
                target: r.target.clone(),
                since,
                age_s: age,
                note: r.attempts.map(|a| match r.max_attempts {
                    Some(m) => format!("attempt {a}/{m}"),
                    None => format!("attempt {a}"),
                }),
            })
        })
        .collect();
    sort_longest_first(&mut items);
    items.dedup_by(|a, b| a.id == b.id);
    items
}

/// Queue tasks claimed longer than `threshold`, longest first, each with the worker holding
/// the claim and whether that worker has done anything since (the queue keeps no heartbeat
/// and never takes a claim back, so a dead worker's task stays claimed).
pub fn stuck_claims(claims: &[StaleClaim], now: f64, threshold: Duration) -> Vec<StuckItem> {
    let mut items: Vec<StuckItem> = claims
        .iter()
        .filter_map(|c| {
            let mut item = stuck_running(std::slice::from_ref(&c.row), now, threshold)
                .into_iter()
                .next()?;
            let worker = c.worker_id.as_deref().unwrap_or("(no worker id)");
            let heard = match (c.worker_last_seen, c.row.started_at) {
                (Some(seen), Some(claimed)) if seen <= claimed + 1.0 => {
                    "silent since the claim".to_string()
                }
                (Some(seen), _) => format!("last active {} ago", fmt_duration(now - seen)),
                (None, _) => "never seen".to_string(),
            };
            let attempt = item.note.take();
            item.note = Some(match attempt {
                Some(a) => format!("worker {worker} ({heard}), {a}, no heartbeat"),
                None => format!("worker {worker} ({heard}), no heartbeat"),
            });
            Some(item)
        })
        .collect();
    sort_longest_first(&mut items);
    items
}

/// Groups collecting short of their subbands and quiet for longer than `threshold`.
pub fn stuck_groups(groups: &[IngestGroupRow], now: f64, threshold: Duration) -> Vec<StuckItem> {
    let mut items: Vec<StuckItem> = groups
        .iter()
        .filter(|g| is_stuck_collecting(g, now, threshold))
        .filter_map(|g| {
            let since = g.updated_at.or(g.created_at)?;
            Some(StuckItem {
                kind: StuckKind::Collecting,
                id: format!("group:{}", g.group_id),
                job: None,
                what: g.state.clone(),
                target: g.ms_path.clone().or_else(|| Some(g.group_id.clone())),
                since,
                age_s: now - since,
                note: Some(format!(
                    "{}/{} subbands{}",
                    g.subband_count.unwrap_or(0),
                    g.expected_subbands.unwrap_or(EXPECTED_SUBBANDS),
                    g.missing_subbands()
                        .filter(|m| !m.is_empty())
                        .map(|m| format!(", missing {}", subband_list(&m)))
                        .unwrap_or_default()
                )),
            })
        })
        .collect();
    sort_longest_first(&mut items);
    items
}

/// `sb11-sb15`, `sb03, sb07`: runs of indexes as ranges.
fn subband_list(indexes: &[i64]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < indexes.len() {
        let start = indexes[i];
        let mut end = start;
        while i + 1 < indexes.len() && indexes[i + 1] == end + 1 {
            i += 1;
            end = indexes[i];
        }
        parts.push(if end > start {
            format!("sb{start:02}-sb{end:02}")
        } else {
            format!("sb{start:02}")
        });
        i += 1;
    }
    parts.join(", ")
}

fn sort_longest_first(items: &mut [StuckItem]) {
    items.sort_by(|a, b| b.age_s.total_cmp(&a.age_s).then_with(|| a.id.cmp(&b.id)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::JobSource;

    const NOW: f64 = 1_761_056_599.0;
    const HALF_HOUR: Duration = Duration::from_secs(1800);

    fn running(id: &str, started_ago: f64) -> JobRow {
        JobRow {
            key: JobKey {
                source: JobSource::AbsurdTask,
                id: id.into(),
            },
            kind: Some("imaging".into()),
            status: JobStatus::Running,
            raw_status: "claimed".into(),
            target: Some("/stage/ms/a.ms".into()),
            created_at: Some(NOW - started_ago - 10.0),
            started_at: Some(NOW - started_ago),
            finished_at: None,
            attempts: Some(1),
            max_attempts: Some(3),
            error_line: None,
        }
    }

    #[test]
    fn a_task_claimed_for_an_hour_is_stuck_and_one_claimed_a_minute_ago_is_not() {
        let rows = [
            running("a", 60.0),
            running("b", 3600.0),
            running("c", 7200.0),
        ];
        let stuck = stuck_running(&rows, NOW, HALF_HOUR);
        assert_eq!(
            stuck.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            vec!["absurd:c", "absurd:b"]
        );
        assert_eq!(stuck[0].note.as_deref(), Some("attempt 1/3"));
    }

    #[test]
    fn a_finished_job_is_never_stuck() {
        let mut row = running("a", 7200.0);
        row.status = JobStatus::Failed;
        assert!(stuck_running(&[row], NOW, HALF_HOUR).is_empty());
    }

    #[test]
    fn a_group_quiet_at_eleven_subbands_is_stuck_collecting() {
        let group = IngestGroupRow {
            group_id: "2025-10-21T14:23:19".into(),
            state: Some("collecting".into()),
            subband_count: Some(11),
            expected_subbands: Some(16),
            created_at: Some(NOW - 4000.0),
            updated_at: Some(NOW - 3600.0),
            ..IngestGroupRow::default()
        };
        let stuck = stuck_groups(&[group], NOW, Duration::from_secs(600));
        assert_eq!(stuck.len(), 1);
        assert_eq!(stuck[0].id, "group:2025-10-21T14:23:19");
        assert_eq!(stuck[0].note.as_deref(), Some("11/16 subbands"));
        assert_eq!(stuck[0].age_s, 3600.0);
    }

    #[test]
    fn a_stuck_group_names_the_subbands_it_lacks() {
        let group = IngestGroupRow {
            group_id: "2025-10-21T14:23:19".into(),
            state: Some("collecting".into()),
            subband_count: Some(12),
            expected_subbands: Some(16),
            updated_at: Some(NOW - 3600.0),
            received: Some((0..11).chain([13]).collect()),
            ..IngestGroupRow::default()
        };
        let stuck = stuck_groups(&[group], NOW, Duration::from_secs(600));
        assert_eq!(
            stuck[0].note.as_deref(),
            Some("12/16 subbands, missing sb11-sb12, sb14-sb15")
        );
    }
}
