//! Error signatures: the error text with its variable parts (UUIDs, timestamps, paths, quoted
//! values, hex, numbers) replaced by placeholders. "No such file /stage/…/2025-10-21T14:23:19.ms"
//! and the same error on another MS share one signature; different errors keep theirs.

use std::sync::LazyLock;

use regex::Regex;

/// Signatures longer than this are cut: the head of an error says what it is.
pub const SIGNATURE_MAX_CHARS: usize = 200;

struct Rule {
    pattern: Regex,
    replacement: &'static str,
}

fn rule(pattern: &str, replacement: &'static str) -> Rule {
    Rule {
        pattern: Regex::new(pattern).expect("signature patterns are valid (tested)"),
        replacement,
    }
}

/// Applied in order: the specific shapes first, so a timestamp inside a path or a UUID is not
/// cut into numbers before the path or UUID rule sees it.
static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    vec![
        // Quoted values: what the quotes hold varies (names, paths, values), the quotes stay.
        // A quote must follow a non-word character, so "can't" is no quote.
        rule(r#"(^|[^\w])'[^'\n]*'"#, "${1}'<val>'"),
        rule(r#"(^|[^\w])"[^"\n]*""#, "${1}\"<val>\""),
        rule(
            r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            "<uuid>",
        ),
        // Absolute paths (MS paths carry a timestamp with colons); a trailing ':' or '.' is
        // punctuation of the sentence, not of the path.
        rule(
            r#"(^|[\s=(\[,<>])/[^\s'"(),;\[\]{}<>]*[^\s'"(),;\[\]{}<>:.]"#,
            "${1}<path>",
        ),
        rule(
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b",
            "<time>",
        ),
        rule(r"(?i)\b0x[0-9a-f]+\b", "<hex>"),
        // Long hex runs (hashes, ids) with at least one digit and one letter.
        rule(
            r"(?i)\b(?:[0-9a-f]*[0-9][0-9a-f]*[a-f]|[0-9a-f]*[a-f][0-9a-f]*[0-9])[0-9a-f]*\b",
            "<hex?>",
        ),
        // MJD values and every other number, signed, decimal or in exponent form.
        rule(r"[-+]?\b\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b", "<n>"),
        rule(r"\s+", " "),
    ]
});

/// A short hex-looking word is more often a real word ("bad", "deadbeef" aside) or part of
/// a name; only runs of at least this many characters count as hex.
const HEX_RUN_MIN: usize = 8;

/// The signature of an error text (its first line is what is grouped).
pub fn signature(error: &str) -> String {
    let first = error
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut text = first.to_string();
    for r in RULES.iter() {
        if r.replacement == "<hex?>" {
            text = r
                .pattern
                .replace_all(&text, |c: &regex::Captures| {
                    let m = &c[0];
                    if m.len() >= HEX_RUN_MIN {
                        "<hex>".to_string()
                    } else {
                        m.to_string()
                    }
                })
                .into_owned();
        } else {
            text = r.pattern.replace_all(&text, r.replacement).into_owned();
        }
    }
    let text = text.trim();
    if text.chars().count() > SIGNATURE_MAX_CHARS {
        let mut cut: String = text.chars().take(SIGNATURE_MAX_CHARS - 1).collect();
        cut.push('…');
        cut
    } else {
        text.to_string()
    }
}

/// The longest literal part of a signature (no placeholder, no quote), trimmed of
/// punctuation: a substring every error of the group contains, for an `error:` filter.
pub fn narrowing_text(signature: &str) -> Option<String> {
    let mut best = "";
    for part in signature.split(['<', '>', '\'', '"']) {
        // Pieces inside a placeholder are its name: skip them by their exact names.
        if matches!(part, "n" | "val" | "uuid" | "path" | "time" | "hex") {
            continue;
        }
        let trimmed = part.trim_matches(|c: char| c.is_whitespace() || ",.;:=()[]".contains(c));
        if trimmed.chars().count() > best.chars().count() {
            best = trimmed;
        }
    }
    let best = best.trim_end_matches('…').trim();
    (best.chars().count() >= 3).then(|| best.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_missing_file_on_two_measurement_sets_has_one_signature() {
        let a = signature(
            "FileNotFoundError: No such file /stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms",
        );
        let b = signature(
            "FileNotFoundError: No such file /stage/dsa110-contimg/ms/2025-10-22T03:11:52.ms",
        );
        assert_eq!(a, b);
        assert_eq!(a, "FileNotFoundError: No such file <path>");
    }

    #[test]
    fn different_errors_keep_different_signatures() {
        let a = signature("Calibration solve failed for 2025-10-21T14:23:19: no solutions");
        let b = signature("Imaging failed for 2025-10-21T14:23:19: wsclean exited with 137");
        assert_ne!(a, b);
        assert_eq!(a, "Calibration solve failed for <time>: no solutions");
        assert_eq!(b, "Imaging failed for <time>: wsclean exited with <n>");
    }

    #[test]
    fn numbers_mjd_hex_uuids_and_quoted_values_are_normalised() {
        assert_eq!(
            signature("flagging fraction 0.87 exceeds 0.80 at MJD 60969.5996"),
            "flagging fraction <n> exceeds <n> at MJD <n>"
        );
        assert_eq!(
            signature("task 0b7f3c1e-8a2d-4f6b-9c3e-1d2a3b4c5d6e lost its worker at 0x7f3a2c"),
            "task <uuid> lost its worker at <hex>"
        );
        assert_eq!(
            signature("KeyError: 'NVSS J123456.7+420312' not in catalog \"master\""),
            "KeyError: '<val>' not in catalog \"<val>\""
        );
        assert_eq!(
            signature("commit 3fa9c2e1b7d04e55 rejected"),
            "commit <hex> rejected"
        );
    }

    #[test]
    fn words_stay_words() {
        assert_eq!(
            signature("can't open the database: database is locked"),
            "can't open the database: database is locked"
        );
        assert_eq!(signature("bad  beef\tcafe"), "bad beef cafe");
    }

    #[test]
    fn only_the_first_line_counts_and_long_text_is_cut() {
        assert_eq!(
            signature("\n  OSError: disk full\nmore detail"),
            "OSError: disk full"
        );
        let long = "x".repeat(500);
        assert_eq!(signature(&long).chars().count(), SIGNATURE_MAX_CHARS);
    }

    #[test]
    fn a_group_is_narrowed_by_its_longest_literal_text() {
        assert_eq!(
            narrowing_text("FileNotFoundError: No such file <path>").as_deref(),
            Some("FileNotFoundError: No such file")
        );
        assert_eq!(
            narrowing_text("Calibration solve failed for <time>: no solutions").as_deref(),
            Some("Calibration solve failed for")
        );
        assert_eq!(narrowing_text("<n>"), None);
    }
}
