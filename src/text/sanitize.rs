//! Make untrusted text inert. Database cells, FITS cards and log lines may hold escape
//! sequences, carriage returns or bidi overrides; none of them may reach the terminal.
//! Control characters become their visible Unicode "control picture" (ESC → `␛`), so an
//! operator sees that something odd is in the data instead of losing it.

/// One line for a table cell: newlines and tabs become visible marks or spaces.
pub fn sanitize_line(s: &str) -> String {
    if is_plain(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push('⏎'),
            '\r' => {}
            '\t' => out.push(' '),
            c => push_inert(&mut out, c),
        }
    }
    out
}

/// Every string of a JSON document (keys too) made inert in place, whole: line breaks stay
/// (JSON escapes them), every other control character, escape sequence and bidi override
/// becomes its visible mark, as on screen.
pub fn sanitize_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) if !is_plain(s) => *s = sanitize_block(s).join("\n"),
        Value::Array(items) => items.iter_mut().for_each(sanitize_json),
        Value::Object(map) => {
            let dirty: Vec<String> = map.keys().filter(|k| !is_plain(k)).cloned().collect();
            for key in dirty {
                if let Some(v) = map.remove(&key) {
                    map.insert(sanitize_line(&key), v);
                }
            }
            map.values_mut().for_each(sanitize_json);
        }
        _ => {}
    }
}

/// A block of text for a detail pane: split into lines, each line made inert.
/// `\r\n` and lone `\r` end lines too, so a CR cannot overwrite what came before.
pub fn sanitize_block(s: &str) -> Vec<String> {
    s.split('\n')
        .flat_map(|l| l.split('\r'))
        .map(|line| {
            if is_plain(line) {
                return line.to_string();
            }
            let mut out = String::with_capacity(line.len());
            for c in line.chars() {
                match c {
                    '\t' => out.push_str("    "),
                    c => push_inert(&mut out, c),
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .skip_while(|l| l.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

/// Printable ASCII only: nothing to replace. Most text is (every FITS card should be), and
/// copying it whole is several times faster than the per-character path.
fn is_plain(s: &str) -> bool {
    s.bytes().all(|b| (b' '..=b'~').contains(&b))
}

fn push_inert(out: &mut String, c: char) {
    match c {
        // C0 controls → U+2400..U+241F control pictures.
        '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('�')),
        '\u{7f}' => out.push('␡'),
        // C1 controls (CSI is U+009B and works as ESC[ on some terminals).
        '\u{80}'..='\u{9f}' => out.push('�'),
        // Bidi overrides/isolates and zero-width marks can reorder or hide what is shown.
        '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}' => out.push('�'),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_and_inert() {
        let evil = "ok\x1b[2J\x1b]0;pwned\x07done";
        let clean = sanitize_line(evil);
        assert!(!clean.chars().any(|c| c.is_control()), "{clean:?}");
        assert_eq!(clean, "ok␛[2J␛]0;pwned␇done");
    }

    #[test]
    fn c1_csi_and_bidi_overrides_are_replaced() {
        let clean = sanitize_line("a\u{9b}31mb\u{202e}cba");
        assert_eq!(clean, "a�31mb�cba");
    }

    #[test]
    fn a_cell_stays_on_one_line() {
        assert_eq!(sanitize_line("line1\r\nline2\tend"), "line1⏎line2 end");
    }

    #[test]
    fn a_block_splits_on_every_line_ending_and_drops_trailing_blank_lines() {
        assert_eq!(
            sanitize_block("a\r\nb\rc\n\n"),
            vec!["a".to_string(), String::new(), "b".into(), "c".into()]
        );
    }

    #[test]
    fn plain_text_and_unicode_pass_unchanged() {
        let s = "NVSS J123456.7+420312 — 1.2″ µJy";
        assert_eq!(sanitize_line(s), s);
    }
}

#[cfg(test)]
mod json_tests {
    use super::sanitize_json;

    #[test]
    fn every_json_string_and_key_is_inert_and_whole() {
        let mut v = serde_json::json!({
            "error": "\u{1b}[31mTraceback\u{1b}[0m\nline two \u{202e}evil",
            "list": ["ok", "bell\u{7}"],
            "k\u{1b}ey": 1,
        });
        sanitize_json(&mut v);
        let text = v.to_string();
        assert!(
            !text.contains("\\u001b") && !text.contains("\\u0007"),
            "{text}"
        );
        assert!(
            !text.contains('\u{202e}'),
            "bidi override neutralised: {text}"
        );
        let error = v["error"].as_str().unwrap();
        assert!(
            error.starts_with("␛[31mTraceback␛[0m\nline two "),
            "{error}"
        );
        assert!(error.ends_with("evil"), "the string is whole: {error}");
        assert!(v.get("k␛ey").is_some(), "{text}");
    }
}
