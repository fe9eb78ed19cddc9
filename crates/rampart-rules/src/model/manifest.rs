//! Turns manifest text (YAML, multi-document YAML, JSON, `List` kinds) into objects.
//! Pure: the caller reads files; this module reports problems per document and never
//! stops at the first one.

use crate::model::exception::{self, Exception};
use crate::model::identity::Source;
use crate::model::json_documents;
use crate::model::kinds;
use crate::model::list_items;
use crate::model::object::{self, Decoded, Object};
use crate::model::plain_yaml;
use crate::model::yaml_as_json::decode_document;
use std::collections::BTreeMap;

/// A document that could not be read, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ManifestError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// What a batch of manifest text yielded.
#[derive(Debug, Default)]
pub struct Parsed {
    pub objects: Vec<(Object, Source)>,
    /// `PostureException` and `ClusterPostureException` documents: read, not scanned.
    pub exceptions: Vec<(Exception, Source)>,
    /// Kinds Rampart does not read, counted.
    pub unknown_kinds: BTreeMap<String, usize>,
    pub errors: Vec<ManifestError>,
}

impl Parsed {
    pub fn merge(&mut self, other: Parsed) {
        self.objects.extend(other.objects);
        self.exceptions.extend(other.exceptions);
        for (k, n) in other.unknown_kinds {
            *self.unknown_kinds.entry(k).or_default() += n;
        }
        self.errors.extend(other.errors);
    }
}

/// Where kubectl puts namespaced objects that name no namespace, when not told otherwise.
pub const DEFAULT_NAMESPACE: &str = "default";

/// What placing a manifest's objects in a namespace changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Placement {
    /// Namespaced objects that named no namespace and now live in the one given.
    pub defaulted: usize,
    /// Cluster-scoped objects that named a namespace, which was dropped: where each is,
    /// and what was dropped.
    pub ignored: Vec<ManifestError>,
}

impl Placement {
    /// Adds what placing another batch changed.
    pub fn absorb(&mut self, other: Placement) {
        self.defaulted += other.defaulted;
        self.ignored.extend(other.ignored);
    }
}

impl Parsed {
    /// Places the objects as `kubectl apply --namespace NAMESPACE` would: a namespaced
    /// object without `metadata.namespace` goes into `namespace`; a cluster-scoped object
    /// loses the namespace it names, which the API server would ignore too. Objects that
    /// name their namespace keep it.
    pub fn place(&mut self, namespace: &str) -> Placement {
        let mut placement = Placement::default();
        for (e, _) in &mut self.exceptions {
            if e.place(namespace) {
                placement.defaulted += 1;
            }
        }
        for (object, source) in &mut self.objects {
            let kind = object.kind();
            let Some(info) = kinds::info(kind) else {
                continue;
            };
            let Some(meta) = object.metadata_mut() else {
                continue;
            };
            let named = meta.namespace().filter(|ns| !ns.is_empty());
            match (info.namespaced, named) {
                (true, None) => {
                    meta.set_namespace(Some(namespace));
                    placement.defaulted += 1;
                }
                (false, Some(ns)) => {
                    placement.ignored.push(ManifestError {
                        file: source.file.clone(),
                        line: source.line,
                        message: format!(
                            "{kind} {} names namespace {ns:?}, which is ignored: {kind} is \
                             cluster-scoped",
                            meta.name()
                        ),
                    });
                    meta.set_namespace(None);
                }
                _ => {}
            }
        }
        placement
    }
}

/// One YAML document of a stream, with the line its text starts on.
struct Chunk<'a> {
    text: &'a str,
    line: usize,
}

/// Splits a YAML stream at `---` document markers (and `...` ends), keeping line numbers,
/// so that each document parses on its own and one bad document does not hide the rest.
fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1usize;
    let mut offset = 0usize;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_end_matches(['\n', '\r']);
        let is_marker = trimmed == "---"
            || trimmed.starts_with("--- ")
            || trimmed.starts_with("---\t")
            || trimmed == "...";
        if is_marker {
            chunks.push(Chunk {
                text: &text[start..offset],
                line: start_line,
            });
            // `--- {inline: doc}` keeps content after the marker on the same line.
            let after = if trimmed.starts_with("---") && trimmed.len() > 3 {
                offset + 4
            } else {
                offset + line.len()
            };
            start = after.min(text.len());
            start_line = if after == offset + line.len() {
                i + 2
            } else {
                i + 1
            };
        }
        offset += line.len();
    }
    chunks.push(Chunk {
        text: &text[start..],
        line: start_line,
    });
    chunks
}

/// Line of the first non-blank, non-comment line of a chunk, which is where the object starts.
fn content_line(chunk: &Chunk<'_>) -> usize {
    chunk
        .text
        .lines()
        .position(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .map_or(chunk.line, |p| chunk.line + p)
}

/// `kind` and `apiVersion` of a document, from its top-level lines, when each is there
/// once as a plain word; `None` sends the document through a value tree instead.
fn head(text: &str) -> Option<(&str, &str)> {
    let mut kind = None;
    let mut api_version = None;
    for line in text.lines() {
        let (slot, rest) = if let Some(rest) = line.strip_prefix("kind:") {
            (&mut kind, rest)
        } else if let Some(rest) = line.strip_prefix("apiVersion:") {
            (&mut api_version, rest)
        } else {
            continue;
        };
        if slot.replace(plain_word(rest)?).is_some() {
            return None;
        }
    }
    Some((kind?, api_version?))
}

/// The value after a key, when it is a plain word (`v1`, `apps/v1`, `Pod`) and nothing
/// else: no quotes, tags, anchors or comments.
fn plain_word(rest: &str) -> Option<&str> {
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let word = rest.trim();
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'-' | b'_'));
    plain.then_some(word)
}

/// Parses manifest text from `file` (a path or `-`), which may be YAML or JSON.
pub fn parse(file: &str, text: &str) -> Parsed {
    parse_documents(file, text, true)
}

/// [`parse`]; `typed` lets a YAML document of a known kind decode straight into its type
/// and plain YAML be read without libyaml (the same objects; tests compare the two ways
/// with libyaml's value tree alone).
fn parse_documents(file: &str, text: &str, typed: bool) -> Parsed {
    let mut out = Parsed::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with(['{', '[']) {
        // One document at a time; those read before an error are kept.
        let read = json_documents::read(text, |document| accept(&mut out, file, 1, document));
        if let Err(e) = read {
            out.errors.push(ManifestError {
                file: file.to_owned(),
                line: e.line(),
                message: format!("malformed JSON: {e}"),
            });
        }
        return out;
    }
    for chunk in split_documents(text) {
        let has_content = chunk.text.lines().any(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        });
        if !has_content {
            continue;
        }
        let line = content_line(&chunk);
        // No kind the engine reads ends in `List`: a list is never decoded typed.
        let list = head(chunk.text)
            .filter(|(kind, _)| typed && kind.ends_with("List"))
            .and_then(|list| Some((list, list_items::split(chunk.text)?)));
        if let Some((list, items)) = list {
            read_items(&mut out, file, (&chunk, line), list, &items);
            continue;
        }
        read_document(&mut out, file, chunk.text, (line, chunk.line), typed, None);
    }
    out
}

/// Reads one YAML document, `text`, whose object starts on `line` and whose text on
/// `first_line`: straight into its type where `typed` allows and the text shows a kind the
/// engine reads, else as a value tree (lists laid out otherwise, kinds the engine does not
/// read, exceptions), from plain YAML without libyaml too. `list_kind`: the kind and
/// apiVersion of the `*List` the document is an item of.
fn read_document(
    out: &mut Parsed,
    file: &str,
    text: &str,
    (line, first_line): (usize, usize),
    typed: bool,
    list_kind: Option<(&str, &serde_json::Value)>,
) {
    let decoded = head(text)
        .filter(|_| typed)
        .and_then(|(kind, api_version)| object::decode_yaml(kind, api_version, text));
    if let Some(object) = decoded {
        out.objects.push((
            object,
            Source {
                file: file.to_owned(),
                line,
            },
        ));
        return;
    }
    let tree = typed
        .then(|| plain_yaml::read(text, |top| decode_document::<serde_json::Value, _>(top)).ok())
        .flatten()
        .map(|(value, _)| Ok(value));
    match tree.unwrap_or_else(|| serde_yaml_ng::from_str::<serde_json::Value>(text)) {
        Ok(serde_json::Value::Null) => {}
        Ok(mut value) => {
            if let Some((kind, api_version)) = list_kind {
                json_documents::give_list_kind(&mut value, kind, Some(api_version));
            }
            accept(out, file, line, value);
        }
        Err(e) => out.errors.push(ManifestError {
            file: file.to_owned(),
            // Without a location: where the object starts, or, for a list's item (placed
            // at the list's start), where the item does; the later of the two either way.
            line: e
                .location()
                .map_or(line.max(first_line), |l| first_line + l.line() - 1),
            message: format!("malformed YAML document: {e}"),
        }),
    }
}

/// Reads the `items` of list document `chunk` (kind and apiVersion `list`) one at a time,
/// each as a document of its own: what `accept` makes of the whole list, without its value
/// tree. Every item is placed at the list's first `line`, as the whole list places them; a
/// malformed item is an error at its own line, and the other items are read.
fn read_items(
    out: &mut Parsed,
    file: &str,
    (chunk, line): (&Chunk<'_>, usize),
    (kind, api_version): (&str, &str),
    items: &[list_items::Item],
) {
    // `kubectl get -o yaml` items carry their kind; API `*List` items do not.
    let api_version = serde_json::Value::from(api_version);
    let list_kind = kind
        .strip_suffix("List")
        .filter(|k| !k.is_empty())
        .map(|k| (k, &api_version));
    let mut item_line = chunk.line;
    let mut counted = 0;
    for item in items {
        item_line += chunk.text[counted..item.text.start].matches('\n').count();
        counted = item.text.start;
        let document = item.document(chunk.text);
        read_document(out, file, &document, (line, item_line), true, list_kind);
    }
}

/// Takes one parsed document: an object, a `List`/`*List`, or an error.
fn accept(out: &mut Parsed, file: &str, line: usize, mut value: serde_json::Value) {
    let err = |message: String| ManifestError {
        file: file.to_owned(),
        line,
        message,
    };
    if !value.is_object() {
        out.errors.push(err(
            "document is not a mapping of a Kubernetes object".into()
        ));
        return;
    }
    let kind = value
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or("")
        .to_owned();
    if kind == "List" || (kind.ends_with("List") && value.get("items").is_some()) {
        let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
        let api_version = value.get("apiVersion").cloned();
        let items = match value.get_mut("items").map(serde_json::Value::take) {
            Some(serde_json::Value::Array(items)) => items,
            Some(serde_json::Value::Null) | None => Vec::new(),
            Some(_) => {
                out.errors
                    .push(err(format!("{kind} has items that are not a list")));
                return;
            }
        };
        for mut item in items {
            if let Some(k) = item_kind {
                json_documents::give_list_kind(&mut item, k, api_version.as_ref());
            }
            accept(out, file, line, item);
        }
        return;
    }
    let api_version = value
        .get("apiVersion")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    if exception::is_exception(api_version, &kind) {
        match Exception::from_document(value) {
            Ok(e) => out.exceptions.push((
                e,
                Source {
                    file: file.to_owned(),
                    line,
                },
            )),
            Err(e) => out.errors.push(err(e.to_string())),
        }
        return;
    }
    match object::decode(value) {
        Ok(Decoded::Object(o)) => out.objects.push((
            *o,
            Source {
                file: file.to_owned(),
                line,
            },
        )),
        Ok(Decoded::Unknown { kind }) => *out.unknown_kinds.entry(kind).or_default() += 1,
        Err(e) => out.errors.push(err(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_document_with_lines_and_a_bad_document() {
        let text = "# header\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: [unclosed\n---\n\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: s, namespace: a}\n";
        let p = parse("x.yaml", text);
        assert_eq!(p.objects.len(), 2, "{:?}", p.errors);
        assert_eq!(p.objects[0].1.line, 2);
        assert_eq!(p.objects[1].1.line, 11);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].file, "x.yaml");
        assert!(
            p.errors[0].line >= 6 && p.errors[0].line <= 9,
            "{:?}",
            p.errors[0]
        );
    }

    #[test]
    fn lists_and_typed_lists() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleList\nitems:\n- metadata: {name: r, namespace: a}\n  rules: []\n";
        let p = parse("l.yaml", text);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.objects.len(), 2);
        assert!(matches!(p.objects[1].0, Object::Role(_)));
    }

    #[test]
    fn objects_are_placed_as_kubectl_apply_with_a_namespace_would() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: []}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: own, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader, namespace: shop}\nrules: []\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n";
        let mut p = parse("app.yaml", text);
        let placement = p.place("team");
        let namespaces: Vec<(&str, Option<&str>)> = p
            .objects
            .iter()
            .filter_map(|(o, _)| o.metadata().map(|m| (o.kind(), m.namespace())))
            .collect();
        assert_eq!(
            namespaces,
            [
                ("Pod", Some("team")),
                ("ServiceAccount", Some("shop")),
                ("ClusterRole", None),
                ("Namespace", None)
            ]
        );
        assert_eq!(placement.defaulted, 1);
        assert_eq!(placement.ignored.len(), 1);
        let ignored = &placement.ignored[0];
        assert_eq!((ignored.file.as_str(), ignored.line), ("app.yaml", 10));
        assert!(
            ignored
                .message
                .contains("ClusterRole reader names namespace \"shop\""),
            "{ignored:?}"
        );
    }

    #[test]
    fn unknown_kinds_are_counted() {
        let p = parse(
            "u.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: c}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: d}\n",
        );
        assert_eq!(p.unknown_kinds.get("Service"), Some(&2));
        assert!(p.errors.is_empty());
    }

    #[test]
    fn json_and_garbage() {
        let p = parse(
            "j.json",
            r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}"#,
        );
        assert_eq!(p.objects.len(), 1);
        let g = parse("g.yaml", "\u{1}\u{2}: [: :");
        assert_eq!(g.objects.len(), 0);
        assert_eq!(g.errors.len(), 1);
        let s = parse("s.yaml", "just a string");
        assert_eq!(s.errors.len(), 1);
        assert!(s.errors[0].message.contains("not a mapping"));
    }

    #[test]
    fn exceptions_are_read_apart_from_objects_and_placed_like_them() {
        let text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: net}\n---\napiVersion: rampart.dev/v1alpha1\nkind: PostureException\nmetadata: {name: cni}\nspec: {rules: [POD003], resources: [{kind: Pod}], reason: r, owner: o, expires: '2027-01-01T00:00:00Z'}\n---\napiVersion: rampart.dev/v1alpha1\nkind: ClusterPostureException\nmetadata: {name: broken}\nspec: {rules: [POD003]}\n";
        let mut p = parse("e.yaml", text);
        assert_eq!(p.objects.len(), 1);
        assert_eq!(p.exceptions.len(), 1);
        assert_eq!(p.exceptions[0].1.line, 5);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 10);
        assert!(
            p.errors[0]
                .message
                .starts_with("ClusterPostureException broken: spec: missing field `resources`"),
            "{:?}",
            p.errors[0]
        );
        p.place("net");
        assert_eq!(p.exceptions[0].0.id(), "net/cni");
    }

    #[test]
    fn empty_documents_are_ignored() {
        let p = parse("e.yaml", "---\n# only a comment\n---\n...\n");
        assert!(p.objects.is_empty() && p.errors.is_empty());
    }

    /// Everything a parse yields, as text, to compare two ways of parsing.
    fn described(p: &Parsed) -> String {
        format!(
            "{:#?}\n{:#?}\n{:?}\n{:#?}",
            p.objects, p.exceptions, p.unknown_kinds, p.errors
        )
    }

    #[test]
    fn typed_decoding_gives_what_the_value_tree_gives_for_every_fixture() {
        let mut typed = 0;
        for file in &rampart_testkit::repo::manifest_corpus() {
            let text = std::fs::read_to_string(file).expect("a readable fixture");
            let name = file.display().to_string();
            assert_eq!(
                described(&parse_documents(&name, &text, true)),
                described(&parse_documents(&name, &text, false)),
                "{name}"
            );
            typed += split_documents(&text)
                .iter()
                .filter_map(|chunk| head(chunk.text).map(|h| (h, chunk.text)))
                .filter(|((kind, version), text)| {
                    object::decode_yaml(kind, version, text).is_some()
                })
                .count();
        }
        // Most fixtures are plain manifests: if few went the typed way, this proved little.
        assert!(typed > 500, "only {typed} documents decoded typed");
    }

    /// `documents` as one `List`, laid out as `kubectl get -o yaml` writes it.
    fn as_list(documents: &[&str]) -> String {
        let mut list = String::from("apiVersion: v1\nitems:\n");
        for document in documents {
            for (i, line) in document.lines().enumerate() {
                let lead = match (i, line.is_empty()) {
                    (0, _) => "- ",
                    (_, true) => "",
                    _ => "  ",
                };
                list.push_str(lead);
                list.push_str(line);
                list.push('\n');
            }
        }
        list.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
        list
    }

    #[test]
    fn a_list_read_item_by_item_gives_what_its_value_tree_gives() {
        // Every document of the fixtures and the demo that starts with a key, as one list.
        let texts: Vec<String> = rampart_testkit::repo::manifest_corpus()
            .iter()
            .map(|file| std::fs::read_to_string(file).expect("a readable fixture"))
            .collect();
        let documents: Vec<&str> = texts
            .iter()
            .flat_map(|text| split_documents(text))
            .map(|chunk| {
                // From its first key: leading comments are the file's, not the object's.
                let text = chunk.text;
                let skipped: usize = text
                    .split_inclusive('\n')
                    .take_while(|l| l.trim().is_empty() || l.starts_with('#'))
                    .map(str::len)
                    .sum();
                &text[skipped..]
            })
            .filter(|text| {
                let first = text.lines().next().unwrap_or("");
                let malformed = parse_documents("d.yaml", text, false)
                    .errors
                    .iter()
                    .any(|e| e.message.starts_with("malformed YAML"));
                !first.starts_with([' ', '#', '{', '-'])
                    && !first.is_empty()
                    && !malformed
                    && list_items::split(&as_list(&[text])).is_some()
            })
            .collect();
        assert!(documents.len() > 500, "only {} documents", documents.len());
        let list = as_list(&documents);
        assert_eq!(
            list_items::split(&list).map(|items| items.len()),
            Some(documents.len()),
            "the list is read item by item"
        );
        let by_item = parse_documents("l.yaml", &list, true);
        assert!(by_item.objects.len() > 500, "{}", by_item.objects.len());
        assert_eq!(
            described(&by_item),
            described(&parse_documents("l.yaml", &list, false))
        );
    }

    /// What a JSON text gives read whole, as one value tree (the way before it was read
    /// one document at a time).
    fn read_whole(file: &str, text: &str) -> Parsed {
        let mut out = Parsed::default();
        let values = match serde_json::from_str::<serde_json::Value>(text).expect("JSON") {
            serde_json::Value::Array(items) => items,
            other => vec![other],
        };
        for v in values {
            accept(&mut out, file, 1, v);
        }
        out
    }

    #[test]
    fn json_lists_and_arrays_read_document_by_document_give_what_their_value_tree_gives() {
        let documents: Vec<serde_json::Value> = rampart_testkit::repo::manifest_corpus()
            .iter()
            .map(|file| std::fs::read_to_string(file).expect("a readable fixture"))
            .flat_map(|text| {
                split_documents(&text)
                    .iter()
                    .filter_map(|chunk| serde_yaml_ng::from_str(chunk.text).ok())
                    .filter(|v: &serde_json::Value| v.is_object())
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(documents.len() > 500, "only {} documents", documents.len());
        // As kubectl writes a list: its kind after its items.
        let list = serde_json::json!({"apiVersion": "v1", "items": documents, "kind": "List"});
        for text in [
            list.to_string(),
            serde_json::Value::Array(documents).to_string(),
        ] {
            let by_document = parse("l.json", &text);
            assert!(by_document.objects.len() > 500 && by_document.errors.len() < 50);
            assert_eq!(
                described(&by_document),
                described(&read_whole("l.json", &text))
            );
        }
    }

    #[test]
    fn json_list_items_take_the_list_kind_and_an_object_with_items_is_one_object() {
        let roles = r#"{"apiVersion": "rbac.authorization.k8s.io/v1", "items": [{"metadata": {"name": "r", "namespace": "a"}, "rules": []}], "kind": "RoleList", "metadata": {}}"#;
        let p = parse("r.json", roles);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert!(matches!(&p.objects[..], [(Object::Role(r), _)] if &*r.metadata.name == "r"));
        // Not a list: items of an object of another kind, and a kind given twice.
        for text in [
            r#"{"apiVersion": "example.com/v1", "items": [{"kind": "Namespace"}], "kind": "Basket", "metadata": {"name": "b"}}"#,
            r#"{"apiVersion": "v1", "kind": "List", "items": [], "kind": "Namespace", "metadata": {"name": "n"}}"#,
        ] {
            assert_eq!(
                described(&parse("o.json", text)),
                described(&read_whole("o.json", text))
            );
        }
        let p = parse(
            "o.json",
            r#"{"apiVersion": "example.com/v1", "items": [{"kind": "Namespace"}], "kind": "Basket", "metadata": {"name": "b"}}"#,
        );
        assert_eq!(p.unknown_kinds.get("Basket"), Some(&1));
    }

    #[test]
    fn a_cut_json_array_keeps_the_documents_before_the_cut_and_a_cut_list_is_one_error() {
        let namespaces = r#"
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}},
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}},
            {"apiVersion": "v1", "kind": "Namespace", "metad"#;
        let array = parse("cut.json", &format!("[{namespaces}"));
        let names: Vec<&str> = array
            .objects
            .iter()
            .filter_map(|(o, _)| o.metadata().map(|m| m.name()))
            .collect();
        assert_eq!(names, ["a", "b"]);
        // A list's kind may follow its items: it is read through for its kind first.
        let list = parse(
            "cut.json",
            &format!(r#"{{"apiVersion": "v1", "items": [{namespaces}"#),
        );
        assert!(list.objects.is_empty());
        for p in [array, list] {
            assert_eq!(p.errors.len(), 1);
            assert_eq!(p.errors[0].line, 4, "{:?}", p.errors[0]);
            assert!(
                p.errors[0].message.starts_with("malformed JSON"),
                "{:?}",
                p.errors[0]
            );
        }
    }

    #[test]
    fn typed_list_items_take_the_list_kind_and_a_malformed_item_loses_only_itself() {
        let text = "apiVersion: rbac.authorization.k8s.io/v1\nitems:\n- metadata: {name: r, namespace: a}\n  rules: []\n- metadata: {name: q, namespace: a}\n  rules: [] extra\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: Role\n  metadata: {name: s, namespace: a}\nkind: RoleList\n";
        let p = parse("l.yaml", text);
        let names: Vec<(&str, &str)> = p
            .objects
            .iter()
            .map(|(o, source)| {
                assert_eq!(source.line, 1);
                (o.kind(), o.metadata().map_or("", |m| m.name()))
            })
            .collect();
        assert_eq!(names, [("Role", "r"), ("Role", "s")]);
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        assert_eq!(p.errors[0].line, 6, "{:?}", p.errors[0]);
        assert!(p.errors[0].message.starts_with("malformed YAML document"));
    }

    #[test]
    fn typed_decoding_refuses_what_json_would() {
        let pod = |spec: &str| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: a}}\nspec: {spec}\n"
            )
        };
        let documents = [
            // A name JSON holds as a number; a label value likewise.
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: 123, namespace: a}\n"
                .to_owned(),
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: {version: 1.0}\n"
                .to_owned(),
            pod("{hostNetwork: yes, containers: [{name: c, image: i}]}"),
            pod("{containers: [{name: c, image: i, ports: [{containerPort: \"80\"}]}]}"),
            pod("{containers: [{name: c, image: 7}]}"),
            // The API server's versions of a kind, and no name at all.
            "apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: d, namespace: a}\n"
                .to_owned(),
            "apiVersion: v1\nkind: Pod\nmetadata: {namespace: a}\n".to_owned(),
            "apiVersion: v1\nkind: Pod\nmetadata: {name: \"\", namespace: a}\n".to_owned(),
            // Lines that read as `kind:` and `apiVersion:` but sit inside a flow mapping or
            // a quoted string: the document itself names no kind, or no version.
            "apiVersion: v1\nmetadata: {name: x, namespace: a, labels: {\nkind: Pod\n}}\n"
                .to_owned(),
            "kind: Secret\nmetadata: {name: s, namespace: a}\nnote: \"\napiVersion: v1\n\"\n"
                .to_owned(),
        ];
        for text in &documents {
            let (kind, version) = head(text).expect("plain kind and apiVersion");
            assert!(
                object::decode_yaml(kind, version, text).is_none(),
                "typed decoding took {text}"
            );
            let parsed = parse("x.yaml", text);
            assert!(
                parsed.objects.is_empty() && parsed.errors.len() == 1,
                "{text}: {parsed:?}"
            );
            assert_eq!(
                described(&parsed),
                described(&parse_documents("x.yaml", text, false))
            );
        }
    }

    #[test]
    fn typed_decoding_reads_numbers_and_nulls_as_json_holds_them() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  labels: {app: web, tier: \"1\"}\nspec:\n  hostPID: false\n  nodeName: ~\n  containers:\n  - name: c\n    image: nginx:1.27\n    resources: {limits: {cpu: \"1\", memory: 64Mi}}\n    ports: [{containerPort: 80}]\n    securityContext: {runAsUser: 0, runAsNonRoot: null}\n";
        let (kind, version) = head(text).expect("plain");
        assert!(object::decode_yaml(kind, version, text).is_some(), "typed");
        let typed = parse("p.yaml", text);
        assert_eq!(typed.objects.len(), 1, "{:?}", typed.errors);
        assert_eq!(
            described(&typed),
            described(&parse_documents("p.yaml", text, false))
        );
    }

    #[test]
    fn typed_decoding_skips_the_values_of_fields_no_rule_reads() {
        // A tag the value tree has no JSON for, in a field the engine does not read: the
        // value tree refused the document, the typed way skips the value unread.
        let text = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: s, namespace: a}\nextra: !Custom x\n";
        let typed = parse("s.yaml", text);
        assert_eq!(
            (typed.objects.len(), typed.errors.len()),
            (1, 0),
            "{typed:?}"
        );
        let tree = parse_documents("s.yaml", text, false);
        assert_eq!((tree.objects.len(), tree.errors.len()), (0, 1), "{tree:?}");
    }

    #[test]
    fn only_plain_top_level_kinds_are_read_from_the_text() {
        assert_eq!(head("apiVersion: v1\nkind: Pod\n"), Some(("Pod", "v1")));
        assert_eq!(
            head("kind:\tPod\napiVersion: apps/v1  \n"),
            Some(("Pod", "apps/v1"))
        );
        for text in [
            "apiVersion: v1\nkind: \"Pod\"\n",
            "apiVersion: v1\nkind: Pod # a comment\n",
            "apiVersion: v1\nkind: Pod\nkind: Role\n",
            "apiVersion: v1\nkind:Pod\n",
            "apiVersion: v1\n  kind: Pod\n",
            "{apiVersion: v1, kind: Pod}\n",
            "kind: Pod\n",
        ] {
            assert_eq!(head(text), None, "{text}");
        }
    }
}
