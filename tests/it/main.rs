//! The one integration-test binary: every story test is a module here, so the suite links once.

mod db_support;
mod panes_fixtures;
mod support;

mod bench_fits;
mod bench_generate;
mod bench_tiny;
mod cli;
mod db_details;
mod db_lists;
mod db_open;
mod db_scale;
mod db_sources;
mod demo_build;
mod demo_pgbouncer;
mod e2e_tmux;
mod fits_headers;
mod logs_real;
mod panes_snapshots;
mod panes_state;
mod poolsrc_pgbouncer;
mod poolsrc_prometheus;
mod queue_connect;
mod queue_health;
mod queue_scale;
mod queue_tasks;
mod screens;
mod services_cadence;
mod triage_demo;
mod triage_once;
mod triage_queue;
mod triage_sqlite;
mod triage_view;
mod ui_snapshots;
mod ui_update;
mod upstream;
