//! Writing pipeline-like FITS images (for the demo, the tests and the benchmark).

use std::io::Write as _;
use std::path::Path;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::FitsError;
use super::block::{BLOCK_BYTES, encode_header};
use super::ffi::{CfitsioError, FitsHandle};

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

/// The keyword that carries the imager's command line as a CONTINUE long string.
pub const COMMAND_LINE_KEY: &str = "WSCCMDL";

/// Image noise (Jy/beam), about what a 5-minute DSA-110 image reaches.
const NOISE_RMS_JY: f64 = 0.0012;
/// Rows written per CFITSIO call: bounds memory for 5040² images (about 5 MB per chunk).
const CHUNK_PIXELS: usize = 1 << 20;
const FWHM_TO_SIGMA: f64 = 2.354_820_045;

/// Write `spec` to `path` (overwriting). The name is taken literally (`img[1].fits` works);
/// a `.gz` name is NOT compressed (gzip the file afterwards if needed).
pub fn write_pipeline_image(path: &Path, spec: &ImageSpec) -> Result<(), FitsError> {
    check_shape(spec)?;
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(FitsError::Cfitsio {
                code: 0,
                message: format!("cannot replace {}: {e}", path.display()),
            });
        }
    }
    let mut file = FitsHandle::create(path)?;
    file.create_f32_image(&shape(spec))?;
    write_header(&mut file, spec)?;
    write_pixels(&mut file, spec)?;
    Ok(())
    // `file` closes here, flushing everything to disk.
}

/// The header cards (END excluded) that [`write_pipeline_image`] writes for `spec`, laid out
/// by CFITSIO in memory: no pixels are written anywhere.
pub fn pipeline_header_cards(spec: &ImageSpec) -> Result<Vec<String>, FitsError> {
    check_shape(spec)?;
    let mut file = FitsHandle::create_in_memory()?;
    file.create_f32_image(&shape(spec))?;
    write_header(&mut file, spec)?;
    let cards = file.header_cards()?;
    // Closing makes CFITSIO fill the declared data with zeros: shrink the image first so that
    // costs nothing (the cards above are already taken).
    file.update_int_key("NAXIS1", 1)?;
    file.update_int_key("NAXIS2", 1)?;
    Ok(cards)
}

/// `spec`'s header, then a hole as long as its pixels: a sparse file with the real image's
/// header bytes and size that takes a few kB of disk. Header readers never touch the data, so
/// for them it is the real image; its pixels read as zeros.
pub fn write_pipeline_header_sparse(path: &Path, spec: &ImageSpec) -> Result<(), FitsError> {
    let header = encode_header(&pipeline_header_cards(spec)?);
    let data = (spec.naxis1 * spec.naxis2 * std::mem::size_of::<f32>()).div_ceil(BLOCK_BYTES)
        * BLOCK_BYTES;
    let cannot = |e: std::io::Error| FitsError::Cfitsio {
        code: 0,
        message: format!("cannot write {}: {e}", path.display()),
    };
    let mut file = std::fs::File::create(path).map_err(cannot)?;
    file.write_all(&header).map_err(cannot)?;
    file.set_len((header.len() + data) as u64).map_err(cannot)?;
    Ok(())
}

fn check_shape(spec: &ImageSpec) -> Result<(), FitsError> {
    if spec.naxis1 == 0 || spec.naxis2 == 0 {
        return Err(FitsError::Cfitsio {
            code: 0,
            message: format!("image size {}x{} is empty", spec.naxis1, spec.naxis2),
        });
    }
    Ok(())
}

fn shape(spec: &ImageSpec) -> [i64; 4] {
    [spec.naxis1 as i64, spec.naxis2 as i64, 1, 1]
}

fn write_header(file: &mut FitsHandle, spec: &ImageSpec) -> Result<(), CfitsioError> {
    file.write_string_key("BUNIT", "JY/BEAM", "Units are in Jansky per beam")?;
    file.write_float_key("BMAJ", spec.bmaj_deg, "")?;
    file.write_float_key("BMIN", spec.bmin_deg, "")?;
    file.write_float_key("BPA", spec.bpa_deg, "")?;
    file.write_float_key("EQUINOX", 2000.0, "J2000")?;
    file.write_string_key("RADESYS", "FK5", "")?;
    file.write_string_key("BTYPE", "Intensity", "")?;
    file.write_string_key("TELESCOP", "OVRO", "")?;
    file.write_string_key("INSTRUME", "DSA-110", "")?;
    file.write_string_key("OBSERVER", "DSA-110 continuum pipeline", "")?;
    file.write_string_key("OBJECT", &spec.object, "")?;
    file.write_string_key(
        "ORIGIN",
        "WSClean",
        "W-stacking imager written by A.R. Offringa",
    )?;

    let centre1 = (spec.naxis1 / 2 + 1) as f64;
    let centre2 = (spec.naxis2 / 2 + 1) as f64;
    let axes: [(&str, f64, f64, f64, Option<&str>); 4] = [
        (
            "RA---SIN",
            centre1,
            spec.ra_deg,
            -spec.cell_deg,
            Some("deg"),
        ),
        (
            "DEC--SIN",
            centre2,
            spec.dec_deg,
            spec.cell_deg,
            Some("deg"),
        ),
        ("FREQ", 1.0, spec.freq_hz, spec.bandwidth_hz, Some("Hz")),
        ("STOKES", 1.0, 1.0, 1.0, None),
    ];
    for (number, (ctype, crpix, crval, cdelt, cunit)) in (1..).zip(axes) {
        file.write_string_key(&format!("CTYPE{number}"), ctype, "")?;
        file.write_float_key(&format!("CRPIX{number}"), crpix, "")?;
        file.write_float_key(&format!("CRVAL{number}"), crval, "")?;
        file.write_float_key(&format!("CDELT{number}"), cdelt, "")?;
        if let Some(unit) = cunit {
            file.write_string_key(&format!("CUNIT{number}"), unit, "")?;
        }
    }
    file.write_string_key("SPECSYS", "TOPOCENT", "")?;
    file.write_float_key("RESTFRQ", spec.freq_hz, "Rest frequency (Hz)")?;
    file.write_string_key("DATE-OBS", &spec.date_obs, "")?;
    file.write_string_key("WSCVERSN", "3.4", "WSClean version")?;
    file.write_int_key("WSCNITER", 10_000, "")?;
    file.write_float_key("WSCTHRES", 3.0 * NOISE_RMS_JY, "")?;
    file.write_long_string_key(COMMAND_LINE_KEY, &spec.command_line, "imager command line")?;
    for line in &spec.history {
        file.write_history(line)?;
    }
    file.write_comment("Image produced by the DSA-110 continuum imaging pipeline")?;
    file.write_comment("Pixel values are Stokes I flux density in Jy/beam")?;
    Ok(())
}

/// A Gaussian point source convolved with the restoring beam (circularised for simplicity).
#[derive(Debug, Clone, Copy)]
struct PointSource {
    x: f64,
    y: f64,
    peak_jy: f64,
}

fn place_sources(spec: &ImageSpec, rng: &mut SmallRng) -> Vec<PointSource> {
    let count = rng.random_range(3..=6);
    let (w, h) = (spec.naxis1 as f64, spec.naxis2 as f64);
    (0..count)
        .map(|_| PointSource {
            x: rng.random_range(0.1..0.9) * w,
            y: rng.random_range(0.1..0.9) * h,
            peak_jy: rng.random_range(0.02..1.5),
        })
        .collect()
}

fn beam_sigma_pixels(spec: &ImageSpec) -> f64 {
    if spec.cell_deg > 0.0 && spec.bmaj_deg > 0.0 {
        // Geometric mean of the axes: a round beam of the same area.
        let fwhm_deg = if spec.bmin_deg > 0.0 {
            (spec.bmaj_deg * spec.bmin_deg).sqrt()
        } else {
            spec.bmaj_deg
        };
        (fwhm_deg / spec.cell_deg / FWHM_TO_SIGMA).max(0.7)
    } else {
        1.5
    }
}

/// Append `count` normal deviates of standard deviation `rms`: Box–Muller, using both
/// values of each pair (rand 0.9 itself has no normal distribution).
fn push_noise(rng: &mut SmallRng, rms: f64, count: usize, out: &mut Vec<f32>) {
    let target = out.len() + count;
    while out.len() < target {
        let u1: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
        let angle = std::f64::consts::TAU * rng.random::<f64>();
        let radius = (-2.0 * u1.ln()).sqrt() * rms;
        out.push((radius * angle.cos()) as f32);
        if out.len() < target {
            out.push((radius * angle.sin()) as f32);
        }
    }
}

fn write_pixels(file: &mut FitsHandle, spec: &ImageSpec) -> Result<(), CfitsioError> {
    let mut rng = SmallRng::seed_from_u64(spec.seed);
    let sources = place_sources(spec, &mut rng);
    let sigma = beam_sigma_pixels(spec);
    let reach = 5.0 * sigma;
    let width = spec.naxis1;
    let rows_per_chunk = (CHUNK_PIXELS / width).max(1);
    let mut buffer = Vec::with_capacity(rows_per_chunk * width);

    let mut row = 0;
    while row < spec.naxis2 {
        let rows = rows_per_chunk.min(spec.naxis2 - row);
        buffer.clear();
        for y in row..row + rows {
            let line_start = buffer.len();
            push_noise(&mut rng, NOISE_RMS_JY, width, &mut buffer);
            for source in sources.iter().filter(|s| (s.y - y as f64).abs() <= reach) {
                let dy = source.y - y as f64;
                let x_min = (source.x - reach).max(0.0) as usize;
                let x_max = ((source.x + reach) as usize).min(width - 1);
                for x in x_min..=x_max {
                    let dx = source.x - x as f64;
                    let value =
                        source.peak_jy * (-(dx * dx + dy * dy) / (2.0 * sigma * sigma)).exp();
                    buffer[line_start + x] += value as f32;
                }
            }
        }
        let first = (row * width + 1) as i64;
        file.write_f32_pixels(first, &mut buffer)?;
        row += rows;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_spec() -> ImageSpec {
        ImageSpec {
            naxis1: 64,
            naxis2: 48,
            object: "2025-10-21T14:23:19".into(),
            date_obs: "2025-10-21T14:23:19.000".into(),
            ra_deg: 180.0,
            dec_deg: 42.0,
            freq_hz: 1.405e9,
            bandwidth_hz: 1.875e8,
            bmaj_deg: 0.0035,
            bmin_deg: 0.0025,
            bpa_deg: 12.0,
            cell_deg: 2.5 / 3600.0,
            command_line: "wsclean -size 64 48".into(),
            history: vec!["imaged".into()],
            seed: 7,
        }
    }

    #[test]
    fn an_image_is_4_axis_float32_with_the_requested_shape() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("small.fits");
        write_pipeline_image(&path, &small_spec()).expect("write");
        let bytes = std::fs::metadata(&path).expect("written").len();
        // Header blocks plus 64*48*4 bytes of data, padded to 2880-byte blocks.
        assert_eq!(bytes % 2880, 0);
        assert!(bytes >= (64 * 48 * 4) as u64);
        let mut file = fitsio::FitsFile::open(&path).expect("reopen");
        let hdu = file.primary_hdu().expect("primary");
        match hdu.info {
            fitsio::hdu::HduInfo::ImageInfo { shape, image_type } => {
                assert_eq!(shape, vec![1, 1, 48, 64]);
                assert_eq!(image_type, fitsio::images::ImageType::Float);
            }
            other => panic!("expected an image, got {other:?}"),
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_pixels() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (dir.path().join("a.fits"), dir.path().join("b.fits"));
        write_pipeline_image(&a, &small_spec()).expect("write a");
        write_pipeline_image(&b, &small_spec()).expect("write b");
        assert_eq!(std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
    }

    #[test]
    fn the_noise_has_the_requested_rms() {
        let mut rng = SmallRng::seed_from_u64(3);
        let mut noise = Vec::new();
        push_noise(&mut rng, 0.5, 20_001, &mut noise);
        assert_eq!(noise.len(), 20_001);
        let mean_square: f64 =
            noise.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / noise.len() as f64;
        assert!(
            (mean_square.sqrt() - 0.5).abs() < 0.02,
            "rms {}",
            mean_square.sqrt()
        );
    }

    #[test]
    fn a_sparse_header_file_has_the_real_images_header_bytes_and_size() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (real, sparse) = (dir.path().join("real.fits"), dir.path().join("sparse.fits"));
        write_pipeline_image(&real, &small_spec()).expect("real");
        write_pipeline_header_sparse(&sparse, &small_spec()).expect("sparse");
        let (real, sparse) = (
            std::fs::read(&real).expect("real"),
            std::fs::read(&sparse).expect("sparse"),
        );
        assert_eq!(real.len(), sparse.len());
        let header = encode_header(&pipeline_header_cards(&small_spec()).expect("cards")).len();
        assert!(header < real.len());
        assert_eq!(real[..header], sparse[..header]);
        assert!(sparse[header..].iter().all(|&b| b == 0));
    }

    #[test]
    fn writing_again_overwrites_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("again.fits");
        write_pipeline_image(&path, &small_spec()).expect("first");
        write_pipeline_image(&path, &small_spec()).expect("second");
    }
}
