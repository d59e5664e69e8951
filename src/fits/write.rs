//! Writing pipeline-like FITS images (for the demo, the tests and the benchmark).

use std::path::Path;

use super::FitsError;

/// What a pipeline image's header says. Pixel data are small noise plus a few point sources;
/// the header is written as the pipeline (WSClean) writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSpec {
    pub naxis1: usize,
    pub naxis2: usize,
    pub object: String,
    /// ISO 8601, e.g. `2025-10-21T14:23:19.000`.
    pub date_obs: String,
    pub ra_deg: f64,
    pub dec_deg: f64,
    pub freq_hz: f64,
    pub bandwidth_hz: f64,
    pub bmaj_deg: f64,
    pub bmin_deg: f64,
    pub bpa_deg: f64,
    /// |CDELT1| in degrees (CDELT1 is written negative, as for RA).
    pub cell_deg: f64,
    /// Written as a long string with CONTINUE cards (WSClean's command line).
    pub command_line: String,
    pub history: Vec<String>,
    /// Seed for the pixel noise, so files are reproducible.
    pub seed: u64,
}

/// Write `spec` to `path` (overwriting). Temporary placeholder until the FITS module lands.
pub fn write_pipeline_image(_path: &Path, _spec: &ImageSpec) -> Result<(), FitsError> {
    Err(FitsError::WorkerGone)
}
