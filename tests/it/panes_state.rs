//! The panes' view states, driven the way the keymap drives them.

use crate::panes_fixtures;

use contimg_monitor::ui::detail::HeaderViewState;
use panes_fixtures::*;

#[test]
fn searching_a_header_finds_every_matching_card_and_cycles_through_them() {
    let doc = header_doc();
    let mut st = HeaderViewState::default();
    st.set_search("naxis");
    let lines = st.visible_lines(&doc);
    let keys: Vec<&str> = st
        .matches(&doc)
        .iter()
        .map(|i| lines[*i].key.as_str())
        .collect();
    assert_eq!(keys, ["NAXIS", "NAXIS1", "NAXIS2", "NAXIS3", "NAXIS4"]);

    let current = |st: &HeaderViewState| st.current_match(&doc).map(|i| lines[i].key.clone());
    assert_eq!(current(&st).as_deref(), Some("NAXIS"));
    st.next_match(&doc);
    assert_eq!(current(&st).as_deref(), Some("NAXIS1"));
    st.prev_match(&doc);
    st.prev_match(&doc);
    assert_eq!(current(&st).as_deref(), Some("NAXIS4"), "wraps backwards");
    st.next_match(&doc);
    assert_eq!(current(&st).as_deref(), Some("NAXIS"), "wraps forwards");
}

#[test]
fn a_search_that_matches_nothing_has_no_current_match() {
    let doc = header_doc();
    let mut st = HeaderViewState::default();
    st.set_search("no-such-keyword");
    st.next_match(&doc);
    assert!(st.matches(&doc).is_empty());
    assert_eq!(st.current_match(&doc), None);
}

#[test]
fn search_ignores_case_and_looks_in_values_too() {
    let doc = header_doc();
    let mut st = HeaderViewState::default();
    st.set_search("Jy/Beam");
    let lines = st.visible_lines(&doc);
    let hit = st.current_match(&doc).map(|i| lines[i].key.clone());
    assert_eq!(hit.as_deref(), Some("BUNIT"));
}

#[test]
fn the_commentary_toggle_hides_history_and_comment_cards() {
    let doc = header_doc();
    let mut st = HeaderViewState::default();
    let with = st.visible_lines(&doc);
    assert!(with.iter().any(|l| l.key == "HISTORY"));
    st.toggle_commentary();
    let without = st.visible_lines(&doc);
    assert!(
        without
            .iter()
            .all(|l| l.key != "HISTORY" && l.key != "COMMENT")
    );
    assert_eq!(with.len() - without.len(), 3);
}

#[test]
fn the_raw_view_shows_continue_cards_the_parsed_view_joins_them() {
    let doc = header_doc();
    let mut st = HeaderViewState::default();
    let parsed = st.visible_lines(&doc);
    st.toggle_raw();
    let raw = st.visible_lines(&doc);
    assert_eq!(raw.len(), doc.hdus[0].cards.len());
    assert_eq!(raw.len() - parsed.len(), 2, "two CONTINUE cards");
    assert!(raw[0].text.starts_with("SIMPLE  =                    T"));
    let cmd = parsed
        .iter()
        .find(|l| l.key == "WSCCMD")
        .map(|l| l.value.clone());
    assert!(cmd.is_some_and(|v| v.ends_with("14:23:19.img")));
}

#[test]
fn hdu_tabs_cycle_and_reset_to_the_top() {
    let doc = two_hdu_doc();
    let mut st = HeaderViewState::default();
    st.next_hdu(&doc);
    assert_eq!(st.hdu(), 1);
    assert_eq!(st.visible_lines(&doc)[0].key, "XTENSION");
    st.next_hdu(&doc);
    assert_eq!(st.hdu(), 0);
    st.prev_hdu(&doc);
    assert_eq!(st.hdu(), 1);
}

#[test]
fn enter_on_an_ms_opens_the_selected_image_or_job_but_not_a_caltable() {
    use contimg_monitor::app::msg::DetailKey;
    use contimg_monitor::ui::detail::{MsPaneState, MsSection};
    let d = ms_detail();
    let mut st = MsPaneState::default();
    assert_eq!(st.section(), MsSection::Images);
    st.select_next(&d);
    assert_eq!(
        st.selected_target(&d),
        Some(DetailKey::Image {
            id: 902,
            path: d.images[1].path.clone()
        })
    );
    st.next_section();
    st.select_next(&d);
    st.select_next(&d);
    assert_eq!(
        st.selected_target(&d),
        Some(DetailKey::Job(d.jobs[1].key.clone())),
        "selection stops at the last job"
    );
    st.next_section();
    assert_eq!(st.section(), MsSection::Calibration);
    assert_eq!(st.selected_target(&d), None);
    st.next_section();
    assert_eq!(
        st.selected(&d),
        Some(1),
        "each list keeps its own selection"
    );
}

#[test]
fn an_ms_without_images_has_nothing_to_open() {
    use contimg_monitor::ui::detail::MsPaneState;
    let mut d = ms_detail();
    d.images.clear();
    let mut st = MsPaneState::default();
    st.select_next(&d);
    assert_eq!(st.selected_target(&d), None);
}

#[test]
fn a_light_curve_point_leads_to_the_image_it_was_measured_on() {
    use contimg_monitor::ui::detail::SourcePaneState;
    let d = source_detail();
    let mut st = SourcePaneState::default();
    assert_eq!(st.selected_image(&d), d.points[0].image_path.as_deref());
    st.select_next(&d);
    st.select_next(&d);
    assert_eq!(st.selected_image(&d), d.points[2].image_path.as_deref());
    st.select_last(&d);
    st.select_next(&d);
    assert_eq!(st.selected_point(&d), Some(11));
    st.select_first();
    st.select_prev(&d);
    assert_eq!(st.selected_point(&d), Some(0));
}

#[test]
fn a_source_with_no_points_selects_nothing() {
    use contimg_monitor::ui::detail::SourcePaneState;
    let d = contimg_monitor::snapshot::SourceDetail::default();
    let mut st = SourcePaneState::default();
    st.select_next(&d);
    assert_eq!(st.selected_image(&d), None);
}

#[test]
fn opening_another_file_keeps_the_toggles_and_search_but_starts_at_the_primary_hdu() {
    let doc = two_hdu_doc();
    let mut st = HeaderViewState::default();
    st.toggle_raw();
    st.toggle_commentary();
    st.set_search("naxis");
    st.next_hdu(&doc);
    st.new_file();
    assert_eq!(st.hdu(), 0);
    assert!(st.raw() && !st.show_commentary());
    assert_eq!(st.search(), "naxis");
    assert_eq!(
        st.current_match(&doc),
        Some(2),
        "first NAXIS card of the primary HDU"
    );
}
