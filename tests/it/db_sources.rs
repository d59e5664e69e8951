//! The Sources aggregate on a real database: it grows from new photometry rows only, loads a
//! big table over several polls, and falls back to `sources` without `photometry`.

use crate::db_support;

use contimg_monitor::db::SourceAggregate;
use contimg_monitor::query::{Filter, ListQuery, Sort};
use db_support::Pipeline;

/// The image every fixture row was measured on (a CASA image directory, as production's are).
const IMAGE: &str = "/stage/dsa110-contimg/images/2025-10-21T14:23:19.img.image.pbcor";

fn photometry_sql(first: i64, n: i64, sources: i64) -> String {
    (first..first + n)
        .map(|i| {
            let src = if i % 10 == 0 {
                "NULL".to_string()
            } else {
                format!("'S{:03}'", i % sources)
            };
            format!(
                "INSERT INTO photometry (id, source_id, image_path, mjd, flux_jy, ra_deg, dec_deg) \
                 VALUES ({i}, {src}, '{IMAGE}', {}, {}, 10.0, 42.0);",
                60_000.0 + i as f64,
                i as f64 / 1000.0
            )
        })
        .collect()
}

#[tokio::test]
async fn the_aggregate_grows_from_new_rows_without_rereading_old_ones() {
    let p = Pipeline::new().await;
    p.exec(&photometry_sql(1, 100, 7)).await;
    let db = p.open().await;
    let mut agg = SourceAggregate::new();
    db.refresh_sources(&mut agg).await.unwrap();
    assert_eq!(agg.last_photometry_id(), 100);
    assert_eq!(agg.len(), 7);
    let before: i64 = (0..7)
        .map(|i| agg.row(&format!("S{i:03}")).unwrap().detections)
        .sum();
    assert_eq!(before, 90, "rows without a source are skipped");

    // An old row changes behind our back: an incremental reader does not see it...
    p.exec("UPDATE photometry SET flux_jy = 99.0 WHERE id = 99")
        .await;
    // ...but new rows are folded in.
    p.exec(&photometry_sql(101, 20, 7)).await;
    db.refresh_sources(&mut agg).await.unwrap();
    assert_eq!(agg.last_photometry_id(), 120);
    let after: i64 = (0..7)
        .map(|i| agg.row(&format!("S{i:03}")).unwrap().detections)
        .sum();
    assert_eq!(after, 90 + 18);
    let s1 = agg.row("S001").unwrap(); // ids 1, 8, …, 113: newest is 113
    assert_eq!(s1.latest_mjd, Some(60_113.0));
    assert_ne!(agg.row("S001").unwrap().latest_flux_jy, Some(99.0));
    assert!(agg.progress().is_complete());
}

#[tokio::test]
async fn a_big_table_shows_its_newest_sources_at_once_and_every_count_on_the_next_poll() {
    let p = Pipeline::new().await;
    // 200 rows over S000..S004, then 20 newer rows of S009 alone.
    p.exec(&photometry_sql(1, 200, 5)).await;
    let newest: String = (201..=220)
        .map(|i| {
            format!(
                "INSERT INTO photometry (id, source_id, image_path, mjd, flux_jy, ra_deg, dec_deg) \
                 VALUES ({i}, 'S009', '{IMAGE}', {}, 1.5, 10.0, 42.0);",
                60_000.0 + i as f64
            )
        })
        .collect();
    p.exec(&newest).await;
    let db = p.open().await;
    let mut agg = SourceAggregate::new().with_preview(100, 10);

    db.refresh_sources(&mut agg).await.unwrap();
    assert_eq!(agg.len(), 1, "only the newest 10 rows are read first");
    assert_eq!(agg.row("S009").unwrap().detections, 10, "a partial count");
    assert!(
        !agg.progress().is_complete(),
        "the list says it is still loading"
    );

    db.refresh_sources(&mut agg).await.unwrap();
    assert!(agg.progress().is_complete());
    assert_eq!(agg.len(), 6);
    assert_eq!(agg.row("S009").unwrap().detections, 20);
    assert_eq!(agg.row("S009").unwrap().latest_mjd, Some(60_220.0));
    assert_eq!(agg.row("S001").unwrap().detections, 40);

    // A reader that shows the list once waits for every count.
    let mut once = SourceAggregate::new().with_preview(100, 10);
    db.load_sources(&mut once).await.unwrap();
    assert!(once.progress().is_complete());
    assert_eq!(once.row("S009").unwrap().detections, 20);
}

#[tokio::test]
async fn without_a_source_index_a_big_first_load_proceeds_over_several_polls() {
    let p = Pipeline::new().await;
    p.exec(&photometry_sql(1, 250, 5)).await;
    // With either of the pipeline's indexes led by source_id the first load is one read of
    // the index.
    p.exec("DROP INDEX idx_photometry_source; DROP INDEX idx_photometry_source_mjd")
        .await;
    let db = p.open().await;
    let mut agg = SourceAggregate::with_chunk(100);
    let mut polls = 0;
    let mut fractions = Vec::new();
    while !agg.progress().is_complete() || polls == 0 {
        db.refresh_sources(&mut agg).await.unwrap();
        fractions.push(agg.progress().fraction());
        polls += 1;
        assert!(polls < 10, "the load never finished");
    }
    assert_eq!(polls, 3);
    assert_eq!(fractions, vec![0.4, 0.8, 1.0]);
    let page = agg
        .page(&ListQuery {
            sort: Some(Sort {
                column: "detections".into(),
                descending: true,
            }),
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(page.total, Some(5));
    assert!(
        page.rows
            .windows(2)
            .all(|w| w[0].detections >= w[1].detections)
    );
}

#[tokio::test]
async fn without_photometry_the_sources_table_stands_in() {
    let p = Pipeline::new().await;
    p.exec(
        "DROP TABLE photometry;\
         INSERT INTO sources (id, name, ra_deg, dec_deg, detection_count, last_detected_mjd) VALUES \
           ('NVSS J000001+400000', 'first', 0.1, 40.0, 12, 60100.0),\
           ('NVSS J000002+400000', NULL, 0.2, 40.0, 3, 60200.0);",
    )
    .await;
    let db = p.open().await;
    let mut agg = SourceAggregate::new();
    db.refresh_sources(&mut agg).await.unwrap();
    let page = agg.page(&ListQuery::default()).unwrap();
    assert_eq!(page.rows.len(), 2);
    assert_eq!(
        page.rows[0].id, "NVSS J000002+400000",
        "newest detection first"
    );
    let named = agg
        .page(&ListQuery {
            filter: Filter::parse("name:first"),
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(named.rows[0].detections, 12);

    p.exec("DROP TABLE sources").await;
    db.reload_schema().await.unwrap();
    let err = db.refresh_sources(&mut agg).await.unwrap_err();
    assert!(err.is_missing(), "{err}");
}

/// `source_id`'s chi²: what the list shows from `variability_stats`.
fn chi2(agg: &SourceAggregate, id: &str) -> Option<f64> {
    agg.row(id)?.variability?.chi2_nu
}

fn name(agg: &SourceAggregate, id: &str) -> Option<String> {
    agg.row(id)?.name
}

#[tokio::test]
async fn side_tables_follow_replaces_upserts_and_deletes_without_rereading_everything() {
    let p = Pipeline::new().await;
    p.exec(&photometry_sql(1, 40, 4)).await;
    p.exec(
        "INSERT INTO variability_stats (source_id, ra_deg, dec_deg, chi2_nu, updated_at) VALUES \
           ('S001', 10.0, 42.0, 1.0, 100.0), ('S002', 10.0, 42.0, 2.0, 100.0), \
           ('S003', 10.0, 42.0, 3.0, 100.0);\
         INSERT INTO sources (id, name, ra_deg, dec_deg) VALUES ('S001', 'one', 10.0, 42.0);",
    )
    .await;
    let db = p.open().await;
    let mut agg = SourceAggregate::new();
    db.refresh_sources(&mut agg).await.unwrap();
    assert_eq!(chi2(&agg, "S002"), Some(2.0));
    assert_eq!(name(&agg, "S001").as_deref(), Some("one"));

    // Nothing changed: the revision stays, so the page can be reused.
    let quiet = agg.revision();
    db.refresh_sources(&mut agg).await.unwrap();
    assert_eq!(agg.revision(), quiet);

    // INSERT OR REPLACE moves the row to a new rowid; an upsert keeps the rowid but moves
    // updated_at; a new name comes with a new rowid.
    p.exec(
        "INSERT OR REPLACE INTO variability_stats (source_id, ra_deg, dec_deg, chi2_nu, updated_at) \
           VALUES ('S001', 10.0, 42.0, 10.0, 90.0);\
         UPDATE variability_stats SET chi2_nu = 20.0, updated_at = 200.0 WHERE source_id = 'S002';\
         INSERT INTO sources (id, name, ra_deg, dec_deg) VALUES ('S002', 'two', 10.0, 42.0);",
    )
    .await;
    db.refresh_sources(&mut agg).await.unwrap();
    assert_ne!(agg.revision(), quiet);
    assert_eq!(chi2(&agg, "S001"), Some(10.0));
    assert_eq!(chi2(&agg, "S002"), Some(20.0));
    assert_eq!(name(&agg, "S002").as_deref(), Some("two"));

    // A delete drops the count: the table is read whole and the row goes.
    p.exec("DELETE FROM variability_stats WHERE source_id = 'S003'")
        .await;
    db.refresh_sources(&mut agg).await.unwrap();
    assert_eq!(chi2(&agg, "S003"), None);
    assert_eq!(chi2(&agg, "S002"), Some(20.0));
}

#[tokio::test]
async fn a_change_no_cheap_check_sees_shows_after_a_whole_read() {
    use contimg_monitor::db::side_tables::WHOLE_READ_EVERY;
    let p = Pipeline::new().await;
    p.exec(&photometry_sql(1, 20, 2)).await;
    p.exec("INSERT INTO sources (id, name, ra_deg, dec_deg) VALUES ('S001', 'old', 10.0, 42.0)")
        .await;
    let db = p.open().await;
    let mut agg = SourceAggregate::new();
    db.refresh_sources(&mut agg).await.unwrap();
    // `sources` has no updated_at: an in-place rename keeps the count and the rowid.
    p.exec("UPDATE sources SET name = 'new' WHERE id = 'S001'")
        .await;
    let mut polls = 0;
    while name(&agg, "S001").as_deref() != Some("new") {
        db.refresh_sources(&mut agg).await.unwrap();
        polls += 1;
        assert!(polls <= WHOLE_READ_EVERY, "never seen after {polls} polls");
    }
    assert!(
        polls > 1,
        "seen by a cheap check, so this test shows nothing"
    );
}

#[tokio::test]
async fn a_quiet_side_table_costs_no_rows_and_a_new_one_costs_one() {
    use contimg_monitor::db::side_tables::{SideRead, SideSync, SideTable};
    let p = Pipeline::new().await;
    p.exec(
        "INSERT INTO sources (id, name, ra_deg, dec_deg) VALUES \
             ('A', 'a', 10.0, 42.0), ('B', 'b', 10.0, 42.0), ('C', NULL, 10.0, 42.0)",
    )
    .await;
    let db = p.open().await;
    let spec = SideTable {
        table: "sources",
        columns: "id, name".into(),
        keep: "name IS NOT NULL",
        updated: None,
        limit: 1000,
    };
    let mut sync = SideSync::default();
    let rows = |read: SideRead<Vec<()>>| match read {
        SideRead::Whole(r) => ("whole", r.len()),
        SideRead::Changed(r) => ("changed", r.len()),
    };
    let read = db
        .read_side_table(&spec, &mut sync, |_| Some(()))
        .await
        .unwrap();
    assert_eq!(rows(read), ("whole", 2));
    let read = db
        .read_side_table(&spec, &mut sync, |_| Some(()))
        .await
        .unwrap();
    assert_eq!(rows(read), ("changed", 0));
    p.exec("INSERT INTO sources (id, name, ra_deg, dec_deg) VALUES ('D', 'd', 10.0, 42.0)")
        .await;
    let read = db
        .read_side_table(&spec, &mut sync, |_| Some(()))
        .await
        .unwrap();
    assert_eq!(rows(read), ("changed", 1));
}
