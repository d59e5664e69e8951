//! Small pure helpers the panes share: wrapping, packing facts onto lines, headings.
//! Inputs are already sanitised; these only arrange text.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::theme::Theme;
use crate::text::fmt_utc;

/// Wrap one line to `width` characters, breaking after spaces where possible so words stay
/// whole, and hard-breaking words longer than the width (paths, JSON).
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= width {
        return vec![line.to_string()];
    }
    let mut out = Vec::new();
    let mut start = 0;
    while chars.len() - start > width {
        let window = &chars[start..start + width];
        // Break after the last space in the second half of the window, else hard-break.
        let cut = window
            .iter()
            .rposition(|c| *c == ' ')
            .filter(|p| *p >= width / 2)
            .map_or(width, |p| p + 1);
        out.push(chars[start..start + cut].iter().collect());
        start += cut;
    }
    out.push(chars[start..].iter().collect());
    out
}

/// Wrap `line` and style every piece alike; continuation pieces are indented by `indent`.
pub fn wrapped_lines(line: &str, width: usize, indent: usize, style: Style) -> Vec<Line<'static>> {
    let first = wrap(line, width);
    let mut out = Vec::new();
    for (i, piece) in first.into_iter().enumerate() {
        if i == 0 || indent == 0 || width <= indent + 8 {
            out.push(Line::styled(piece, style));
        } else {
            for sub in wrap(&piece, width - indent) {
                out.push(Line::styled(format!("{}{sub}", " ".repeat(indent)), style));
            }
        }
    }
    out
}

/// Pack `label value` facts onto as few lines of `width` as possible, two spaces apart.
/// Facts with an empty value are skipped, so absent columns leave no gaps.
pub fn fact_lines(facts: &[(&str, String)], width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0usize;
    for (label, value) in facts.iter().filter(|(_, v)| !v.is_empty()) {
        let fact_width = label.chars().count() + 1 + value.chars().count();
        let sep = if current.is_empty() { 0 } else { 2 };
        if !current.is_empty() && used + sep + fact_width > width {
            lines.push(Line::from(std::mem::take(&mut current)));
            used = 0;
        }
        if !current.is_empty() {
            current.push(Span::raw("  "));
            used += 2;
        }
        current.push(Span::styled(format!("{label} "), theme.label()));
        current.push(Span::raw(value.clone()));
        used += fact_width;
    }
    if !current.is_empty() {
        lines.push(Line::from(current));
    }
    lines
}

/// `── Title ─────` across `width`.
pub fn heading(title: &str, width: usize, theme: &Theme) -> Line<'static> {
    let head = format!("── {title} ");
    let rest = width.saturating_sub(head.chars().count());
    Line::styled(format!("{head}{}", "─".repeat(rest)), theme.heading())
}

/// A time in UTC, or empty when absent (so `fact_lines` drops it).
pub fn opt_utc(unix: Option<f64>) -> String {
    unix.map(fmt_utc).unwrap_or_default()
}

/// An optional value formatted with `f`, or empty.
pub fn opt_with<T>(value: Option<T>, f: impl FnOnce(T) -> String) -> String {
    value.map(f).unwrap_or_default()
}

/// Cut `s` to `width` characters with an ellipsis.
pub fn ellipsize(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// Keep the end of `s` (paths: the file name matters most), with a leading ellipsis.
pub fn ellipsize_start(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let tail: String = s.chars().skip(n - (width - 1)).collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_words_and_hard_breaks_long_tokens() {
        assert_eq!(wrap("alpha beta gamma", 11), vec!["alpha beta ", "gamma"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), vec![""]);
    }

    #[test]
    fn facts_pack_onto_lines_and_skip_empty_values() {
        let facts = [
            ("a", "1".to_string()),
            ("b", String::new()),
            ("c", "22".into()),
        ];
        let lines = fact_lines(&facts, 80, &Theme::new(true));
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].to_string(), "a 1  c 22");
        let narrow = fact_lines(&facts, 5, &Theme::new(true));
        assert_eq!(narrow.len(), 2);
    }

    #[test]
    fn ellipsis_keeps_the_informative_end() {
        assert_eq!(ellipsize("abcdef", 4), "abc…");
        assert_eq!(ellipsize_start("/a/b/file.fits", 8), "…le.fits");
    }
}
