//! Start the chosen mode. Errors end here as one clear message and an exit code; the
//! terminal is restored on every path (guard, panic hook, signals).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use color_eyre::eyre::{Result, WrapErr, eyre};
use tokio::sync::{mpsc, watch};

use crate::app::{App, AppConfig, keymap::Keymap};
use crate::cli::args::{Cli, Cmd, parse_size};
use crate::config::{self, Config};
use crate::fits::worker::FitsWorker;
use crate::pool::PoolRegistry;
use crate::services::{ServiceConfig, Services, now_unix};
use crate::terminal::{self, TerminalGuard, event_loop};

static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Time since the process started (for the start-up figures in the monitor's log).
pub fn since_start() -> Duration {
    STARTED.get_or_init(std::time::Instant::now).elapsed()
}

pub fn main() -> ExitCode {
    STARTED.get_or_init(std::time::Instant::now);
    let cli = Cli::parse();
    if let Err(e) = terminal::install_panic_hook() {
        eprintln!("contimg-monitor: cannot install the panic hook: {e}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("contimg-monitor: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            terminal::restore();
            eprintln!("contimg-monitor: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn dispatch(cli: Cli) -> Result<ExitCode> {
    let explicit = cli.config.is_some();
    let config_path = cli.config.clone().or_else(config::user_config_path);
    let config = Config::load(config_path.as_deref(), explicit, &cli.overrides())?;
    if cli.print_config {
        print!("{}", config.to_toml());
        return Ok(ExitCode::SUCCESS);
    }
    match cli.command {
        None => {
            run_tui(config, PoolRegistry::default(), cli.log_file.as_deref()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Once { format }) => {
            init_stderr_logging();
            crate::headless::once::run(&config, format).await
        }
        Some(Cmd::Snapshot { tab, size }) => {
            init_stderr_logging();
            let size =
                parse_size(&size).ok_or_else(|| eyre!("--size wants COLSxROWS, e.g. 120x40"))?;
            let tab = crate::snapshot::Tab::parse(&tab)
                .ok_or_else(|| eyre!("--tab wants one of images, sources, jobs, ms, pool"))?;
            print!(
                "{}",
                crate::headless::snapshot::render(&config, tab, size, now_unix()).await?
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::FitsHeader { files, keywords }) => {
            Ok(crate::headless::fits_header::run(&files, &keywords))
        }
        Some(Cmd::Bench {
            dir,
            scales,
            runs,
            warmup,
            process_runs,
            tui_secs,
            astropy,
            fitsheader,
            small_fits,
            out,
        }) => {
            init_stderr_logging();
            let scales = scales
                .iter()
                .map(|name| {
                    crate::bench::Scale::by_name(name).ok_or_else(|| {
                        eyre!("--scales: unknown scale {name:?} (tiny, day, month, year)")
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let dir = dir.unwrap_or_else(crate::bench::run::default_dir);
            let opts = crate::bench::run::BenchOptions {
                out: out.unwrap_or_else(|| crate::bench::run::default_out(&dir)),
                dir,
                scales,
                repeat: crate::bench::Repeat::new(warmup, runs.max(1)),
                process_repeat: crate::bench::Repeat::new(1, process_runs.max(1)),
                tui_rest: (tui_secs > 0).then(|| Duration::from_secs(tui_secs)),
                fits: if small_fits {
                    crate::bench::run::FitsSize::Small
                } else {
                    crate::bench::run::FitsSize::Full
                },
                astropy: match (astropy, fitsheader) {
                    (_, Some(path)) => crate::bench::fits::AstropyMode::Use(path),
                    (true, None) => crate::bench::fits::AstropyMode::Install,
                    (false, None) => crate::bench::fits::AstropyMode::Skip,
                },
                monitor_bin: std::env::current_exe().wrap_err("locating this binary")?,
            };
            let report = crate::bench::run::run(&opts)
                .await
                .map_err(|e| eyre!("{e:#}"))?;
            println!("{}", report.markdown);
            eprintln!("bench: table written to {}", opts.out.display());
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Demo {
            dir,
            build_only,
            with_postgres,
        }) => {
            run_demo(
                config,
                dir,
                build_only,
                with_postgres,
                cli.log_file.as_deref(),
            )
            .await
        }
    }
}

pub fn app_config(config: &Config, keymap: Keymap) -> AppConfig {
    AppConfig {
        refresh: config.refresh(),
        no_color: config.ui.no_color,
        keymap,
        page_size: config.ui.page_size,
        db_label: config.pipeline.db.display().to_string(),
        queue_label: config
            .postgres_url()
            .map(crate::services::queue::safe_label),
        triage_window_s: config.triage_window_s(),
        bell: config.pools.bell,
    }
}

/// The interactive monitor. `registry` may already hold pools (the demo's simulated backend).
async fn run_tui(
    config: Config,
    registry: PoolRegistry,
    log_file: Option<&std::path::Path>,
) -> Result<()> {
    let keymap =
        Keymap::with_overrides(&config.keys).wrap_err("in the [keys] section of the config")?;
    let _log_writer = init_tui_logging(log_file)?;
    let (tx, rx) = mpsc::unbounded_channel();
    let services = Services::spawn(
        ServiceConfig {
            db_path: config.pipeline.db.clone(),
            db_options: config.db_options(),
            alerts_db: Some(config.alerts_db_path()),
            logs: Some(config.log_source()),
            refresh: config.refresh(),
            queue_url: config.postgres_url().map(str::to_string),
            queue_options: config.queue_options(),
            thresholds: config.triage_thresholds(),
            pool_sources: config.pools.sources.clone(),
            alert_after: Duration::from_secs_f64(config.pools.alert_after_secs),
        },
        registry,
        FitsWorker::spawn(config.fits.cache_entries),
        tx.clone(),
    );
    let signals = terminal::signals::spawn().wrap_err("installing signal handlers")?;
    let mut guard = TerminalGuard::enter().wrap_err("this needs an interactive terminal")?;
    let _input = terminal::input::spawn(tx);
    let (app, commands) = App::new(app_config(&config, keymap), now_unix());
    for command in commands {
        services.dispatch(command);
    }
    let exit = event_loop::run(&mut guard.terminal, app, &services, rx, signals).await;
    drop(guard);
    exit.map(|_| ()).map_err(|e| eyre!(e))
}

async fn run_demo(
    mut config: Config,
    dir: Option<PathBuf>,
    build_only: bool,
    with_postgres: bool,
    log_file: Option<&std::path::Path>,
) -> Result<ExitCode> {
    let dir = dir.unwrap_or_else(config::default_demo_dir);
    let options = crate::demo::DemoOptions::new(&dir, now_unix());
    eprintln!(
        "contimg-monitor: preparing the demo pipeline in {} …",
        options.dir.display()
    );
    let paths = crate::demo::ensure_demo(&options)
        .await
        .map_err(|e| eyre!(e))?;
    if build_only {
        println!("database: {}", paths.db.display());
        println!("logs:     {}", paths.logs_dir.display());
        println!("images:   {}", paths.images_dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    config.pipeline.db = paths.db.clone();
    config.pipeline.log_dir = paths.logs_dir.clone();
    let (stop_tx, stop_rx) = watch::channel(false);
    let postgres = if with_postgres {
        start_demo_queue(&options.dir, &mut config, stop_rx.clone()).await
    } else {
        None
    };
    // pgbouncer in front of the demo's server, with a backend's load through it: the Pool
    // tab then shows a pooler's queue for real, from its console and from pg_stat_activity.
    let pooler = match &postgres {
        Some((server, _)) => {
            start_demo_pooler(&options.dir, &server.url(), &mut config, stop_rx.clone()).await
        }
        None => None,
    };
    // The simulated backend's pool lives in its own registry, published on a loopback
    // Prometheus endpoint in OpenTelemetry's names; the monitor scrapes it like a real service.
    let backend = PoolRegistry::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .wrap_err("opening the demo's metrics endpoint on loopback")?;
    let url = format!("http://{}/metrics", listener.local_addr()?);
    tokio::spawn(crate::demo::metrics::serve(
        listener,
        backend.clone(),
        stop_rx.clone(),
    ));
    config.pools.sources.push(toml::from_str(&format!(
        "kind = \"prometheus\"\nname = \"demo-backend\"\nurl = \"{url}\"\ninterval_ms = 1000\ntimeout_ms = 800\n"
    ))?);
    // Bursts last seconds: alert sooner than on a real host so the demo shows an alert.
    config.pools.alert_after_secs = config.pools.alert_after_secs.min(3.0);
    let simulator = tokio::spawn(crate::demo::run_simulator(paths, backend, stop_rx));
    let result = run_tui(config, PoolRegistry::default(), log_file).await;
    let _ = stop_tx.send(true);
    if let Some((bouncer, load)) = pooler {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), load).await;
        let _ = tokio::task::spawn_blocking(move || drop(bouncer)).await;
    }
    if let Some((server, feed)) = postgres {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), feed).await;
        // Stopping waits for pg_ctl: off the async threads.
        let _ = tokio::task::spawn_blocking(move || drop(server)).await;
    }
    match tokio::time::timeout(std::time::Duration::from_secs(5), simulator).await {
        Ok(Ok(Err(e))) => eprintln!("contimg-monitor: the simulated pipeline stopped: {e:#}"),
        Ok(Err(e)) => eprintln!("contimg-monitor: the simulated pipeline crashed: {e}"),
        _ => {}
    }
    result.map(|_| ExitCode::SUCCESS)
}

/// pgbouncer in front of the demo's PostgreSQL (`server_url`), the load through it, and the
/// two pool sources that watch it pushed into `config`. `None`, after a clear message, when
/// pgbouncer is not installed or will not start: the demo goes on without it.
async fn start_demo_pooler(
    demo_dir: &std::path::Path,
    server_url: &str,
    config: &mut Config,
    stop: watch::Receiver<bool>,
) -> Option<(
    crate::demo::pgbouncer::DemoPgbouncer,
    tokio::task::JoinHandle<crate::demo::pg_load::LoadReport>,
)> {
    use crate::demo::pg_load::{LoadPlan, run_load};
    use crate::demo::pgbouncer::{DemoPgbouncer, PoolerSettings, demo_root};
    let pg_port = server_url
        .parse::<sqlx::postgres::PgConnectOptions>()
        .ok()?
        .get_port();
    let root = demo_root(demo_dir);
    eprintln!("contimg-monitor: starting pgbouncer in front of the demo's PostgreSQL …");
    let started = tokio::task::spawn_blocking(move || {
        DemoPgbouncer::start(&root, pg_port, PoolerSettings::default())
    })
    .await;
    let bouncer = match started {
        Ok(Ok(Some(bouncer))) => bouncer,
        Ok(Ok(None)) => {
            eprintln!(
                "contimg-monitor: no pgbouncer binary found (Debian: apt install pgbouncer); \
                 the demo runs without the pooler"
            );
            return None;
        }
        Ok(Err(e)) => {
            eprintln!("contimg-monitor: pgbouncer did not start: {e}; running without it");
            return None;
        }
        Err(e) => {
            eprintln!("contimg-monitor: pgbouncer did not start: {e}");
            return None;
        }
    };
    let plan = LoadPlan::demo();
    config
        .pools
        .sources
        .extend(bouncer.pool_sources(server_url, &plan.app));
    let url = bouncer.url_for(crate::demo::postgres::QUEUE_DB);
    let load = tokio::spawn(run_load(url, plan, stop));
    Some((bouncer, load))
}

/// The demo's own queue: a PostgreSQL server (loopback, free port), the `absurd` schema, a
/// history of tasks and a feed of new ones; the monitor is pointed at it. `None`, after a
/// clear message, when the server binaries are missing or it will not start.
async fn start_demo_queue(
    demo_dir: &std::path::Path,
    config: &mut Config,
    stop: watch::Receiver<bool>,
) -> Option<(
    crate::demo::postgres::DemoPostgres,
    tokio::task::JoinHandle<anyhow::Result<()>>,
)> {
    use crate::demo::postgres::DemoPostgres;
    // Run as another user (root), the server needs a directory that user can reach.
    let root = if DemoPostgres::needs_shared_dir() {
        std::env::temp_dir().join(format!("contimg-demo-postgres-{}", std::process::id()))
    } else {
        demo_dir.join("postgres")
    };
    eprintln!("contimg-monitor: starting the demo's PostgreSQL queue …");
    let started = tokio::task::spawn_blocking(move || DemoPostgres::start(&root)).await;
    let server = match started {
        Ok(Ok(Some(server))) => server,
        Ok(Ok(None)) => {
            eprintln!(
                "contimg-monitor: no PostgreSQL server binaries found (Debian: apt install \
                 postgresql); the demo runs without the queue"
            );
            return None;
        }
        Ok(Err(e)) => {
            eprintln!(
                "contimg-monitor: the demo's PostgreSQL did not start: {e}; running without the queue"
            );
            return None;
        }
        Err(e) => {
            eprintln!("contimg-monitor: the demo's PostgreSQL did not start: {e}");
            return None;
        }
    };
    let url = server.url();
    if let Err(e) = crate::demo::queue_feed::seed_history(&url, now_unix()).await {
        eprintln!("contimg-monitor: seeding the demo queue failed: {e:#}; running without it");
        return None;
    }
    config.postgres.url = url.clone();
    let feed = tokio::spawn(crate::demo::queue_feed::run_feed(url, stop));
    Some((server, feed))
}

/// In the TUI, log records go to the in-app log (`L`), never to the terminal; with
/// `--log-file` also to that file, written by a background thread so the UI never waits on
/// the disk. The returned guard flushes the file when dropped.
///
/// `tui_logger::init_logger` is not called: with tracing it only starts a thread that wakes
/// 100 times a second to move records from tui-logger's intake buffer to the widget's. The
/// event loop moves them before each frame instead (`terminal::event_loop::draw`); the
/// intake holds 1000 records between frames, and frames come at least once a second.
fn init_tui_logging(
    log_file: Option<&std::path::Path>,
) -> Result<Option<tracing_appender::non_blocking::WorkerGuard>> {
    use tracing_subscriber::prelude::*;
    let (file_layer, guard) = match log_file {
        None => (None, None),
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .wrap_err_with(|| format!("opening the log file {}", path.display()))?;
            let (writer, guard) = tracing_appender::non_blocking(file);
            let layer = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer);
            (Some(layer), Some(guard))
        }
    };
    tui_logger::set_default_level(tui_logger::LevelFilter::Info);
    let _ = tracing_subscriber::registry()
        .with(tui_logger::TuiTracingSubscriberLayer)
        .with(file_layer)
        .with(tracing_subscriber::filter::LevelFilter::INFO)
        .try_init();
    Ok(guard)
}

/// Headless commands log warnings to stderr (RUST_LOG changes the level).
fn init_stderr_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
