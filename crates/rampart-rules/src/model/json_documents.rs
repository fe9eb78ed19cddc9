//! The documents of a JSON manifest handed over one at a time: the elements of a top-level
//! array, or the items of a `List` (`kubectl get -o json`), each as its own value, where a
//! value tree of the whole file would hold a cluster several times over before its objects
//! were made.

use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// What is read of a JSON object's top level to tell a list from an object; the other
/// fields are skipped unread.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Head {
    kind: Option<Value>,
    api_version: Option<Value>,
    items: Option<IgnoredAny>,
}

impl Head {
    /// The kind of its items when the object is a list (none for `List`, whose items name
    /// their own); `None` when it is not a list.
    fn list(&self) -> Option<Option<&str>> {
        let kind = self.kind.as_ref()?.as_str()?;
        let list = kind == "List" || (kind.ends_with("List") && self.items.is_some());
        list.then(|| kind.strip_suffix("List").filter(|k| !k.is_empty()))
    }
}

/// Gives a `*List`'s item the list's kind (`Role` for a `RoleList`) and apiVersion where
/// it names none, as API lists leave them out (`kubectl get -o yaml` items carry theirs).
pub fn give_list_kind(item: &mut Value, kind: &str, api_version: Option<&Value>) {
    if let Some(fields) = item.as_object_mut() {
        fields.entry("kind").or_insert_with(|| kind.into());
        if let Some(v) = api_version {
            fields.entry("apiVersion").or_insert_with(|| v.clone());
        }
    }
}

/// Hands each element of an array to the callback, one at a time; `null` has none.
struct Each<'a, F> {
    each: &'a mut F,
    /// The kind and apiVersion a `*List` gives its items that name none.
    item_kind: Option<(&'a str, Option<&'a Value>)>,
}

impl<'de, F: FnMut(Value)> Visitor<'de> for Each<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of objects")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(mut item) = seq.next_element::<Value>()? {
            if let Some((kind, api_version)) = self.item_kind {
                give_list_kind(&mut item, kind, api_version);
            }
            (self.each)(item);
        }
        Ok(())
    }
}

impl<'de, F: FnMut(Value)> DeserializeSeed<'de> for Each<'_, F> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// Hands each item of a list object to the callback; its other fields are skipped.
struct Items<'a, F>(Each<'a, F>);

impl<'de, F: FnMut(Value)> Visitor<'de> for Items<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Items(each) = self;
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                map.next_value_seed(Each {
                    each: &mut *each.each,
                    item_kind: each.item_kind,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// Hands every document of JSON `text` to `each`: a top-level array's elements, a list's
/// items (given the list's item kind where they name none, as [`super::manifest`] does
/// for a list's value tree), or the one object. A list is read through once for its kind
/// first (`kubectl` writes it after the items), so a malformed one hands over nothing; the
/// elements of an array, and the items of a list that read through (one nested deeper
/// than `serde_json` decodes), read before an error have been handed over.
pub fn read(text: &str, mut each: impl FnMut(Value)) -> Result<(), serde_json::Error> {
    let mut json = serde_json::Deserializer::from_str(text);
    if text.trim_start().starts_with('[') {
        let elements = Each {
            each: &mut each,
            item_kind: None,
        };
        elements.deserialize(&mut json)?;
        return json.end();
    }
    // Read whole when the head does not say "list" (or cannot: a key given twice, which a
    // value tree takes the last of).
    let head = serde_json::from_str::<Head>(text).ok();
    let Some((head, item_kind)) = head.as_ref().and_then(|h| Some((h, h.list()?))) else {
        each(serde_json::from_str(text)?);
        return Ok(());
    };
    let items = Items(Each {
        each: &mut each,
        item_kind: item_kind.map(|kind| (kind, head.api_version.as_ref())),
    });
    json.deserialize_map(items)?;
    json.end()
}
