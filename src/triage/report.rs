//! The triage report: groups, stuck work, backlog and the headline figures, each judged
//! against the pipeline's alert thresholds (runbook: failure rate over 10 %, backlog over
//! 100 pending, anything in progress for over 30 minutes).

use std::time::Duration;

use crate::queue::{
    Backlog, FailureRecord, INGESTION_QUEUE, IngestGroupRow, PIPELINE_QUEUE, QueueBacklog,
    StatusCounts,
};
use crate::snapshot::{JobRow, JobStatus};
use crate::triage::group::{FailureGroup, group};
use crate::triage::stuck::{StuckItem, stuck_claims, stuck_groups, stuck_running};

/// The alert thresholds (config `[triage]`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Thresholds {
    /// Failures per finished job over the window above which the rate alerts (0.10).
    pub failure_rate: f64,
    /// Pending tasks above which the backlog alerts (100).
    pub backlog: u64,
    /// Running longer than this is stuck (30 min).
    pub stuck_after: Duration,
    /// A group collecting short of subbands and quiet for this long is stuck (10 min).
    pub collecting_after: Duration,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            failure_rate: 0.10,
            backlog: 100,
            stuck_after: Duration::from_secs(30 * 60),
            collecting_after: Duration::from_secs(10 * 60),
        }
    }
}

/// Whether one job source answered.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "message")]
pub enum SourceState {
    Ok,
    /// Not configured, or its tables are absent: a note, not an alarm.
    Missing(String),
    Error(String),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SourceStatus {
    /// `sqlite` or `absurd`.
    pub name: &'static str,
    pub state: SourceState,
}

/// Everything the services gathered for one report.
#[derive(Debug, Clone, Default)]
pub struct TriageInput {
    pub now: f64,
    pub window_s: f64,
    /// Failures of every source (may reach back before the window; those are left out).
    pub failures: Vec<FailureRecord>,
    /// Jobs that finished (succeeded or failed) in the window, every source.
    pub finished: u64,
    /// The queue's tasks of the window per normalised status, when the queue answered.
    /// No-op completions (`result.status = "no-op"`) are apart and not in `finished`.
    pub queue_counts: Option<StatusCounts>,
    /// Jobs running now, every source (the long runners are picked from them).
    pub running: Vec<JobRow>,
    /// Ingestion groups still collecting.
    pub collecting: Vec<IngestGroupRow>,
    /// The newest ingestion groups, whatever their state, newest first.
    pub recent_groups: Vec<IngestGroupRow>,
    /// The queue's backlog, when the queue answered.
    pub backlog: Option<Backlog>,
    pub sources: Vec<SourceStatus>,
}

/// The headline figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Headline {
    pub failures: u64,
    pub finished: u64,
    /// failures / finished; `None` when nothing finished.
    pub failure_rate: Option<f64>,
    /// Tasks waiting, every queue; `None` without the queue.
    pub backlog: Option<u64>,
    pub oldest_pending_age_s: Option<f64>,
    /// The same per queue (the ingestion queue apart from the pipeline's).
    pub backlog_by_queue: Vec<QueueBacklog>,
    /// Tasks of the window that completed as no-ops.
    pub no_op: u64,
    /// Every task of the window that completed did nothing (and at least one did).
    pub all_completed_no_op: bool,
    pub stuck: usize,
    pub longest_stuck_s: Option<f64>,
}

/// A threshold crossed, in words for the view, the JSON and cron mail.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Alert {
    /// `failure_rate`, `backlog` or `stuck`.
    pub what: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TriageReport {
    pub generated_at: f64,
    pub window_s: f64,
    pub thresholds: Thresholds,
    pub headline: Headline,
    pub groups: Vec<FailureGroup>,
    /// Running too long first (longest first), then groups stuck collecting.
    pub stuck: Vec<StuckItem>,
    /// The newest ingestion groups (state, subbands, error), newest first.
    pub ingest: Vec<IngestGroupRow>,
    pub sources: Vec<SourceStatus>,
    /// The pipeline's own alerts (`alerts.sqlite3`), candidates and mosaics; filled by the
    /// triage service after `build` (`services::records`).
    pub records: crate::snapshot::records::PipelineRecords,
    /// The queue's tasks of the window per normalised status (no-op apart).
    pub queue_counts: Option<StatusCounts>,
}

impl TriageReport {
    pub fn failure_rate_crossed(&self) -> bool {
        self.headline
            .failure_rate
            .is_some_and(|r| r > self.thresholds.failure_rate)
    }

    /// A queue's backlog over the threshold (each queue is judged on its own).
    pub fn backlog_crossed(&self) -> bool {
        if self.headline.backlog_by_queue.is_empty() {
            return self
                .headline
                .backlog
                .is_some_and(|b| b > self.thresholds.backlog);
        }
        !self.queues_over_backlog().is_empty()
    }

    fn queues_over_backlog(&self) -> Vec<&QueueBacklog> {
        self.headline
            .backlog_by_queue
            .iter()
            .filter(|q| q.pending > self.thresholds.backlog)
            .collect()
    }

    /// The ingestion queue holds work waiting longer than the stuck threshold: nothing is
    /// polling it.
    pub fn ingestion_unpolled(&self) -> Option<&QueueBacklog> {
        self.headline.backlog_by_queue.iter().find(|q| {
            q.queue == INGESTION_QUEUE
                && q.pending > 0
                && q.oldest_pending_age_s
                    .is_some_and(|a| a > self.thresholds.stuck_after.as_secs_f64())
        })
    }

    pub fn stuck_crossed(&self) -> bool {
        self.headline.stuck > 0
    }

    /// The thresholds crossed, in words.
    pub fn alerts(&self) -> Vec<Alert> {
        let mut alerts = Vec::new();
        if self.failure_rate_crossed() {
            alerts.push(Alert {
                what: "failure_rate",
                message: format!(
                    "failure rate {:.1} % over {} (alert above {:.0} %)",
                    self.headline.failure_rate.unwrap_or(0.0) * 100.0,
                    crate::text::fmt_duration(self.window_s),
                    self.thresholds.failure_rate * 100.0
                ),
            });
        }
        if self.backlog_crossed() {
            let over = self.queues_over_backlog();
            let message = if over.is_empty() {
                format!(
                    "backlog {} pending (alert above {})",
                    self.headline.backlog.unwrap_or(0),
                    self.thresholds.backlog
                )
            } else {
                let each: Vec<String> = over
                    .iter()
                    .map(|q| format!("{} {} pending", q.queue, q.pending))
                    .collect();
                format!(
                    "backlog {} (alert above {} in a queue)",
                    each.join(", "),
                    self.thresholds.backlog
                )
            };
            alerts.push(Alert {
                what: "backlog",
                message,
            });
        }
        if let Some(q) = self.ingestion_unpolled() {
            alerts.push(Alert {
                what: "ingestion_unpolled",
                message: format!(
                    "{} has {} pending, oldest {}: no worker polls it (the worker units \
                     poll {PIPELINE_QUEUE})",
                    q.queue,
                    q.pending,
                    crate::text::fmt_duration(q.oldest_pending_age_s.unwrap_or(0.0))
                ),
            });
        }
        if self.headline.all_completed_no_op {
            alerts.push(Alert {
                what: "no_op",
                message: format!(
                    "all {} tasks completed in {} did {}",
                    self.headline.no_op,
                    crate::text::fmt_duration(self.window_s),
                    crate::queue::tasks::NO_OP_EXPLAINED
                ),
            });
        }
        if self.stuck_crossed() {
            alerts.push(Alert {
                what: "stuck",
                message: format!(
                    "{} stuck (running over {} or collecting over {})",
                    self.headline.stuck,
                    crate::text::fmt_duration(self.thresholds.stuck_after.as_secs_f64()),
                    crate::text::fmt_duration(self.thresholds.collecting_after.as_secs_f64())
                ),
            });
        }
        alerts
    }

    /// Whether any threshold is crossed (`once` exits 2 then).
    pub fn crossed(&self) -> bool {
        !self.alerts().is_empty()
    }
}

fn no_op(input: &TriageInput) -> u64 {
    input
        .queue_counts
        .as_ref()
        .map_or(0, |c| c.get(JobStatus::NoOp))
}

/// Build the report from what the services gathered.
pub fn build(input: TriageInput, thresholds: Thresholds) -> TriageReport {
    let since = input.now - input.window_s;
    let groups = group(&input.failures, since);
    let failures: u64 = groups.iter().map(|g| g.count as u64).sum();
    // A failure is a finished job too, even when the counts were read a moment apart.
    let finished = input.finished.max(failures);
    let mut stuck = stuck_running(&input.running, input.now, thresholds.stuck_after);
    if let Some(backlog) = &input.backlog {
        let over = stuck_claims(&backlog.running_over, input.now, thresholds.stuck_after);
        for item in over {
            if !stuck.iter().any(|s| s.id == item.id) {
                stuck.push(item);
            }
        }
        stuck.sort_by(|a, b| b.age_s.total_cmp(&a.age_s).then_with(|| a.id.cmp(&b.id)));
    }
    stuck.extend(stuck_groups(
        &input.collecting,
        input.now,
        thresholds.collecting_after,
    ));
    let headline = Headline {
        failures,
        finished,
        failure_rate: (finished > 0).then(|| failures as f64 / finished as f64),
        backlog: input.backlog.as_ref().map(|b| b.pending),
        oldest_pending_age_s: input.backlog.as_ref().and_then(|b| b.oldest_pending_age_s),
        backlog_by_queue: input
            .backlog
            .as_ref()
            .map(|b| b.by_queue.clone())
            .unwrap_or_default(),
        no_op: no_op(&input),
        // Nothing of the window succeeded, yet tasks "completed": the executor is a no-op.
        all_completed_no_op: input
            .queue_counts
            .as_ref()
            .is_some_and(|c| c.get(JobStatus::NoOp) > 0 && c.get(JobStatus::Succeeded) == 0),
        stuck: stuck.len(),
        longest_stuck_s: stuck.iter().map(|s| s.age_s).reduce(f64::max),
    };
    TriageReport {
        generated_at: input.now,
        window_s: input.window_s,
        thresholds,
        headline,
        groups,
        stuck,
        ingest: input.recent_groups,
        sources: input.sources,
        records: Default::default(),
        queue_counts: input.queue_counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{JobKey, JobSource};

    const NOW: f64 = 1_761_056_599.0;

    fn failure(i: usize, error: &str) -> FailureRecord {
        FailureRecord {
            key: JobKey {
                source: JobSource::Jobs,
                id: i.to_string(),
            },
            kind: Some("imaging".into()),
            target: None,
            error: error.into(),
            at: NOW - 60.0 * i as f64,
        }
    }

    fn input(failures: usize, finished: u64, pending: Option<u64>) -> TriageInput {
        TriageInput {
            now: NOW,
            window_s: 86_400.0,
            failures: (0..failures).map(|i| failure(i, "boom")).collect(),
            finished,
            backlog: pending.map(|p| Backlog {
                pending: p,
                ..Backlog::default()
            }),
            ..TriageInput::default()
        }
    }

    #[test]
    fn a_quiet_day_crosses_no_threshold() {
        let report = build(input(2, 100, Some(5)), Thresholds::default());
        assert_eq!(report.headline.failure_rate, Some(0.02));
        assert!(!report.crossed(), "{:?}", report.alerts());
    }

    #[test]
    fn fifteen_failures_in_a_hundred_cross_the_ten_percent_rate() {
        let report = build(input(15, 100, Some(5)), Thresholds::default());
        assert!(report.failure_rate_crossed());
        assert_eq!(report.alerts()[0].what, "failure_rate");
        assert!(report.alerts()[0].message.contains("15.0 %"));
    }

    #[test]
    fn a_backlog_over_a_hundred_alerts_and_no_queue_means_no_backlog_figure() {
        assert!(build(input(0, 10, Some(101)), Thresholds::default()).backlog_crossed());
        let without = build(input(0, 10, None), Thresholds::default());
        assert_eq!(without.headline.backlog, None);
        assert!(!without.crossed());
    }

    #[test]
    fn a_task_running_too_long_is_stuck_and_alerts() {
        let mut inp = input(0, 10, Some(0));
        let mut backlog = Backlog::default();
        backlog.running_over.push(crate::queue::StaleClaim {
            worker_id: Some("lxd110h17-3f9a1c2e".into()),
            worker_last_seen: Some(NOW - 3900.0),
            row: JobRow {
                key: JobKey {
                    source: JobSource::AbsurdTask,
                    id: "0b7f3c1e-8a2d-4f6b-9c3e-1d2a3b4c5d6e".into(),
                },
                kind: Some("imaging".into()),
                status: crate::snapshot::JobStatus::Running,
                raw_status: "claimed".into(),
                target: None,
                created_at: Some(NOW - 4000.0),
                started_at: Some(NOW - 3900.0),
                finished_at: None,
                attempts: Some(1),
                max_attempts: Some(3),
                error_line: None,
            },
        });
        inp.backlog = Some(backlog);
        let report = build(inp, Thresholds::default());
        assert_eq!(report.headline.stuck, 1);
        let note = report.stuck[0].note.as_deref().unwrap();
        assert!(note.contains("lxd110h17-3f9a1c2e"), "{note}");
        assert!(note.contains("silent since the claim"), "{note}");
        assert_eq!(report.headline.longest_stuck_s, Some(3900.0));
        assert!(report.stuck_crossed());
    }

    #[test]
    fn each_queue_is_judged_apart_and_an_unpolled_ingestion_queue_alerts() {
        let mut inp = input(0, 10, Some(150));
        let backlog = inp.backlog.as_mut().unwrap();
        backlog.by_queue = vec![
            QueueBacklog {
                queue: INGESTION_QUEUE.into(),
                pending: 90,
                oldest_pending_age_s: Some(7200.0),
                ..QueueBacklog::default()
            },
            QueueBacklog {
                queue: PIPELINE_QUEUE.into(),
                pending: 60,
                oldest_pending_age_s: Some(30.0),
                ..QueueBacklog::default()
            },
        ];
        let report = build(inp, Thresholds::default());
        assert!(!report.backlog_crossed(), "neither queue is over 100");
        let whats: Vec<&str> = report.alerts().iter().map(|a| a.what).collect();
        assert_eq!(whats, ["ingestion_unpolled"]);
    }

    #[test]
    fn completions_that_were_all_no_ops_alert_and_a_real_success_does_not() {
        let mut inp = input(0, 0, Some(0));
        inp.queue_counts = Some(StatusCounts {
            counts: vec![(JobStatus::NoOp, 12), (JobStatus::Succeeded, 0)],
        });
        let report = build(inp.clone(), Thresholds::default());
        assert!(report.headline.all_completed_no_op);
        assert_eq!(report.headline.no_op, 12);
        assert!(report.alerts().iter().any(|a| a.what == "no_op"));
        inp.queue_counts = Some(StatusCounts {
            counts: vec![(JobStatus::NoOp, 12), (JobStatus::Succeeded, 1)],
        });
        assert!(
            !build(inp, Thresholds::default())
                .headline
                .all_completed_no_op
        );
    }

    #[test]
    fn more_failures_than_finished_jobs_never_make_a_rate_over_one() {
        let report = build(input(5, 2, None), Thresholds::default());
        assert_eq!(report.headline.failure_rate, Some(1.0));
    }
}
