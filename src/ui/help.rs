//! The `?` overlay, generated from the keymap so it always says what the keys do.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::App;
use crate::ui::columns::clip;
use crate::ui::theme::Theme;

const KEYS_WIDTH: usize = 10;

/// Help lines for what the operator is looking at (the contexts that apply where `?` was
/// pressed, most specific first): a heading per context, then `keys  what they do`. Keys of
/// other views are listed by `?` in those views, which keeps the text whole on 80x24.
pub fn help_lines(app: &App, column_width: u16) -> Vec<Line<'static>> {
    let theme = Theme::new(app.cfg.no_color);
    let help_width = usize::from(column_width).saturating_sub(KEYS_WIDTH + 1);
    let mut lines = Vec::new();
    let chain = app.context().chain();
    let mut sections = app.keymap().help();
    sections.retain(|(context, _)| chain.contains(context));
    sections.sort_by_key(|(context, _)| chain.iter().position(|c| c == context));
    for (context, rows) in sections {
        if rows.len() > 1 {
            lines.push(Line::from(Span::styled(
                context.title().to_string(),
                theme.header().add_modifier(Modifier::UNDERLINED),
            )));
        }
        for row in rows {
            let keys = clip(&row.keys, KEYS_WIDTH as u16);
            lines.push(Line::from(vec![
                Span::styled(format!("{keys:<KEYS_WIDTH$} "), theme.key()),
                Span::raw(clip(row.help, help_width as u16)),
            ]));
        }
    }
    lines
}

pub fn draw_help(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme::new(app.cfg.no_color);
    // As many columns as needed for everything to fit, up to three, each at most 44 wide.
    let total = help_lines(app, area.width).len();
    let max_inner_height = area.height.saturating_sub(2).max(1);
    let columns = (1..=3u16)
        .find(|n| total.div_ceil(usize::from(*n)) <= usize::from(max_inner_height))
        .unwrap_or(3);
    let column_width = (area.width.saturating_sub(4) / columns).min(44);
    let per_column = total.div_ceil(usize::from(columns)).max(1);
    let width = (column_width * columns + 2).min(area.width);
    let height = (per_column as u16 + 2).min(area.height);
    let popup = area.centered(Constraint::Length(width), Constraint::Length(height));
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" keys here — any key closes ", theme.title()));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let lines = help_lines(app, column_width.saturating_sub(1));
    let areas = Layout::horizontal(vec![Constraint::Length(column_width); usize::from(columns)])
        .split(inner);
    for (chunk, column_area) in lines.chunks(per_column).zip(areas.iter()) {
        frame.render_widget(Paragraph::new(chunk.to_vec()), *column_area);
    }
}
