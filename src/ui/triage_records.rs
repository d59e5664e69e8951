//! The triage view's pipeline section: the pipeline's own firing alerts (`alerts.sqlite3`)
//! by severity in words and colour, the active ESE and transient candidates, the newest
//! mosaic plan and its QA, and notes for what is absent. Pure; data strings sanitised.

use ratatui::text::{Line, Span};

use crate::snapshot::records::{AlertSeverity, AlertsState, CandidateCount, PipelineRecords};
use crate::text::{fmt_duration, fmt_flux_jy, sanitize_line};
use crate::ui::columns::clip;
use crate::ui::theme::Theme;

/// Firing alerts listed; the rest are counted.
pub const ALERT_LINES_MAX: usize = 4;

fn severity_span(s: &AlertSeverity, theme: Theme) -> Span<'static> {
    let word = format!("{:<8}", sanitize_line(s.word()).to_uppercase());
    match s {
        AlertSeverity::Critical => Span::styled(word, theme.error()),
        AlertSeverity::Warning => Span::styled(word, theme.warn()),
        _ => Span::styled(word, theme.muted()),
    }
}

fn count_text(label: &str, c: &CandidateCount, active_word: &str) -> String {
    match c {
        CandidateCount::Ok { active, recent } => {
            format!("{label} {active} {active_word} ({recent} in window)")
        }
        CandidateCount::Note { note } => format!("{label}: {}", sanitize_line(&note.text)),
    }
}

/// The section's lines (at least the alerts line and the candidates line).
pub fn records_lines(
    r: &PipelineRecords,
    now: f64,
    width: u16,
    theme: Theme,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    match &r.alerts {
        AlertsState::Ok {
            firing,
            firing_total,
        } => {
            let style = if firing.is_empty() {
                theme.ok()
            } else if firing.iter().any(|a| a.severity == AlertSeverity::Critical) {
                theme.error()
            } else {
                theme.warn()
            };
            lines.push(Line::from(vec![
                Span::styled("pipeline alerts ", theme.header()),
                Span::styled(
                    if firing.is_empty() {
                        "none firing".to_string()
                    } else {
                        format!("{firing_total} firing")
                    },
                    style,
                ),
            ]));
            for a in firing.iter().take(ALERT_LINES_MAX) {
                let age = a
                    .fired_at
                    .map(|t| format!("  {} ago", fmt_duration((now - t).max(0.0))))
                    .unwrap_or_default();
                let text = format!(
                    "{}  {}{age}",
                    sanitize_line(&a.rule_name),
                    a.message.as_deref().map(sanitize_line).unwrap_or_default()
                );
                lines.push(Line::from(vec![
                    Span::raw("  "),
                    severity_span(&a.severity, theme),
                    Span::raw(clip(&text, width.saturating_sub(11))),
                ]));
            }
            if firing.len() > ALERT_LINES_MAX || *firing_total as usize > firing.len() {
                lines.push(Line::styled(
                    format!(
                        "  … {} more firing",
                        (*firing_total as usize).max(firing.len())
                            - ALERT_LINES_MAX.min(firing.len())
                    ),
                    theme.muted(),
                ));
            }
        }
        AlertsState::Missing { note } => lines.push(Line::from(vec![
            Span::styled("pipeline alerts ", theme.header()),
            Span::styled(
                clip(&sanitize_line(&note.text), width.saturating_sub(16)),
                theme.muted(),
            ),
        ])),
        AlertsState::Error { message } => lines.push(Line::from(vec![
            Span::styled("pipeline alerts ", theme.header()),
            Span::styled(
                clip(
                    &format!("cannot read alerts.sqlite3: {}", sanitize_line(message)),
                    width.saturating_sub(16),
                ),
                theme.error(),
            ),
        ])),
    }
    let candidates = format!(
        "{} · {}",
        count_text("ESE candidates", &r.ese, "active"),
        count_text("transients", &r.transients, "unclassified")
    );
    lines.push(Line::from(vec![
        Span::styled("candidates ", theme.header()),
        Span::raw(clip(&candidates, width.saturating_sub(11))),
    ]));
    if let Some(p) = r.mosaics.first() {
        let s = |v: &Option<String>| {
            v.as_deref()
                .map(sanitize_line)
                .unwrap_or_else(|| "?".into())
        };
        let mut spans = vec![
            Span::styled("mosaic ", theme.header()),
            Span::raw(format!("{} {} {} ", s(&p.name), s(&p.tier), s(&p.status))),
        ];
        if let Some(qa) = &p.qa_status {
            let style = match qa.as_str() {
                "PASS" => theme.ok(),
                "WARN" => theme.warn(),
                _ => theme.error(),
            };
            spans.push(Span::styled(format!("QA {}", sanitize_line(qa)), style));
        }
        if let Some(rms) = p.median_rms_jy {
            spans.push(Span::raw(format!("  rms {}", fmt_flux_jy(rms))));
        }
        lines.push(Line::from(spans));
    }
    if !r.notes.is_empty() {
        let notes: Vec<String> = r.notes.iter().map(|n| sanitize_line(&n.text)).collect();
        lines.push(Line::styled(clip(&notes.join(" · "), width), theme.muted()));
    }
    lines
}
