//! CASA images: casacore table directories (`{stem}.img.image.pbcor`, `.image`, `.residual`,
//! `.psf`, `.pb`), which is what the pipeline's `images` rows mostly point at.
//!
//! Only the keywords are read: `table.info` (text, `Type = Image`), the table keywords in
//! `table.dat` (AipsIO, see [`aipsio`]) — `coords`, `imageinfo.restoringbeam`, `units` — and
//! the cube shape from the tiled storage manager's header `table.f0`. Pixels (`table.f0_TSM*`)
//! are never opened. The keywords become the same [`HeaderSummary`] a FITS header gives, and
//! one pseudo-HDU of `key = value` lines (dotted keyword paths) for the card list.
//!
//! Why an own reader and not the `rubbl_casatables` crate (casacore's C++ table code): a cold
//! release build of that crate alone took 5 min 56 s wall, 424 s CPU on this 2-core host
//! (`/usr/bin/time -v cargo build --release` of a one-line binary using it), adding a C++
//! toolchain to every fresh build and CI run, to read a few keywords this ~500-line module
//! reads, proven against images written by casacore itself (`tests/it/data/casa/make.py`).

pub mod aipsio;
pub mod write;

use std::fs;
use std::io::{self, Read};
use std::path::Path;

use aipsio::{Record, Value};

use super::{Card, FitsError, Hdu, HeaderDoc, HeaderSummary};
use crate::text::{fmt_utc, mjd_to_unix};

/// The kind label of a CASA image's pseudo-HDU.
pub const CASA_IMAGE_KIND: &str = "CASA image";
/// `table.dat` of an image is a few KiB; more than this is not an image header.
const MAX_TABLE_DAT: u64 = 16 << 20;
const MAX_TABLE_INFO: u64 = 64 << 10;
/// The header of a tiled storage manager is small; its pixels are in other files.
const MAX_TABLE_F0: u64 = 1 << 20;
/// Array values shown on one card line.
const SHOWN_ARRAY_VALUES: usize = 8;

/// Whether `dir` looks like a casacore table (it has `table.dat` or `table.info`).
pub fn is_table_dir(dir: &Path) -> bool {
    dir.join("table.dat").is_file() || dir.join("table.info").is_file()
}

/// The one-line command that makes a FITS file of a CASA image, as the pipeline's export does.
pub fn exportfits_command(image: &str) -> String {
    let quoted = image.replace('\\', "\\\\").replace('\'', "\\'");
    format!(
        "python3 -c \"from casatasks import exportfits; exportfits(imagename='{quoted}', \
         fitsimage='{quoted}.fits', overwrite=False)\""
    )
}

fn not_an_image(shown: &str, what: String, hint: String) -> FitsError {
    FitsError::NotAnImage {
        path: shown.to_string(),
        what,
        hint,
    }
}

fn read_capped(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(cap + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(io::Error::other(format!("longer than {cap} bytes")));
    }
    Ok(bytes)
}

/// `Type = …` and `SubType = …` of a `table.info`.
fn table_type(info: &str) -> (String, String) {
    let field = |name: &str| {
        info.lines()
            .filter_map(|l| l.split_once('='))
            .find(|(k, _)| k.trim() == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    (field("Type"), field("SubType"))
}

/// Read a CASA image directory's keywords into a header document.
pub fn read_casa_image(dir: &Path) -> Result<HeaderDoc, FitsError> {
    let shown = dir.display().to_string();
    let export = exportfits_command(&shown);
    let info_path = dir.join("table.info");
    let dat_path = dir.join("table.dat");
    if !dat_path.exists() && !info_path.exists() {
        return Err(not_an_image(
            &shown,
            "a directory, not a CASA image (no table.dat or table.info in it)".into(),
            "nothing to export; the pipeline's images are {stem}.img.image.pbcor (CASA) or \
             {stem}.img-image.fits (WSClean): open one of those"
                .into(),
        ));
    }
    let (kind, sub_kind) = match read_capped(&info_path, MAX_TABLE_INFO) {
        Ok(bytes) => table_type(&String::from_utf8_lossy(&bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => (String::new(), String::new()),
        Err(e) => {
            return Err(not_an_image(
                &shown,
                format!("a casacore table whose table.info cannot be read ({e})"),
                format!("as a user who can read it, for a FITS view run: {export}"),
            ));
        }
    };
    if !kind.eq_ignore_ascii_case("image") {
        let what = match (kind.as_str(), sub_kind.as_str()) {
            ("", _) => "a casacore table with no type in table.info, not an image".to_string(),
            (k, "") => format!("a casacore table of type `{k}`, not an image"),
            (k, s) => format!("a casacore table of type `{k}` ({s}), not an image"),
        };
        return Err(not_an_image(
            &shown,
            what,
            format!(
                "exportfits converts images only (table.info `Type = Image`); to see what it \
                 holds run: python3 -c \"import casacore.tables as t; \
                 print(t.table('{shown}', ack=False).info())\""
            ),
        ));
    }
    let dat = read_capped(&dat_path, MAX_TABLE_DAT).map_err(|e| {
        let why = if e.kind() == io::ErrorKind::PermissionDenied {
            "permission denied".to_string()
        } else {
            e.to_string()
        };
        not_an_image(
            &shown,
            format!("a CASA image whose table.dat cannot be read ({why})"),
            format!("as a user who can read it, for a FITS view run: {export}"),
        )
    })?;
    let (_rows, keywords) = aipsio::table_keywords(&dat).map_err(|e| {
        not_an_image(
            &shown,
            format!("a CASA image whose keywords cannot be read (table.dat: {e})"),
            format!("for a FITS view run: {export}"),
        )
    })?;
    let shape = read_capped(&dir.join("table.f0"), MAX_TABLE_F0)
        .ok()
        .and_then(|f0| aipsio::tiled_cube_shapes(&f0).into_iter().next())
        .unwrap_or_default();

    let summary = summarize_keywords(&keywords, shape);
    let mut cards = vec![card("table.info Type", &kind, None)];
    if !sub_kind.is_empty() {
        cards.push(card("table.info SubType", &sub_kind, None));
    }
    if !summary.shape.is_empty() {
        let shape: Vec<String> = summary.shape.iter().map(i64::to_string).collect();
        cards.push(card(
            "shape",
            &shape.join(" x "),
            Some("from table.f0, casacore axis order (as NAXIS1..n)"),
        ));
    }
    let mut keyword_cards = Vec::new();
    flatten(&keywords, "", &mut keyword_cards);
    // What operators look for first: units and beam, then the sky and frequency axes.
    keyword_cards.sort_by_key(|c| {
        ["units", "imageinfo", "coords.direction", "coords.spectral"]
            .iter()
            .position(|p| c.key.starts_with(p))
            .unwrap_or(4)
    });
    cards.extend(keyword_cards);
    Ok(HeaderDoc {
        path: shown,
        file_bytes: directory_bytes(dir),
        hdus: vec![Hdu {
            index: 0,
            kind: CASA_IMAGE_KIND.to_string(),
            name: Some("table keywords".to_string()),
            cards,
        }],
        summary,
        note: None,
    })
}

/// The bytes of the files directly in `dir` (the pixels are there; subtables are not counted).
fn directory_bytes(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(fs::Metadata::is_file)
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn card(key: &str, value: &str, comment: Option<&str>) -> Card {
    let mut raw = format!("{key} = {value}");
    if let Some(c) = comment {
        raw.push_str(" / ");
        raw.push_str(c);
    }
    Card {
        raw,
        key: key.to_string(),
        value: Some(value.to_string()),
        comment: comment.map(str::to_string),
    }
}

/// One card per leaf keyword, keyed by its dotted path (`coords.direction0.crval`).
fn flatten(record: &Record, prefix: &str, out: &mut Vec<Card>) {
    for (name, value) in &record.fields {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            Value::Record(sub) if sub.fields.is_empty() => out.push(card(&key, "{}", None)),
            Value::Record(sub) => flatten(sub, &key, out),
            other => out.push(card(&key, &show(other), None)),
        }
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::Bool(b) => if *b { "T" } else { "F" }.into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f}"),
        Value::Complex(re, im) => format!("({re}, {im})"),
        Value::String(s) => format!("'{s}'"),
        Value::Table(t) => format!("table {t}"),
        Value::Record(_) => "{…}".into(),
        Value::Array { shape, values } => {
            let n: i64 = shape.iter().product();
            let mut parts: Vec<String> = values.iter().take(SHOWN_ARRAY_VALUES).map(show).collect();
            if n as usize > parts.len() {
                parts.push(format!("… ({n} values)"));
            }
            format!("[{}]", parts.join(", "))
        }
        Value::Skipped(kind) => format!("({kind}, not decoded)"),
    }
}

/// An angle in `unit` (casacore's quanta spellings) as degrees.
fn to_degrees(value: f64, unit: &str) -> Option<f64> {
    let factor = match unit.trim() {
        "rad" => 180.0 / std::f64::consts::PI,
        "deg" => 1.0,
        "'" | "arcmin" => 1.0 / 60.0,
        "\"" | "arcsec" => 1.0 / 3600.0,
        "mas" | "marcsec" => 1.0 / 3.6e6,
        _ => return None,
    };
    Some(value * factor)
}

fn to_hz(value: f64, unit: &str) -> Option<f64> {
    let factor = match unit.trim() {
        "Hz" | "" => 1.0,
        "kHz" => 1e3,
        "MHz" => 1e6,
        "GHz" => 1e9,
        _ => return None,
    };
    Some(value * factor)
}

/// A quantity record `{value, unit}` as degrees.
fn quantity_deg(record: Option<&Record>) -> Option<f64> {
    let q = record?;
    to_degrees(q.number("value")?, q.string("unit")?)
}

/// The first sub-record of `coords` whose name starts with `prefix` (`direction0`, …).
fn coordinate<'a>(coords: &'a Record, prefix: &str) -> Option<&'a Record> {
    coords.fields.iter().find_map(|(name, value)| match value {
        Value::Record(r) if name.starts_with(prefix) => Some(r),
        _ => None,
    })
}

/// The summary strip's values from an image's keywords.
pub fn summarize_keywords(keywords: &Record, shape: Vec<i64>) -> HeaderSummary {
    let coords = keywords.record("coords");
    let direction = coords.and_then(|c| coordinate(c, "direction"));
    let (centre_ra_deg, centre_dec_deg, cell_arcsec) = direction
        .map(|d| {
            let units = d.strings("units").unwrap_or_default();
            let unit = |i: usize| units.get(i).copied().unwrap_or("rad");
            let crval = d.numbers("crval").unwrap_or_default();
            let cdelt = d.numbers("cdelt").unwrap_or_default();
            let at = |v: &[f64], i: usize| {
                v.get(i)
                    .copied()
                    .and_then(|x| to_degrees(x, unit(i)))
                    .filter(|x| x.is_finite())
            };
            (
                at(&crval, 0).map(|ra| ra.rem_euclid(360.0)),
                at(&crval, 1),
                at(&cdelt, 1)
                    .or_else(|| at(&cdelt, 0))
                    .map(|c| c.abs() * 3600.0),
            )
        })
        .unwrap_or((None, None, None));
    let freq_hz = coords
        .and_then(|c| coordinate(c, "spectral"))
        .and_then(|s| {
            let unit = s.string("unit").unwrap_or("Hz");
            s.record("wcs")
                .and_then(|w| w.number("crval"))
                .or_else(|| s.number("restfreq"))
                .and_then(|f| to_hz(f, unit))
        });
    let beam = keywords
        .record("imageinfo")
        .and_then(|i| i.record("restoringbeam"));
    let arcsec = |name: &str| quantity_deg(beam.and_then(|b| b.record(name))).map(|d| d * 3600.0);
    let text = |v: Option<&str>| {
        v.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let date_obs = coords
        .and_then(|c| c.record("obsdate"))
        .and_then(|o| o.record("m0"))
        .filter(|m| m.string("unit") == Some("d"))
        .and_then(|m| m.number("value"))
        .map(|mjd| fmt_utc(mjd_to_unix(mjd).round()).replacen(' ', "T", 1));
    HeaderSummary {
        shape,
        bunit: text(keywords.string("units")),
        bmaj_arcsec: arcsec("major"),
        bmin_arcsec: arcsec("minor"),
        bpa_deg: quantity_deg(beam.and_then(|b| b.record("positionangle"))),
        cell_arcsec,
        centre_ra_deg,
        centre_dec_deg,
        freq_hz,
        date_obs,
        telescope: text(coords.and_then(|c| c.string("telescope"))),
        object: text(
            keywords
                .record("imageinfo")
                .and_then(|i| i.string("objectname")),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_info_gives_type_and_subtype() {
        assert_eq!(
            table_type("Type = Calibration\nSubType = B Jones\n"),
            ("Calibration".into(), "B Jones".into())
        );
        assert_eq!(table_type("Type = Image\nSubType = \n").0, "Image");
    }

    #[test]
    fn angles_convert_from_casacore_units_and_unknown_units_are_missing() {
        assert!((to_degrees(std::f64::consts::PI, "rad").unwrap() - 180.0).abs() < 1e-12);
        assert_eq!(to_degrees(30.0, "'"), Some(0.5));
        assert_eq!(to_degrees(3600.0, "arcsec"), Some(1.0));
        assert_eq!(to_degrees(1.0, "furlong"), None);
    }

    #[test]
    fn the_exportfits_command_names_the_image_and_its_fits_beside_it() {
        let cmd = exportfits_command("/stage/x.img.image.pbcor");
        assert!(
            cmd.contains("imagename='/stage/x.img.image.pbcor'"),
            "{cmd}"
        );
        assert!(
            cmd.contains("fitsimage='/stage/x.img.image.pbcor.fits'"),
            "{cmd}"
        );
        assert!(exportfits_command("/a/it's").contains("it\\'s"));
    }
}
