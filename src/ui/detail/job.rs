//! The job detail pane: who/what/when facts, then why it failed (first, for failed jobs),
//! the `logs` column, the log file's tail, params, artifacts and source-specific extras.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::scroll::Scroll;
use super::text::{fact_lines, heading, opt_utc, wrapped_lines};
use super::theme::Theme;
use crate::snapshot::{JobDetail, JobStatus, LogLine, LogMatch, LogTail};
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

/// A failed job's newest ERROR record in the pipeline's logs, when the error shown has no
/// traceback of its own (the queue keeps only `str(e)`): the traceback is in the log.
fn log_error<'a>(d: &'a JobDetail, errors: &[String]) -> Option<&'a LogLine> {
    if d.row.status != JobStatus::Failed
        || errors
            .iter()
            .any(|l| l.contains("Traceback (most recent call last)"))
    {
        return None;
    }
    d.log_file.as_ref()?.last_error()
}

/// One matched record: `tag time LEVEL message`, its continuation lines indented; an error
/// record and its traceback in the error style.
fn record_lines(line: &LogLine, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let r = &line.record;
    let style = if r.is_error() {
        theme.error()
    } else {
        ratatui::style::Style::default()
    };
    let time = r.unix.map(fmt_utc).unwrap_or_else(|| "?".repeat(19));
    let level = r.level.map_or("-", |l| l.name());
    let head = format!(
        "{:<8} {time} {level:<7} {}",
        line.how.tag(),
        sanitize_line(&r.message)
    );
    let mut out = wrapped_lines(&head, width, 4, style);
    for c in &r.continuation {
        for piece in sanitize_block(c) {
            out.extend(wrapped_lines(&format!("    {piece}"), width, 6, style));
        }
    }
    out
}

/// The pipeline log section: the matched records, the file named where it changes; or, with
/// no match, where the search looked.
fn log_file_lines(tail: &LogTail, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let s = &tail.searched;
    let mut out = Vec::new();
    if tail.lines.is_empty() {
        out.push(heading("Pipeline log: no line matched", width, theme));
        let mut say = |text: String| out.extend(wrapped_lines(&text, width, 2, theme.dim()));
        let files = if s.files.is_empty() {
            "no log file".to_string()
        } else {
            s.files
                .iter()
                .map(|f| sanitize_line(f))
                .collect::<Vec<_>>()
                .join(", ")
        };
        say(format!(
            "looked in {}: {files} ({} read, {} skipped as written before the window)",
            sanitize_line(&s.dir),
            s.files.len(),
            s.skipped
        ));
        say(match s.window {
            Some((from, to)) => format!(
                "window {} .. {} UTC; file times read as {}",
                fmt_utc(from),
                fmt_utc(to),
                sanitize_line(&s.zone)
            ),
            None => "no time window: the job has no times".to_string(),
        });
        say(if s.keys.is_empty() {
            "keys: none (the job carries no task UUID, MS path or group id)".to_string()
        } else {
            let keys: Vec<String> = s
                .keys
                .iter()
                .map(|(how, k)| format!("{} {}", how.tag(), sanitize_line(k)))
                .collect();
            format!("keys: {}", keys.join(", "))
        });
        return out;
    }
    let mut counts: Vec<(LogMatch, usize)> = Vec::new();
    for l in &tail.lines {
        match counts.iter_mut().find(|(h, _)| *h == l.how) {
            Some((_, n)) => *n += 1,
            None => counts.push((l.how, 1)),
        }
    }
    counts.sort();
    let by: Vec<String> = counts
        .iter()
        .map(|(h, n)| format!("{} {n}", h.tag()))
        .collect();
    let errors = tail.lines.iter().filter(|l| l.record.is_error()).count();
    out.push(heading(
        &format!(
            "Pipeline log: {} records, {errors} errors ({}){}",
            tail.lines.len(),
            by.join(", "),
            if s.truncated { ", older may exist" } else { "" }
        ),
        width,
        theme,
    ));
    out.extend(wrapped_lines(
        &format!("times UTC; file times read as {}", sanitize_line(&s.zone)),
        width,
        2,
        theme.dim(),
    ));
    let mut file: Option<&str> = None;
    for l in &tail.lines {
        if file != Some(l.file.as_str()) {
            file = Some(l.file.as_str());
            out.extend(wrapped_lines(
                &format!("── {}", sanitize_line(&l.file)),
                width,
                0,
                theme.label(),
            ));
        }
        out.extend(record_lines(l, width, theme));
    }
    out
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
    let from_log = log_error(d, &errors);
    if !errors.is_empty() || from_log.is_some() {
        error.push(heading("Error", width, theme));
        body(&errors, &mut error);
    }
    if let Some(line) = from_log {
        error.extend(wrapped_lines(
            &format!("from {} ({}):", sanitize_line(&line.file), line.how.tag()),
            width,
            0,
            theme.label(),
        ));
        error.extend(record_lines(line, width, theme));
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
        lines.extend(log_file_lines(tail, width, theme));
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
    fn the_last_traceback_is_found() {
        let logs: Vec<String> = ["a", "Traceback (most recent call last):", "x", "E: y"]
            .map(String::from)
            .to_vec();
        assert_eq!(traceback_in(&logs).map(<[String]>::len), Some(3));
        assert_eq!(traceback_in(&logs[..1]), None);
    }
}
