//! Story tests on the real-shape fixture (`demo::upstream`): what the monitor shows for the
//! records the pipeline's own code writes.

use contimg_monitor::demo::upstream;

#[tokio::test]
async fn the_real_shape_fixture_is_a_wal_database_in_the_pipelines_layout() {
    let dir = tempfile::tempdir().unwrap();
    let fx = upstream::build_fixture(dir.path(), 1_761_056_599.0)
        .await
        .unwrap();
    let header = std::fs::read(&fx.db).unwrap();
    // Bytes 18 and 19 of the header are 2 in WAL mode, as every pipeline opener leaves it.
    assert_eq!((header[18], header[19]), (2, 2));
    assert!(fx.logs_dir.is_dir() && fx.stage_dir.is_dir());
}
