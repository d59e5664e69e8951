//! `fitsheader`-style text output for `contimg-monitor fits-header FILE... [-k KEY]...` (pure).
//!
//! The output goes straight to a terminal, so the path and every card are sanitised here.

use crate::text::{sanitize_block, sanitize_line};

use super::{Card, HeaderDoc};

/// Every HDU's raw cards as astropy's `fitsheader` prints them: `# HDU {i} in {path}:` then
/// the cards, a blank line between HDUs. With `keywords` (case-insensitive, `*` and `?`
/// wildcards) only the matching cards are printed; a CONTINUE long string prints all its cards.
pub fn format_fitsheader(doc: &HeaderDoc, keywords: &[String]) -> String {
    let path = sanitize_line(&doc.path);
    let mut blocks = Vec::with_capacity(doc.hdus.len() + 1);
    for hdu in &doc.hdus {
        let mut block = format!("# HDU {} in {path}:\n", hdu.index);
        for card in hdu.cards.iter().filter(|c| wanted(c, keywords)) {
            for line in sanitize_block(&card.raw) {
                block.push_str(&line);
                block.push('\n');
            }
        }
        blocks.push(block);
    }
    if let Some(note) = &doc.note {
        blocks.push(format!("# Note: {}\n", sanitize_line(note)));
    }
    blocks.join("\n")
}

fn wanted(card: &Card, keywords: &[String]) -> bool {
    keywords.is_empty()
        || keywords
            .iter()
            .any(|pattern| keyword_matches(pattern.trim(), &card.key))
}

/// Case-insensitive glob match: `*` is any run of characters, `?` is one character.
pub fn keyword_matches(pattern: &str, keyword: &str) -> bool {
    let pattern: Vec<char> = pattern.to_uppercase().chars().collect();
    let keyword: Vec<char> = keyword.to_uppercase().chars().collect();
    glob(&pattern, &keyword)
}

/// Iterative wildcard matching with backtracking to the last `*` (linear in practice).
fn glob(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                last_star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match last_star {
                Some((star, matched)) => {
                    p = star + 1;
                    t = matched + 1;
                    last_star = Some((star, matched + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fits::card::parse_cards;
    use crate::fits::{Hdu, HeaderSummary};

    fn doc() -> HeaderDoc {
        HeaderDoc {
            path: "/stage/images/2025-10-21T14:23:19.img-image.fits".into(),
            file_bytes: 0,
            hdus: vec![
                Hdu {
                    index: 0,
                    kind: "PRIMARY".into(),
                    name: None,
                    cards: parse_cards(&[
                        "SIMPLE  =                    T",
                        "CTYPE1  = 'RA---SIN'",
                        "CTYPE2  = 'DEC--SIN'",
                        "BMAJ    = 0.004",
                        "WSCCMDL = 'wsclean -size 5040&'",
                        "CONTINUE  ' 5040'",
                        "HISTORY imaged",
                    ]),
                },
                Hdu {
                    index: 1,
                    kind: "IMAGE".into(),
                    name: Some("PSF".into()),
                    cards: parse_cards(&["XTENSION= 'IMAGE   '", "EXTNAME = 'PSF     '"]),
                },
            ],
            summary: HeaderSummary::default(),
            note: None,
        }
    }

    #[test]
    fn every_hdu_is_printed_with_its_raw_cards_like_fitsheader() {
        let text = format_fitsheader(&doc(), &[]);
        let expected = "\
# HDU 0 in /stage/images/2025-10-21T14:23:19.img-image.fits:
SIMPLE  =                    T
CTYPE1  = 'RA---SIN'
CTYPE2  = 'DEC--SIN'
BMAJ    = 0.004
WSCCMDL = 'wsclean -size 5040&'
CONTINUE  ' 5040'
HISTORY imaged

# HDU 1 in /stage/images/2025-10-21T14:23:19.img-image.fits:
XTENSION= 'IMAGE   '
EXTNAME = 'PSF     '
";
        assert_eq!(text, expected);
    }

    #[test]
    fn keywords_select_cards_case_insensitively_with_wildcards() {
        let keys = vec!["ctype*".to_string(), "bmaj".to_string()];
        let text = format_fitsheader(&doc(), &keys);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            vec![
                "# HDU 0 in /stage/images/2025-10-21T14:23:19.img-image.fits:",
                "CTYPE1  = 'RA---SIN'",
                "CTYPE2  = 'DEC--SIN'",
                "BMAJ    = 0.004",
                "",
                "# HDU 1 in /stage/images/2025-10-21T14:23:19.img-image.fits:",
            ]
        );
    }

    #[test]
    fn a_selected_long_string_prints_all_its_continue_cards() {
        let text = format_fitsheader(&doc(), &["WSCCMDL".to_string()]);
        assert!(text.contains("WSCCMDL = 'wsclean -size 5040&'\nCONTINUE  ' 5040'\n"));
    }

    #[test]
    fn escape_sequences_in_cards_do_not_reach_the_terminal() {
        let mut d = doc();
        d.hdus[0].cards = parse_cards(&["OBJECT  = '\u{1b}[2Jboom'"]);
        let text = format_fitsheader(&d, &[]);
        assert!(!text.contains('\u{1b}'));
    }

    #[test]
    fn the_gzip_note_is_printed_after_the_headers() {
        let mut d = doc();
        d.note = Some("gzip file: only the primary header was read".into());
        assert!(
            format_fitsheader(&d, &[])
                .ends_with("# Note: gzip file: only the primary header was read\n")
        );
    }

    #[test]
    fn wildcards_match_like_a_shell_glob() {
        assert!(keyword_matches("*", "BMAJ"));
        assert!(keyword_matches("B?AJ", "bmaj"));
        assert!(keyword_matches("C*1", "CTYPE1"));
        assert!(keyword_matches("*TYPE*", "CTYPE1"));
        assert!(!keyword_matches("C*2", "CTYPE1"));
        assert!(!keyword_matches("BMA", "BMAJ"));
        assert!(keyword_matches("date-obs", "DATE-OBS"));
    }
}
