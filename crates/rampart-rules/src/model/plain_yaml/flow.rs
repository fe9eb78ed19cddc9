//! Flow collections closed on their line: `{name: a, labels: {app: web}}`, `[a, "b"]`.

use super::scalar::{self, Key, Scalar};
use super::{Declined, MAX_DEPTH, MAX_KEY, Result};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;

/// What is left of the line to read, and how deep reading is.
pub(super) struct Flow<'a> {
    rest: &'a str,
    depth: usize,
}

impl<'a> Flow<'a> {
    /// A collection starting at `text`'s `{` or `[`, nested `depth` deep already.
    pub(super) fn new(text: &'a str, depth: usize) -> Flow<'a> {
        Flow { rest: text, depth }
    }

    /// Reads the collection with `read`; fails unless only spaces and a comment follow it.
    pub(super) fn read<T>(
        mut self,
        read: impl FnOnce(FlowValue<'_, 'a>) -> Result<T>,
    ) -> Result<T> {
        let value = read(FlowValue(&mut self))?;
        scalar::nothing_after(self.rest)?;
        Ok(value)
    }

    fn skip_spaces(&mut self) {
        self.rest = self.rest.trim_start_matches(' ');
    }

    fn eat(&mut self, b: u8) -> bool {
        let found = self.rest.as_bytes().first() == Some(&b);
        if found {
            self.rest = &self.rest[1..];
        }
        found
    }

    fn at(&self, b: u8) -> bool {
        self.rest.as_bytes().first() == Some(&b)
    }

    /// A scalar: quoted, or plain up to the next `,`, `]` or `}`.
    fn scalar(&mut self) -> Result<Scalar<'a>> {
        match self.rest.as_bytes().first() {
            Some(b'"') => {
                let (text, rest) = scalar::double_quoted(self.rest)?;
                self.rest = rest;
                Ok(Scalar::Text(text))
            }
            Some(b'\'') => {
                let (text, rest) = scalar::single_quoted(self.rest)?;
                self.rest = rest;
                Ok(Scalar::Text(text))
            }
            Some(&b) if !scalar::indicator(b) => {
                // Flow indicators end a plain scalar here; an opening bracket in one is
                // an error libyaml reports.
                let end = self.rest.find([',', ']', '}', '[', '{']).ok_or(Declined)?;
                if matches!(self.rest.as_bytes()[end], b'[' | b'{') {
                    return Err(Declined);
                }
                let text = self.rest[..end].trim_end_matches(' ');
                // `: ` makes a pair of a mapping inside a sequence, and libyaml refuses a
                // `:` before other indicators: only `:` within a word (`nginx:1.27`,
                // `unix:/run`) is taken. ` #` starts a comment; `-` alone or before a space
                // is an entry of a block sequence.
                let odd = text.is_empty()
                    || text.match_indices(':').any(|(i, _)| {
                        !text
                            .as_bytes()
                            .get(i + 1)
                            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'/')
                    })
                    || text.contains(" #")
                    || (b == b'-' && (text.len() == 1 || text.as_bytes()[1] == b' '));
                if odd {
                    return Err(Declined);
                }
                self.rest = &self.rest[end..];
                Ok(Scalar::Plain(text))
            }
            _ => Err(Declined),
        }
    }

    /// A key, quoted or a plain word, and its `: `.
    fn key(&mut self) -> Result<Cow<'a, str>> {
        let key = match self.rest.as_bytes().first() {
            Some(b'"' | b'\'') => {
                let before = self.rest.len();
                let key = match self.scalar()? {
                    Scalar::Text(key) => key,
                    Scalar::Plain(_) => return Err(Declined),
                };
                // libyaml gives up a key whose text, quotes included, runs past its limit.
                if before - self.rest.len() > MAX_KEY {
                    return Err(Declined);
                }
                key
            }
            _ => {
                let end = self
                    .rest
                    .bytes()
                    .position(|b| !scalar::key_byte(b))
                    .ok_or(Declined)?;
                let key = &self.rest[..end];
                if !scalar::plain_key(key) {
                    return Err(Declined);
                }
                self.rest = &self.rest[end..];
                Cow::Borrowed(key)
            }
        };
        if !self.rest.starts_with(": ") {
            return Err(Declined);
        }
        self.rest = &self.rest[2..];
        Ok(key)
    }

    /// Past the `,` between entries, or at the closing `close` (which is taken): whether
    /// another entry follows.
    fn next_entry(&mut self, close: u8, first: bool) -> Result<bool> {
        self.skip_spaces();
        if self.eat(close) {
            return Ok(false);
        }
        if !first && !self.eat(b',') {
            return Err(Declined);
        }
        self.skip_spaces();
        // A trailing comma, or a comma with nothing before it.
        if self.at(close) || self.at(b',') {
            return Err(Declined);
        }
        Ok(true)
    }
}

/// The value at the flow's position.
pub(super) struct FlowValue<'r, 'a>(&'r mut Flow<'a>);

impl<'a> FlowValue<'_, 'a> {
    fn collection(&self) -> Option<bool> {
        match self.0.rest.as_bytes().first() {
            Some(b'{') => Some(true),
            Some(b'[') => Some(false),
            _ => None,
        }
    }
}

impl<'de> Deserializer<'de> for FlowValue<'_, 'de> {
    type Error = Declined;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.0.skip_spaces();
        let Some(map) = self.collection() else {
            return self.0.scalar()?.deserialize_any(visitor);
        };
        if self.0.depth >= MAX_DEPTH {
            return Err(Declined);
        }
        self.0.rest = &self.0.rest[1..];
        self.0.depth += 1;
        let mut entries = Entries {
            flow: self.0,
            first: true,
        };
        let value = if map {
            visitor.visit_map(&mut entries)
        } else {
            visitor.visit_seq(&mut entries)
        };
        entries.flow.depth -= 1;
        value
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.0.skip_spaces();
        if self.collection().is_some() {
            return visitor.visit_some(self);
        }
        self.0.scalar()?.deserialize_option(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.0.skip_spaces();
        if self.collection().is_some() {
            return self.deserialize_any(visitor);
        }
        self.0.scalar()?.deserialize_ignored_any(visitor)
    }

    alike_in_every_value!();
}

/// The entries of a mapping or the items of a sequence, up to its closing bracket.
struct Entries<'r, 'a> {
    flow: &'r mut Flow<'a>,
    first: bool,
}

impl Entries<'_, '_> {
    fn more(&mut self, close: u8) -> Result<bool> {
        let first = std::mem::replace(&mut self.first, false);
        self.flow.next_entry(close, first)
    }
}

impl<'de> MapAccess<'de> for &mut Entries<'_, 'de> {
    type Error = Declined;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if !self.more(b'}')? {
            return Ok(None);
        }
        let key = self.flow.key()?;
        seed.deserialize(Key(key)).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value> {
        seed.deserialize(FlowValue(self.flow))
    }
}

impl<'de> SeqAccess<'de> for &mut Entries<'_, 'de> {
    type Error = Declined;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if !self.more(b']')? {
            return Ok(None);
        }
        seed.deserialize(FlowValue(self.flow)).map(Some)
    }
}
