//! Real-shape records: the log files as the deployed pipeline leaves them in `state/logs/`
//! (`shared/upstream-facts.md` §4, read from `absurd/worker.py`, `absurd/adapter.py`,
//! `database/state_machine.py`, `utils/logging_config.py`, `utils/casa_init.py`,
//! `ops/systemd/*.service`):
//!
//! - `absurd-worker.log`, `absurd-worker-{i}.log` (systemd `append:` of the worker's stdout
//!   and stderr): `YYYY-MM-DD HH:MM:SS,mmm - logger - LEVEL - message` in the host's local
//!   time, tracebacks on the lines after; `Processing task <uuid>: <name>` … `Task <uuid>
//!   completed successfully` around each task, the adapter's `[Absurd] …` lines between;
//! - `absurd-scheduler.log`, `pointing-monitor.log`, `mosaic-nightly.log`, the same shape;
//! - `casa/casa-YYYYMMDD-HHMMSS.log`: CASA's tab-separated lines, UTC;
//! - `pipeline.log`: the JSON formatter's lines (timestamp UTC `Z`, level, logger, message,
//!   module, function, line, `group_id` only from the HDF5 orchestrator, exception) — no
//!   entry point calls it; it stands for a host where someone did.
//!
//! No `{run_id}.log`: nothing writes one. The writers below are shared with the demo's
//! simulated pipeline (`demo::logs`). Values are ours; only the shapes are the pipeline's.

use std::fmt::Write as _;

use jiff::tz::TimeZone;

use super::UpstreamFixture;
use crate::snapshot::LogLevel;

/// The pipeline host's zone (PST/PDT): the fixture's plain-text times are written in it.
pub const PIPELINE_TZ: &str = "America/Los_Angeles";

/// `2025-10-21 07:23:19,512`: Python's `asctime` in `tz`.
pub fn asctime(unix: f64, tz: &TimeZone) -> String {
    let ms = (unix * 1000.0).round() as i64;
    let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else {
        return "1970-01-01 00:00:00,000".into();
    };
    let dt = ts.to_zoned(tz.clone()).datetime();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02},{:03}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1_000_000
    )
}

/// One record of `logging.basicConfig(format="%(asctime)s - %(name)s - %(levelname)s -
/// %(message)s")`, with its traceback (if any) on the lines after; ends with a newline.
pub fn text_record(
    unix: f64,
    tz: &TimeZone,
    logger: &str,
    level: LogLevel,
    message: &str,
    traceback: Option<&str>,
) -> String {
    let mut out = format!(
        "{} - {logger} - {} - {message}\n",
        asctime(unix, tz),
        level.name()
    );
    if let Some(tb) = traceback {
        out.push_str(tb.trim_end_matches('\n'));
        out.push('\n');
    }
    out
}

/// One record of `utils/logging_config.py`'s JSON formatter; ends with a newline.
#[allow(clippy::too_many_arguments)]
pub fn json_record(
    unix: f64,
    level: LogLevel,
    logger: &str,
    message: &str,
    (module, function, line): (&str, &str, u32),
    extra: &[(&str, &str)],
    exception: Option<&str>,
) -> String {
    let mut obj = serde_json::Map::new();
    let stamp = jiff::Timestamp::from_microsecond((unix * 1e6).round() as i64)
        .map(|ts| {
            let dt = ts.to_zoned(TimeZone::UTC).datetime();
            // `datetime.isoformat()` drops a zero fraction, else prints microseconds.
            let micros = dt.subsec_nanosecond() / 1000;
            let frac = if micros == 0 {
                String::new()
            } else {
                format!(".{micros:06}")
            };
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}Z",
                dt.year(),
                dt.month(),
                dt.day(),
                dt.hour(),
                dt.minute(),
                dt.second()
            )
        })
        .unwrap_or_default();
    let s = |v: &str| serde_json::Value::String(v.to_string());
    obj.insert("timestamp".into(), s(&stamp));
    obj.insert("level".into(), s(level.name()));
    obj.insert("logger".into(), s(logger));
    obj.insert("message".into(), s(message));
    obj.insert("module".into(), s(module));
    obj.insert("function".into(), s(function));
    obj.insert("line".into(), serde_json::Value::from(line));
    for (k, v) in extra {
        obj.insert((*k).into(), s(v));
    }
    if let Some(exc) = exception {
        obj.insert("exception".into(), s(exc.trim_end_matches('\n')));
    }
    let mut out = serde_json::Value::Object(obj).to_string();
    out.push('\n');
    out
}

/// One line of CASA's own log (UTC): `time<TAB>PRIORITY<TAB>origin<TAB>message`.
pub fn casa_record(unix: f64, priority: &str, origin: &str, message: &str) -> String {
    let stamp = asctime(unix, &TimeZone::UTC);
    format!("{}\t{priority}\t{origin}\t{message}\n", &stamp[..19])
}

/// The name CASA gives its log when it starts at `unix` (UTC).
pub fn casa_file_name(unix: f64) -> String {
    let stamp = asctime(unix, &TimeZone::UTC);
    let digits: String = stamp[..19].chars().filter(char::is_ascii_digit).collect();
    format!("casa-{}-{}.log", &digits[..8], &digits[8..14])
}

/// A Python traceback through `frames` (file under `dsa110_contimg/`, line, function) ending
/// with `exception` (`RuntimeError: …`).
pub fn traceback(frames: &[(&str, u32, &str)], exception: &str) -> String {
    let mut tb = String::from("Traceback (most recent call last):\n");
    for (file, line, func) in frames {
        let _ = writeln!(
            tb,
            "  File \"/data/dsa110-contimg/backend/src/dsa110_contimg/{file}\", line {line}, in {func}"
        );
        let _ = writeln!(tb, "    result = {func}(context)");
    }
    tb.push_str(exception);
    tb
}

/// The worker's own logger when run as `python -m dsa110_contimg.absurd.worker`.
pub const WORKER_LOGGER: &str = "__main__";
/// The adapter that runs each stage for the worker.
pub const ADAPTER_LOGGER: &str = "dsa110_contimg.absurd.adapter";
/// The state machine (`State transition: <ms name>: a → b`).
pub const STATE_LOGGER: &str = "dsa110_contimg.database.state_machine";

/// How a task's run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEnd {
    /// The executor returned; with `Some(exception)` it caught a failure first (logged with
    /// its traceback by the adapter, `result.status = error`) — the worker still says
    /// "completed successfully".
    Completed(Option<String>),
    /// The executor raised: the worker logs `Task <uuid> failed: <e>` with the traceback.
    Raised(String),
}

/// One task run as a worker logs it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRun {
    pub uuid: String,
    pub task_name: String,
    /// What the adapter logs it works on (an MS path, a group id).
    pub target: String,
    pub claimed: f64,
    pub finished: f64,
    pub end: RunEnd,
}

/// The adapter's `[Absurd] …` line naming what a task works on, by task name.
pub fn start_line(task_name: &str, target: &str) -> String {
    let t = target;
    match task_name {
        "calibration-solve" => format!("[Absurd] Solving calibration for: {t}"),
        "calibration-apply" => format!("[Absurd] Applying calibration to: {t} (tables: [])"),
        "imaging" => format!("[Absurd] Creating image from: {t}"),
        "photometry" => format!("[Absurd] Running photometry on: {t}"),
        "convert-group" | "convert-uvh5-to-ms" => format!("[Absurd] Converting group: {t}"),
        other => format!("[Absurd] Running {other} on: {t}"),
    }
}

/// The adapter's name for a task's stage in `[Absurd] <Stage> failed: …`.
pub fn stage_word(task_name: &str) -> &'static str {
    match task_name {
        "calibration-solve" => "Calibration solve",
        "calibration-apply" => "Calibration apply",
        "imaging" => "Imaging",
        "photometry" => "Photometry",
        _ => "Conversion",
    }
}

/// `Processing task <uuid>: <name>`, as the worker logs a claimed task.
pub fn processing_line(uuid: &str, task_name: &str) -> String {
    format!("Processing task {uuid}: {task_name}")
}

/// `Task <uuid> completed successfully`: also after a failure the executor caught.
pub fn completed_line(uuid: &str) -> String {
    format!("Task {uuid} completed successfully")
}

impl TaskRun {
    fn start_line(&self) -> String {
        start_line(&self.task_name, &self.target)
    }

    fn stage_word(&self) -> &'static str {
        stage_word(&self.task_name)
    }

    /// The worker's lines for this run, in `tz`.
    pub fn lines(&self, tz: &TimeZone) -> String {
        let at = |f: f64| self.claimed + (self.finished - self.claimed) * f;
        let mut out = text_record(
            self.claimed,
            tz,
            WORKER_LOGGER,
            LogLevel::Info,
            &processing_line(&self.uuid, &self.task_name),
            None,
        );
        out += &text_record(
            at(0.02),
            tz,
            ADAPTER_LOGGER,
            LogLevel::Info,
            &self.start_line(),
            None,
        );
        let frames = [
            ("absurd/adapter.py", 315, "execute_stage"),
            ("pipeline/stages_impl.py", 1873, "execute"),
        ];
        match &self.end {
            RunEnd::Completed(None) => {
                out += &text_record(
                    at(0.9),
                    tz,
                    ADAPTER_LOGGER,
                    LogLevel::Info,
                    &format!("[Absurd] {} complete: {}", self.stage_word(), self.target),
                    None,
                );
            }
            RunEnd::Completed(Some(exc)) => {
                let msg = exc.split_once(": ").map_or(exc.as_str(), |(_, m)| m);
                out += &text_record(
                    at(0.95),
                    tz,
                    ADAPTER_LOGGER,
                    LogLevel::Error,
                    &format!("[Absurd] {} failed: {msg}", self.stage_word()),
                    Some(&traceback(&frames, exc)),
                );
            }
            RunEnd::Raised(exc) => {
                let msg = exc.split_once(": ").map_or(exc.as_str(), |(_, m)| m);
                out += &text_record(
                    self.finished,
                    tz,
                    WORKER_LOGGER,
                    LogLevel::Error,
                    &format!("Task {} failed: {msg}", self.uuid),
                    Some(&traceback(
                        &[("absurd/worker.py", 199, "_process_task")],
                        exc,
                    )),
                );
                return out;
            }
        }
        out += &text_record(
            self.finished,
            tz,
            WORKER_LOGGER,
            LogLevel::Info,
            &completed_line(&self.uuid),
            None,
        );
        out
    }
}

/// The fixture's names, for the story tests and the other areas' fixtures to reuse.
pub mod names {
    /// A `calibration-solve` task whose stage failed inside the executor: the adapter logs
    /// the error with its traceback and the worker says "completed successfully".
    pub const SOLVE_FAILED_TASK: &str = "5a1f0c2e-7d4b-4e21-9c3a-0b8e6f4d2a11";
    pub const SOLVE_FAILED_MS: &str = "/stage/dsa110-contimg/ms/2025-10-21T12:05:09.ms";
    /// An `imaging` task whose executor raised: `Task <uuid> failed: …` with the traceback.
    pub const IMAGING_FAILED_TASK: &str = "9e3b7a40-1c6d-4f58-8b2e-5d7c9a0f3e22";
    pub const IMAGING_FAILED_MS: &str = "/stage/dsa110-contimg/ms/2025-10-21T12:10:18.ms";
    /// A `convert-group` that completed (JSON lines carry its group id too).
    pub const CONVERT_OK_TASK: &str = "c47d2e91-3a5f-4b08-a6e1-8f2b4c7d9e33";
    pub const CONVERT_OK_GROUP: &str = "2025-10-21T13:02:44";
    /// An MS whose stage failed on the single-unit worker: found only by its stem (the
    /// state machine's `State transition: <name>: …`) and the run around it.
    pub const STATE_FAILED_MS: &str = "/stage/dsa110-contimg/ms/2025-10-21T10:55:50.ms";
    /// The errors the failures raise (`<Class>: <message>`).
    pub const SOLVE_ERROR: &str = "RuntimeError: gaincal: no unflagged solutions for refant pad103";
    pub const IMAGING_ERROR: &str =
        "RuntimeError: Imaging failed: No image files created for 2025-10-21T12:10:18";
    pub const STATE_ERROR: &str =
        "FileNotFoundError: [Errno 2] No such file or directory: 'bandpass.bcal'";
}

/// The fixture's task runs, at times relative to `now`: (worker file index, run).
pub fn fixture_runs(now: f64) -> Vec<(Option<u32>, TaskRun)> {
    use names::*;
    vec![
        (
            Some(1),
            TaskRun {
                uuid: SOLVE_FAILED_TASK.into(),
                task_name: "calibration-solve".into(),
                target: SOLVE_FAILED_MS.into(),
                claimed: now - 7_200.0,
                finished: now - 6_900.0,
                end: RunEnd::Completed(Some(SOLVE_ERROR.into())),
            },
        ),
        (
            Some(1),
            TaskRun {
                uuid: IMAGING_FAILED_TASK.into(),
                task_name: "imaging".into(),
                target: IMAGING_FAILED_MS.into(),
                claimed: now - 3_600.0,
                finished: now - 3_000.0,
                end: RunEnd::Raised(IMAGING_ERROR.into()),
            },
        ),
        (
            Some(2),
            TaskRun {
                uuid: CONVERT_OK_TASK.into(),
                task_name: "convert-group".into(),
                target: CONVERT_OK_GROUP.into(),
                claimed: now - 2_400.0,
                finished: now - 2_100.0,
                end: RunEnd::Completed(None),
            },
        ),
        (
            None,
            TaskRun {
                uuid: "0d9c4b12-6e7a-4c35-b1f8-2a9e5c3d7f44".into(),
                task_name: "calibration-apply".into(),
                target: STATE_FAILED_MS.into(),
                claimed: now - 12_000.0,
                finished: now - 11_940.0,
                end: RunEnd::Completed(Some(STATE_ERROR.into())),
            },
        ),
    ]
}

fn worker_file(i: Option<u32>) -> String {
    match i {
        Some(i) => format!("absurd-worker-{i}.log"),
        None => "absurd-worker.log".into(),
    }
}

/// Write the fixture's logs under `fx.logs_dir`, plain text in [`PIPELINE_TZ`].
pub fn write(fx: &UpstreamFixture) -> anyhow::Result<()> {
    let tz = TimeZone::get(PIPELINE_TZ)?;
    let now = fx.now;
    let dir = &fx.logs_dir;
    std::fs::create_dir_all(dir.join("casa"))?;
    let mut files: std::collections::BTreeMap<String, String> = Default::default();
    for i in [None, Some(1), Some(2)] {
        let id = i.map_or("worker-0".to_string(), |i| format!("worker-{i}"));
        let start = now - 86_400.0;
        let text = files.entry(worker_file(i)).or_default();
        text.push_str(&text_record(
            start,
            &tz,
            WORKER_LOGGER,
            LogLevel::Info,
            &format!("Worker {id} starting"),
            None,
        ));
        text.push_str(&text_record(
            start + 1.0,
            &tz,
            WORKER_LOGGER,
            LogLevel::Info,
            &format!("Worker {id} connected, polling queue: dsa110-pipeline"),
            None,
        ));
    }
    for (k, (i, run)) in fixture_runs(now).into_iter().enumerate() {
        let text = files.entry(worker_file(i)).or_default();
        text.push_str(&run.lines(&tz));
        if k == 0 {
            // A stray line the worker's stderr got (a library warning) between tasks: it
            // follows the last record, as systemd appends it.
            text.push_str(
                "/opt/miniforge/envs/casa6/lib/python3.11/site-packages/erfa/core.py:133: \
                 ErfaWarning: ERFA function \"dtf2d\" yielded 1 of \"dubious year (Note 6)\"\n",
            );
        }
        if i.is_none() {
            // The stage's state-machine hook, right after the failure.
            let name = run.target.rsplit('/').next().unwrap_or_default();
            text.push_str(&text_record(
                run.finished + 0.5,
                &tz,
                STATE_LOGGER,
                LogLevel::Info,
                &format!("State transition: {name}: pending → failed"),
                None,
            ));
        }
    }
    let sched = files.entry("absurd-scheduler.log".into()).or_default();
    for k in 0..6 {
        sched.push_str(&text_record(
            now - 3_600.0 * f64::from(k),
            &tz,
            "dsa110_contimg.absurd.scheduler",
            LogLevel::Info,
            "Checked 3 scheduled tasks, 0 due",
            None,
        ));
    }
    files
        .entry("pointing-monitor.log".into())
        .or_default()
        .push_str(&text_record(
            now - 600.0,
            &tz,
            "dsa110_contimg.pointing.monitor",
            LogLevel::Info,
            "Pointing dec +54.57 deg unchanged",
            None,
        ));
    files
        .entry("mosaic-nightly.log".into())
        .or_default()
        .push_str(&text_record(
            now - 50_000.0,
            &tz,
            "dsa110_contimg.mosaic.orchestrator",
            LogLevel::Warning,
            "No images for tier quicklook in the last 24 h",
            None,
        ));
    // CASA's log of the failed solve: started with the worker's CASA import, UTC.
    let solve = &fixture_runs(now)[0].1;
    let casa = format!("casa/{}", casa_file_name(solve.claimed - 30.0));
    let c = files.entry(casa).or_default();
    c.push_str(&casa_record(
        solve.claimed - 30.0,
        "INFO",
        "::casa",
        "CASA Version 6.6.4-34",
    ));
    c.push_str(&casa_record(
        solve.claimed + 10.0,
        "INFO",
        "gaincal::::casa",
        &format!(
            "##### Begin Task: gaincal #####  vis=\"{}\"",
            names::SOLVE_FAILED_MS
        ),
    ));
    c.push_str(&casa_record(
        solve.claimed + 200.0,
        "SEVERE",
        "gaincal::Calibrater::solve",
        "No unflagged solutions for refant pad103",
    ));
    // The JSON formatter's file, where a host called `setup_logging`: the orchestrator passes
    // group_id as an extra.
    let j = files.entry("pipeline.log".into()).or_default();
    let conv = &fixture_runs(now)[2].1;
    j.push_str(&json_record(
        conv.claimed + 5.0,
        LogLevel::Info,
        "dsa110_contimg.conversion.hdf5_orchestrator",
        "Converting 16 subbands",
        ("hdf5_orchestrator", "convert_group", 412),
        &[("group_id", names::CONVERT_OK_GROUP)],
        None,
    ));
    j.push_str(&json_record(
        conv.claimed + 60.0,
        LogLevel::Warning,
        "dsa110_contimg.conversion.hdf5_orchestrator",
        "Subband 07 has 2 flagged integrations",
        ("hdf5_orchestrator", "convert_group", 455),
        &[("group_id", names::CONVERT_OK_GROUP)],
        None,
    ));
    for (name, text) in files {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::logs::parse::parse_records;

    #[test]
    fn the_writers_produce_what_the_parser_reads_back() {
        let tz = TimeZone::get(PIPELINE_TZ).unwrap();
        let unix = 1_761_056_599.512;
        let line = text_record(
            unix,
            &tz,
            "x.y",
            LogLevel::Error,
            "boom",
            Some("Traceback (most recent call last):\nE: boom"),
        );
        assert!(
            line.starts_with("2025-10-21 07:23:19,512 - x.y - ERROR - boom\n"),
            "{line}"
        );
        let r = &parse_records(&line, &tz)[0];
        assert_eq!((r.unix, r.continuation.len()), (Some(unix), 2));
        let j = json_record(
            1_761_056_599.0,
            LogLevel::Info,
            "l",
            "m",
            ("m", "f", 1),
            &[],
            None,
        );
        assert!(j.contains("\"timestamp\":\"2025-10-21T14:23:19Z\""), "{j}");
        assert_eq!(casa_file_name(1_761_056_599.0), "casa-20251021-142319.log");
    }
}
