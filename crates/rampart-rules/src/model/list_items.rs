//! The items of a `List` document cut from its text, each to be read as a document of its
//! own. `kubectl get -o yaml` writes a whole cluster as one `List`: read as one value tree
//! it is held several times over (the tree, then every object made from it, before the
//! tree is dropped), where its items read one at a time go straight into their types and
//! are held once.
//!
//! Only the block layout serializers write is cut: `items:` at the top level followed by a
//! block sequence of mappings, every line of an item indented to its first key or blank,
//! comments aside, and every line but a block scalar's closing the quotes and brackets
//! that start its values. Anything else — flow style, an item that starts on the line after its dash, a
//! quoted or flow value that goes on to the next line (libyaml does not hold its lines to
//! the indentation), tabs, line breaks other than `\n` and `\r\n`, anchors and aliases (an
//! alias may name an anchor in another item) — is `None`, and the list is read whole as
//! before.

use std::ops::Range;

/// One item of a list: where its text is in the document, and how far it is indented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The item's lines, its first line from its first key (after the dash).
    pub text: Range<usize>,
    /// The column of its first key, where every other line of the item starts too.
    pub indent: usize,
}

impl Item {
    /// The item as a document: its lines without the list's indentation.
    pub fn document(&self, list: &str) -> String {
        let text = &list[self.text.clone()];
        let mut out = String::with_capacity(text.len());
        for (i, line) in text.split_inclusive('\n').enumerate() {
            let spaces = indent_of(line);
            let blank = line[spaces..].trim_start_matches(['\r', '\n']).is_empty();
            if i == 0 {
                out.push_str(line);
            } else if blank {
                // Kept, and what spaces it has beyond the item's indentation (a literal
                // block scalar counts them).
                out.push_str(&line[spaces.min(self.indent)..]);
            } else if is_comment_outside(line, self.indent) {
                // A comment further left than the item belongs to no value; at the
                // document's left edge it ends a block scalar as it did in the list.
                out.push_str(&line[spaces..]);
            } else {
                out.push_str(&line[self.indent..]);
            }
        }
        out
    }
}

/// Leading spaces of `line`.
fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Whether `line` is a comment that starts left of column `indent`: no value's text can
/// (a block scalar's lines are indented further than its key).
fn is_comment_outside(line: &str, indent: usize) -> bool {
    let at = indent_of(line);
    at < indent && line[at..].starts_with('#')
}

/// Whether the text may hold an anchor or an alias: `&name` or `*name` where a value or
/// an item starts. Quoted `'*'` and text inside plain words do not count; a false alarm
/// only reads the list whole.
fn may_alias(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(3).any(|w| {
        matches!(w[0], b' ' | b'[' | b'{' | b',' | b':' | b'\n')
            && matches!(w[1], b'&' | b'*')
            && (w[2].is_ascii_alphanumeric() || matches!(w[2], b'_' | b'-' | b'.'))
    })
}

/// Whether the text breaks lines other than with `\n` or `\r\n`, which libyaml also reads
/// as line breaks (a lone `\r`, NEL, the Unicode line and paragraph separators).
fn has_other_line_breaks(text: &str) -> bool {
    text.contains(['\u{85}', '\u{2028}', '\u{2029}'])
        || text
            .as_bytes()
            .iter()
            .enumerate()
            .any(|(i, b)| *b == b'\r' && text.as_bytes().get(i + 1) != Some(&b'\n'))
}

/// How a line's value ends.
#[derive(Debug, PartialEq, Eq)]
enum LineEnd {
    /// Every quote and bracket it opens, it closes.
    Closed,
    /// A block scalar (`|`, `>-`, ...) starts after it; its text is indented past the
    /// column this far into the line (the key's, or a bare `- |`'s dash).
    BlockScalar(usize),
    /// A quoted or flow value goes on to the next line, or may: read whole.
    Open,
}

/// Whether a quote or bracket at `i` starts a value rather than sitting inside a plain
/// one (`don't`, `a[0]`): at the line's start, after `- `, `? ` or `: `, after a tag, and
/// inside brackets after `[`, `{`, `,` or `:`.
fn starts_value(bytes: &[u8], i: usize, in_flow: bool) -> bool {
    let before = &bytes[..i];
    let trimmed = before.trim_ascii_end();
    let spaced = trimmed.len() < before.len();
    let Some(&previous) = trimmed.last() else {
        return true;
    };
    let token = trimmed.rsplit(|b| *b == b' ').next().unwrap_or(trimmed);
    match previous {
        b'[' | b'{' | b',' => in_flow,
        b':' => spaced || in_flow,
        b'-' | b'?' => spaced && token.len() == 1,
        _ => spaced && token.first() == Some(&b'!'),
    }
}

/// How `rest` (a line from its first character, its indentation left out) ends: quotes and
/// brackets that start values, followed to their ends, up to a comment.
fn line_end(rest: &str) -> LineEnd {
    // Bytes, not characters: every byte that matters is ASCII, and no byte of a longer
    // UTF-8 character is.
    let bytes = rest.as_bytes();
    if !bytes
        .iter()
        .any(|b| matches!(b, b'"' | b'\'' | b'[' | b'{' | b'#' | b'|' | b'>'))
    {
        return LineEnd::Closed;
    }
    let mut depth = 0usize;
    let mut quote = None;
    let mut escaped = false;
    let mut end = rest.len();
    for (i, &c) in bytes.iter().enumerate() {
        match quote {
            // The byte after `\` in double quotes, the second of `''` in single ones.
            Some(_) if escaped => escaped = false,
            Some(b'"') if c == b'\\' => escaped = true,
            Some(b'\'') if c == b'\'' && bytes.get(i + 1) == Some(&b'\'') => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'"' | b'\'' if starts_value(bytes, i, depth > 0) => quote = Some(c),
                b'[' | b'{' if depth > 0 || starts_value(bytes, i, false) => depth += 1,
                b']' | b'}' if depth > 0 => depth -= 1,
                b'#' if i == 0 || bytes[i - 1] == b' ' => {
                    end = i;
                    break;
                }
                _ => {}
            },
        }
    }
    if quote.is_some() || depth != 0 {
        return LineEnd::Open;
    }
    let value = rest[..end].trim_end();
    // A lone `|` (its key on the line before) is checked as any other line too.
    let Some((before, last)) = value.rsplit_once(' ') else {
        return LineEnd::Closed;
    };
    let block = last.starts_with(['|', '>'])
        && last[1..]
            .bytes()
            .all(|b| matches!(b, b'+' | b'-' | b'1'..=b'9'));
    if !block {
        return LineEnd::Closed;
    }
    // The column the block's text is indented past: its key's, after the dashes of the
    // sequences it is in; a bare `- |`'s dash.
    let mut key = rest;
    while let Some(after) = key.strip_prefix("- ") {
        key = after.trim_start_matches(' ');
    }
    if before.trim_end() == "-" {
        LineEnd::BlockScalar(0)
    } else if before.ends_with(':') {
        LineEnd::BlockScalar(rest.len() - key.len())
    } else {
        // A plain value that ends in `|`, or a block after a tag: its lines, if any, are
        // then checked as any other (a quote in them only reads the list whole).
        LineEnd::Closed
    }
}

/// Whether a top-level line is a plain key and its colon (`kind: List`, `metadata:`).
fn is_plain_key(line: &str) -> bool {
    let key = line
        .split_once(':')
        .map(|(key, _)| key)
        .filter(|key| !key.is_empty());
    key.is_some_and(|key| {
        key.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'))
    })
}

/// The items of a `List` document laid out in block style (see the module doc), in order;
/// `None` when the document is laid out any other way.
pub fn split(text: &str) -> Option<Vec<Item>> {
    if text.contains('\t') || has_other_line_breaks(text) || may_alias(text) {
        return None;
    }
    let mut items: Vec<Item> = Vec::new();
    let mut seen_items_key = false;
    // The column of the sequence's dashes, while in it (`Some(None)` until the first).
    let mut sequence: Option<Option<usize>> = None;
    // The indentation of the line a block scalar started after, while in its text.
    let mut block: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let bare = line.trim_end_matches(['\n', '\r']);
        let indent = indent_of(bare);
        let rest = &bare[indent..];
        // Blank lines, a block scalar's text and comments as far in as the item are the
        // item's (its last one's too); comments further left are nobody's.
        let in_block = block.is_some_and(|parent| rest.is_empty() || indent > parent);
        let comment = !in_block && rest.starts_with('#');
        if comment {
            // Further left than a block scalar's text: it ended.
            block = None;
        }
        if in_block || rest.is_empty() || comment {
            if let Some(last) = items.last_mut().filter(|_| sequence.is_some())
                && (!comment || indent >= last.indent)
            {
                last.text.end = offset;
            }
            continue;
        }
        block = match line_end(rest) {
            LineEnd::Open => return None,
            LineEnd::BlockScalar(key) => Some(indent + key),
            LineEnd::Closed => None,
        };
        if let Some(dashes) = sequence {
            let starts_item = rest == "-" || rest.starts_with("- ");
            let column = match dashes {
                Some(column) => column,
                // `items:` with no sequence after it: read whole.
                None if !starts_item => return None,
                None => {
                    sequence = Some(Some(indent));
                    indent
                }
            };
            if starts_item && indent == column {
                let after = &rest[1..];
                let key = after.trim_start_matches(' ');
                // An item on the lines after its dash, a nested sequence, a flow mapping, a
                // quoted key or a tagged value: read whole.
                if key.is_empty() || !is_plain_key(key) {
                    return None;
                }
                let at = indent + 1 + (after.len() - key.len());
                if let Some(last) = items.last_mut() {
                    last.text.end = start;
                }
                items.push(Item {
                    text: start + at..offset,
                    indent: at,
                });
                continue;
            }
            if let Some(last) = items.last_mut()
                && indent >= last.indent
            {
                last.text.end = offset;
                continue;
            }
            if indent > 0 {
                return None;
            }
            // The next top-level key: the sequence has ended.
            sequence = None;
        }
        if indent > 0 {
            // A value of another top-level key (`metadata:`).
            continue;
        }
        if !is_plain_key(rest) {
            return None;
        }
        if rest.starts_with("items:") {
            if seen_items_key || rest.trim_end() != "items:" {
                return None;
            }
            seen_items_key = true;
            sequence = Some(None);
        }
    }
    (!items.is_empty()).then_some(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn documents(text: &str) -> Option<Vec<String>> {
        Some(split(text)?.iter().map(|i| i.document(text)).collect())
    }

    #[test]
    fn cuts_the_items_kubectl_writes_into_documents() {
        let text = "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  data:\n    script: |\n      one\n\n      # not a comment\n  # a comment\n  metadata:\n    name: a\n# between items\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: b}\nkind: List\nmetadata:\n  resourceVersion: \"\"\n";
        assert_eq!(
            documents(text).expect("cut"),
            [
                "apiVersion: v1\nkind: ConfigMap\ndata:\n  script: |\n    one\n\n    # not a comment\n# a comment\nmetadata:\n  name: a\n# between items\n",
                "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
            ]
        );
    }

    #[test]
    fn cuts_an_indented_sequence_and_dashes_followed_by_more_spaces() {
        let text = "kind: List\nitems:\n  -   kind: Namespace\n      metadata:\n        name: a\n  - kind: Namespace\n    metadata: {name: b}\napiVersion: v1\n";
        assert_eq!(
            documents(text).expect("cut"),
            [
                "kind: Namespace\nmetadata:\n  name: a\n",
                "kind: Namespace\nmetadata: {name: b}\n"
            ]
        );
    }

    #[test]
    fn leaves_every_other_layout_to_the_value_tree() {
        for text in [
            // Flow style, an empty list, no items.
            "kind: List\nitems: [{kind: Namespace}]\n",
            "kind: List\nitems: []\n",
            "kind: List\nitems:\nmetadata: {}\n",
            "kind: List\n",
            // An item on the line after its dash, a nested sequence, a flow item, a scalar.
            "kind: List\nitems:\n-\n  kind: Namespace\n",
            "kind: List\nitems:\n- - a\n",
            "kind: List\nitems:\n- {kind: Namespace}\n",
            "kind: List\nitems:\n- just text\n",
            // A line further left than its item, a tab, an anchor and its alias.
            "kind: List\nitems:\n  - kind: Namespace\n metadata: {}\n",
            "kind: List\nitems:\n- kind: Namespace\n\tmetadata: {}\n",
            "kind: List\nitems:\n- kind: Role\n  rules: &r []\n- kind: Role\n  rules: *r\n",
            // A quoted or flow value that goes on to the next line, further left than
            // its item (libyaml allows it) or not.
            "kind: List\nitems:\n- kind: Namespace\n  metadata: {name: \"a\n#b\"}\n",
            "kind: List\nitems:\n- kind: Role\n  rules: [\nc: d]\n",
            "kind: List\nitems:\n- kind: Namespace\n  note: 'it''s\n   more'\n",
            // Line breaks libyaml reads and the cut would not, an alias right after a colon.
            "kind: List\nitems:\n- kind: Namespace\r  metadata: {}\n",
            "kind: List\nitems:\n- kind: Namespace\u{2028}  metadata: {}\n",
            "kind: List\nitems:\n- kind: Role\n  rules: {\"a\":*x}\n",
            // `items` twice, or quoted.
            "kind: List\nitems:\n- kind: Namespace\nitems:\n- kind: Namespace\n",
            "kind: List\n\"items\":\n- kind: Namespace\n",
        ] {
            assert_eq!(split(text), None, "{text}");
        }
    }

    #[test]
    fn the_last_item_keeps_its_block_scalar_to_its_last_line() {
        let text = "kind: List\nitems:\n- kind: ConfigMap\n  data:\n    run: |+\n      echo hi\n      # done\n        \n\n- kind: ConfigMap\n  data:\n    run: |\n      echo bye\n      # done\n# the end\nmetadata: {}\n";
        assert_eq!(
            documents(text).expect("cut"),
            [
                "kind: ConfigMap\ndata:\n  run: |+\n    echo hi\n    # done\n      \n\n",
                "kind: ConfigMap\ndata:\n  run: |\n    echo bye\n    # done\n",
            ]
        );
    }

    #[test]
    fn a_line_ends_closed_open_or_before_a_block_scalar() {
        for (line, end) in [
            ("key: |", LineEnd::BlockScalar(0)),
            ("key: >-  # folded", LineEnd::BlockScalar(0)),
            ("- |2", LineEnd::BlockScalar(0)),
            ("- key: |", LineEnd::BlockScalar(2)),
            ("-   - k: |", LineEnd::BlockScalar(6)),
            ("key: a |", LineEnd::Closed),
            ("key: \"a # b\" # c", LineEnd::Closed),
            ("key: 'it''s'", LineEnd::Closed),
            ("key: {a: [b, c]}", LineEnd::Closed),
            ("key: \"x\\\"y\"", LineEnd::Closed),
            // Quotes and brackets inside plain words open nothing.
            ("key: don't", LineEnd::Closed),
            ("name: a[0] and b{", LineEnd::Closed),
            ("it's: 'x", LineEnd::Open),
            ("a]: [x", LineEnd::Open),
            ("- 'x", LineEnd::Open),
            ("key: !!str \"a", LineEnd::Open),
            ("{\"a\":\"b", LineEnd::Open),
            ("key: [a, b", LineEnd::Open),
            ("key: \"x\\\"", LineEnd::Open),
        ] {
            assert_eq!(line_end(line), end, "{line}");
        }
    }

    #[test]
    fn a_block_after_a_nested_key_and_a_comment_ending_a_block_keep_their_meaning() {
        // The block's text must pass the nested key, not its dash: the quote left open
        // at the key's column is a value's, and the list is read whole.
        let nested = "kind: List\nitems:\n- kind: ConfigMap\n  list:\n  - k: |\n    x: \"z\n- kind: Secret\n  metadata: {name: ghost} # \"\n";
        assert_eq!(split(nested), None);
        // A comment further left than the block ends it, in the item as in the list.
        let text = "kind: List\nitems:\n- kind: ConfigMap\n  data:\n    run: |+\n      echo hi\n# the end\n\nmetadata: {}\n";
        assert_eq!(
            documents(text).expect("cut"),
            ["kind: ConfigMap\ndata:\n  run: |+\n    echo hi\n# the end\n\n"]
        );
        // Plain words with quotes and brackets no longer read the list whole.
        let plain = "kind: List\nitems:\n- kind: Namespace\n  metadata:\n    name: a\n    labels: {note: don't}\n  description: it's a[0]\n";
        assert!(split(plain).is_some());
    }

    #[test]
    fn quoted_stars_and_ampersands_inside_words_are_not_aliases() {
        assert!(!may_alias(
            "verbs: ['*']\nresources: [\"*\"]\nargs: [a&&b, x*y]\n"
        ));
        assert!(may_alias("rules: *r\n"));
        assert!(may_alias("- &anchor\n"));
    }
}
