//! Reading a primary header straight from bytes, without CFITSIO.
//!
//! Used for gzip-compressed images: CFITSIO inflates a whole `.gz` file before it reads the
//! header (seconds for a 5040² image), while the header sits in the first few 2880-byte
//! blocks. Streaming the inflater up to the END card costs milliseconds.

use std::io::{self, Read};

use thiserror::Error;

pub const BLOCK_BYTES: usize = 2880;
const CARD_BYTES: usize = 80;
/// No real header is this long (7 200 cards); past it the file is not a header we understand.
const MAX_HEADER_BLOCKS: usize = 256;

#[derive(Debug, Error, PartialEq)]
pub enum BlockError {
    #[error("does not start with SIMPLE: {0}")]
    NotFits(String),
    #[error("{0}")]
    Corrupt(String),
}

/// The raw cards (right-trimmed, END excluded) of the first header in `reader`.
pub fn read_primary_header(reader: impl Read) -> Result<Vec<String>, BlockError> {
    let mut reader = reader;
    read_header_cards(&mut reader, true)?.ok_or_else(|| BlockError::NotFits(preview(&[])))
}

/// The raw cards of the next header in `reader`: the primary (`first`, starting with SIMPLE)
/// or an extension (starting with XTENSION). `None` when the stream ends cleanly where an
/// extension could start. Reads exactly up to the block holding END, nothing after it.
pub fn read_header_cards(
    reader: &mut impl Read,
    first: bool,
) -> Result<Option<Vec<String>>, BlockError> {
    let mut block = vec![0u8; BLOCK_BYTES];
    let mut cards = Vec::new();
    for block_index in 0..MAX_HEADER_BLOCKS {
        let filled = fill(reader, &mut block).map_err(|e| {
            BlockError::Corrupt(format!("cannot read header block {}: {e}", block_index + 1))
        })?;
        if block_index == 0 && first && !block[..filled].starts_with(b"SIMPLE  =") {
            return Err(BlockError::NotFits(preview(&block[..filled])));
        }
        if block_index == 0 && !first {
            if filled == 0 {
                return Ok(None);
            }
            if !block[..filled].starts_with(b"XTENSION=") {
                return Err(BlockError::NotFits(format!(
                    "no extension header follows ({} bytes that {})",
                    filled,
                    preview(&block[..filled]).replacen("starts", "start", 1)
                )));
            }
        }
        if filled < BLOCK_BYTES {
            return Err(BlockError::Corrupt(format!(
                "header ends without an END card after {} bytes",
                block_index * BLOCK_BYTES + filled
            )));
        }
        for record in block.chunks_exact(CARD_BYTES) {
            if !record.iter().all(|b| (b' '..=b'~').contains(b)) {
                return Err(BlockError::Corrupt(format!(
                    "header block {} holds non-ASCII bytes",
                    block_index + 1
                )));
            }
            let text = String::from_utf8_lossy(record);
            let text = text.trim_end();
            if text == "END" {
                return Ok(Some(cards));
            }
            cards.push(text.to_string());
        }
    }
    Err(BlockError::Corrupt(format!(
        "no END card in the first {MAX_HEADER_BLOCKS} header blocks"
    )))
}

/// The bytes of a header holding `cards` (each cut or padded to 80 columns), then END, padded
/// with spaces to whole blocks: the inverse of [`read_primary_header`].
pub fn encode_header(cards: &[String]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity((cards.len() + 1) * CARD_BYTES + BLOCK_BYTES);
    for card in cards.iter().map(String::as_str).chain(["END"]) {
        let mut record = card.as_bytes()[..card.len().min(CARD_BYTES)].to_vec();
        record.resize(CARD_BYTES, b' ');
        bytes.extend_from_slice(&record);
    }
    bytes.resize(bytes.len().div_ceil(BLOCK_BYTES) * BLOCK_BYTES, b' ');
    bytes
}

/// Read until `buffer` is full or the stream ends; returns the bytes read.
pub(crate) fn fill(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The first few printable characters, so "not FITS" messages show what the file is instead.
pub fn preview(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "the file is empty".to_string();
    }
    let text: String = bytes
        .iter()
        .take(24)
        .map(|&b| {
            if (b' '..=b'~').contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    format!("starts with \"{}\"", text.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cards: &[&str], blocks: usize) -> Vec<u8> {
        let mut bytes: Vec<u8> = cards
            .iter()
            .flat_map(|c| format!("{c:<80}").into_bytes())
            .collect();
        bytes.resize(blocks * BLOCK_BYTES, b' ');
        bytes
    }

    #[test]
    fn the_cards_up_to_end_are_returned() {
        let bytes = header(&["SIMPLE  =                    T", "NAXIS   = 0", "END"], 1);
        let cards = read_primary_header(&bytes[..]).expect("header");
        assert_eq!(cards, vec!["SIMPLE  =                    T", "NAXIS   = 0"]);
    }

    #[test]
    fn a_header_spanning_two_blocks_is_read_whole_and_nothing_after_end_is_read() {
        let mut names: Vec<String> = vec!["SIMPLE  =                    T".to_string()];
        names.extend((0..40).map(|i| format!("HISTORY step {i}")));
        names.push("END".to_string());
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut bytes = header(&refs, 2);
        bytes.extend_from_slice(&[0xff; 100]); // data follows: must not be parsed
        let cards = read_primary_header(&bytes[..]).expect("header");
        assert_eq!(cards.len(), 41);
        assert_eq!(cards[40], "HISTORY step 39");
    }

    #[test]
    fn encoded_cards_read_back_as_the_same_cards_in_whole_blocks() {
        let mut cards = vec!["SIMPLE  =                    T".to_string()];
        cards.extend((0..36).map(|i| format!("HISTORY step {i}")));
        let bytes = encode_header(&cards);
        // 37 cards and END are 38 records: two blocks.
        assert_eq!(bytes.len(), 2 * BLOCK_BYTES);
        assert_eq!(read_primary_header(&bytes[..]).expect("header"), cards);
    }

    #[test]
    fn a_text_file_is_not_fits_and_says_what_it_starts_with() {
        let err = read_primary_header(&b"hello operator\n"[..]).expect_err("text");
        assert_eq!(
            err,
            BlockError::NotFits("starts with \"hello operator.\"".into())
        );
    }

    #[test]
    fn a_header_cut_short_is_corrupt() {
        let bytes = header(&["SIMPLE  =                    T"], 1);
        let err = read_primary_header(&bytes[..1000]).expect_err("cut");
        assert!(matches!(err, BlockError::Corrupt(m) if m.contains("1000 bytes")));
    }

    #[test]
    fn a_header_without_end_is_corrupt() {
        let bytes = header(&["SIMPLE  =                    T"], 2);
        assert!(matches!(
            read_primary_header(&bytes[..]),
            Err(BlockError::Corrupt(_))
        ));
    }
}
