//! The pipeline's own log lines about one job, from the log directory (`PIPELINE_LOG_DIR`,
//! the pipeline's `state/logs/`), as the deployed pipeline really writes them
//! (`shared/upstream-facts.md` §4):
//!
//! - systemd appends each service's stdout/stderr to `absurd-worker.log` /
//!   `absurd-worker-{i}.log`, `absurd-scheduler.log`, `pointing-monitor.log`,
//!   `mosaic-nightly.log`: plain text in the host's local time, tracebacks on the lines after;
//! - CASA writes `casa/casa-YYYYMMDD-HHMMSS.log`;
//! - `utils/logging_config.py`'s JSON files (`pipeline.log`, `error.log`, …) exist only where
//!   someone called it; they are read when present;
//! - `{run_id}.log` is read by the API but written by nothing; read when it exists.
//!
//! Files are found by name pattern in the directory, not from a fixed list. A record belongs
//! to a job by what it carries: the task's UUID (`Processing task <uuid>: <name>`,
//! `Task <uuid> failed: …`) and every line of that task's run in the same worker's file; or,
//! inside the job's time window, its MS path, MS name/stem or group id in the text. Each line
//! keeps how it was matched; a search with no match keeps where it looked.
//!
//! Blocking file I/O: call it from `spawn_blocking`. Every read is bounded (see [`files`]).

pub mod files;
pub mod parse;

use std::path::PathBuf;

use jiff::tz::{Offset, TimeZone};

use crate::snapshot::{
    JobDetail, JobRow, JobSource, LogLine, LogMatch, LogRecord, LogSearched, LogTail,
};
use files::{FileKind, LogFile};

/// At most this much is read from one file for one search.
pub const FILE_BUDGET: u64 = 4 * 1024 * 1024;
/// At most this much is read, over every file, for one search.
pub const TOTAL_BUDGET: u64 = 24 * 1024 * 1024;
/// At most this many files are read for one search (CASA's counted apart).
pub const MAX_FILES: usize = 32;
/// At most this many CASA logs (the newest that may hold the window) are read.
pub const MAX_CASA_FILES: usize = 6;
/// At most this many records are kept (the newest, and always the newest error).
pub const TAIL_LINES: usize = 200;
/// The default margin around a job's start..end.
pub const DEFAULT_MARGIN_SECS: f64 = 600.0;
/// A job with one time only (an `ms_state` failure's transition) is looked for this long
/// before it, where its stage ran.
pub const LOOKBACK_SECS: f64 = 3600.0;
/// A `{run_id}.log`'s tail read.
const RUN_LOG_BYTES: u64 = 2 * 1024 * 1024;

/// The zone the plain-text logs' times are in: the pipeline host's, written by Python's
/// `asctime` in local time. `local` is the monitor host's zone (the monitor runs on the
/// pipeline host); else an IANA name (`America/Los_Angeles`), `UTC` or an offset (`-08:00`).
#[derive(Debug, Clone, PartialEq)]
pub struct LogZone {
    tz: TimeZone,
    label: String,
}

impl Default for LogZone {
    fn default() -> Self {
        LogZone::local()
    }
}

impl LogZone {
    pub fn local() -> LogZone {
        let tz = TimeZone::system();
        let name = tz.iana_name().unwrap_or("system").to_string();
        LogZone {
            tz,
            label: format!("local ({name})"),
        }
    }

    pub fn utc() -> LogZone {
        LogZone {
            tz: TimeZone::UTC,
            label: "UTC".into(),
        }
    }

    /// `local`, `UTC`, `+HH:MM` / `-HH:MM`, or an IANA zone name.
    pub fn parse(spec: &str) -> Result<LogZone, String> {
        let spec = spec.trim();
        if spec.eq_ignore_ascii_case("local") || spec.is_empty() {
            return Ok(LogZone::local());
        }
        if spec.eq_ignore_ascii_case("utc") || spec == "Z" {
            return Ok(LogZone::utc());
        }
        if let Some(sign) = spec.chars().next().filter(|c| *c == '+' || *c == '-') {
            let (h, m) = spec[1..].split_once(':').unwrap_or((&spec[1..], "0"));
            let (h, m) = (h.parse::<i32>(), m.parse::<i32>());
            if let (Ok(h), Ok(m)) = (h, m)
                && h <= 18
                && m < 60
            {
                let secs = (h * 3600 + m * 60) * if sign == '-' { -1 } else { 1 };
                let offset = Offset::from_seconds(secs).map_err(|e| e.to_string())?;
                return Ok(LogZone {
                    tz: TimeZone::fixed(offset),
                    label: spec.to_string(),
                });
            }
            return Err(format!("{spec:?} is not an offset like -08:00"));
        }
        TimeZone::get(spec)
            .map(|tz| LogZone {
                tz,
                label: spec.to_string(),
            })
            .map_err(|e| format!("unknown time zone {spec:?}: {e}"))
    }

    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }

    /// How the zone is named on screen.
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// Where the logs are and how to read them.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSource {
    pub dir: PathBuf,
    pub zone: LogZone,
    /// Added before a job's start and after its end.
    pub margin_secs: f64,
}

impl LogSource {
    /// `dir` in the monitor host's zone with the default margin.
    pub fn new(dir: impl Into<PathBuf>) -> LogSource {
        LogSource {
            dir: dir.into(),
            zone: LogZone::local(),
            margin_secs: DEFAULT_MARGIN_SECS,
        }
    }

    pub fn with_zone(mut self, zone: LogZone) -> LogSource {
        self.zone = zone;
        self
    }
}

impl From<PathBuf> for LogSource {
    fn from(dir: PathBuf) -> Self {
        LogSource::new(dir)
    }
}

/// What a job's lines may carry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogKeys {
    pub uuid: Option<String>,
    pub ms_paths: Vec<String>,
    /// MS names and stems (`2025-10-21T14:23:19.ms`'s `2025-10-21T14:23:19`).
    pub stems: Vec<String>,
    pub groups: Vec<String>,
    /// The API's run id, for a `{run_id}.log` if one exists.
    pub run_id: Option<String>,
}

/// Shorter keys would match unrelated text.
const MIN_KEY_CHARS: usize = 6;

impl LogKeys {
    /// The keys of a job: a queue task's UUID; its target (an MS path, or a bare group id);
    /// the paths and group in its params (`inputs.ms_path`, `outputs.ms_path`,
    /// `inputs.input_path`, `inputs.group_id`, or the old flat layout).
    pub fn for_job(d: &JobDetail) -> LogKeys {
        let mut keys = LogKeys::default();
        if d.row.key.source == JobSource::AbsurdTask {
            keys.uuid = Some(d.row.key.id.clone()).filter(|u| u.len() >= MIN_KEY_CHARS);
        }
        let mut targets: Vec<String> = d.row.target.iter().cloned().collect();
        let mut groups = Vec::new();
        if let Some(params) = d.params_pretty.as_deref()
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(params)
        {
            let at = |path: &[&str]| {
                path.iter()
                    .try_fold(&v, |v, k| v.get(*k))
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            };
            for p in [
                &["inputs", "ms_path"][..],
                &["outputs", "ms_path"],
                &["inputs", "input_path"],
                &["inputs", "file_path"],
                &["ms_path"],
            ] {
                targets.extend(at(p));
            }
            for p in [&["inputs", "group_id"][..], &["group_id"]] {
                groups.extend(at(p));
            }
        }
        for t in targets {
            let t = t.trim_end_matches('/').to_string();
            if t.contains('/') || t.ends_with(".ms") {
                keys.add_path(&t);
            } else {
                groups.push(t);
            }
        }
        for g in groups {
            push_unique(&mut keys.groups, g);
        }
        keys.run_id = keys.ms_paths.iter().find_map(|p| run_id(p));
        keys
    }

    fn add_path(&mut self, path: &str) {
        if path.contains('/') {
            push_unique(&mut self.ms_paths, path.to_string());
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        let stem = name
            .rsplit_once('.')
            .map_or(name, |(s, ext)| if ext.len() <= 5 { s } else { name });
        push_unique(&mut self.stems, stem.to_string());
    }

    /// Every key with the kind of match it gives, for "where it looked".
    pub fn list(&self) -> Vec<(LogMatch, String)> {
        let mut out = Vec::new();
        out.extend(self.uuid.iter().map(|u| (LogMatch::Uuid, u.clone())));
        out.extend(self.ms_paths.iter().map(|p| (LogMatch::MsPath, p.clone())));
        out.extend(self.stems.iter().map(|s| (LogMatch::MsStem, s.clone())));
        out.extend(self.groups.iter().map(|g| (LogMatch::Group, g.clone())));
        out
    }
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if s.chars().count() >= MIN_KEY_CHARS && !v.contains(&s) {
        v.push(s);
    }
}

/// The API's run id for an MS: `job-YYYY-MM-DD-HHMMSS` from the timestamp in its name.
pub fn run_id(ms_path: &str) -> Option<String> {
    let name = ms_path.trim_end_matches('/').rsplit('/').next()?;
    let stem = name.strip_suffix(".ms").unwrap_or(name);
    let (date, time) = stem.split_once('T')?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let mut d = date.split('-');
    let (y, m, day) = (d.next()?, d.next()?, d.next()?);
    let mut t = time.split(':');
    let (h, min, s) = (t.next()?, t.next()?, t.next()?);
    let s = s.split('.').next()?;
    let ok = digits(y, 4) && digits(m, 2) && digits(day, 2) && digits(h, 2) && digits(min, 2);
    (ok && digits(s, 2) && d.next().is_none() && t.next().is_none())
        .then(|| format!("job-{y}-{m}-{day}-{h}{min}{s}"))
}

/// A job's time window: its start (started, else created) to its end (finished, else `now`
/// while it runs), widened by `margin`; a job with its end only is looked for
/// [`LOOKBACK_SECS`] before it.
pub fn job_window(row: &JobRow, now: f64, margin: f64) -> Option<(f64, f64)> {
    let start = row.started_at.or(row.created_at);
    let end = row.finished_at.unwrap_or(now);
    let (start, lookback) = match start {
        Some(s) => (s, 0.0),
        None => (row.finished_at?, LOOKBACK_SECS),
    };
    let end = end.max(start);
    Some((start - margin - lookback, end + margin))
}

/// The lines of the log directory that belong to the job of `detail`.
pub fn find_job_logs(src: &LogSource, detail: &JobDetail, now: f64) -> LogTail {
    let keys = LogKeys::for_job(detail);
    let window = job_window(&detail.row, now, src.margin_secs);
    find_logs(src, &keys, window)
}

/// The records under `src.dir` that carry one of `keys` (the path, stem and group keys only
/// inside `window`), oldest first, at most [`TAIL_LINES`].
pub fn find_logs(src: &LogSource, keys: &LogKeys, window: Option<(f64, f64)>) -> LogTail {
    let mut searched = LogSearched {
        dir: src.dir.display().to_string(),
        window,
        keys: keys.list(),
        zone: src.zone.label().to_string(),
        ..LogSearched::default()
    };
    let mut lines: Vec<LogLine> = Vec::new();
    if let Some(run) = &keys.run_id {
        let name = format!("{run}.log");
        if let Ok(text) = files::read_tail(&src.dir.join(&name), RUN_LOG_BYTES) {
            lines.extend(
                parse::parse_records(&text, src.zone.tz())
                    .into_iter()
                    .map(|record| LogLine {
                        file: name.clone(),
                        record,
                        how: LogMatch::RunLog,
                    }),
            );
            searched.files.push(name);
        }
    }
    if keys.list().is_empty() {
        return finish(lines, searched);
    }
    let mut budget = TOTAL_BUDGET;
    let (mut read, mut casa) = (0usize, 0usize);
    for file in files::discover(&src.dir) {
        if !may_hold(&file, window) {
            searched.skipped += 1;
            continue;
        }
        let is_casa = file.kind == FileKind::Casa;
        if budget == 0 || (is_casa && casa >= MAX_CASA_FILES) || (!is_casa && read >= MAX_FILES) {
            searched.skipped += 1;
            searched.truncated = true;
            continue;
        }
        let Ok(chunk) =
            files::read_window(&file.path, window, src.zone.tz(), FILE_BUDGET.min(budget))
        else {
            searched.skipped += 1;
            continue;
        };
        budget = budget.saturating_sub(chunk.text.len() as u64);
        searched.truncated |= chunk.truncated;
        if is_casa {
            casa += 1;
        } else {
            read += 1;
        }
        let records = parse::parse_records(&chunk.text, src.zone.tz());
        lines.extend(match_records(records, &file.name, keys, window));
        searched.files.push(file.name);
    }
    finish(lines, searched)
}

/// Whether a file may hold records inside the window: not last written before it opened,
/// and (a CASA log) not started after it closed.
fn may_hold(file: &LogFile, window: Option<(f64, f64)>) -> bool {
    let Some((from, to)) = window else {
        return true;
    };
    file.mtime.is_none_or(|m| m >= from) && file.started.is_none_or(|s| s <= to)
}

fn finish(mut lines: Vec<LogLine>, searched: LogSearched) -> LogTail {
    // Oldest first across files; a record without a time stays after its file's others.
    lines.sort_by(|a, b| {
        let t = |l: &LogLine| l.record.unix.unwrap_or(f64::MAX);
        t(a).total_cmp(&t(b))
    });
    if lines.len() > TAIL_LINES {
        let cut = lines.len() - TAIL_LINES;
        let last_error = lines.iter().rposition(|l| l.record.is_error());
        let kept_error = last_error.filter(|i| *i < cut).map(|i| lines[i].clone());
        lines.drain(..cut);
        if let Some(e) = kept_error {
            lines.insert(0, e);
        }
    }
    LogTail { lines, searched }
}

/// How each record of one file belongs to the job, if it does. A worker runs one task at a
/// time, so the records from a `Processing task <uuid>: <name>` line to that task's end
/// (`Task <uuid> completed|failed|cancelled`, the next task, a worker restart) are one run:
/// when any record of a run matched (its UUID, or its MS inside the window — `[Absurd]
/// Solving calibration for: <ms>`), the run's other records (the stage's failure and its
/// traceback, which name neither) are the job's too.
fn match_records(
    records: Vec<LogRecord>,
    file: &str,
    keys: &LogKeys,
    window: Option<(f64, f64)>,
) -> Vec<LogLine> {
    // Which run each record is in, and how it matched on its own.
    let mut runs: Vec<Option<usize>> = Vec::with_capacity(records.len());
    let mut hows: Vec<Option<LogMatch>> = Vec::with_capacity(records.len());
    let mut run: Option<(usize, String)> = None;
    let mut next_run = 0usize;
    for record in &records {
        let msg = record.message.as_str();
        if let Some(uuid) = task_started(msg) {
            run = Some((next_run, uuid.to_string()));
            next_run += 1;
        } else if is_worker_start(msg) {
            run = None;
        }
        // Another task's end line is not this run's (runs do not overlap in one worker's
        // file; where they seem to, the other task's own end stays out).
        let other_task = run
            .as_ref()
            .is_some_and(|(_, uuid)| ended_task(msg).is_some_and(|t| t != uuid));
        runs.push(run.as_ref().filter(|_| !other_task).map(|(i, _)| *i));
        if let Some((_, uuid)) = &run
            && ended_task(msg) == Some(uuid.as_str())
        {
            run = None;
        }
        hows.push(own_match(record, keys, window));
    }
    let mut linked = vec![false; next_run];
    for (r, how) in runs.iter().zip(&hows) {
        if let (Some(r), Some(_)) = (r, how) {
            linked[*r] = true;
        }
    }
    records
        .into_iter()
        .zip(runs.into_iter().zip(hows))
        .filter_map(|(record, (r, how))| {
            let how = how.or_else(|| r.filter(|r| linked[*r]).map(|_| LogMatch::TaskRun))?;
            Some(LogLine {
                file: file.to_string(),
                record,
                how,
            })
        })
        .collect()
}

/// How one record matches by what it carries itself.
fn own_match(record: &LogRecord, keys: &LogKeys, window: Option<(f64, f64)>) -> Option<LogMatch> {
    let msg = record.message.as_str();
    let carries = |k: &str| msg.contains(k) || record.continuation.iter().any(|c| c.contains(k));
    let field = |name: &str, k: &str| record.extra.iter().any(|(f, v)| f == name && v == k);
    if keys.uuid.as_deref().is_some_and(|u| msg.contains(u)) {
        return Some(LogMatch::Uuid);
    }
    let inside = window.is_none_or(|(from, to)| record.unix.is_some_and(|t| from <= t && t <= to));
    if !inside {
        return None;
    }
    if keys
        .ms_paths
        .iter()
        .any(|p| carries(p) || field("ms_path", p))
    {
        Some(LogMatch::MsPath)
    } else if keys.stems.iter().any(|s| carries(s)) {
        Some(LogMatch::MsStem)
    } else if keys
        .groups
        .iter()
        .any(|g| carries(g) || field("group_id", g))
        // An MS is named `{group_id}.ms`: its stem is the JSON records' group id.
        || keys.stems.iter().any(|s| field("group_id", s))
    {
        Some(LogMatch::Group)
    } else {
        None
    }
}

/// The UUID of `Processing task <uuid>: <name>`.
fn task_started(msg: &str) -> Option<&str> {
    let rest = &msg[msg.find("Processing task ")? + "Processing task ".len()..];
    let uuid = rest.split([':', ' ']).next()?;
    (!uuid.is_empty()).then_some(uuid)
}

/// The UUID of `Task <uuid> completed successfully`, `Task <uuid> failed: …`,
/// `Task <uuid> cancelled`.
fn ended_task(msg: &str) -> Option<&str> {
    let rest = &msg[msg.find("Task ")? + 5..];
    let (uuid, after) = rest.split_once(' ')?;
    ["completed", "failed", "cancelled"]
        .iter()
        .any(|end| after.starts_with(end))
        .then_some(uuid)
}

/// `Worker <id> starting`: a restarted worker runs no task yet.
fn is_worker_start(msg: &str) -> bool {
    msg.starts_with("Worker ") && msg.ends_with(" starting")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_id_comes_from_the_ms_timestamp() {
        assert_eq!(
            run_id("/stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms").as_deref(),
            Some("job-2025-10-21-142319")
        );
        assert_eq!(run_id("/stage/ms/calibrator_3C286.ms"), None);
    }

    #[test]
    fn zones_are_local_utc_offsets_or_names() {
        assert_eq!(LogZone::parse("UTC").unwrap().label(), "UTC");
        assert!(
            LogZone::parse("local")
                .unwrap()
                .label()
                .starts_with("local")
        );
        let z = LogZone::parse("-08:00").unwrap();
        let dt = jiff::civil::date(2025, 1, 1).at(0, 0, 0, 0);
        assert_eq!(
            z.tz().to_timestamp(dt).unwrap().as_second(),
            1_735_689_600 + 8 * 3600
        );
        assert!(LogZone::parse("America/Los_Angeles").is_ok());
        assert!(LogZone::parse("Mars/Olympus").is_err());
        assert!(LogZone::parse("+99:00").is_err());
    }

    #[test]
    fn a_task_run_spans_its_worker_lines_and_ends_with_it() {
        let text = "\
2025-10-21 14:00:00,000 - __main__ - INFO - Processing task aaaaaaaa-1111: calibration-solve
2025-10-21 14:00:01,000 - dsa110_contimg.absurd.adapter - INFO - [Absurd] Solving calibration for: /s/x.ms
2025-10-21 14:00:02,000 - dsa110_contimg.absurd.adapter - ERROR - [Absurd] Calibration solve failed: boom
Traceback (most recent call last):
RuntimeError: boom
2025-10-21 14:00:03,000 - __main__ - INFO - Task aaaaaaaa-1111 completed successfully
2025-10-21 14:00:04,000 - __main__ - INFO - Processing task bbbbbbbb-2222: imaging
2025-10-21 14:00:05,000 - dsa110_contimg.absurd.adapter - INFO - [Absurd] Creating image from: /s/y.ms
";
        let records = parse::parse_records(text, &TimeZone::UTC);
        let keys = LogKeys {
            uuid: Some("aaaaaaaa-1111".into()),
            ..LogKeys::default()
        };
        let got: Vec<LogMatch> = match_records(records, "w.log", &keys, None)
            .into_iter()
            .map(|l| l.how)
            .collect();
        assert_eq!(
            got,
            [
                LogMatch::Uuid,
                LogMatch::TaskRun,
                LogMatch::TaskRun,
                LogMatch::Uuid
            ]
        );
        // The same run, found by its MS inside the window: the failure and its traceback
        // come with it, the next task's lines do not.
        let keys = LogKeys {
            ms_paths: vec!["/s/x.ms".into()],
            stems: vec!["x".repeat(6)],
            ..LogKeys::default()
        };
        let records = parse::parse_records(text, &TimeZone::UTC);
        let lines = match_records(records, "w.log", &keys, Some((0.0, 2e9)));
        let got: Vec<LogMatch> = lines.iter().map(|l| l.how).collect();
        assert_eq!(
            got,
            [
                LogMatch::TaskRun,
                LogMatch::MsPath,
                LogMatch::TaskRun,
                LogMatch::TaskRun
            ]
        );
        assert_eq!(lines[2].record.continuation.len(), 2);
        // Outside the window the MS matches nothing, so neither does its run.
        let records = parse::parse_records(text, &TimeZone::UTC);
        assert!(match_records(records, "w.log", &keys, Some((0.0, 1.0))).is_empty());
    }
}
