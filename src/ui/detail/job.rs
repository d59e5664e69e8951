//! The job detail pane: who/what/when facts, then why it failed (first, for failed jobs),
//! the `logs` column, the log file's tail, params, artifacts and source-specific extras.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use serde_json::Value;

use super::scroll::Scroll;
use super::text::{fact_lines, heading, opt_utc, wrapped_lines};
use super::theme::Theme;
use crate::snapshot::{JobDetail, JobStatus};
use crate::text::{fmt_duration, fmt_utc, sanitize_block, sanitize_line};

/// Scroll position of the job pane (logs are long: page and jump to the end).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobPaneState {
    scroll: Scroll,
}

impl JobPaneState {
    pub fn scroll_down(&mut self) {
        self.scroll.down(1);
    }
    pub fn scroll_up(&mut self) {
        self.scroll.up(1);
    }
    pub fn page_down(&mut self) {
        self.scroll.page_down();
    }
    pub fn page_up(&mut self) {
        self.scroll.page_up();
    }
    pub fn scroll_top(&mut self) {
        self.scroll.top();
    }
    /// Jump to the end, where the newest log lines are.
    pub fn scroll_bottom(&mut self) {
        self.scroll.bottom();
    }
}

/// A line of a JSON-lines log file as `time level message`; other lines unchanged.
/// An exception attached to the record follows on its own lines. Raw text: sanitise after.
pub fn format_log_line(line: &str) -> String {
    let Ok(Value::Object(record)) = serde_json::from_str::<Value>(line.trim()) else {
        return line.to_string();
    };
    let first = |keys: &[&str]| keys.iter().find_map(|k| record.get(*k)).cloned();
    let time = match first(&[
        "time",
        "timestamp",
        "@timestamp",
        "asctime",
        "ts",
        "created",
    ]) {
        Some(Value::Number(n)) => n.as_f64().map(fmt_utc).unwrap_or_default(),
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    let level = match first(&["level", "levelname", "severity", "lvl"]) {
        Some(Value::String(s)) => s.to_uppercase(),
        _ => String::new(),
    };
    let message = match first(&["message", "msg", "event"]) {
        Some(Value::String(s)) => s,
        Some(other) => other.to_string(),
        None => line.trim().to_string(),
    };
    let mut out = [time, level, message]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(Value::String(exc)) = first(&["exception", "exc_info", "traceback"]) {
        out.push('\n');
        out.push_str(&exc);
    }
    out
}

/// The traceback at the end of a log: from the last `Traceback (most recent call last):` to
/// the end. Jobs keep no error column, so this is where the reason lives.
pub fn traceback_in(logs: &[String]) -> Option<&[String]> {
    let start = logs
        .iter()
        .rposition(|l| l.contains("Traceback (most recent call last)"))?;
    Some(&logs[start..])
}

fn error_lines(d: &JobDetail) -> Vec<String> {
    if let Some(full) = d.error_full.as_deref().filter(|e| !e.trim().is_empty()) {
        return sanitize_block(full);
    }
    if d.row.status == JobStatus::Failed
        && let Some(tb) = traceback_in(&d.logs)
    {
        return tb.iter().flat_map(|l| sanitize_block(l)).collect();
    }
    d.row
        .error_line
        .as_deref()
        .map(sanitize_block)
        .unwrap_or_default()
}

/// Is `line` the one-liner that says why the job failed?
fn is_reason(line: &str, reason: Option<&str>) -> bool {
    let Some(reason) = reason else { return false };
    let line = line.trim();
    !line.is_empty() && !reason.is_empty() && line.starts_with(reason)
}

fn header_lines(d: &JobDetail, now: f64, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let row = &d.row;
    let mut first = vec![
        Span::styled(row.status.name().to_uppercase(), theme.status(row.status)),
        Span::styled(
            format!(" (raw {})", sanitize_line(&row.raw_status)),
            theme.dim(),
        ),
        Span::raw(format!("  {}", sanitize_line(&row.key.to_string()))),
    ];
    if let Some(kind) = &row.kind {
        first.push(Span::raw(format!("  {}", sanitize_line(kind))));
    }
    let duration = row.duration(now).map(|s| {
        let running = row.finished_at.is_none();
        format!(
            "{}{}",
            fmt_duration(s),
            if running { " so far" } else { "" }
        )
    });
    let attempts = match (row.attempts, row.max_attempts) {
        (Some(a), Some(m)) => format!("{a}/{m}"),
        (Some(a), None) => a.to_string(),
        _ => String::new(),
    };
    let facts = [
        (
            "target",
            row.target.as_deref().map(sanitize_line).unwrap_or_default(),
        ),
        ("created", opt_utc(row.created_at)),
        ("started", opt_utc(row.started_at)),
        ("finished", opt_utc(row.finished_at)),
        ("took", duration.unwrap_or_default()),
        ("attempts", attempts),
    ];
    let mut lines = vec![Line::from(first)];
    lines.extend(fact_lines(&facts, width, theme));
    lines.extend(link_lines(d, width, theme));
    lines
}

/// The MS and ingestion group the target leads to, each saying how it is known.
fn link_lines(d: &JobDetail, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut push = |label: &str, text: String| {
        let mut wrapped = wrapped_lines(
            &text,
            width.saturating_sub(label.len() + 1),
            0,
            ratatui::style::Style::default(),
        );
        for (i, line) in wrapped.drain(..).enumerate() {
            let head = if i == 0 {
                format!("{label} ")
            } else {
                " ".repeat(label.len() + 1)
            };
            let mut spans = vec![Span::styled(head, theme.label())];
            spans.extend(line.spans);
            lines.push(Line::from(spans));
        }
    };
    if let Some(ms) = &d.links.ms {
        push(
            "MS",
            format!(
                "{} ({}; m opens it)",
                sanitize_line(&ms.path),
                sanitize_line(&ms.source.describe())
            ),
        );
    }
    if let Some(group) = &d.links.group {
        let mut state = Vec::new();
        if let Some(s) = &group.state {
            state.push(sanitize_line(s));
        }
        if let Some((n, of)) = group.subbands {
            state.push(format!("{n}/{of} subbands"));
        }
        let same_ms = d.links.ms.as_ref().map(|m| &m.path) == group.ms_path.as_ref();
        if let Some(ms) = group.ms_path.as_ref().filter(|_| !same_ms) {
            state.push(format!("MS {}", sanitize_line(ms)));
        }
        if state.is_empty() {
            state.push("no ingestion_groups row".to_string());
        }
        push(
            "group",
            format!(
                "{} {} ({})",
                sanitize_line(&group.id),
                state.join(", "),
                sanitize_line(&group.source.describe())
            ),
        );
    }
    lines
}

/// Every line of the pane, wrapped to `width`. Pure, so tests can read the pane as text.
pub fn job_lines(d: &JobDetail, now: f64, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let reason = d.row.error_line.as_deref().map(|r| {
        let r = sanitize_line(r);
        r.trim().trim_end_matches('…').to_string()
    });
    let reason = reason.as_deref();
    let body = |lines: &[String], out: &mut Vec<Line<'static>>| {
        for l in lines {
            let style = if is_reason(l, reason) {
                theme.error()
            } else {
                ratatui::style::Style::default()
            };
            out.extend(wrapped_lines(l, width, 0, style));
        }
    };

    let mut lines = header_lines(d, now, width, theme);
    let mut error = Vec::new();
    let errors = error_lines(d);
    if !errors.is_empty() {
        error.push(heading("Error", width, theme));
        body(&errors, &mut error);
    }
    if d.row.status == JobStatus::Failed {
        lines.append(&mut error);
    }
    if !d.logs.is_empty() {
        lines.push(heading(
            &format!("Log ({} lines)", d.logs.len()),
            width,
            theme,
        ));
        let logs: Vec<String> = d.logs.iter().flat_map(|l| sanitize_block(l)).collect();
        body(&logs, &mut lines);
    }
    lines.append(&mut error);
    for (title, text) in [
        ("Params", &d.params_pretty),
        ("Artifacts", &d.artifacts_pretty),
    ] {
        if let Some(text) = text.as_deref().filter(|t| !t.trim().is_empty()) {
            lines.push(heading(title, width, theme));
            body(&sanitize_block(text), &mut lines);
        }
    }
    if !d.extra.is_empty() {
        lines.push(heading("Extra", width, theme));
        for (k, v) in &d.extra {
            let text = format!("{} {}", sanitize_line(k), sanitize_line(v));
            lines.extend(wrapped_lines(
                &text,
                width,
                2,
                ratatui::style::Style::default(),
            ));
        }
    }
    // Last, so follow mode (which keeps the pane at its end) tails the growing log file.
    if let Some(tail) = &d.log_file {
        lines.push(heading("Log file", width, theme));
        lines.extend(wrapped_lines(
            &sanitize_line(&tail.path),
            width,
            0,
            theme.label(),
        ));
        let formatted: Vec<String> = tail
            .lines
            .iter()
            .flat_map(|l| sanitize_block(&format_log_line(l)))
            .collect();
        body(&formatted, &mut lines);
    }
    lines
}

/// The job detail pane.
pub fn render_job_detail(
    f: &mut Frame,
    area: Rect,
    d: &JobDetail,
    st: &JobPaneState,
    now: f64,
    theme: &Theme,
) {
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(" Job {} ", sanitize_line(&d.row.key.to_string())),
        theme.heading(),
    ));
    let inner = block.inner(area);
    let lines = job_lines(d, now, inner.width as usize, theme);
    let height = inner.height as usize;
    let offset = st.scroll.resolve(lines.len(), height);
    let block = block.title_bottom(Line::from(st.scroll.position_label()).right_aligned());
    let visible: Vec<Line> = lines.into_iter().skip(offset).take(height).collect();
    f.render_widget(Paragraph::new(visible).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_log_lines_read_as_time_level_message() {
        let line = r#"{"time": 1761056599.0, "level": "error", "message": "solve failed"}"#;
        assert_eq!(
            format_log_line(line),
            "2025-10-21 14:23:19 ERROR solve failed"
        );
        assert_eq!(format_log_line("plain text"), "plain text");
    }

    #[test]
    fn the_last_traceback_is_found() {
        let logs: Vec<String> = ["a", "Traceback (most recent call last):", "x", "E: y"]
            .map(String::from)
            .to_vec();
        assert_eq!(traceback_in(&logs).map(<[String]>::len), Some(3));
        assert_eq!(traceback_in(&logs[..1]), None);
    }
}
