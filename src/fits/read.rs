//! Reading every header of a FITS file.
//!
//! Plain files go through CFITSIO (`ffi`), opened as disk files so names like `img[1].fits`
//! are taken literally. Gzip files take a fast path: the inflater is streamed only up to the
//! primary header's END card (CFITSIO would inflate the whole image first), so later HDUs are
//! not scanned and the document says so in `note`.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::block::{self, BlockError};
use super::card::parse_cards;
use super::ffi::{CfitsioError, FitsHandle, HduKind, StatusClass, classify_status};
use super::summary::{lookup, summarize};
use super::{FitsError, Hdu, HeaderDoc};

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const FITS_MAGIC: &[u8] = b"SIMPLE  =";
/// Other compressions CFITSIO inflates itself (compress `.Z`, pkzip, bzip2).
const OTHER_COMPRESSED_MAGIC: [&[u8]; 3] = [&[0x1f, 0x9d], b"PK\x03\x04", b"BZh"];
const GZIP_NOTE: &str = "gzip file: only the primary header was read; later HDUs were not scanned";

/// Read all headers of `path` (the primary only for gzip files).
pub fn read_header(path: &Path) -> Result<HeaderDoc, FitsError> {
    let shown = path.display().to_string();
    let metadata = std::fs::metadata(path).map_err(|e| io_error(&shown, &e))?;
    if metadata.is_dir() {
        return Err(FitsError::NotFits(format!("{shown} is a directory")));
    }
    let mut file = File::open(path).map_err(|e| io_error(&shown, &e))?;
    // Enough bytes to recognise the format and to show a non-FITS file's first words.
    let mut magic = [0u8; 24];
    let magic_len = block::fill(&mut file, &mut magic).map_err(|e| io_error(&shown, &e))?;
    let magic = &magic[..magic_len];

    let (hdus, note) = if magic.starts_with(GZIP_MAGIC) {
        drop(file);
        let file = File::open(path).map_err(|e| io_error(&shown, &e))?;
        (
            read_gzip_primary(file, &shown)?,
            Some(GZIP_NOTE.to_string()),
        )
    } else if magic.starts_with(FITS_MAGIC)
        || OTHER_COMPRESSED_MAGIC.iter().any(|m| magic.starts_with(m))
    {
        drop(file);
        (read_with_cfitsio(path, &shown, metadata.len())?, None)
    } else {
        return Err(FitsError::NotFits(format!(
            "{shown} ({})",
            block::preview(magic)
        )));
    };

    let summary = summarize(&hdus);
    Ok(HeaderDoc {
        path: shown,
        file_bytes: metadata.len(),
        hdus,
        summary,
        note,
    })
}

pub(crate) fn io_error(shown: &str, error: &io::Error) -> FitsError {
    match error.kind() {
        io::ErrorKind::NotFound => FitsError::NotFound(shown.to_string()),
        io::ErrorKind::PermissionDenied => FitsError::PermissionDenied(shown.to_string()),
        _ => FitsError::Corrupt(format!("{shown}: {error}")),
    }
}

fn read_gzip_primary(file: File, shown: &str) -> Result<Vec<Hdu>, FitsError> {
    let inflater = MultiGzDecoder::new(BufReader::new(file));
    let raw_cards = block::read_primary_header(inflater).map_err(|e| match e {
        BlockError::NotFits(why) => FitsError::NotFits(format!("{shown} (gzip content {why})")),
        BlockError::Corrupt(why) => FitsError::Corrupt(format!("{shown}: {why}")),
    })?;
    Ok(vec![make_hdu(0, HduKind::Primary, &raw_cards)])
}

fn make_hdu(index: usize, kind: HduKind, raw_cards: &[String]) -> Hdu {
    let mut hdu = Hdu {
        index,
        kind: kind.label().to_string(),
        name: None,
        cards: parse_cards(raw_cards),
    };
    hdu.name = lookup(&hdu, "EXTNAME")
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_string);
    hdu
}

fn read_with_cfitsio(path: &Path, shown: &str, file_bytes: u64) -> Result<Vec<Hdu>, FitsError> {
    let classify = |error: CfitsioError| cfitsio_error(shown, error);
    let mut file = FitsHandle::open_readonly(path).map_err(classify)?;
    let count = file.hdu_count().map_err(classify)?;
    let mut hdus = Vec::with_capacity(count);
    for index in 0..count {
        let kind = file.move_to_hdu(index).map_err(classify)?;
        let raw_cards = file.header_cards().map_err(classify)?;
        let data_end = file.data_end().map_err(classify)?;
        // CFITSIO reads headers lazily, so a file cut inside the data still opens.
        if data_end > file_bytes && !is_compressed_on_disk(path) {
            return Err(FitsError::Corrupt(format!(
                "{shown}: cut short: HDU {index} needs {data_end} bytes, the file has {file_bytes}"
            )));
        }
        hdus.push(make_hdu(index, kind, &raw_cards));
    }
    Ok(hdus)
}

/// CFITSIO reports sizes of the inflated file for compressed input; size checks do not apply.
fn is_compressed_on_disk(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut f| block::fill(&mut f, &mut magic))
        .map(|n| {
            OTHER_COMPRESSED_MAGIC
                .iter()
                .any(|m| magic[..n].starts_with(m))
        })
        .unwrap_or(false)
}

fn cfitsio_error(shown: &str, error: CfitsioError) -> FitsError {
    let why = format!("{shown}: {} (CFITSIO status {})", error.message, error.code);
    match classify_status(error.code) {
        StatusClass::NotFits => FitsError::NotFits(why),
        StatusClass::Corrupt => FitsError::Corrupt(why),
        StatusClass::Other => FitsError::Cfitsio {
            code: error.code,
            message: why,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fits::write::{ImageSpec, write_pipeline_image};

    fn spec() -> ImageSpec {
        ImageSpec {
            naxis1: 32,
            naxis2: 32,
            object: "field".into(),
            date_obs: "2025-10-21T14:23:19.000".into(),
            ra_deg: 10.0,
            dec_deg: 20.0,
            freq_hz: 1.4e9,
            bandwidth_hz: 1.0e8,
            bmaj_deg: 0.004,
            bmin_deg: 0.003,
            bpa_deg: 0.0,
            cell_deg: 0.001,
            command_line: "wsclean".into(),
            history: vec![],
            seed: 1,
        }
    }

    #[test]
    fn an_image_cut_inside_its_data_is_corrupt_and_says_how_short() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cut.fits");
        write_pipeline_image(&path, &spec()).expect("write");
        let bytes = std::fs::read(&path).expect("read");
        std::fs::write(&path, &bytes[..bytes.len() - 2880]).expect("cut");
        match read_header(&path) {
            Err(FitsError::Corrupt(why)) => assert!(why.contains("cut short"), "{why}"),
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    #[test]
    fn a_directory_is_not_fits() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            read_header(dir.path()),
            Err(FitsError::NotFits(_))
        ));
    }

    #[test]
    fn an_empty_file_is_not_fits_and_says_it_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("empty.fits");
        std::fs::write(&path, b"").expect("write");
        match read_header(&path) {
            Err(FitsError::NotFits(why)) => assert!(why.contains("empty"), "{why}"),
            other => panic!("expected NotFits, got {other:?}"),
        }
    }
}
