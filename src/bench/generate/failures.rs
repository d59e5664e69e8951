//! How jobs fail in a benchmark database: 16 exception templates (plus "no valid calibration
//! tables", which comes from caltable gaps), each tied to the stages where it happens, with
//! the numbers, paths and ids that vary between occurrences. Triage groups them by signature,
//! so a year of failures falls into about as many groups as there are templates.

pub use crate::demo::errors::FailureContext;
use crate::demo::errors::{SRC, Stage};

use super::mix::Draw;

/// One failed attempt: the exception line and the traceback that ends with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub exception: String,
    pub traceback: String,
}

type Message = fn(&FailureContext<'_>, &mut Draw) -> String;

struct Template {
    stages: &'static [Stage],
    retryable: bool,
    /// How often, relative to the other templates of a stage.
    weight: u32,
    /// (module under `SRC`, line, function, code) below the pipeline's `run` frame.
    frames: &'static [(&'static str, u32, &'static str, &'static str)],
    message: Message,
}

use Stage::{Calibration as Cal, Conversion as Conv, Imaging as Img, Photometry as Phot};

const OPEN_MS: (&str, u32, &str, &str) = (
    "utils/casa.py",
    88,
    "open_table",
    "tb = casacore.tables.table(ms_path, readonly=False, ack=False)",
);
const DB_WRITE: (&str, u32, &str, &str) = (
    "database/products.py",
    214,
    "upsert",
    "conn.execute(sql, params)",
);

static TEMPLATES: [Template; 16] = [
    Template {
        stages: &[Conv],
        retryable: false,
        weight: 4,
        frames: &[(
            "conversion/grouping.py",
            171,
            "check_group",
            "raise ValueError(f\"Only {n} of {expected} subbands present for group {gid}\")",
        )],
        message: |c, d| {
            format!(
                "ValueError: Only {} of 16 subbands present for group {}",
                d.int(9, 16),
                c.group_id
            )
        },
    },
    Template {
        stages: &[Conv, Cal],
        retryable: false,
        weight: 2,
        frames: &[OPEN_MS],
        message: |c, _| {
            format!(
                "FileNotFoundError: [Errno 2] No such file or directory: '{}'",
                c.ms_path
            )
        },
    },
    Template {
        stages: &[Conv],
        retryable: false,
        weight: 2,
        frames: &[
            (
                "conversion/uvh5_to_ms.py",
                302,
                "read_subband",
                "uv.read(path, run_check=False)",
            ),
            (
                "conversion/io.py",
                57,
                "open_uvh5",
                "with h5py.File(path, \"r\") as f:",
            ),
        ],
        message: |_, d| {
            let eof = d.int(10_000_000, 180_000_000);
            format!(
                "OSError: Unable to open file (truncated file: eof = {eof}, sblock->base_addr = 0, stored_eof = {})",
                eof + d.int(1_000, 90_000_000)
            )
        },
    },
    Template {
        stages: &[Conv, Cal, Phot],
        retryable: true,
        weight: 5,
        frames: &[DB_WRITE],
        message: |_, _| "sqlite3.OperationalError: database is locked".to_string(),
    },
    Template {
        stages: &[Conv, Img],
        retryable: true,
        weight: 3,
        frames: &[(
            "conversion/uvh5_to_ms.py",
            418,
            "load_visibilities",
            "data = np.empty((nrows, nchan, npol), dtype=np.complex64)",
        )],
        message: |_, d| {
            let rows = d.int(1_200_000, 1_700_000);
            format!(
                "MemoryError: Unable to allocate {:.1} GiB for an array with shape ({rows}, 768, 4) and data type complex64",
                (rows * 768 * 4 * 8) as f64 / (1u64 << 30) as f64
            )
        },
    },
    Template {
        stages: &[Conv, Img],
        retryable: true,
        weight: 2,
        frames: &[(
            "utils/casa.py",
            131,
            "flush_table",
            "tb.flush(recursive=True)",
        )],
        message: |c, d| {
            format!(
                "OSError: [Errno 28] No space left on device: '{}/table.f{}'",
                c.ms_path,
                d.int(0, 24)
            )
        },
    },
    Template {
        stages: &[Cal, Img],
        retryable: true,
        weight: 5,
        frames: &[OPEN_MS],
        message: |c, d| {
            format!(
                "RuntimeError: Table {} cannot be locked: table is in use by another process (pid {})",
                c.ms_path,
                d.int(2_000, 60_000)
            )
        },
    },
    Template {
        stages: &[Cal],
        retryable: false,
        weight: 3,
        frames: &[(
            "calibration/solve.py",
            266,
            "solve_bandpass",
            "raise ValueError(f\"Bandpass solve failed: {n} of {total} antennas flagged (limit {limit})\")",
        )],
        message: |_, d| {
            format!(
                "ValueError: Bandpass solve failed: {} of 117 antennas flagged (limit 50)",
                d.int(51, 117)
            )
        },
    },
    Template {
        stages: &[Cal],
        retryable: false,
        weight: 2,
        frames: &[(
            "calibration/solve.py",
            143,
            "check_refant",
            "raise ValueError(f\"Reference antenna {refant} is fully flagged in {ms_path}\")",
        )],
        message: |c, d| {
            format!(
                "ValueError: Reference antenna {} is fully flagged in {}",
                d.pick(&[103, 104, 105, 112]),
                c.ms_path
            )
        },
    },
    Template {
        stages: &[Img],
        retryable: true,
        weight: 6,
        frames: &[(
            "imaging/wsclean_runner.py",
            233,
            "run_wsclean",
            "raise TimeoutError(f\"imaging exceeded {timeout} s\")",
        )],
        message: |_, _| "TimeoutError: imaging exceeded 600 s".to_string(),
    },
    Template {
        stages: &[Img],
        retryable: true,
        weight: 3,
        frames: &[
            (
                "imaging/wsclean_runner.py",
                219,
                "run_wsclean",
                "subprocess.run(cmd, shell=True, check=True, timeout=timeout)",
            ),
            (
                "/usr/lib/python3.11/subprocess.py",
                571,
                "run",
                "raise CalledProcessError(retcode, process.args,",
            ),
        ],
        message: |c, d| {
            format!(
                "subprocess.CalledProcessError: Command 'wsclean -name {} -size 5040 5040 -scale 2.5asec {}' returned non-zero exit status {}.",
                c.image_path.trim_end_matches("-image-pbcor.fits"),
                c.ms_path,
                d.pick(&[1, 134, 137, 139])
            )
        },
    },
    Template {
        stages: &[Img],
        retryable: true,
        weight: 2,
        frames: &[(
            "imaging/products.py",
            77,
            "write_pbcor",
            "hdul.writeto(out_path, overwrite=True)",
        )],
        message: |c, _| format!("OSError: [Errno 5] Input/output error: '{}'", c.image_path),
    },
    Template {
        stages: &[Img],
        retryable: false,
        weight: 1,
        frames: &[(
            "imaging/products.py",
            102,
            "check_image",
            "raise ValueError(f\"Image {path} is all NaN after primary-beam correction\")",
        )],
        message: |c, _| {
            format!(
                "ValueError: Image {} is all NaN after primary-beam correction",
                c.image_path
            )
        },
    },
    Template {
        stages: &[Phot],
        retryable: true,
        weight: 2,
        frames: &[(
            "photometry/forced.py",
            64,
            "measure",
            "with fits.open(image_path, memmap=True) as hdul:",
        )],
        message: |c, _| format!("OSError: Empty or corrupt FITS file: '{}'", c.image_path),
    },
    Template {
        stages: &[Phot],
        retryable: false,
        weight: 1,
        frames: &[(
            "photometry/forced.py",
            91,
            "pixel_positions",
            "x, y = wcs.all_world2pix(ra, dec, 0, maxiter=maxiter)",
        )],
        message: |_, d| {
            format!(
                "ValueError: WCS.all_world2pix failed to converge after {} iterations",
                d.int(20, 100)
            )
        },
    },
    Template {
        stages: &[Conv, Cal, Img, Phot],
        retryable: true,
        weight: 1,
        frames: &[(
            "queue/client.py",
            48,
            "connect",
            "return psycopg.connect(dsn, autocommit=True)",
        )],
        message: |_, _| {
            "psycopg.OperationalError: connection to server at \"127.0.0.1\", port 5432 failed: \
             FATAL:  sorry, too many clients already"
                .to_string()
        },
    },
];

/// A failure of `stage`, retryable (a lock, a timeout, memory) or not (missing or bad data).
pub fn pick(stage: Stage, retryable: bool, ctx: &FailureContext<'_>, d: &mut Draw) -> Failure {
    let fits = |t: &&Template| t.stages.contains(&stage) && t.retryable == retryable;
    let total: u32 = TEMPLATES.iter().filter(fits).map(|t| t.weight).sum();
    let mut at = d.int(0, u64::from(total)) as u32;
    let template = TEMPLATES
        .iter()
        .filter(fits)
        .find(|t| {
            if at < t.weight {
                true
            } else {
                at -= t.weight;
                false
            }
        })
        .expect("every stage has retryable and non-retryable templates (tested)");
    render(template.frames, (template.message)(ctx, d))
}

/// The calibration found no valid tables for the MS's time.
pub fn no_caltables(ctx: &FailureContext<'_>) -> Failure {
    render(
        &[(
            "calibration/caltables.py",
            118,
            "select_caltables",
            "raise RuntimeError(f\"No valid calibration tables for MJD {mjd:.2f}\")",
        )],
        format!(
            "RuntimeError: No valid calibration tables for MJD {:.2}",
            ctx.mid_mjd
        ),
    )
}

fn render(frames: &[(&str, u32, &str, &str)], exception: String) -> Failure {
    let mut traceback = String::from("Traceback (most recent call last):\n");
    let mut frame = |module: &str, line: u32, function: &str, code: &str| {
        let file = if module.starts_with('/') {
            module.to_string()
        } else {
            format!("{SRC}/{module}")
        };
        traceback.push_str(&format!(
            "  File \"{file}\", line {line}, in {function}\n    {code}\n"
        ));
    };
    frame(
        "pipeline/stages.py",
        412,
        "run",
        "result = self._execute(ctx)",
    );
    for (module, line, function, code) in frames {
        frame(module, *line, function, code);
    }
    traceback.push_str(&exception);
    Failure {
        exception,
        traceback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::jobs::{ERROR_LINE_MAX, error_one_liner};
    use crate::triage::signature;
    use std::collections::HashSet;

    fn ctx(n: u64) -> (String, String, String) {
        let gid = format!("2025-10-{:02}T14:23:19", 1 + n % 28);
        (
            format!("/stage/dsa110-contimg/ms/{gid}.ms"),
            format!("/stage/dsa110-contimg/images/{gid}.img-image-pbcor.fits"),
            gid,
        )
    }

    /// The exception as the Jobs list shows it: cut at `ERROR_LINE_MAX` characters.
    fn one_liner(exception: &str) -> String {
        if exception.chars().count() <= ERROR_LINE_MAX {
            return exception.to_string();
        }
        let mut cut: String = exception.chars().take(ERROR_LINE_MAX - 1).collect();
        cut.push('…');
        cut
    }

    #[test]
    fn every_stage_can_fail_both_ways() {
        for stage in Stage::ALL {
            for retryable in [true, false] {
                assert!(
                    TEMPLATES
                        .iter()
                        .any(|t| t.stages.contains(&stage) && t.retryable == retryable),
                    "{stage:?} retryable={retryable}"
                );
            }
        }
    }

    #[test]
    fn tracebacks_end_with_the_exception_and_group_into_one_signature_per_template() {
        let mut signatures = HashSet::new();
        let mut d = Draw::new(1, 1);
        for n in 0..400u64 {
            let (ms, image, gid) = ctx(n);
            let c = FailureContext {
                ms_path: &ms,
                group_id: &gid,
                mid_mjd: 60_900.0 + n as f64 * 0.37,
                image_path: &image,
            };
            let stage = Stage::ALL[(n % 4) as usize];
            let f = pick(stage, n % 3 == 0, &c, &mut d);
            assert!(
                f.traceback
                    .starts_with("Traceback (most recent call last):\n")
            );
            assert!(f.traceback.ends_with(&f.exception));
            assert_eq!(error_one_liner(&f.traceback), Some(one_liner(&f.exception)));
            signatures.insert(signature(&f.exception));
            let nc = no_caltables(&c);
            assert_eq!(error_one_liner(&nc.traceback), Some(nc.exception.clone()));
            signatures.insert(signature(&nc.exception));
        }
        // Every template is drawn in 400 tries, and its variable parts normalise away.
        assert_eq!(signatures.len(), TEMPLATES.len() + 1, "{signatures:#?}");
    }
}
