//! Immutable values that services hand to the app. Nothing here does I/O.
//!
//! Times are Unix seconds (`f64`) as the pipeline stores them; observation times are MJD.
//! Every field that comes from the pipeline's database is `Option`: any column may be NULL
//! or missing from an older schema.

pub mod jobs;
pub mod records;

use std::sync::Arc;
use std::time::Duration;

pub use jobs::{JobKey, JobSource, JobStatus};

/// Which list a snapshot or request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tab {
    Images,
    Sources,
    Jobs,
    Ms,
    Pool,
}

impl Tab {
    pub const ALL: [Tab; 5] = [Tab::Images, Tab::Sources, Tab::Jobs, Tab::Ms, Tab::Pool];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Images => "Images",
            Tab::Sources => "Sources",
            Tab::Jobs => "Jobs",
            Tab::Ms => "MS",
            Tab::Pool => "Pool",
        }
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    pub fn parse(name: &str) -> Option<Tab> {
        Tab::ALL
            .into_iter()
            .find(|t| t.title().eq_ignore_ascii_case(name))
    }
}

/// One row of the Images tab (`images` table; columns absent in older layouts are `None`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ImageRow {
    pub id: i64,
    pub path: String,
    pub ms_path: Option<String>,
    pub created_at: Option<f64>,
    pub kind: Option<String>,
    pub field_name: Option<String>,
    pub beam_major_arcsec: Option<f64>,
    pub beam_minor_arcsec: Option<f64>,
    pub beam_pa_deg: Option<f64>,
    pub noise_jy: Option<f64>,
    pub dynamic_range: Option<f64>,
    pub imsize_x: Option<i64>,
    pub imsize_y: Option<i64>,
    pub cellsize_arcsec: Option<f64>,
    pub freq_ghz: Option<f64>,
    pub center_ra_deg: Option<f64>,
    pub center_dec_deg: Option<f64>,
}

/// Variability figures for a source, from `variability_stats` when the table exists.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Variability {
    pub n_obs: Option<i64>,
    pub mean_flux_mjy: Option<f64>,
    pub std_flux_mjy: Option<f64>,
    pub chi2_nu: Option<f64>,
    pub sigma_deviation: Option<f64>,
    pub eta: Option<f64>,
    pub v: Option<f64>,
}

/// One row of the Sources tab: an aggregate of `photometry` by `source_id`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SourceRow {
    pub id: String,
    pub name: Option<String>,
    pub ra_deg: Option<f64>,
    pub dec_deg: Option<f64>,
    pub detections: i64,
    /// Flux of the newest measurement (`flux_jy`, falling back to `peak_flux_jy`).
    pub latest_flux_jy: Option<f64>,
    pub latest_mjd: Option<f64>,
    pub nvss_flux_mjy: Option<f64>,
    pub variability: Option<Variability>,
}

/// One row of the Jobs tab: the common model over every job source.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JobRow {
    pub key: JobKey,
    pub kind: Option<String>,
    pub status: JobStatus,
    /// The status exactly as the source stored it.
    pub raw_status: String,
    /// The Measurement Set (or group) the job works on.
    pub target: Option<String>,
    pub created_at: Option<f64>,
    pub started_at: Option<f64>,
    pub finished_at: Option<f64>,
    pub attempts: Option<i64>,
    pub max_attempts: Option<i64>,
    /// One line saying why it failed (see `jobs::error_one_liner`).
    pub error_line: Option<String>,
}

impl JobRow {
    /// Run time: finished − started, or now − started while running.
    pub fn duration(&self, now: f64) -> Option<f64> {
        let start = self.started_at?;
        let end = self.finished_at.unwrap_or(now);
        (end >= start).then_some(end - start)
    }
}

/// One row of the MS tab (`ms_index`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MsRow {
    pub path: String,
    pub group_id: Option<String>,
    pub status: Option<String>,
    pub stage: Option<String>,
    pub cal_applied: Option<bool>,
    pub field_name: Option<String>,
    pub pointing_ra_deg: Option<f64>,
    pub pointing_dec_deg: Option<f64>,
    pub mid_mjd: Option<f64>,
    pub processed_at: Option<f64>,
    pub stage_updated_at: Option<f64>,
}

/// A page of a list, newest first (or in the requested sort order).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<R> {
    pub rows: Vec<R>,
    /// True when more rows match beyond the last one returned.
    pub has_more: bool,
    /// Exact number of matching rows when it was cheap to know.
    pub total: Option<u64>,
    /// Where the next page starts (keyset), when `has_more`.
    pub next: Option<crate::query::Cursor>,
}

impl<R> Default for Page<R> {
    fn default() -> Self {
        Page {
            rows: Vec::new(),
            has_more: false,
            total: None,
            next: None,
        }
    }
}

/// The `ms_state` row of one Measurement Set.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MsStateRow {
    pub current_state: Option<String>,
    pub previous_state: Option<String>,
    pub transition_time: Option<f64>,
    pub retry_count: Option<i64>,
    pub error_message: Option<String>,
    pub checkpoint_data: Option<String>,
}

/// One `calibration_applied` row.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct CalibrationApplied {
    pub caltable_path: Option<String>,
    pub applied_at: Option<f64>,
    pub quality: Option<f64>,
    pub success: Option<bool>,
    pub error_message: Option<String>,
}

/// Everything the MS detail pane shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MsDetail {
    pub row: Option<MsRow>,
    pub state: Option<MsStateRow>,
    pub images: Vec<ImageRow>,
    pub jobs: Vec<JobRow>,
    pub calibration: Vec<CalibrationApplied>,
    /// The calibration tables that apply to it and its calibration QA (`db::records`).
    pub cal: records::MsCalibration,
}

/// The severity of a log record, from Python's `levelname` or CASA's priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Debug,
    Info,
    Warning,
    Error,
    Critical,
}

impl LogLevel {
    /// Python's `levelname`s, CASA's priorities (`WARN`, `SEVERE`, `INFO1`..) and their
    /// lower-case forms; anything else is no level.
    pub fn parse(s: &str) -> Option<LogLevel> {
        let s = s.trim().to_ascii_uppercase();
        let s = s.trim_end_matches(|c: char| c.is_ascii_digit());
        Some(match s {
            "DEBUG" | "TRACE" => LogLevel::Debug,
            "INFO" | "NOTICE" => LogLevel::Info,
            "WARNING" | "WARN" => LogLevel::Warning,
            "ERROR" | "SEVERE" => LogLevel::Error,
            "CRITICAL" | "FATAL" => LogLevel::Critical,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warning => "WARNING",
            LogLevel::Error => "ERROR",
            LogLevel::Critical => "CRITICAL",
        }
    }

    pub fn is_error(self) -> bool {
        self >= LogLevel::Error
    }
}

/// Which way a log file writes its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// `YYYY-MM-DD HH:MM:SS,mmm - logger - LEVEL - message` in the pipeline host's local
    /// time (Python's `logging.basicConfig`, as the deployed worker sets it).
    Text,
    /// One JSON object a line: `timestamp` (UTC, `Z`), `level`, `logger`, `message`, …
    /// (`utils/logging_config.py`'s formatter).
    Json,
    /// CASA's own log: `YYYY-MM-DD HH:MM:SS<TAB>PRIORITY<TAB>origin<TAB>message`, UTC.
    Casa,
}

/// One record of a pipeline log file: its first line parsed, the lines after it that belong
/// to it (a traceback, a subprocess's output, a JSON record's `exception`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LogRecord {
    /// Unix seconds (UTC), the file's local time converted with the configured zone.
    pub unix: Option<f64>,
    pub level: Option<LogLevel>,
    pub logger: String,
    pub message: String,
    /// Raw text, one entry a line; cut to a bounded count and length.
    pub continuation: Vec<String>,
    pub format: Option<LogFormat>,
    /// A JSON record's extra string fields (`group_id` where the orchestrator passes it).
    pub extra: Vec<(String, String)>,
}

impl LogRecord {
    pub fn is_error(&self) -> bool {
        self.level.is_some_and(LogLevel::is_error)
    }
}

/// What tied a log record to a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogMatch {
    /// A `{run_id}.log` of its own (no pipeline version writes one; read when it exists).
    RunLog,
    /// The task's UUID in the text (`Processing task <uuid>: …`, `Task <uuid> failed: …`).
    Uuid,
    /// Between the task's `Processing task` line and its end in the same worker's file: a
    /// worker runs one task at a time, so the stage's own lines (which carry no UUID) are its.
    TaskRun,
    /// The whole MS path in the text, inside the job's time window.
    MsPath,
    /// The MS name or stem in the text (`State transition: <name>: a -> b`), inside the window.
    MsStem,
    /// The group id in the text or a JSON `group_id` field, inside the window.
    Group,
}

impl LogMatch {
    /// The short tag shown beside each line.
    pub fn tag(self) -> &'static str {
        match self {
            LogMatch::RunLog => "run log",
            LogMatch::Uuid => "uuid",
            LogMatch::TaskRun => "task run",
            LogMatch::MsPath => "ms path",
            LogMatch::MsStem => "ms stem",
            LogMatch::Group => "group",
        }
    }
}

/// One record matched to a job.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LogLine {
    /// The file, relative to the log directory (`absurd-worker-1.log`, `casa/casa-….log`).
    pub file: String,
    pub record: LogRecord,
    pub how: LogMatch,
}

/// Where a search for a job's log lines looked: said when nothing matched.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LogSearched {
    pub dir: String,
    /// Every file read, relative to `dir`.
    pub files: Vec<String>,
    /// Files found but skipped: last written before the window opened, or past the budget.
    pub skipped: usize,
    /// The time window (unix seconds, margins included) the MS and group keys were held to.
    pub window: Option<(f64, f64)>,
    /// The keys searched for, with the kind of match each gives.
    pub keys: Vec<(LogMatch, String)>,
    /// The zone the plain-text files' times were read in (`local (UTC)`, `America/Los_Angeles`).
    pub zone: String,
    /// A read budget was reached: older lines may exist.
    pub truncated: bool,
}

/// The pipeline's log lines that belong to a job, from the files under `PIPELINE_LOG_DIR`,
/// oldest first, and where the search looked.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LogTail {
    pub lines: Vec<LogLine>,
    pub searched: LogSearched,
}

impl LogTail {
    /// The newest error record and its traceback, if any line matched one.
    pub fn last_error(&self) -> Option<&LogLine> {
        self.lines.iter().rev().find(|l| l.record.is_error())
    }
}

/// Everything the job detail pane shows.
#[derive(Debug, Clone, PartialEq)]
pub struct JobDetail {
    pub row: JobRow,
    /// The whole error (traceback included) where the source has one.
    pub error_full: Option<String>,
    /// The `logs` column, one entry per line.
    pub logs: Vec<String>,
    pub log_file: Option<LogTail>,
    pub params_pretty: Option<String>,
    pub artifacts_pretty: Option<String>,
    /// Free-form facts specific to the source (retry count, batch id, worker...).
    pub extra: Vec<(String, String)>,
    /// What the job's target leads to (its MS, its ingestion group), where known.
    pub links: JobLinks,
}

/// How a link was known: read from the job's own record, or derived by a rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "from", content = "detail")]
pub enum LinkSource {
    /// The job's params, at this key (`inputs.ms_path`).
    Params(String),
    /// The job's result, at this key (`outputs.ms_path`).
    Result(String),
    /// Not recorded anywhere: derived by this rule.
    Derived(&'static str),
}

impl LinkSource {
    pub fn is_derived(&self) -> bool {
        matches!(self, LinkSource::Derived(_))
    }

    /// `params inputs.ms_path`, `result outputs.ms_path`, `derived: <rule>`.
    pub fn describe(&self) -> String {
        match self {
            LinkSource::Params(key) => format!("params {key}"),
            LinkSource::Result(key) => format!("result {key}"),
            LinkSource::Derived(rule) => format!("derived: {rule}"),
        }
    }
}

/// The Measurement Set a job works on or produced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MsLink {
    pub path: String,
    pub source: LinkSource,
}

/// The ingestion group (one observation's 16 subbands) a job belongs to, with the group's
/// row when the queue has one.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GroupLink {
    pub id: String,
    pub source: LinkSource,
    pub state: Option<String>,
    /// `(received, expected)` subbands.
    pub subbands: Option<(i64, i64)>,
    pub ms_path: Option<String>,
}

/// What a job's target leads to.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct JobLinks {
    pub ms: Option<MsLink>,
    pub group: Option<GroupLink>,
}

/// One photometry measurement of a source.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LightPoint {
    pub mjd: f64,
    pub flux_jy: f64,
    pub flux_err_jy: Option<f64>,
    pub image_path: Option<String>,
}

/// Everything the source detail pane shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceDetail {
    pub row: Option<SourceRow>,
    /// Oldest first.
    pub points: Vec<LightPoint>,
}

/// Health of one data source as the status line shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceHealth {
    /// Unix seconds of the last successful refresh.
    pub last_ok: Option<f64>,
    /// Unix seconds of the last attempt.
    pub last_attempt: Option<f64>,
    pub latency: Option<Duration>,
    /// The last error, one line, when the last attempt failed.
    pub error: Option<String>,
    /// A table or column the source needs is absent: shown as a note, not an error.
    pub missing: Option<String>,
    /// The source is still reading its history for the first time (0..1 done): the rows on
    /// screen are partial. Only the Sources tab's photometry aggregate has such a first load.
    pub loading: Option<f64>,
}

impl SourceHealth {
    /// Stale: the last attempt failed while older data is still on screen.
    pub fn is_stale(&self) -> bool {
        self.error.is_some()
    }
}

/// Statistics of one connection pool at one instant, in OpenTelemetry's vocabulary.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct PoolStats {
    pub source: String,
    pub name: String,
    pub max: u32,
    pub open: u32,
    pub in_use: u32,
    pub idle: u32,
    pub waiting: u32,
    pub wait_p50_ms: Option<f64>,
    pub wait_p95_ms: Option<f64>,
    pub wait_max_ms: Option<f64>,
    pub timeouts: u64,
    pub errors: u64,
    /// Unix seconds when sampled.
    pub sampled_at: f64,
    /// Timeouts since the previous sample of this pool (counters are cumulative).
    #[serde(skip_serializing_if = "is_zero")]
    pub timeouts_delta: u64,
    /// Mean wait for a connection (histogram `_sum/_count`, pgbouncer's `avg_wait_time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_mean_ms: Option<f64>,
    /// Age of the oldest open transaction among these connections, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest_xact_s: Option<f64>,
    /// Why these figures are old: the last attempt to sample the source failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<String>,
    /// A short remark on how to read the row (what the source cannot see, pool mode…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl PoolStats {
    pub fn saturation(&self) -> Option<f64> {
        (self.max > 0).then(|| self.in_use as f64 / self.max as f64)
    }
    pub fn is_busy(&self) -> bool {
        self.max > 0 && self.in_use >= self.max
    }
    pub fn is_saturated(&self) -> bool {
        self.is_busy() && self.waiting > 0
    }
}

/// One sample of a pool's history, for the chart.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PoolSample {
    pub at: f64,
    pub in_use: u32,
    pub waiting: u32,
    pub max: u32,
}

/// A process that holds the database (or its WAL) open.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FileHolder {
    pub pid: u32,
    pub command: String,
}

/// The SQLite side of the Pool tab.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SqliteFileView {
    pub db_path: String,
    pub db_bytes: Option<u64>,
    pub wal_bytes: Option<u64>,
    /// WAL growth in bytes per second since the previous sample.
    pub wal_growth_per_s: Option<f64>,
    pub holders: Vec<FileHolder>,
    /// Processes whose open files we were not allowed to read.
    pub hidden_processes: usize,
    /// How the monitor reads the file without touching its side files (`db::access`):
    /// `shared`, `idle snapshot`, `last checkpoint` or `REFUSED`.
    pub access: String,
}

/// The Pool tab's snapshot: every pool source plus the SQLite file view.
#[derive(Debug, Clone, Default)]
pub struct PoolSnapshot {
    pub pools: Vec<PoolStats>,
    /// History per pool, in the same order as `pools`, oldest first.
    pub history: Vec<Arc<Vec<PoolSample>>>,
    /// When each pool's current saturation episode began (same order as `pools`).
    pub saturated_since: Vec<Option<f64>>,
    /// Saturation alerts not yet acknowledged, oldest first (they outlive their episode).
    pub alerts: Vec<crate::pool::sources::SaturationAlert>,
    pub sqlite: Option<SqliteFileView>,
}
