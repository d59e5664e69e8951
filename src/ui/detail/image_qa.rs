//! The image pane's quality strip: what the pipeline keeps about the image's quality (its
//! `data_registry` record, the grade its API derives from the MS's stage, the `images`
//! row's figures) and the note that `image_qa` is not written. Pure; data sanitised.

use ratatui::text::{Line, Span};

use super::text::ellipsize;
use super::theme::Theme;
use crate::db::records::image_qa::api_grade;
use crate::snapshot::records::ImageDetail;
use crate::text::{fmt_flux_jy, sanitize_line};

/// The strip's lines (at least one).
pub fn qa_lines(d: &ImageDetail, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let s = |v: &Option<String>| v.as_deref().map(sanitize_line);
    let mut spans = vec![Span::styled("QA ", theme.label())];
    let grade = api_grade(d.qa.ms_stage.as_deref());
    let style = match grade {
        "good" => theme.ok(),
        "warn" => theme.warn(),
        _ => theme.error(),
    };
    spans.push(Span::styled(format!("API grade {grade}"), style));
    spans.push(Span::styled(
        format!(
            " (from MS stage {})",
            s(&d.qa.ms_stage).unwrap_or_else(|| "unset".into())
        ),
        theme.dim(),
    ));
    if let Some(r) = &d.row {
        let mut figures = Vec::new();
        if let Some(n) = r.noise_jy {
            figures.push(format!("rms {}", fmt_flux_jy(n)));
        }
        if let Some(dr) = r.dynamic_range {
            figures.push(format!("DR {dr:.0}"));
        }
        if let Some(b) = r.beam_major_arcsec {
            figures.push(format!("beam {b:.1}″"));
        }
        spans.push(Span::raw(if figures.is_empty() {
            "  no QA figures in images".to_string()
        } else {
            format!("  {}", figures.join(", "))
        }));
    }
    let mut lines = vec![Line::from(spans)];
    if let Some(reg) = &d.qa.registry {
        let mut parts = vec![format!(
            "registry {} {}",
            s(&reg.data_type).unwrap_or_default(),
            s(&reg.status).unwrap_or_else(|| "?".into())
        )];
        if let Some(q) = s(&reg.qa_status) {
            parts.push(format!("qa {q}"));
        }
        if let Some(v) = s(&reg.validation_status) {
            parts.push(format!("validation {v}"));
        }
        if let Some(e) = s(&reg.publish_error) {
            parts.push(format!("publish error: {e}"));
        }
        lines.push(Line::raw(ellipsize(&parts.join("  "), width)));
    }
    let notes: Vec<String> = d.qa.notes.iter().map(|n| sanitize_line(&n.text)).collect();
    if !notes.is_empty() {
        lines.push(Line::styled(
            ellipsize(&notes.join(" · "), width),
            theme.dim(),
        ));
    }
    lines
}
