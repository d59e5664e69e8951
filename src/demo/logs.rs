//! The demo pipeline's log files, in the shapes the deployed pipeline writes (see
//! `demo::upstream::logs`): each job is a task run in `absurd-worker-{i}.log`, plain text in
//! this host's local time (`Processing task <uuid>: <name>`, the adapter's `[Absurd] …` line
//! naming the MS, the stage's failure with its traceback, `Task <uuid> completed
//! successfully`); `pipeline.log` keeps the JSON formatter's records as the second format.
//! No `{run_id}.log`, no `error.log`: nothing in the pipeline writes them. The same events
//! also make the `jobs.logs` text.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use jiff::tz::TimeZone;

use super::errors::Stage;
use super::upstream::logs as shapes;
use crate::snapshot::LogLevel;
use crate::text::format::fmt_utc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

impl Level {
    pub fn name(self) -> &'static str {
        self.level().name()
    }

    fn level(self) -> LogLevel {
        match self {
            Level::Info => LogLevel::Info,
            Level::Warning => LogLevel::Warning,
            Level::Error => LogLevel::Error,
        }
    }
}

/// Which part of a job's run an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Before a worker took it (kept in `jobs.logs` only).
    Queued,
    Started,
    Progress,
    Finished,
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
    /// The Python traceback, for failures.
    pub exc_info: Option<String>,
    /// The worker that ran the job (`absurd-worker-{worker}.log`).
    pub worker: u32,
    pub job_id: i64,
    pub phase: Phase,
}

/// The queue's task name for a stage.
pub fn task_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Conversion => "convert-uvh5-to-ms",
        Stage::Calibration => "calibration-solve",
        Stage::Imaging => "imaging",
        Stage::Photometry => "photometry",
    }
}

/// The demo's task UUID for a job: fixed per job id.
pub fn task_uuid(job_id: i64) -> String {
    format!(
        "{:08x}-de30-4000-8000-{:012x}",
        job_id as u32, job_id as u64
    )
}

impl LogEvent {
    /// The event's records in the worker's plain-text file, in `tz`.
    pub fn worker_text(&self, tz: &TimeZone) -> String {
        let uuid = task_uuid(self.job_id);
        let name = task_name(self.stage);
        let adapter = shapes::ADAPTER_LOGGER;
        let rec = |unix, logger: &str, level: LogLevel, msg: &str, tb: Option<&str>| {
            shapes::text_record(unix, tz, logger, level, msg, tb)
        };
        match self.phase {
            Phase::Queued => String::new(),
            Phase::Started => {
                rec(
                    self.unix,
                    shapes::WORKER_LOGGER,
                    LogLevel::Info,
                    &shapes::processing_line(&uuid, name),
                    None,
                ) + &rec(
                    self.unix + 0.05,
                    adapter,
                    LogLevel::Info,
                    &shapes::start_line(name, &self.ms_path),
                    None,
                )
            }
            Phase::Progress => rec(
                self.unix,
                &self.logger(),
                self.level.level(),
                &self.message,
                None,
            ),
            Phase::Finished => {
                let body = match &self.exc_info {
                    Some(tb) => {
                        let exc = tb.lines().last().unwrap_or_default();
                        let msg = exc.split_once(": ").map_or(exc, |(_, m)| m);
                        let line = format!("[Absurd] {} failed: {msg}", shapes::stage_word(name));
                        rec(self.unix, adapter, LogLevel::Error, &line, Some(tb))
                    }
                    None => {
                        let line = format!(
                            "[Absurd] {} complete: {}",
                            shapes::stage_word(name),
                            self.ms_path
                        );
                        rec(self.unix, adapter, LogLevel::Info, &line, None)
                    }
                };
                body + &rec(
                    self.unix + 0.01,
                    shapes::WORKER_LOGGER,
                    LogLevel::Info,
                    &shapes::completed_line(&uuid),
                    None,
                )
            }
        }
    }

    fn logger(&self) -> String {
        format!("dsa110_contimg.{}", self.stage.job_type())
    }

    /// The event as one JSON formatter record (no newline); `group_id` only from conversion,
    /// as only the HDF5 orchestrator passes it.
    pub fn json_line(&self) -> String {
        let module = self.stage.module();
        let module = module
            .rsplit('/')
            .next()
            .unwrap_or(module)
            .trim_end_matches(".py");
        let extra: &[(&str, &str)] = if self.stage == Stage::Conversion {
            &[("group_id", self.group_id.as_str())]
        } else {
            &[]
        };
        let line = shapes::json_record(
            self.unix,
            self.level.level(),
            &self.logger(),
            &self.message,
            (module, "execute", 100),
            extra,
            self.exc_info.as_deref(),
        );
        line.trim_end_matches('\n').to_string()
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
}

/// Append `events` (in the order given) to the worker files and `pipeline.log` under `dir`,
/// creating them as needed; plain-text times in this host's zone.
pub fn append_events<'a>(
    dir: &Path,
    events: impl IntoIterator<Item = &'a LogEvent>,
) -> std::io::Result<()> {
    append_events_in(dir, events, &TimeZone::system())
}

/// [`append_events`] with plain-text times in `tz`.
pub fn append_events_in<'a>(
    dir: &Path,
    events: impl IntoIterator<Item = &'a LogEvent>,
    tz: &TimeZone,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut by_file: BTreeMap<String, String> = BTreeMap::new();
    for event in events {
        if event.phase == Phase::Queued {
            continue;
        }
        by_file
            .entry(format!("absurd-worker-{}.log", event.worker))
            .or_default()
            .push_str(&event.worker_text(tz));
        let json = by_file.entry("pipeline.log".to_string()).or_default();
        json.push_str(&event.json_line());
        json.push('\n');
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

    fn event(phase: Phase, unix: f64, level: Level, message: &str) -> LogEvent {
        LogEvent {
            unix,
            level,
            stage: Stage::Imaging,
            message: message.into(),
            ms_path: "/d/stage/ms/2025-10-21T14:23:19.ms".into(),
            group_id: "2025-10-21T14:23:19".into(),
            run_id: "job-2025-10-21-142319".into(),
            exc_info: None,
            worker: 3,
            job_id: 42,
            phase,
        }
    }

    fn failed_run() -> Vec<LogEvent> {
        let mut end = event(
            Phase::Finished,
            1_761_056_699.5,
            Level::Error,
            "imaging failed: TimeoutError: imaging exceeded 600 s",
        );
        end.exc_info =
            Some("Traceback (most recent call last):\nTimeoutError: imaging exceeded 600 s".into());
        vec![
            event(Phase::Queued, 1_761_056_500.0, Level::Info, "Job 42 queued"),
            event(
                Phase::Started,
                1_761_056_599.5,
                Level::Info,
                "Job 42 started",
            ),
            end,
        ]
    }

    #[test]
    fn a_failed_run_is_plain_text_in_the_worker_file_with_its_traceback() {
        let dir = tempfile::tempdir().unwrap();
        let tz = TimeZone::get("America/Los_Angeles").unwrap();
        append_events_in(dir.path(), &failed_run(), &tz).unwrap();
        let text = std::fs::read_to_string(dir.path().join("absurd-worker-3.log")).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let uuid = task_uuid(42);
        assert_eq!(
            lines[0],
            format!("2025-10-21 07:23:19,500 - __main__ - INFO - Processing task {uuid}: imaging")
        );
        assert!(
            lines[1].ends_with("[Absurd] Creating image from: /d/stage/ms/2025-10-21T14:23:19.ms")
        );
        assert!(lines[2].contains(" - ERROR - [Absurd] Imaging failed: imaging exceeded 600 s"));
        assert_eq!(lines[3], "Traceback (most recent call last):");
        assert!(lines[5].ends_with(&format!("Task {uuid} completed successfully")));
        // The JSON file keeps the formatter's keys, without ms_path.
        let json = std::fs::read_to_string(dir.path().join("pipeline.log")).unwrap();
        let v: serde_json::Value = serde_json::from_str(json.lines().last().unwrap()).unwrap();
        assert_eq!(v["timestamp"], "2025-10-21T14:24:59.500000Z");
        assert_eq!(v["level"], "ERROR");
        assert!(v["exception"].as_str().unwrap().ends_with("exceeded 600 s"));
        assert!(v.get("ms_path").is_none());
        for name in ["error.log", "imaging.log", "job-2025-10-21-142319.log"] {
            assert!(!dir.path().join(name).exists(), "{name}");
        }
    }
}
