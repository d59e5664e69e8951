//! The filter language typed after `/`: free words and `field:value` terms, each negated by a
//! leading `!`, all of which must hold. Values may be quoted (`"No such file"`).
//! Matching is case-insensitive substring, except where a list documents exact fields.

use std::fmt;

/// One condition of a filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Term {
    /// `None` for a free word, matched against every text column of the list.
    pub field: Option<String>,
    pub value: String,
    pub negated: bool,
}

/// All terms must match (AND).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filter {
    pub terms: Vec<Term>,
}

impl Filter {
    /// Parse what the operator typed. Never fails: an unbalanced quote runs to the end,
    /// an empty `field:` or a lone `!` is ignored.
    pub fn parse(input: &str) -> Filter {
        let terms = split_words(input)
            .into_iter()
            .filter_map(|word| parse_term(&word))
            .collect();
        Filter { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Terms on one field (case-insensitive name).
    pub fn field_terms<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a Term> + 'a {
        self.terms.iter().filter(move |t| {
            t.field
                .as_deref()
                .is_some_and(|f| f.eq_ignore_ascii_case(field))
        })
    }

    /// A copy with one extra term (used by `f`, failed-only, which is `status:failed`).
    pub fn with_term(&self, term: Term) -> Filter {
        let mut f = self.clone();
        if !f.terms.contains(&term) {
            f.terms.push(term);
        }
        f
    }

    /// A copy without any term equal to `term`.
    pub fn without_term(&self, term: &Term) -> Filter {
        Filter {
            terms: self.terms.iter().filter(|t| *t != term).cloned().collect(),
        }
    }

    /// Evaluate in memory. `field_value(name)` gives a row's value for a named field (or
    /// `None` when the row has no such field); free words match any of `text_fields`.
    pub fn matches(
        &self,
        field_value: impl Fn(&str) -> Option<String>,
        text_fields: &[&str],
    ) -> bool {
        self.terms.iter().all(|term| {
            let needle = term.value.to_lowercase();
            let hit = match &term.field {
                Some(field) => {
                    field_value(field).is_some_and(|v| v.to_lowercase().contains(&needle))
                }
                None => text_fields
                    .iter()
                    .any(|f| field_value(f).is_some_and(|v| v.to_lowercase().contains(&needle))),
            };
            hit != term.negated
        })
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.terms.iter().map(|t| t.to_string()).collect();
        f.write_str(&parts.join(" "))
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_str("!")?;
        }
        if let Some(field) = &self.field {
            write!(f, "{field}:")?;
        }
        if self.value.contains(char::is_whitespace) {
            write!(f, "\"{}\"", self.value)
        } else {
            f.write_str(&self.value)
        }
    }
}

/// Split on whitespace outside double quotes; quotes are kept so `parse_term` can tell
/// `"a:b"` (a quoted free word) from `a:b`.
fn split_words(input: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    for c in input.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                current.push(c);
            }
            c if c.is_whitespace() && !in_quotes => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn parse_term(word: &str) -> Option<Term> {
    let (negated, rest) = match word.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, word),
    };
    let (field, value) = match rest.split_once(':') {
        Some((field, value))
            if field.starts_with(|c: char| c.is_ascii_alphabetic())
                && field
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
        {
            (Some(field.to_ascii_lowercase()), value)
        }
        _ => (None, rest),
    };
    let value = value.replace('"', "");
    if value.is_empty() {
        return None;
    }
    Some(Term {
        field,
        value,
        negated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(field: Option<&str>, value: &str, negated: bool) -> Term {
        Term {
            field: field.map(str::to_string),
            value: value.to_string(),
            negated,
        }
    }

    #[test]
    fn free_words_and_field_terms() {
        let f = Filter::parse("imaging status:failed");
        assert_eq!(
            f.terms,
            vec![
                term(None, "imaging", false),
                term(Some("status"), "failed", false)
            ]
        );
    }

    #[test]
    fn bang_negates_either_kind() {
        let f = Filter::parse("!status:succeeded !pbcor");
        assert_eq!(
            f.terms,
            vec![
                term(Some("status"), "succeeded", true),
                term(None, "pbcor", true)
            ]
        );
    }

    #[test]
    fn quotes_keep_spaces_and_colons_in_one_value() {
        let f = Filter::parse("error:\"No such file\" \"a:b\"");
        assert_eq!(
            f.terms,
            vec![
                term(Some("error"), "No such file", false),
                term(None, "a:b", false)
            ]
        );
    }

    #[test]
    fn field_names_are_case_insensitive_and_values_keep_case() {
        let f = Filter::parse("Status:Failed");
        assert_eq!(f.terms, vec![term(Some("status"), "Failed", false)]);
    }

    #[test]
    fn a_path_value_with_colons_keeps_its_tail() {
        let f = Filter::parse("ms:2025-10-21T14:23:19");
        assert_eq!(
            f.terms,
            vec![term(Some("ms"), "2025-10-21T14:23:19", false)]
        );
    }

    #[test]
    fn a_bare_time_is_a_free_word_not_a_field() {
        assert_eq!(
            Filter::parse("14:05").terms,
            vec![term(None, "14:05", false)]
        );
    }

    #[test]
    fn empty_and_broken_input_never_fails() {
        assert!(Filter::parse("").is_empty());
        assert!(Filter::parse("  ! status: ").is_empty());
        assert_eq!(
            Filter::parse("\"unclosed words").terms,
            vec![term(None, "unclosed words", false)]
        );
    }

    #[test]
    fn display_round_trips() {
        let text = "!status:failed \"two words\" kind:imaging";
        assert_eq!(Filter::parse(text).to_string(), text);
    }

    #[test]
    fn in_memory_matching_honours_negation_and_free_words() {
        let row = |f: &str| match f {
            "status" => Some("failed".to_string()),
            "name" => Some("NVSS J123456.7+420312".to_string()),
            _ => None,
        };
        assert!(Filter::parse("status:fail").matches(row, &["name"]));
        assert!(!Filter::parse("!status:failed").matches(row, &["name"]));
        assert!(Filter::parse("j1234").matches(row, &["name"]));
        assert!(!Filter::parse("nosuchfield:x").matches(row, &["name"]));
        assert!(Filter::parse("!nosuchfield:x").matches(row, &["name"]));
    }
}
