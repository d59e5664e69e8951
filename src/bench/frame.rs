//! One full frame at 120x40: every widget of the real app built into a buffer and diffed,
//! as the TUI's draw does (minus the terminal write), on each tab in turn with its data loaded.

use std::path::Path;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::report::{Row, Target};
use super::stats::{Repeat, Samples, time_sync};
use crate::app::keymap::Keymap;
use crate::cli::run::app_config;
use crate::config::Config;
use crate::headless::harness::Harness;
use crate::snapshot::Tab;

pub const FRAME_P95: Duration = Duration::from_millis(5);
pub const SIZE: (u16, u16) = (120, 40);

pub async fn measure(db_path: &Path, scale: &str, now: f64, repeat: Repeat) -> anyhow::Result<Row> {
    let mut config = Config::defaults();
    config.pipeline.db = db_path.to_path_buf();
    let keymap = Keymap::with_overrides(&config.keys)?;
    let mut harness = Harness::open(
        app_config(&config, keymap),
        db_path.to_path_buf(),
        &config.db_options(),
        None,
        now,
        false,
    )
    .await;
    harness.resize(SIZE.0, SIZE.1).await;
    let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1))?;
    let mut parts = Vec::new();
    for tab in Tab::ALL {
        let commands = harness.app.select_tab(tab);
        harness.execute(commands).await;
        let app = &harness.app;
        parts.push(time_sync(repeat, || {
            terminal
                .draw(|frame| crate::ui::draw(frame, app))
                .map(|_| ())
                .expect("drawing into a test backend")
        }));
    }
    Ok(Row::timed(
        scale,
        "frame build at 120x40 (each tab in turn)",
        &Samples::merged(parts),
        Some(Target::p95_below(FRAME_P95)),
    ))
}
