//! Reads YAML into typed objects as if through JSON: every value keeps the type YAML gives
//! it, as `kubectl` sees a manifest after turning it into JSON.
//!
//! A YAML deserializer asked for a string takes any scalar (`name: 123` becomes "123");
//! the JSON in between makes `123` a number, which a string field refuses. Manifests used
//! to go through a JSON value tree for that reason, which cost a third of a scan's
//! parsing. This wrapper asks the YAML deserializer for "anything" wherever the target
//! asks for a type, and hands the target what the JSON value would have held, so every
//! field the engine reads is accepted or refused as before, without the tree. Map keys
//! stay strings, as JSON's object keys are. The values of fields no rule reads (and a
//! Secret's data) are skipped unread: a YAML tag or binary value there, for which the
//! tree had no JSON, no longer makes the document an error.

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use std::cell::RefCell;
use std::fmt;

/// A deserializer that reads through JSON's types (see the module's documentation).
pub struct AsJson<D>(pub D);

/// Everything a target may ask for that JSON answers with its own type of the value.
macro_rules! through_any {
    ($($method:ident),*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
                self.0.deserialize_any(Visit(visitor))
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for AsJson<D> {
    type Error = D::Error;

    through_any!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_seq,
        deserialize_map
    );

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_option(Visit(visitor))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(Visit(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Visit(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(Visit(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(Visit(visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(Visit(visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Visit(visitor))
    }

    // A key, which JSON holds as a string.
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_identifier(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_ignored_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// The target's visitor, given what a JSON value would give it.
struct Visit<V>(V);

/// Visits handed on unchanged: JSON holds these values as YAML gives them.
macro_rules! unchanged {
    ($($method:ident: $ty:ty),*) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
                self.0.$method(v)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Visit<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    unchanged!(
        visit_bool: bool,
        visit_u64: u64,
        visit_i128: i128,
        visit_u128: u128,
        visit_char: char,
        visit_str: &str,
        visit_borrowed_str: &'de str,
        visit_string: String,
        visit_bytes: &[u8],
        visit_borrowed_bytes: &'de [u8],
        visit_byte_buf: Vec<u8>
    );

    // JSON keeps a number that is not negative as unsigned.
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        match u64::try_from(v) {
            Ok(u) => self.0.visit_u64(u),
            Err(_) => self.0.visit_i64(v),
        }
    }

    // JSON has no NaN or infinity: such a number becomes null.
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        if v.is_finite() {
            self.0.visit_f64(v)
        } else {
            self.0.visit_unit()
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(AsJson(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(AsJson(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Seq(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Map(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(Enum(data))
    }
}

/// A value's target, reading it through JSON's types.
struct Seed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(AsJson(d))
    }
}

struct Seq<A>(A);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

struct Map<A>(A);

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<A> {
    type Error = A::Error;

    // Keys as strings, as JSON's objects hold them.
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(seed)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

struct Enum<A>(A);

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<A> {
    type Error = A::Error;
    type Variant = Variant<A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, variant) = self.0.variant_seed(seed)?;
        Ok((value, Variant(variant)))
    }
}

struct Variant<A>(A);

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Visit(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Visit(visitor))
    }
}

/// The top-level `kind` and `apiVersion` a document held, as read while decoding it: a
/// `kind:` line found in the text may sit inside a flow mapping or a quoted string, and a
/// type may not check its kind at all (a Secret's document does not).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Head {
    pub kind: Option<String>,
    pub api_version: Option<String>,
    /// Either key came more than once.
    pub repeated: bool,
}

/// Decodes a whole document into `T` as [`AsJson`] does, and says what its top level held
/// under `kind` and `apiVersion`.
pub fn decode_document<'de, T, D>(de: D) -> Result<(T, Head), D::Error>
where
    T: de::Deserialize<'de>,
    D: Deserializer<'de>,
{
    let head = RefCell::new(Head::default());
    let value = T::deserialize(Top { de, head: &head })?;
    Ok((value, head.into_inner()))
}

/// Which of the two keys a top-level entry is under.
#[derive(Clone, Copy)]
enum HeadKey {
    Kind,
    ApiVersion,
}

/// The document itself: a mapping, whose entries are read as [`AsJson`] reads them.
struct Top<'h, D> {
    de: D,
    head: &'h RefCell<Head>,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Top<'_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_any(TopVisit {
            visitor,
            head: self.head,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// The target's visitor at the top, which takes a mapping and nothing else.
struct TopVisit<'h, V> {
    visitor: V,
    head: &'h RefCell<Head>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TopVisit<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(TopMap {
            map,
            head: self.head,
            pending: None,
        })
    }
}

/// The document's entries: the values under `kind` and `apiVersion` are read as strings,
/// noted, and handed on to the target as those strings.
struct TopMap<'h, A> {
    map: A,
    head: &'h RefCell<Head>,
    pending: Option<HeadKey>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for TopMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.pending = None;
        self.map.next_key_seed(KeySeed {
            seed,
            pending: &mut self.pending,
        })
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        let Some(key) = self.pending.take() else {
            return self.map.next_value_seed(Seed(seed));
        };
        let text: String = self.map.next_value_seed(Seed(std::marker::PhantomData))?;
        let mut head = self.head.borrow_mut();
        let slot = match key {
            HeadKey::Kind => &mut head.kind,
            HeadKey::ApiVersion => &mut head.api_version,
        };
        if slot.replace(text.clone()).is_some() {
            head.repeated = true;
        }
        drop(head);
        seed.deserialize(de::value::StringDeserializer::new(text))
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// A top-level key, noted on its way to the target.
struct KeySeed<'p, S> {
    seed: S,
    pending: &'p mut Option<HeadKey>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(KeySpy {
            de,
            pending: self.pending,
        })
    }
}

struct KeySpy<'p, D> {
    de: D,
    pending: &'p mut Option<HeadKey>,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for KeySpy<'_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_any(KeyVisit {
            visitor,
            pending: self.pending,
        })
    }

    // A key, which JSON holds as a string.
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_identifier(KeyVisit {
            visitor,
            pending: self.pending,
        })
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_str(KeyVisit {
            visitor,
            pending: self.pending,
        })
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_string(KeyVisit {
            visitor,
            pending: self.pending,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        ignored_any
    }
}

struct KeyVisit<'p, V> {
    visitor: V,
    pending: &'p mut Option<HeadKey>,
}

impl<V> KeyVisit<'_, V> {
    fn note(&mut self, key: &str) {
        *self.pending = match key {
            "kind" => Some(HeadKey::Kind),
            "apiVersion" => Some(HeadKey::ApiVersion),
            _ => None,
        };
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for KeyVisit<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<V::Value, E> {
        self.note(v);
        self.visitor.visit_str(v)
    }

    fn visit_borrowed_str<E: de::Error>(mut self, v: &'de str) -> Result<V::Value, E> {
        self.note(v);
        self.visitor.visit_borrowed_str(v)
    }

    fn visit_string<E: de::Error>(mut self, v: String) -> Result<V::Value, E> {
        self.note(&v);
        self.visitor.visit_string(v)
    }
}
