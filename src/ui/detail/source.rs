//! The source pane: where the source is and how variable it looks, its light curve with
//! error bars, and the images each measurement came from (Enter opens the selected one).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph, Row, Table, TableState,
};

use super::text::{ellipsize_start, fact_lines};
use super::theme::Theme;
use crate::snapshot::{LightPoint, SourceDetail};
use crate::text::{fmt_dec, fmt_flux_jy, fmt_ra, fmt_utc_short, mjd_to_unix, sanitize_line};

/// Which measurement is selected, as an index into `SourceDetail::points` (oldest first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourcePaneState {
    selected_point: usize,
}

impl SourcePaneState {
    /// The selected measurement, clamped to the points there are.
    pub fn selected_point(&self, d: &SourceDetail) -> Option<usize> {
        let n = d.points.len();
        (n > 0).then(|| self.selected_point.min(n - 1))
    }

    pub fn select_next(&mut self, d: &SourceDetail) {
        if let Some(i) = self.selected_point(d) {
            self.selected_point = (i + 1).min(d.points.len() - 1);
        }
    }

    pub fn select_prev(&mut self, d: &SourceDetail) {
        if let Some(i) = self.selected_point(d) {
            self.selected_point = i.saturating_sub(1);
        }
    }

    pub fn select_first(&mut self) {
        self.selected_point = 0;
    }

    /// The newest measurement.
    pub fn select_last(&mut self, d: &SourceDetail) {
        self.selected_point = d.points.len().saturating_sub(1);
    }

    /// The image the selected measurement was made on: what Enter opens.
    pub fn selected_image<'d>(&self, d: &'d SourceDetail) -> Option<&'d str> {
        let i = self.selected_point(d)?;
        d.points[i].image_path.as_deref()
    }
}

/// Fluxes are drawn in mJy unless the source is brighter than 1 Jy.
#[derive(Debug, Clone, Copy, PartialEq)]
struct FluxUnit {
    name: &'static str,
    per_jy: f64,
}

fn flux_unit(points: &[LightPoint]) -> FluxUnit {
    let brightest = points.iter().map(|p| p.flux_jy.abs()).fold(0.0, f64::max);
    if brightest >= 1.0 {
        FluxUnit {
            name: "Jy",
            per_jy: 1.0,
        }
    } else {
        FluxUnit {
            name: "mJy",
            per_jy: 1e3,
        }
    }
}

fn facts(d: &SourceDetail, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let Some(r) = &d.row else {
        return vec![Line::styled("no summary row for this source", theme.dim())];
    };
    let position = match (r.ra_deg, r.dec_deg) {
        (Some(ra), Some(dec)) => format!("{} {}", fmt_ra(ra), fmt_dec(dec)),
        _ => String::new(),
    };
    let latest = r.latest_flux_jy.map_or(String::new(), |f| {
        let at = r
            .latest_mjd
            .map(|m| format!(" @ MJD {m:.3}"))
            .unwrap_or_default();
        format!("{}{at}", fmt_flux_jy(f))
    });
    let name = r
        .name
        .as_deref()
        .filter(|n| *n != r.id)
        .map(sanitize_line)
        .unwrap_or_default();
    let mut list = vec![
        ("id", sanitize_line(&r.id)),
        ("name", name),
        ("position", position),
        ("detections", r.detections.to_string()),
        ("latest", latest),
        (
            "NVSS",
            r.nvss_flux_mjy
                .map(|f| format!("{f:.1} mJy"))
                .unwrap_or_default(),
        ),
    ];
    if let Some(v) = &r.variability {
        let num = |x: Option<f64>, dec: usize| x.map(|x| format!("{x:.dec$}")).unwrap_or_default();
        let mean = match (v.mean_flux_mjy, v.std_flux_mjy) {
            (Some(m), Some(s)) => format!("{m:.1}±{s:.1} mJy"),
            (Some(m), None) => format!("{m:.1} mJy"),
            _ => String::new(),
        };
        list.extend([
            ("n", v.n_obs.map(|n| n.to_string()).unwrap_or_default()),
            ("mean", mean),
            ("χ²ν", num(v.chi2_nu, 2)),
            ("σ", num(v.sigma_deviation, 1)),
            ("η", num(v.eta, 2)),
            ("V", num(v.v, 3)),
        ]);
    }
    fact_lines(&list, width, theme)
}

/// Axis bounds around `values` with 8 % margin, at least `min_pad` either side (so a single
/// point or a flat curve still gets a readable axis).
fn bounds(values: impl Iterator<Item = f64>, min_pad: f64) -> Option<[f64; 2]> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return None;
    }
    let pad = ((hi - lo) * 0.08).max(min_pad);
    Some([lo - pad, hi + pad])
}

fn render_light_curve(
    f: &mut Frame,
    area: Rect,
    d: &SourceDetail,
    st: &SourcePaneState,
    theme: &Theme,
) {
    let unit = flux_unit(&d.points);
    let mut block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(" Light curve ({}) ", unit.name),
        theme.heading(),
    ));
    if d.points.is_empty() {
        let note = Line::styled("no photometry for this source yet", theme.dim());
        f.render_widget(Paragraph::new(note).block(block), area);
        return;
    }
    let scaled = |jy: f64| jy * unit.per_jy;
    let points: Vec<(f64, f64)> = d
        .points
        .iter()
        .map(|p| (p.mjd, scaled(p.flux_jy)))
        .collect();
    let bars: Vec<[(f64, f64); 2]> = d
        .points
        .iter()
        .filter_map(|p| {
            let err = p.flux_err_jy.filter(|e| e.is_finite() && *e > 0.0)?;
            Some([
                (p.mjd, scaled(p.flux_jy - err)),
                (p.mjd, scaled(p.flux_jy + err)),
            ])
        })
        .collect();
    let selected: Vec<(f64, f64)> = st
        .selected_point(d)
        .map(|i| vec![points[i]])
        .unwrap_or_default();
    // Half an hour of margin in time; in flux, 5 % of the brightest value.
    let x = bounds(d.points.iter().map(|p| p.mjd), 0.02).unwrap_or([0.0, 1.0]);
    let nvss = d
        .row
        .as_ref()
        .and_then(|r| r.nvss_flux_mjy)
        .map(|mjy| scaled(mjy / 1e3));
    let y = bounds(
        bars.iter()
            .flat_map(|b| [b[0].1, b[1].1])
            .chain(points.iter().map(|p| p.1))
            .chain(nvss),
        points.iter().map(|p| p.1.abs()).fold(0.0, f64::max) * 0.05 + 1e-6,
    )
    .unwrap_or([0.0, 1.0]);
    let nvss_line: Vec<(f64, f64)> = nvss.map(|v| vec![(x[0], v), (x[1], v)]).unwrap_or_default();

    let mut datasets: Vec<Dataset> = Vec::with_capacity(bars.len() + 3);
    datasets.push(
        Dataset::default()
            .graph_type(GraphType::Line)
            .marker(Marker::Custom('┄'))
            .style(theme.dim())
            .data(&nvss_line),
    );
    datasets.extend(bars.iter().map(|b| {
        Dataset::default()
            .graph_type(GraphType::Line)
            .marker(Marker::Braille)
            .style(theme.series(Color::DarkGray))
            .data(b.as_slice())
    }));
    datasets.push(
        Dataset::default()
            .graph_type(GraphType::Scatter)
            .marker(Marker::Custom('●'))
            .style(theme.series(Color::Cyan))
            .data(&points),
    );
    datasets.push(
        Dataset::default()
            .graph_type(GraphType::Scatter)
            .marker(Marker::Custom('◆'))
            .style(theme.warn())
            .data(&selected),
    );
    block = block.title_bottom(Line::styled(
        format!(
            " ● flux  │ ±1σ  ◆ selected{} ",
            if nvss.is_some() { "  ┄ NVSS" } else { "" }
        ),
        theme.dim(),
    ));
    let x_labels =
        [x[0], (x[0] + x[1]) / 2.0, x[1]].map(|v| Span::styled(format!("{v:.1}"), theme.dim()));
    let y_labels =
        [y[0], (y[0] + y[1]) / 2.0, y[1]].map(|v| Span::styled(format!("{v:.1}"), theme.dim()));
    let chart = Chart::new(datasets)
        .block(block)
        .legend_position(None)
        .x_axis(
            Axis::default()
                .title(Span::styled("MJD", theme.dim()))
                .bounds(x)
                .labels(x_labels),
        )
        .y_axis(Axis::default().bounds(y).labels(y_labels));
    f.render_widget(chart, area);
}

fn render_points(f: &mut Frame, area: Rect, d: &SourceDetail, st: &SourcePaneState, theme: &Theme) {
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(" Measurements ({}) ", d.points.len()),
        theme.heading(),
    ));
    // What is left for the image column: the file name matters, so its start gives way.
    let image_width = area.width.saturating_sub(2 + 2 + 10 + 11 + 20 + 3) as usize;
    let rows = d.points.iter().map(|p| {
        let flux = match p.flux_err_jy {
            Some(e) => format!("{} ±{}", fmt_flux_jy(p.flux_jy), fmt_flux_jy(e)),
            None => fmt_flux_jy(p.flux_jy),
        };
        let image = p
            .image_path
            .as_deref()
            .map(|path| ellipsize_start(&sanitize_line(path), image_width))
            .unwrap_or_else(|| "-".into());
        Row::new([
            format!("{:.4}", p.mjd),
            fmt_utc_short(mjd_to_unix(p.mjd)),
            flux,
            image,
        ])
    });
    let widths = [
        Constraint::Length(10),
        Constraint::Length(11),
        Constraint::Length(20),
        Constraint::Fill(1),
    ];
    let table = Table::new(rows, widths)
        .header(Row::new(["MJD", "UTC", "flux", "image"]).style(theme.label()))
        .block(block)
        .row_highlight_style(theme.selected())
        .highlight_symbol("▶ ");
    let mut state = TableState::default().with_selected(st.selected_point(d));
    f.render_stateful_widget(table, area, &mut state);
}

/// The source detail pane.
pub fn render_source_detail(
    f: &mut Frame,
    area: Rect,
    d: &SourceDetail,
    st: &SourcePaneState,
    theme: &Theme,
) {
    let title = d
        .row
        .as_ref()
        .map(|r| sanitize_line(&r.id))
        .unwrap_or_else(|| "?".into());
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" Source {title} "), theme.heading()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let lines = facts(d, inner.width as usize, theme);
    let [facts_area, chart_area, list_area] = Layout::vertical([
        Constraint::Length(lines.len() as u16),
        Constraint::Fill(3),
        Constraint::Fill(2),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(lines), facts_area);
    render_light_curve(f, chart_area, d, st, theme);
    render_points(f, list_area, d, st, theme);
}
