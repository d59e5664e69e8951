//! How often the services wake, in tokio's paused (virtual) time: a hidden list tab polls
//! every fifth refresh and at once when it comes on screen; the pool service sends the app
//! snapshots only while the Pool tab is on screen, except when the alerts change.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use contimg_monitor::app::Msg;
use contimg_monitor::pool::{PoolProbe, PoolRegistry};
use contimg_monitor::query::ListQuery;
use contimg_monitor::services::connection::DbSlot;
use contimg_monitor::services::lists;
use contimg_monitor::services::pools::{self, PoolServiceConfig};
use contimg_monitor::services::queue::QueueSlot;
use contimg_monitor::services::shown::{self, Shown};
use contimg_monitor::snapshot::{PoolStats, Tab};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

const REFRESH: Duration = Duration::from_secs(2);

/// Virtual seconds since `t0` at which the next message for `tab`'s health arrives.
async fn next_health_at(rx: &mut mpsc::UnboundedReceiver<Msg>, tab: Tab, t0: Instant) -> f64 {
    loop {
        match rx.recv().await.expect("the poller is running") {
            Msg::Health { tab: Some(t), .. } if t == tab => {
                return (Instant::now() - t0).as_secs_f64();
            }
            _ => continue,
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_hidden_tab_polls_every_fifth_refresh_and_at_once_when_shown() {
    let (show_tx, shown) = Shown::channel(Tab::Images);
    let (_refresh_tx, refresh) = watch::channel(REFRESH);
    let (out, mut rx) = mpsc::unbounded_channel();
    // No database: every poll answers at once with "database not open", so only the timers
    // decide when the poller wakes.
    let jobs = lists::spawn(
        Tab::Jobs,
        DbSlot::fixed(None),
        QueueSlot::fixed(None),
        refresh,
        shown,
        out,
    );
    let t0 = Instant::now();
    jobs.set_query(1, ListQuery::default());
    assert_eq!(next_health_at(&mut rx, Tab::Jobs, t0).await, 0.0);
    assert_eq!(
        next_health_at(&mut rx, Tab::Jobs, t0).await,
        10.0,
        "hidden: 5 × 2 s"
    );
    assert_eq!(next_health_at(&mut rx, Tab::Jobs, t0).await, 20.0);

    // Three seconds later the operator switches to Jobs: it polls at once, then every 2 s.
    tokio::time::sleep(Duration::from_secs(3)).await;
    shown::show(&show_tx, Tab::Jobs);
    assert_eq!(next_health_at(&mut rx, Tab::Jobs, t0).await, 23.0);
    assert_eq!(next_health_at(&mut rx, Tab::Jobs, t0).await, 25.0);
    assert_eq!(next_health_at(&mut rx, Tab::Jobs, t0).await, 27.0);

    // Switching away waits the long interval from the last poll again.
    shown::show(&show_tx, Tab::Ms);
    assert_eq!(next_health_at(&mut rx, Tab::Jobs, t0).await, 37.0);
}

/// A pool that saturates when told to.
struct Switchable(Arc<AtomicBool>);

impl PoolProbe for Switchable {
    fn sample(&self, now_unix: f64) -> PoolStats {
        let saturated = self.0.load(Ordering::Relaxed);
        PoolStats {
            source: "test".into(),
            name: "pool".into(),
            max: 2,
            open: 2,
            in_use: if saturated { 2 } else { 0 },
            idle: if saturated { 0 } else { 2 },
            waiting: if saturated { 3 } else { 0 },
            sampled_at: now_unix,
            ..PoolStats::default()
        }
    }
}

/// How many pool snapshots arrive within `secs` virtual seconds, and the last one's alerts.
async fn snapshots_within(rx: &mut mpsc::UnboundedReceiver<Msg>, secs: u64) -> (usize, usize) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (mut n, mut alerts) = (0, 0);
    while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        if let Msg::Pool(snapshot) = msg {
            n += 1;
            alerts = snapshot.alerts.len();
        }
    }
    (n, alerts)
}

#[tokio::test(start_paused = true)]
async fn the_pool_tab_gets_snapshots_while_shown_and_alerts_always() {
    let saturated = Arc::new(AtomicBool::new(false));
    let registry = PoolRegistry::default();
    registry.register(Arc::new(Switchable(saturated.clone())));
    let (show_tx, shown) = Shown::channel(Tab::Images);
    let (out, mut rx) = mpsc::unbounded_channel();
    let dir = tempfile::tempdir().unwrap();
    let _ack = pools::spawn(
        registry,
        PoolServiceConfig {
            db_path: dir.path().join("pipeline.sqlite3"),
            sources: Vec::new(),
            alert_after: Duration::ZERO,
        },
        shown,
        out,
    );
    // Hidden: the first snapshot only (so the tab has something to show when opened).
    assert_eq!(snapshots_within(&mut rx, 10).await, (1, 0));
    // A saturation alert reaches the app at once although the tab is hidden; then quiet again.
    saturated.store(true, Ordering::Relaxed);
    assert_eq!(snapshots_within(&mut rx, 5).await, (1, 1));
    // On screen: a snapshot every second (sampling in a blocking task may shift one).
    shown::show(&show_tx, Tab::Pool);
    let (n, alerts) = snapshots_within(&mut rx, 5).await;
    assert!((5..=7).contains(&n), "{n} snapshots in 5 s on screen");
    assert_eq!(alerts, 1);
}
