//! The operator opens image headers: what the FITS module reads from real files on disk.

use std::io::Write;
use std::path::{Path, PathBuf};

use contimg_monitor::fits::write::{COMMAND_LINE_KEY, ImageSpec, write_pipeline_image};
use contimg_monitor::fits::{FitsError, HeaderDoc, read_header};

const LONG_COMMAND: &str = "wsclean -size 5040 5040 -scale 2.5asec -niter 10000 -mgain 0.8 \
    -auto-threshold 3 -auto-mask 5 -weight briggs 0 -pol I \
    -name /stage/dsa110-contimg/images/2025-10-21T14:23:19.img \
    /stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms";

fn pipeline_spec() -> ImageSpec {
    ImageSpec {
        naxis1: 128,
        naxis2: 96,
        object: "2025-10-21T14:23:19".into(),
        date_obs: "2025-10-21T14:23:19.000".into(),
        ra_deg: 201.365,
        dec_deg: 43.03,
        freq_hz: 1.405e9,
        bandwidth_hz: 1.875e8,
        bmaj_deg: 15.0 / 3600.0,
        bmin_deg: 11.0 / 3600.0,
        bpa_deg: -12.5,
        cell_deg: 2.5 / 3600.0,
        command_line: LONG_COMMAND.into(),
        history: vec![
            "calibrated with 2025-10-21T12:00:00 BP/GA tables".into(),
            "imaged by dsa110-contimg imaging stage".into(),
        ],
        seed: 42,
    }
}

fn written_image(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    write_pipeline_image(&path, &pipeline_spec()).expect("write image");
    path
}

fn read(path: &Path) -> HeaderDoc {
    read_header(path).expect("read header")
}

#[test]
fn a_pipeline_image_summary_shows_shape_beam_cell_centre_and_frequency() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = read(&written_image(dir.path(), "img.fits"));
    let s = &doc.summary;
    assert_eq!(s.shape, vec![128, 96, 1, 1]);
    assert_eq!(s.bunit.as_deref(), Some("JY/BEAM"));
    assert!((s.bmaj_arcsec.expect("bmaj") - 15.0).abs() < 1e-6);
    assert!((s.bmin_arcsec.expect("bmin") - 11.0).abs() < 1e-6);
    assert_eq!(s.bpa_deg, Some(-12.5));
    assert!((s.cell_arcsec.expect("cell") - 2.5).abs() < 1e-6);
    assert!((s.centre_ra_deg.expect("ra") - 201.365).abs() < 1e-9);
    assert!((s.centre_dec_deg.expect("dec") - 43.03).abs() < 1e-9);
    assert_eq!(s.freq_hz, Some(1.405e9));
    assert_eq!(s.telescope.as_deref(), Some("OVRO"));
    assert_eq!(s.object.as_deref(), Some("2025-10-21T14:23:19"));
    assert_eq!(s.date_obs.as_deref(), Some("2025-10-21T14:23:19.000"));
    assert_eq!(doc.note, None, "a plain file is read whole");
    assert_eq!(doc.hdus[0].kind, "PRIMARY");
}

#[test]
fn the_imager_command_line_is_one_card_with_the_whole_long_string() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = read(&written_image(dir.path(), "img.fits"));
    let command = doc.hdus[0]
        .cards
        .iter()
        .find(|c| c.key == COMMAND_LINE_KEY)
        .expect("command line card");
    assert!(LONG_COMMAND.len() > 68);
    assert_eq!(command.value.as_deref(), Some(LONG_COMMAND));
    assert!(
        command.raw.lines().count() >= 3,
        "raw keeps the CONTINUE cards"
    );
    assert!(
        !doc.hdus[0].cards.iter().any(|c| c.key == "CONTINUE"),
        "no stray CONTINUE cards"
    );
}

#[test]
fn history_cards_are_present_and_flagged_as_commentary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = read(&written_image(dir.path(), "img.fits"));
    let history: Vec<&str> = doc.hdus[0]
        .cards
        .iter()
        .filter(|c| c.key == "HISTORY")
        .inspect(|c| assert!(c.is_commentary()))
        .filter_map(|c| c.value.as_deref())
        .collect();
    assert_eq!(
        history,
        vec![
            "calibrated with 2025-10-21T12:00:00 BP/GA tables",
            "imaged by dsa110-contimg imaging stage"
        ]
    );
    assert!(
        doc.hdus[0]
            .cards
            .iter()
            .any(|c| c.key == "COMMENT" && c.is_commentary())
    );
}

#[test]
fn an_image_extension_is_listed_as_a_second_hdu_with_its_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = written_image(dir.path(), "img.fits");
    {
        let mut file = fitsio::FitsFile::edit(&path).expect("edit");
        let description = fitsio::images::ImageDescription {
            data_type: fitsio::images::ImageType::Float,
            dimensions: &[8, 8],
        };
        file.create_image("PSF".to_string(), &description)
            .expect("add extension");
    }
    let doc = read(&path);
    assert_eq!(doc.hdus.len(), 2);
    assert_eq!(doc.hdus[1].index, 1);
    assert_eq!(doc.hdus[1].kind, "IMAGE");
    assert_eq!(doc.hdus[1].name.as_deref(), Some("PSF"));
    assert_eq!(
        doc.summary.shape,
        vec![128, 96, 1, 1],
        "summary stays on the primary"
    );
}

#[test]
fn a_missing_file_is_reported_as_not_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("gone.fits");
    assert_eq!(
        read_header(&missing),
        Err(FitsError::NotFound(missing.display().to_string()))
    );
}

#[test]
fn a_file_cut_to_1000_bytes_is_reported_with_a_one_line_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = written_image(dir.path(), "cut.fits");
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..1000]).expect("cut");
    let error = read_header(&path).expect_err("cut file");
    assert!(
        matches!(error, FitsError::Corrupt(_) | FitsError::NotFits(_)),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("cut.fits"), "{message}");
    assert!(!message.contains('\n'), "{message}");
}

#[test]
fn a_text_file_is_not_fits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notes.fits");
    std::fs::write(&path, "imaging finished at 14:30\nall good\n").expect("write");
    match read_header(&path) {
        Err(FitsError::NotFits(why)) => assert!(why.contains("imaging finished"), "{why}"),
        other => panic!("expected NotFits, got {other:?}"),
    }
}

#[test]
fn a_file_named_with_brackets_is_read_literally() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = written_image(dir.path(), "img[1].fits");
    let doc = read(&path);
    assert_eq!(doc.hdus.len(), 1);
    assert!(doc.path.ends_with("img[1].fits"));
    assert_eq!(doc.summary.shape, vec![128, 96, 1, 1]);
}

#[test]
fn a_gzip_image_shows_its_header_like_the_plain_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = written_image(dir.path(), "img.fits");
    let gz = dir.path().join("img.fits.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).expect("create gz"),
        flate2::Compression::fast(),
    );
    encoder
        .write_all(&std::fs::read(&plain).expect("plain"))
        .expect("compress");
    encoder.finish().expect("finish gz");

    let doc = read(&gz);
    assert_eq!(doc.summary, read(&plain).summary);
    assert_eq!(doc.hdus.len(), 1);
    assert_eq!(doc.note, None, "its only HDU was read whole");
    let command = doc.hdus[0].cards.iter().find(|c| c.key == COMMAND_LINE_KEY);
    assert_eq!(command.and_then(|c| c.value.as_deref()), Some(LONG_COMMAND));
}

#[test]
fn a_gzip_file_of_text_is_not_fits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gz = dir.path().join("log.fits.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).expect("create gz"),
        flate2::Compression::fast(),
    );
    encoder.write_all(b"just a log\n").expect("compress");
    encoder.finish().expect("finish gz");
    assert!(matches!(read_header(&gz), Err(FitsError::NotFits(_))));
}

#[tokio::test]
async fn the_worker_serves_a_second_look_from_cache_and_rereads_a_rewritten_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = written_image(dir.path(), "img.fits");
    let worker = contimg_monitor::fits::FitsWorker::spawn(8);

    let first = worker.header(path.clone()).await.expect("first look");
    let second = worker
        .clone()
        .header(path.clone())
        .await
        .expect("second look");
    assert!(
        std::sync::Arc::ptr_eq(&first, &second),
        "second look comes from the cache"
    );
    assert_eq!(worker.disk_reads(), 1);

    let mut bigger = pipeline_spec();
    bigger.naxis1 = 256;
    write_pipeline_image(&path, &bigger).expect("rewrite");
    let third = worker.header(path.clone()).await.expect("after rewrite");
    assert!(!std::sync::Arc::ptr_eq(&first, &third));
    assert_eq!(third.summary.shape, vec![256, 96, 1, 1]);
    assert_eq!(worker.disk_reads(), 2);
}

#[tokio::test]
async fn the_worker_reports_a_missing_file_and_keeps_serving() {
    let dir = tempfile::tempdir().expect("tempdir");
    let worker = contimg_monitor::fits::FitsWorker::spawn(8);
    let missing = worker.header(dir.path().join("gone.fits")).await;
    assert!(matches!(missing, Err(FitsError::NotFound(_))));
    let path = written_image(dir.path(), "img.fits");
    assert!(worker.header(path).await.is_ok());
}

#[test]
fn fits_header_with_a_keyword_prints_only_that_card_of_a_real_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = read(&written_image(dir.path(), "img.fits"));
    let text = contimg_monitor::fits::format_fitsheader(&doc, &["bmaj".to_string()]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("# HDU 0 in ") && lines[0].ends_with("img.fits:"));
    assert!(lines[1].starts_with("BMAJ    ="), "{text}");
}
