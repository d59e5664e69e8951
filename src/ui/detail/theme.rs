//! The few styles the panes use. Without colour every meaning is still carried by a
//! modifier (bold, reversed, underlined), so `NO_COLOR` terminals lose nothing.

use ratatui::style::{Color, Modifier, Style};

use crate::snapshot::JobStatus;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Theme {
    pub no_color: bool,
}

impl Theme {
    pub fn new(no_color: bool) -> Self {
        Theme { no_color }
    }

    fn fg(&self, colour: Color) -> Style {
        if self.no_color {
            Style::default()
        } else {
            Style::default().fg(colour)
        }
    }

    /// Section headings and pane titles.
    pub fn heading(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// The label half of a `label value` fact.
    pub fn label(&self) -> Style {
        self.fg(Color::DarkGray)
    }

    /// Secondary text: comments, units, axis labels.
    pub fn dim(&self) -> Style {
        if self.no_color {
            Style::default()
        } else {
            Style::default().fg(Color::DarkGray)
        }
    }

    /// The selected row of a list.
    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    /// The line that says why something failed.
    pub fn error(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        } else {
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
        }
    }

    /// Something to look at, not yet wrong (busy pool, large WAL).
    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    /// A search match that is not the current one.
    pub fn matched(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::UNDERLINED)
        } else {
            Style::default().fg(Color::Black).bg(Color::Yellow)
        }
    }

    pub fn status(&self, status: JobStatus) -> Style {
        match status {
            JobStatus::Failed => self.error(),
            JobStatus::Running => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            JobStatus::Succeeded => self.ok(),
            JobStatus::NoOp => self.fg(Color::Yellow),
            JobStatus::Queued | JobStatus::Cancelled | JobStatus::Unknown => Style::default(),
        }
    }

    /// A series of a chart, told apart by marker as well as by colour.
    pub fn series(&self, colour: Color) -> Style {
        self.fg(colour)
    }
}
