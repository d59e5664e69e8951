//! The values operators look at, derived from a header (pure).

use super::{Card, Hdu, HeaderSummary};

const ARCSEC_PER_DEG: f64 = 3600.0;
/// FITS allows up to 999 axes; images here have 2–4. The cap bounds a hostile NAXIS.
const MAX_AXES: usize = 16;

/// Summarise the primary HDU, or the first HDU that has data if the primary is empty
/// (compressed or multi-extension files keep the image in an extension).
pub fn summarize(hdus: &[Hdu]) -> HeaderSummary {
    let chosen = hdus
        .iter()
        .find(|hdu| axis_count(hdu).unwrap_or(0) > 0)
        .or_else(|| hdus.first());
    chosen.map(summarize_hdu).unwrap_or_default()
}

fn summarize_hdu(hdu: &Hdu) -> HeaderSummary {
    let number = |key: &str| lookup(hdu, key).and_then(parse_number);
    let text = |key: &str| {
        lookup(hdu, key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let axes = axis_count(hdu).unwrap_or(0).min(MAX_AXES);
    let shape = (1..=axes)
        .map_while(|n| number(&format!("NAXIS{n}")).map(|v| v.round() as i64))
        .collect();
    let freq_axis = (1..=axes.max(4)).find(|n| {
        lookup(hdu, &format!("CTYPE{n}"))
            .is_some_and(|ctype| ctype.trim().to_ascii_uppercase().starts_with("FREQ"))
    });
    let freq_hz = freq_axis
        .and_then(|n| number(&format!("CRVAL{n}")))
        .or_else(|| number("RESTFRQ"))
        .or_else(|| number("RESTFREQ"));
    let cell_deg = number("CDELT1").or_else(|| number("CD1_1"));

    HeaderSummary {
        shape,
        bunit: text("BUNIT"),
        bmaj_arcsec: number("BMAJ").map(|deg| deg * ARCSEC_PER_DEG),
        bmin_arcsec: number("BMIN").map(|deg| deg * ARCSEC_PER_DEG),
        bpa_deg: number("BPA"),
        cell_arcsec: cell_deg.map(|deg| deg.abs() * ARCSEC_PER_DEG),
        centre_ra_deg: number("CRVAL1"),
        centre_dec_deg: number("CRVAL2"),
        freq_hz,
        date_obs: text("DATE-OBS"),
        telescope: text("TELESCOP"),
        object: text("OBJECT"),
    }
}

fn axis_count(hdu: &Hdu) -> Option<usize> {
    lookup(hdu, "NAXIS")
        .and_then(parse_number)
        .filter(|n| *n >= 0.0)
        .map(|n| n as usize)
}

/// The value of the first valued card named `key` (keywords are case-insensitive).
pub fn lookup<'a>(hdu: &'a Hdu, key: &str) -> Option<&'a str> {
    hdu.cards
        .iter()
        .filter(|card| !card.is_commentary())
        .find(|card| card.key.eq_ignore_ascii_case(key))
        .and_then(|card: &Card| card.value.as_deref())
}

/// Parse a FITS number leniently: surrounding blanks, Fortran `D` exponents (`1.0D+09`),
/// integers, a trailing point (`180.`). Non-finite results are treated as missing.
pub fn parse_number(text: &str) -> Option<f64> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == 'D' || c == 'd' { 'E' } else { c })
        .collect();
    cleaned.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fits::card::parse_cards;

    fn hdu(index: usize, cards: &[&str]) -> Hdu {
        Hdu {
            index,
            kind: if index == 0 { "PRIMARY" } else { "IMAGE" }.to_string(),
            name: None,
            cards: parse_cards(cards),
        }
    }

    fn wsclean_primary() -> Hdu {
        hdu(
            0,
            &[
                "SIMPLE  =                    T",
                "BITPIX  =                  -32",
                "NAXIS   =                    4",
                "NAXIS1  =                 5040",
                "NAXIS2  =                 5040",
                "NAXIS3  =                    1",
                "NAXIS4  =                    1",
                "BUNIT   = 'JY/BEAM '",
                "BMAJ    =  0.00416666666666667",
                "BMIN    =  0.00305555555555556",
                "BPA     =  -12.5",
                "TELESCOP= 'OVRO    '",
                "OBJECT  = '2025-10-21T14:23:19'",
                "CTYPE1  = 'RA---SIN'",
                "CRVAL1  =  1.8000000000000E+02",
                "CDELT1  = -6.9444444444444E-04",
                "CTYPE2  = 'DEC--SIN'",
                "CRVAL2  =  4.2000000000000E+01",
                "CTYPE3  = 'FREQ    '",
                "CRVAL3  =  1.4050000000000E+09",
                "CTYPE4  = 'STOKES  '",
                "RESTFRQ =  1.5E+09",
                "DATE-OBS= '2025-10-21T14:23:19.000'",
            ],
        )
    }

    #[test]
    fn a_wsclean_image_summary_has_shape_beam_cell_centre_and_frequency_from_the_freq_axis() {
        let s = summarize(&[wsclean_primary()]);
        assert_eq!(s.shape, vec![5040, 5040, 1, 1]);
        assert_eq!(s.bunit.as_deref(), Some("JY/BEAM"));
        assert!((s.bmaj_arcsec.expect("bmaj") - 15.0).abs() < 1e-9);
        assert!((s.bmin_arcsec.expect("bmin") - 11.0).abs() < 1e-9);
        assert_eq!(s.bpa_deg, Some(-12.5));
        assert!((s.cell_arcsec.expect("cell") - 2.5).abs() < 1e-9);
        assert_eq!(s.centre_ra_deg, Some(180.0));
        assert_eq!(s.centre_dec_deg, Some(42.0));
        assert_eq!(s.freq_hz, Some(1.405e9), "the FREQ axis wins over RESTFRQ");
        assert_eq!(s.date_obs.as_deref(), Some("2025-10-21T14:23:19.000"));
        assert_eq!(s.telescope.as_deref(), Some("OVRO"));
        assert_eq!(s.object.as_deref(), Some("2025-10-21T14:23:19"));
    }

    #[test]
    fn without_a_freq_axis_the_frequency_comes_from_restfreq_in_either_spelling() {
        let s = summarize(&[hdu(0, &["NAXIS   = 2", "RESTFREQ= 1.0D+09"])]);
        assert_eq!(s.freq_hz, Some(1.0e9));
        let s = summarize(&[hdu(0, &["NAXIS   = 2", "RESTFRQ =  1405000000"])]);
        assert_eq!(s.freq_hz, Some(1.405e9));
    }

    #[test]
    fn an_empty_primary_defers_to_the_first_extension_with_data() {
        let primary = hdu(0, &["SIMPLE  = T", "NAXIS   = 0", "OBJECT  = 'wrapper'"]);
        let image = hdu(
            1,
            &[
                "XTENSION= 'IMAGE   '",
                "NAXIS   = 2",
                "NAXIS1  = 10",
                "NAXIS2  = 20",
                "OBJECT  = 'field'",
            ],
        );
        let s = summarize(&[primary, image]);
        assert_eq!(s.shape, vec![10, 20]);
        assert_eq!(s.object.as_deref(), Some("field"));
    }

    #[test]
    fn numbers_parse_leniently_and_garbage_is_missing() {
        assert_eq!(parse_number(" 1.0D+09 "), Some(1.0e9));
        assert_eq!(parse_number("180."), Some(180.0));
        assert_eq!(parse_number("42"), Some(42.0));
        assert_eq!(parse_number("-6.9444E-04"), Some(-6.9444e-4));
        assert_eq!(parse_number("T"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn a_header_missing_everything_gives_an_empty_summary() {
        assert_eq!(summarize(&[]), HeaderSummary::default());
        let s = summarize(&[hdu(0, &["SIMPLE  = T", "HISTORY BMAJ = 3"])]);
        assert_eq!(s.bmaj_arcsec, None, "commentary cards are not keywords");
        assert!(s.shape.is_empty());
    }
}
