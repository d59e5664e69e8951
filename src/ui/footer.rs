//! The footer: key hints from the keymap for what the keys do right now, or the filter
//! prompt while one is being typed.

use ratatui::text::{Line, Span};

use crate::app::{App, Context};
use crate::text::sanitize_line;
use crate::ui::theme::Theme;

/// Hints that fit in `width` cells, most specific first.
pub fn footer_line(app: &App, width: u16) -> Line<'static> {
    let theme = Theme::new(app.cfg.no_color);
    let context = app.context();
    let mut spans = Vec::new();
    let mut used = 0usize;
    if let (Context::FilterInput, Some(input)) = (context, &app.filter_input) {
        let prompt = format!("/{}▏", sanitize_line(input));
        used += prompt.chars().count() + 2;
        spans.push(Span::styled(prompt, theme.warn()));
        spans.push(Span::raw("  "));
    }
    for (action, keys, hint) in app.keymap().footer_actions(context) {
        if !app.action_applies(action) {
            continue;
        }
        let len = keys.chars().count() + hint.chars().count() + 3;
        if used + len > usize::from(width) {
            break;
        }
        used += len;
        spans.push(Span::styled(keys, theme.key()));
        spans.push(Span::styled(format!(" {hint}  "), theme.muted()));
    }
    Line::from(spans)
}
