//! The parsed form of a FITS header, as the UI and `fits-header` show it.

use thiserror::Error;

/// Why a header could not be read; shown as a one-line reason in the pane.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum FitsError {
    #[error("file not found: {0}")]
    NotFound(String),
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    #[error("not a FITS file: {0}")]
    NotFits(String),
    #[error("truncated or corrupt FITS file: {0}")]
    Corrupt(String),
    #[error("CFITSIO error {code}: {message}")]
    Cfitsio { code: i32, message: String },
    /// A directory (or a casacore table) whose header cannot be shown: what it is, and what
    /// to run for a FITS view.
    #[error("{path} is {what} — {hint}")]
    NotAnImage {
        path: String,
        what: String,
        hint: String,
    },
    #[error("FITS worker stopped")]
    WorkerGone,
}

/// One 80-character header card.
///
/// A CONTINUE long string is one `Card`: `value` holds the whole joined string and `raw` holds
/// the raw text of the first card and each CONTINUE card joined with `'\n'`.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// The card exactly as stored (80 columns, right-trimmed), for the raw view; several lines
    /// for a CONTINUE long string.
    pub raw: String,
    pub key: String,
    /// The value; CONTINUE long strings are already joined into the first card's value,
    /// string quotes removed.
    pub value: Option<String>,
    pub comment: Option<String>,
}

impl Card {
    /// COMMENT, HISTORY and blank-keyword cards: hidden by the COMMENT/HISTORY toggle.
    pub fn is_commentary(&self) -> bool {
        matches!(self.key.as_str(), "COMMENT" | "HISTORY" | "")
    }
}

/// One HDU's header.
#[derive(Debug, Clone, PartialEq)]
pub struct Hdu {
    pub index: usize,
    /// `PRIMARY`, `IMAGE`, `BINTABLE`, `TABLE`.
    pub kind: String,
    pub name: Option<String>,
    pub cards: Vec<Card>,
}

/// The derived values operators look at, from the primary (or first image) HDU.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeaderSummary {
    /// NAXIS1..n.
    pub shape: Vec<i64>,
    pub bunit: Option<String>,
    pub bmaj_arcsec: Option<f64>,
    pub bmin_arcsec: Option<f64>,
    pub bpa_deg: Option<f64>,
    pub cell_arcsec: Option<f64>,
    pub centre_ra_deg: Option<f64>,
    pub centre_dec_deg: Option<f64>,
    /// From the FREQ axis (CRVAL of the axis whose CTYPE is FREQ), else RESTFRQ/RESTFREQ.
    pub freq_hz: Option<f64>,
    pub date_obs: Option<String>,
    pub telescope: Option<String>,
    pub object: Option<String>,
}

/// A whole file's headers.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderDoc {
    pub path: String,
    pub file_bytes: u64,
    pub hdus: Vec<Hdu>,
    pub summary: HeaderSummary,
    /// A one-line caveat for the pane, e.g. that only the primary header of a gzip file was
    /// read and later HDUs were not scanned. `None` when every HDU was read.
    pub note: Option<String>,
}
