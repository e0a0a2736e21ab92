//! The policy file as written: flat serde structs whose every value keeps its span, so
//! that each problem can point at its line. Semantic checks happen in `validate.rs`.
//!
//! Unknown keys are not rejected by serde (it stops at the first); `validate.rs` walks
//! the document and reports all of them, using [`field_names`] to know what is known.

use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use toml::Spanned;

use crate::hosts::HostKind;

pub type Text = Spanned<String>;
pub type TextList = Spanned<Vec<Text>>;

/// The requirement keys every host shares (each host's own are its `RawRequirements`):
/// valid in `[defaults]`, `[hosts.<host>]` and `[[token]]`.
///
/// The `schemars` attributes give the JSON Schema the written types that the spans wrap;
/// optional keys are `serde(default)` rather than `Option` there, since TOML has no null.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawRequirements {
    /// Longest allowed lifetime: expiry − creation, or the remaining validity when the host reveals no creation date; for keys that never expire, their age. Days, weeks or hours: "90d", "2w", "36h".
    #[serde(default)]
    #[schemars(with = "String")]
    pub max_lifespan: Option<Text>,
    /// Warn (`expires-soon`) when the token expires within this window. Default "14d".
    #[serde(default)]
    #[schemars(with = "String")]
    pub expiry_warning: Option<Text>,
    /// Warn (`stale-token`) when the token was last used longer ago than this (never for a token younger than this).
    #[serde(default)]
    #[schemars(with = "String")]
    pub stale_after: Option<Text>,
    /// What a fact the host cannot reveal does to the gate: fail (default), warn or ignore.
    #[serde(default)]
    #[schemars(with = "EscalationName")]
    pub on_unverifiable: Option<Text>,
    /// Scopes the token must have, after the host's implications (e.g. `repo`, `api`, `vso.code_write`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub require_scopes: Option<TextList>,
    /// Scopes the token must not have, directly or through a scope that includes them.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub forbid_scopes: Option<TextList>,
    /// false: every scope outside the closure of `require_scopes` is an `excess-scope`. Default true.
    #[serde(default)]
    #[schemars(with = "bool")]
    pub allow_extra_scopes: Option<Spanned<bool>>,
    /// Hosts with probes: false sends no probe for this token (what the host does not reveal stays `unverifiable`). Default true.
    #[serde(default)]
    #[schemars(with = "bool")]
    pub probe: Option<Spanned<bool>>,
    /// `patlint audit`: what a token an `[[inventory]]` lists and no `[[token]]` declares does to the gate (`undeclared-token`): fail, warn (default) or ignore. Set in `[defaults]` or `[hosts.<host>]`.
    #[serde(default)]
    #[schemars(with = "EscalationName")]
    pub undeclared: Option<Text>,
}

/// The values of `on_unverifiable` and `undeclared`, for the schema.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum EscalationName {
    Fail,
    Warn,
    Ignore,
}

/// `{ env = "NAME" }` or `{ file = "PATH" }`, for the schema.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum SecretRefSchema {
    /// Read from this environment variable.
    Env { env: String },
    /// Read from this file (surrounding whitespace is trimmed).
    File { file: String },
}

/// Token keys other than requirements. A `[[token]]` table is read as both this and
/// [`RawRequirements`].
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct RawToken {
    /// Unique name of the token, used in every report.
    #[schemars(with = "String")]
    pub name: Option<Text>,
    /// The host the token belongs to.
    #[schemars(with = "HostKind")]
    pub host: Option<Text>,
    /// The host's URL (default: the host's public service): GitHub's API base (Enterprise Server https://HOST/api/v3), GitLab's instance URL, or a Server/TFS collection URL; see the Hosts page of the documentation (docs/ in patlint's repository).
    #[serde(default)]
    #[schemars(with = "String")]
    pub url: Option<Text>,
    /// A PEM bundle of certificate authorities to trust for this host, on top of the system's (a self-hosted server behind a private CA). `SSL_CERT_FILE` sets one for every host.
    #[serde(default)]
    #[schemars(with = "String")]
    pub ca_file: Option<Text>,
    /// Where the secret is read from; never the secret itself.
    #[serde(default)]
    #[schemars(with = "SecretRefSchema")]
    pub secret: Option<Spanned<SecretRefAsWritten>>,
}

/// Common token keys that only hosts patlint reaches over HTTP itself accept.
pub const HTTP_KEYS: &[&str] = &["url", "ca_file"];

// A `[[token]]` table for the schema: token keys and requirement keys together.
/// A token to check: its host, where its secret is read from, and its own requirements.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct TokenTableSchema {
    #[serde(flatten)]
    token: RawToken,
    #[serde(flatten)]
    hosts: crate::hosts::HostTokenKeys,
    #[serde(flatten)]
    requirements: RequirementsSchema,
}

/// Requirement keys for the schema: the ones every host shares, and each host's own.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RequirementsSchema {
    #[serde(flatten)]
    shared: RawRequirements,
    #[serde(flatten)]
    hosts: crate::hosts::HostRequirementKeys,
}

// The top-level keys; `validate.rs` reads the sections separately.
/// A patlint policy: which tokens your integrations rely on, and what each must look like.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields, title = "patlint policy")]
pub struct RawTopLevel {
    /// The policy format version: 1.
    #[schemars(schema_with = "version_schema")]
    pub version: Option<Spanned<i64>>,
    /// Built-in presets to build on, e.g. "builtin:git-integration-for-jira"; the policy's own settings win.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub extends: Option<TextList>,
    /// Requirements for every token, and `max_waiver`.
    #[serde(default)]
    #[schemars(with = "RawDefaultsSchema")]
    pub defaults: Option<de::IgnoredAny>,
    /// Requirements for every token of one host.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<HostKind, RequirementsSchema>")]
    pub hosts: Option<de::IgnoredAny>,
    /// The tokens to check.
    #[serde(default)]
    #[schemars(with = "Vec<TokenTableSchema>")]
    pub token: Option<de::IgnoredAny>,
    /// Known violations accepted until a date, each with its reason.
    #[serde(default)]
    #[schemars(with = "Vec<crate::policy::RawWaiver>")]
    pub waiver: Option<de::IgnoredAny>,
    /// Admin listings `patlint audit` reads to find every token, declared or not.
    #[serde(default)]
    #[schemars(with = "Vec<InventoryTableSchema>")]
    pub inventory: Option<de::IgnoredAny>,
}

// An `[[inventory]]` table for the schema: token keys and the host's inventory keys.
/// An admin credential that lists a host's tokens: GitHub (an organization's), GitLab (an instance's or a group's), AWS IAM (an account's), Azure DevOps Services (an organization's).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
pub struct InventoryTableSchema {
    #[serde(flatten)]
    token: RawToken,
    #[serde(flatten)]
    hosts: crate::hosts::HostTokenKeys,
    #[serde(flatten)]
    inventory: crate::hosts::HostInventoryKeys,
}

/// A whole number from 0 (`u64`), without the non-standard `format: uint64` that strict
/// validators refuse.
pub fn whole_number_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "integer", "minimum": 0 })
}

/// `version = 1`, without the non-standard `format: uint8` that strict validators refuse.
fn version_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "integer", "const": 1 })
}

/// `[defaults]`: every requirement key, and the one key of its own.
#[derive(schemars::JsonSchema)]
#[allow(dead_code)] // a schema, never built
struct RawDefaultsSchema {
    #[serde(flatten)]
    requirements: RequirementsSchema,
    /// The longest a `[[waiver]]` may run from the time of the check. Default "90d".
    #[serde(default)]
    max_waiver: Option<String>,
}

/// The policy's JSON Schema (Draft 7, which taplo / Even Better TOML read best),
/// generated from the types above.
pub fn json_schema() -> String {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<RawTopLevel>();
    let mut value = serde_json::to_value(&schema).expect("the schema serializes");
    drop_null_defaults(&mut value);
    super::schema::strengthen(&mut value);
    let mut text = serde_json::to_string_pretty(&value).expect("the schema serializes");
    text.push('\n');
    text
}

/// A reference to a secret. A literal string is accepted by the parser only to be
/// refused with a precise diagnostic; its value is dropped on the spot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRefAsWritten {
    Literal,
    Env(String),
    File(String),
    Invalid(String),
}

impl<'de> Deserialize<'de> for SecretRefAsWritten {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SecretVisitor;

        impl<'de> Visitor<'de> for SecretVisitor {
            type Value = SecretRefAsWritten;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("{ env = \"NAME\" } or { file = \"PATH\" }")
            }

            fn visit_str<E: de::Error>(self, _literal: &str) -> Result<SecretRefAsWritten, E> {
                Ok(SecretRefAsWritten::Literal)
            }

            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<SecretRefAsWritten, A::Error> {
                let mut found: Vec<SecretRefAsWritten> = Vec::new();
                let mut problem = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "env" => found.push(SecretRefAsWritten::Env(map.next_value()?)),
                        "file" => found.push(SecretRefAsWritten::File(map.next_value()?)),
                        other => {
                            map.next_value::<de::IgnoredAny>()?;
                            problem = Some(format!(
                                "unknown key `{other}` in a secret reference; expected `env` or `file`"
                            ));
                        }
                    }
                }
                Ok(match (problem, found.len()) {
                    (Some(problem), _) => SecretRefAsWritten::Invalid(problem),
                    (None, 1) => found.pop().expect("one element"),
                    (None, 0) => SecretRefAsWritten::Invalid(
                        "a secret reference needs `env` or `file`".into(),
                    ),
                    (None, _) => SecretRefAsWritten::Invalid(
                        "a secret reference takes `env` or `file`, not both".into(),
                    ),
                })
            }
        }

        deserializer.deserialize_any(SecretVisitor)
    }
}

/// `"default": null` comes from `Option`'s default and means nothing in TOML.
fn drop_null_defaults(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if map.get("default").is_some_and(serde_json::Value::is_null) {
                map.remove("default");
            }
            map.values_mut().for_each(drop_null_defaults);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_null_defaults),
        _ => {}
    }
}

/// A requirement key whose value some hosts write as a table and others as a list
/// (`require_permissions`: permission levels by name on one host, permission names on
/// another). Both shapes read, each value keeping its span; each host takes the shape it
/// knows, so that `[defaults]` may hold either and a host's own level refuses the other.
#[derive(Debug)]
pub enum TableOrList {
    Table(std::collections::BTreeMap<String, Text>),
    List(Vec<Text>),
}

impl<'de> Deserialize<'de> for TableOrList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Shape;

        impl<'de> Visitor<'de> for Shape {
            type Value = TableOrList;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table or a list")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TableOrList, A::Error> {
                let mut table = std::collections::BTreeMap::new();
                while let Some((key, value)) = map.next_entry::<String, Text>()? {
                    table.insert(key, value);
                }
                Ok(TableOrList::Table(table))
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<TableOrList, A::Error> {
                let mut list = Vec::new();
                while let Some(item) = seq.next_element::<Text>()? {
                    list.push(item);
                }
                Ok(TableOrList::List(list))
            }
        }

        d.deserialize_any(Shape)
    }
}

/// The JSON Schema of a [`TableOrList`] of strings.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum TableOrListSchema {
    Table(std::collections::BTreeMap<String, String>),
    List(Vec<String>),
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
            &[
                "version",
                "extends",
                "defaults",
                "hosts",
                "token",
                "waiver",
                "inventory"
            ]
        );
    }
}
