//! The header pane: a summary strip of the values operators look at, then the cards, raw (80
//! columns as stored) or parsed (key, value, comment), with search and HDU tabs. A CASA image
//! shows the same strip from its keywords, and its keywords as `coords.direction0.crval`-style
//! cards in one pseudo-HDU.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Tabs, Wrap};

use super::scroll::Scroll;
use super::text::{ellipsize_start, fact_lines, heading, wrap};
use super::theme::Theme;
use crate::fits::{FitsError, Hdu, HeaderDoc, HeaderSummary};
use crate::text::{fmt_bytes, fmt_dec, fmt_ra, sanitize_line};

/// Width of the keyword column in the parsed view (FITS keywords are at most 8 characters).
const KEY_WIDTH: usize = 8;

/// How the operator is looking at a header. Survives a refresh of the same file.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderViewState {
    raw: bool,
    show_commentary: bool,
    search: String,
    hdu: usize,
    scroll: Scroll,
    match_index: usize,
    /// Set by a search or a jump between matches; cleared by manual scrolling, so the view
    /// follows the current match until the operator moves on their own.
    follow_match: bool,
}

impl Default for HeaderViewState {
    fn default() -> Self {
        HeaderViewState {
            raw: false,
            show_commentary: true,
            search: String::new(),
            hdu: 0,
            scroll: Scroll::default(),
            match_index: 0,
            follow_match: false,
        }
    }
}

/// One line of the card list, already sanitised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderLine {
    /// Index of the card in its HDU.
    pub card: usize,
    pub key: String,
    pub value: String,
    pub comment: String,
    /// What the raw view shows and what search looks in.
    pub text: String,
}

impl HeaderViewState {
    pub fn raw(&self) -> bool {
        self.raw
    }
    pub fn show_commentary(&self) -> bool {
        self.show_commentary
    }
    pub fn search(&self) -> &str {
        &self.search
    }
    pub fn hdu(&self) -> usize {
        self.hdu
    }

    /// Another file is shown: keep the operator's toggles and search, start at its top.
    pub fn new_file(&mut self) {
        self.hdu = 0;
        self.reset_position();
    }

    pub fn toggle_raw(&mut self) {
        self.raw = !self.raw;
        self.scroll.top();
    }

    /// Show or hide COMMENT, HISTORY and blank-keyword cards.
    pub fn toggle_commentary(&mut self) {
        self.show_commentary = !self.show_commentary;
        self.scroll.top();
    }

    /// Search (case-insensitive) and go to the first match; an empty text clears the search.
    pub fn set_search(&mut self, text: &str) {
        self.search = text.to_string();
        self.match_index = 0;
        self.follow_match = !text.is_empty();
    }

    pub fn next_match(&mut self, doc: &HeaderDoc) {
        let n = self.matches(doc).len();
        if n > 0 {
            self.match_index = (self.match_index.min(n - 1) + 1) % n;
            self.follow_match = true;
        }
    }

    pub fn prev_match(&mut self, doc: &HeaderDoc) {
        let n = self.matches(doc).len();
        if n > 0 {
            self.match_index = (self.match_index.min(n - 1) + n - 1) % n;
            self.follow_match = true;
        }
    }

    pub fn next_hdu(&mut self, doc: &HeaderDoc) {
        if !doc.hdus.is_empty() {
            self.hdu = (self.hdu.min(doc.hdus.len() - 1) + 1) % doc.hdus.len();
            self.reset_position();
        }
    }

    pub fn prev_hdu(&mut self, doc: &HeaderDoc) {
        if !doc.hdus.is_empty() {
            let n = doc.hdus.len();
            self.hdu = (self.hdu.min(n - 1) + n - 1) % n;
            self.reset_position();
        }
    }

    pub fn scroll_down(&mut self) {
        self.follow_match = false;
        self.scroll.down(1);
    }
    pub fn scroll_up(&mut self) {
        self.follow_match = false;
        self.scroll.up(1);
    }
    pub fn page_down(&mut self) {
        self.follow_match = false;
        self.scroll.page_down();
    }
    pub fn page_up(&mut self) {
        self.follow_match = false;
        self.scroll.page_up();
    }
    pub fn scroll_top(&mut self) {
        self.follow_match = false;
        self.scroll.top();
    }
    pub fn scroll_bottom(&mut self) {
        self.follow_match = false;
        self.scroll.bottom();
    }

    fn reset_position(&mut self) {
        self.scroll.top();
        self.match_index = 0;
        self.follow_match = !self.search.is_empty();
    }

    fn current_hdu<'d>(&self, doc: &'d HeaderDoc) -> Option<&'d Hdu> {
        doc.hdus.get(self.hdu).or_else(|| doc.hdus.first())
    }

    /// The lines the card list shows, in order, for the current HDU and toggles.
    pub fn visible_lines(&self, doc: &HeaderDoc) -> Vec<HeaderLine> {
        let Some(hdu) = self.current_hdu(doc) else {
            return Vec::new();
        };
        hdu.cards
            .iter()
            .enumerate()
            .filter(|(_, c)| self.show_commentary || !c.is_commentary())
            // The parsed view shows a long string once, joined into its first card.
            .filter(|(_, c)| self.raw || c.key != "CONTINUE")
            .map(|(i, c)| {
                let key = sanitize_line(&c.key);
                let value = c.value.as_deref().map(sanitize_line).unwrap_or_default();
                let comment = c.comment.as_deref().map(sanitize_line).unwrap_or_default();
                let text = if self.raw {
                    sanitize_line(&c.raw)
                } else {
                    parsed_text(&key, &value, &comment)
                };
                HeaderLine {
                    card: i,
                    key,
                    value,
                    comment,
                    text,
                }
            })
            .collect()
    }

    /// Indices into `visible_lines` of the lines containing the search text.
    pub fn matches(&self, doc: &HeaderDoc) -> Vec<usize> {
        matching_lines(&self.visible_lines(doc), &self.search)
    }

    /// Index into `visible_lines` of the current match.
    pub fn current_match(&self, doc: &HeaderDoc) -> Option<usize> {
        let matches = self.matches(doc);
        let n = matches.len();
        (n > 0).then(|| matches[self.match_index.min(n - 1)])
    }
}

fn parsed_text(key: &str, value: &str, comment: &str) -> String {
    let mut text = format!("{key:<KEY_WIDTH$} {value}");
    if !comment.is_empty() {
        text.push_str(" / ");
        text.push_str(comment);
    }
    text.trim_end().to_string()
}

fn matching_lines(lines: &[HeaderLine], search: &str) -> Vec<usize> {
    if search.is_empty() {
        return Vec::new();
    }
    let needle = search.to_lowercase();
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.text.to_lowercase().contains(&needle))
        .map(|(i, _)| i)
        .collect()
}

/// A header being loaded, loaded, or failed to load (for the Images tab's side pane).
#[derive(Debug, Clone, Copy)]
pub enum HeaderLoad<'a> {
    Loading,
    Loaded(&'a HeaderDoc),
    Failed(&'a FitsError),
}

/// The summary values as `label value` facts; absent values are empty (and skipped).
pub fn summary_facts(s: &HeaderSummary) -> Vec<(&'static str, String)> {
    let shape = s
        .shape
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join("x");
    let beam = match (s.bmaj_arcsec, s.bmin_arcsec) {
        (Some(maj), Some(min)) => {
            let pa = s.bpa_deg.map(|p| format!(" @ {p:.1}°")).unwrap_or_default();
            format!("{maj:.1}″ x {min:.1}″{pa}")
        }
        (Some(maj), None) => format!("{maj:.1}″"),
        _ => String::new(),
    };
    let centre = match (s.centre_ra_deg, s.centre_dec_deg) {
        (Some(ra), Some(dec)) => format!("{} {}", fmt_ra(ra), fmt_dec(dec)),
        _ => String::new(),
    };
    let opt = |v: &Option<String>| v.as_deref().map(sanitize_line).unwrap_or_default();
    vec![
        ("shape", shape),
        ("unit", opt(&s.bunit)),
        ("beam", beam),
        (
            "cell",
            s.cell_arcsec
                .map(|c| format!("{c:.2}″"))
                .unwrap_or_default(),
        ),
        (
            "freq",
            s.freq_hz
                .map(|f| format!("{:.3} GHz", f / 1e9))
                .unwrap_or_default(),
        ),
        ("centre", centre),
        ("DATE-OBS", opt(&s.date_obs)),
        ("TELESCOP", opt(&s.telescope)),
        ("OBJECT", opt(&s.object)),
    ]
}

/// The document's caveat (another name of the image was read; a gzip file's HDU list stops
/// early), wrapped, dim.
fn note_lines(doc: &HeaderDoc, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    doc.note
        .as_deref()
        .map(|note| {
            wrap(&format!("note: {}", sanitize_line(note)), width.max(8))
                .into_iter()
                .map(|piece| Line::styled(piece, theme.dim()))
                .collect()
        })
        .unwrap_or_default()
}

fn pane_block<'a>(title: String, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.heading()))
}

fn doc_title(doc: &HeaderDoc, width: usize) -> String {
    let size = format!(" ({})", fmt_bytes(doc.file_bytes));
    let room = width.saturating_sub(size.chars().count() + 12);
    format!(
        " Header {}{size} ",
        ellipsize_start(&sanitize_line(&doc.path), room)
    )
}

/// One display row per card (more when a long value wraps), and where each card starts.
fn layout_rows(
    lines: &[HeaderLine],
    raw: bool,
    width: usize,
    theme: &Theme,
    styles: &[ratatui::style::Style],
) -> (Vec<Line<'static>>, Vec<usize>) {
    let mut rows = Vec::new();
    let mut starts = Vec::with_capacity(lines.len());
    for (line, style) in lines.iter().zip(styles) {
        starts.push(rows.len());
        if raw {
            // Raw cards are 80 columns; wrapping them would hide that, so they are cut.
            rows.push(Line::styled(line.text.clone(), *style));
            continue;
        }
        let indent = KEY_WIDTH + 1;
        let body = if line.comment.is_empty() {
            line.value.clone()
        } else if line.value.is_empty() {
            line.comment.clone()
        } else {
            format!("{} / {}", line.value, line.comment)
        };
        let pieces = wrap(&body, width.saturating_sub(indent).max(8));
        for (i, piece) in pieces.into_iter().enumerate() {
            let head = if i == 0 {
                format!("{:<KEY_WIDTH$} ", line.key)
            } else {
                " ".repeat(indent)
            };
            let mut spans = vec![Span::styled(head, theme.label().patch(*style))];
            // Dim the comment part where it is on its own, so values stand out.
            match piece.find(" / ").filter(|_| !line.comment.is_empty()) {
                Some(at) if !line.value.is_empty() && i == 0 => {
                    spans.push(Span::styled(piece[..at].to_string(), *style));
                    spans.push(Span::styled(
                        piece[at..].to_string(),
                        theme.dim().patch(*style),
                    ));
                }
                _ => spans.push(Span::styled(piece, *style)),
            }
            rows.push(Line::from(spans));
        }
    }
    (rows, starts)
}

/// The FITS header pane, or one line with the reason the header could not be read.
pub fn render_fits_header(
    f: &mut Frame,
    area: Rect,
    doc: Result<&HeaderDoc, &FitsError>,
    st: &HeaderViewState,
    theme: &Theme,
) {
    let doc = match doc {
        Ok(doc) => doc,
        Err(err) => {
            let para = Paragraph::new(Line::styled(
                format!("Cannot read header: {}", sanitize_line(&err.to_string())),
                theme.error(),
            ))
            .wrap(Wrap { trim: false })
            .block(pane_block(" Header ".into(), theme));
            f.render_widget(para, area);
            return;
        }
    };
    let block = pane_block(doc_title(doc, area.width as usize), theme);
    let inner = block.inner(area);
    let width = inner.width as usize;

    let mut summary = fact_lines(&summary_facts(&doc.summary), width, theme);
    summary.extend(note_lines(doc, width, theme));
    // On a short screen the summary gives way to the cards, keeping at least its first line.
    let summary_height = if inner.height < 16 {
        summary.len().min(1)
    } else {
        summary.len()
    };
    // HDU tabs when there are several, else a rule that separates the summary from the cards.
    let tabs_height = 1;
    let [summary_area, tabs_area, body_area] = Layout::vertical([
        Constraint::Length(summary_height as u16),
        Constraint::Length(tabs_height as u16),
        Constraint::Fill(1),
    ])
    .areas(inner);

    let lines = st.visible_lines(doc);
    let matches = matching_lines(&lines, &st.search);
    let current = (!matches.is_empty()).then(|| matches[st.match_index.min(matches.len() - 1)]);
    let styles: Vec<_> = (0..lines.len())
        .map(|i| {
            if Some(i) == current {
                theme.selected()
            } else if matches.binary_search(&i).is_ok() {
                theme.matched()
            } else {
                ratatui::style::Style::default()
            }
        })
        .collect();
    let (rows, starts) = layout_rows(&lines, st.raw, width, theme, &styles);
    let height = body_area.height as usize;
    let offset = match current.filter(|_| st.follow_match) {
        Some(line) => st
            .scroll
            .resolve_revealing(starts[line], rows.len(), height),
        None => st.scroll.resolve(rows.len(), height),
    };

    let status = status_label(st, &lines, matches.len(), current, &matches);
    let block = block.title_bottom(Line::from(status).right_aligned());
    f.render_widget(block, area);
    f.render_widget(Paragraph::new(summary), summary_area);
    if doc.hdus.len() > 1 {
        let titles = doc.hdus.iter().map(|h| {
            let name = h.name.as_deref().map(sanitize_line).unwrap_or_default();
            format!("{} {} {name}", h.index, sanitize_line(&h.kind))
                .trim_end()
                .to_string()
        });
        let tabs = Tabs::new(titles)
            .select(st.hdu.min(doc.hdus.len() - 1))
            .highlight_style(theme.selected());
        f.render_widget(tabs, tabs_area);
    } else if let Some(hdu) = doc.hdus.first() {
        let title = format!("{} {}", hdu.index, sanitize_line(&hdu.kind));
        f.render_widget(Paragraph::new(heading(&title, width, theme)), tabs_area);
    }
    let visible: Vec<Line> = rows.into_iter().skip(offset).take(height).collect();
    if visible.is_empty() {
        let note = if doc.hdus.is_empty() {
            "(no HDUs)"
        } else {
            "(no cards to show)"
        };
        f.render_widget(Paragraph::new(Line::styled(note, theme.dim())), body_area);
    } else {
        f.render_widget(Paragraph::new(visible), body_area);
    }
}

fn status_label(
    st: &HeaderViewState,
    lines: &[HeaderLine],
    n_matches: usize,
    current: Option<usize>,
    matches: &[usize],
) -> String {
    let mut parts = vec![if st.raw { "raw" } else { "parsed" }.to_string()];
    if !st.show_commentary {
        parts.push("no HISTORY/COMMENT".into());
    }
    if !st.search.is_empty() {
        let which = current
            .and_then(|c| matches.iter().position(|m| *m == c))
            .map_or(0, |p| p + 1);
        parts.push(format!(
            "/{} {which}/{n_matches}",
            sanitize_line(&st.search)
        ));
    }
    parts.push(format!("{} cards", lines.len()));
    let pos = st.scroll.position_label();
    if !pos.is_empty() {
        parts.push(pos.trim().to_string());
    }
    format!(" {} ", parts.join(" · "))
}

/// A compact header for the Images tab's side pane: summary, then the first keyword cards.
pub fn render_header_preview(f: &mut Frame, area: Rect, header: HeaderLoad<'_>, theme: &Theme) {
    let block = pane_block(" Header ".into(), theme);
    let inner = block.inner(area);
    let width = inner.width as usize;
    let lines: Vec<Line> = match header {
        HeaderLoad::Loading => vec![Line::styled("reading header…", theme.dim())],
        HeaderLoad::Failed(err) => vec![Line::styled(
            format!("Cannot read header: {}", sanitize_line(&err.to_string())),
            theme.error(),
        )],
        HeaderLoad::Loaded(doc) => {
            let mut lines = fact_lines(&summary_facts(&doc.summary), width, theme);
            lines.extend(note_lines(doc, width, theme));
            let st = HeaderViewState {
                show_commentary: false,
                ..HeaderViewState::default()
            };
            let cards = st.visible_lines(doc);
            let styles = vec![ratatui::style::Style::default(); cards.len()];
            let room = (inner.height as usize).saturating_sub(lines.len());
            let (rows, _) = layout_rows(&cards, false, width, theme, &styles);
            lines.extend(rows.into_iter().take(room));
            lines
        }
    };
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}
