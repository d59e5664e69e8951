//! Realistic ways a pipeline stage fails: the exception line an operator sees and the Python
//! traceback that ends the job's log.

use rand::Rng;

/// A pipeline stage that runs as one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Conversion,
    Calibration,
    Imaging,
    Photometry,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::Conversion,
        Stage::Calibration,
        Stage::Imaging,
        Stage::Photometry,
    ];

    /// The `jobs.type` value.
    pub fn job_type(self) -> &'static str {
        match self {
            Stage::Conversion => "conversion",
            Stage::Calibration => "calibration",
            Stage::Imaging => "imaging",
            Stage::Photometry => "photometry",
        }
    }

    /// The Python module that runs it, for tracebacks and logger names.
    pub fn module(self) -> &'static str {
        match self {
            Stage::Conversion => "conversion/uvh5_to_ms.py",
            Stage::Calibration => "calibration/apply.py",
            Stage::Imaging => "imaging/wsclean_runner.py",
            Stage::Photometry => "photometry/forced.py",
        }
    }
}

/// What went wrong in one failed job.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The last traceback line: `TimeoutError: imaging exceeded 600 s`.
    pub exception: String,
    /// The whole traceback, ending with `exception`.
    pub traceback: String,
    /// Whether a retry can help (lock, timeout, memory) or a person must look (missing data).
    pub retryable: bool,
    /// The calibration found no valid tables: the MS is skipped, not failed.
    pub no_caltables: bool,
}

/// What the failure texts talk about.
#[derive(Debug, Clone, Copy)]
pub struct FailureContext<'a> {
    pub ms_path: &'a str,
    pub group_id: &'a str,
    pub mid_mjd: f64,
    pub image_path: &'a str,
}

/// Where the pipeline's code lives, for traceback frames.
pub(crate) const SRC: &str = "/opt/dsa110-contimg/src/dsa110_contimg";

#[derive(Debug, Clone, Copy)]
enum Kind {
    MsMissing,
    SubbandsMissing,
    NoCaltables,
    DatabaseLocked,
    TableLocked,
    Timeout,
    OutOfMemory,
    CorruptImage,
}

fn kinds_for(stage: Stage) -> &'static [Kind] {
    match stage {
        Stage::Conversion => &[
            Kind::SubbandsMissing,
            Kind::MsMissing,
            Kind::DatabaseLocked,
            Kind::OutOfMemory,
        ],
        // No valid caltables comes from the caltable windows, not from chance.
        Stage::Calibration => &[
            Kind::TableLocked,
            Kind::TableLocked,
            Kind::MsMissing,
            Kind::DatabaseLocked,
        ],
        Stage::Imaging => &[
            Kind::Timeout,
            Kind::OutOfMemory,
            Kind::TableLocked,
            Kind::Timeout,
        ],
        Stage::Photometry => &[Kind::DatabaseLocked, Kind::CorruptImage],
    }
}

/// A failure that fits `stage`, chosen with `rng`.
pub fn pick_failure(stage: Stage, ctx: &FailureContext<'_>, rng: &mut impl Rng) -> Failure {
    let kinds = kinds_for(stage);
    let kind = kinds[rng.random_range(0..kinds.len())];
    failure(stage, kind, ctx, rng)
}

/// The "no valid calibration tables" failure, for MS observed outside every caltable's window.
pub fn no_caltables(ctx: &FailureContext<'_>, rng: &mut impl Rng) -> Failure {
    failure(Stage::Calibration, Kind::NoCaltables, ctx, rng)
}

fn failure(stage: Stage, kind: Kind, ctx: &FailureContext<'_>, rng: &mut impl Rng) -> Failure {
    let pid = rng.random_range(2_000..60_000);
    let line = rng.random_range(80..900);
    let (frames, exception, retryable) = match kind {
        Kind::MsMissing => (
            vec![
                frame("pipeline/stages.py", 412, "run", "result = self._execute(ctx)"),
                frame(
                    stage.module(),
                    line,
                    "open_ms",
                    "tb = casacore.tables.table(ms_path, readonly=False, ack=False)",
                ),
            ],
            format!(
                "FileNotFoundError: [Errno 2] No such file or directory: '{}'",
                ctx.ms_path
            ),
            false,
        ),
        Kind::SubbandsMissing => (
            vec![
                frame("pipeline/stages.py", 412, "run", "result = self._execute(ctx)"),
                frame(
                    "conversion/grouping.py",
                    line,
                    "check_group",
                    "raise ValueError(f\"Only {n} of {expected} subbands present for group {gid}\")",
                ),
            ],
            format!(
                "ValueError: Only {} of 16 subbands present for group {}",
                rng.random_range(11..16),
                ctx.group_id
            ),
            false,
        ),
        Kind::NoCaltables => (
            vec![
                frame("pipeline/stages.py", 412, "run", "result = self._execute(ctx)"),
                frame(
                    "calibration/caltables.py",
                    line,
                    "select_caltables",
                    "raise RuntimeError(f\"No valid calibration tables for MJD {mjd:.2f}\")",
                ),
            ],
            format!(
                "RuntimeError: No valid calibration tables for MJD {:.2}",
                ctx.mid_mjd
            ),
            false,
        ),
        Kind::DatabaseLocked => (
            vec![
                frame("pipeline/stages.py", 431, "run", "self._record(ctx, result)"),
                frame(
                    "database/products.py",
                    line,
                    "upsert",
                    "conn.execute(sql, params)",
                ),
            ],
            "sqlite3.OperationalError: database is locked".to_string(),
            true,
        ),
        Kind::TableLocked => (
            vec![
                frame("pipeline/stages.py", 412, "run", "result = self._execute(ctx)"),
                frame(
                    stage.module(),
                    line,
                    "open_ms",
                    "tb = casacore.tables.table(ms_path, readonly=False, ack=False)",
                ),
            ],
            format!(
                "RuntimeError: Table {} cannot be locked: table is in use by another process (pid {pid})",
                ctx.ms_path
            ),
            true,
        ),
        Kind::Timeout => (
            vec![
                frame("pipeline/stages.py", 412, "run", "result = self._execute(ctx)"),
                frame(
                    "imaging/wsclean_runner.py",
                    line,
                    "run_wsclean",
                    "raise TimeoutError(f\"imaging exceeded {timeout} s\")",
                ),
            ],
            "TimeoutError: imaging exceeded 600 s".to_string(),
            true,
        ),
        Kind::OutOfMemory => (
            vec![
                frame("pipeline/stages.py", 412, "run", "result = self._execute(ctx)"),
                frame(
                    stage.module(),
                    line,
                    "load_visibilities",
                    "data = np.empty((nrows, nchan, npol), dtype=np.complex64)",
                ),
            ],
            "MemoryError: Unable to allocate 23.6 GiB for an array with shape (1589760, 768, 4) and data type complex64".to_string(),
            true,
        ),
        Kind::CorruptImage => (
            vec![
                frame("pipeline/stages.py", 412, "run", "result = self._execute(ctx)"),
                frame(
                    "photometry/forced.py",
                    line,
                    "measure",
                    "with fits.open(image_path, memmap=True) as hdul:",
                ),
            ],
            format!("OSError: Empty or corrupt FITS file: '{}'", ctx.image_path),
            true,
        ),
    };
    let mut traceback = String::from("Traceback (most recent call last):\n");
    for f in &frames {
        traceback.push_str(f);
    }
    traceback.push_str(&exception);
    Failure {
        exception,
        traceback,
        retryable,
        no_caltables: matches!(kind, Kind::NoCaltables),
    }
}

fn frame(module: &str, line: u32, function: &str, code: &str) -> String {
    format!("  File \"{SRC}/{module}\", line {line}, in {function}\n    {code}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::jobs::error_one_liner;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn every_failure_ends_its_traceback_with_the_exception_the_ui_picks() {
        let ctx = FailureContext {
            ms_path: "/d/stage/ms/2025-10-21T14:23:19.ms",
            group_id: "2025-10-21T14:23:19",
            mid_mjd: 60969.6,
            image_path: "/d/stage/images/x.fits",
        };
        let mut rng = StdRng::seed_from_u64(1);
        for stage in Stage::ALL {
            for _ in 0..20 {
                let f = pick_failure(stage, &ctx, &mut rng);
                assert!(
                    f.traceback
                        .starts_with("Traceback (most recent call last):")
                );
                assert!(f.traceback.ends_with(&f.exception));
                if f.exception.chars().count() <= 160 {
                    assert_eq!(error_one_liner(&f.traceback), Some(f.exception.clone()));
                }
            }
        }
        let f = no_caltables(&ctx, &mut rng);
        assert_eq!(
            f.exception,
            "RuntimeError: No valid calibration tables for MJD 60969.60"
        );
        assert!(f.no_caltables && !f.retryable);
    }
}
