//! Which tab the operator is looking at, as the services see it. The poller of the tab in
//! view runs every refresh; the others every [`HIDDEN_EVERY`]-th refresh, and at once when
//! their tab comes into view, so a switch shows data at most one fetch old. Hidden tabs still
//! poll because the tab bar shows their counts.

use std::time::Duration;

use tokio::sync::watch;

use crate::snapshot::Tab;

/// A hidden tab polls once every this many refresh intervals.
pub const HIDDEN_EVERY: u32 = 5;

/// The services' view of the tab on screen.
#[derive(Clone, Debug)]
pub struct Shown {
    rx: watch::Receiver<Tab>,
}

impl Shown {
    /// The app's side sends the tab on screen; the services hold [`Shown`]s.
    pub fn channel(initial: Tab) -> (watch::Sender<Tab>, Shown) {
        let (tx, rx) = watch::channel(initial);
        (tx, Shown { rx })
    }

    /// `tab` always on screen (headless runs and tests that do not switch tabs).
    pub fn fixed(tab: Tab) -> Shown {
        Shown::channel(tab).1
    }

    pub fn is(&self, tab: Tab) -> bool {
        *self.rx.borrow() == tab
    }

    /// How long `tab`'s poller waits between fetches at this refresh interval.
    pub fn every(&self, tab: Tab, refresh: Duration) -> Duration {
        if self.is(tab) {
            refresh
        } else {
            refresh * HIDDEN_EVERY
        }
    }

    /// Resolves when another tab comes on screen (never, once the app is gone).
    pub async fn changed(&mut self) {
        if self.rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Tell the services `tab` is on screen; only a change wakes them.
pub fn show(tx: &watch::Sender<Tab>, tab: Tab) {
    tx.send_if_modified(|shown| {
        let changed = *shown != tab;
        *shown = tab;
        changed
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_tabs_wait_five_intervals() {
        let (tx, shown) = Shown::channel(Tab::Images);
        let two = Duration::from_secs(2);
        assert_eq!(shown.every(Tab::Images, two), two);
        assert_eq!(shown.every(Tab::Jobs, two), Duration::from_secs(10));
        show(&tx, Tab::Jobs);
        assert_eq!(shown.every(Tab::Jobs, two), two);
    }

    #[tokio::test]
    async fn showing_the_same_tab_again_wakes_nobody() {
        let (tx, mut shown) = Shown::channel(Tab::Images);
        show(&tx, Tab::Images);
        let woke = tokio::time::timeout(Duration::from_millis(20), shown.changed()).await;
        assert!(woke.is_err());
        show(&tx, Tab::Ms);
        let woke = tokio::time::timeout(Duration::from_millis(20), shown.changed()).await;
        assert!(woke.is_ok());
    }
}
