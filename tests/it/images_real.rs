//! Images as the pipeline really writes them: CASA image directories in `images` rows, the
//! WSClean FITS names beside them, multi-HDU `.fits.gz`, and header-derived list values. The
//! CASA images are real casacore tables (`tests/it/data/casa/make.py`, python-casacore).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use contimg_monitor::app::{App, AppConfig, Command, ListData, Msg};
use contimg_monitor::fits::casa::CASA_IMAGE_KIND;
use contimg_monitor::fits::write::{ImageSpec, write_pipeline_image};
use contimg_monitor::fits::{FitsError, FitsWorker, HeaderDoc, read_header};
use contimg_monitor::snapshot::{ImageRow, Page, Tab};
use contimg_monitor::ui;
use contimg_monitor::ui::detail::fits::summary_facts;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const PBCOR: &str = "2025-10-21T14:23:19.img.image.pbcor";
const COARSE: &str = "2025-10-22T02:10:44.img.image";
const CALTABLE: &str = "2025-10-21T14:23:19.bcal";

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/data/casa")
}

/// Copy a committed fixture directory (recursively) to `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn fixture(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    copy_tree(&fixture_dir().join(name), &to);
    to
}

fn spec() -> ImageSpec {
    ImageSpec {
        naxis1: 16,
        naxis2: 16,
        object: "2025-10-21T14:23:19".into(),
        date_obs: "2025-10-21T14:23:19.000".into(),
        ra_deg: 120.0,
        dec_deg: 30.0,
        freq_hz: 1.405e9,
        bandwidth_hz: 1.875e8,
        bmaj_deg: 15.0 / 3600.0,
        bmin_deg: 11.0 / 3600.0,
        bpa_deg: 5.0,
        cell_deg: 3.0 / 3600.0,
        command_line: "wsclean -name T.img".into(),
        history: vec![],
        seed: 3,
    }
}

fn fact(doc: &HeaderDoc, label: &str) -> String {
    summary_facts(&doc.summary)
        .into_iter()
        .find(|(l, _)| *l == label)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

#[test]
fn a_casa_images_summary_shows_its_beam_cell_centre_and_frequency() {
    let dir = tempfile::tempdir().expect("tempdir");
    let image = fixture(dir.path(), PBCOR);
    let doc = read_header(&image).expect("a CASA image reads");
    let s = &doc.summary;
    assert_eq!(s.shape, vec![8, 8, 1, 1], "ra, dec, stokes, freq");
    assert_eq!(s.bunit.as_deref(), Some("Jy/beam"));
    assert!((s.bmaj_arcsec.expect("bmaj") - 15.0).abs() < 1e-9);
    assert!((s.bmin_arcsec.expect("bmin") - 11.0).abs() < 1e-9);
    assert_eq!(s.bpa_deg, Some(-12.5));
    assert!((s.cell_arcsec.expect("cell") - 2.5).abs() < 1e-9);
    assert!((s.centre_ra_deg.expect("ra") - 201.365).abs() < 1e-9);
    assert!((s.centre_dec_deg.expect("dec") - 43.03).abs() < 1e-9);
    assert!((s.freq_hz.expect("freq") - 1.405e9).abs() < 1e-3);
    assert_eq!(s.telescope.as_deref(), Some("OVRO_MMA"));
    assert_eq!(s.object.as_deref(), Some("2025-10-21T14:23:19"));
    assert_eq!(s.date_obs.as_deref(), Some("2025-10-21T14:23:19"));
    // The same strip the FITS view shows.
    assert_eq!(fact(&doc, "beam"), "15.0″ x 11.0″ @ -12.5°");
    assert_eq!(fact(&doc, "cell"), "2.50″");
    assert_eq!(fact(&doc, "centre"), "13:25:27.60 +43:01:48.0");
    assert_eq!(fact(&doc, "freq"), "1.405 GHz");
    assert_eq!(fact(&doc, "shape"), "8x8x1x1");
    // One pseudo-HDU of keyword cards, searchable like FITS cards.
    assert_eq!(doc.hdus.len(), 1);
    assert_eq!(doc.hdus[0].kind, CASA_IMAGE_KIND);
    let keys: Vec<&str> = doc.hdus[0].cards.iter().map(|c| c.key.as_str()).collect();
    for key in [
        "units",
        "coords.direction0.crval",
        "coords.direction0.projection",
        "imageinfo.restoringbeam.major.value",
        "coords.spectral2.wcs.crval",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    assert!(doc.file_bytes > 0);
}

#[tokio::test]
async fn a_casa_image_is_read_on_the_worker_and_cached_until_its_table_dat_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let image = fixture(dir.path(), COARSE);
    let worker = FitsWorker::spawn(8);
    let first = worker.header(image.clone()).await.expect("read");
    assert!((first.summary.cell_arcsec.expect("cell") - 12.0).abs() < 1e-9);
    worker.header(image.clone()).await.expect("cached");
    assert_eq!(worker.disk_reads(), 1);
    // casacore rewrites table.dat when keywords change: the next look reads it again.
    let dat = image.join("table.dat");
    let bytes = std::fs::read(&dat).expect("table.dat");
    std::fs::write(&dat, &bytes).expect("rewrite");
    std::fs::File::options()
        .write(true)
        .open(&dat)
        .and_then(|f| {
            f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(3))
        })
        .expect("touch");
    worker.header(image).await.expect("reread");
    assert_eq!(worker.disk_reads(), 2);
}

#[test]
fn a_directory_that_is_not_an_image_says_what_to_run() {
    let dir = tempfile::tempdir().expect("tempdir");

    // A casacore table of another type: a bandpass calibration table.
    let caltable = fixture(dir.path(), CALTABLE);
    match read_header(&caltable) {
        Err(FitsError::NotAnImage { path, what, hint }) => {
            assert_eq!(path, caltable.display().to_string());
            assert!(what.contains("type `Calibration` (B Jones)"), "{what}");
            assert!(hint.contains(&format!("t.table('{path}'")), "{hint}");
        }
        other => panic!("expected NotAnImage, got {other:?}"),
    }

    // A CASA image whose keywords are damaged: what it is, and the exportfits line.
    let broken = fixture(dir.path(), PBCOR);
    let dat = broken.join("table.dat");
    let bytes = std::fs::read(&dat).expect("table.dat");
    std::fs::write(&dat, &bytes[..bytes.len() / 3]).expect("cut");
    let error = read_header(&broken).expect_err("damaged keywords");
    let FitsError::NotAnImage { what, hint, .. } = &error else {
        panic!("expected NotAnImage, got {error:?}");
    };
    assert!(
        what.contains("CASA image whose keywords cannot be read"),
        "{what}"
    );
    let shown = broken.display().to_string();
    assert!(
        hint.contains(&format!(
            "exportfits(imagename='{shown}', fitsimage='{shown}.fits'"
        )),
        "{hint}"
    );
    // The pane's one-line reason carries all three.
    let line = error.to_string();
    assert!(
        line.starts_with(&shown) && line.contains("casatasks"),
        "{line}"
    );

    // A plain directory.
    let plain = dir.path().join("scratch");
    std::fs::create_dir(&plain).expect("mkdir");
    match read_header(&plain) {
        Err(FitsError::NotAnImage { what, .. }) => assert!(what.contains("a directory"), "{what}"),
        other => panic!("expected NotAnImage, got {other:?}"),
    }
}

#[test]
fn a_wsclean_name_is_found_beside_a_missing_casa_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    // WSClean wrote FITS; the row names tclean's CASA directory, which is not there.
    let wsclean = dir.path().join("2025-10-21T14:23:19.img-image-pbcor.fits");
    write_pipeline_image(&wsclean, &spec()).expect("write");
    let row_path = dir.path().join(PBCOR);
    let doc = read_header(&row_path).expect("the WSClean FITS is read");
    assert_eq!(doc.path, wsclean.display().to_string());
    assert!((doc.summary.cell_arcsec.expect("cell") - 3.0).abs() < 1e-9);
    let note = doc.note.as_deref().unwrap_or_default();
    assert!(
        note.contains(&format!("{} does not exist", row_path.display()))
            && note.contains("WSClean FITS"),
        "{note}"
    );

    // And the other way round: a WSClean name whose CASA image is what exists.
    let casa = fixture(dir.path(), COARSE);
    let asked = dir.path().join("2025-10-22T02:10:44.img-image.fits");
    let doc = read_header(&asked).expect("the CASA image is read");
    assert_eq!(doc.path, casa.display().to_string());
    assert_eq!(doc.hdus[0].kind, CASA_IMAGE_KIND);
    assert!(
        doc.note
            .as_deref()
            .is_some_and(|n| n.contains("CASA image"))
    );

    // Neither: the reason names what was looked for.
    match read_header(&dir.path().join("nothing.img.residual")) {
        Err(FitsError::NotFound(why)) => {
            assert!(why.contains("nothing.img-residual.fits"), "{why}")
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

fn gzip(plain: &Path) -> PathBuf {
    let gz = PathBuf::from(format!("{}.gz", plain.display()));
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).expect("create gz"),
        flate2::Compression::fast(),
    );
    encoder
        .write_all(&std::fs::read(plain).expect("plain"))
        .expect("compress");
    encoder.finish().expect("finish gz");
    gz
}

fn add_image_hdu(path: &Path, name: &str, dims: &[usize]) {
    let mut file = fitsio::FitsFile::edit(path).expect("edit");
    let description = fitsio::images::ImageDescription {
        data_type: fitsio::images::ImageType::Float,
        dimensions: dims,
    };
    let hdu = file
        .create_image(name.to_string(), &description)
        .expect("add extension");
    let n: usize = dims.iter().product();
    hdu.write_image(&mut file, &vec![1.5f32; n])
        .expect("write pixels");
}

fn add_table_hdu(path: &Path, name: &str) {
    use fitsio::tables::{ColumnDataType, ColumnDescription};
    let mut file = fitsio::FitsFile::edit(path).expect("edit");
    let columns = [
        ColumnDescription::new("FLUX")
            .with_type(ColumnDataType::Double)
            .create()
            .expect("column"),
        ColumnDescription::new("NAME")
            .with_type(ColumnDataType::String)
            .that_repeats(12)
            .create()
            .expect("column"),
    ];
    let hdu = file
        .create_table(name.to_string(), &columns)
        .expect("table");
    hdu.write_col(&mut file, "FLUX", &[0.1f64, 0.2, 0.3])
        .expect("write col");
}

/// What identifies each HDU's header: kind, name and every raw card.
fn listing(doc: &HeaderDoc) -> Vec<(usize, String, Option<String>, Vec<String>)> {
    doc.hdus
        .iter()
        .map(|h| {
            (
                h.index,
                h.kind.clone(),
                h.name.clone(),
                h.cards.iter().map(|c| c.raw.clone()).collect(),
            )
        })
        .collect()
}

#[test]
fn every_hdu_of_a_fits_gz_is_listed() {
    let dir = tempfile::tempdir().expect("tempdir");

    let two = dir.path().join("two.fits");
    write_pipeline_image(&two, &spec()).expect("write");
    add_image_hdu(&two, "PSF", &[7, 5]);
    let plain = read_header(&two).expect("plain");
    let doc = read_header(&gzip(&two)).expect("gz");
    assert_eq!(doc.hdus.len(), 2);
    assert_eq!(
        listing(&doc),
        listing(&plain),
        "the same headers as CFITSIO reads"
    );
    assert_eq!(doc.hdus[1].name.as_deref(), Some("PSF"));
    assert_eq!(doc.note, None, "every HDU was read");
    assert_eq!(doc.summary, plain.summary);

    let three = dir.path().join("three.fits");
    write_pipeline_image(&three, &spec()).expect("write");
    add_image_hdu(&three, "RESIDUAL", &[9, 3]);
    add_table_hdu(&three, "SOURCES");
    let plain = read_header(&three).expect("plain");
    let doc = read_header(&gzip(&three)).expect("gz");
    assert_eq!(doc.hdus.len(), 3);
    assert_eq!(listing(&doc), listing(&plain));
    assert_eq!(doc.hdus[2].kind, "BINTABLE");
    assert_eq!(doc.hdus[2].name.as_deref(), Some("SOURCES"));
    assert_eq!(doc.note, None);

    // Bytes after the last HDU that are no header: the HDUs are listed, the rest is noted.
    let mut bytes = std::fs::read(&three).expect("plain bytes");
    bytes.extend_from_slice(&[0u8; 2880]);
    let padded = dir.path().join("padded.fits");
    std::fs::write(&padded, &bytes).expect("write");
    let doc = read_header(&gzip(&padded)).expect("gz");
    assert_eq!(doc.hdus.len(), 3);
    assert!(
        doc.note
            .as_deref()
            .is_some_and(|n| n.contains("after HDU 2")),
        "{:?}",
        doc.note
    );
}

fn coarse_row() -> ImageRow {
    ImageRow {
        id: 41,
        path: format!("/stage/dsa110-contimg/images/{COARSE}"),
        ms_path: Some("/stage/dsa110-contimg/ms/2025-10-22T02:10:44.ms".into()),
        created_at: Some(1_761_099_044.0),
        kind: Some("5min".into()),
        ..Default::default()
    }
}

fn app_with_header(row: ImageRow, doc: HeaderDoc, width: u16, height: u16) -> App {
    let (mut app, commands) = App::new(AppConfig::default(), 1_761_099_100.0);
    for command in commands {
        if let Command::Query {
            tab: Tab::Images,
            generation,
            ..
        } = command
        {
            app.update(Msg::List {
                generation,
                append: false,
                data: ListData::Images(Page {
                    rows: vec![row.clone()],
                    ..Page::default()
                }),
            });
        }
    }
    app.update(Msg::FitsHeader {
        path: row.path.clone(),
        result: Ok(Arc::new(doc)),
    });
    app.update(Msg::Resize(width, height));
    app
}

fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|f| ui::draw(f, app)).expect("draw");
    let buf = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..height {
        for x in 0..width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn a_12_arcsec_cell_keeps_its_header_mark() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = read_header(&fixture(dir.path(), COARSE)).expect("coarse image");
    for width in [80u16, 120] {
        let app = app_with_header(coarse_row(), doc.clone(), width, 24);
        let text = screen(&app, width, 24);
        let row = text
            .lines()
            .find(|l| l.contains("2025-10-22T02:10:44.img"))
            .unwrap_or_else(|| panic!("no image row at {width} columns:\n{text}"));
        assert!(row.contains("12.0ʰ"), "at {width} columns: {row}");
        if width >= 120 {
            assert!(row.contains("60.0×45.0ʰ"), "at {width} columns: {row}");
        }
    }
}

#[tokio::test]
async fn the_real_shape_fixtures_images_rows_name_casa_directories_and_each_reads_as_the_pipeline_left_it()
 {
    use contimg_monitor::demo::upstream::{self, images};
    use sqlx::Row;
    let dir = tempfile::tempdir().expect("tempdir");
    let fx = upstream::build_fixture(dir.path(), 1_761_056_599.0)
        .await
        .expect("fixture");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", fx.db.display()))
        .await
        .expect("open");
    let rows = sqlx::query(
        "SELECT path, type, format, beam_major_arcsec, noise_jy, cellsize_arcsec FROM images ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .expect("rows");
    pool.close().await;
    assert_eq!(rows.len(), 15, "five CASA products for each of three MS");
    for row in &rows {
        assert_eq!(row.get::<String, _>("format"), "fits");
        assert_eq!(row.get::<Option<f64>, _>("beam_major_arcsec"), None);
        assert_eq!(row.get::<Option<f64>, _>("noise_jy"), None);
        assert_eq!(row.get::<Option<f64>, _>("cellsize_arcsec"), None);
        let path: String = row.get("path");
        assert!(path.contains(".img."), "{path}");
    }
    // tclean's directories read as images.
    let pbcor = images::casa_path(&fx, images::STEMS[0], ".image.pbcor");
    let doc = read_header(&pbcor).expect("CASA pbcor");
    assert_eq!(doc.hdus[0].kind, CASA_IMAGE_KIND);
    assert!((doc.summary.bmaj_arcsec.expect("beam") - 15.0).abs() < 1e-9);
    assert!((doc.summary.cell_arcsec.expect("cell") - 3.0).abs() < 1e-9);
    // Under WSClean the row's CASA path is missing and the FITS beside it is read.
    let row_path = images::casa_path(&fx, images::STEMS[1], ".image");
    let doc = read_header(&row_path).expect("WSClean beside");
    assert_eq!(
        doc.path,
        images::wsclean_path(&fx, images::STEMS[1], ".image")
            .display()
            .to_string()
    );
    // A directory casacore never finished: what it is and the exportfits line.
    let broken = images::casa_path(&fx, images::STEMS[2], ".image.pbcor");
    match read_header(&broken) {
        Err(FitsError::NotAnImage { what, hint, .. }) => {
            assert!(what.contains("table.dat cannot be read"), "{what}");
            assert!(hint.contains("exportfits(imagename="), "{hint}");
        }
        other => panic!("expected NotAnImage, got {other:?}"),
    }
}
