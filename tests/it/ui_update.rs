//! The operator's story told through `App::update`: keys and data in, state and commands out.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use contimg_monitor::app::keymap::{Action, Context, KeymapError};
use contimg_monitor::app::{App, AppConfig, Command, DetailData, DetailKey, Keymap, ListData, Msg};
use contimg_monitor::fits::{FitsError, HeaderDoc, HeaderSummary};
use contimg_monitor::query::{Cursor, SqlValue};
use contimg_monitor::snapshot::{
    ImageRow, JobDetail, JobKey, JobRow, JobSource, JobStatus, MsRow, Page, SourceHealth, Tab,
};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const NOW: f64 = 1_761_056_599.0;

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn new_app() -> (App, Vec<Command>) {
    App::new(
        AppConfig {
            db_label: "test.sqlite3".into(),
            ..AppConfig::default()
        },
        NOW,
    )
}

fn generation_of(commands: &[Command], tab: Tab) -> u64 {
    commands
        .iter()
        .rev()
        .find_map(|c| match c {
            Command::Query {
                tab: t, generation, ..
            } if *t == tab => Some(*generation),
            _ => None,
        })
        .expect("a query for the tab")
}

fn ms_row(path: &str) -> MsRow {
    MsRow {
        path: path.into(),
        status: Some("done".into()),
        ..Default::default()
    }
}

fn ms_page(paths: &[&str], has_more: bool) -> ListData {
    ListData::Ms(Page {
        rows: paths.iter().map(|p| ms_row(p)).collect(),
        has_more,
        total: None,
        next: has_more.then(|| Cursor {
            value: SqlValue::Null,
            key: paths.last().copied().unwrap_or_default().to_string(),
        }),
    })
}

fn job(id: &str, status: JobStatus) -> JobRow {
    JobRow {
        key: JobKey {
            source: JobSource::Jobs,
            id: id.into(),
        },
        kind: Some("imaging".into()),
        status,
        raw_status: status.name().into(),
        target: Some(format!("/stage/dsa110-contimg/ms/{id}.ms")),
        created_at: Some(NOW - 60.0),
        started_at: None,
        finished_at: None,
        attempts: None,
        max_attempts: None,
        error_line: None,
    }
}

fn image(id: i64) -> ImageRow {
    ImageRow {
        id,
        path: format!("/stage/dsa110-contimg/images/{id}.img-image-pbcor.fits"),
        ..Default::default()
    }
}

fn images_page(ids: std::ops::Range<i64>, has_more: bool) -> ListData {
    ListData::Images(Page {
        rows: ids.clone().map(image).collect(),
        has_more,
        total: None,
        next: has_more.then(|| Cursor {
            value: SqlValue::Int(ids.end),
            key: ids.end.to_string(),
        }),
    })
}

fn list(generation: u64, data: ListData) -> Msg {
    Msg::List {
        generation,
        append: false,
        data,
    }
}

#[test]
fn startup_asks_every_list_for_its_first_page() {
    let (_, commands) = new_app();
    let tabs: Vec<Tab> = commands
        .iter()
        .filter_map(|c| match c {
            Command::Query { tab, .. } => Some(*tab),
            _ => None,
        })
        .collect();
    assert_eq!(tabs, [Tab::Images, Tab::Sources, Tab::Jobs, Tab::Ms]);
}

#[test]
fn number_keys_and_tab_switch_tabs() {
    let (mut app, _) = new_app();
    app.update(key('3'));
    assert_eq!(app.tab, Tab::Jobs);
    app.update(code(KeyCode::Tab));
    assert_eq!(app.tab, Tab::Ms);
    app.update(code(KeyCode::Tab));
    app.update(code(KeyCode::Tab));
    assert_eq!(app.tab, Tab::Images, "Tab wraps around");
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::BackTab,
        KeyModifiers::SHIFT,
    )));
    assert_eq!(app.tab, Tab::Pool);
}

#[test]
fn the_selection_stays_on_the_same_ms_when_a_refresh_inserts_rows_above() {
    let (mut app, commands) = new_app();
    let generation = generation_of(&commands, Tab::Ms);
    app.update(key('4'));
    app.update(list(generation, ms_page(&["c", "b", "a"], false)));
    app.update(key('j'));
    assert_eq!(app.ms.selected_row().unwrap().path, "b");
    app.update(list(generation, ms_page(&["e", "d", "c", "b", "a"], false)));
    assert_eq!(app.ms.selected_row().unwrap().path, "b");
    assert_eq!(app.ms.selected, 3);
}

#[test]
fn when_the_selected_item_disappears_the_selection_keeps_its_place() {
    let (mut app, commands) = new_app();
    let generation = generation_of(&commands, Tab::Ms);
    app.update(key('4'));
    app.update(list(generation, ms_page(&["c", "b", "a"], false)));
    app.update(key('j'));
    app.update(list(generation, ms_page(&["c", "a"], false)));
    assert_eq!(app.ms.selected, 1);
    assert_eq!(app.ms.selected_row().unwrap().path, "a");
}

#[test]
fn a_page_from_an_older_query_is_dropped() {
    let (mut app, commands) = new_app();
    let old = generation_of(&commands, Tab::Jobs);
    app.update(key('3'));
    let commands = app.update(key('s'));
    let new = generation_of(&commands, Tab::Jobs);
    assert!(new > old);
    app.update(list(
        old,
        ListData::Jobs(Page {
            rows: vec![job("1", JobStatus::Failed)],
            ..Page::default()
        }),
    ));
    assert!(app.jobs.rows.is_empty(), "stale generation must be ignored");
    assert!(!app.jobs.loaded);
}

#[test]
fn freeze_buffers_new_pages_and_releases_the_newest() {
    let (mut app, commands) = new_app();
    let generation = generation_of(&commands, Tab::Ms);
    app.update(key('4'));
    app.update(list(generation, ms_page(&["a"], false)));
    app.update(Msg::Tick { now: NOW + 5.0 });
    app.update(key('p'));
    assert_eq!(app.frozen.as_ref().map(|f| f.since), Some(NOW + 5.0));
    app.update(list(generation, ms_page(&["b", "a"], false)));
    app.update(list(generation, ms_page(&["c", "b", "a"], false)));
    assert_eq!(app.ms.rows.len(), 1, "the frozen screen does not move");
    assert_eq!(app.frozen.as_ref().unwrap().buffer.pending_count(), 1);
    app.update(key('p'));
    assert!(app.frozen.is_none());
    let paths: Vec<&str> = app.ms.rows.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["c", "b", "a"]);
}

#[test]
fn failed_only_adds_and_removes_the_status_term() {
    let (mut app, _) = new_app();
    app.update(key('3'));
    let commands = app.update(key('f'));
    assert_eq!(app.jobs.filter_text, "status:failed");
    let Some(Command::Query { query, .. }) = commands.first() else {
        panic!("f must re-query: {commands:?}");
    };
    assert_eq!(query.filter.to_string(), "status:failed");
    app.update(key('f'));
    assert_eq!(app.jobs.filter_text, "");
    assert!(app.jobs.filter.is_empty());
}

#[test]
fn failed_only_keeps_what_the_operator_typed() {
    let (mut app, _) = new_app();
    app.update(key('3'));
    app.update(key('/'));
    for c in "imaging".chars() {
        app.update(key(c));
    }
    app.update(code(KeyCode::Enter));
    app.update(key('f'));
    assert_eq!(app.jobs.filter_text, "imaging status:failed");
    app.update(key('f'));
    assert_eq!(app.jobs.filter_text, "imaging");
}

#[test]
fn typing_q_in_the_filter_prompt_types_a_q() {
    let (mut app, _) = new_app();
    app.update(key('/'));
    let commands = app.update(key('q'));
    assert!(!app.should_quit());
    assert!(commands.is_empty());
    assert_eq!(app.filter_input.as_deref(), Some("q"));
    app.update(code(KeyCode::Esc));
    assert!(app.filter_input.is_none());
    assert_eq!(app.images.filter_text, "", "Esc cancels without applying");
}

#[test]
fn moving_near_the_end_of_the_loaded_rows_asks_for_more_once() {
    let (mut app, commands) = new_app();
    let generation = generation_of(&commands, Tab::Images);
    app.update(Msg::Resize(80, 24));
    app.update(list(generation, images_page(0..40, true)));
    let mut load_mores = Vec::new();
    for _ in 0..30 {
        for c in app.update(key('j')) {
            if let Command::LoadMore { query, .. } = c {
                load_mores.push(query);
            }
        }
    }
    assert_eq!(load_mores.len(), 1, "one request while one is in flight");
    assert_eq!(
        load_mores[0].after.as_ref().map(|c| c.key.as_str()),
        Some("40")
    );
    app.update(Msg::List {
        generation,
        append: true,
        data: images_page(40..60, false),
    });
    assert_eq!(app.images.rows.len(), 60);
    let more: Vec<Command> = (0..25).flat_map(|_| app.update(key('j'))).collect();
    assert!(
        !more.iter().any(|c| matches!(c, Command::LoadMore { .. })),
        "no more rows exist"
    );
}

#[test]
fn the_selected_image_header_is_read_first_then_rows_on_screen_missing_values() {
    let (mut app, commands) = new_app();
    let generation = generation_of(&commands, Tab::Images);
    let mut rows: Vec<ImageRow> = (0..3).map(image).collect();
    // Row 1 has everything in the database: its header is only read when selected.
    rows[1].beam_major_arcsec = Some(14.2);
    rows[1].cellsize_arcsec = Some(2.5);
    rows[1].center_ra_deg = Some(187.5);
    rows[1].freq_ghz = Some(1.405);
    let first = app.update(list(
        generation,
        ListData::Images(Page {
            rows,
            ..Page::default()
        }),
    ));
    let read = |id| Command::ReadFitsHeader {
        path: image(id).path,
    };
    assert_eq!(first, vec![read(0), read(2)]);
    assert_eq!(app.update(key('j')), vec![read(1)], "selected: read now");
    assert!(app.update(key('j')).is_empty(), "already asked for");
}

#[test]
fn a_header_that_arrives_for_another_image_is_kept_and_not_read_again() {
    let (mut app, commands) = new_app();
    let generation = generation_of(&commands, Tab::Images);
    app.update(list(generation, images_page(0..3, false)));
    app.update(Msg::FitsHeader {
        path: image(2).path,
        result: Ok(Arc::new(HeaderDoc {
            path: image(2).path,
            file_bytes: 1,
            note: None,
            hdus: vec![],
            summary: HeaderSummary::default(),
        })),
    });
    assert!(
        app.headers.header(&image(2).path).is_some(),
        "stored even when not selected"
    );
    assert!(!app.headers.is_pending(&image(2).path));
    let moved: Vec<Command> = (0..2).flat_map(|_| app.update(key('j'))).collect();
    assert!(
        moved.is_empty(),
        "a cached header is not read again: {moved:?}"
    );
}

#[test]
fn a_failed_header_read_is_retried_on_r() {
    let (mut app, commands) = new_app();
    let generation = generation_of(&commands, Tab::Images);
    app.update(list(generation, images_page(0..1, false)));
    app.update(Msg::FitsHeader {
        path: image(0).path,
        result: Err(FitsError::NotFound(image(0).path)),
    });
    let commands = app.update(key('r'));
    assert!(commands.contains(&Command::ReadFitsHeader {
        path: image(0).path
    }));
    assert!(commands.iter().any(
        |c| matches!(c, Command::Query { tab: Tab::Images, generation: g, .. } if *g == generation)
    ));
}

#[test]
fn enter_opens_a_job_and_m_jumps_to_its_ms_and_esc_comes_back() {
    let (mut app, commands) = new_app();
    let generation = generation_of(&commands, Tab::Jobs);
    app.update(key('3'));
    let failed = job("2025-10-21T14:23:19", JobStatus::Failed);
    app.update(list(
        generation,
        ListData::Jobs(Page {
            rows: vec![failed.clone()],
            ..Page::default()
        }),
    ));
    let commands = app.update(code(KeyCode::Enter));
    let job_key = DetailKey::Job(failed.key.clone());
    assert_eq!(commands, vec![Command::OpenDetail(job_key.clone())]);
    app.update(Msg::Detail {
        key: job_key.clone(),
        result: Ok(DetailData::Job(Box::new(JobDetail {
            row: failed.clone(),
            error_full: None,
            logs: vec![],
            log_file: None,
            params_pretty: None,
            artifacts_pretty: None,
            extra: vec![],
            links: Default::default(),
        }))),
    });
    let commands = app.update(key('m'));
    let ms_path = failed.target.clone().unwrap();
    assert_eq!(app.tab, Tab::Ms);
    assert_eq!(app.ms.filter_text, format!("path:{ms_path}"));
    assert!(commands.contains(&Command::OpenDetail(DetailKey::Ms(ms_path))));
    assert!(
        commands
            .iter()
            .any(|c| matches!(c, Command::Query { tab: Tab::Ms, .. }))
    );
    let back = app.update(code(KeyCode::Esc));
    assert_eq!(app.tab, Tab::Jobs);
    assert_eq!(
        back,
        vec![Command::OpenDetail(job_key), Command::ShowTab(Tab::Jobs)]
    );
    let closed = app.update(code(KeyCode::Esc));
    assert_eq!(closed, vec![Command::CloseDetail]);
    assert!(app.details.is_empty());
}

#[test]
fn plus_and_minus_step_the_refresh_interval_within_bounds() {
    let (mut app, _) = new_app();
    assert_eq!(
        app.update(key('+')),
        vec![Command::SetRefreshInterval(Duration::from_secs(5))]
    );
    for _ in 0..20 {
        app.update(key('+'));
    }
    assert_eq!(app.refresh, Duration::from_secs(60));
    assert!(app.update(key('+')).is_empty());
    for _ in 0..20 {
        app.update(key('-'));
    }
    assert_eq!(app.refresh, Duration::from_millis(500));
}

#[test]
fn q_and_ctrl_c_quit() {
    let (mut app, _) = new_app();
    assert_eq!(app.update(key('q')), vec![Command::Quit]);
    assert!(app.should_quit());
    let (mut app, _) = new_app();
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(app.should_quit());
}

#[test]
fn the_help_opens_with_question_mark_and_any_key_closes_it() {
    let (mut app, _) = new_app();
    app.update(key('?'));
    assert!(app.show_help);
    app.update(key('3'));
    assert!(!app.show_help);
    assert_eq!(app.tab, Tab::Images, "the closing key does nothing else");
}

#[test]
fn an_override_moves_an_action_to_new_keys() {
    let overrides = HashMap::from([("refresh".to_string(), vec!["ctrl-r".into(), "F5".into()])]);
    let map = Keymap::with_overrides(&overrides).unwrap();
    let f5 = KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE);
    assert_eq!(map.lookup(Context::List, f5), Some(Action::Refresh));
    let r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::NONE);
    assert_eq!(map.lookup(Context::List, r), None);
    assert!(
        map.footer(Context::List)
            .iter()
            .all(|(keys, _)| keys != "r")
    );
}

#[test]
fn a_key_bound_twice_in_one_context_is_refused_with_both_names() {
    let overrides = HashMap::from([("freeze".to_string(), vec!["j".to_string()])]);
    let err = Keymap::with_overrides(&overrides).unwrap_err();
    assert!(matches!(err, KeymapError::Conflict { .. }));
    let text = err.to_string();
    assert!(
        text.contains("freeze") && text.contains("down") && text.contains("`j`"),
        "{text}"
    );
}

#[test]
fn unknown_actions_and_keys_are_explained() {
    let bad_action = HashMap::from([("teleport".to_string(), vec!["t".to_string()])]);
    let err = Keymap::with_overrides(&bad_action).unwrap_err();
    assert!(err.to_string().contains("teleport") && err.to_string().contains("quit"));
    let bad_key = HashMap::from([("quit".to_string(), vec!["hyper-q".to_string()])]);
    assert!(matches!(
        Keymap::with_overrides(&bad_key),
        Err(KeymapError::BadKey(k)) if k == "hyper-q"
    ));
}

#[test]
fn the_help_lists_every_binding() {
    let map = Keymap::default();
    let help = map.help();
    let rows: usize = help.iter().map(|(_, rows)| rows.len()).sum();
    assert_eq!(rows, map.bindings().len());
    for action in Action::ALL {
        assert!(
            map.bindings().iter().any(|b| b.action == action),
            "{action:?} has no binding, so it cannot be in the help"
        );
    }
    let texts: Vec<&str> = help
        .iter()
        .flat_map(|(_, r)| r.iter().map(|r| r.help))
        .collect();
    assert!(texts.iter().any(|t| t.contains("failed")));
}

fn ms_detail_with(images: Vec<ImageRow>, jobs: Vec<JobRow>) -> DetailData {
    DetailData::Ms(Box::new(contimg_monitor::snapshot::MsDetail {
        row: Some(ms_row(&format!("{}/x.ms", "/stage/dsa110-contimg/ms"))),
        images,
        jobs,
        ..Default::default()
    }))
}

#[test]
fn in_an_ms_pane_the_selected_job_opens_on_the_jobs_tab_filtered_to_the_ms() {
    let (mut app, commands) = new_app();
    let generation = generation_of(&commands, Tab::Ms);
    app.update(key('4'));
    app.update(list(
        generation,
        ms_page(&["/stage/dsa110-contimg/ms/x.ms"], false),
    ));
    app.update(code(KeyCode::Enter));
    let key_ms = DetailKey::Ms("/stage/dsa110-contimg/ms/x.ms".into());
    let (first, second) = (job("1", JobStatus::Failed), job("2", JobStatus::Succeeded));
    app.update(Msg::Detail {
        key: key_ms,
        result: Ok(ms_detail_with(vec![image(7)], vec![first, second.clone()])),
    });
    app.update(key(']'));
    app.update(key('j'));
    let commands = app.update(code(KeyCode::Enter));
    assert_eq!(app.tab, Tab::Jobs);
    assert_eq!(app.jobs.filter_text, "ms:/stage/dsa110-contimg/ms/x.ms");
    assert!(commands.contains(&Command::OpenDetail(DetailKey::Job(second.key))));
}

#[test]
fn slash_in_an_image_pane_searches_the_header_not_the_list() {
    let (mut app, commands) = new_app();
    let generation = generation_of(&commands, Tab::Images);
    app.update(list(generation, images_page(0..2, false)));
    app.update(code(KeyCode::Enter));
    app.update(key('/'));
    for c in "bmaj".chars() {
        app.update(key(c));
    }
    let commands = app.update(code(KeyCode::Enter));
    assert!(commands.is_empty(), "no list query: {commands:?}");
    assert_eq!(app.images.filter_text, "");
    let Some(contimg_monitor::app::PaneState::Image(view)) = app.details.last().map(|d| &d.pane)
    else {
        panic!("the image pane is open");
    };
    assert_eq!(view.search(), "bmaj");
}

#[test]
fn switching_tabs_by_hand_closes_the_detail_pane() {
    let (mut app, commands) = new_app();
    let generation = generation_of(&commands, Tab::Images);
    app.update(list(generation, images_page(0..2, false)));
    app.update(code(KeyCode::Enter));
    assert!(app.open_detail().is_some());
    let commands = app.update(key('2'));
    assert!(commands.contains(&Command::CloseDetail));
    assert!(app.details.is_empty());
}

#[test]
fn a_new_sort_asked_for_while_frozen_shows_its_first_page_at_once() {
    let (mut app, commands) = new_app();
    let generation = generation_of(&commands, Tab::Ms);
    app.update(key('4'));
    app.update(list(generation, ms_page(&["a", "b"], false)));
    app.update(key('p'));
    let commands = app.update(key('s'));
    let sorted = generation_of(&commands, Tab::Ms);
    app.update(list(sorted, ms_page(&["b", "a"], false)));
    assert_eq!(
        app.ms.rows[0].path, "b",
        "the operator's own query is not held"
    );
    app.update(list(sorted, ms_page(&["c", "b", "a"], false)));
    assert_eq!(app.ms.rows.len(), 2, "its refreshes are held");
    assert!(app.frozen.is_some());
}

fn alert_snapshot(since: f64, ended_at: Option<f64>) -> Msg {
    use contimg_monitor::pool::sources::{PoolKey, SaturationAlert};
    use contimg_monitor::snapshot::PoolSnapshot;
    Msg::Pool(Box::new(PoolSnapshot {
        alerts: vec![SaturationAlert {
            pool: PoolKey::new("pgbouncer", "dsa110_absurd/postgres"),
            since,
            ended_at,
            peak_waiting: 7,
        }],
        ..Default::default()
    }))
}

#[test]
fn a_saturation_alert_rings_once_stays_until_acknowledged_and_survives_a_freeze() {
    let (mut app, _) = App::new(
        AppConfig {
            bell: true,
            ..AppConfig::default()
        },
        NOW,
    );
    app.update(key('p')); // frozen: alerts must still arrive
    let first = app.update(alert_snapshot(NOW - 40.0, None));
    assert_eq!(first, vec![Command::Bell], "a new alert rings the bell");
    let again = app.update(alert_snapshot(NOW - 40.0, Some(NOW - 5.0)));
    assert!(again.is_empty(), "the same alert does not ring twice");
    assert_eq!(app.alerts.len(), 1, "an ended episode stays listed");
    let line: String = contimg_monitor::ui::status::status_line(&app)
        .spans
        .iter()
        .map(|s| s.content.as_ref())
        .collect();
    assert!(
        line.contains("POOL SATURATED") && line.contains("last ended"),
        "{line}"
    );
    assert_eq!(app.update(key('a')), vec![Command::AckAlerts]);
    assert!(app.alerts.is_empty());
    assert!(
        app.update(key('a')).is_empty(),
        "nothing left to acknowledge"
    );
}

#[test]
fn without_the_bell_an_alert_is_only_shown() {
    let (mut app, _) = new_app();
    assert!(app.update(alert_snapshot(NOW - 40.0, None)).is_empty());
    assert_eq!(app.alerts.len(), 1);
}

#[test]
fn switching_tabs_tells_the_services_which_tab_is_on_screen() {
    let (mut app, _) = new_app();
    assert!(app.update(key('3')).contains(&Command::ShowTab(Tab::Jobs)));
    assert!(
        !app.update(key('3')).contains(&Command::ShowTab(Tab::Jobs)),
        "the same tab again is no change"
    );
    assert!(app.update(key('5')).contains(&Command::ShowTab(Tab::Pool)));
}

#[test]
fn only_changes_on_screen_ask_for_a_frame_at_once() {
    let (mut app, commands) = new_app();
    assert!(app.take_redraw(), "the first frame");
    assert!(!app.take_redraw());
    let health = |t: f64| SourceHealth {
        last_ok: Some(t),
        last_attempt: Some(t),
        latency: Some(Duration::from_millis(3)),
        ..SourceHealth::default()
    };
    let jobs = generation_of(&commands, Tab::Jobs);
    let page = || {
        ListData::Jobs(Page {
            rows: vec![job("2025-10-21T14:23:19", JobStatus::Failed)],
            ..Page::default()
        })
    };
    // A hidden tab's first rows: drawn (its count appears in the tab bar).
    app.update(list(jobs, page()));
    assert!(app.take_redraw());
    // Its later pages and its health wait for the clock tick.
    app.update(list(jobs, page()));
    app.update(Msg::Health {
        tab: Some(Tab::Jobs),
        health: health(NOW),
    });
    assert!(!app.take_redraw());
    // The database's health on screen: a first answer is drawn, a newer age is not...
    app.update(Msg::Health {
        tab: None,
        health: health(NOW),
    });
    assert!(app.take_redraw());
    app.update(Msg::Health {
        tab: None,
        health: health(NOW + 2.0),
    });
    assert!(!app.take_redraw());
    // ...but an error is.
    app.update(Msg::Health {
        tab: None,
        health: SourceHealth {
            error: Some("database is locked".into()),
            ..health(NOW + 4.0)
        },
    });
    assert!(app.take_redraw());
    // The clock always redraws; a key does too.
    app.update(Msg::Tick { now: NOW + 5.0 });
    assert!(app.take_redraw());
    app.update(key('3'));
    assert!(app.take_redraw());
    // On screen now: its pages are drawn at once.
    app.update(list(jobs, page()));
    assert!(app.take_redraw());
}

#[test]
fn a_pool_snapshot_is_drawn_on_the_pool_tab_or_when_its_alerts_change() {
    let (mut app, _) = new_app();
    app.take_redraw();
    app.update(alert_snapshot(NOW - 40.0, None));
    assert!(app.take_redraw(), "a new alert shows in the status line");
    app.update(alert_snapshot(NOW - 40.0, None));
    assert!(!app.take_redraw(), "the same alerts, Pool tab hidden");
    app.update(key('5'));
    app.take_redraw();
    app.update(alert_snapshot(NOW - 40.0, None));
    assert!(app.take_redraw(), "the Pool tab shows every snapshot");
}
