//! Styles in one place. With `no_color` nothing sets a foreground or background colour:
//! emphasis and selection use modifiers only (reverse, bold, dim), which survive NO_COLOR.

use ratatui::style::{Color, Modifier, Style};

use crate::snapshot::JobStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn new(no_color: bool) -> Theme {
        Theme { color: !no_color }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn base(self) -> Style {
        Style::new()
    }

    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn muted(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn header(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// The selected row: reverse video is visible on every terminal, colour or not.
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    pub fn active_tab(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn warn(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// A badge (FROZEN, STALE): reversed so it stands out without colour too.
    pub fn badge(self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    pub fn stale_badge(self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    /// Values taken from the FITS header instead of the database.
    pub fn from_header(self) -> Style {
        self.fg(Color::Magenta)
    }

    pub fn job_status(self, status: JobStatus) -> Style {
        match status {
            JobStatus::Failed => self.error(),
            JobStatus::Running => self.fg(Color::Yellow),
            JobStatus::Queued => self.fg(Color::Blue),
            JobStatus::Succeeded => self.ok(),
            // Did nothing: not green, and told apart from a quiet cancel.
            JobStatus::NoOp => self.warn(),
            JobStatus::Cancelled | JobStatus::Unknown => self.muted(),
        }
    }

    /// MS and pipeline statuses as text (`failed`, `done`, …).
    pub fn text_status(self, status: &str) -> Style {
        let s = status.to_ascii_lowercase();
        if s.contains("fail") || s == "error" {
            self.error()
        } else if s == "done" || s == "completed" {
            self.ok()
        } else if s.starts_with("skipped") {
            self.muted()
        } else {
            self.base()
        }
    }
}
