//! The screen's layout: title bar, tab bar, body (list, list + preview, detail pane or Pool
//! tab, optionally the monitor's own log), status line and footer.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use tui_logger::TuiLoggerWidget;

use crate::app::App;
use crate::snapshot::Tab;
use crate::text::{fmt_duration, fmt_utc, sanitize_line};
use crate::ui::columns::clip_left;
use crate::ui::theme::Theme;
use crate::ui::{footer, help, lists, panes, preview, status, triage};

/// Below this the layout cannot show a useful table.
pub const MIN_WIDTH: u16 = 50;
pub const MIN_HEIGHT: u16 = 10;
/// From this width a preview pane sits beside the list.
pub const PREVIEW_MIN_WIDTH: u16 = 150;

pub fn draw_frame(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area);
        return;
    }
    let [title, tabs, body, status_area, footer_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_title(frame, title, app);
    frame.render_widget(Paragraph::new(tab_bar(app, tabs.width)), tabs);
    let body = if app.show_log {
        let log_height = body.height / 3;
        let [main, log] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(log_height)]).areas(body);
        draw_log(frame, log, app);
        main
    } else {
        body
    };
    draw_body(frame, body, app);
    draw_status(frame, status_area, app);
    frame.render_widget(
        Paragraph::new(footer::footer_line(app, footer_area.width)),
        footer_area,
    );
    if app.show_help {
        help::draw_help(frame, area, app);
    }
}

fn draw_too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "terminal too small ({}x{}); need {MIN_WIDTH}x{MIN_HEIGHT}",
        area.width, area.height
    );
    let [_, middle, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(2),
        Constraint::Fill(1),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
        middle,
    );
}

/// Left: name, frozen badge, refresh interval, then the database label cut from the left
/// to what is left of `width`. The clock is drawn separately on the right.
pub fn title_spans(app: &App, width: u16) -> Vec<Span<'static>> {
    let theme = Theme::new(app.cfg.no_color);
    let mut spans = vec![Span::styled(" contimg-monitor ", theme.title())];
    if let Some(frozen) = &app.frozen {
        let waiting = frozen.buffer.pending_count();
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            format!(
                " FROZEN {} ",
                fmt_duration((app.now - frozen.since).max(0.0))
            ),
            theme.badge(),
        ));
        if waiting > 0 {
            spans.push(Span::styled(format!(" {waiting} new"), theme.warn()));
        }
    }
    spans.push(Span::styled(
        format!(" every {} ", fmt_duration(app.refresh.as_secs_f64())),
        theme.muted(),
    ));
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let left = usize::from(width).saturating_sub(used + 2);
    let label = clip_left(&sanitize_line(&app.cfg.db_label), left as u16);
    spans.push(Span::styled(format!(" {label}"), theme.base()));
    spans
}

fn draw_title(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme::new(app.cfg.no_color);
    // The date matters less than the time on a narrow screen.
    let full = fmt_utc(app.now);
    let clock = if area.width >= 100 {
        format!("{full} UTC ")
    } else {
        format!("{} UTC ", full.get(11..).unwrap_or(&full))
    };
    let clock_width = clock.chars().count() as u16;
    let [left, right] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(clock_width)]).areas(area);
    frame.render_widget(
        Paragraph::new(Line::from(title_spans(app, left.width))),
        left,
    );
    frame.render_widget(
        Paragraph::new(Span::styled(clock, theme.muted())).right_aligned(),
        right,
    );
}

/// `1 Images 200+ │ 2 Sources 1234 │ …` with the active tab reversed; the counts go first
/// when `width` is too narrow for them.
pub fn tab_bar(app: &App, width: u16) -> Line<'static> {
    let full = tab_bar_with(app, true);
    if full.width() <= usize::from(width) {
        full
    } else {
        tab_bar_with(app, false)
    }
}

fn tab_bar_with(app: &App, counts: bool) -> Line<'static> {
    let theme = Theme::new(app.cfg.no_color);
    let mut spans = Vec::new();
    for (i, tab) in Tab::ALL.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("│", theme.muted()));
        }
        let count = match app.tab_count(tab).filter(|_| counts) {
            None => String::new(),
            Some((rows, total, more)) => {
                let loaded = match tab {
                    Tab::Images => app.images.loaded,
                    Tab::Sources => app.sources.loaded,
                    Tab::Jobs => app.jobs.loaded,
                    Tab::Ms => app.ms.loaded,
                    Tab::Pool => true,
                };
                match (loaded, total) {
                    (false, _) => " …".into(),
                    (true, Some(total)) => format!(" {total}"),
                    (true, None) if more => format!(" {rows}+"),
                    (true, None) => format!(" {rows}"),
                }
            }
        };
        let label = format!(" {} {}{count} ", i + 1, tab.title());
        let style = if tab == app.tab && app.triage.is_none() {
            theme.active_tab()
        } else {
            theme.base()
        };
        spans.push(Span::styled(label, style));
    }
    Line::from(spans)
}

fn draw_body(frame: &mut Frame, area: Rect, app: &App) {
    if let Some(view) = &app.triage {
        triage::draw_triage(frame, area, app, view);
        return;
    }
    if app.tab == Tab::Pool {
        panes::draw_pool(frame, area, app);
        return;
    }
    if let Some(view) = app.open_detail() {
        panes::draw_detail(frame, area, app, view);
        return;
    }
    if area.width >= PREVIEW_MIN_WIDTH {
        let [list, side] =
            Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)])
                .areas(area);
        lists::draw_list(frame, list, app, app.tab);
        if app.tab == Tab::Images {
            panes::draw_image_preview(frame, side, app);
        } else {
            preview::draw_preview(frame, side, app);
        }
    } else {
        lists::draw_list(frame, area, app, app.tab);
    }
}

fn draw_status(frame: &mut Frame, area: Rect, app: &App) {
    // The health of the sources comes first; filter and sort get what is left.
    let mut left = status::status_line(app);
    if app.cfg.queue_label.is_some() {
        let theme = Theme::new(app.cfg.no_color);
        left.spans.push(Span::styled(" │ ", theme.muted()));
        left.spans.extend(status::health_spans(
            "queue",
            app.queue_health.as_ref(),
            app.now,
            theme,
        ));
    }
    if app.follow_log && app.open_detail().is_some() {
        let theme = Theme::new(app.cfg.no_color);
        left.spans.push(Span::styled(" FOLLOW ", theme.badge()));
    }
    let right = status::query_line(app);
    let free = area.width.saturating_sub(left.width() as u16 + 1);
    let right_width = (right.width() as u16).min(free);
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(right_width)]).areas(area);
    frame.render_widget(Paragraph::new(left), left_area);
    frame.render_widget(Paragraph::new(right), right_area);
}

fn draw_log(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme::new(app.cfg.no_color);
    let hide = app
        .keymap()
        .keys_for(crate::app::Context::Global, crate::app::Action::ToggleLog)
        .unwrap_or_default();
    let block = Block::default().borders(Borders::TOP).title(Span::styled(
        format!(" monitor log ({hide} hides) "),
        theme.title(),
    ));
    let mut widget = TuiLoggerWidget::default()
        .block(block)
        .output_file(false)
        .output_line(false);
    if theme.color {
        widget = widget.style_error(theme.error()).style_warn(theme.warn());
    }
    frame.render_widget(widget, area);
}
