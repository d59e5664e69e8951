//! The four list tables. Only the rows on screen are turned into cells (the lists hold
//! hundreds of rows and the pipeline's tables millions). Every database string passes
//! through `sanitize_line`; numbers and times through `crate::text` formatters.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use crate::app::App;
use crate::app::list::{Keyed, ListState, visible_offset};
use crate::app::update::failed_term;
use crate::fits::HeaderSummary;
use crate::snapshot::{ImageRow, JobRow, JobStatus, MsRow, SourceRow, Tab};
use crate::text::{
    fmt_dec, fmt_duration, fmt_flux_jy, fmt_opt, fmt_ra, fmt_utc_short, mjd_to_unix, sanitize_line,
};
use crate::ui::columns::{Column, clip, fit_columns};
use crate::ui::theme::Theme;

/// Marks a value read from the FITS header because the database left it empty.
pub const HEADER_MARK: char = 'ʰ';

const SPACING: u16 = 1;

/// One cell before layout: its text and style.
pub type CellText = (String, Style);

/// Draw the list of `tab` into `area`.
pub fn draw_list(frame: &mut Frame, area: Rect, app: &App, tab: Tab) {
    let theme = Theme::new(app.cfg.no_color);
    match tab {
        Tab::Images => {
            let uses_header = |r: &ImageRow| {
                let summary = app.headers.header(&r.path).map(|h| &h.summary);
                image_cells(r, summary, theme).1
            };
            // The legend takes a line only when a value on screen needs it.
            let needs_legend =
                area.height > 3 && visible(&app.images, area).iter().any(uses_header);
            let (table_area, legend) = if needs_legend {
                let [t, l] =
                    Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
                (t, Some(l))
            } else {
                (area, None)
            };
            let cells: Vec<Vec<CellText>> = visible(&app.images, table_area)
                .iter()
                .map(|r| {
                    let summary = app.headers.header(&r.path).map(|h| &h.summary);
                    image_cells(r, summary, theme).0
                })
                .collect();
            draw_table(
                frame,
                table_area,
                app,
                &app.images,
                &IMAGE_COLUMNS,
                cells,
                tab,
            );
            if let Some(legend) = legend {
                let text =
                    format!("{HEADER_MARK} = from the FITS header (the database has no value)");
                frame.render_widget(Paragraph::new(Span::styled(text, theme.muted())), legend);
            }
        }
        Tab::Sources => {
            let cells = visible(&app.sources, area)
                .iter()
                .map(|r| source_cells(r, theme))
                .collect();
            draw_table(frame, area, app, &app.sources, &SOURCE_COLUMNS, cells, tab);
        }
        Tab::Jobs => {
            let cells = visible(&app.jobs, area)
                .iter()
                .map(|r| job_cells(r, app.now, theme))
                .collect();
            draw_table(frame, area, app, &app.jobs, &JOB_COLUMNS, cells, tab);
        }
        Tab::Ms => {
            let cells = visible(&app.ms, area)
                .iter()
                .map(|r| ms_cells(r, app.now, theme))
                .collect();
            draw_table(frame, area, app, &app.ms, &MS_COLUMNS, cells, tab);
        }
        Tab::Pool => {}
    }
}

/// The slice of rows that fits under the table header in `area`.
fn visible<R: Keyed + Clone>(list: &ListState<R>, area: Rect) -> &[R] {
    let height = usize::from(area.height.saturating_sub(1));
    let start = visible_offset(list.selected, list.offset, height).min(list.rows.len());
    let end = (start + height).min(list.rows.len());
    &list.rows[start..end]
}

fn draw_table<R: Keyed + Clone>(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    list: &ListState<R>,
    columns: &[Column],
    cells: Vec<Vec<CellText>>,
    tab: Tab,
) {
    let theme = Theme::new(app.cfg.no_color);
    if list.rows.is_empty() {
        let text = empty_message(app, tab, list.loaded);
        let [_, lines] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(text, theme.muted())))
                .wrap(ratatui::widgets::Wrap { trim: true }),
            lines,
        );
        return;
    }
    let widths = fit_columns(columns, area.width, SPACING);
    let kept: Vec<(usize, u16)> = widths
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.map(|w| (i, w)))
        .collect();
    let header = Row::new(
        kept.iter()
            .map(|&(i, w)| Cell::from(align(columns[i].title, w, columns[i].right))),
    )
    .style(theme.header());
    let height = usize::from(area.height.saturating_sub(1));
    let start = visible_offset(list.selected, list.offset, height);
    let rows = cells.into_iter().enumerate().map(|(n, row)| {
        let cells = kept.iter().map(|&(i, w)| {
            let (text, style) = row.get(i).cloned().unwrap_or_default();
            Cell::from(Span::styled(align(&text, w, columns[i].right), style))
        });
        let row = Row::new(cells);
        if start + n == list.selected {
            row.style(theme.selected())
        } else {
            row
        }
    });
    let table = Table::new(rows, kept.iter().map(|&(_, w)| Constraint::Length(w)))
        .header(header)
        .column_spacing(SPACING);
    frame.render_widget(table, area);
}

fn align(text: &str, width: u16, right: bool) -> String {
    // A value from the header keeps its mark when cut: the cut goes before the mark.
    let text = match text.strip_suffix(HEADER_MARK) {
        Some(body) if width > 1 && text.chars().count() > usize::from(width) => {
            format!("{}{HEADER_MARK}", clip(body, width - 1))
        }
        _ => clip(text, width),
    };
    if right {
        format!("{text:>w$}", w = usize::from(width))
    } else {
        text
    }
}

/// What to say when a list has no rows, so the operator knows what to do next.
pub fn empty_message(app: &App, tab: Tab, loaded: bool) -> String {
    if !loaded {
        // Before the first page, the likeliest reason for waiting is the database itself.
        if let Some(error) = app.health.get(&None).and_then(|h| h.error.as_deref()) {
            return format!(
                "cannot read the pipeline database — {} — retrying; the last good data will show here \
                 (set PIPELINE_DB or --db to point at another file)",
                sanitize_line(error)
            );
        }
        return "loading…".into();
    }
    if let Some(missing) = app
        .health
        .get(&Some(tab))
        .and_then(|h| h.missing.as_deref())
    {
        return format!(
            "nothing to show: {} is not in this database",
            sanitize_line(missing)
        );
    }
    let filter = app.filter_text(tab);
    if tab == Tab::Jobs && app.jobs.filter.terms.contains(&failed_term()) {
        let failed = app
            .keymap()
            .keys_for(crate::app::Context::Jobs, crate::app::Action::FailedOnly);
        return format!(
            "no failed jobs in view — press {} to show all",
            failed.unwrap_or_else(|| "f".into())
        );
    }
    if !filter.is_empty() {
        let key = app
            .keymap()
            .keys_for(crate::app::Context::List, crate::app::Action::Filter)
            .unwrap_or_else(|| "/".into());
        return format!(
            "nothing matches `{}` — press {key} to change the filter",
            sanitize_line(filter)
        );
    }
    match tab {
        Tab::Images => "no images yet — the pipeline has not written any".into(),
        Tab::Sources => "no sources yet — photometry has not measured any".into(),
        Tab::Jobs => "no jobs recorded yet".into(),
        Tab::Ms => "no Measurement Sets indexed yet".into(),
        Tab::Pool => String::new(),
    }
}

/// The last path component: lists show file names, details show whole paths.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').find(|p| !p.is_empty()).unwrap_or(path)
}

/// An image path without its directory and `.fits` (CASA directories keep their whole name).
pub fn image_name(path: &str) -> &str {
    let name = file_name(path);
    name.strip_suffix(".fits").unwrap_or(name)
}

/// An MS path as its group id (`…/2025-10-21T14:23:19.ms` → `2025-10-21T14:23:19`).
pub fn ms_name(path: &str) -> &str {
    let name = file_name(path);
    name.strip_suffix(".ms").unwrap_or(name)
}

/// `hh:mm:ss.ss ±dd:mm:ss.s` when both coordinates are known.
pub fn position(ra: Option<f64>, dec: Option<f64>) -> Option<String> {
    Some(format!("{} {}", fmt_ra(ra?), fmt_dec(dec?)))
}

fn text(s: &str, style: Style) -> CellText {
    (sanitize_line(s), style)
}

fn opt_text(s: Option<&str>, style: Style) -> CellText {
    match s {
        Some(s) if !s.is_empty() => text(s, style),
        // An absent value is not an error (or a warning): a plain dash.
        _ => ("-".into(), Style::default()),
    }
}

fn time_cell(unix: Option<f64>, theme: Theme) -> CellText {
    match unix {
        Some(t) => (fmt_utc_short(t), theme.base()),
        None => ("-".into(), theme.muted()),
    }
}

// ----- Images --------------------------------------------------------------------------

pub const IMAGE_COLUMNS: [Column; 9] = [
    Column::new("ID", 6, 4, 4).right(),
    Column::new("Created", 11, 11, 1),
    Column::new("Type", 6, 5, 2),
    Column::new("Image", 36, 24, 0).fill(),
    Column::new("Beam″", 11, 10, 1),
    Column::new("Cell″", 6, 5, 3).right(),
    Column::new("GHz", 7, 6, 3).right(),
    Column::new("Centre (RA Dec)", 24, 24, 4),
    Column::new("Noise", 10, 9, 5).right(),
];

/// A value from the database, or else from the FITS header (then marked).
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced {
    pub text: String,
    pub from_header: bool,
}

/// The Images tab's derived values: beam, cell, centre and frequency, from the row or, where
/// the row is NULL (as in production), from the cached header.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageMeta {
    pub beam: Option<Sourced>,
    pub cell: Option<Sourced>,
    /// RA and Dec together: they come from the same place.
    pub centre: Option<Sourced>,
    pub freq_ghz: Option<Sourced>,
}

pub fn image_meta(row: &ImageRow, header: Option<&HeaderSummary>) -> ImageMeta {
    fn pick(db: Option<String>, hdr: Option<String>) -> Option<Sourced> {
        match (db, hdr) {
            (Some(text), _) => Some(Sourced {
                text,
                from_header: false,
            }),
            (None, Some(text)) => Some(Sourced {
                text,
                from_header: true,
            }),
            (None, None) => None,
        }
    }
    let beam = |maj: Option<f64>, min: Option<f64>| match (maj, min) {
        (Some(a), Some(b)) => Some(format!("{a:.1}×{b:.1}")),
        (Some(a), None) => Some(format!("{a:.1}")),
        _ => None,
    };
    let h = header;
    ImageMeta {
        beam: pick(
            beam(row.beam_major_arcsec, row.beam_minor_arcsec),
            h.and_then(|h| beam(h.bmaj_arcsec, h.bmin_arcsec)),
        ),
        cell: pick(
            row.cellsize_arcsec.map(fmt_cell),
            h.and_then(|h| h.cell_arcsec).map(fmt_cell),
        ),
        centre: pick(
            position(row.center_ra_deg, row.center_dec_deg),
            h.and_then(|h| position(h.centre_ra_deg, h.centre_dec_deg)),
        ),
        freq_ghz: pick(
            row.freq_ghz.map(|f| format!("{f:.3}")),
            h.and_then(|h| h.freq_hz).map(|f| format!("{:.3}", f / 1e9)),
        ),
    }
}

/// A cell size in arcsec in at most 4 characters (the pipeline's range is 0.1-60″), so the
/// `ʰ` mark still fits the Cell column at its narrowest: `2.50`, `12.0`, `120`.
pub fn fmt_cell(arcsec: f64) -> String {
    if arcsec < 9.995 {
        format!("{arcsec:.2}")
    } else if arcsec < 99.95 {
        format!("{arcsec:.1}")
    } else {
        format!("{arcsec:.0}")
    }
}

/// Cells of one image row, and whether any value came from the header.
pub fn image_cells(
    row: &ImageRow,
    header: Option<&HeaderSummary>,
    theme: Theme,
) -> (Vec<CellText>, bool) {
    let meta = image_meta(row, header);
    let mut from_header = false;
    let mut sourced = |v: Option<Sourced>| match v {
        Some(Sourced {
            text,
            from_header: true,
        }) => {
            from_header = true;
            (format!("{text}{HEADER_MARK}"), theme.from_header())
        }
        Some(Sourced { text, .. }) => (text, theme.base()),
        None => ("-".into(), theme.muted()),
    };
    let cells = vec![
        (row.id.to_string(), theme.muted()),
        time_cell(row.created_at, theme),
        opt_text(row.kind.as_deref(), theme.base()),
        text(image_name(&row.path), theme.base()),
        sourced(meta.beam),
        sourced(meta.cell),
        sourced(meta.freq_ghz),
        sourced(meta.centre),
        match row.noise_jy {
            Some(n) => (fmt_flux_jy(n), theme.base()),
            None => ("-".into(), theme.muted()),
        },
    ];
    (cells, from_header)
}

// ----- Sources -------------------------------------------------------------------------

pub const SOURCE_COLUMNS: [Column; 8] = [
    Column::new("Source", 24, 21, 0).fill(),
    Column::new("Position (RA Dec)", 24, 23, 3),
    Column::new("N", 5, 3, 1).right(),
    Column::new("Latest", 10, 10, 1).right(),
    Column::new("NVSS mJy", 8, 8, 3).right(),
    Column::new("Last seen", 11, 11, 2),
    Column::new("χ²ν", 6, 5, 4).right(),
    Column::new("σ", 5, 4, 5).right(),
];

pub fn source_cells(row: &SourceRow, theme: Theme) -> Vec<CellText> {
    let name = row
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .unwrap_or(&row.id);
    let var = row.variability.as_ref();
    vec![
        text(name, theme.base()),
        (
            position(row.ra_deg, row.dec_deg).unwrap_or_else(|| "-".into()),
            theme.base(),
        ),
        (row.detections.to_string(), theme.base()),
        (
            row.latest_flux_jy
                .map(fmt_flux_jy)
                .unwrap_or_else(|| "-".into()),
            theme.base(),
        ),
        (fmt_opt(row.nvss_flux_mjy, 1), theme.base()),
        time_cell(row.latest_mjd.map(mjd_to_unix), theme),
        (fmt_opt(var.and_then(|v| v.chi2_nu), 2), theme.base()),
        (
            fmt_opt(var.and_then(|v| v.sigma_deviation), 1),
            theme.base(),
        ),
    ]
}

// ----- Jobs ----------------------------------------------------------------------------

pub const JOB_COLUMNS: [Column; 9] = [
    Column::new("Status", 9, 9, 0),
    Column::new("Src", 8, 8, 4),
    Column::new("ID", 10, 6, 5),
    Column::new("Type", 14, 8, 1),
    Column::new("Target", 19, 19, 1),
    Column::new("Created", 11, 11, 2),
    Column::new("Took", 6, 6, 2).right(),
    Column::new("Try", 3, 3, 5).right(),
    Column::new("Error", 40, 12, 1).fill(),
];

/// Status text that reads without colour: a symbol and the word.
pub fn job_status_text(status: JobStatus, raw: &str) -> String {
    match status {
        JobStatus::Failed => "✗ failed".into(),
        JobStatus::Running => "▶ running".into(),
        JobStatus::Queued => "… queued".into(),
        JobStatus::Succeeded => "✓ ok".into(),
        JobStatus::Cancelled => "– cancel".into(),
        JobStatus::NoOp => "∅ no-op".into(),
        JobStatus::Unknown => format!("? {}", sanitize_line(raw)),
    }
}

pub fn job_cells(row: &JobRow, now: f64, theme: Theme) -> Vec<CellText> {
    let attempts = match (row.attempts, row.max_attempts) {
        (Some(a), Some(m)) => format!("{a}/{m}"),
        (Some(a), None) => a.to_string(),
        _ => "-".into(),
    };
    vec![
        (
            job_status_text(row.status, &row.raw_status),
            theme.job_status(row.status),
        ),
        (row.key.source.name().to_string(), theme.muted()),
        // ms_state rows are keyed by their MS path: its name is the readable part.
        text(ms_name(&row.key.id), theme.muted()),
        opt_text(row.kind.as_deref(), theme.base()),
        opt_text(row.target.as_deref().map(ms_name), theme.base()),
        time_cell(row.created_at, theme),
        (
            row.duration(now)
                .map(fmt_duration)
                .unwrap_or_else(|| "-".into()),
            theme.base(),
        ),
        (attempts, theme.base()),
        opt_text(row.error_line.as_deref(), theme.error()),
    ]
}

// ----- MS ------------------------------------------------------------------------------

pub const MS_COLUMNS: [Column; 8] = [
    Column::new("Measurement Set", 19, 19, 0),
    Column::new("Status", 12, 10, 0),
    Column::new("Stage", 17, 11, 1),
    Column::new("Cal", 3, 3, 3),
    Column::new("Field", 12, 6, 5).fill(),
    Column::new("Mid (UTC)", 11, 11, 1),
    Column::new("Pointing (RA Dec)", 24, 23, 4),
    Column::new("Age", 7, 6, 2).right(),
];

pub fn ms_cells(row: &MsRow, now: f64, theme: Theme) -> Vec<CellText> {
    let status = row.status.as_deref().unwrap_or("-");
    vec![
        text(ms_name(&row.path), theme.base()),
        text(status, theme.text_status(status)),
        opt_text(row.stage.as_deref(), theme.base()),
        (
            match row.cal_applied {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => "-".into(),
            },
            theme.base(),
        ),
        opt_text(row.field_name.as_deref(), theme.base()),
        time_cell(row.mid_mjd.map(mjd_to_unix), theme),
        (
            position(row.pointing_ra_deg, row.pointing_dec_deg).unwrap_or_else(|| "-".into()),
            theme.base(),
        ),
        (
            row.stage_updated_at
                .map(|t| fmt_duration((now - t).max(0.0)))
                .unwrap_or_else(|| "-".into()),
            theme.base(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_null_beam_is_taken_from_the_header_and_marked() {
        let row = ImageRow {
            id: 1,
            path: "/x.fits".into(),
            cellsize_arcsec: Some(2.5),
            ..Default::default()
        };
        let header = HeaderSummary {
            bmaj_arcsec: Some(12.34),
            bmin_arcsec: Some(10.0),
            cell_arcsec: Some(3.0),
            ..Default::default()
        };
        let meta = image_meta(&row, Some(&header));
        assert_eq!(
            meta.beam,
            Some(Sourced {
                text: "12.3×10.0".into(),
                from_header: true
            })
        );
        assert_eq!(
            meta.cell,
            Some(Sourced {
                text: "2.50".into(),
                from_header: false
            }),
            "the database wins when it has a value"
        );
        let (cells, from_header) = image_cells(&row, Some(&header), Theme::new(true));
        assert!(from_header);
        assert_eq!(cells[4].0, format!("12.3×10.0{HEADER_MARK}"));
    }

    #[test]
    fn hostile_text_in_a_cell_is_made_inert() {
        let row = MsRow {
            path: "/ms/evil\x1b[2J.ms".into(),
            ..Default::default()
        };
        let cells = ms_cells(&row, 0.0, Theme::new(true));
        assert!(
            !cells[0].0.chars().any(char::is_control),
            "{:?}",
            cells[0].0
        );
    }
}
