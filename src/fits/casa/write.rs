//! CASA image directories for the demo: a real casacore image (written by python-casacore,
//! `tests/it/data/casa/make.py`) with its numbers set to the demo image's.
//!
//! Writing casacore's table format from scratch would be an imitation. Instead the committed
//! image's files are the template and only fixed-size values change: the direction's crval
//! and cdelt, the frequency, the restoring beam, the observation date (IEEE doubles, big-
//! endian, found by their template values) and the object name (padded or cut to the
//! template's length). Every length and offset casacore wrote stays as it was, so the result is still a
//! table casacore opens (checked with python-casacore when this was written). The pixels
//! stay the template's 8×8 noise: the demo's CASA images are thumbnails.

use std::path::Path;

use super::aipsio::{Record, table_keywords};
use crate::fits::FitsError;
use crate::fits::write::ImageSpec;

const TEMPLATE_DIR: &str = "2025-10-21T14:23:19.img.image.pbcor";
const TABLE_DAT: &[u8] =
    include_bytes!("../../../tests/it/data/casa/2025-10-21T14:23:19.img.image.pbcor/table.dat");
const TABLE_F0: &[u8] =
    include_bytes!("../../../tests/it/data/casa/2025-10-21T14:23:19.img.image.pbcor/table.f0");
const TABLE_TSM0: &[u8] =
    include_bytes!("../../../tests/it/data/casa/2025-10-21T14:23:19.img.image.pbcor/table.f0_TSM0");
const TABLE_INFO: &[u8] =
    include_bytes!("../../../tests/it/data/casa/2025-10-21T14:23:19.img.image.pbcor/table.info");
/// casacore opens an image only with its log subtable.
const LOGTABLE: [(&str, &[u8]); 3] = [
    (
        "table.dat",
        include_bytes!(
            "../../../tests/it/data/casa/2025-10-21T14:23:19.img.image.pbcor/logtable/table.dat"
        ),
    ),
    (
        "table.f0",
        include_bytes!(
            "../../../tests/it/data/casa/2025-10-21T14:23:19.img.image.pbcor/logtable/table.f0"
        ),
    ),
    (
        "table.info",
        include_bytes!(
            "../../../tests/it/data/casa/2025-10-21T14:23:19.img.image.pbcor/logtable/table.info"
        ),
    ),
];
const TEMPLATE_OBJECT: &str = "2025-10-21T14:23:19";

/// The template's values that a demo image replaces, read from the template itself.
struct TemplateValues {
    pairs: Vec<(f64, f64)>,
}

fn template_numbers(keywords: &Record) -> Option<Vec<f64>> {
    let coords = keywords.record("coords")?;
    let direction = coords.record("direction0")?;
    let crval = direction.numbers("crval")?;
    let cdelt = direction.numbers("cdelt")?;
    let spectral = coords.record("spectral2")?;
    let freq = spectral.record("wcs")?.number("crval")?;
    let beam = keywords.record("imageinfo")?.record("restoringbeam")?;
    let q = |name: &str| beam.record(name).and_then(|r| r.number("value"));
    let mjd = coords.record("obsdate")?.record("m0")?.number("value")?;
    Some(vec![
        *crval.first()?,
        *crval.get(1)?,
        *cdelt.first()?,
        *cdelt.get(1)?,
        freq,
        q("major")?,
        q("minor")?,
        q("positionangle")?,
        mjd,
    ])
}

fn replace_all(bytes: &mut [u8], old: &[u8], new: &[u8]) -> usize {
    debug_assert_eq!(old.len(), new.len());
    let mut count = 0;
    let mut i = 0;
    while i + old.len() <= bytes.len() {
        if &bytes[i..i + old.len()] == old {
            bytes[i..i + old.len()].copy_from_slice(new);
            count += 1;
            i += old.len();
        } else {
            i += 1;
        }
    }
    count
}

/// MJD of an ISO `YYYY-MM-DDTHH:MM:SS[.fff]` time.
fn iso_to_mjd(iso: &str) -> Option<f64> {
    let (date, time) = iso.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':');
    let h: f64 = t.next()?.parse().ok()?;
    let min: f64 = t.next()?.parse().ok()?;
    let s: f64 = t.next().unwrap_or("0").parse().ok()?;
    // Days from civil (Howard Hinnant), then MJD = days since 1858-11-17.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let unix_days = era * 146_097 + doe - 719_468;
    Some(unix_days as f64 + 40_587.0 + (h * 3600.0 + min * 60.0 + s) / 86_400.0)
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> FitsError + '_ {
    move |e| FitsError::Cfitsio {
        code: 0,
        message: format!("cannot write {}: {e}", path.display()),
    }
}

/// Write a CASA image directory at `dir` (replacing one there) with `spec`'s centre, cell,
/// frequency, beam, date and (same-length) object name.
pub fn write_casa_image(dir: &Path, spec: &ImageSpec) -> Result<(), FitsError> {
    let template = TemplateValues {
        pairs: {
            let (_, keywords) = table_keywords(TABLE_DAT).map_err(|e| {
                FitsError::Corrupt(format!("the CASA template {TEMPLATE_DIR}: {e}"))
            })?;
            let old = template_numbers(&keywords).ok_or_else(|| {
                FitsError::Corrupt(format!("the CASA template {TEMPLATE_DIR} lacks a keyword"))
            })?;
            let rad = std::f64::consts::PI / 180.0;
            let arcsec = 3600.0;
            let mjd = iso_to_mjd(&spec.date_obs).unwrap_or(old[8]);
            let new = [
                spec.ra_deg * rad,
                spec.dec_deg * rad,
                -spec.cell_deg * rad,
                spec.cell_deg * rad,
                spec.freq_hz,
                spec.bmaj_deg * arcsec,
                spec.bmin_deg * arcsec,
                spec.bpa_deg,
                mjd,
            ];
            old.into_iter().zip(new).collect()
        },
    };
    let mut dat = TABLE_DAT.to_vec();
    for (old, new) in &template.pairs {
        replace_all(&mut dat, &old.to_be_bytes(), &new.to_be_bytes());
    }
    // The object name keeps the template's length: shorter names are padded with blanks
    // (readers trim them), longer ones cut, so no length casacore wrote changes.
    let width = TEMPLATE_OBJECT.len();
    let mut object: Vec<u8> = spec
        .object
        .bytes()
        .filter(|b| (b' '..=b'~').contains(b))
        .take(width)
        .collect();
    object.resize(width, b' ');
    let mut old = (width as u32).to_be_bytes().to_vec();
    old.extend_from_slice(TEMPLATE_OBJECT.as_bytes());
    let mut new = (width as u32).to_be_bytes().to_vec();
    new.extend_from_slice(&object);
    replace_all(&mut dat, &old, &new);
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io(dir))?;
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for (name, bytes) in [
        ("table.dat", dat.as_slice()),
        ("table.f0", TABLE_F0),
        ("table.f0_TSM0", TABLE_TSM0),
        ("table.info", TABLE_INFO),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(io(&path))?;
    }
    let log = dir.join("logtable");
    std::fs::create_dir_all(&log).map_err(io(&log))?;
    for (name, bytes) in LOGTABLE {
        let path = log.join(name);
        std::fs::write(&path, bytes).map_err(io(&path))?;
    }
    Ok(())
}

/// CASA product suffixes tclean leaves for one MS (`{stem}.img` + these).
pub const CASA_PRODUCT_SUFFIXES: [&str; 5] = [
    ".img.image.pbcor",
    ".img.image",
    ".img.residual",
    ".img.psf",
    ".img.pb",
];

/// Whether `path` is named like a CASA image product.
pub fn is_casa_product_name(path: &Path) -> bool {
    path.to_str()
        .is_some_and(|p| CASA_PRODUCT_SUFFIXES.iter().any(|s| p.ends_with(s)))
}

/// Write one demo image product: a CASA directory for a CASA name, else a FITS file.
pub fn write_image_product(path: &Path, spec: &ImageSpec) -> Result<(), FitsError> {
    if is_casa_product_name(path) {
        write_casa_image(path, spec)
    } else {
        crate::fits::write::write_pipeline_image(path, spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fits::read_header;

    fn spec() -> ImageSpec {
        ImageSpec {
            naxis1: 64,
            naxis2: 64,
            object: "2025-11-02T08:00:01".into(),
            date_obs: "2025-11-02T08:00:01.000".into(),
            ra_deg: 83.6,
            dec_deg: 22.01,
            freq_hz: 1.3e9,
            bandwidth_hz: 1.875e8,
            bmaj_deg: 17.0 / 3600.0,
            bmin_deg: 12.0 / 3600.0,
            bpa_deg: 44.0,
            cell_deg: 3.0 / 3600.0,
            command_line: String::new(),
            history: vec![],
            seed: 1,
        }
    }

    #[test]
    fn every_template_value_is_found_in_the_template_bytes() {
        let (_, keywords) = table_keywords(TABLE_DAT).expect("template");
        for value in template_numbers(&keywords).expect("values") {
            let mut copy = TABLE_DAT.to_vec();
            let bytes = value.to_be_bytes();
            assert!(replace_all(&mut copy, &bytes, &bytes) >= 1, "{value}");
        }
    }

    #[test]
    fn a_written_casa_image_reads_back_with_the_specs_values() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("T.img.image");
        write_casa_image(&path, &spec()).expect("write");
        let doc = read_header(&path).expect("read");
        let s = &doc.summary;
        assert!((s.centre_ra_deg.expect("ra") - 83.6).abs() < 1e-9);
        assert!((s.centre_dec_deg.expect("dec") - 22.01).abs() < 1e-9);
        assert!((s.cell_arcsec.expect("cell") - 3.0).abs() < 1e-9);
        assert!((s.bmaj_arcsec.expect("bmaj") - 17.0).abs() < 1e-9);
        assert!((s.bmin_arcsec.expect("bmin") - 12.0).abs() < 1e-9);
        assert_eq!(s.bpa_deg, Some(44.0));
        assert_eq!(s.freq_hz, Some(1.3e9));
        assert_eq!(s.date_obs.as_deref(), Some("2025-11-02T08:00:01"));
        assert_eq!(s.object.as_deref(), Some("2025-11-02T08:00:01"));
        assert_eq!(s.shape, vec![8, 8, 1, 1]);
        if let Ok(out) = std::env::var("CASA_WRITE_CHECK_DIR") {
            // For a by-hand check with python-casacore that casacore opens what is written.
            write_casa_image(&Path::new(&out).join("T.img.image"), &spec()).expect("write");
        }
    }
}
