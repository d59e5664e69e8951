//! Where an image row's path really is on disk.
//!
//! The pipeline names one image three ways: tclean's CASA directory `{stem}.img.image.pbcor`
//! (what `images` rows hold), exportfits' `{image}.fits` beside it, and WSClean's
//! `{stem}.img-image-pbcor.fits` (WSClean is the default imager, but the imaging stage only
//! records CASA names). When the row's path is missing and one of its other names exists, that
//! one is read, and the document says so.

use std::path::{Path, PathBuf};

use super::FitsError;

/// CASA product suffixes and the WSClean FITS suffix of the same product.
const PRODUCTS: [(&str, &str); 5] = [
    (".img.image.pbcor", ".img-image-pbcor.fits"),
    (".img.image", ".img-image.fits"),
    (".img.residual", ".img-residual.fits"),
    (".img.psf", ".img-psf.fits"),
    (".img.model", ".img-model.fits"),
];

/// What stands at a path once found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// What was asked for.
    pub requested: PathBuf,
    /// What will be read: `requested`, or another name of the same image.
    pub actual: PathBuf,
    pub is_dir: bool,
    /// When `actual` is not `requested`: what it is (`WSClean FITS`, …), for the note.
    pub instead: Option<&'static str>,
}

impl Location {
    /// The note a document read from another name carries.
    pub fn note(&self) -> Option<String> {
        self.instead.map(|what| {
            format!(
                "{} does not exist; read the {what} {} instead",
                self.requested.display(),
                self.actual.display()
            )
        })
    }
}

/// Other names of the image at `path`, most likely first, each with what it is.
pub fn other_names(path: &Path) -> Vec<(PathBuf, &'static str)> {
    let Some(text) = path.to_str() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (casa, wsclean) in PRODUCTS {
        if let Some(stem) = text.strip_suffix(casa) {
            out.push((PathBuf::from(format!("{text}.fits")), "exportfits FITS"));
            out.push((PathBuf::from(format!("{stem}{wsclean}")), "WSClean FITS"));
            return out;
        }
        if let Some(stem) = text.strip_suffix(wsclean) {
            out.push((PathBuf::from(format!("{stem}{casa}")), "CASA image"));
            out.push((
                PathBuf::from(format!("{stem}{casa}.fits")),
                "exportfits FITS",
            ));
            return out;
        }
        if let Some(stem) = text.strip_suffix(&format!("{casa}.fits")) {
            out.push((PathBuf::from(format!("{stem}{casa}")), "CASA image"));
            out.push((PathBuf::from(format!("{stem}{wsclean}")), "WSClean FITS"));
            return out;
        }
    }
    // `.img.pb` has no WSClean counterpart; its exportfits FITS may exist.
    if text.ends_with(".img.pb") {
        out.push((PathBuf::from(format!("{text}.fits")), "exportfits FITS"));
    }
    out
}

/// Find what to read for `path`: itself when it exists, else the first other name that does.
pub fn locate(path: &Path) -> Result<Location, FitsError> {
    let shown = path.display().to_string();
    match std::fs::metadata(path) {
        Ok(metadata) => Ok(Location {
            requested: path.to_path_buf(),
            actual: path.to_path_buf(),
            is_dir: metadata.is_dir(),
            instead: None,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let others = other_names(path);
            for (other, what) in &others {
                if let Ok(metadata) = std::fs::metadata(other) {
                    return Ok(Location {
                        requested: path.to_path_buf(),
                        actual: other.clone(),
                        is_dir: metadata.is_dir(),
                        instead: Some(what),
                    });
                }
            }
            if others.is_empty() {
                Err(FitsError::NotFound(shown))
            } else {
                let names: Vec<String> = others
                    .iter()
                    .map(|(p, _)| p.display().to_string())
                    .collect();
                Err(FitsError::NotFound(format!(
                    "{shown} (nor {})",
                    names.join(" nor ")
                )))
            }
        }
        Err(e) => Err(super::read::io_error(&shown, &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(path: &str) -> Vec<String> {
        other_names(Path::new(path))
            .into_iter()
            .map(|(p, _)| p.display().to_string())
            .collect()
    }

    #[test]
    fn a_casa_name_has_its_exportfits_and_wsclean_names() {
        assert_eq!(
            names("/i/T.img.image.pbcor"),
            ["/i/T.img.image.pbcor.fits", "/i/T.img-image-pbcor.fits"]
        );
        assert_eq!(
            names("/i/T.img.residual"),
            ["/i/T.img.residual.fits", "/i/T.img-residual.fits"]
        );
    }

    #[test]
    fn a_wsclean_name_has_its_casa_names() {
        assert_eq!(
            names("/i/T.img-image.fits"),
            ["/i/T.img.image", "/i/T.img.image.fits"]
        );
        assert_eq!(
            names("/i/T.img-image-pbcor.fits"),
            ["/i/T.img.image.pbcor", "/i/T.img.image.pbcor.fits"]
        );
    }

    #[test]
    fn an_exported_fits_name_has_its_casa_image() {
        assert_eq!(
            names("/i/T.img.psf.fits"),
            ["/i/T.img.psf", "/i/T.img-psf.fits"]
        );
        assert!(names("/i/other.fits").is_empty());
    }

    #[test]
    fn a_missing_image_with_no_other_name_on_disk_says_what_was_looked_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("T.img.image");
        match locate(&missing) {
            Err(FitsError::NotFound(why)) => assert!(why.contains("T.img-image.fits"), "{why}"),
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
}
