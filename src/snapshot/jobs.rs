//! The common job model: where a job came from, its normalised status, and the one-line
//! reason it failed. Pure functions only.

use std::fmt;

/// Where a job row comes from. The PostgreSQL queue slots in as `AbsurdTask`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobSource {
    Jobs,
    MsState,
    BatchItem,
    AbsurdTask,
}

impl JobSource {
    pub const ALL: [JobSource; 4] = [
        JobSource::Jobs,
        JobSource::MsState,
        JobSource::BatchItem,
        JobSource::AbsurdTask,
    ];

    /// The short name used in the table, in filters (`source:jobs`) and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            JobSource::Jobs => "jobs",
            JobSource::MsState => "ms_state",
            JobSource::BatchItem => "batch",
            JobSource::AbsurdTask => "absurd",
        }
    }

    pub fn parse(s: &str) -> Option<JobSource> {
        let s = s.to_ascii_lowercase();
        JobSource::ALL
            .into_iter()
            .find(|src| src.name() == s || (s == "batch_job_items" && *src == JobSource::BatchItem))
    }

    /// Normalise a raw status string of this source.
    pub fn normalise(self, raw: &str) -> JobStatus {
        JobStatus::normalise(self, raw)
    }
}

/// Identifies one job across sources; stable across refreshes, so selection can follow it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct JobKey {
    pub source: JobSource,
    /// The source's own key: an integer id, an MS path or a task UUID, as text.
    pub id: String,
}

impl fmt::Display for JobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source.name(), self.id)
    }
}

/// The states every source maps onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// Finished having done nothing: a queue task "completed" with `result.status = "no-op"`,
    /// what the queue workers' default executor returns. Never a success.
    #[serde(rename = "no-op")]
    NoOp,
    /// A value no source documents; shown raw.
    Unknown,
}

impl JobStatus {
    pub const ALL: [JobStatus; 7] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Succeeded,
        JobStatus::Failed,
        JobStatus::Cancelled,
        JobStatus::NoOp,
        JobStatus::Unknown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
            JobStatus::NoOp => "no-op",
            JobStatus::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<JobStatus> {
        let s = s.to_ascii_lowercase();
        JobStatus::ALL.into_iter().find(|st| st.name() == s)
    }

    /// Map a source's raw status onto the common states.
    pub fn normalise(source: JobSource, raw: &str) -> JobStatus {
        let raw = raw.trim().to_ascii_lowercase();
        match source {
            JobSource::Jobs | JobSource::BatchItem => match raw.as_str() {
                "pending" | "queued" => JobStatus::Queued,
                "running" => JobStatus::Running,
                "completed" | "done" | "succeeded" | "success" => JobStatus::Succeeded,
                "failed" | "error" => JobStatus::Failed,
                "cancelled" | "canceled" => JobStatus::Cancelled,
                _ => JobStatus::Unknown,
            },
            // The per-MS state machine: every in-between state is work in progress, and
            // both `failed` (retryable) and `error` (terminal) are failures.
            JobSource::MsState => match raw.as_str() {
                "pending" => JobStatus::Queued,
                "converting" | "converted" | "flagging_rfi" | "solving_cal" | "applying_cal"
                | "imaging" => JobStatus::Running,
                "done" => JobStatus::Succeeded,
                "failed" | "error" => JobStatus::Failed,
                _ => JobStatus::Unknown,
            },
            JobSource::AbsurdTask => match raw.as_str() {
                "pending" | "retrying" => JobStatus::Queued,
                "claimed" => JobStatus::Running,
                "completed" => JobStatus::Succeeded,
                "failed" => JobStatus::Failed,
                "cancelled" => JobStatus::Cancelled,
                _ => JobStatus::Unknown,
            },
        }
    }

    /// Raw values of `source` that normalise to `self`, for pushing a status filter into SQL.
    pub fn raw_values(self, source: JobSource) -> &'static [&'static str] {
        match (source, self) {
            (JobSource::Jobs | JobSource::BatchItem, JobStatus::Queued) => &["pending", "queued"],
            (JobSource::Jobs | JobSource::BatchItem, JobStatus::Running) => &["running"],
            (JobSource::Jobs | JobSource::BatchItem, JobStatus::Succeeded) => {
                &["completed", "done", "succeeded", "success"]
            }
            (JobSource::Jobs | JobSource::BatchItem, JobStatus::Failed) => &["failed", "error"],
            (JobSource::Jobs | JobSource::BatchItem, JobStatus::Cancelled) => {
                &["cancelled", "canceled"]
            }
            (JobSource::MsState, JobStatus::Queued) => &["pending"],
            (JobSource::MsState, JobStatus::Running) => &[
                "converting",
                "converted",
                "flagging_rfi",
                "solving_cal",
                "applying_cal",
                "imaging",
            ],
            (JobSource::MsState, JobStatus::Succeeded) => &["done"],
            (JobSource::MsState, JobStatus::Failed) => &["failed", "error"],
            (JobSource::AbsurdTask, JobStatus::Queued) => &["pending", "retrying"],
            (JobSource::AbsurdTask, JobStatus::Running) => &["claimed"],
            (JobSource::AbsurdTask, JobStatus::Succeeded) => &["completed"],
            (JobSource::AbsurdTask, JobStatus::Failed) => &["failed"],
            (JobSource::AbsurdTask, JobStatus::Cancelled) => &["cancelled"],
            _ => &[],
        }
    }
}

/// Maximum length of a one-line error, in characters.
pub const ERROR_LINE_MAX: usize = 160;

/// The one line that says why a job failed, from an error text or a log.
///
/// Python tracebacks end with the exception line (`FileNotFoundError: ...`), which is what an
/// operator wants; log lines carry a level (`ERROR`, `"level": "error"`). We prefer, in order:
/// the last `Something(Error|Exception): message` line, the last line mentioning an error
/// level, and finally the last non-empty line.
pub fn error_one_liner(text: &str) -> Option<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let exception = lines.iter().rev().find(|l| is_exception_line(l));
    let error_level = || {
        lines.iter().rev().find(|l| {
            let lower = l.to_ascii_lowercase();
            lower.contains("error") || lower.contains("failed") || lower.contains("fatal")
        })
    };
    let chosen = exception.or_else(error_level).or(lines.last())?;
    Some(truncate_chars(chosen, ERROR_LINE_MAX))
}

fn is_exception_line(line: &str) -> bool {
    let Some((head, _)) = line.split_once(':') else {
        return false;
    };
    let name = head.rsplit('.').next().unwrap_or(head);
    !name.is_empty()
        && !name.contains(' ')
        && name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && (name.ends_with("Error") || name.ends_with("Exception") || name == "Traceback")
        && !line.starts_with("Traceback")
}

fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_maps_its_documented_states() {
        assert_eq!(JobSource::Jobs.normalise("pending"), JobStatus::Queued);
        assert_eq!(JobSource::Jobs.normalise("completed"), JobStatus::Succeeded);
        assert_eq!(JobSource::Jobs.normalise("FAILED"), JobStatus::Failed);
        assert_eq!(
            JobSource::MsState.normalise("solving_cal"),
            JobStatus::Running
        );
        assert_eq!(JobSource::MsState.normalise("error"), JobStatus::Failed);
        assert_eq!(
            JobSource::BatchItem.normalise("cancelled"),
            JobStatus::Cancelled
        );
        assert_eq!(JobSource::BatchItem.normalise("done"), JobStatus::Succeeded);
        assert_eq!(
            JobSource::AbsurdTask.normalise("claimed"),
            JobStatus::Running
        );
        assert_eq!(
            JobSource::AbsurdTask.normalise("retrying"),
            JobStatus::Queued
        );
        assert_eq!(JobSource::Jobs.normalise("exploded"), JobStatus::Unknown);
    }

    #[test]
    fn raw_values_round_trip_through_normalise() {
        for source in JobSource::ALL {
            for status in JobStatus::ALL {
                for raw in status.raw_values(source) {
                    assert_eq!(source.normalise(raw), status, "{source:?} {raw}");
                }
            }
        }
    }

    #[test]
    fn a_traceback_gives_its_exception_line() {
        let log = "2025-10-21 14:23:19 INFO starting imaging\n\
                   Traceback (most recent call last):\n  File \"x.py\", line 3, in <module>\n    run()\n\
                   FileNotFoundError: [Errno 2] No such file or directory: '/stage/x.ms'\n";
        assert_eq!(
            error_one_liner(log).as_deref(),
            Some("FileNotFoundError: [Errno 2] No such file or directory: '/stage/x.ms'")
        );
    }

    #[test]
    fn without_a_traceback_the_error_line_wins_over_the_last_line() {
        let log =
            "INFO start\nERROR calibration solve failed: no valid caltables\nINFO cleanup done";
        assert_eq!(
            error_one_liner(log).as_deref(),
            Some("ERROR calibration solve failed: no valid caltables")
        );
    }

    #[test]
    fn qualified_exception_names_count() {
        let log = "casatools.RuntimeError: table lock held";
        assert_eq!(error_one_liner(log).as_deref(), Some(log));
    }

    #[test]
    fn long_errors_are_cut_with_an_ellipsis() {
        let line = format!("ValueError: {}", "x".repeat(400));
        let one = error_one_liner(&line).unwrap();
        assert_eq!(one.chars().count(), ERROR_LINE_MAX);
        assert!(one.ends_with('…'));
    }

    #[test]
    fn empty_text_has_no_error_line() {
        assert_eq!(error_one_liner("  \n\n"), None);
    }
}
