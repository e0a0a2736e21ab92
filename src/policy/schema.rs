//! What the generated JSON Schema cannot say from the types alone, added to it so that
//! an editor catches what `validate` would: duration and URL patterns, preset names, IAM
//! action shapes, a secret reference of exactly `env` or `file`, and each host's required
//! keys. Never stricter than `validate`: a policy it accepts, the schema accepts.

use serde_json::{Value, json};

use super::presets::{PREFIX, PRESETS};
use crate::hosts::HostKind;

/// Days, weeks or hours ("90d", "2w", "36h"), or ISO 8601 ("P90D").
const DURATION: &str = r"^\s*([Pp][0-9A-Za-z.,]+|[0-9]+(\.[0-9]+)?\s*[A-Za-z][0-9A-Za-z .,]*)\s*$";
/// https, or plain http to loopback only.
const URL: &str = r"^(https://|http://(127\.[0-9.]+|localhost|\[::1\])([:/]|$))";
/// `service:Action`, the action possibly with wildcards.
const IAM_ACTION: &str = r"^[a-z0-9-]+:[A-Za-z0-9*?]+$";
/// GitHub's `OWNER/REPO` and organization logins (see the GitHub host).
const REPOSITORY: &str = r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$";
const LOGIN: &str = r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$";
/// A safe token name (see `validate`).
const NAME: &str = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";

pub(super) fn strengthen(schema: &mut Value) {
    let definitions = &mut schema["definitions"];
    definitions["SecretRefSchema"] = json!({
        "description": "`{ env = \"NAME\" }` or `{ file = \"PATH\" }`: exactly one, nothing else.",
        "oneOf": [
            { "type": "object", "properties": { "env": { "type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$" } }, "required": ["env"], "additionalProperties": false },
            { "type": "object", "properties": { "file": { "type": "string", "minLength": 1 } }, "required": ["file"], "additionalProperties": false }
        ]
    });
    for section in [
        "RequirementsSchema",
        "TokenTableSchema",
        "RawDefaultsSchema",
        "InventoryTableSchema",
    ] {
        let Some(properties) = definitions[section]["properties"].as_object_mut() else {
            continue;
        };
        for key in [
            "max_lifespan",
            "expiry_warning",
            "stale_after",
            "max_waiver",
        ] {
            if let Some(property) = properties.get_mut(key) {
                property["pattern"] = json!(DURATION);
            }
        }
        if let Some(actions) = properties.get_mut("require_actions") {
            actions["items"]["pattern"] = json!(IAM_ACTION);
        }
        for key in ["url", "vssps_url", "profile_url"] {
            if let Some(url) = properties.get_mut(key) {
                url["pattern"] = json!(URL);
            }
        }
        for (key, pattern) in [("repositories", REPOSITORY), ("organizations", LOGIN)] {
            if let Some(list) = properties.get_mut(key) {
                list["items"]["pattern"] = json!(pattern);
            }
        }
        if let Some(name) = properties.get_mut("name") {
            name["pattern"] = json!(NAME);
        }
    }
    definitions["TokenTableSchema"]["allOf"] = HostKind::ALL
        .iter()
        .map(|host| requires(host.as_str(), one_of(host.meta().token_requires)))
        .collect();
    definitions["InventoryTableSchema"]["allOf"] = HostKind::ALL
        .iter()
        .map(|host| match host.meta().inventory {
            Some(_) => requires(host.as_str(), one_of(host.meta().inventory_requires)),
            // A host without a listing of tokens has no inventory.
            None => json!({ "properties": { "host": { "not": { "const": host.as_str() } } } }),
        })
        .collect();
    // `rule = "id"` or `rule = ["id", …]`, as `validate` reads it.
    definitions["RawWaiver"]["properties"]["rule"] = json!({
        "description": definitions["RawWaiver"]["properties"]["rule"]["description"].clone(),
        "anyOf": [
            { "type": "string" },
            { "type": "array", "items": { "type": "string" } }
        ]
    });
    let presets: Vec<String> = PRESETS
        .iter()
        .map(|p| format!("{PREFIX}{}", p.name))
        .collect();
    schema["properties"]["extends"]["items"]["enum"] = json!(presets);
}

/// `required` with its keys named under `properties` too, as ajv's strict mode wants.
fn required(keys: &[&str]) -> Value {
    let properties: serde_json::Map<String, Value> =
        keys.iter().map(|k| (k.to_string(), json!({}))).collect();
    json!({ "properties": properties, "required": keys })
}

/// Any one of these sets of keys.
fn one_of(sets: &[&[&str]]) -> Value {
    match sets {
        [keys] => required(keys),
        _ => json!({ "anyOf": sets.iter().map(|keys| required(keys)).collect::<Vec<_>>() }),
    }
}

/// `if host = HOST then REQUIRED`.
fn requires(host: &str, then: Value) -> Value {
    json!({
        "if": { "properties": { "host": { "const": host } }, "required": ["host"] },
        "then": then
    })
}
