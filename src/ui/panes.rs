//! Where the detail panes and the Pool tab are drawn: the app's state is handed to the panes'
//! pure renderers (`ui::detail`, `ui::pool`) with the view state kept in `App`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::{App, DetailData, DetailKey, DetailView, PaneState};
use crate::text::sanitize_line;
use crate::ui::detail::{
    self, HeaderLoad, render_fits_header, render_header_preview, render_job_detail,
    render_ms_detail, render_source_detail,
};
use crate::ui::pool::render_pool_tab;
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

/// A bordered pane with one line: while loading, or why it could not load.
fn draw_message(frame: &mut Frame, area: Rect, title: &str, message: Line<'static>, app: &App) {
    let theme = Theme::new(app.cfg.no_color);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" {title} "), theme.title()));
    frame.render_widget(
        Paragraph::new(message)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

pub fn draw_detail(frame: &mut Frame, area: Rect, app: &App, view: &DetailView) {
    let theme = Theme::new(app.cfg.no_color);
    let pane_theme = detail::Theme::new(app.cfg.no_color);
    let title = detail_title(&view.key);
    // An image's pane is its FITS header, which arrives on its own.
    if let (DetailKey::Image { path, .. }, PaneState::Image(st)) = (&view.key, &view.pane) {
        let area = draw_image_qa(frame, area, view, &pane_theme);
        match app.headers.get(path) {
            Some(result) => {
                let doc = result.as_ref().map(|d| d.as_ref());
                render_fits_header(frame, area, doc, st, &pane_theme);
            }
            None => draw_message(
                frame,
                area,
                &title,
                Line::from(Span::styled("reading the FITS header…", theme.muted())),
                app,
            ),
        }
        return;
    }
    match (&view.data, &view.pane) {
        (None, _) => draw_message(
            frame,
            area,
            &title,
            Line::from(Span::styled("loading…", theme.muted())),
            app,
        ),
        (Some(Err(e)), _) => draw_message(
            frame,
            area,
            &title,
            Line::from(Span::styled(sanitize_line(e), theme.error())),
            app,
        ),
        (Some(Ok(DetailData::Job(d))), PaneState::Job(st)) => {
            render_job_detail(frame, area, d, st, app.now, &pane_theme)
        }
        (Some(Ok(DetailData::Ms(d))), PaneState::Ms(st)) => {
            render_ms_detail(frame, area, d, st, app.now, &pane_theme)
        }
        (Some(Ok(DetailData::Source(d))), PaneState::Source(st)) => {
            render_source_detail(frame, area, d, st, &pane_theme)
        }
        (Some(Ok(_)), _) => draw_message(
            frame,
            area,
            &title,
            Line::from(Span::styled("nothing to show for this item", theme.muted())),
            app,
        ),
    }
}

/// The image's quality strip below its header pane, once its records are in; returns the
/// area left for the header.
fn draw_image_qa(frame: &mut Frame, area: Rect, view: &DetailView, theme: &detail::Theme) -> Rect {
    let Some(Ok(DetailData::Image(d))) = &view.data else {
        return area;
    };
    let mut lines = detail::image_qa::qa_lines(d, area.width.saturating_sub(2) as usize, theme);
    // A short screen keeps the header's room: the grade line only.
    if area.height < 32 {
        lines.truncate(1);
    }
    let rows = lines.len() as u16 + 1;
    if area.height < rows + 8 {
        return area;
    }
    let [top, strip] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Fill(1),
        ratatui::layout::Constraint::Length(rows),
    ])
    .areas(area);
    let block = Block::default().borders(Borders::LEFT | Borders::RIGHT | Borders::BOTTOM);
    frame.render_widget(Paragraph::new(lines).block(block), strip);
    top
}

pub fn draw_pool(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme::new(app.cfg.no_color);
    match &app.pool {
        Some(snapshot) => render_pool_tab(
            frame,
            area,
            snapshot,
            &app.pool_state,
            app.now,
            &detail::Theme::new(app.cfg.no_color),
        ),
        None => frame.render_widget(
            Paragraph::new(Span::styled("waiting for pool figures…", theme.muted())),
            area,
        ),
    }
}

/// The Images tab's side pane: the selected image's header at a glance.
pub fn draw_image_preview(frame: &mut Frame, area: Rect, app: &App) {
    let Some(row) = app.images.selected_row() else {
        return;
    };
    let load = match app.headers.get(&row.path) {
        Some(Ok(doc)) => HeaderLoad::Loaded(doc),
        Some(Err(e)) => HeaderLoad::Failed(e),
        None => HeaderLoad::Loading,
    };
    render_header_preview(frame, area, load, &detail::Theme::new(app.cfg.no_color));
}
