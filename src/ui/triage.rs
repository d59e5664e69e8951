//! The triage view: headline figures against their thresholds (in words AND colour, so it
//! reads the same under NO_COLOR), the failure groups by error signature with the selected
//! group's example, and the stuck list. Every string from a database passes `sanitize_line`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::{App, TriageView};
use crate::queue::groups::EXPECTED_SUBBANDS;
use crate::queue::is_stuck_collecting;
use crate::text::{fmt_duration, fmt_utc_short, sanitize_line};
use crate::triage::{FailureGroup, SourceState, StuckItem, StuckKind, TriageReport};
use crate::ui::columns::clip;
use crate::ui::theme::Theme;

/// At most this many stuck lines; the rest are counted.
const STUCK_LINES_MAX: u16 = 6;

pub fn draw_triage(frame: &mut Frame, area: Rect, app: &App, view: &TriageView) {
    let theme = Theme::new(app.cfg.no_color);
    let title = format!(
        " Triage · failures of the last {} ",
        fmt_duration(view.window_s)
    );
    let block = Block::default()
        .borders(Borders::TOP)
        .title(Span::styled(title, theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(report) = view.report.as_deref() else {
        let text = match &view.error {
            Some(e) => Line::from(Span::styled(
                format!("no triage data: {}", sanitize_line(e)),
                theme.error(),
            )),
            None => Line::from(Span::styled("reading failures …", theme.muted())),
        };
        frame.render_widget(Paragraph::new(text), inner);
        return;
    };
    let width = inner.width;
    let headline = headline_lines(report, app.now, width, theme);
    let stuck_rows = (report.stuck.len() as u16).clamp(1, STUCK_LINES_MAX) + 1;
    let head_rows = headline.len() as u16;
    let records = crate::ui::triage_records::records_lines(&report.records, app.now, width, theme);
    let records_rows = records.len() as u16;
    // The groups take what they need of the room left; the example and stuck list follow.
    let room = inner
        .height
        .saturating_sub(head_rows + 2 + stuck_rows + records_rows)
        .max(3);
    let group_rows = (report.groups.len().max(1) as u16 + 1).min(room);
    let [head, groups, example, stuck, pipeline, rest] = Layout::vertical([
        Constraint::Length(head_rows),
        Constraint::Length(group_rows),
        Constraint::Length(2),
        Constraint::Length(stuck_rows),
        Constraint::Length(records_rows),
        Constraint::Fill(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(headline), head);
    if view.show_ingest {
        let lines = ingest_lines(report, app.now, groups.height, width, theme);
        frame.render_widget(Paragraph::new(lines), groups);
    } else {
        draw_groups(frame, groups, report, view, app.now, theme);
    }
    frame.render_widget(
        Paragraph::new(example_lines(view.selected_group(), width, theme)),
        example,
    );
    frame.render_widget(
        Paragraph::new(stuck_lines(report, stuck.height, width, theme)),
        stuck,
    );
    frame.render_widget(Paragraph::new(records), pipeline);
    // A tall screen has room for the ingestion groups below.
    if !view.show_ingest && rest.height >= 4 && !report.ingest.is_empty() {
        let lines = ingest_lines(report, app.now, rest.height, width, theme);
        frame.render_widget(Paragraph::new(lines), rest);
    }
}

/// The newest ingestion groups: state, subbands of expected, age, error; stuck ones marked.
pub fn ingest_lines(
    report: &TriageReport,
    now: f64,
    height: u16,
    width: u16,
    theme: Theme,
) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(
        clip(
            &format!(
                "ingestion groups, newest first ({})  {:<20} {:<11} {:>6} {:>7}  error",
                report.ingest.len(),
                "",
                "state",
                "sb",
                "age"
            ),
            width,
        ),
        theme.header(),
    ))];
    if report.ingest.is_empty() {
        lines.push(Line::from(Span::styled(
            "  none (no queue, or no groups yet)",
            theme.muted(),
        )));
        return lines;
    }
    for g in report
        .ingest
        .iter()
        .take(usize::from(height.saturating_sub(1)))
    {
        let stuck = is_stuck_collecting(g, now, report.thresholds.collecting_after);
        let age = g
            .created_at
            .map(|t| fmt_duration((now - t).max(0.0)))
            .unwrap_or_else(|| "—".into());
        let text = format!(
            "{} {:<22} {:<11} {:>2}/{:<3} {:>7}  {}",
            if stuck { "STUCK" } else { "     " },
            sanitize_line(&g.group_id),
            sanitize_line(g.state.as_deref().unwrap_or("—")),
            g.subband_count.unwrap_or(0),
            g.expected_subbands.unwrap_or(EXPECTED_SUBBANDS),
            age,
            sanitize_line(g.error_message.as_deref().unwrap_or(""))
        );
        let style = if stuck { theme.warn() } else { theme.base() };
        lines.push(Line::from(Span::styled(clip(&text, width), style)));
    }
    lines
}

/// `ALERT` or `ok` in words (NO_COLOR keeps the meaning) and in colour.
fn verdict(crossed: bool, theme: Theme) -> Span<'static> {
    if crossed {
        Span::styled(" ALERT ", theme.stale_badge())
    } else {
        Span::styled(" ok ", theme.ok())
    }
}

/// The three figures against their thresholds, then how each source answered.
pub fn headline_lines(
    report: &TriageReport,
    now: f64,
    width: u16,
    theme: Theme,
) -> Vec<Line<'static>> {
    let h = &report.headline;
    let t = &report.thresholds;
    let sep = || Span::styled("  │  ", theme.muted());
    let rate = match h.failure_rate {
        Some(r) => format!("{:.1} % ({}/{})", r * 100.0, h.failures, h.finished),
        None => format!("— ({} failed, none finished)", h.failures),
    };
    let backlog = match h.backlog {
        // Each queue apart: no worker polls the ingestion queue.
        Some(_) if !h.backlog_by_queue.is_empty() => h
            .backlog_by_queue
            .iter()
            .map(|q| {
                let oldest = q
                    .oldest_pending_age_s
                    .map(|a| format!(", oldest {}", fmt_duration(a)))
                    .unwrap_or_default();
                format!("{} {} pending{oldest}", sanitize_line(&q.queue), q.pending)
            })
            .collect::<Vec<_>>()
            .join("; "),
        Some(b) => {
            let oldest = h
                .oldest_pending_age_s
                .map(|a| format!(", oldest {}", fmt_duration(a)))
                .unwrap_or_default();
            format!("{b} pending{oldest}")
        }
        None => "— (no queue)".to_string(),
    };
    let stuck = match h.longest_stuck_s {
        Some(longest) => format!("{} (longest {})", h.stuck, fmt_duration(longest)),
        None => "none".to_string(),
    };
    let figures = [
        (
            "failure rate ",
            rate,
            report.failure_rate_crossed(),
            format!("limit {:.0} %", t.failure_rate * 100.0),
        ),
        (
            "backlog ",
            backlog,
            report.backlog_crossed(),
            format!("limit {}", t.backlog),
        ),
        (
            "stuck ",
            stuck,
            report.stuck_crossed(),
            format!("over {}", fmt_duration(t.stuck_after.as_secs_f64())),
        ),
    ];
    let mut lines = Vec::new();
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0usize;
    for (label, value, crossed, limit) in figures {
        let piece_len = label.len() + value.chars().count() + limit.chars().count() + 12;
        if !spans.is_empty() && used + piece_len > usize::from(width) {
            lines.push(Line::from(std::mem::take(&mut spans)));
            used = 0;
        } else if !spans.is_empty() {
            spans.push(sep());
            used += 5;
        }
        let style = if crossed { theme.error() } else { theme.base() };
        spans.push(Span::styled(label, theme.muted()));
        spans.push(Span::styled(value, style));
        spans.push(verdict(crossed, theme));
        spans.push(Span::styled(format!("({limit})"), theme.muted()));
        used += piece_len;
    }
    lines.push(Line::from(spans));
    if h.no_op > 0 {
        let text = if h.all_completed_no_op {
            format!(
                "no-op: all {} tasks completed in the window did nothing: the workers run the \
                 no-op executor",
                h.no_op
            )
        } else {
            format!("no-op: {} tasks completed doing nothing", h.no_op)
        };
        let style = if h.all_completed_no_op {
            theme.error()
        } else {
            theme.warn()
        };
        lines.push(Line::from(Span::styled(clip(&text, width), style)));
    }
    if let Some(q) = report.ingestion_unpolled() {
        let text = format!(
            "{}: {} pending and nothing polls it",
            sanitize_line(&q.queue),
            q.pending
        );
        lines.push(Line::from(Span::styled(clip(&text, width), theme.warn())));
    }
    let mut sources = vec![Span::styled("sources ", theme.muted())];
    for (i, s) in report.sources.iter().enumerate() {
        if i > 0 {
            sources.push(Span::styled(" · ", theme.muted()));
        }
        let (text, style) = match &s.state {
            SourceState::Ok => (format!("{} ok", s.name), theme.ok()),
            SourceState::Missing(m) => {
                (format!("{} — {}", s.name, sanitize_line(m)), theme.muted())
            }
            SourceState::Error(e) => (
                format!("{} STALE: {}", s.name, sanitize_line(e)),
                theme.error(),
            ),
        };
        sources.push(Span::styled(text, style));
    }
    let age = (now - report.generated_at).max(0.0);
    if age >= 1.0 {
        sources.push(Span::styled(
            format!("  (read {} ago)", fmt_duration(age)),
            theme.muted(),
        ));
    }
    lines.push(Line::from(sources));
    lines
}

fn draw_groups(
    frame: &mut Frame,
    area: Rect,
    report: &TriageReport,
    view: &TriageView,
    now: f64,
    theme: Theme,
) {
    let width = usize::from(area.width);
    let header = if width >= WIDE {
        format!(
            "{:>5} {:<11} {:<11} {:<24} {}",
            "count", "last seen", "first seen", "stages · sources", "error signature"
        )
    } else {
        format!(
            "{:>5} {:<11} {:<14} {}",
            "count", "last seen", "stages·sources", "error signature"
        )
    };
    let mut lines = vec![Line::from(Span::styled(
        clip(&header, area.width),
        theme.header(),
    ))];
    if report.groups.is_empty() {
        lines.push(Line::from(Span::styled(
            "  no failures in this window",
            theme.ok(),
        )));
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    let visible = usize::from(area.height.saturating_sub(1)).max(1);
    let offset = view.selected.saturating_sub(visible - 1);
    for (i, g) in report.groups.iter().enumerate().skip(offset).take(visible) {
        let selected = i == view.selected;
        let text = group_line(g, now, width);
        let style = if selected {
            theme.selected()
        } else {
            Style::default()
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// From this width the groups show their first-seen time and wider stage names.
const WIDE: usize = 100;

/// One group as a line of `width` cells.
pub fn group_line(g: &FailureGroup, _now: f64, width: usize) -> String {
    let stages = if g.stages.is_empty() {
        "—".to_string()
    } else {
        g.stages.join(",")
    };
    let sources: Vec<&str> = g.sources.iter().map(|s| s.name()).collect();
    let where_ = sanitize_line(&format!("{stages}·{}", sources.join(",")));
    let signature = sanitize_line(&g.signature);
    let line = if width >= WIDE {
        format!(
            "{:>5} {:<11} {:<11} {:<24} {signature}",
            g.count,
            fmt_utc_short(g.last_seen),
            fmt_utc_short(g.first_seen),
            clip(&where_, 24),
        )
    } else {
        format!(
            "{:>5} {:<11} {:<14} {signature}",
            g.count,
            fmt_utc_short(g.last_seen),
            clip(&where_, 14),
        )
    };
    clip(&line, width as u16)
}

fn example_lines(group: Option<&FailureGroup>, width: u16, theme: Theme) -> Vec<Line<'static>> {
    let Some(g) = group else {
        return Vec::new();
    };
    let e = &g.example;
    let head = format!(
        "example {}  {}  {}",
        e.key,
        e.kind.as_deref().unwrap_or("—"),
        e.target.as_deref().unwrap_or("")
    );
    vec![
        Line::from(Span::styled(
            clip(&sanitize_line(&head), width),
            theme.muted(),
        )),
        Line::from(Span::styled(
            clip(&format!("  {}", sanitize_line(&e.error)), width),
            theme.error(),
        )),
    ]
}

fn stuck_line(s: &StuckItem, width: u16) -> String {
    let kind = match s.kind {
        StuckKind::Running => "running",
        StuckKind::Collecting => "collecting",
    };
    let text = format!(
        "{:>7} {:<10} {}  {}  {}  {}",
        fmt_duration(s.age_s),
        kind,
        s.id,
        s.what.as_deref().unwrap_or(""),
        s.target.as_deref().unwrap_or(""),
        s.note.as_deref().unwrap_or("")
    );
    clip(&sanitize_line(&text), width)
}

fn stuck_lines(report: &TriageReport, height: u16, width: u16, theme: Theme) -> Vec<Line<'static>> {
    let title = format!(
        "stuck: running over {} or collecting over {} ({})",
        fmt_duration(report.thresholds.stuck_after.as_secs_f64()),
        fmt_duration(report.thresholds.collecting_after.as_secs_f64()),
        report.stuck.len()
    );
    let mut lines = vec![Line::from(Span::styled(
        clip(&title, width),
        theme.header(),
    ))];
    if report.stuck.is_empty() {
        lines.push(Line::from(Span::styled("  nothing stuck", theme.ok())));
        return lines;
    }
    let room = usize::from(height.saturating_sub(1));
    let shown = if report.stuck.len() > room {
        room.saturating_sub(1)
    } else {
        room
    };
    for s in report.stuck.iter().take(shown) {
        lines.push(Line::from(Span::styled(stuck_line(s, width), theme.warn())));
    }
    if report.stuck.len() > shown {
        lines.push(Line::from(Span::styled(
            format!("  … and {} more", report.stuck.len() - shown),
            theme.muted(),
        )));
    }
    lines
}
