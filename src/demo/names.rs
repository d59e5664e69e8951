//! Names the pipeline gives things: group ids, MS and image paths, run ids, NVSS source names,
//! and the timestamp forms its logs use. Pure functions of times and coordinates.

use std::path::{Path, PathBuf};

use crate::text::format::fmt_utc;

/// Where the demo keeps each kind of file under its directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub root: PathBuf,
}

impl Layout {
    pub fn new(root: &Path) -> Self {
        Layout {
            root: root.to_path_buf(),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.root.join("state/db/pipeline.sqlite3")
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("state/logs")
    }

    pub fn ms_dir(&self) -> PathBuf {
        self.root.join("stage/ms")
    }

    pub fn images_dir(&self) -> PathBuf {
        self.root.join("stage/images")
    }

    pub fn caltables_dir(&self) -> PathBuf {
        self.root.join("stage/caltables")
    }

    /// `{root}/stage/ms/2025-10-21T14:23:19.ms`
    pub fn ms_path(&self, group_id: &str) -> String {
        self.ms_dir()
            .join(format!("{group_id}.ms"))
            .to_string_lossy()
            .into_owned()
    }

    /// The primary-beam-corrected image WSClean writes for an MS.
    pub fn pbcor_image_path(&self, group_id: &str) -> String {
        self.images_dir()
            .join(format!("{group_id}.img-image-pbcor.fits"))
            .to_string_lossy()
            .into_owned()
    }

    /// The 5-minute quick-look image: a CASA image directory, as tclean leaves it and as the
    /// pipeline's `images` rows mostly are (the demo keeps its pbcor images WSClean FITS).
    pub fn quicklook_image_path(&self, group_id: &str) -> String {
        self.images_dir()
            .join(format!("{group_id}.img.image"))
            .to_string_lossy()
            .into_owned()
    }

    /// A calibration table made from a calibrator transit.
    pub fn caltable_path(&self, source_group: &str, table_type: &str) -> String {
        self.caltables_dir()
            .join(format!(
                "{source_group}_{}.cal",
                table_type.to_ascii_lowercase()
            ))
            .to_string_lossy()
            .into_owned()
    }
}

/// The group id: the timestamp of subband 0, `2025-10-21T14:23:19`.
pub fn group_id(start_unix: f64) -> String {
    fmt_utc(start_unix).replacen(' ', "T", 1)
}

/// The API's run id for an MS: `job-2025-10-21-142319`.
pub fn run_id(start_unix: f64) -> String {
    let g = group_id(start_unix);
    format!("job-{}-{}", &g[..10], g[11..].replace(':', ""))
}

/// ISO 8601 with milliseconds and `Z`, as the JSON log lines carry it.
pub fn iso_timestamp(unix: f64) -> String {
    let millis = ((unix - unix.floor()) * 1000.0).floor() as u32;
    format!("{}.{millis:03}Z", group_id(unix))
}

/// An NVSS-style name: `NVSS J123456.7+420312` (RA hhmmss.s, Dec ±ddmmss).
pub fn nvss_name(ra_deg: f64, dec_deg: f64) -> String {
    let ra_tenths = ((ra_deg.rem_euclid(360.0) / 15.0) * 36_000.0).floor() as u64 % (24 * 36_000);
    let (h, rem) = (ra_tenths / 36_000, ra_tenths % 36_000);
    let (m, s10) = (rem / 600, rem % 600);
    let sign = if dec_deg < 0.0 { '-' } else { '+' };
    let dec_secs = (dec_deg.abs() * 3600.0).floor() as u64;
    let (d, rem) = (dec_secs / 3600, dec_secs % 3600);
    format!(
        "NVSS J{h:02}{m:02}{:02}.{}{sign}{d:02}{:02}{:02}",
        s10 / 10,
        s10 % 10,
        rem / 60,
        rem % 60
    )
}

/// A field name from the pointing, `J1423+4130`.
pub fn field_name(ra_deg: f64, dec_deg: f64) -> String {
    let ra_min = ((ra_deg.rem_euclid(360.0) / 15.0) * 60.0).floor() as u64 % (24 * 60);
    let sign = if dec_deg < 0.0 { '-' } else { '+' };
    let dec_min = (dec_deg.abs() * 60.0).floor() as u64;
    format!(
        "J{:02}{:02}{sign}{:02}{:02}",
        ra_min / 60,
        ra_min % 60,
        dec_min / 60,
        dec_min % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2025-10-21T14:23:19 UTC
    const T: f64 = 1_761_056_599.0;

    #[test]
    fn an_observation_is_named_after_its_first_subband() {
        assert_eq!(group_id(T), "2025-10-21T14:23:19");
        assert_eq!(run_id(T), "job-2025-10-21-142319");
        assert_eq!(iso_timestamp(T + 0.25), "2025-10-21T14:23:19.250Z");
        let layout = Layout::new(Path::new("/d"));
        assert_eq!(
            layout.ms_path("2025-10-21T14:23:19"),
            "/d/stage/ms/2025-10-21T14:23:19.ms"
        );
        assert_eq!(
            layout.pbcor_image_path("2025-10-21T14:23:19"),
            "/d/stage/images/2025-10-21T14:23:19.img-image-pbcor.fits"
        );
    }

    #[test]
    fn sources_get_nvss_style_names() {
        // 12h34m56.7s, +42°03'12"
        let ra = (12.0 + 34.0 / 60.0 + 56.75 / 3600.0) * 15.0;
        let dec = 42.0 + 3.0 / 60.0 + 12.5 / 3600.0;
        assert_eq!(nvss_name(ra, dec), "NVSS J123456.7+420312");
        assert_eq!(field_name(ra, dec), "J1234+4203");
    }
}
