//! The only place that calls CFITSIO directly (`fitsio::sys`).
//!
//! The safe `fitsio` API cannot list every card, cuts CONTINUE strings and applies CFITSIO's
//! extended file-name syntax (so `img[1].fits` would mean "HDU 1 of img"). These wrappers use
//! the disk-file entry points (`ffdkopn`, `ffdkinit`) and the raw record calls instead, and keep
//! every `unsafe` block in this file. A `FitsHandle` always closes its file when dropped.

use std::ffi::{CString, c_char, c_int, c_long};
use std::path::Path;
use std::ptr::{self, NonNull};

use fitsio::sys;

/// CFITSIO's `FLEN_CARD` (80 columns plus NUL) and `FLEN_ERRMSG`, with room to spare.
const CARD_BUFFER: usize = 96;
const MESSAGE_BUFFER: usize = 96;

/// HDU types as `ffghdt` / `ffmahd` report them.
const IMAGE_HDU: c_int = 0;
const ASCII_TBL: c_int = 1;
const BINARY_TBL: c_int = 2;

/// Data types for `ffcrim`.
const FLOAT_IMG: c_int = -32;

/// CFITSIO status codes (fitsio2.h / fitsio.h) that classify a failed read.
const END_OF_FILE: i32 = 107;
const READ_ERROR: i32 = 108;
const NO_SIMPLE: i32 = 221;
/// 201..=264 are header/keyword parse errors: the file claims to be FITS but is damaged.
const HEADER_ERRORS: std::ops::RangeInclusive<i32> = 201..=264;

/// What a CFITSIO status says about the file itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusClass {
    NotFits,
    Corrupt,
    Other,
}

pub(crate) fn classify_status(code: i32) -> StatusClass {
    match code {
        NO_SIMPLE => StatusClass::NotFits,
        END_OF_FILE | READ_ERROR => StatusClass::Corrupt,
        code if HEADER_ERRORS.contains(&code) => StatusClass::Corrupt,
        _ => StatusClass::Other,
    }
}

/// A failed CFITSIO call: its status code and a one-line explanation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CfitsioError {
    pub code: i32,
    pub message: String,
}

impl From<CfitsioError> for super::FitsError {
    fn from(error: CfitsioError) -> Self {
        super::FitsError::Cfitsio {
            code: error.code,
            message: error.message,
        }
    }
}

/// The short text for `status` plus the most specific message on CFITSIO's error stack,
/// joined on one line; the stack is cleared so later calls start clean.
fn describe_status(status: c_int) -> CfitsioError {
    let mut short: [c_char; MESSAGE_BUFFER] = [0; MESSAGE_BUFFER];
    // SAFETY: ffgerr writes at most FLEN_STATUS (31) bytes including the NUL.
    unsafe { sys::ffgerr(status, short.as_mut_ptr()) };
    let mut message = c_buffer_to_string(&short);

    let mut detail = Vec::new();
    loop {
        let mut line: [c_char; CARD_BUFFER] = [0; CARD_BUFFER];
        // SAFETY: ffgmsg writes at most FLEN_ERRMSG (81) bytes including the NUL.
        let more = unsafe { sys::ffgmsg(line.as_mut_ptr()) };
        if more == 0 {
            break;
        }
        let text = c_buffer_to_string(&line);
        if !text.is_empty() {
            detail.push(text);
        }
    }
    // SAFETY: clearing the global message stack has no preconditions.
    unsafe { sys::ffcmsg() };
    // The first stacked message is usually the most concrete ("... is not a FITS file").
    // The stack alternates explanations with the file name they refer to; the caller already
    // shows the name, so keep the explanations only.
    let explanations: Vec<String> = detail
        .iter()
        .filter(|line| line.contains(' ') && !line.starts_with('/'))
        .map(|line| line.trim().trim_end_matches(':').trim_end().to_string())
        .filter(|line| !line.eq_ignore_ascii_case(&message))
        .take(3)
        .collect();
    if !explanations.is_empty() {
        message = format!("{message}: {}", explanations.join("; "));
    }
    CfitsioError {
        code: status,
        message: one_line(&message),
    }
}

fn check(status: c_int) -> Result<(), CfitsioError> {
    if status == 0 {
        Ok(())
    } else {
        Err(describe_status(status))
    }
}

fn c_buffer_to_string(buffer: &[c_char]) -> String {
    let bytes: Vec<u8> = buffer
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn c_string(text: &str) -> Result<CString, CfitsioError> {
    CString::new(text).map_err(|_| CfitsioError {
        code: 0,
        message: format!("text contains a NUL byte: {}", text.escape_debug()),
    })
}

fn c_path(path: &Path) -> Result<CString, CfitsioError> {
    let text = path.to_str().ok_or_else(|| CfitsioError {
        code: 0,
        message: format!("path is not valid UTF-8: {}", path.display()),
    })?;
    c_string(text)
}

/// An open CFITSIO file; closed on drop.
pub(crate) struct FitsHandle {
    fptr: NonNull<sys::fitsfile>,
}

impl FitsHandle {
    /// Open an existing file read-only, taking the name literally (no extended syntax).
    /// CFITSIO still recognises compressed files (`.gz`) by their magic bytes.
    pub fn open_readonly(path: &Path) -> Result<Self, CfitsioError> {
        let name = c_path(path)?;
        let mut fptr: *mut sys::fitsfile = ptr::null_mut();
        let mut status: c_int = 0;
        // SAFETY: name is a valid C string; fptr receives a handle only on success.
        unsafe { sys::ffdkopn(&mut fptr, name.as_ptr(), 0, &mut status) };
        Self::from_result(fptr, status)
    }

    /// Create a new file (it must not exist), taking the name literally.
    pub fn create(path: &Path) -> Result<Self, CfitsioError> {
        let name = c_path(path)?;
        let mut fptr: *mut sys::fitsfile = ptr::null_mut();
        let mut status: c_int = 0;
        // SAFETY: name is a valid C string; fptr receives a handle only on success.
        unsafe { sys::ffdkinit(&mut fptr, name.as_ptr(), &mut status) };
        Self::from_result(fptr, status)
    }

    /// Create a file in memory (CFITSIO's `mem://` driver): nothing touches the disk. Lets
    /// CFITSIO lay out a header without an image's worth of pixels being written anywhere.
    pub fn create_in_memory() -> Result<Self, CfitsioError> {
        let name = c_string("mem://")?;
        let mut fptr: *mut sys::fitsfile = ptr::null_mut();
        let mut status: c_int = 0;
        // SAFETY: name is a valid C string; fptr receives a handle only on success.
        unsafe { sys::ffinit(&mut fptr, name.as_ptr(), &mut status) };
        Self::from_result(fptr, status)
    }

    fn from_result(fptr: *mut sys::fitsfile, status: c_int) -> Result<Self, CfitsioError> {
        if status != 0 {
            if let Some(open) = NonNull::new(fptr) {
                let mut ignored: c_int = 0;
                // SAFETY: CFITSIO returned a handle despite the error; close it once.
                unsafe { sys::ffclos(open.as_ptr(), &mut ignored) };
            }
            return Err(describe_status(status));
        }
        NonNull::new(fptr)
            .map(|fptr| FitsHandle { fptr })
            .ok_or_else(|| CfitsioError {
                code: 0,
                message: "CFITSIO returned no file handle".to_string(),
            })
    }

    fn raw(&mut self) -> *mut sys::fitsfile {
        self.fptr.as_ptr()
    }

    /// Append a float32 image HDU with axes `naxes` (FITS order: NAXIS1 first).
    pub fn create_f32_image(&mut self, naxes: &[i64]) -> Result<(), CfitsioError> {
        let mut axes: Vec<c_long> = naxes.iter().map(|&n| n as c_long).collect();
        let mut status: c_int = 0;
        // SAFETY: axes holds naxis values and outlives the call.
        unsafe {
            sys::ffcrim(
                self.raw(),
                FLOAT_IMG,
                axes.len() as c_int,
                axes.as_mut_ptr(),
                &mut status,
            )
        };
        check(status)
    }

    pub fn write_string_key(
        &mut self,
        key: &str,
        value: &str,
        comment: &str,
    ) -> Result<(), CfitsioError> {
        let (key, value, comment) = (c_string(key)?, c_string(value)?, c_string(comment)?);
        let mut status: c_int = 0;
        // SAFETY: all pointers are valid C strings that outlive the call.
        unsafe {
            sys::ffpkys(
                self.raw(),
                key.as_ptr(),
                value.as_ptr(),
                comment.as_ptr(),
                &mut status,
            )
        };
        check(status)
    }

    /// Write a double in exponential notation with full precision, as WSClean does.
    pub fn write_float_key(
        &mut self,
        key: &str,
        value: f64,
        comment: &str,
    ) -> Result<(), CfitsioError> {
        let (key, comment) = (c_string(key)?, c_string(comment)?);
        let mut status: c_int = 0;
        // SAFETY: key and comment are valid C strings that outlive the call.
        unsafe {
            sys::ffpkyd(
                self.raw(),
                key.as_ptr(),
                value,
                -15,
                comment.as_ptr(),
                &mut status,
            )
        };
        check(status)
    }

    pub fn write_int_key(
        &mut self,
        key: &str,
        value: i64,
        comment: &str,
    ) -> Result<(), CfitsioError> {
        let (key, comment) = (c_string(key)?, c_string(comment)?);
        let mut status: c_int = 0;
        // SAFETY: key and comment are valid C strings that outlive the call.
        unsafe {
            sys::ffpkyj(
                self.raw(),
                key.as_ptr(),
                value,
                comment.as_ptr(),
                &mut status,
            )
        };
        check(status)
    }

    /// Change an existing integer keyword's value, keeping its comment.
    pub fn update_int_key(&mut self, key: &str, value: i64) -> Result<(), CfitsioError> {
        let (key, keep_comment) = (c_string(key)?, c_string("&")?);
        let mut status: c_int = 0;
        // SAFETY: key and the comment are valid C strings that outlive the call; "&" tells
        // CFITSIO to keep the card's comment.
        unsafe {
            sys::ffmkyj(
                self.raw(),
                key.as_ptr(),
                value,
                keep_comment.as_ptr(),
                &mut status,
            )
        };
        check(status)
    }

    /// Write a string of any length using the long-string convention (`&` + CONTINUE cards),
    /// preceded by the LONGSTRN keyword that announces the convention.
    pub fn write_long_string_key(
        &mut self,
        key: &str,
        value: &str,
        comment: &str,
    ) -> Result<(), CfitsioError> {
        let (key, value, comment) = (c_string(key)?, c_string(value)?, c_string(comment)?);
        let mut status: c_int = 0;
        // SAFETY: all pointers are valid C strings that outlive the calls.
        unsafe {
            sys::ffplsw(self.raw(), &mut status);
            sys::ffpkls(
                self.raw(),
                key.as_ptr(),
                value.as_ptr(),
                comment.as_ptr(),
                &mut status,
            );
        }
        check(status)
    }

    /// HISTORY card(s); CFITSIO splits text longer than 72 characters over several cards.
    pub fn write_history(&mut self, text: &str) -> Result<(), CfitsioError> {
        let text = c_string(text)?;
        let mut status: c_int = 0;
        // SAFETY: text is a valid C string that outlives the call.
        unsafe { sys::ffphis(self.raw(), text.as_ptr(), &mut status) };
        check(status)
    }

    pub fn write_comment(&mut self, text: &str) -> Result<(), CfitsioError> {
        let text = c_string(text)?;
        let mut status: c_int = 0;
        // SAFETY: text is a valid C string that outlives the call.
        unsafe { sys::ffpcom(self.raw(), text.as_ptr(), &mut status) };
        check(status)
    }

    /// Write `pixels` into the current image starting at 1-based element `first`.
    pub fn write_f32_pixels(&mut self, first: i64, pixels: &mut [f32]) -> Result<(), CfitsioError> {
        let mut status: c_int = 0;
        // SAFETY: pixels is a live buffer of exactly the length passed; CFITSIO only reads it
        // (the binding wants a mutable pointer).
        unsafe {
            sys::ffppre(
                self.raw(),
                1,
                first,
                pixels.len() as i64,
                pixels.as_mut_ptr(),
                &mut status,
            )
        };
        check(status)
    }

    pub fn hdu_count(&mut self) -> Result<usize, CfitsioError> {
        let mut count: c_int = 0;
        let mut status: c_int = 0;
        // SAFETY: count and status are valid out-pointers.
        unsafe { sys::ffthdu(self.raw(), &mut count, &mut status) };
        check(status)?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// Move to HDU `index` (0-based) and return its kind.
    pub fn move_to_hdu(&mut self, index: usize) -> Result<HduKind, CfitsioError> {
        let mut kind: c_int = 0;
        let mut status: c_int = 0;
        let number = c_int::try_from(index + 1).map_err(|_| CfitsioError {
            code: 0,
            message: format!("HDU index {index} out of range"),
        })?;
        // SAFETY: kind and status are valid out-pointers.
        unsafe { sys::ffmahd(self.raw(), number, &mut kind, &mut status) };
        check(status)?;
        Ok(HduKind::from_code(kind, index == 0))
    }

    /// The byte offset just past the current HDU's data (including padding), as the header
    /// announces it; a file shorter than this was cut short.
    pub fn data_end(&mut self) -> Result<u64, CfitsioError> {
        let (mut head, mut data, mut end): (i64, i64, i64) = (0, 0, 0);
        let mut status: c_int = 0;
        // SAFETY: all out-pointers are valid.
        unsafe { sys::ffghadll(self.raw(), &mut head, &mut data, &mut end, &mut status) };
        check(status)?;
        Ok(u64::try_from(end).unwrap_or(0))
    }

    /// The current HDU's header cards, raw, in order (END excluded).
    pub fn header_cards(&mut self) -> Result<Vec<String>, CfitsioError> {
        let (mut existing, mut more): (c_int, c_int) = (0, 0);
        let mut status: c_int = 0;
        // SAFETY: all out-pointers are valid.
        unsafe { sys::ffghsp(self.raw(), &mut existing, &mut more, &mut status) };
        check(status)?;
        let mut cards = Vec::with_capacity(usize::try_from(existing).unwrap_or(0));
        for number in 1..=existing {
            let mut card: [c_char; CARD_BUFFER] = [0; CARD_BUFFER];
            // SAFETY: ffgrec writes at most FLEN_CARD (81) bytes including the NUL.
            unsafe { sys::ffgrec(self.raw(), number, card.as_mut_ptr(), &mut status) };
            check(status)?;
            cards.push(c_buffer_to_string(&card));
        }
        Ok(cards)
    }
}

impl Drop for FitsHandle {
    fn drop(&mut self) {
        let mut status: c_int = 0;
        // SAFETY: the handle is open and is closed exactly once, here.
        unsafe { sys::ffclos(self.fptr.as_ptr(), &mut status) };
        if status != 0 {
            // A close error (e.g. a full disk while flushing) has no caller left to tell;
            // drain the message stack so it does not leak into the next error.
            let _ = describe_status(status);
        }
    }
}

/// What kind of HDU the cursor is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HduKind {
    Primary,
    Image,
    AsciiTable,
    BinaryTable,
    Unknown,
}

impl HduKind {
    fn from_code(code: c_int, is_first: bool) -> Self {
        match code {
            IMAGE_HDU if is_first => HduKind::Primary,
            IMAGE_HDU => HduKind::Image,
            ASCII_TBL => HduKind::AsciiTable,
            BINARY_TBL => HduKind::BinaryTable,
            _ => HduKind::Unknown,
        }
    }

    /// The label the UI shows (`PRIMARY`, `IMAGE`, `TABLE`, `BINTABLE`).
    pub fn label(self) -> &'static str {
        match self {
            HduKind::Primary => "PRIMARY",
            HduKind::Image => "IMAGE",
            HduKind::AsciiTable => "TABLE",
            HduKind::BinaryTable => "BINTABLE",
            HduKind::Unknown => "UNKNOWN",
        }
    }
}
