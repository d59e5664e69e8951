//! Real-shape records: images, as the imaging worker records them (`imaging/worker.py`).
//!
//! Each MS imaged by tclean leaves CASA image directories `{stem}.img.image`,
//! `.image.pbcor`, `.residual`, `.psf`, `.pb` in the images directory; each becomes an
//! `images` row with only path, ms_path, type (`pbcor` for `.image.pbcor`, else `5min`) and
//! created_at: `format` keeps its default `fits`, beam, noise and cell stay NULL. Under
//! WSClean (the default imager) the files on disk are `{stem}.img-image.fits` and friends
//! while rows still name the CASA directories. The directories are real casacore images
//! ([`crate::fits::casa::write`]).

use std::path::{Path, PathBuf};

use sqlx::SqlitePool;

use super::UpstreamFixture;
use crate::fits::casa::write::write_casa_image;
use crate::fits::write::{ImageSpec, write_pipeline_image};

/// The MS stems (group ids) the fixture's images belong to, one observation apart.
pub const STEMS: [&str; 3] = [
    "2025-10-21T14:23:19",
    "2025-10-21T14:28:28",
    "2025-10-21T14:33:37",
];

/// CASA products per MS in the order the worker collects them, with the row's type.
const PRODUCTS: [(&str, &str); 5] = [
    (".image", "5min"),
    (".image.pbcor", "pbcor"),
    (".residual", "5min"),
    (".psf", "5min"),
    (".pb", "5min"),
];

/// What is on disk for one MS's images.
#[derive(Debug, Clone, Copy, PartialEq)]
enum OnDisk {
    /// tclean's CASA directories.
    Casa,
    /// WSClean's FITS files; the rows' CASA paths do not exist.
    WscleanOnly,
    /// A CASA image directory without its `table.dat` (a run that died while writing).
    Broken,
}

const LAYOUT: [OnDisk; 3] = [OnDisk::Casa, OnDisk::WscleanOnly, OnDisk::Broken];

pub fn images_dir(fx: &UpstreamFixture) -> PathBuf {
    fx.stage_dir.join("images")
}

pub fn ms_path(fx: &UpstreamFixture, stem: &str) -> PathBuf {
    fx.stage_dir.join("ms").join(format!("{stem}.ms"))
}

/// The CASA path an `images` row names for `stem` and `suffix` (`.image.pbcor`, …).
pub fn casa_path(fx: &UpstreamFixture, stem: &str, suffix: &str) -> PathBuf {
    images_dir(fx).join(format!("{stem}.img{suffix}"))
}

/// The WSClean FITS name of the same product.
pub fn wsclean_path(fx: &UpstreamFixture, stem: &str, suffix: &str) -> PathBuf {
    let product = suffix.trim_start_matches('.').replace('.', "-");
    images_dir(fx).join(format!("{stem}.img-{product}.fits"))
}

fn spec(index: usize, stem: &str) -> ImageSpec {
    let i = index as f64;
    ImageSpec {
        naxis1: 32,
        naxis2: 32,
        object: stem.to_string(),
        date_obs: format!("{stem}.000"),
        // The drift scan moves 309 s of RA per observation.
        ra_deg: 201.365 + i * 309.0 / 240.0,
        dec_deg: 43.03,
        freq_hz: 1.405e9,
        bandwidth_hz: 1.875e8,
        bmaj_deg: (15.0 + i) / 3600.0,
        bmin_deg: (11.0 + i * 0.5) / 3600.0,
        bpa_deg: -12.5 + i * 4.0,
        // Cell = beam / 5, as the pipeline chooses it.
        cell_deg: (15.0 + i) / 5.0 / 3600.0,
        command_line: format!("wsclean -name {stem}.img {stem}.ms"),
        history: vec![],
        seed: 110 + index as u64,
    }
}

fn write_files(fx: &UpstreamFixture) -> anyhow::Result<()> {
    std::fs::create_dir_all(images_dir(fx))?;
    for (index, (stem, on_disk)) in STEMS.iter().zip(LAYOUT).enumerate() {
        let spec = spec(index, stem);
        match on_disk {
            OnDisk::Casa => {
                for (suffix, _) in PRODUCTS {
                    write_casa_image(&casa_path(fx, stem, suffix), &spec)?;
                }
            }
            OnDisk::WscleanOnly => {
                for suffix in [".image", ".image.pbcor", ".residual", ".psf"] {
                    write_pipeline_image(&wsclean_path(fx, stem, suffix), &spec)?;
                }
            }
            OnDisk::Broken => {
                let dir = casa_path(fx, stem, ".image.pbcor");
                write_casa_image(&dir, &spec)?;
                std::fs::remove_file(dir.join("table.dat"))?;
            }
        }
    }
    Ok(())
}

async fn insert_rows(pool: &SqlitePool, fx: &UpstreamFixture) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    for (index, stem) in STEMS.iter().enumerate() {
        let ms = ms_path(fx, stem);
        // Imaging ends about 10 minutes after the observation's stem time.
        let imaged = fx.now - 3600.0 + index as f64 * 309.0;
        for (k, (suffix, kind)) in PRODUCTS.iter().enumerate() {
            let path = casa_path(fx, stem, suffix);
            sqlx::query("INSERT INTO images (path, ms_path, created_at, type) VALUES (?, ?, ?, ?)")
                .bind(path_text(&path))
                .bind(path_text(&ms))
                .bind(imaged + k as f64 * 0.01)
                .bind(*kind)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Write the fixture's image products and their `images` rows.
pub async fn write(pool: &SqlitePool, fx: &UpstreamFixture) -> anyhow::Result<()> {
    let files = fx.clone();
    tokio::task::spawn_blocking(move || write_files(&files)).await??;
    insert_rows(pool, fx).await
}
