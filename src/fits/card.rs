//! Parsing raw 80-column header cards (pure).
//!
//! Layout (FITS standard 4.0, section 4.1): columns 1–8 hold the keyword, columns 9–10 the value
//! indicator `= `, and the value with an optional `/ comment` follows. Strings are quoted with
//! `'` and a quote inside a string is doubled (`''`). CONTINUE cards have no value indicator;
//! COMMENT, HISTORY and blank-keyword cards carry free text.
//!
//! CONTINUE joining: `join_continue` folds a string ending in `&` and the CONTINUE cards that
//! follow it into one `Card`; its `value` is the whole string and its `raw` holds the raw text
//! of every card involved joined with `'\n'`, so the raw view still shows each card.

use super::Card;

const KEYWORD_COLUMNS: usize = 8;
const CONTINUE: &str = "CONTINUE";

/// Parse one card (80 columns; shorter or right-trimmed text is accepted).
///
/// Works on string slices, columns counted in characters: a header has thousands of cards
/// (`fits-header` on 200 images parses about 11 000), so no per-card copies beyond the
/// `Card`'s own fields.
pub fn parse_card(raw: &str) -> Card {
    let raw = raw.trim_end();
    let keyword_end = char_offset(raw, KEYWORD_COLUMNS).unwrap_or(raw.len());
    let keyword = raw[..keyword_end].trim().to_ascii_uppercase();
    let rest = &raw[keyword_end..];

    if keyword == "HIERARCH" {
        return parse_hierarch(raw, rest);
    }
    if matches!(keyword.as_str(), "COMMENT" | "HISTORY" | "") {
        return commentary(raw, keyword, rest);
    }
    let value_field = if let Some(field) = rest.strip_prefix("= ") {
        field
    } else if rest == "=" {
        ""
    } else if keyword == CONTINUE {
        rest
    } else {
        // A keyword without a value indicator is free text, like COMMENT.
        return commentary(raw, keyword, rest);
    };
    let (value, comment) = parse_value_field(value_field);
    Card {
        raw: raw.to_string(),
        key: keyword,
        value,
        comment,
    }
}

/// The byte offset of the `column`-th character (0-based), if the text is that long.
fn char_offset(text: &str, column: usize) -> Option<usize> {
    if text.is_ascii() {
        return (column < text.len()).then_some(column);
    }
    text.char_indices().nth(column).map(|(i, _)| i)
}

/// `HIERARCH ESO DET CHIP = value / comment`: the keyword runs up to the `=`.
fn parse_hierarch(raw: &str, rest: &str) -> Card {
    match rest.find('=') {
        Some(equals) => {
            let (value, comment) = parse_value_field(&rest[equals + 1..]);
            Card {
                raw: raw.to_string(),
                key: rest[..equals].trim().to_string(),
                value,
                comment,
            }
        }
        None => commentary(raw, "HIERARCH".to_string(), rest),
    }
}

fn commentary(raw: &str, keyword: String, rest: &str) -> Card {
    let text = rest.trim();
    Card {
        raw: raw.to_string(),
        key: keyword,
        value: (!text.is_empty()).then(|| text.to_string()),
        comment: None,
    }
}

/// Split a value field into (value, comment). String values lose their quotes, `''` becomes
/// `'` and trailing blanks inside the quotes are dropped (they are not significant in FITS).
fn parse_value_field(field: &str) -> (Option<String>, Option<String>) {
    let field = field.trim_start_matches(' ');
    if field.is_empty() {
        return (None, None);
    }
    if let Some(body) = field.strip_prefix('\'') {
        let (text, after) = read_quoted(body);
        let value = text.trim_end().to_string();
        (Some(value), comment_after(after))
    } else {
        let slash = field.find('/');
        let value = field[..slash.unwrap_or(field.len())].trim();
        let comment = slash.and_then(|s| comment_after(&field[s..]));
        ((!value.is_empty()).then(|| value.to_string()), comment)
    }
}

/// Read a string body after its opening quote; returns the text and what follows the closing
/// quote. An unterminated string runs to the end of the card.
fn read_quoted(body: &str) -> (String, &str) {
    let mut text = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(quote) = rest.find('\'') {
        text.push_str(&rest[..quote]);
        let after = &rest[quote + 1..];
        match after.strip_prefix('\'') {
            Some(more) => {
                text.push('\'');
                rest = more;
            }
            None => return (text, after),
        }
    }
    text.push_str(rest);
    (text, "")
}

fn comment_after(after: &str) -> Option<String> {
    let slash = after.find('/')?;
    let comment = after[slash + 1..].trim();
    (!comment.is_empty()).then(|| comment.to_string())
}

/// Whether the card's value is a quoted string (only those can be continued).
fn has_string_value(card: &Card) -> bool {
    let column = if card.key == CONTINUE {
        KEYWORD_COLUMNS
    } else {
        KEYWORD_COLUMNS + 2
    };
    char_offset(&card.raw, column).and_then(|start| card.raw[start..].chars().find(|&c| c != ' '))
        == Some('\'')
}

fn continues(card: &Card) -> bool {
    has_string_value(card) && card.value.as_deref().is_some_and(|v| v.ends_with('&'))
}

/// Fold `&`-continued strings and their CONTINUE cards into one card each (see module docs).
/// A CONTINUE card that follows nothing to continue is kept as it is.
pub fn join_continue(cards: Vec<Card>) -> Vec<Card> {
    let mut joined: Vec<Card> = Vec::with_capacity(cards.len());
    let mut open = false;
    for card in cards {
        let is_continuation = card.key == CONTINUE && has_string_value(&card);
        match joined.last_mut() {
            Some(head) if open && is_continuation => {
                let piece = card.value.clone().unwrap_or_default();
                if let Some(value) = head.value.as_mut() {
                    value.pop(); // the '&' marker
                    value.push_str(&piece);
                }
                head.raw.push('\n');
                head.raw.push_str(&card.raw);
                if card.comment.is_some() {
                    head.comment = card.comment.clone();
                }
                open = piece.ends_with('&');
            }
            _ => {
                open = continues(&card);
                joined.push(card);
            }
        }
    }
    joined
}

/// Parse and join a header's raw cards.
pub fn parse_cards<S: AsRef<str>>(raw_cards: &[S]) -> Vec<Card> {
    join_continue(raw_cards.iter().map(|c| parse_card(c.as_ref())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(text: &str) -> Card {
        parse_card(text)
    }

    #[test]
    fn a_string_value_loses_its_quotes_and_padding() {
        let c = card("BUNIT   = 'JY/BEAM '           / Units are in Jansky per beam");
        assert_eq!(c.key, "BUNIT");
        assert_eq!(c.value.as_deref(), Some("JY/BEAM"));
        assert_eq!(c.comment.as_deref(), Some("Units are in Jansky per beam"));
    }

    #[test]
    fn a_doubled_quote_inside_a_string_is_one_quote_and_a_slash_inside_is_not_a_comment() {
        let c = card("OBSERVER= 'O''Brien / night shift' / who observed");
        assert_eq!(c.value.as_deref(), Some("O'Brien / night shift"));
        assert_eq!(c.comment.as_deref(), Some("who observed"));
    }

    #[test]
    fn numbers_and_logicals_keep_their_text() {
        let c = card("CDELT1  = -0.000694444444444444 / deg");
        assert_eq!(c.value.as_deref(), Some("-0.000694444444444444"));
        assert_eq!(c.comment.as_deref(), Some("deg"));
        let c = card("SIMPLE  =                    T / file does conform to FITS standard");
        assert_eq!(c.value.as_deref(), Some("T"));
        let c = card("RESTFREQ=   1.405D+09");
        assert_eq!(c.value.as_deref(), Some("1.405D+09"));
        assert_eq!(c.comment, None);
    }

    #[test]
    fn an_empty_value_is_none() {
        let c = card("DATE-OBS=                      / not known");
        assert_eq!(c.key, "DATE-OBS");
        assert_eq!(c.value, None);
        assert_eq!(c.comment.as_deref(), Some("not known"));
    }

    #[test]
    fn history_comment_and_blank_cards_keep_their_text_and_are_commentary() {
        let h = card("HISTORY imaged with wsclean = 3.4 / not a comment");
        assert_eq!(h.key, "HISTORY");
        assert_eq!(
            h.value.as_deref(),
            Some("imaged with wsclean = 3.4 / not a comment")
        );
        assert!(h.is_commentary());
        let c = card("COMMENT   and Astrophysics', volume 376, page 359");
        assert_eq!(
            c.value.as_deref(),
            Some("and Astrophysics', volume 376, page 359")
        );
        assert!(c.is_commentary());
        let blank = card("        just some text");
        assert_eq!(blank.key, "");
        assert_eq!(blank.value.as_deref(), Some("just some text"));
        assert!(blank.is_commentary());
        assert!(!card("BMAJ    = 0.001").is_commentary());
    }

    #[test]
    fn raw_text_is_kept_right_trimmed() {
        let c = card(
            "TELESCOP= 'OVRO    '                                                            ",
        );
        assert_eq!(c.raw, "TELESCOP= 'OVRO    '");
    }

    #[test]
    fn hierarch_keywords_run_up_to_the_equals_sign() {
        let c = card("HIERARCH ESO DET CHIP = 'CCD-44' / detector");
        assert_eq!(c.key, "ESO DET CHIP");
        assert_eq!(c.value.as_deref(), Some("CCD-44"));
    }

    #[test]
    fn a_continued_command_line_is_joined_whole_and_raw_keeps_every_card() {
        let cards = parse_cards(&[
            "WSCCMDL = 'wsclean -size 5040 5040 -scale 2.5asec -niter 10000 -mgain 0.8 -aut&'",
            "CONTINUE  'o-threshold 3 -name /stage/img ''quoted'' &'",
            "CONTINUE  'end'   / imager command line",
            "HISTORY imaged",
        ]);
        assert_eq!(cards.len(), 2);
        let command = &cards[0];
        assert_eq!(command.key, "WSCCMDL");
        assert_eq!(
            command.value.as_deref(),
            Some(
                "wsclean -size 5040 5040 -scale 2.5asec -niter 10000 -mgain 0.8 \
                 -auto-threshold 3 -name /stage/img 'quoted' end"
            )
        );
        assert_eq!(command.comment.as_deref(), Some("imager command line"));
        assert_eq!(command.raw.lines().count(), 3);
        assert!(
            command
                .raw
                .lines()
                .nth(2)
                .is_some_and(|l| l.starts_with("CONTINUE"))
        );
        assert_eq!(cards[1].key, "HISTORY");
    }

    #[test]
    fn a_continue_card_without_an_ampersand_before_it_stays_on_its_own() {
        let cards = parse_cards(&["OBJECT  = 'field'", "CONTINUE  'stray'"]);
        assert_eq!(cards.len(), 2);
        assert_eq!(cards[0].value.as_deref(), Some("field"));
        assert_eq!(cards[1].key, "CONTINUE");
        assert_eq!(cards[1].value.as_deref(), Some("stray"));
    }

    #[test]
    fn an_ampersand_in_a_number_comment_does_not_continue() {
        let cards = parse_cards(&["NITER   = 5 / a & b", "CONTINUE  'x'"]);
        assert_eq!(cards.len(), 2);
    }

    #[test]
    fn cards_that_end_at_or_before_the_value_columns_parse() {
        let c = card("OBJECT  =");
        assert_eq!((c.key.as_str(), c.value, c.comment), ("OBJECT", None, None));
        let c = card("DATE");
        assert_eq!((c.key.as_str(), c.value), ("DATE", None));
        let cards = parse_cards(&["OBJECT  = 'a&'", "CONTINUE"]);
        assert_eq!(cards.len(), 2, "a bare CONTINUE has no string to add");
        assert_eq!(cards[0].value.as_deref(), Some("a&"));
    }

    #[test]
    fn non_ascii_text_does_not_panic() {
        let c = card("OBJECT  = 'Cygnus A – core' / é");
        assert_eq!(c.value.as_deref(), Some("Cygnus A – core"));
        assert_eq!(card("ÉÉÉ").key, "ÉÉÉ");
    }
}
