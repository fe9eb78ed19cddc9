//! The items of a `List` document cut from its text, each to be read as a document of its
//! own. `kubectl get -o yaml` writes a whole cluster as one `List`: read as one value tree
//! it is held several times over (the tree, then every object made from it, before the
//! tree is dropped), where its items read one at a time go straight into their types and
//! are held once.
//!
//! Only the block layout serializers write is cut: `items:` at the top level followed by a
//! block sequence of mappings, every line of an item indented to its first key or blank,
//! comments aside. Anything else — flow style, an item that starts on the line after its
//! dash, a tab, anchors and aliases (an alias may name an anchor in another item) — is
//! `None`, and the list is read whole as before.

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
            if i == 0 {
                out.push_str(line);
            } else if line.trim().is_empty() || is_comment_outside(line, self.indent) {
                // Blank lines are kept (a block scalar counts them); comments set further
                // left than the item belong to no value.
                out.push_str(if line.ends_with('\n') { "\n" } else { "" });
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
        matches!(w[0], b' ' | b'[' | b'{' | b',' | b'\n')
            && matches!(w[1], b'&' | b'*')
            && (w[2].is_ascii_alphanumeric() || matches!(w[2], b'_' | b'-' | b'.'))
    })
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
    if text.contains('\t') || may_alias(text) {
        return None;
    }
    let mut items: Vec<Item> = Vec::new();
    let mut seen_items_key = false;
    // The column of the sequence's dashes, while in it (`Some(None)` until the first).
    let mut sequence: Option<Option<usize>> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let bare = line.trim_end_matches(['\n', '\r']);
        let indent = indent_of(bare);
        let rest = &bare[indent..];
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
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
                "apiVersion: v1\nkind: ConfigMap\ndata:\n  script: |\n    one\n\n    # not a comment\n# a comment\nmetadata:\n  name: a\n\n",
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
            // `items` twice, or quoted.
            "kind: List\nitems:\n- kind: Namespace\nitems:\n- kind: Namespace\n",
            "kind: List\n\"items\":\n- kind: Namespace\n",
        ] {
            assert_eq!(split(text), None, "{text}");
        }
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
