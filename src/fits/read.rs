//! Reading every header of an image: a FITS file, a gzip FITS file, or a CASA image directory.
//!
//! [`read_header`] first finds what to read ([`super::locate`]: the row's path, or another
//! name of the same image when that one is missing), then reads it. Plain FITS files go
//! through CFITSIO (`ffi`), opened as disk files so names like `img[1].fits` are taken
//! literally. Gzip files take a pure-Rust path: each header is inflated up to its END card and
//! each HDU's data, whose size the header gives, is inflated and discarded, never held (CFITSIO
//! would inflate the whole file into memory first). CASA directories go to [`super::casa`].

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::block::{self, BLOCK_BYTES, BlockError};
use super::card::parse_cards;
use super::casa::read_casa_image;
use super::ffi::{CfitsioError, FitsHandle, HduKind, StatusClass, classify_status};
use super::locate::locate;
use super::summary::{lookup, parse_number, summarize};
use super::{FitsError, Hdu, HeaderDoc};

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const FITS_MAGIC: &[u8] = b"SIMPLE  =";
/// Other compressions CFITSIO inflates itself (compress `.Z`, pkzip, bzip2).
const OTHER_COMPRESSED_MAGIC: [&[u8]; 3] = [&[0x1f, 0x9d], b"PK\x03\x04", b"BZh"];
/// More HDUs than any image file here has; past it the rest is not listed.
const MAX_GZIP_HDUS: usize = 1000;

/// Read all headers of the image at `path` (a FITS file, gzip or not, or a CASA image
/// directory), or of another name of the same image when `path` does not exist.
pub fn read_header(path: &Path) -> Result<HeaderDoc, FitsError> {
    let location = locate(path)?;
    let mut doc = if location.is_dir {
        read_casa_image(&location.actual)?
    } else {
        read_fits_file(&location.actual)?
    };
    if let Some(note) = location.note() {
        doc.note = Some(match doc.note.take() {
            Some(other) => format!("{note}; {other}"),
            None => note,
        });
    }
    Ok(doc)
}

/// Read all headers of the FITS file at `path`.
pub fn read_fits_file(path: &Path) -> Result<HeaderDoc, FitsError> {
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
        read_gzip(file, &shown)?
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

/// Every HDU's header of a gzip FITS file, as astropy's `fitsheader` lists them, and a note
/// when something after the last complete HDU could not be read.
fn read_gzip(file: File, shown: &str) -> Result<(Vec<Hdu>, Option<String>), FitsError> {
    let mut inflater = MultiGzDecoder::new(BufReader::new(file));
    let block_error = |e: BlockError, index: usize| match e {
        BlockError::NotFits(why) if index == 0 => {
            FitsError::NotFits(format!("{shown} (gzip content {why})"))
        }
        BlockError::NotFits(why) | BlockError::Corrupt(why) => {
            FitsError::Corrupt(format!("{shown}: HDU {index}: {why}"))
        }
    };
    let mut hdus = Vec::new();
    let mut note = None;
    while hdus.len() < MAX_GZIP_HDUS {
        let index = hdus.len();
        let raw_cards = match block::read_header_cards(&mut inflater, index == 0) {
            Ok(Some(cards)) => cards,
            Ok(None) => break,
            Err(e) if index == 0 => return Err(block_error(e, 0)),
            Err(e) => {
                // The HDUs before are good; say why the list stops here.
                note = Some(format!(
                    "after HDU {}: {}",
                    index - 1,
                    block_error(e, index)
                ));
                break;
            }
        };
        let kind = if index == 0 {
            HduKind::Primary
        } else {
            extension_kind(&raw_cards)
        };
        let hdu = make_hdu(index, kind, &raw_cards);
        let data = data_bytes(&hdu);
        hdus.push(hdu);
        match data {
            Some(bytes) => {
                let skipped = io::copy(&mut (&mut inflater).take(bytes), &mut io::sink())
                    .map_err(|e| FitsError::Corrupt(format!("{shown}: HDU {index} data: {e}")))?;
                if skipped < bytes {
                    note = Some(format!(
                        "HDU {index} is cut short: its data needs {bytes} bytes, the file has {skipped}"
                    ));
                    break;
                }
            }
            None => {
                note = Some(format!(
                    "HDU {index}'s data size cannot be worked out from its header; later HDUs were not scanned"
                ));
                break;
            }
        }
    }
    if hdus.len() == MAX_GZIP_HDUS {
        note = Some(format!("only the first {MAX_GZIP_HDUS} HDUs are listed"));
    }
    Ok((hdus, note))
}

fn extension_kind(raw_cards: &[String]) -> HduKind {
    let cards = parse_cards(&raw_cards[..raw_cards.len().min(1)]);
    match cards
        .first()
        .and_then(|c| c.value.as_deref())
        .map(str::trim)
    {
        Some("IMAGE") => HduKind::Image,
        Some("BINTABLE") | Some("A3DTABLE") => HduKind::BinaryTable,
        Some("TABLE") => HduKind::AsciiTable,
        _ => HduKind::Unknown,
    }
}

/// The bytes of an HDU's data on disk, padded to whole blocks (the FITS standard's
/// `|BITPIX|/8 × GCOUNT × (PCOUNT + NAXIS1 × … × NAXISn)`; random groups skip NAXIS1).
fn data_bytes(hdu: &Hdu) -> Option<u64> {
    let number = |key: &str| lookup(hdu, key).and_then(parse_number);
    let bitpix = number("BITPIX")?;
    let naxis = number("NAXIS")?;
    if !(0.0..=999.0).contains(&naxis) || ![8.0, 16.0, 32.0, 64.0].contains(&bitpix.abs()) {
        return None;
    }
    let naxis = naxis as usize;
    if naxis == 0 {
        return Some(0);
    }
    let groups = lookup(hdu, "GROUPS").is_some_and(|v| v.trim() == "T");
    let mut elements: u64 = 1;
    for n in 1..=naxis {
        let size = number(&format!("NAXIS{n}"))?;
        if size < 0.0 {
            return None;
        }
        if n == 1 && groups && size == 0.0 {
            continue;
        }
        elements = elements.checked_mul(size as u64)?;
    }
    let pcount = number("PCOUNT").unwrap_or(0.0).max(0.0) as u64;
    let gcount = number("GCOUNT").unwrap_or(1.0).max(0.0) as u64;
    let bytes = (bitpix.abs() as u64 / 8)
        .checked_mul(gcount)?
        .checked_mul(pcount.checked_add(elements)?)?;
    let block = BLOCK_BYTES as u64;
    bytes.div_ceil(block).checked_mul(block)
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
    fn a_directory_that_is_no_table_is_not_an_image_and_says_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        match read_header(dir.path()) {
            Err(FitsError::NotAnImage { what, .. }) => {
                assert!(what.contains("not a CASA image"), "{what}")
            }
            other => panic!("expected NotAnImage, got {other:?}"),
        }
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
