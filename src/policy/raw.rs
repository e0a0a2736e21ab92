//! The policy file as written: flat serde structs whose every value keeps its span, so
//! that each problem can point at its line. Semantic checks happen in `validate.rs`.
//!
//! Unknown keys are not rejected by serde (it stops at the first); `validate.rs` walks
//! the document and reports all of them, using [`field_names`] to know what is known.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use toml::Spanned;

pub type Text = Spanned<String>;
pub type TextList = Spanned<Vec<Text>>;

/// Requirement keys: valid in `[defaults]`, `[hosts.<host>]` and `[[token]]`.
#[derive(Debug, Default, Deserialize)]
pub struct RawRequirements {
    pub max_lifespan: Option<Text>,
    pub expiry_warning: Option<Text>,
    pub stale_after: Option<Text>,
    pub on_unverifiable: Option<Text>,
    pub require_scopes: Option<TextList>,
    pub forbid_scopes: Option<TextList>,
    pub allow_extra_scopes: Option<Spanned<bool>>,
    pub all_accessible_organizations: Option<Spanned<bool>>,
    pub require_actions: Option<TextList>,
    pub resources: Option<TextList>,
}

/// Token keys other than requirements. A `[[token]]` table is read as both this and
/// [`RawRequirements`].
#[derive(Debug, Default, Deserialize)]
pub struct RawToken {
    pub name: Option<Text>,
    pub host: Option<Text>,
    pub url: Option<Text>,
    pub secret: Option<Spanned<RawSecretRef>>,
    pub organization: Option<Text>,
    pub vssps_url: Option<Text>,
    pub profile_url: Option<Text>,
    pub entra_token: Option<Spanned<RawSecretRef>>,
    pub display_name: Option<Text>,
    pub authorization_id: Option<Text>,
    pub access_key_id: Option<Spanned<RawSecretRef>>,
    pub region: Option<Text>,
    pub profile: Option<Text>,
    pub service_credentials: Option<Spanned<bool>>,
}

/// Top-level keys; the sections are read separately.
#[derive(Debug, Default, Deserialize)]
pub struct RawTopLevel {
    pub version: Option<Spanned<i64>>,
    pub extends: Option<TextList>,
    pub defaults: Option<de::IgnoredAny>,
    pub hosts: Option<de::IgnoredAny>,
    pub token: Option<de::IgnoredAny>,
}

/// A reference to a secret. A literal string is accepted by the parser only to be
/// refused with a precise diagnostic; its value is dropped on the spot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawSecretRef {
    Literal,
    Env(String),
    File(String),
    Invalid(String),
}

impl<'de> Deserialize<'de> for RawSecretRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SecretVisitor;

        impl<'de> Visitor<'de> for SecretVisitor {
            type Value = RawSecretRef;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("{ env = \"NAME\" } or { file = \"PATH\" }")
            }

            fn visit_str<E: de::Error>(self, _literal: &str) -> Result<RawSecretRef, E> {
                Ok(RawSecretRef::Literal)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawSecretRef, A::Error> {
                let mut found: Vec<RawSecretRef> = Vec::new();
                let mut problem = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "env" => found.push(RawSecretRef::Env(map.next_value()?)),
                        "file" => found.push(RawSecretRef::File(map.next_value()?)),
                        other => {
                            map.next_value::<de::IgnoredAny>()?;
                            problem = Some(format!(
                                "unknown key `{other}` in a secret reference; expected `env` or `file`"
                            ));
                        }
                    }
                }
                Ok(match (problem, found.len()) {
                    (Some(problem), _) => RawSecretRef::Invalid(problem),
                    (None, 1) => found.pop().expect("one element"),
                    (None, 0) => {
                        RawSecretRef::Invalid("a secret reference needs `env` or `file`".into())
                    }
                    (None, _) => RawSecretRef::Invalid(
                        "a secret reference takes `env` or `file`, not both".into(),
                    ),
                })
            }
        }

        deserializer.deserialize_any(SecretVisitor)
    }
}

/// The field names of a serde struct, read from its `Deserialize` impl, so that the
/// list of known keys is the struct itself and cannot drift from it.
pub fn field_names<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    struct Probe<'a>(&'a mut &'static [&'static str]);

    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("probe only"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
            enum identifier ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_come_from_the_structs() {
        assert!(field_names::<RawRequirements>().contains(&"max_lifespan"));
        assert!(field_names::<RawToken>().contains(&"secret"));
        assert_eq!(
            field_names::<RawTopLevel>(),
            &["version", "extends", "defaults", "hosts", "token"]
        );
    }
}
