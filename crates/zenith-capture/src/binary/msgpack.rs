//! MessagePack read straight into JSON text, value by value, with no tree in between.

use super::{JsonWriter, MAX_DEPTH, Step};

/// Longest text kept of a MessagePack map key that is not a string (then cut, with `…`).
const MAX_KEY_TEXT: usize = 1024;

impl<'a> JsonWriter<'a> {
    /// Writes the MessagePack value at the start of `input` as it is read, with no tree, and
    /// moves `input` past it.
    pub(super) fn msgpack(&mut self, input: &mut &'a [u8], depth: usize) -> Result<(), String> {
        use rmp::Marker as M;
        if depth > MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        let marker = M::from_u8(take(input, 1)?[0]);
        match marker {
            M::Null => self.raw("null"),
            M::True => self.raw("true"),
            M::False => self.raw("false"),
            M::FixPos(n) => {
                self.integer(n);
            }
            M::FixNeg(n) => {
                self.integer(n);
            }
            M::U8 | M::U16 | M::U32 | M::U64 => {
                self.integer(unsigned(input, marker)?);
            }
            M::I8 => {
                self.integer(take(input, 1)?[0] as i8);
            }
            M::I16 => {
                self.integer(i16::from_be_bytes(array(input)?));
            }
            M::I32 => {
                self.integer(i32::from_be_bytes(array(input)?));
            }
            M::I64 => {
                self.integer(i64::from_be_bytes(array(input)?));
            }
            M::F32 => self.float(f64::from(f32::from_be_bytes(array(input)?)), "the float"),
            M::F64 => self.float(f64::from_be_bytes(array(input)?), "the float"),
            M::FixStr(_) | M::Str8 | M::Str16 | M::Str32 => {
                let size = length(input, marker)?;
                let bytes = take(input, size)?;
                match std::str::from_utf8(bytes) {
                    Ok(text) => self.string(text),
                    Err(_) => {
                        self.note("a MessagePack string that is not UTF-8: checked with its bad bytes replaced".into());
                        self.string(&String::from_utf8_lossy(bytes));
                    }
                }
            }
            M::Bin8 | M::Bin16 | M::Bin32 => {
                let size = length(input, marker)?;
                let bytes = take(input, size)?;
                self.note(format!(
                    "MessagePack binary data ({} bytes) has no JSON equivalent: checked as its base64 text",
                    bytes.len()
                ));
                self.binary(bytes);
            }
            M::FixExt1 | M::FixExt2 | M::FixExt4 | M::FixExt8 | M::FixExt16 | M::Ext8 | M::Ext16 | M::Ext32 => {
                let size = length(input, marker)?;
                let kind = take(input, 1)?[0] as i8;
                take(input, size)?;
                self.note(format!(
                    "a MessagePack extension value (type {kind}, {size} bytes) has no JSON equivalent: checked as null"
                ));
                self.raw("null");
            }
            M::FixArray(_) | M::Array16 | M::Array32 => {
                let count = length(input, marker)?;
                self.text.push('[');
                for n in 0..count {
                    if n > 0 {
                        self.text.push(',');
                    }
                    self.path.push(Step::Index(n));
                    self.msgpack(input, depth + 1)?;
                    self.path.pop();
                }
                self.text.push(']');
            }
            M::FixMap(_) | M::Map16 | M::Map32 => {
                let count = length(input, marker)?;
                self.text.push('{');
                for n in 0..count {
                    if n > 0 {
                        self.text.push(',');
                    }
                    let (key, spelt) = self.msgpack_key(input, depth + 1)?;
                    let start = self.text.len();
                    if let Some(text) = key.key() {
                        self.string(text);
                    }
                    if let Some(spelt) = spelt {
                        self.binaries.push((start..self.text.len(), spelt));
                    }
                    self.text.push(':');
                    self.path.push(key);
                    self.msgpack(input, depth + 1)?;
                    self.path.pop();
                }
                self.text.push('}');
            }
            M::Reserved => return Err("the reserved MessagePack marker 0xc1".into()),
        }
        Ok(())
    }

    /// A map key: a string as it is; any other value as its JSON text, with a note (and for
    /// binary data that is UTF-8, the text it spells, as [`JsonWriter::binary`] keeps it).
    fn msgpack_key(&mut self, input: &mut &'a [u8], depth: usize) -> Result<(Step<'a>, Option<String>), String> {
        use rmp::Marker as M;
        let marker = M::from_u8(*input.first().ok_or("the message ends early")?);
        if let M::FixStr(_) | M::Str8 | M::Str16 | M::Str32 = marker {
            let mut rest = &input[1..];
            let size = length(&mut rest, marker)?;
            let bytes = take(&mut rest, size)?;
            if let Ok(key) = std::str::from_utf8(bytes) {
                *input = rest;
                return Ok((Step::Key(key), None));
            }
        }
        let mut key = JsonWriter::default();
        key.msgpack(input, depth)?;
        let mut text = key.text.trim_matches('"').to_owned();
        // A key's text is escaped again as a key: keys within keys would double it at every
        // level, so it is cut short.
        if text.len() > MAX_KEY_TEXT {
            let mut end = MAX_KEY_TEXT;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            text.push('…');
        }
        self.note(format!("a MessagePack map key that is not a UTF-8 string ({text}): checked as its text"));
        let whole = key.binaries.pop().filter(|(span, _)| *span == (0..key.text.len()));
        Ok((Step::Text(text), whole.map(|(_, spelt)| spelt)))
    }
}

/// The next `n` bytes of the input.
fn take<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
    if input.len() < n {
        return Err(format!("the message ends {} bytes early", n - input.len()));
    }
    let (taken, rest) = input.split_at(n);
    *input = rest;
    Ok(taken)
}

fn array<const N: usize>(input: &mut &[u8]) -> Result<[u8; N], String> {
    let bytes = take(input, N)?;
    let mut array = [0; N];
    array.copy_from_slice(bytes);
    Ok(array)
}

fn unsigned(input: &mut &[u8], marker: rmp::Marker) -> Result<u64, String> {
    use rmp::Marker as M;
    Ok(match marker {
        M::U8 => u64::from(take(input, 1)?[0]),
        M::U16 => u64::from(u16::from_be_bytes(array(input)?)),
        M::U32 => u64::from(u32::from_be_bytes(array(input)?)),
        _ => u64::from_be_bytes(array(input)?),
    })
}

/// The length a marker gives or announces: bytes of a string, binary or extension, items of
/// an array, entries of a map.
fn length(input: &mut &[u8], marker: rmp::Marker) -> Result<usize, String> {
    use rmp::Marker as M;
    Ok(match marker {
        M::FixStr(n) | M::FixArray(n) | M::FixMap(n) => usize::from(n),
        M::FixExt1 => 1,
        M::FixExt2 => 2,
        M::FixExt4 => 4,
        M::FixExt8 => 8,
        M::FixExt16 => 16,
        M::Str8 | M::Bin8 | M::Ext8 => usize::from(take(input, 1)?[0]),
        M::Str16 | M::Bin16 | M::Ext16 | M::Array16 | M::Map16 => usize::from(u16::from_be_bytes(array(input)?)),
        _ => u32::from_be_bytes(array(input)?) as usize,
    })
}
