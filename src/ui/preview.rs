//! The preview beside a list on wide terminals: the selected row's key facts. (The Images
//! tab shows the header preview from `ui::detail` instead.)

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::App;
use crate::snapshot::Tab;
use crate::text::{fmt_dec, fmt_flux_jy, fmt_ra, fmt_utc, mjd_to_unix, sanitize_line};
use crate::ui::lists::job_status_text;
use crate::ui::theme::Theme;

fn field(name: &str, value: String, theme: Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:<10}"), theme.muted()),
        Span::raw(value),
    ])
}

fn opt(value: Option<&str>) -> String {
    value.map(sanitize_line).unwrap_or_else(|| "-".into())
}

pub fn preview_lines(app: &App) -> Vec<Line<'static>> {
    let theme = Theme::new(app.cfg.no_color);
    match app.tab {
        Tab::Jobs => {
            let Some(row) = app.jobs.selected_row() else {
                return Vec::new();
            };
            let mut lines = vec![
                Line::from(Span::styled(
                    sanitize_line(&row.key.to_string()),
                    theme.title(),
                )),
                field(
                    "status",
                    format!(
                        "{} ({})",
                        job_status_text(row.status, &row.raw_status),
                        sanitize_line(&row.raw_status)
                    ),
                    theme,
                ),
                field("type", opt(row.kind.as_deref()), theme),
                field("target", opt(row.target.as_deref()), theme),
                field(
                    "created",
                    row.created_at.map(fmt_utc).unwrap_or_else(|| "-".into()),
                    theme,
                ),
                field(
                    "started",
                    row.started_at.map(fmt_utc).unwrap_or_else(|| "-".into()),
                    theme,
                ),
                field(
                    "finished",
                    row.finished_at.map(fmt_utc).unwrap_or_else(|| "-".into()),
                    theme,
                ),
            ];
            if let Some(error) = &row.error_line {
                lines.push(Line::default());
                lines.push(Line::from(Span::styled(
                    sanitize_line(error),
                    theme.error(),
                )));
            }
            lines
        }
        Tab::Ms => {
            let Some(row) = app.ms.selected_row() else {
                return Vec::new();
            };
            vec![
                Line::from(Span::styled(sanitize_line(&row.path), theme.title())),
                field("group", opt(row.group_id.as_deref()), theme),
                field("status", opt(row.status.as_deref()), theme),
                field("stage", opt(row.stage.as_deref()), theme),
                field("field", opt(row.field_name.as_deref()), theme),
                field(
                    "mid",
                    row.mid_mjd
                        .map(|m| fmt_utc(mjd_to_unix(m)))
                        .unwrap_or_else(|| "-".into()),
                    theme,
                ),
            ]
        }
        Tab::Sources => {
            let Some(row) = app.sources.selected_row() else {
                return Vec::new();
            };
            vec![
                Line::from(Span::styled(sanitize_line(&row.id), theme.title())),
                field("name", opt(row.name.as_deref()), theme),
                field(
                    "position",
                    match (row.ra_deg, row.dec_deg) {
                        (Some(ra), Some(dec)) => format!("{} {}", fmt_ra(ra), fmt_dec(dec)),
                        _ => "-".into(),
                    },
                    theme,
                ),
                field("detected", format!("{} times", row.detections), theme),
                field(
                    "latest",
                    row.latest_flux_jy
                        .map(fmt_flux_jy)
                        .unwrap_or_else(|| "-".into()),
                    theme,
                ),
            ]
        }
        // Images use the header preview of `ui::detail`; Pool has no list.
        Tab::Images | Tab::Pool => Vec::new(),
    }
}

pub fn draw_preview(frame: &mut Frame, area: Rect, app: &App) {
    let theme = Theme::new(app.cfg.no_color);
    let block = Block::default()
        .borders(Borders::LEFT)
        .border_style(theme.muted());
    frame.render_widget(
        Paragraph::new(preview_lines(app))
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
