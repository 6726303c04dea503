//! Reading a few top-level fields of an endpoint's JSON text without building it: what
//! the store sorts and filters by (`id`, `created_at`, a filter's field) is read from
//! the text it serves, whatever its origin (generated, typed, replayed as recorded).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

/// The values of the top-level fields `names` of the JSON object `text`, in the order of
/// `names`: `Some` for a field whose value is a string, `None` for a missing field or
/// one of another type (as the fake reads recorded endpoints: only strings count). Not
/// an object, or not JSON: every value `None`.
pub(crate) fn string_fields<'t>(text: &'t [u8], names: &[&str]) -> Vec<Option<Cow<'t, str>>> {
    let mut found = vec![None; names.len()];
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let _ = Fields {
        names,
        found: &mut found,
    }
    .deserialize(&mut deserializer);
    found
}

struct Fields<'n, 'f, 't> {
    names: &'n [&'n str],
    found: &'f mut Vec<Option<Cow<'t, str>>>,
}

impl<'de> DeserializeSeed<'de> for Fields<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Fields<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an endpoint object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match self.names.iter().position(|n| *n == key) {
                Some(k) => self.found[k] = map.next_value::<StringOrOther<'de>>()?.0,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A JSON value kept when it is a string.
struct StringOrOther<'de>(Option<Cow<'de, str>>);

impl<'de> de::Deserialize<'de> for StringOrOther<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StringOrOther<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(StringOrOther(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StringOrOther(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(StringOrOther(Some(Cow::Owned(v))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(StringOrOther(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(StringOrOther(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(StringOrOther(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(StringOrOther(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(StringOrOther(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(StringOrOther(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(StringOrOther(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(StringOrOther(None))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_top_level_strings_only() {
        let text =
            br#"{"a":"x","nested":{"b":"no"},"b":"y\u0041","c":3,"d":null,"e":["z"],"f":true}"#;
        let got = string_fields(text, &["b", "a", "c", "d", "e", "f", "missing"]);
        let got: Vec<Option<&str>> = got.iter().map(|v| v.as_deref()).collect();
        assert_eq!(
            got,
            [Some("yA"), Some("x"), None, None, None, None, None],
            "escapes decoded; numbers, null, arrays, booleans and missing fields are None"
        );
        assert_eq!(string_fields(b"[1]", &["a"]), vec![None]);
        assert_eq!(string_fields(b"not json", &["a"]), vec![None]);
    }
}
