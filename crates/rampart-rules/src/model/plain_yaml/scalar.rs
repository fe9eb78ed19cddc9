//! One-line scalars: quoted ones, always strings, and plain ones, which are nulls,
//! booleans, numbers or strings by their text, as serde_yaml_ng resolves them.

use super::{Declined, Result};
use serde::de::{Deserializer, Visitor};
use std::borrow::Cow;

/// A scalar, before its target asks for it.
#[derive(Debug)]
pub(super) enum Scalar<'a> {
    /// Resolved by its text when read.
    Plain(&'a str),
    /// Quoted (or a `|` block's text): always a string.
    Text(Cow<'a, str>),
}

/// A plain scalar's text that reads as null.
pub(super) fn is_null(text: &str) -> bool {
    matches!(text, "null" | "Null" | "NULL" | "~")
}

/// A key every YAML reader takes as the same string: it starts with a letter or `_` and is
/// not a null or a boolean.
pub(super) fn plain_key(key: &str) -> bool {
    let first = key.as_bytes().first().copied().unwrap_or(b'0');
    (first.is_ascii_alphabetic() || first == b'_')
        && key.len() <= super::MAX_KEY
        && !is_null(key)
        && !matches!(key, "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
}

/// A byte of the plain words keys are written in (`app.kubernetes.io/name`).
pub(super) fn key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'-' | b'_')
}

/// A byte no plain scalar may start with: YAML's indicators.
pub(super) fn indicator(b: u8) -> bool {
    matches!(
        b,
        b'?' | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

/// What follows a closing quote or bracket on its line: nothing, spaces, or spaces and a
/// comment.
pub(super) fn nothing_after(after: &str) -> Result<()> {
    let rest = after.trim_start_matches(' ');
    let spaced = rest.len() < after.len();
    if rest.is_empty() || (spaced && rest.starts_with('#')) {
        Ok(())
    } else {
        Err(Declined)
    }
}

/// A `'...'` scalar closed on its line (`''` is a quote), and the text after it.
pub(super) fn single_quoted(text: &str) -> Result<(Cow<'_, str>, &str)> {
    let body = &text[1..];
    let mut owned: Option<String> = None;
    let mut from = 0;
    let mut search = 0;
    while let Some(i) = body[search..].find('\'').map(|i| search + i) {
        if body.as_bytes().get(i + 1) == Some(&b'\'') {
            owned
                .get_or_insert_with(String::new)
                .push_str(&body[from..=i]);
            search = i + 2;
            from = search;
            continue;
        }
        let value = match owned {
            None => Cow::Borrowed(&body[..i]),
            Some(mut s) => {
                s.push_str(&body[from..i]);
                Cow::Owned(s)
            }
        };
        return Ok((value, &body[i + 1..]));
    }
    Err(Declined)
}

/// A `"..."` scalar closed on its line, with the escapes JSON has, and the text after it.
pub(super) fn double_quoted(text: &str) -> Result<(Cow<'_, str>, &str)> {
    let body = &text[1..];
    let close = body.find(['"', '\\']).ok_or(Declined)?;
    if body.as_bytes()[close] == b'"' {
        return Ok((Cow::Borrowed(&body[..close]), &body[close + 1..]));
    }
    let mut out = String::with_capacity(body.len());
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((Cow::Owned(out), &body[i + 1..])),
            '\\' => {
                let escaped = match chars.next().map(|(_, e)| e) {
                    Some('"') => '"',
                    Some('\\') => '\\',
                    Some('/') => '/',
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some('u') => {
                        let hex: String = chars.by_ref().take(4).map(|(_, h)| h).collect();
                        // Four hexadecimal digits exactly: Rust's parser would also take a
                        // sign, which libyaml refuses.
                        if hex.len() != 4 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return Err(Declined);
                        }
                        let code = u32::from_str_radix(&hex, 16).map_err(|_| Declined)?;
                        char::from_u32(code).ok_or(Declined)?
                    }
                    _ => return Err(Declined),
                };
                out.push(escaped);
            }
            c => out.push(c),
        }
    }
    Err(Declined)
}

/// A plain scalar's value as serde_yaml_ng resolves it: null, boolean, integer, float or
/// string. Texts that could be numbers in forms not copied here (hexadecimal, octal,
/// binary, `+` signs, exponents, `.inf`, integers beyond 64 bits, floats) are declined.
fn resolve<'a, V: Visitor<'a>>(text: &'a str, visitor: V) -> Result<V::Value> {
    match text {
        _ if is_null(text) => return visitor.visit_unit(),
        "true" | "True" | "TRUE" => return visitor.visit_bool(true),
        "false" | "False" | "FALSE" => return visitor.visit_bool(false),
        _ => {}
    }
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    match unsigned.as_bytes().first() {
        Some(b'.' | b'+') => return Err(Declined),
        Some(b) if b.is_ascii_digit() => {}
        // Numbers start with a digit, a point or a sign; a sign before a letter makes only
        // infinities and NaNs, which serde_yaml_ng leaves as strings.
        _ => return visitor.visit_borrowed_str(text),
    }
    if unsigned.bytes().all(|b| b.is_ascii_digit()) {
        // Leading zeros make a string (YAML 1.2), as serde_yaml_ng reads it.
        if unsigned.len() > 1 && unsigned.starts_with('0') {
            return visitor.visit_borrowed_str(text);
        }
        return if text.starts_with('-') {
            let n = text.parse::<i64>().map_err(|_| Declined)?;
            visitor.visit_i64(n)
        } else {
            let n = text.parse::<u64>().map_err(|_| Declined)?;
            visitor.visit_u64(n)
        };
    }
    // Digits mixed with letters (`500m`, `64Mi`) are no number, unless hexadecimal, octal
    // or binary, or made of a float's characters only.
    let radix = ["0x", "0o", "0b"].iter().any(|p| unsigned.starts_with(p));
    let float_like = unsigned
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-' | b'_'));
    if radix || float_like {
        return Err(Declined);
    }
    visitor.visit_borrowed_str(text)
}

impl<'de> Deserializer<'de> for Scalar<'de> {
    type Error = Declined;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            Scalar::Plain(text) => resolve(text, visitor),
            Scalar::Text(Cow::Borrowed(text)) => visitor.visit_borrowed_str(text),
            Scalar::Text(Cow::Owned(text)) => visitor.visit_string(text),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            Scalar::Plain(text) if is_null(text) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    // A value no one reads: any scalar will do, as serde_yaml_ng skips it.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }

    alike_in_every_value!();
}

/// A mapping's key, always a string.
pub(super) struct Key<'a>(pub Cow<'a, str>);

impl<'de> Deserializer<'de> for Key<'de> {
    type Error = Declined;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Cow::Borrowed(key) => visitor.visit_borrowed_str(key),
            Cow::Owned(key) => visitor.visit_string(key),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}
