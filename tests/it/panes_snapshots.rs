//! The panes as an operator sees them, at 80x24 and 120x40, without colour.

use crate::panes_fixtures;

use contimg_monitor::ui::detail::{
    HeaderLoad, HeaderViewState, JobPaneState, Theme, render_fits_header, render_header_preview,
    render_job_detail,
};
use contimg_monitor::ui::pool::{PoolTabState, render_pool_tab};
use panes_fixtures::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];
const PLAIN: Theme = Theme { no_color: true };

#[test]
fn a_failed_jobs_traceback_is_on_the_first_screen() {
    let job = failed_job();
    for (w, h) in SIZES {
        let buf = draw(w, h, |f| {
            render_job_detail(
                f,
                f.area(),
                &job,
                &JobPaneState::default(),
                T0 + 3600.0,
                &PLAIN,
            )
        });
        let text = buffer_text(&buf);
        assert!(text.contains("FAILED"), "{text}");
        if h >= 40 {
            assert!(
                text.contains("Traceback (most recent call last):"),
                "{text}"
            );
            assert!(text.contains("FileNotFoundError: [Errno 2]"), "{text}");
        }
        insta::assert_snapshot!(format!("failed_job_{w}x{h}"), text);
    }
}

#[test]
fn the_job_pane_scrolls_to_the_end_of_a_long_log() {
    let job = failed_job();
    let mut st = JobPaneState::default();
    let draw_it = |st: &JobPaneState| {
        buffer_text(&draw(80, 24, |f| {
            render_job_detail(f, f.area(), &job, st, T0, &PLAIN)
        }))
    };
    draw_it(&st);
    st.scroll_bottom();
    let end = draw_it(&st);
    assert!(end.contains("worker imaging-1"), "{end}");
    st.page_up();
    let before = draw_it(&st);
    assert!(!before.contains("worker imaging-1"), "{before}");
}

#[test]
fn escape_sequences_in_a_jobs_logs_never_reach_the_screen() {
    let job = job_with_escapes();
    for (w, h) in SIZES {
        let buf = draw(w, h, |f| {
            render_job_detail(f, f.area(), &job, &JobPaneState::default(), T0, &PLAIN)
        });
        let text = buffer_text(&buf);
        assert!(!text.contains('\x1b'), "{text:?}");
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(text.contains("␛[2J"), "{text}");
        insta::assert_snapshot!(format!("job_with_escapes_{w}x{h}"), text);
    }
}

#[test]
fn a_fits_header_in_parsed_and_raw_views() {
    let doc = header_doc();
    let mut st = HeaderViewState::default();
    for (w, h) in SIZES {
        let text = buffer_text(&draw(w, h, |f| {
            render_fits_header(f, f.area(), Ok(&doc), &st, &PLAIN)
        }));
        assert!(text.contains("12.3″ x 9.8″ @ 45.0°"), "{text}");
        assert!(text.contains("12:30:00.00 +42:03:07.2"), "{text}");
        insta::assert_snapshot!(format!("fits_parsed_{w}x{h}"), text);
    }
    st.toggle_raw();
    for (w, h) in SIZES {
        let text = buffer_text(&draw(w, h, |f| {
            render_fits_header(f, f.area(), Ok(&doc), &st, &PLAIN)
        }));
        insta::assert_snapshot!(format!("fits_raw_{w}x{h}"), text);
    }
}

#[test]
fn a_fits_search_jumps_to_the_match_below_the_fold() {
    let doc = header_doc();
    let mut st = HeaderViewState::default();
    st.set_search("history");
    let text = buffer_text(&draw(80, 24, |f| {
        render_fits_header(f, f.area(), Ok(&doc), &st, &PLAIN)
    }));
    assert!(text.contains("imaged by dsa110-contimg"), "{text}");
    assert!(text.contains("/history 1/2"), "{text}");
}

#[test]
fn a_fits_file_with_two_hdus_shows_tabs() {
    let doc = two_hdu_doc();
    let mut st = HeaderViewState::default();
    st.next_hdu(&doc);
    let text = buffer_text(&draw(80, 24, |f| {
        render_fits_header(f, f.area(), Ok(&doc), &st, &PLAIN)
    }));
    assert!(text.contains("1 BINTABLE AIPS CC"), "{text}");
    assert!(text.contains("XTENSION"), "{text}");
}

#[test]
fn an_unreadable_fits_file_shows_its_reason_in_one_line() {
    let err = fits_error();
    for (w, h) in SIZES {
        let text = buffer_text(&draw(w, h, |f| {
            render_fits_header(f, f.area(), Err(&err), &HeaderViewState::default(), &PLAIN)
        }));
        assert!(text.contains("truncated or corrupt FITS file"), "{text}");
        insta::assert_snapshot!(format!("fits_error_{w}x{h}"), text);
    }
}

#[test]
fn the_header_preview_shows_loading_error_and_summary() {
    let doc = header_doc();
    let err = fits_error();
    let preview = |load: HeaderLoad<'_>| {
        buffer_text(&draw(40, 16, |f| {
            render_header_preview(f, f.area(), load, &PLAIN)
        }))
    };
    assert!(preview(HeaderLoad::Loading).contains("reading header"));
    assert!(preview(HeaderLoad::Failed(&err)).contains("Cannot read header"));
    let text = preview(HeaderLoad::Loaded(&doc));
    insta::assert_snapshot!("fits_preview_40x16", text);
}

#[test]
fn the_pool_tab_shows_a_saturated_pool_and_who_holds_the_database() {
    let snap = pool_snapshot();
    let mut st = PoolTabState::default();
    st.select_next(&snap);
    for (w, h) in SIZES {
        let text = buffer_text(&draw(w, h, |f| {
            render_pool_tab(f, f.area(), &snap, &st, T0, &PLAIN)
        }));
        assert!(text.contains("SATURATED"), "{text}");
        assert!(text.contains("BUSY"), "{text}");
        assert!(
            text.contains("3 processes not readable (run as the pipeline user to see them)"),
            "{text}"
        );
        assert!(text.contains("peak 10 in use + 7 waiting"), "{text}");
        insta::assert_snapshot!(format!("pool_tab_{w}x{h}"), text);
    }
}

#[test]
fn an_empty_pool_tab_says_so() {
    let snap = contimg_monitor::snapshot::PoolSnapshot::default();
    let text = buffer_text(&draw(80, 24, |f| {
        render_pool_tab(f, f.area(), &snap, &PoolTabState::default(), T0, &PLAIN)
    }));
    assert!(text.contains("No pools registered yet."), "{text}");
    assert!(text.contains("No SQLite database watched."), "{text}");
}

#[test]
fn an_ms_detail_shows_its_state_and_its_lists() {
    use contimg_monitor::ui::detail::{MsPaneState, render_ms_detail};
    let d = ms_detail();
    let mut st = MsPaneState::default();
    st.next_section();
    st.select_next(&d);
    for (w, h) in SIZES {
        let text = buffer_text(&draw(w, h, |f| {
            render_ms_detail(f, f.area(), &d, &st, T0 + 3600.0, &PLAIN)
        }));
        assert!(text.contains("retries 2/3"), "{text}");
        assert!(text.contains("wsclean exited with status 1"), "{text}");
        assert!(text.contains("Jobs (2)"), "{text}");
        insta::assert_snapshot!(format!("ms_detail_{w}x{h}"), text);
    }
}

#[test]
fn a_source_light_curve_with_its_measurements() {
    use contimg_monitor::ui::detail::{SourcePaneState, render_source_detail};
    let d = source_detail();
    let mut st = SourcePaneState::default();
    for _ in 0..7 {
        st.select_next(&d);
    }
    for (w, h) in SIZES {
        let text = buffer_text(&draw(w, h, |f| {
            render_source_detail(f, f.area(), &d, &st, &PLAIN)
        }));
        assert!(text.contains("12:30:00.00 +42:03:07.2"), "{text}");
        assert!(text.contains('◆'), "the selected point is marked\n{text}");
        insta::assert_snapshot!(format!("source_detail_{w}x{h}"), text);
    }
}

/// The row of the screen holding `needle`, and the column where it starts.
fn find(buf: &ratatui::buffer::Buffer, needle: &str) -> Option<(u16, u16)> {
    buffer_lines(buf).iter().enumerate().find_map(|(y, line)| {
        line.find(needle)
            .map(|byte| (line[..byte].chars().count() as u16, y as u16))
    })
}

#[test]
fn without_colour_the_failure_reason_and_the_selection_still_stand_out() {
    use ratatui::style::Modifier;
    let job = failed_job();
    let buf = draw(120, 40, |f| {
        render_job_detail(f, f.area(), &job, &JobPaneState::default(), T0, &PLAIN)
    });
    let (x, y) = find(&buf, "FileNotFoundError: [Errno 2]").expect("reason on screen");
    let style = buf[(x, y)].style();
    assert!(style.add_modifier.contains(Modifier::BOLD), "{style:?}");
    assert!(
        matches!(style.fg, None | Some(ratatui::style::Color::Reset)),
        "no colour asked for: {style:?}"
    );

    let snap = pool_snapshot();
    let mut st = PoolTabState::default();
    st.select_next(&snap);
    let buf = draw(80, 24, |f| {
        render_pool_tab(f, f.area(), &snap, &st, T0, &PLAIN)
    });
    let (x, y) = find(&buf, "postgres").expect("pool row");
    assert!(
        buf[(x, y)]
            .style()
            .add_modifier
            .contains(Modifier::REVERSED)
    );
}

#[test]
fn an_ms_with_many_images_falls_back_to_tabs_on_a_small_screen() {
    use contimg_monitor::ui::detail::{MsPaneState, render_ms_detail};
    let mut d = ms_detail();
    d.images = (0..20).map(|i| image(1000 + i, "image", "5min")).collect();
    let mut st = MsPaneState::default();
    for _ in 0..15 {
        st.select_next(&d);
    }
    let text = buffer_text(&draw(80, 24, |f| {
        render_ms_detail(f, f.area(), &d, &st, T0, &PLAIN)
    }));
    assert!(
        text.contains("Images (20)") && text.contains("Calibration (1)"),
        "{text}"
    );
    assert!(
        text.contains("▶ 1015"),
        "the selected image is scrolled into view\n{text}"
    );
}

#[test]
fn every_pane_survives_tiny_terminals_and_colour() {
    use contimg_monitor::ui::detail::{
        MsPaneState, SourcePaneState, render_ms_detail, render_source_detail,
    };
    let (job, ms, source, doc, snap) = (
        failed_job(),
        ms_detail(),
        source_detail(),
        header_doc(),
        pool_snapshot(),
    );
    let empty_source = contimg_monitor::snapshot::SourceDetail::default();
    let empty_ms = contimg_monitor::snapshot::MsDetail::default();
    for theme in [PLAIN, Theme { no_color: false }] {
        for (w, h) in [(1, 1), (12, 4), (30, 8), (80, 24)] {
            draw(w, h, |f| {
                let a = f.area();
                render_job_detail(f, a, &job, &JobPaneState::default(), T0, &theme);
                render_ms_detail(f, a, &ms, &MsPaneState::default(), T0, &theme);
                render_ms_detail(f, a, &empty_ms, &MsPaneState::default(), T0, &theme);
                render_source_detail(f, a, &source, &SourcePaneState::default(), &theme);
                render_source_detail(f, a, &empty_source, &SourcePaneState::default(), &theme);
                render_fits_header(f, a, Ok(&doc), &HeaderViewState::default(), &theme);
                render_header_preview(f, a, HeaderLoad::Loaded(&doc), &theme);
                render_pool_tab(f, a, &snap, &PoolTabState::default(), T0, &theme);
            });
        }
    }
}
