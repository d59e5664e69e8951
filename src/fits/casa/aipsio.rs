//! casacore's AipsIO object stream, as far as a table's keywords need it (pure, no I/O).
//!
//! A `table.dat` is one AipsIO object `Table`: a magic word `0xbebebebe`, then objects nested
//! as `{u32 length (counting itself), string type, u32 version, payload}`, every number
//! big-endian (casacore's canonical format), strings as `u32 length + bytes`, Bool as one
//! byte. The table's keywords are the `TableRecord` inside its `TableDesc`; a record is a
//! `RecordDesc` (field names and types) then the fields' values in order.
//!
//! Every object carries its length, so a value this reader does not understand (an array of
//! an exotic type, a newer object version) is skipped to the object's end and shown as such,
//! instead of throwing the rest of the record away. Counts and lengths are checked against
//! the bytes left, and nesting is capped, so a hostile or cut file gives an error, not a
//! panic or a huge allocation.

use thiserror::Error;

const MAGIC: u32 = 0xbebe_bebe;
/// Records nest a few levels (coords → spectral2 → conversion → direction → m0); far deeper
/// is not a table we understand.
const MAX_DEPTH: usize = 24;
/// Array elements turned into values; longer arrays keep their shape and this many values.
const MAX_ARRAY_VALUES: usize = 64;

#[derive(Debug, Clone, Error, PartialEq)]
pub enum AipsIoError {
    #[error("cut short at byte {0}")]
    Short(usize),
    #[error("not an AipsIO file (no magic word)")]
    NoMagic,
    #[error("expected a `{expected}` object at byte {at}, found `{found}`")]
    UnexpectedObject {
        expected: &'static str,
        found: String,
        at: usize,
    },
    #[error("{0}")]
    Bad(String),
}

type Result<T> = std::result::Result<T, AipsIoError>;

/// One keyword's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    Complex(f64, f64),
    String(String),
    /// A keyword naming a subtable (`logtable`): its path as stored.
    Table(String),
    Record(Record),
    Array {
        shape: Vec<i64>,
        /// At most [`MAX_ARRAY_VALUES`] values, in storage order.
        values: Vec<Value>,
    },
    /// A value of a type this reader does not decode (named), skipped by its length.
    Skipped(String),
}

/// A record: named fields in their stored order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    pub fields: Vec<(String, Value)>,
}

impl Record {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    pub fn record(&self, name: &str) -> Option<&Record> {
        match self.get(name)? {
            Value::Record(r) => Some(r),
            _ => None,
        }
    }

    pub fn string(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn number(&self, name: &str) -> Option<f64> {
        self.get(name)?.as_f64()
    }

    /// The numbers of an array field (or a scalar as a one-element list).
    pub fn numbers(&self, name: &str) -> Option<Vec<f64>> {
        match self.get(name)? {
            Value::Array { values, .. } => values.iter().map(Value::as_f64).collect(),
            other => other.as_f64().map(|v| vec![v]),
        }
    }

    /// The strings of an array field (or a scalar string as a one-element list).
    pub fn strings(&self, name: &str) -> Option<Vec<&str>> {
        match self.get(name)? {
            Value::Array { values, .. } => values
                .iter()
                .map(|v| match v {
                    Value::String(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect(),
            Value::String(s) => Some(vec![s.as_str()]),
            _ => None,
        }
    }
}

impl Value {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) if f.is_finite() => Some(*f),
            _ => None,
        }
    }
}

/// casacore's `DataType` numbers, as a RecordDesc stores them.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scalar {
    Bool,
    Char,
    UChar,
    Short,
    UShort,
    Int,
    UInt,
    Int64,
    Float,
    Double,
    Complex,
    DComplex,
    String,
}

#[derive(Debug, Clone, PartialEq)]
enum FieldType {
    Scalar(Scalar),
    Array(Scalar),
    Table,
    Record(Vec<FieldDesc>),
    Other(i32),
}

#[derive(Debug, Clone, PartialEq)]
struct FieldDesc {
    name: String,
    kind: FieldType,
}

fn scalar_of(code: i32) -> Option<Scalar> {
    Some(match code {
        0 => Scalar::Bool,
        1 => Scalar::Char,
        2 => Scalar::UChar,
        3 => Scalar::Short,
        4 => Scalar::UShort,
        5 => Scalar::Int,
        6 => Scalar::UInt,
        7 => Scalar::Float,
        8 => Scalar::Double,
        9 => Scalar::Complex,
        10 => Scalar::DComplex,
        11 => Scalar::String,
        29 => Scalar::Int64,
        _ => return None,
    })
}

fn field_type(code: i32) -> FieldType {
    match code {
        12 => FieldType::Table,
        25 => FieldType::Record(Vec::new()),
        13..=24 => scalar_of(code - 13).map_or(FieldType::Other(code), FieldType::Array),
        30 => FieldType::Array(Scalar::Int64),
        _ => scalar_of(code).map_or(FieldType::Other(code), FieldType::Scalar),
    }
}

/// The header of one object: where it ends, its type name and version.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub end: usize,
    pub kind: String,
    pub version: u32,
}

/// A cursor over an AipsIO byte stream.
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader {
            bytes,
            at: 0,
            depth: 0,
        }
    }

    pub fn position(&self) -> usize {
        self.at
    }

    pub fn seek(&mut self, at: usize) -> Result<()> {
        if at > self.bytes.len() {
            return Err(AipsIoError::Short(self.bytes.len()));
        }
        self.at = at;
        Ok(())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(AipsIoError::Short(self.bytes.len()))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    pub fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array()?))
    }
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array()?))
    }
    pub fn f32(&mut self) -> Result<f32> {
        Ok(f32::from_be_bytes(self.array()?))
    }
    pub fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_be_bytes(self.array()?))
    }
    pub fn bool(&mut self) -> Result<bool> {
        Ok(self.u8()? != 0)
    }

    pub fn string(&mut self) -> Result<String> {
        let n = self.u32()? as usize;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }

    /// The magic word that starts a file's outermost object.
    pub fn magic(&mut self) -> Result<()> {
        if self.bytes.len() < 4 {
            return Err(AipsIoError::NoMagic);
        }
        if self.u32()? != MAGIC {
            return Err(AipsIoError::NoMagic);
        }
        Ok(())
    }

    /// An object's header, whatever its type.
    pub fn object(&mut self) -> Result<Object> {
        let start = self.at;
        let length = self.u32()? as usize;
        let end = start
            .checked_add(length)
            .filter(|end| *end <= self.bytes.len() && length >= 8)
            .ok_or(AipsIoError::Short(self.bytes.len()))?;
        let kind = self.string()?;
        let version = self.u32()?;
        if self.at > end {
            return Err(AipsIoError::Short(end));
        }
        Ok(Object { end, kind, version })
    }

    /// An object's header that must be of type `expected`.
    pub fn expect(&mut self, expected: &'static str) -> Result<Object> {
        let at = self.at;
        let object = self.object()?;
        if object.kind != expected {
            return Err(AipsIoError::UnexpectedObject {
                expected,
                found: object.kind,
                at,
            });
        }
        Ok(object)
    }

    /// Whether an object of type `kind` starts here (without moving).
    pub fn peek_object(&mut self, kind: &str) -> bool {
        let at = self.at;
        let found = self.object().is_ok_and(|o| o.kind == kind);
        self.at = at;
        found
    }

    /// A casacore `IPosition` object (a shape).
    pub fn iposition(&mut self) -> Result<Vec<i64>> {
        let object = self.expect("IPosition")?;
        let n = self.u32()? as usize;
        let wide = object.version >= 2;
        let size = if wide { 8 } else { 4 };
        self.check_count(n, size)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(if wide {
                self.i64()?
            } else {
                i64::from(self.i32()?)
            });
        }
        self.seek(object.end)?;
        Ok(out)
    }

    fn check_count(&self, n: usize, size: usize) -> Result<()> {
        if n.saturating_mul(size) > self.bytes.len() - self.at {
            return Err(AipsIoError::Bad(format!(
                "a count of {n} at byte {} is longer than the file",
                self.at
            )));
        }
        Ok(())
    }

    /// A `TableRecord` (or a plain `Record`) object: its description, then its values.
    pub fn table_record(&mut self) -> Result<Record> {
        self.enter()?;
        let object = self.object()?;
        if object.kind != "TableRecord" && object.kind != "Record" {
            return Err(AipsIoError::UnexpectedObject {
                expected: "TableRecord",
                found: object.kind,
                at: self.at,
            });
        }
        let desc = self.record_desc()?;
        let _record_type = self.i32()?;
        let record = self.record_values(&desc)?;
        self.seek(object.end)?;
        self.depth -= 1;
        Ok(record)
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(AipsIoError::Bad(format!(
                "records nested deeper than {MAX_DEPTH}"
            )));
        }
        Ok(())
    }

    fn record_desc(&mut self) -> Result<Vec<FieldDesc>> {
        self.enter()?;
        let object = self.expect("RecordDesc")?;
        let n = self.i32()?;
        let n = usize::try_from(n).map_err(|_| AipsIoError::Bad(format!("{n} fields")))?;
        // Each field takes at least a name length and a type.
        self.check_count(n, 8)?;
        let mut fields = Vec::with_capacity(n);
        for _ in 0..n {
            let name = self.string()?;
            let mut kind = field_type(self.i32()?);
            match &mut kind {
                FieldType::Array(_) => {
                    self.iposition()?;
                }
                FieldType::Record(sub) => *sub = self.record_desc()?,
                FieldType::Table => {
                    self.string()?;
                }
                _ => {}
            }
            if object.version >= 2 {
                self.string()?; // the field's comment
            }
            fields.push(FieldDesc { name, kind });
        }
        self.seek(object.end)?;
        self.depth -= 1;
        Ok(fields)
    }

    fn record_values(&mut self, desc: &[FieldDesc]) -> Result<Record> {
        let mut record = Record::default();
        for field in desc {
            let value = match &field.kind {
                FieldType::Scalar(scalar) => self.scalar(*scalar)?,
                FieldType::Array(scalar) => self.array_value(*scalar)?,
                FieldType::Table => Value::Table(self.string()?),
                FieldType::Record(sub) => {
                    // A variable record is stored whole (description and values); a fixed one
                    // as values only, described by the parent.
                    if self.peek_object("TableRecord") || self.peek_object("Record") {
                        Value::Record(self.table_record()?)
                    } else {
                        self.enter()?;
                        let record = self.record_values(sub)?;
                        self.depth -= 1;
                        Value::Record(record)
                    }
                }
                FieldType::Other(code) => {
                    // Unknown types cannot be skipped without a length: stop here, keeping
                    // what was read.
                    return Err(AipsIoError::Bad(format!(
                        "field `{}` has data type {code}, which this reader does not know",
                        field.name
                    )));
                }
            };
            record.fields.push((field.name.clone(), value));
        }
        Ok(record)
    }

    fn scalar(&mut self, scalar: Scalar) -> Result<Value> {
        Ok(match scalar {
            Scalar::Bool => Value::Bool(self.bool()?),
            Scalar::Char => Value::Int(i64::from(self.u8()? as i8)),
            Scalar::UChar => Value::Int(i64::from(self.u8()?)),
            Scalar::Short => Value::Int(i64::from(i16::from_be_bytes(self.array()?))),
            Scalar::UShort => Value::Int(i64::from(u16::from_be_bytes(self.array()?))),
            Scalar::Int => Value::Int(i64::from(self.i32()?)),
            Scalar::UInt => Value::Int(i64::from(self.u32()?)),
            Scalar::Int64 => Value::Int(self.i64()?),
            Scalar::Float => Value::Float(f64::from(self.f32()?)),
            Scalar::Double => Value::Float(self.f64()?),
            Scalar::Complex => Value::Complex(f64::from(self.f32()?), f64::from(self.f32()?)),
            Scalar::DComplex => Value::Complex(self.f64()?, self.f64()?),
            Scalar::String => Value::String(self.string()?),
        })
    }

    fn scalar_size(scalar: Scalar) -> usize {
        match scalar {
            Scalar::Bool | Scalar::Char | Scalar::UChar => 1,
            Scalar::Short | Scalar::UShort => 2,
            Scalar::Int | Scalar::UInt | Scalar::Float | Scalar::String => 4,
            Scalar::Int64 | Scalar::Double | Scalar::Complex => 8,
            Scalar::DComplex => 16,
        }
    }

    /// An `Array<T>` object: ndim, the shape, the element count, the elements.
    fn array_value(&mut self, scalar: Scalar) -> Result<Value> {
        let object = self.object()?;
        if !object.kind.starts_with("Array") {
            return Err(AipsIoError::UnexpectedObject {
                expected: "Array",
                found: object.kind,
                at: self.at,
            });
        }
        let decoded = (|| -> Result<Value> {
            let ndim = self.u32()? as usize;
            self.check_count(ndim, 4)?;
            let shape = (0..ndim)
                .map(|_| self.u32().map(i64::from))
                .collect::<Result<Vec<_>>>()?;
            let n = self.u32()? as usize;
            self.check_count(n, Self::scalar_size(scalar))?;
            let mut values = Vec::with_capacity(n.min(MAX_ARRAY_VALUES));
            for _ in 0..n.min(MAX_ARRAY_VALUES) {
                values.push(self.scalar(scalar)?);
            }
            Ok(Value::Array { shape, values })
        })();
        // The object's length is the truth: long arrays are cut, odd layouts are skipped.
        let value = match decoded {
            Ok(value) => value,
            Err(_) => Value::Skipped(object.kind),
        };
        self.seek(object.end)?;
        Ok(value)
    }
}

/// The table keywords of a `table.dat`, and the table's row count.
pub fn table_keywords(bytes: &[u8]) -> Result<(u64, Record)> {
    let mut r = Reader::new(bytes);
    r.magic()?;
    let table = r.expect("Table")?;
    let rows = if table.version >= 3 {
        r.i64()? as u64
    } else {
        u64::from(r.u32()?)
    };
    if table.version >= 2 {
        let _big_endian_data = r.u32()?;
        let _table_type = r.string()?;
    }
    let desc = r.expect("TableDesc")?;
    if desc.version >= 2 {
        let _name = r.string()?;
        let _version = r.string()?;
        let _comment = r.string()?;
    }
    let keywords = r.table_record()?;
    Ok((rows, keywords))
}

/// The shapes of the hypercubes a tiled storage manager's header (`table.f0`) holds, in
/// casacore's axis order (the first axis varies fastest, as FITS's NAXIS1). Each cube is
/// stored as its values record, an extensible flag, its number of axes and its shape; this
/// finds each record and reads what follows it, so it needs no model of the manager's other
/// fields (which differ between TiledCellStMan, TiledShapeStMan and their versions).
pub fn tiled_cube_shapes(bytes: &[u8]) -> Vec<Vec<i64>> {
    let mut shapes = Vec::new();
    let needle = b"\0\0\0\x06Record";
    let mut from = 0;
    while let Some(found) = find(&bytes[from..], needle).map(|i| i + from) {
        from = found + needle.len();
        let Some(start) = found.checked_sub(4) else {
            continue;
        };
        let mut r = Reader::new(bytes);
        let shape = (|| -> Result<Vec<i64>> {
            r.seek(start)?;
            let record = r.object()?;
            r.seek(record.end)?;
            let _extensible = r.bool()?;
            let ndim = r.u32()? as usize;
            let shape = r.iposition()?;
            if shape.len() != ndim {
                return Err(AipsIoError::Bad("cube shape and axis count differ".into()));
            }
            Ok(shape)
        })();
        if let Ok(shape) = shape
            && !shape.is_empty()
        {
            shapes.push(shape);
        }
    }
    shapes
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny writer of the same stream, to test the reader on shapes a file would hold.
    #[derive(Default)]
    struct W(Vec<u8>);

    impl W {
        fn u32(&mut self, v: u32) -> &mut Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        fn i32(&mut self, v: i32) -> &mut Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        fn f64(&mut self, v: f64) -> &mut Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        fn string(&mut self, s: &str) -> &mut Self {
            self.u32(s.len() as u32);
            self.0.extend_from_slice(s.as_bytes());
            self
        }
        /// An object around what `body` writes.
        fn object(&mut self, kind: &str, version: u32, body: impl FnOnce(&mut W)) -> &mut Self {
            let mut inner = W::default();
            inner.string(kind).u32(version);
            body(&mut inner);
            self.u32(inner.0.len() as u32 + 4);
            self.0.extend_from_slice(&inner.0);
            self
        }
    }

    fn iposition(w: &mut W, dims: &[i32]) {
        w.object("IPosition", 1, |w| {
            w.u32(dims.len() as u32);
            for d in dims {
                w.i32(*d);
            }
        });
    }

    /// `{units: "Jy/beam", cdelt: [-1e-5, 1e-5], beam: {major: 15.0}}` as a TableRecord.
    fn record() -> Vec<u8> {
        let mut w = W::default();
        w.object("TableRecord", 1, |w| {
            w.object("RecordDesc", 2, |w| {
                w.i32(3);
                w.string("units").i32(11).string("");
                w.string("cdelt").i32(21);
                iposition(w, &[-1]);
                w.string("");
                w.string("beam").i32(25);
                w.object("RecordDesc", 2, |w| {
                    w.i32(0);
                });
                w.string("");
            });
            w.i32(1);
            w.string("Jy/beam");
            w.object("Array<double>", 3, |w| {
                w.u32(1).u32(2).u32(2).f64(-1e-5).f64(1e-5);
            });
            w.object("TableRecord", 1, |w| {
                w.object("RecordDesc", 2, |w| {
                    w.i32(1);
                    w.string("major").i32(8).string("");
                });
                w.i32(1);
                w.f64(15.0);
            });
        });
        w.0
    }

    #[test]
    fn a_record_with_a_string_an_array_and_a_subrecord_reads_back() {
        let bytes = record();
        let rec = Reader::new(&bytes).table_record().expect("record");
        assert_eq!(rec.string("units"), Some("Jy/beam"));
        assert_eq!(rec.numbers("cdelt"), Some(vec![-1e-5, 1e-5]));
        assert_eq!(
            rec.record("beam").and_then(|b| b.number("major")),
            Some(15.0)
        );
    }

    #[test]
    fn a_record_cut_anywhere_is_an_error_not_a_panic() {
        let bytes = record();
        for cut in 0..bytes.len() {
            assert!(
                Reader::new(&bytes[..cut]).table_record().is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn an_array_whose_layout_is_not_understood_is_skipped_by_its_length() {
        let mut w = W::default();
        w.object("TableRecord", 1, |w| {
            w.object("RecordDesc", 2, |w| {
                w.i32(2);
                w.string("odd").i32(21);
                iposition(w, &[-1]);
                w.string("");
                w.string("after").i32(11).string("");
            });
            w.i32(1);
            // Claims a million elements in a few bytes.
            w.object("Array<double>", 9, |w| {
                w.u32(1).u32(1_000_000).u32(1_000_000).f64(1.0);
            });
            w.string("still read");
        });
        let rec = Reader::new(&w.0).table_record().expect("record");
        assert_eq!(
            rec.get("odd"),
            Some(&Value::Skipped("Array<double>".into()))
        );
        assert_eq!(rec.string("after"), Some("still read"));
    }

    #[test]
    fn a_huge_field_count_is_refused_before_allocating() {
        let mut w = W::default();
        w.object("TableRecord", 1, |w| {
            w.object("RecordDesc", 2, |w| {
                w.i32(i32::MAX);
            });
        });
        assert!(matches!(
            Reader::new(&w.0).table_record(),
            Err(AipsIoError::Bad(_) | AipsIoError::Short(_))
        ));
    }

    #[test]
    fn the_cube_shape_follows_the_cube_record_in_a_tiled_manager_header() {
        let mut w = W::default();
        w.u32(MAGIC);
        w.object("TiledCellStMan", 1, |w| {
            iposition(w, &[9, 9, 9]); // a default tile shape: not a cube
            w.object("Record", 1, |w| {
                w.object("RecordDesc", 2, |w| {
                    w.i32(0);
                });
                w.i32(0);
            });
            w.0.push(0);
            w.u32(4);
            iposition(w, &[8, 8, 1, 1]);
            iposition(w, &[8, 8, 1, 1]);
        });
        assert_eq!(tiled_cube_shapes(&w.0), vec![vec![8, 8, 1, 1]]);
    }
}
