//! `contimg-monitor snapshot --tab TAB --size COLSxROWS`: one frame of the real app, as text.

use color_eyre::eyre::Result;

use crate::app::keymap::Keymap;
use crate::cli::run::app_config;
use crate::config::Config;
use crate::headless::harness::Harness;
use crate::snapshot::Tab;

pub async fn render(
    config: &Config,
    tab: Tab,
    (cols, rows): (u16, u16),
    now: f64,
) -> Result<String> {
    let keymap = Keymap::with_overrides(&config.keys)?;
    let mut harness = Harness::open_showing(
        app_config(config, keymap),
        config.pipeline.db.clone(),
        &config.db_options(),
        Some(config.log_source()),
        now,
        false,
        Some(tab),
    )
    .await;
    harness.resize(cols, rows).await;
    let commands = harness.app.select_tab(tab);
    harness.execute(commands).await;
    Ok(harness.render(cols, rows))
}
