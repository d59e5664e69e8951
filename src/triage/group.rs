//! Failures of a window grouped by error signature: how often, since when, where.

use std::collections::HashMap;

use crate::queue::FailureRecord;
use crate::snapshot::JobSource;
use crate::triage::signature::signature;

/// One error signature and the failures that share it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FailureGroup {
    pub signature: String,
    pub count: usize,
    /// Unix seconds of the oldest and newest failure in the window.
    pub first_seen: f64,
    pub last_seen: f64,
    /// Stages (job kinds, task names) affected, sorted.
    pub stages: Vec<String>,
    /// Job sources affected, in their natural order.
    pub sources: Vec<JobSource>,
    /// The newest failure of the group.
    pub example: FailureRecord,
}

/// A per-MS state machine names its row's kind after its state: `failed` or `error` says
/// nothing about the stage, so it is not listed as one.
fn is_stage(kind: &str) -> bool {
    !kind.is_empty() && !matches!(kind.to_ascii_lowercase().as_str(), "failed" | "error")
}

/// Group the failures at or after `since` by signature: the most frequent first, then the
/// most recent.
pub fn group(failures: &[FailureRecord], since: f64) -> Vec<FailureGroup> {
    let mut by_signature: HashMap<String, FailureGroup> = HashMap::new();
    for failure in failures.iter().filter(|f| f.at >= since) {
        let sig = signature(&failure.error);
        let entry = by_signature
            .entry(sig.clone())
            .or_insert_with(|| FailureGroup {
                signature: sig,
                count: 0,
                first_seen: failure.at,
                last_seen: failure.at,
                stages: Vec::new(),
                sources: Vec::new(),
                example: failure.clone(),
            });
        entry.count += 1;
        entry.first_seen = entry.first_seen.min(failure.at);
        if failure.at > entry.last_seen {
            entry.last_seen = failure.at;
            entry.example = failure.clone();
        }
        if let Some(stage) = failure
            .kind
            .as_deref()
            .map(str::trim)
            .filter(|s| is_stage(s))
            && !entry.stages.iter().any(|s| s == stage)
        {
            entry.stages.push(stage.to_string());
        }
        if !entry.sources.contains(&failure.key.source) {
            entry.sources.push(failure.key.source);
        }
    }
    let mut groups: Vec<FailureGroup> = by_signature.into_values().collect();
    for g in &mut groups {
        g.stages.sort();
        g.sources.sort();
    }
    groups.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(b.last_seen.total_cmp(&a.last_seen))
            .then_with(|| a.signature.cmp(&b.signature))
    });
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::JobKey;

    fn failure(source: JobSource, id: &str, kind: &str, error: &str, at: f64) -> FailureRecord {
        FailureRecord {
            key: JobKey {
                source,
                id: id.into(),
            },
            kind: Some(kind.into()),
            target: None,
            error: error.into(),
            at,
        }
    }

    #[test]
    fn the_same_error_on_different_ms_from_two_sources_is_one_group() {
        let failures = [
            failure(
                JobSource::Jobs,
                "7",
                "imaging",
                "No such file /stage/ms/2025-10-21T14:23:19.ms",
                100.0,
            ),
            failure(
                JobSource::AbsurdTask,
                "0b7f3c1e-8a2d-4f6b-9c3e-1d2a3b4c5d6e",
                "calibration-apply",
                "No such file /stage/ms/2025-10-21T14:28:28.ms",
                300.0,
            ),
            failure(
                JobSource::MsState,
                "/stage/ms/x.ms",
                "imaging",
                "database is locked",
                200.0,
            ),
        ];
        let groups = group(&failures, 0.0);
        assert_eq!(groups.len(), 2);
        let files = &groups[0];
        assert_eq!(files.signature, "No such file <path>");
        assert_eq!(files.count, 2);
        assert_eq!((files.first_seen, files.last_seen), (100.0, 300.0));
        assert_eq!(files.stages, vec!["calibration-apply", "imaging"]);
        assert_eq!(files.sources, vec![JobSource::Jobs, JobSource::AbsurdTask]);
        assert_eq!(
            files.example.key.source,
            JobSource::AbsurdTask,
            "newest is the example"
        );
        assert_eq!(groups[1].count, 1);
    }

    #[test]
    fn failures_before_the_window_are_left_out() {
        let failures = [
            failure(JobSource::Jobs, "1", "imaging", "boom", 10.0),
            failure(JobSource::Jobs, "2", "imaging", "boom", 1000.0),
        ];
        let groups = group(&failures, 500.0);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].count, 1);
        assert!(group(&failures, 5000.0).is_empty());
    }
}
