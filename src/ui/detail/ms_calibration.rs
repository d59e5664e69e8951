//! The MS pane's calibration part: the `caltables` rows that apply to the MS (why each
//! applies, status, refant, solver QA) as the Calibration list, and one line of its
//! calibration QA with the notes for tables that are absent or never written. Called from
//! `ms.rs`; pure, every data string sanitised.

use ratatui::layout::Constraint;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Row;

use super::text::{ellipsize, ellipsize_start};
use super::theme::Theme;
use crate::snapshot::MsDetail;
use crate::snapshot::records::{CalTable, CalTableStatus, MjdFrom, QaSeverity};
use crate::text::{fmt_utc_short, sanitize_line};

/// Rows of the Calibration list.
pub fn len(d: &MsDetail) -> usize {
    d.cal.tables.len()
}

fn quality_cell(t: &CalTable, theme: &Theme) -> Span<'static> {
    let Some(q) = &t.quality else {
        return Span::styled("-", theme.dim());
    };
    let mut parts = Vec::new();
    if let Some(f) = q.flagged_fraction {
        parts.push(format!("flag {:.0}%", f * 100.0));
    }
    if let Some(s) = q.snr_mean {
        parts.push(format!("snr {s:.1}"));
    }
    match q.qa_passed {
        Some(false) => Span::styled(format!("FAIL {}", parts.join(" ")), theme.error()),
        Some(true) if !q.warnings.is_empty() => {
            Span::styled(format!("warn {}", parts.join(" ")), theme.warn())
        }
        Some(true) => Span::styled(format!("ok {}", parts.join(" ")), theme.ok()),
        None => Span::raw(parts.join(" ")),
    }
}

/// Header, rows and widths of the Calibration list.
pub fn section_table(
    d: &MsDetail,
    width: u16,
    theme: &Theme,
) -> (Row<'static>, Vec<Row<'static>>, Vec<Constraint>) {
    let file_width = width.saturating_sub(2 + 8 + 5 + 18 + 7 + 24) as usize;
    let rows = d
        .cal
        .tables
        .iter()
        .map(|t| {
            let (status, style) = match &t.status {
                CalTableStatus::Active => ("active".to_string(), theme.ok()),
                CalTableStatus::Retired => ("retired".to_string(), theme.dim()),
                other => (sanitize_line(other.word()), theme.warn()),
            };
            let why = t.links.first().map(|l| l.word()).unwrap_or("nearby window");
            let file = t.path.rsplit('/').next().unwrap_or(&t.path);
            Row::new([
                Span::styled(status, style),
                Span::raw(
                    t.table_type
                        .as_deref()
                        .map(sanitize_line)
                        .unwrap_or_default(),
                ),
                Span::raw(why),
                Span::raw(t.refant.as_deref().map(sanitize_line).unwrap_or_default()),
                quality_cell(t, theme),
                Span::raw(ellipsize_start(&sanitize_line(file), file_width.max(8))),
            ])
        })
        .collect();
    (
        Row::new(["status", "type", "applies", "refant", "solver QA", "table"]),
        rows,
        vec![
            Constraint::Length(8),
            Constraint::Length(5),
            Constraint::Length(18),
            Constraint::Length(7),
            Constraint::Length(24),
            Constraint::Fill(1),
        ],
    )
}

/// The calibration QA line(s) and the notes, for the pane's fact block.
pub fn qa_lines(d: &MsDetail, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(qa) = d.cal.qa.first() {
        let (word, style) = match (qa.passed, &qa.severity) {
            (Some(false), _) | (_, QaSeverity::Error) => ("FAILED", theme.error()),
            (_, QaSeverity::Warning) => ("passed with warnings", theme.warn()),
            (Some(true), _) => ("passed", theme.ok()),
            _ => ("?", Style::default()),
        };
        let mut spans = vec![
            Span::styled("cal QA ", theme.label()),
            Span::styled(word, style),
        ];
        if let Some(g) = &qa.overall_grade {
            spans.push(Span::styled("  grade ", theme.label()));
            spans.push(Span::raw(sanitize_line(g)));
        }
        spans.push(Span::styled("  severity ", theme.label()));
        spans.push(Span::raw(sanitize_line(qa.severity.word())));
        if let Some(at) = qa.created_at {
            spans.push(Span::styled("  at ", theme.label()));
            spans.push(Span::raw(fmt_utc_short(at)));
        }
        if d.cal.qa.len() > 1 {
            spans.push(Span::styled(
                format!("  ({} older)", d.cal.qa.len() - 1),
                theme.dim(),
            ));
        }
        lines.push(Line::from(spans));
        if let Some(issue) = qa.issues.first() {
            lines.push(Line::from(vec![
                Span::styled("  ", theme.label()),
                Span::styled(
                    ellipsize(&sanitize_line(issue), width.saturating_sub(2)),
                    style,
                ),
            ]));
        }
    } else if !d.cal.notes.iter().any(|n| n.table == "calibration_qa") {
        lines.push(Line::styled(
            "no calibration QA for this MS (the QA runs when the API asks for it)",
            theme.dim(),
        ));
    }
    if d.cal.tables.is_empty()
        && let Some((mjd, from)) = d.cal.ms_mjd
    {
        let from = match from {
            MjdFrom::MsIndex => "ms_index",
            MjdFrom::Name => "its name",
        };
        lines.push(Line::styled(
            format!("no caltables solved from it or valid at MJD {mjd:.4} (time from {from})"),
            theme.dim(),
        ));
    }
    for note in &d.cal.notes {
        lines.push(Line::styled(
            ellipsize(&sanitize_line(&note.text), width),
            theme.dim(),
        ));
    }
    lines
}
