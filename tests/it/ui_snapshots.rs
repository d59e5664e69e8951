//! What the operator sees: every list tab at 80x24 and 120x40, the help overlay, the wide
//! preview, and the selection staying visible without colour. Built from hand-made values
//! with a fixed clock, drawn into ratatui's `TestBackend`.

use std::sync::Arc;
use std::time::Duration;

use contimg_monitor::app::{App, AppConfig, Command, ListData, Msg};
use contimg_monitor::fits::{HeaderDoc, HeaderSummary};
use contimg_monitor::query::{Cursor, SqlValue};
use contimg_monitor::snapshot::{
    ImageRow, JobKey, JobRow, JobSource, JobStatus, MsRow, Page, SourceHealth, SourceRow, Tab,
    Variability,
};
use contimg_monitor::text::{fmt_utc, unix_to_mjd};
use contimg_monitor::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Modifier;

/// 2025-10-21 14:23:19 UTC.
const NOW: f64 = 1_761_056_599.0;
const MS_DIR: &str = "/stage/dsa110-contimg/ms";
const IMG_DIR: &str = "/stage/dsa110-contimg/images";

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// The buffer as lines of text, trailing spaces removed.
fn buffer_text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        for x in area.left()..area.right() {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn render(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| ui::draw(frame, app))
        .expect("draw into the test backend");
    terminal
}

fn screen(app: &App, width: u16, height: u16) -> String {
    buffer_text(render(app, width, height).backend().buffer())
}

/// Group ids are the UTC time of subband 0; one observation every 309 s.
fn group(i: usize) -> String {
    fmt_utc(NOW - 309.0 * i as f64).replace(' ', "T")
}

fn ms_path(i: usize) -> String {
    format!("{MS_DIR}/{}.ms", group(i))
}

fn images() -> Vec<ImageRow> {
    (0..30)
        .map(|i| {
            let id = 1200 - i as i64;
            let stem = group(i);
            // Production rows: beam mostly NULL, centre and noise NULL. Every third has a beam.
            ImageRow {
                id,
                path: format!("{IMG_DIR}/{stem}.img-image-pbcor.fits"),
                ms_path: Some(ms_path(i)),
                created_at: Some(NOW - 300.0 * i as f64 - 40.0),
                kind: Some(if i % 2 == 0 { "pbcor" } else { "5min" }.into()),
                beam_major_arcsec: (i % 3 == 0).then_some(14.2),
                beam_minor_arcsec: (i % 3 == 0).then_some(11.9),
                cellsize_arcsec: Some(2.5),
                freq_ghz: (i % 3 == 0).then_some(1.405),
                ..Default::default()
            }
        })
        .collect()
}

fn header_for(path: &str) -> HeaderDoc {
    HeaderDoc {
        path: path.into(),
        file_bytes: 101_606_400,
        note: None,
        hdus: vec![],
        summary: HeaderSummary {
            shape: vec![5040, 5040, 1, 1],
            bunit: Some("JY/BEAM".into()),
            bmaj_arcsec: Some(15.04),
            bmin_arcsec: Some(12.11),
            bpa_deg: Some(-33.2),
            cell_arcsec: Some(2.5),
            centre_ra_deg: Some(187.5),
            centre_dec_deg: Some(42.052),
            freq_hz: Some(1.4053e9),
            date_obs: Some("2025-10-21T14:23:19.0".into()),
            telescope: Some("OVRO".into()),
            object: Some("drift".into()),
        },
    }
}

fn sources() -> Vec<SourceRow> {
    (0..30)
        .map(|i| SourceRow {
            id: format!("NVSS J12{:02}{:02}.7+42{:02}12", i, 30 - i, i % 60),
            name: None,
            ra_deg: Some(180.0 + i as f64 * 0.37),
            dec_deg: Some(42.0 + i as f64 * 0.05),
            detections: 120 - i as i64 * 3,
            latest_flux_jy: Some(0.0123 * (i as f64 + 1.0)),
            latest_mjd: Some(unix_to_mjd(NOW - 600.0 * i as f64)),
            nvss_flux_mjy: Some(11.0 * (i as f64 + 1.0)),
            variability: (i % 4 != 3).then(|| Variability {
                n_obs: Some(40),
                chi2_nu: Some(1.0 + i as f64 * 0.4),
                sigma_deviation: Some(0.5 + i as f64 * 0.2),
                ..Default::default()
            }),
        })
        .collect()
}

fn jobs() -> Vec<JobRow> {
    let statuses = [
        (JobStatus::Failed, "failed"),
        (JobStatus::Running, "running"),
        (JobStatus::Succeeded, "completed"),
        (JobStatus::Queued, "pending"),
        (JobStatus::Succeeded, "completed"),
        (JobStatus::Cancelled, "cancelled"),
    ];
    (0..30)
        .map(|i| {
            let (status, raw) = statuses[i % statuses.len()];
            let created = NOW - 420.0 * i as f64 - 90.0;
            let started = (status != JobStatus::Queued).then_some(created + 12.0);
            JobRow {
                key: JobKey {
                    source: if i % 5 == 4 {
                        JobSource::MsState
                    } else {
                        JobSource::Jobs
                    },
                    id: (5400 - i).to_string(),
                },
                kind: Some(if i % 2 == 0 { "imaging" } else { "calibration" }.into()),
                status,
                raw_status: raw.into(),
                target: Some(ms_path(i)),
                created_at: Some(created),
                started_at: started,
                finished_at: match status {
                    JobStatus::Running | JobStatus::Queued => None,
                    _ => started.map(|s| s + 187.0),
                },
                attempts: Some(1),
                max_attempts: Some(3),
                error_line: (status == JobStatus::Failed).then(|| {
                    "FileNotFoundError: [Errno 2] No such file or directory: '/stage/x.ms'".into()
                }),
            }
        })
        .collect()
}

fn ms_rows() -> Vec<MsRow> {
    let stages = [
        ("done", "imaging"),
        ("converted", "calibration_solve"),
        ("failed", "calibration"),
        ("discovered", "discovered"),
        ("skipped_no_caltables", "calibration"),
    ];
    (0..30)
        .map(|i| {
            let (status, stage) = stages[i % stages.len()];
            MsRow {
                path: ms_path(i),
                group_id: Some(group(i)),
                status: Some(status.into()),
                stage: Some(stage.into()),
                cal_applied: Some(status == "done"),
                field_name: Some(format!("drift_{i:03}")),
                pointing_ra_deg: Some(187.5 + i as f64 * 1.25),
                pointing_dec_deg: Some(42.052),
                mid_mjd: Some(unix_to_mjd(NOW - 309.0 * i as f64 - 150.0)),
                processed_at: Some(NOW - 309.0 * i as f64),
                stage_updated_at: Some(NOW - 61.0 * i as f64 - 5.0),
            }
        })
        .collect()
}

fn page<R>(rows: Vec<R>) -> Page<R> {
    Page {
        rows,
        has_more: true,
        total: None,
        next: Some(Cursor {
            value: SqlValue::Null,
            key: "last".into(),
        }),
    }
}

fn healthy(latency_ms: u64) -> SourceHealth {
    SourceHealth {
        last_ok: Some(NOW - 1.0),
        last_attempt: Some(NOW - 1.0),
        latency: Some(Duration::from_millis(latency_ms)),
        error: None,
        missing: None,
        loading: None,
    }
}

/// An app with every list filled, its health known and a header read for the first image.
fn loaded_app(no_color: bool) -> App {
    let (mut app, commands) = App::new(
        AppConfig {
            no_color,
            db_label: "/data/dsa110-contimg/state/db/pipeline.sqlite3".into(),
            ..AppConfig::default()
        },
        NOW,
    );
    for command in commands {
        let Command::Query {
            tab, generation, ..
        } = command
        else {
            continue;
        };
        let data = match tab {
            Tab::Images => ListData::Images(page(images())),
            Tab::Sources => ListData::Sources(page(sources())),
            Tab::Jobs => ListData::Jobs(page(jobs())),
            Tab::Ms => ListData::Ms(page(ms_rows())),
            Tab::Pool => continue,
        };
        app.update(Msg::List {
            generation,
            append: false,
            data,
        });
        app.update(Msg::Health {
            tab: Some(tab),
            health: healthy(12),
        });
    }
    app.update(Msg::Health {
        tab: None,
        health: healthy(3),
    });
    for image in images().iter().take(2) {
        app.update(Msg::FitsHeader {
            path: image.path.clone(),
            result: Ok(Arc::new(header_for(&image.path))),
        });
    }
    app
}

fn on_tab(tab_key: char, width: u16, height: u16) -> App {
    let mut app = loaded_app(false);
    app.update(Msg::Resize(width, height));
    app.update(key(tab_key));
    app.update(key('j'));
    app
}

#[test]
fn images_at_80x24() {
    let app = on_tab('1', 80, 24);
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn images_at_120x40() {
    let app = on_tab('1', 120, 40);
    insta::assert_snapshot!(screen(&app, 120, 40));
}

#[test]
fn images_at_160x40_show_the_header_in_a_preview() {
    let app = on_tab('1', 160, 40);
    insta::assert_snapshot!(screen(&app, 160, 40));
}

#[test]
fn sources_at_80x24() {
    let app = on_tab('2', 80, 24);
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn sources_at_120x40() {
    let app = on_tab('2', 120, 40);
    insta::assert_snapshot!(screen(&app, 120, 40));
}

#[test]
fn jobs_at_80x24() {
    let app = on_tab('3', 80, 24);
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn jobs_at_120x40() {
    let app = on_tab('3', 120, 40);
    insta::assert_snapshot!(screen(&app, 120, 40));
}

#[test]
fn ms_at_80x24() {
    let app = on_tab('4', 80, 24);
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn ms_at_120x40() {
    let app = on_tab('4', 120, 40);
    insta::assert_snapshot!(screen(&app, 120, 40));
}

#[test]
fn help_overlay_at_80x24() {
    let mut app = loaded_app(false);
    app.update(key('?'));
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn help_overlay_at_120x40() {
    let mut app = loaded_app(false);
    app.update(key('?'));
    insta::assert_snapshot!(screen(&app, 120, 40));
}

#[test]
fn a_stale_source_frozen_screen_and_empty_failed_filter() {
    let mut app = loaded_app(false);
    app.update(key('3'));
    app.update(Msg::Health {
        tab: Some(Tab::Jobs),
        health: SourceHealth {
            last_ok: Some(NOW - 312.0),
            last_attempt: Some(NOW - 1.0),
            latency: None,
            error: Some("database is locked".into()),
            missing: None,
            loading: None,
        },
    });
    let commands = app.update(key('f'));
    let Some(Command::Query { generation, .. }) = commands.first() else {
        panic!("f re-queries: {commands:?}");
    };
    app.update(Msg::List {
        generation: *generation,
        append: false,
        data: ListData::Jobs(Page::default()),
    });
    app.update(key('p'));
    app.update(Msg::Tick { now: NOW + 75.0 });
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("no failed jobs in view — press f to show all"),
        "{text}"
    );
    assert!(text.contains("STALE"), "{text}");
    assert!(text.contains("FROZEN 1m15s"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn without_colour_the_selected_row_is_reversed_and_nothing_is_coloured() {
    let mut app = loaded_app(true);
    app.update(Msg::Resize(80, 24));
    app.update(key('3'));
    app.update(key('j'));
    app.update(key('j'));
    let terminal = render(&app, 80, 24);
    let buf = terminal.backend().buffer();
    // Rows: title, tabs, table header, then data; the third job is on screen row 5.
    let selected_row = 5;
    let text: String = (0..80).map(|x| buf[(x, selected_row)].symbol()).collect();
    assert!(
        text.contains(&group(2)),
        "the third job is on row 5: {text}"
    );
    for x in 0..80 {
        let cell = &buf[(x, selected_row)];
        assert!(
            cell.modifier.contains(Modifier::REVERSED),
            "column {x} of the selected row is not reversed"
        );
    }
    let neighbour = &buf[(0, selected_row + 1)];
    assert!(!neighbour.modifier.contains(Modifier::REVERSED));
    for y in 0..24 {
        for x in 0..80 {
            let cell = &buf[(x, y)];
            assert_eq!(
                cell.fg,
                ratatui::style::Color::Reset,
                "fg colour at {x},{y}"
            );
            assert_eq!(
                cell.bg,
                ratatui::style::Color::Reset,
                "bg colour at {x},{y}"
            );
        }
    }
    insta::assert_snapshot!(buffer_text(buf));
}

#[test]
fn tiny_terminals_never_panic_and_say_so() {
    let mut app = loaded_app(false);
    for (w, h) in [(40, 10), (20, 5), (1, 1), (0, 0), (50, 10), (79, 23)] {
        app.update(Msg::Resize(w, h));
        for tab in ['1', '2', '3', '4', '5'] {
            app.update(key(tab));
            let text = screen(&app, w, h);
            if (w, h) == (40, 10) {
                assert!(text.contains("terminal too small"), "{text}");
            }
        }
    }
    app.update(key('?'));
    let _ = screen(&app, 50, 10);
    app.update(key('L'));
    let _ = screen(&app, 50, 10);
}

#[test]
fn a_failed_job_opened_with_enter_shows_its_pane_at_80x24() {
    use contimg_monitor::app::{DetailData, DetailKey};
    use contimg_monitor::snapshot::JobDetail;
    let mut app = loaded_app(false);
    app.update(key('3'));
    app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let row = jobs()[0].clone();
    app.update(Msg::Detail {
        key: DetailKey::Job(row.key.clone()),
        result: Ok(DetailData::Job(Box::new(JobDetail {
            row,
            error_full: None,
            logs: vec![
                "2025-10-21 14:21:01 INFO imaging started".into(),
                "Traceback (most recent call last):".into(),
                "  File \"imaging.py\", line 3, in run".into(),
                "FileNotFoundError: [Errno 2] No such file or directory: '/stage/x.ms'".into(),
            ],
            log_file: None,
            params_pretty: None,
            artifacts_pretty: None,
            extra: vec![],
            links: Default::default(),
        }))),
    });
    let text = screen(&app, 80, 24);
    assert!(text.contains("FileNotFoundError"), "{text}");
    assert!(
        text.contains("Esc back"),
        "the footer shows the pane's keys: {text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn the_pool_tab_draws_the_pool_snapshot() {
    use contimg_monitor::snapshot::{PoolSnapshot, PoolStats};
    let mut app = loaded_app(false);
    app.update(key('5'));
    app.update(Msg::Pool(Box::new(PoolSnapshot {
        pools: vec![PoolStats {
            source: "monitor".into(),
            name: "sqlite".into(),
            max: 4,
            open: 2,
            in_use: 1,
            idle: 1,
            sampled_at: NOW,
            ..Default::default()
        }],
        history: vec![Arc::new(Vec::new())],
        sqlite: None,
        ..Default::default()
    })));
    let text = screen(&app, 80, 24);
    assert!(text.contains("sqlite"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn the_filter_prompt_shows_what_is_typed() {
    let mut app = loaded_app(false);
    app.update(key('3'));
    app.update(key('/'));
    for c in "!type:imaging".chars() {
        app.update(key(c));
    }
    let text = screen(&app, 80, 24);
    let footer = text.lines().nth(23).unwrap_or_default();
    assert!(footer.starts_with("/!type:imaging▏"), "{footer}");
    assert!(footer.contains("Enter apply"), "{footer}");
}

#[test]
fn an_ms_pane_opened_from_the_list_at_120x40() {
    use contimg_monitor::app::{DetailData, DetailKey};
    use contimg_monitor::snapshot::{MsDetail, MsStateRow};
    let mut app = loaded_app(false);
    app.update(key('4'));
    app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let row = ms_rows()[0].clone();
    app.update(Msg::Detail {
        key: DetailKey::Ms(row.path.clone()),
        result: Ok(DetailData::Ms(Box::new(MsDetail {
            row: Some(row),
            state: Some(MsStateRow {
                current_state: Some("done".into()),
                previous_state: Some("imaging".into()),
                transition_time: Some(NOW - 30.0),
                retry_count: Some(0),
                ..Default::default()
            }),
            images: images().into_iter().take(2).collect(),
            jobs: jobs().into_iter().take(2).collect(),
            calibration: vec![],
            cal: Default::default(),
        }))),
    });
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("Enter open"),
        "the footer offers the pane's keys: {text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn the_jobs_list_beside_its_preview_at_160x40() {
    let app = on_tab('3', 160, 40);
    let text = screen(&app, 160, 40);
    assert!(text.contains("status    ▶ running (running)"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn jobs_at_60x16_keep_status_target_and_error() {
    let app = on_tab('3', 60, 16);
    let text = screen(&app, 60, 16);
    assert!(text.contains("✗ failed"), "{text}");
    assert!(
        text.contains(" 3 Jobs "),
        "tab titles stay when counts go: {text}"
    );
    insta::assert_snapshot!(text);
}
