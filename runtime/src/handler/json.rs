//! JSON for handler results: the output serde_json writes (numbers are written by serde_json
//! itself), with strings scanned sixteen or eight bytes at a time. serde_json scans a string byte by
//! byte; for a response carrying a large string (an HTML page, a base64 body) that scan was
//! most of the CPU an invocation took.

use serde::ser::{self, Impossible, Serialize};
use serde_json::Error;

/// Writes `value` as JSON to the end of `out`.
///
/// Built with `--cfg lambda_handler_serde_json_writer` (the bench's A/B, `bench/README.md`),
/// serde_json's own `to_writer` writes it instead, into the same buffer.
pub(crate) fn to_writer<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    #[cfg(lambda_handler_serde_json_writer)]
    return serde_json::to_writer(out, value);
    #[cfg(not(lambda_handler_serde_json_writer))]
    value.serialize(&mut Writer { out })
}

/// The struct names serde_json gives its `RawValue` and arbitrary-precision `Number`, whose
/// one field is JSON text to write as it is.
const RAW_TOKENS: [&str; 2] = [
    "$serde_json::private::RawValue",
    "$serde_json::private::Number",
];

/// The `serialize_{integer}` methods, each writing through `$write`.
macro_rules! integers {
    ($write:ident) => {
        integers!($write: i8 serialize_i8, i16 serialize_i16, i32 serialize_i32,
            i64 serialize_i64, i128 serialize_i128, u8 serialize_u8, u16 serialize_u16,
            u32 serialize_u32, u64 serialize_u64, u128 serialize_u128);
    };
    ($write:ident: $($ty:ident $method:ident),*) => {
        $(
            fn $method(self, v: $ty) -> Result<(), Error> {
                self.$write(v)
            }
        )*
    };
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

impl Writer<'_> {
    fn number<N: Serialize>(&mut self, n: N) -> Result<(), Error> {
        serde_json::to_writer(&mut *self.out, &n)
    }
}

/// Whether any of the eight bytes needs escaping: a quote, a backslash or a control character.
#[inline]
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    // A byte below 0x20 borrows when 0x20 is subtracted; bytes of 0x80 and above are cleared by
    // `!word`, and cannot be escapes in UTF-8 text anyway.
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    (control | zero_byte(word ^ (ONES * b'"' as u64)) | zero_byte(word ^ (ONES * b'\\' as u64)))
        != 0
}

/// The index of the first byte at or after `from` that needs escaping, or the length.
#[inline]
fn next_escape(bytes: &[u8], from: usize) -> usize {
    let rest = &bytes[from..];
    let clean = clean_prefix(rest);
    let tail = rest[clean..]
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\');
    from + tail.map_or(rest.len(), |at| clean + at)
}

/// How many leading bytes surely need no escape; the caller checks the rest byte by byte.
/// Sixteen at a time with SSE2 (which every x86_64 processor has), eight at a time in a
/// machine word elsewhere (aarch64, where Graviton Lambdas run, included).
#[inline]
fn clean_prefix(bytes: &[u8]) -> usize {
    #[cfg(target_arch = "x86_64")]
    return clean_prefix_sse2(bytes);
    #[cfg(not(target_arch = "x86_64"))]
    return clean_prefix_words(bytes);
}

/// [`clean_prefix`] eight bytes a step in a `u64`: portable, and compiled (and tested) on every
/// target.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline]
fn clean_prefix_words(bytes: &[u8]) -> usize {
    let mut clean = 0;
    for chunk in bytes.chunks_exact(8) {
        if needs_escape(u64::from_le_bytes(chunk.try_into().expect("eight bytes"))) {
            break;
        }
        clean += 8;
    }
    clean
}

/// [`clean_prefix`] sixteen bytes a step with SSE2.
#[cfg(target_arch = "x86_64")]
#[inline]
fn clean_prefix_sse2(bytes: &[u8]) -> usize {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let mut clean = 0;
    // SAFETY: SSE2 is part of the x86_64 baseline, so the intrinsics are always available;
    // each load reads 16 bytes that the loop condition keeps inside `bytes` (unaligned loads).
    unsafe {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let below_space = _mm_set1_epi8(0x1f);
        while clean + 16 <= bytes.len() {
            let chunk = _mm_loadu_si128(bytes.as_ptr().add(clean).cast::<__m128i>());
            // A byte is a control character when max(byte, 0x1f) is 0x1f (unsigned).
            let control = _mm_cmpeq_epi8(_mm_max_epu8(chunk, below_space), below_space);
            let special = _mm_or_si128(
                _mm_cmpeq_epi8(chunk, quote),
                _mm_cmpeq_epi8(chunk, backslash),
            );
            let mask = _mm_movemask_epi8(_mm_or_si128(control, special));
            if mask != 0 {
                return clean + mask.trailing_zeros() as usize;
            }
            clean += 16;
        }
    }
    clean
}

fn write_str(out: &mut Vec<u8>, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = value.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    loop {
        let at = next_escape(bytes, start);
        out.extend_from_slice(&bytes[start..at]);
        let Some(&byte) = bytes.get(at) else { break };
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]),
        }
        start = at + 1;
    }
    out.push(b'"');
}

/// A sequence or map in progress: whether a comma goes before the next element.
pub(crate) struct Compound<'a, 'b> {
    writer: &'a mut Writer<'b>,
    first: bool,
    /// Closes a variant's wrapping object (`{"Variant":[...]}`) at the end.
    variant: bool,
    /// A raw JSON value (`RAW_TOKENS`): its one field is written as it is.
    raw: bool,
}

impl Compound<'_, '_> {
    fn comma(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.writer.out.push(b',');
        }
    }

    fn end(self, close: u8) -> Result<(), Error> {
        if !self.raw {
            self.writer.out.push(close);
        }
        if self.variant {
            self.writer.out.push(b'}');
        }
        Ok(())
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        if self.raw {
            // The field is the JSON text, as a string (rare: serde_json's own raw types).
            return match serde_json::to_value(value)? {
                serde_json::Value::String(json) => {
                    self.writer.out.extend_from_slice(json.as_bytes());
                    Ok(())
                }
                _ => Err(ser::Error::custom("a raw JSON value must hold its text")),
            };
        }
        self.comma();
        write_str(self.writer.out, key);
        self.writer.out.push(b':');
        value.serialize(&mut *self.writer)
    }
}

impl<'a, 'b> ser::Serializer for &'a mut Writer<'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    integers!(number);
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.number(v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.number(v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let mut seq = ser::Serializer::serialize_seq(self, Some(v.len()))?;
        for byte in v {
            ser::SerializeSeq::serialize_element(&mut seq, byte)?;
        }
        ser::SerializeSeq::end(seq)
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.push(b':');
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        self.out.push(b'[');
        Ok(Compound {
            writer: self,
            first: true,
            variant: false,
            raw: false,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'b>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.extend_from_slice(b":[");
        Ok(Compound {
            writer: self,
            first: true,
            variant: true,
            raw: false,
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        self.out.push(b'{');
        Ok(Compound {
            writer: self,
            first: true,
            variant: false,
            raw: false,
        })
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Compound<'a, 'b>, Error> {
        if RAW_TOKENS.contains(&name) {
            return Ok(Compound {
                writer: self,
                first: true,
                variant: false,
                raw: true,
            });
        }
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.extend_from_slice(b":{");
        Ok(Compound {
            writer: self,
            first: true,
            variant: true,
            raw: false,
        })
    }
}

/// Sequences, tuples and tuple structs and variants: elements between `[` and `]`.
macro_rules! sequence {
    ($($trait:ident::$method:ident),*) => {
        $(
            impl ser::$trait for Compound<'_, '_> {
                type Ok = ();
                type Error = Error;
                fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                    self.comma();
                    value.serialize(&mut *self.writer)
                }
                fn end(self) -> Result<(), Error> {
                    Compound::end(self, b']')
                }
            }
        )*
    };
}

sequence!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        key.serialize(KeyWriter {
            out: self.writer.out,
        })?;
        self.writer.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self, b'}')
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self, b'}')
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self, b'}')
    }
}

fn key_must_be_a_string() -> Error {
    ser::Error::custom("key must be a string")
}

/// A map key: JSON keys are strings, so numbers, booleans and chars are quoted, as serde_json
/// does; anything else is the error serde_json gives.
struct KeyWriter<'a> {
    out: &'a mut Vec<u8>,
}

impl KeyWriter<'_> {
    fn quoted<N: Serialize>(self, n: N) -> Result<(), Error> {
        self.out.push(b'"');
        serde_json::to_writer(&mut *self.out, &n)?;
        self.out.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.quoted(v)
    }
    integers!(quoted);
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        if !v.is_finite() {
            return Err(ser::Error::custom(
                "float key must be finite (got NaN or +/-inf)",
            ));
        }
        self.quoted(v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if !v.is_finite() {
            return Err(ser::Error::custom(
                "float key must be finite (got NaN or +/-inf)",
            ));
        }
        self.quoted(v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use serde::Serialize;

    /// Our output, which must be serde_json's to the byte.
    fn same<T: Serialize + ?Sized>(value: &T) {
        let mut ours = Vec::new();
        super::to_writer(&mut ours, value).expect("serializes");
        let theirs = serde_json::to_vec(value).expect("serde_json serializes");
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs)
        );
    }

    #[derive(Serialize)]
    struct Unit;

    #[derive(Serialize)]
    struct Newtype(String);

    #[derive(Serialize)]
    struct Tuple(u8, &'static str, f64);

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Record {
        name: String,
        tags: Vec<&'static str>,
        nested: Option<Box<Record>>,
        bytes: &'static [u8],
        flag: bool,
        unit: (),
        unit_struct: Unit,
        newtype: Newtype,
        tuple: Tuple,
        shapes: Vec<Shape>,
        #[serde(flatten)]
        extra: BTreeMap<String, i32>,
    }

    #[derive(Serialize)]
    enum Shape {
        Point,
        Circle(f32),
        Rect(u32, u32),
        Poly { sides: u8, name: char },
    }

    #[test]
    fn strings_escape_as_serde_json_escapes_them() {
        let every_control: String = (0u8..0x20).map(char::from).collect();
        for text in [
            "",
            "plain ascii text longer than eight bytes",
            "\"quoted\" and \\back\\slashed\\",
            &every_control,
            "unicode: é ü 日本語 🎉 \u{7f} \u{2028}",
            "tab\there\nnewline\rreturn\u{8}\u{c}",
        ] {
            same(text);
        }
        // Every escape at every position around the eight-byte boundaries.
        for len in 0..20 {
            for at in 0..len {
                for special in ['"', '\\', '\n', '\u{1}', '\u{1f}', 'é', '\u{7f}'] {
                    let mut text: String = "x".repeat(len);
                    text.replace_range(at..at + 1, special.encode_utf8(&mut [0; 4]));
                    same(&text);
                }
            }
        }
    }

    #[test]
    fn the_word_check_finds_every_escape() {
        for byte in 0..=255u8 {
            for at in 0..8 {
                let mut word = [b'a'; 8];
                word[at] = byte;
                let expected = byte < 0x20 || byte == b'"' || byte == b'\\';
                assert_eq!(
                    super::needs_escape(u64::from_le_bytes(word)),
                    expected,
                    "{byte:#x} at {at}"
                );
            }
        }
    }

    /// Each scanner, on every target that compiles it: the portable one everywhere (it is
    /// aarch64's), SSE2 on x86_64. A clean prefix never covers an escape, and covers every
    /// whole step before the first one.
    #[test]
    fn every_scanner_stops_exactly_at_its_step_before_an_escape() {
        /// A scanner and the bytes it checks a step.
        type Scanner = (fn(&[u8]) -> usize, usize);
        let mut scanners: Vec<Scanner> = vec![(super::clean_prefix_words, 8)];
        #[cfg(target_arch = "x86_64")]
        scanners.push((super::clean_prefix_sse2, 16));
        for (scan, step) in scanners {
            for len in 0..70 {
                let clean = vec![b'a'; len];
                assert_eq!(scan(&clean), len / step * step, "step {step}, len {len}");
                for at in 0..len {
                    for special in [b'"', b'\\', b'\n', 0u8, 0x1f] {
                        let mut bytes = clean.clone();
                        bytes[at] = special;
                        let found = scan(&bytes);
                        assert!(
                            found <= at,
                            "step {step}: {found} covers the escape at {at}"
                        );
                        assert!(
                            found >= at / step * step,
                            "step {step}: {found} < whole steps before {at}"
                        );
                        assert_eq!(super::next_escape(&bytes, 0), at);
                    }
                }
            }
        }
    }

    #[test]
    fn random_strings_match() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            let len = (state % 40) as usize;
            let text: String = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    char::from_u32((state % 0x3000) as u32).unwrap_or('?')
                })
                .collect();
            same(&text);
        }
    }

    #[test]
    fn every_shape_of_value_matches() {
        let record = Record {
            name: "a \"record\"".into(),
            tags: vec!["x", "y\n"],
            nested: Some(Box::new(Record {
                name: String::new(),
                tags: vec![],
                nested: None,
                bytes: b"",
                flag: false,
                unit: (),
                unit_struct: Unit,
                newtype: Newtype("n".into()),
                tuple: Tuple(0, "", -0.0),
                shapes: vec![],
                extra: BTreeMap::new(),
            })),
            bytes: b"\x00\xff",
            flag: true,
            unit: (),
            unit_struct: Unit,
            newtype: Newtype("inner".into()),
            tuple: Tuple(7, "t", 1.5e300),
            shapes: vec![
                Shape::Point,
                Shape::Circle(0.1),
                Shape::Rect(1, 2),
                Shape::Poly {
                    sides: 3,
                    name: 'é',
                },
            ],
            extra: BTreeMap::from([("flattened".into(), -4)]),
        };
        same(&record);
        same(&(
            i64::MIN,
            u64::MAX,
            i128::MIN,
            u128::MAX,
            f64::NAN,
            f64::INFINITY,
            1e-7,
            0.1f32,
        ));
        same(&serde_json::json!({"a": [1, 2.5, null, true, {"b": "c\u{0}"}], "": {}}));
        same(&Option::<u8>::None);
        same(&'x');
    }

    #[test]
    fn map_keys_match_and_fail_as_serde_json_fails() {
        same(&BTreeMap::from([(1, "one"), (-2, "minus two")]));
        same(&BTreeMap::from([(true, 1), (false, 0)]));
        same(&BTreeMap::from([('k', 1)]));
        same(&FloatKeys(vec![(2.5, 1), (-0.0, 2)]));
        same(&BTreeMap::from(
            [(Newtype("key".into()), 1)].map(|(k, v)| (k.0, v)),
        ));
        let mut out = Vec::new();
        let error = super::to_writer(&mut out, &HashMap::from([((1, 2), 3)])).unwrap_err();
        assert_eq!(
            error.to_string(),
            serde_json::to_vec(&HashMap::from([((1, 2), 3)]))
                .unwrap_err()
                .to_string()
        );
        let error = super::to_writer(&mut out, &FloatKeys(vec![(f64::NAN, 3)])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "float key must be finite (got NaN or +/-inf)"
        );
    }

    /// A map with float keys (no std map can hold them).
    struct FloatKeys(Vec<(f64, i32)>);

    impl Serialize for FloatKeys {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
        }
    }

    #[test]
    fn raw_json_passes_through() {
        let raw = serde_json::value::RawValue::from_string(r#"{"pre": [1, "formatted"]}"#.into())
            .unwrap();
        same(&raw);
        same(&vec![raw]);
    }

    #[test]
    fn a_failing_serialize_impl_fails_here_too() {
        struct Fails;
        impl Serialize for Fails {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no"))
            }
        }
        assert_eq!(
            super::to_writer(&mut Vec::new(), &vec![Fails])
                .unwrap_err()
                .to_string(),
            "no"
        );
    }

    /// A small generator, reproducible: the same values on every run and target.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        /// Text rich in what needs escaping: quotes, backslashes, every control character,
        /// multi-byte characters, and long clean runs that cross the scanners' steps.
        fn string(&mut self) -> String {
            let len = self.below(48) as usize;
            (0..len)
                .map(|_| match self.below(8) {
                    0 => ['"', '\\', '/', '\u{7f}'][self.below(4) as usize],
                    1 => char::from(self.below(0x20) as u8),
                    2 => char::from_u32(0x80 + self.below(0x2f00) as u32).unwrap_or('é'),
                    3 => ['😀', '\u{2028}', '\u{fffd}', '\u{10ffff}'][self.below(4) as usize],
                    _ => char::from(b'a' + self.below(26) as u8),
                })
                .collect()
        }

        fn number(&mut self) -> serde_json::Value {
            match self.below(5) {
                0 => serde_json::json!(self.next() as i64),
                1 => serde_json::json!(self.next()),
                2 => serde_json::json!(f64::from_bits(self.next())),
                3 => serde_json::json!((self.below(2_000_000) as f64 - 1e6) / 1e3),
                _ => serde_json::json!(self.below(100)),
            }
        }

        fn value(&mut self, depth: u32) -> serde_json::Value {
            let leaf = depth >= 4 || self.below(3) == 0;
            match self.below(if leaf { 4 } else { 6 }) {
                0 => serde_json::Value::Null,
                1 => serde_json::Value::Bool(self.below(2) == 0),
                2 => self.number(),
                3 => serde_json::Value::String(self.string()),
                4 => (0..self.below(6)).map(|_| self.value(depth + 1)).collect(),
                _ => (0..self.below(6))
                    .map(|_| (self.string(), self.value(depth + 1)))
                    .collect::<serde_json::Map<_, _>>()
                    .into(),
            }
        }
    }

    /// Differential fuzzing against serde_json: random documents (every JSON shape, strings
    /// full of escapes, integers and floats of every size, NaN included) must come out byte
    /// for byte as serde_json writes them.
    #[test]
    fn random_documents_are_written_as_serde_json_writes_them() {
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            same(&random.value(0));
        }
        for _ in 0..5_000 {
            same(&random.string());
        }
    }

    /// serde_json's `arbitrary_precision` feature serializes a `Number` as a struct named
    /// `$serde_json::private::Number` whose one field is the number's text (serde_json's
    /// `number.rs`), and its serializer writes that text as it is. Ours must too, or a function
    /// built with the feature would send `{"$serde_json::private::Number":"1.5"}`.
    #[test]
    fn arbitrary_precision_numbers_are_written_as_their_text() {
        struct Precise(&'static str);
        impl Serialize for Precise {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                const TOKEN: &str = "$serde_json::private::Number";
                let mut number = serializer.serialize_struct(TOKEN, 1)?;
                number.serialize_field(TOKEN, self.0)?;
                number.end()
            }
        }
        for text in [
            "1.5",
            "-0",
            "123456789012345678901234567890",
            "1e400",
            "2.5E-7",
        ] {
            let mut ours = Vec::new();
            super::to_writer(&mut ours, &vec![Precise(text)]).unwrap();
            assert_eq!(String::from_utf8(ours).unwrap(), format!("[{text}]"));
            // What serde_json writes for the same raw text.
            let raw = serde_json::value::RawValue::from_string(text.to_owned()).unwrap();
            same(&vec![raw]);
        }
    }
}
