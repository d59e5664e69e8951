//! Where the detail panes and the Pool tab are drawn. Each area is behind one function so
//! the panes' own renderers (`ui::detail`, `ui::pool`) plug in with a one-line change.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::{App, DetailKey, DetailView};
use crate::text::sanitize_line;
use crate::ui::theme::Theme;

/// The pane's title for a detail key.
pub fn detail_title(key: &DetailKey) -> String {
    let text = match key {
        DetailKey::Image { path, .. } => format!("image {path}"),
        DetailKey::Source(id) => format!("source {id}"),
        DetailKey::Job(key) => format!("job {key}"),
        DetailKey::Ms(path) => format!("MS {path}"),
    };
    sanitize_line(&text)
}

pub fn draw_detail(frame: &mut Frame, area: Rect, app: &App, view: &DetailView) {
    let theme = Theme::new(app.cfg.no_color);
    let block = Block::default().borders(Borders::TOP).title(Span::styled(
        format!(" {} ", detail_title(&view.key)),
        theme.title(),
    ));
    let body = match &view.data {
        None => Line::from(Span::styled("loading…", theme.muted())),
        Some(Err(e)) => Line::from(Span::styled(sanitize_line(e), theme.error())),
        Some(Ok(_)) => Line::from(Span::styled("(detail pane)", theme.muted())),
    };
    frame.render_widget(Paragraph::new(body).block(block), area);
}

pub fn draw_pool(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme::new(app.cfg.no_color);
    let lines: Vec<Line> = match &app.pool {
        None => vec![Line::from(Span::styled(
            "waiting for pool figures…",
            theme.muted(),
        ))],
        Some(snapshot) => snapshot
            .pools
            .iter()
            .map(|p| {
                Line::from(format!(
                    "{} {}: {}/{} in use, {} waiting",
                    sanitize_line(&p.source),
                    sanitize_line(&p.name),
                    p.in_use,
                    p.max,
                    p.waiting
                ))
            })
            .collect(),
    };
    frame.render_widget(Paragraph::new(lines), area);
}
