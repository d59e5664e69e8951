//! Whether a message changed what is on screen, so the event loop draws a frame only then.
//!
//! The clock tick redraws every second anyway (the title shows the time), so a change that
//! can wait up to a second — a refresh age or latency in the status line, a hidden tab's row
//! count in the tab bar — is left for it. Anything the operator did, anything on the tab in
//! view, the first rows of any tab, errors and alerts are drawn at once.

use crate::app::msg::Msg;
use crate::app::state::App;
use crate::pool::sources::SaturationAlert;
use crate::snapshot::{SourceHealth, Tab};

/// What a message may change, noted before it is applied.
pub(super) enum Before {
    /// Draw whatever happens.
    Always,
    /// A source's health (`None`: the database as a whole).
    Health {
        tab: Option<Tab>,
        was: Option<SourceHealth>,
    },
    /// The task queue's health (in the status line when a queue is configured).
    Queue { was: Option<SourceHealth> },
    /// A page of a list; whether the list had rows before.
    List { tab: Tab, loaded: bool },
    /// A pool snapshot; the alerts before it.
    Pool { alerts: Vec<SaturationAlert> },
}

impl Before {
    pub(super) fn of(app: &App, msg: &Msg) -> Before {
        match msg {
            Msg::Health { tab, .. } => Before::Health {
                tab: *tab,
                was: app.health.get(tab).cloned(),
            },
            Msg::List { data, .. } => {
                let tab = data.tab();
                Before::List {
                    tab,
                    loaded: app.tab_loaded(tab),
                }
            }
            Msg::QueueHealth(_) => Before::Queue {
                was: app.queue_health.clone(),
            },
            Msg::Pool(_) => Before::Pool {
                alerts: app.alerts.clone(),
            },
            _ => Before::Always,
        }
    }

    /// Whether the message, now applied to `app`, must be drawn at once. `shown` is the tab
    /// that was on screen before it.
    pub(super) fn draw_now(self, app: &App, shown: Tab) -> bool {
        if app.tab != shown {
            return true;
        }
        match self {
            Before::Always => true,
            Before::Health { tab, was } => {
                // Only the tab in view and the database have their health on screen.
                let on_screen = tab.is_none_or(|t| t == app.tab);
                on_screen && !same_but_for_age(was.as_ref(), app.health.get(&tab))
            }
            Before::Queue { was } => {
                app.cfg.queue_label.is_some()
                    && !same_but_for_age(was.as_ref(), app.queue_health.as_ref())
            }
            Before::List { tab, loaded } => tab == app.tab || !loaded,
            Before::Pool { alerts } => app.tab == Tab::Pool || alerts != app.alerts,
        }
    }
}

/// Two healths that differ only in when they were taken and how long the query took: the
/// status line says "✓ 3s ago 12 ms" either way, and the next tick updates it.
fn same_but_for_age(a: Option<&SourceHealth>, b: Option<&SourceHealth>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            a.error == b.error
                && a.missing == b.missing
                && a.last_ok.is_some() == b.last_ok.is_some()
                && a.latency.is_some() == b.latency.is_some()
        }
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_age_is_not_a_change_but_an_error_is() {
        let ok = SourceHealth {
            last_ok: Some(1.0),
            last_attempt: Some(1.0),
            ..SourceHealth::default()
        };
        let later = SourceHealth {
            last_ok: Some(3.0),
            last_attempt: Some(3.0),
            ..ok.clone()
        };
        assert!(same_but_for_age(Some(&ok), Some(&later)));
        let failed = SourceHealth {
            error: Some("locked".into()),
            ..later.clone()
        };
        assert!(!same_but_for_age(Some(&ok), Some(&failed)));
        assert!(!same_but_for_age(None, Some(&ok)));
    }
}
