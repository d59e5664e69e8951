//! The FITS files the benchmark reads: one full-size pipeline image with noise-like pixels, the
//! same gzipped, and a set of distinct pipeline-like images for the whole-process comparison.
//!
//! Every file is written under a temporary name and renamed when complete, so a file that
//! exists under its final name is whole and is reused; `SET_VERSION` in the names keeps a set
//! written by an older version of this code from being reused.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::demo::names::group_id;
use crate::fits::write::{ImageSpec, write_pipeline_header_sparse, write_pipeline_image};

/// The pipeline's standard image: 5040 x 5040 pixels at 2.5″.
pub const FULL_NAXIS: usize = 5040;
/// Files in the whole-process comparison (the figure).
pub const COMPARE_FILES: usize = 200;
/// Bump when what the files hold changes.
const SET_VERSION: u32 = 1;
/// 2025-10-21T14:23:19 UTC, the start of the first observation.
const FIRST_START_UNIX: f64 = 1_761_056_599.0;
/// One observation (a group of 16 subbands) lasts about 309 s.
const OBSERVATION_S: f64 = 309.0;
/// The sky drifts through a fixed-declination transit instrument at 15° an hour.
const RA_DEG_PER_S: f64 = 15.0 / 3600.0;
const CELL_DEG: f64 = 2.5 / 3600.0;

/// Where the benchmark's FITS files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FitsFiles {
    /// A plain `naxis` x `naxis` x 1 x 1 float32 image with noise-like pixels.
    pub plain: PathBuf,
    /// The same bytes gzipped (fast level).
    pub gz: PathBuf,
    /// Distinct pipeline-like images of the same shape, written sparse: real header bytes and
    /// file size, a hole for the pixels (header readers never read them).
    pub many: Vec<PathBuf>,
    pub naxis: usize,
}

/// The full-size set: a 5040² image (~101.6 MB), its `.fits.gz`, and 200 sparse 5040² images.
pub fn make_files(dir: &Path) -> anyhow::Result<FitsFiles> {
    make_files_sized(dir, FULL_NAXIS, COMPARE_FILES)
}

/// The same set with `naxis` x `naxis` images and `n_files` files to compare on.
pub fn make_files_sized(dir: &Path, naxis: usize, n_files: usize) -> anyhow::Result<FitsFiles> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let stem = format!("image-{naxis}-v{SET_VERSION}");
    let plain = dir.join(format!("{stem}.fits"));
    let gz = dir.join(format!("{stem}.fits.gz"));
    write_once(&plain, |tmp| {
        write_pipeline_image(tmp, &image_spec(naxis, 0, &plain)).map_err(anyhow::Error::from)
    })?;
    write_once(&gz, |tmp| gzip_fast(&plain, tmp))?;

    let many_dir = dir.join(format!("many-{naxis}-v{SET_VERSION}"));
    std::fs::create_dir_all(&many_dir)
        .with_context(|| format!("cannot create {}", many_dir.display()))?;
    let mut many = Vec::with_capacity(n_files);
    for index in 0..n_files {
        let name = format!("{}.img-image.fits", group_id(start_unix(index)));
        let path = many_dir.join(name);
        write_once(&path, |tmp| {
            write_pipeline_header_sparse(tmp, &image_spec(naxis, index, &path))
                .map_err(anyhow::Error::from)
        })?;
        many.push(path);
    }
    Ok(FitsFiles {
        plain,
        gz,
        many,
        naxis,
    })
}

/// Run `write` on a temporary name beside `path` and rename it to `path`, unless `path` is
/// already there (and so complete).
fn write_once(path: &Path, write: impl FnOnce(&Path) -> anyhow::Result<()>) -> anyhow::Result<()> {
    if path.is_file() {
        return Ok(());
    }
    let name = path
        .file_name()
        .with_context(|| format!("{} has no file name", path.display()))?;
    let tmp = path.with_file_name(format!(".{}.part", name.to_string_lossy()));
    write(&tmp).with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))
}

/// Gzip `from` into `to` at the fastest level: the point is a `.fits.gz` that takes CFITSIO
/// seconds to inflate, not the smallest file.
fn gzip_fast(from: &Path, to: &Path) -> anyhow::Result<()> {
    let mut input = BufReader::new(File::open(from)?);
    let mut gz = GzEncoder::new(BufWriter::new(File::create(to)?), Compression::fast());
    io::copy(&mut input, &mut gz)?;
    gz.finish()?.flush()?;
    Ok(())
}

fn start_unix(index: usize) -> f64 {
    FIRST_START_UNIX + index as f64 * OBSERVATION_S
}

/// The `index`-th observation's image, as the pipeline's imaging stage writes it: one image
/// per 309 s observation of the transiting sky at the array's fixed declination.
fn image_spec(naxis: usize, index: usize, path: &Path) -> ImageSpec {
    let start = start_unix(index);
    let gid = group_id(start);
    let ms_path = format!("/stage/dsa110-contimg/ms/{gid}.ms");
    let ra_deg = (201.365 + (start - FIRST_START_UNIX) * RA_DEG_PER_S).rem_euclid(360.0);
    // Beams differ a little from one observation to the next (elevation, flagging).
    let wobble = (index % 7) as f64 / 7.0;
    // WSClean's `-name` is the prefix of every image it writes (`{name}-image.fits`, …).
    let with_ext = path.with_extension("");
    let image_name = with_ext.to_string_lossy();
    let image_name = image_name.trim_end_matches("-image");
    ImageSpec {
        naxis1: naxis,
        naxis2: naxis,
        object: gid.clone(),
        date_obs: format!("{gid}.000"),
        ra_deg,
        dec_deg: 43.03,
        freq_hz: 1.405e9,
        bandwidth_hz: 187.5e6,
        bmaj_deg: (15.0 + 2.0 * wobble) / 3600.0,
        bmin_deg: (11.0 + wobble) / 3600.0,
        bpa_deg: -12.5 + 20.0 * wobble,
        cell_deg: CELL_DEG,
        command_line: format!(
            "wsclean -name {image_name} -size {naxis} {naxis} -scale 2.5asec -niter 10000 -mgain 0.8 \
             -auto-threshold 3 -auto-mask 5 -weight briggs 0.5 -pol I \
             -data-column CORRECTED_DATA -j 16 -mem 80 -reorder -parallel-deconvolution 2048 \
             -apply-primary-beam {ms_path}"
        ),
        history: vec![
            "WSClean version 3.4 (2023-10-11)".to_string(),
            format!(
                "dsa110_contimg imaging stage, run {}",
                crate::demo::names::run_id(start)
            ),
        ],
        seed: index as u64 + 1,
    }
}
