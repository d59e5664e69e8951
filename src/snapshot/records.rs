//! The pipeline's side records operators look for: calibration tables (`caltables`) and
//! calibration QA for an MS, what the pipeline keeps about an image's quality, mosaics and
//! their plans, transient and ESE candidates, and the alerts in the separate
//! `alerts.sqlite3`. Plain values; nothing here does I/O.
//!
//! Times: `*_at` are unix seconds (REAL in most tables, INTEGER in the mosaic tables and
//! `alerts.sqlite3`, both read as `f64`); `*_mjd` are MJD.

/// Why a table's rows are not on screen. Always shown as a dim note, never as an error or
/// a STALE badge: the data is absent, nothing failed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableNote {
    pub table: String,
    pub kind: NoteKind,
    /// One line for the operator (the monitor's own words).
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// The table exists (schema.sql creates it) but no code of this pipeline version
    /// writes it.
    NotWritten,
    /// The table (or the file holding it) is not there.
    Missing,
    /// The table has a layout the pipeline's writer cannot insert into (two incompatible
    /// definitions; the first to run won).
    OtherLayout,
}

impl TableNote {
    pub fn not_written(table: &str) -> TableNote {
        TableNote {
            table: table.to_string(),
            kind: NoteKind::NotWritten,
            text: format!("{table}: not written by this pipeline version"),
        }
    }

    pub fn missing(table: &str) -> TableNote {
        TableNote {
            table: table.to_string(),
            kind: NoteKind::Missing,
            text: format!("{table}: no such table in this database"),
        }
    }

    pub fn other_layout(table: &str, why: &str) -> TableNote {
        TableNote {
            table: table.to_string(),
            kind: NoteKind::OtherLayout,
            text: format!("{table}: {why}"),
        }
    }
}

/// `caltables.status`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "is", content = "raw")]
pub enum CalTableStatus {
    Active,
    Retired,
    /// Anything else, as stored.
    Other(String),
    Unknown,
}

impl CalTableStatus {
    pub fn parse(raw: Option<&str>) -> CalTableStatus {
        match raw.map(str::trim) {
            None | Some("") => CalTableStatus::Unknown,
            Some(s) if s.eq_ignore_ascii_case("active") => CalTableStatus::Active,
            Some(s) if s.eq_ignore_ascii_case("retired") => CalTableStatus::Retired,
            Some(s) => CalTableStatus::Other(s.to_string()),
        }
    }

    pub fn word(&self) -> &str {
        match self {
            CalTableStatus::Active => "active",
            CalTableStatus::Retired => "retired",
            CalTableStatus::Other(s) => s,
            CalTableStatus::Unknown => "?",
        }
    }
}

/// How a calibration table is tied to the MS whose detail lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CalLink {
    /// `source_ms_path` is this MS (set by the provenance tracker).
    SolvedFrom,
    /// The set is named after this MS (`{ms stem}_{mid_mjd}`, as the solve stage names it).
    SetNamed,
    /// Its validity window covers this MS's time: applying calibration picks it.
    WindowCovers,
}

impl CalLink {
    pub fn word(self) -> &'static str {
        match self {
            CalLink::SolvedFrom => "solved from it",
            CalLink::SetNamed => "set named after it",
            CalLink::WindowCovers => "window covers it",
        }
    }
}

/// What the solver's QA wrote into `caltables.quality_metrics` (JSON), as far as it parses.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct CalQuality {
    pub qa_passed: Option<bool>,
    pub flagged_fraction: Option<f64>,
    pub snr_mean: Option<f64>,
    pub n_antennas: Option<i64>,
    pub n_solutions: Option<i64>,
    pub issues: Vec<String>,
    pub warnings: Vec<String>,
}

/// One `caltables` row that applies to an MS.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CalTable {
    pub path: String,
    pub set_name: Option<String>,
    /// K, BA, BP, GA, GP, 2G, FLUX.
    pub table_type: Option<String>,
    pub order_index: Option<i64>,
    pub cal_field: Option<String>,
    pub refant: Option<String>,
    pub created_at: Option<f64>,
    pub valid_start_mjd: Option<f64>,
    pub valid_end_mjd: Option<f64>,
    pub status: CalTableStatus,
    pub notes: Option<String>,
    pub source_ms_path: Option<String>,
    pub solver_command: Option<String>,
    pub solver_version: Option<String>,
    pub solver_params: Option<String>,
    pub quality: Option<CalQuality>,
    /// Every way this table is tied to the MS, strongest first.
    pub links: Vec<CalLink>,
}

/// `calibration_qa.severity`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "is", content = "raw")]
pub enum QaSeverity {
    Success,
    Warning,
    Error,
    Other(String),
    Unknown,
}

impl QaSeverity {
    pub fn parse(raw: Option<&str>) -> QaSeverity {
        match raw.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") => QaSeverity::Unknown,
            Some("success") => QaSeverity::Success,
            Some("warning") => QaSeverity::Warning,
            Some("error") => QaSeverity::Error,
            Some(_) => QaSeverity::Other(raw.unwrap_or_default().trim().to_string()),
        }
    }

    pub fn word(&self) -> &str {
        match self {
            QaSeverity::Success => "success",
            QaSeverity::Warning => "warning",
            QaSeverity::Error => "error",
            QaSeverity::Other(s) => s,
            QaSeverity::Unknown => "?",
        }
    }
}

/// One `calibration_qa` row (the layout `calibration/qa.py` writes).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CalibrationQa {
    pub passed: Option<bool>,
    pub severity: QaSeverity,
    /// excellent, good, marginal, poor, failed (or unknown).
    pub overall_grade: Option<String>,
    pub n_warnings: Option<i64>,
    pub n_errors: Option<i64>,
    pub avg_flag_fraction: Option<f64>,
    pub created_at: Option<f64>,
    /// The issues' messages from `result_json`, errors first.
    pub issues: Vec<String>,
}

/// Where the MS time used for validity windows came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MjdFrom {
    /// `ms_index.mid_mjd` (often wiped by later stage upserts).
    MsIndex,
    /// The timestamp in the MS's name (`2025-10-21T14:23:19.ms`).
    Name,
}

/// The MS detail's calibration part: the tables that apply to it and its QA.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MsCalibration {
    /// Newest first within apply order.
    pub tables: Vec<CalTable>,
    /// Newest first.
    pub qa: Vec<CalibrationQa>,
    /// The MS time the validity windows were checked against.
    pub ms_mjd: Option<(f64, MjdFrom)>,
    pub notes: Vec<TableNote>,
}

/// A `data_registry` row (the stages' product record).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RegistryRecord {
    pub data_type: Option<String>,
    /// staging, publishing, published.
    pub status: Option<String>,
    pub qa_status: Option<String>,
    pub validation_status: Option<String>,
    pub finalization_status: Option<String>,
    pub published_path: Option<String>,
    pub publish_error: Option<String>,
    pub staged_at: Option<f64>,
    pub published_at: Option<f64>,
}

/// What the pipeline keeps about one image's quality. `image_qa` is never written; the
/// pipeline's API grades an image from its MS's `ms_index.stage` and summarises the
/// `images` row's noise, dynamic range and beam (NULL in production).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ImageQa {
    pub registry: Option<RegistryRecord>,
    /// The MS's `ms_index.stage`, from which the pipeline's API derives its QA grade.
    pub ms_stage: Option<String>,
    pub notes: Vec<TableNote>,
}

/// Everything the image detail shows besides the FITS header.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageDetail {
    pub row: Option<crate::snapshot::ImageRow>,
    pub qa: ImageQa,
}

/// `alert_history.severity`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "is", content = "raw")]
pub enum AlertSeverity {
    Info,
    Warning,
    Critical,
    Other(String),
}

impl AlertSeverity {
    pub fn parse(raw: Option<&str>) -> AlertSeverity {
        let s = raw.unwrap_or_default().trim();
        match s.to_ascii_lowercase().as_str() {
            "info" => AlertSeverity::Info,
            "warning" => AlertSeverity::Warning,
            "critical" => AlertSeverity::Critical,
            _ => AlertSeverity::Other(s.to_string()),
        }
    }

    pub fn word(&self) -> &str {
        match self {
            AlertSeverity::Info => "info",
            AlertSeverity::Warning => "warning",
            AlertSeverity::Critical => "critical",
            AlertSeverity::Other(s) if s.is_empty() => "?",
            AlertSeverity::Other(s) => s,
        }
    }

    /// Most severe first.
    pub fn rank(&self) -> u8 {
        match self {
            AlertSeverity::Critical => 0,
            AlertSeverity::Warning => 1,
            AlertSeverity::Other(_) => 2,
            AlertSeverity::Info => 3,
        }
    }
}

/// One `alert_history` row of `alerts.sqlite3` that is firing.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PipelineAlert {
    pub rule_name: String,
    pub severity: AlertSeverity,
    pub message: Option<String>,
    pub fired_at: Option<f64>,
    pub labels_json: Option<String>,
}

/// What reading `alerts.sqlite3` gave.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum AlertsState {
    /// Read: the firing alerts, most severe then newest first (bounded).
    Ok {
        firing: Vec<PipelineAlert>,
        /// Firing rows in all (may exceed the list).
        firing_total: u64,
    },
    /// The file or its table is absent: a note.
    Missing { note: TableNote },
    /// It could not be read (the last error, one line).
    Error { message: String },
}

impl Default for AlertsState {
    /// Not read (yet): a note.
    fn default() -> Self {
        AlertsState::Missing {
            note: TableNote {
                table: "alert_history".into(),
                kind: NoteKind::Missing,
                text: "alerts.sqlite3 not read".into(),
            },
        }
    }
}

/// A count of candidates, or why there is none.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum CandidateCount {
    Ok {
        /// ESE: `status = 'active'`; transients: not yet classified.
        active: u64,
        /// Flagged or detected within the triage window.
        recent: u64,
    },
    Note {
        note: TableNote,
    },
}

impl Default for CandidateCount {
    /// Not read (the database was not open or the read failed).
    fn default() -> Self {
        CandidateCount::Note {
            note: TableNote {
                table: String::new(),
                kind: NoteKind::Missing,
                text: "not read".into(),
            },
        }
    }
}

/// One mosaic plan and the mosaic built from it (when `mosaics` has the jobs' layout).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MosaicPlan {
    pub plan_id: i64,
    pub name: Option<String>,
    /// quicklook, science, deep.
    pub tier: Option<String>,
    /// pending, building, completed, failed.
    pub status: Option<String>,
    pub n_images: Option<i64>,
    pub created_at: Option<f64>,
    pub mosaic_path: Option<String>,
    /// PASS, WARN, FAIL.
    pub qa_status: Option<String>,
    pub median_rms_jy: Option<f64>,
}

/// The triage view's records part: firing pipeline alerts, candidates, newest mosaics.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct PipelineRecords {
    /// Where the alerts were read from.
    pub alerts_db: String,
    pub alerts: AlertsState,
    pub ese: CandidateCount,
    pub transients: CandidateCount,
    /// Newest plans first.
    pub mosaics: Vec<MosaicPlan>,
    pub notes: Vec<TableNote>,
}
