//! The pipeline's log files: JSON lines in `pipeline.log`, one file per stage, `error.log`
//! and one `{run_id}.log` per MS. The same events also make the `jobs.logs` text.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::errors::Stage;
use super::names::iso_timestamp;
use crate::text::format::fmt_utc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
        }
    }
}

/// One thing the pipeline logged about one MS.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEvent {
    pub unix: f64,
    pub level: Level,
    pub stage: Stage,
    pub message: String,
    pub ms_path: String,
    pub group_id: String,
    pub run_id: String,
    /// The Python traceback, for failures (python-json-logger puts it in `exc_info`).
    pub exc_info: Option<String>,
}

#[derive(Serialize)]
struct JsonLine<'a> {
    timestamp: String,
    level: &'a str,
    logger: String,
    message: &'a str,
    ms_path: &'a str,
    group_id: &'a str,
    pipeline_stage: &'a str,
    run_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    exc_info: Option<&'a str>,
}

impl LogEvent {
    /// The event as one JSON line (no newline).
    pub fn json_line(&self) -> String {
        let line = JsonLine {
            timestamp: iso_timestamp(self.unix),
            level: self.level.name(),
            logger: format!("dsa110_contimg.{}", self.stage.job_type()),
            message: &self.message,
            ms_path: &self.ms_path,
            group_id: &self.group_id,
            pipeline_stage: self.stage.job_type(),
            run_id: &self.run_id,
            exc_info: self.exc_info.as_deref(),
        };
        // Serialising plain strings and numbers cannot fail.
        serde_json::to_string(&line).unwrap_or_default()
    }

    /// The event as it appears in `jobs.logs`: one line, then the traceback's lines.
    pub fn job_log_text(&self) -> String {
        let mut text = format!(
            "{} {} {}",
            fmt_utc(self.unix),
            self.level.name(),
            self.message
        );
        if let Some(tb) = &self.exc_info {
            text.push('\n');
            text.push_str(tb);
        }
        text
    }

    /// The files under the log directory this event is written to.
    pub fn file_names(&self) -> Vec<String> {
        let mut names = vec![
            "pipeline.log".to_string(),
            format!("{}.log", self.stage.job_type()),
            format!("{}.log", self.run_id),
        ];
        if self.level == Level::Error {
            names.push("error.log".to_string());
        }
        names
    }
}

/// Append `events` (in the order given) to their files under `dir`, creating them as needed.
/// `per_run` says whether the `{run_id}.log` files are written too.
pub fn append_events<'a>(
    dir: &Path,
    events: impl IntoIterator<Item = &'a LogEvent>,
    per_run: impl Fn(&LogEvent) -> bool,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut by_file: BTreeMap<String, String> = BTreeMap::new();
    for event in events {
        let line = event.json_line();
        for name in event.file_names() {
            if name.starts_with("job-") && !per_run(event) {
                continue;
            }
            let buf = by_file.entry(name).or_default();
            buf.push_str(&line);
            buf.push('\n');
        }
    }
    for (name, text) in by_file {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(name))?;
        file.write_all(text.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed_event() -> LogEvent {
        LogEvent {
            unix: 1_761_056_599.5,
            level: Level::Error,
            stage: Stage::Imaging,
            message: "imaging failed: TimeoutError: imaging exceeded 600 s".into(),
            ms_path: "/d/stage/ms/2025-10-21T14:23:19.ms".into(),
            group_id: "2025-10-21T14:23:19".into(),
            run_id: "job-2025-10-21-142319".into(),
            exc_info: Some(
                "Traceback (most recent call last):\nTimeoutError: imaging exceeded 600 s".into(),
            ),
        }
    }

    #[test]
    fn a_failure_is_one_json_line_carrying_the_traceback() {
        let line = failed_event().json_line();
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["timestamp"], "2025-10-21T14:23:19.500Z");
        assert_eq!(v["level"], "ERROR");
        assert_eq!(v["pipeline_stage"], "imaging");
        assert_eq!(v["group_id"], "2025-10-21T14:23:19");
        assert!(v["exc_info"].as_str().unwrap().ends_with("exceeded 600 s"));
    }

    #[test]
    fn a_failure_goes_to_the_error_log_and_the_run_log() {
        let dir = tempfile::tempdir().unwrap();
        let e = failed_event();
        append_events(dir.path(), [&e, &e], |_| true).unwrap();
        for name in [
            "pipeline.log",
            "imaging.log",
            "error.log",
            "job-2025-10-21-142319.log",
        ] {
            let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
            assert_eq!(text.lines().count(), 2, "{name}");
        }
        assert!(
            e.job_log_text()
                .ends_with("TimeoutError: imaging exceeded 600 s")
        );
    }
}
