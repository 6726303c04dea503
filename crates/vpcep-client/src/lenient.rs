//! Hand-written response types that stand in for schemas typify cannot decode leniently.
//!
//! `cargo xtask codegen` replaces these spec schemas with the types below (see
//! `REPLACEMENTS` in `xtask/src/codegen.rs`):
//!
//! | spec schema | Rust type | accepts |
//! |---|---|---|
//! | `LenientBoolean` | [`LenientBool`] | `true`, `false`, `"true"`, `"false"` |
//! | `StringOrList` | [`StringList`] | `"a"`, `["a", "b"]` |
//! | `ActiveStatusList` | [`ActiveStatusList`] | `"active"`, `["active"]` |
//! | `EndpointStatus`, `ServiceType`, `AccountStatus` | open enums | any string |
//!
//! Open enumerations keep a value they do not know in `Unknown(String)`, so a newer server
//! never fails a listing and the caller still sees what it sent. Anything else that does
//! not fit (e.g. `"enable_dns": "maybe"`) is a decoding error, never a silent guess.
//!
//! Everything serializes back in the documented (normalised) shape: booleans as booleans,
//! lists as arrays, enumerations as their string.

use std::borrow::Cow;
use std::fmt;

use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Metadata, Schema, SchemaObject, SubschemaValidation};
use schemars::JsonSchema;
use serde::de::{self, IntoDeserializer, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A boolean that servers send either as a JSON boolean or as the string `"true"` /
/// `"false"` (the doc's example has `"enable_dns": "true"`).
///
/// `"false"` decodes as `false` (Huawei's official Python SDK gets this wrong).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LenientBool(pub bool);

impl LenientBool {
    /// The boolean value.
    pub fn get(self) -> bool {
        self.0
    }
}

impl From<bool> for LenientBool {
    fn from(value: bool) -> Self {
        Self(value)
    }
}

impl From<LenientBool> for bool {
    fn from(value: LenientBool) -> Self {
        value.0
    }
}

impl std::ops::Deref for LenientBool {
    type Target = bool;
    fn deref(&self) -> &bool {
        &self.0
    }
}

impl fmt::Display for LenientBool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for LenientBool {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bool(self.0)
    }
}

impl<'de> Deserialize<'de> for LenientBool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LenientBoolVisitor;
        impl Visitor<'_> for LenientBoolVisitor {
            type Value = LenientBool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"a boolean or the string "true" or "false""#)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<LenientBool, E> {
                Ok(LenientBool(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientBool, E> {
                match v {
                    "true" => Ok(LenientBool(true)),
                    "false" => Ok(LenientBool(false)),
                    other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
                }
            }
        }
        deserializer.deserialize_any(LenientBoolVisitor)
    }
}

impl JsonSchema for LenientBool {
    fn schema_name() -> String {
        "LenientBoolean".to_owned()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let string_form = SchemaObject {
            instance_type: Some(InstanceType::String.into()),
            enum_values: Some(vec!["true".into(), "false".into()]),
            ..Default::default()
        };
        one_of(
            "A boolean, sent either as a JSON boolean or as the string \"true\"/\"false\".",
            vec![
                SchemaObject {
                    instance_type: Some(InstanceType::Boolean.into()),
                    ..Default::default()
                }
                .into(),
                string_form.into(),
            ],
        )
    }
}

/// A list that servers send either as a JSON array or as a single value (the doc's
/// example has `"dns_names": "test123"` and `"active_status": "active"`). A single value
/// decodes as a one-element list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct OneOrMany<T>(pub Vec<T>);

/// A list of strings sent as an array or as a single string (spec schema `StringOrList`).
pub type StringList = OneOrMany<String>;
/// Account statuses sent as an array or as a single string (spec schema `ActiveStatusList`).
pub type ActiveStatusList = OneOrMany<AccountStatus>;

impl<T> OneOrMany<T> {
    /// The values, in the order the server sent them.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }
    /// The values as a `Vec`.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T> std::ops::Deref for OneOrMany<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> From<Vec<T>> for OneOrMany<T> {
    fn from(value: Vec<T>) -> Self {
        Self(value)
    }
}

impl<T> IntoIterator for OneOrMany<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: Serialize> Serialize for OneOrMany<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(OneOrMany(vec![T::deserialize(v.into_deserializer())?]))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(OneOrMany(vec![T::deserialize(
                    de::value::BorrowedStrDeserializer::new(v),
                )?]))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(OneOrMany(vec![T::deserialize(v.into_deserializer())?]))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(item) = seq.next_element()? {
                    out.push(item);
                }
                Ok(OneOrMany(out))
            }
        }
        deserializer.deserialize_any(OneOrManyVisitor(std::marker::PhantomData))
    }
}

impl<T: JsonSchema> JsonSchema for OneOrMany<T> {
    fn schema_name() -> String {
        format!("OneOrMany_{}", T::schema_name())
    }
    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        let item = gen.subschema_for::<T>();
        let array = SchemaObject {
            instance_type: Some(InstanceType::Array.into()),
            array: Some(Box::new(schemars::schema::ArrayValidation {
                items: Some(item.clone().into()),
                ..Default::default()
            })),
            ..Default::default()
        };
        one_of(
            "A list, sent either as a JSON array or as a single value.",
            vec![item, array.into()],
        )
    }
}

fn one_of(description: &str, schemas: Vec<Schema>) -> Schema {
    SchemaObject {
        metadata: Some(Box::new(Metadata {
            description: Some(description.to_owned()),
            ..Default::default()
        })),
        subschemas: Some(Box::new(SubschemaValidation {
            one_of: Some(schemas),
            ..Default::default()
        })),
        ..Default::default()
    }
    .into()
}

/// Defines an open enumeration: the known values as variants, anything else kept verbatim
/// in `Unknown(String)`. Decoding never fails on a string; `as_str()` gives back exactly
/// what the server sent.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident ($schema:literal) {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the client does not know, exactly as sent.
            Unknown(String),
        }

        impl $name {
            /// Every value this version of the client knows, in the spec's order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(other) => other,
                }
            }

            /// Whether the value is one this version of the client knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }

            fn from_wire(value: Cow<'_, str>) -> Self {
                match value.as_ref() {
                    $( $wire => Self::$variant, )+
                    _ => Self::Unknown(value.into_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from_wire(Cow::Borrowed(value)))
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::from_wire(Cow::Borrowed(value))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::from_wire(Cow::Owned(value))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct OpenEnumVisitor;
                impl Visitor<'_> for OpenEnumVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "a string (known values: {})", $name::KNOWN.join(", "))
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::from_wire(Cow::Borrowed(v)))
                    }
                    fn visit_string<E: de::Error>(self, v: String) -> Result<$name, E> {
                        Ok($name::from_wire(Cow::Owned(v)))
                    }
                }
                deserializer.deserialize_str(OpenEnumVisitor)
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> String {
                $schema.to_owned()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                let mut schema = SchemaObject {
                    instance_type: Some(InstanceType::String.into()),
                    metadata: Some(Box::new(Metadata {
                        description: Some(format!(
                            "Open enumeration; known values: {}. Other values are kept as sent.",
                            Self::KNOWN.join(", ")
                        )),
                        ..Default::default()
                    })),
                    ..Default::default()
                };
                schema
                    .extensions
                    .insert("x-extensible-enum".to_owned(), Self::KNOWN.into());
                schema.into()
            }
        }
    };
}

open_enum! {
    /// Connection status of an endpoint (spec schema `EndpointStatus`).
    EndpointStatus ("EndpointStatus") {
        /// Waiting for the endpoint service's owner to accept the connection.
        PendingAcceptance => "pendingAcceptance",
        /// Being created.
        Creating => "creating",
        /// Accepted: the endpoint can be used.
        Accepted => "accepted",
        /// Rejected by the endpoint service's owner.
        Rejected => "rejected",
        /// Creation failed; see the endpoint's `error` field.
        Failed => "failed",
        /// Being deleted (not in the vendor doc's table; in the official SDKs' enums).
        Deleting => "deleting",
    }
}

open_enum! {
    /// Type of the endpoint service an endpoint connects to (spec schema `ServiceType`).
    ///
    /// The vendor doc spells gateway `gataway`; that spelling decodes as
    /// `Unknown("gataway")` so it stays visible rather than being guessed at.
    ServiceType ("ServiceType") {
        /// A gateway service, configured by operators.
        Gateway => "gateway",
        /// An interface service: cloud services and users' private services.
        Interface => "interface",
    }
}

open_enum! {
    /// Account status of an endpoint (spec schema `AccountStatus`).
    AccountStatus ("AccountStatus") {
        /// The account is active.
        Active => "active",
        /// The account is frozen.
        Frozen => "frozen",
    }
}
