//! Reads the YAML manifests are mostly written in straight from the text: block `key:
//! value` lines and `- item` sequences, one-line plain and quoted scalars, `|` literal
//! blocks, flow collections closed on their line (`{name: a}`, `[a, b]`), comments and
//! blank lines. A target gets what serde_yaml_ng would hand it for the same document.
//!
//! libyaml's scanner and serde_yaml_ng's buffer of events were most of a scan's parsing
//! (nearly half its CPU at 100k objects). This reader takes a subset of YAML and declines
//! the rest: anchors, aliases, tags, collections and scalars over several lines (but `|`
//! blocks), folded blocks, tabs and carriage returns, escapes and keys it does not know,
//! and scalars whose type it cannot tell for certain. A declined document is read by
//! serde_yaml_ng as before, so no document is ever read differently; it is read faster or
//! not at all.

/// What every value of this reader answers alike: a newtype is its content, an enum is
/// declined (no manifest type has one), and any other type asked for is read as what the
/// value is, as serde_yaml_ng reads it.
macro_rules! alike_in_every_value {
    () => {
        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            visitor: V,
        ) -> Result<V::Value> {
            visitor.visit_newtype_struct(self)
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _name: &'static str,
            _variants: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value> {
            Err(Declined)
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
        }
    };
}

mod flow;
mod scalar;

use flow::Flow;
use scalar::{Key, Scalar};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

/// The document is outside the YAML this reader takes, or does not fit its target: the
/// caller reads it another way (and explains an error there).
#[derive(Debug)]
pub struct Declined;

impl fmt::Display for Declined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not read as plain block YAML")
    }
}

impl std::error::Error for Declined {}

// A target's own complaint is dropped unformatted: the document is read again, and the
// other reader words the error.
impl de::Error for Declined {
    fn custom<T: fmt::Display>(_: T) -> Declined {
        Declined
    }
}

type Result<T> = std::result::Result<T, Declined>;

/// Nesting deeper than this is declined rather than risk the stack on hostile input.
const MAX_DEPTH: usize = 64;

/// libyaml's limit on a key's length.
const MAX_KEY: usize = 1024;

/// Reads a whole document (a mapping at column 0) with `decode`, which hands the
/// document's top to a target; declined unless the target read all of it.
pub fn read<'a, T>(text: &'a str, decode: impl FnOnce(Value<'_, 'a>) -> Result<T>) -> Result<T> {
    if !plain_characters(text) {
        return Err(Declined);
    }
    let mut reader = Reader {
        text,
        pos: 0,
        col: 0,
        depth: 0,
        seen: Cell::new(None),
    };
    let value = decode(reader.top())?;
    match reader.peek() {
        None => Ok(value),
        Some(_) => Err(Declined),
    }
}

/// No tabs, carriage returns or other control characters, and none of the line breaks
/// YAML 1.1 adds (NEL, LS, PS): libyaml reads or refuses those in ways not copied here.
fn plain_characters(text: &str) -> bool {
    let ascii_ok = |b: u8| b == b'\n' || (0x20..0x7f).contains(&b) || b >= 0x80;
    if !text.bytes().all(ascii_ok) {
        return false;
    }
    text.is_ascii()
        || text.chars().all(|c| {
            let u = u32::from(c);
            u < 0x80
                || !((0x80..=0x9f).contains(&u)
                    || matches!(u, 0x2028 | 0x2029 | 0xfeff | 0xfffe | 0xffff))
        })
}

/// A document's text and how far it has been read.
struct Reader<'a> {
    text: &'a str,
    /// Where reading goes on: a line's start, or just after a sequence entry's `- `.
    pos: usize,
    /// The column `pos` is at.
    col: usize,
    depth: usize,
    /// The line [`Reader::peek`] found last and where it looked from: every collection
    /// that ends at a line asks for it again, and the comment lines before it are passed
    /// over once, not once per level.
    seen: Cell<Option<(usize, usize, Option<Line<'a>>)>>,
}

/// A line with content; blank lines and comment lines are passed over.
#[derive(Clone, Copy)]
struct Line<'a> {
    /// The column of its first character.
    indent: usize,
    /// From its first character to the end of the line.
    content: &'a str,
    /// Where the line after it starts.
    next: usize,
}

impl<'a> Reader<'a> {
    /// The document itself, which must be a mapping at column 0.
    fn top(&mut self) -> Value<'_, 'a> {
        let node = match self.peek() {
            Some(line) if line.indent == 0 && entry(line.content).is_some() => Node::Map(0),
            _ => Node::Declined,
        };
        Value { reader: self, node }
    }

    /// The next line with content, from where reading is.
    fn peek(&self) -> Option<Line<'a>> {
        if let Some((pos, col, line)) = self.seen.get()
            && (pos, col) == (self.pos, self.col)
        {
            return line;
        }
        let line = self.next_line();
        self.seen.set(Some((self.pos, self.col, line)));
        line
    }

    fn next_line(&self) -> Option<Line<'a>> {
        let mut pos = self.pos;
        let mut col = self.col;
        while pos < self.text.len() {
            let rest = &self.text[pos..];
            let end = rest.find('\n').unwrap_or(rest.len());
            let line = &rest[..end];
            let content = line.trim_start_matches(' ');
            let next = pos + end + 1;
            if !content.is_empty() && !content.starts_with('#') {
                return Some(Line {
                    indent: col + line.len() - content.len(),
                    content,
                    next: next.min(self.text.len()),
                });
            }
            pos = next;
            col = 0;
        }
        None
    }

    fn advance(&mut self, next: usize) {
        self.pos = next;
        self.col = 0;
    }

    /// Continues reading at `content`, a part of the current line, at column `col`.
    fn resume_at(&mut self, content: &'a str, col: usize) {
        self.pos = content.as_ptr() as usize - self.text.as_ptr() as usize;
        self.col = col;
    }

    /// The value of a key or entry whose line held nothing more: on the lines below, more
    /// indented than `parent`, or a sequence at `parent` itself after a mapping's key
    /// (`compact`); null when neither.
    fn below(&self, parent: usize, compact: bool) -> Node<'a> {
        match self.peek() {
            Some(line) if line.indent > parent && is_item(line.content) => Node::Seq(line.indent),
            Some(line) if line.indent > parent => Node::Map(line.indent),
            Some(line) if compact && line.indent == parent && is_item(line.content) => {
                Node::Seq(parent)
            }
            _ => Node::Null,
        }
    }

    /// The value that follows a key on its line (`rest`, already past the key), in a
    /// collection at column `parent`; the reader is at the line after it.
    fn value(&mut self, rest: &'a str, parent: usize, compact: bool) -> Result<Node<'a>> {
        if rest.is_empty() || rest.starts_with('#') {
            return Ok(self.below(parent, compact));
        }
        self.inline(rest, parent)
    }

    /// A value written on its key's or entry's line.
    fn inline(&mut self, text: &'a str, parent: usize) -> Result<Node<'a>> {
        let quoted = |(text, after): (Cow<'a, str>, &str)| {
            scalar::nothing_after(after)?;
            Ok(Node::Scalar(Scalar::Text(text)))
        };
        match text.as_bytes()[0] {
            b'"' => quoted(scalar::double_quoted(text)?),
            b'\'' => quoted(scalar::single_quoted(text)?),
            b'|' => self.literal(text, parent),
            b'{' | b'[' => Ok(Node::Flow(text)),
            b'-' if text.len() == 1 || text.as_bytes()[1] == b' ' => Err(Declined),
            b if scalar::indicator(b) => Err(Declined),
            _ => {
                let plain = without_comment(text);
                if plain.contains(": ") || plain.ends_with(':') {
                    return Err(Declined);
                }
                Ok(Node::Scalar(Scalar::Plain(plain)))
            }
        }
    }

    /// A `|` block: its lines are taken now, and turned into text only if read.
    fn literal(&mut self, header: &'a str, parent: usize) -> Result<Node<'a>> {
        let chomp = match header.trim_end_matches(' ') {
            "|" => Chomp::Clip,
            "|-" => Chomp::Strip,
            "|+" => Chomp::Keep,
            _ => return Err(Declined),
        };
        let start = self.pos;
        let mut pos = start;
        let mut indent = None;
        // Where the last line with content ends, and how many blank lines follow it.
        let mut end = start;
        let mut trailing = 0;
        while pos < self.text.len() {
            let rest = &self.text[pos..];
            let len = rest.find('\n');
            let line = &rest[..len.unwrap_or(rest.len())];
            let spaces = line.len() - line.trim_start_matches(' ').len();
            let blank = spaces == line.len();
            let Some(len) = len else {
                // A last line without its line break ends the block if it is less
                // indented; libyaml's chomping of one inside the block is not copied.
                if indent.is_some_and(|n| !blank && spaces < n) {
                    break;
                }
                return Err(Declined);
            };
            match indent {
                None if blank => return Err(Declined),
                None if spaces <= parent => return Err(Declined),
                None => indent = Some(spaces),
                Some(n) if blank && spaces > n => return Err(Declined),
                Some(n) if !blank && spaces < n => break,
                Some(_) => {}
            }
            pos += len + 1;
            if blank {
                trailing += 1;
            } else {
                end = pos;
                trailing = 0;
            }
        }
        let indent = indent.ok_or(Declined)?;
        self.advance(pos);
        Ok(Node::Literal(Literal {
            body: &self.text[start..end],
            indent,
            chomp,
            trailing,
        }))
    }
}

/// How a `|` block ends: one line break, none, or all of them.
#[derive(Clone, Copy, Debug)]
enum Chomp {
    Clip,
    Strip,
    Keep,
}

/// A `|` block's lines, from its first line with content to its last, each ending in a
/// line break; `trailing` blank lines follow.
#[derive(Clone, Copy, Debug)]
struct Literal<'a> {
    body: &'a str,
    indent: usize,
    chomp: Chomp,
    trailing: usize,
}

impl Literal<'_> {
    fn text(&self) -> String {
        let mut text = String::with_capacity(self.body.len());
        for line in self.body.split_inclusive('\n') {
            // Blank lines inside the block may be shorter than its indentation.
            text.push_str(if line.len() > self.indent {
                &line[self.indent..]
            } else {
                "\n"
            });
        }
        match self.chomp {
            Chomp::Clip => {}
            Chomp::Strip => {
                text.pop();
            }
            Chomp::Keep => text.extend(std::iter::repeat_n('\n', self.trailing)),
        }
        text
    }
}

/// A line that starts a sequence's entry.
fn is_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

/// `key: rest` or `key:`, for a key of the plain words manifests use; `rest` without the
/// spaces before it.
fn entry(content: &str) -> Option<(&str, &str)> {
    let end = content.bytes().position(|b| !scalar::key_byte(b))?;
    let rest = content[end..].strip_prefix(':')?;
    if end == 0 || !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((&content[..end], rest.trim_start_matches(' ')))
}

/// A plain scalar's text, without a comment after it and the spaces before that.
fn without_comment(text: &str) -> &str {
    let text = match text.find(" #") {
        Some(i) => &text[..i],
        None => text,
    };
    text.trim_end_matches(' ')
}

/// What a value turned out to be, before its target asks for it.
#[derive(Debug)]
enum Node<'a> {
    Null,
    Scalar(Scalar<'a>),
    /// A `|` block, turned into text only if read.
    Literal(Literal<'a>),
    /// A flow collection from its bracket to the end of the line.
    Flow(&'a str),
    /// A block mapping whose keys are at this column, from the reader's position.
    Map(usize),
    /// A block sequence whose `- ` are at this column.
    Seq(usize),
    /// Not something this reader takes.
    Declined,
}

/// One value of the document, for its target to read.
pub struct Value<'r, 'a> {
    reader: &'r mut Reader<'a>,
    node: Node<'a>,
}

impl<'a> Value<'_, 'a> {
    fn nested<T>(self, read: impl FnOnce(&mut Reader<'a>) -> Result<T>) -> Result<T> {
        if self.reader.depth >= MAX_DEPTH {
            return Err(Declined);
        }
        self.reader.depth += 1;
        let out = read(self.reader);
        self.reader.depth -= 1;
        out
    }
}

impl<'de> Deserializer<'de> for Value<'_, 'de> {
    type Error = Declined;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.node {
            Node::Null => visitor.visit_unit(),
            Node::Scalar(scalar) => scalar.deserialize_any(visitor),
            Node::Literal(literal) => visitor.visit_string(literal.text()),
            Node::Flow(text) => {
                Flow::new(text, self.reader.depth).read(|v| v.deserialize_any(visitor))
            }
            Node::Map(indent) => self.nested(|reader| {
                let mut entries = Entries {
                    reader,
                    indent,
                    value: None,
                };
                visitor.visit_map(&mut entries)
            }),
            Node::Seq(indent) => self.nested(|reader| {
                let mut items = Items { reader, indent };
                visitor.visit_seq(&mut items)
            }),
            Node::Declined => Err(Declined),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.node {
            Node::Null => visitor.visit_none(),
            Node::Scalar(scalar) => scalar.deserialize_option(visitor),
            _ => visitor.visit_some(self),
        }
    }

    // A value no one reads: any scalar will do, as serde_yaml_ng skips it.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.node {
            Node::Scalar(_) | Node::Literal(_) => visitor.visit_unit(),
            Node::Flow(text) => {
                Flow::new(text, self.reader.depth).read(|v| v.deserialize_ignored_any(visitor))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    alike_in_every_value!();
}

/// A block mapping's entries, each on a line at `indent`.
struct Entries<'r, 'a> {
    reader: &'r mut Reader<'a>,
    indent: usize,
    /// The value of the key just read.
    value: Option<Node<'a>>,
}

impl<'de> MapAccess<'de> for &mut Entries<'_, 'de> {
    type Error = Declined;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let Some(line) = self.reader.peek() else {
            return Ok(None);
        };
        if line.indent < self.indent {
            return Ok(None);
        }
        // Deeper lines here continue a scalar over lines; a sequence at the keys' column
        // was read as the previous key's value, so one here follows a scalar.
        if line.indent > self.indent || is_item(line.content) {
            return Err(Declined);
        }
        let (key, rest) = entry(line.content).ok_or(Declined)?;
        if !scalar::plain_key(key) {
            return Err(Declined);
        }
        self.reader.advance(line.next);
        self.value = Some(self.reader.value(rest, self.indent, true)?);
        seed.deserialize(Key(Cow::Borrowed(key))).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value> {
        let node = self.value.take().ok_or(Declined)?;
        seed.deserialize(Value {
            reader: self.reader,
            node,
        })
    }
}

/// A block sequence's entries, each after a `- ` at `indent`.
struct Items<'r, 'a> {
    reader: &'r mut Reader<'a>,
    indent: usize,
}

impl<'de> SeqAccess<'de> for &mut Items<'_, 'de> {
    type Error = Declined;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        let Some(line) = self.reader.peek() else {
            return Ok(None);
        };
        if line.indent < self.indent || (line.indent == self.indent && !is_item(line.content)) {
            return Ok(None);
        }
        if line.indent > self.indent {
            return Err(Declined);
        }
        let rest = line.content[1..].trim_start_matches(' ');
        let col = line.indent + line.content.len() - rest.len();
        let node = if rest.is_empty() || rest.starts_with('#') {
            self.reader.advance(line.next);
            self.reader.below(self.indent, false)
        } else if is_item(rest) {
            return Err(Declined);
        } else if entry(rest).is_some() {
            // `- key: value`: a mapping whose keys sit at the first key's column.
            self.reader.resume_at(rest, col);
            Node::Map(col)
        } else {
            self.reader.advance(line.next);
            self.reader.inline(rest, self.indent)?
        };
        seed.deserialize(Value {
            reader: self.reader,
            node,
        })
        .map(Some)
    }
}

#[cfg(test)]
mod tests;
