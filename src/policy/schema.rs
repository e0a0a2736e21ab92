//! What the generated JSON Schema cannot say from the types alone, added to it so that
//! an editor catches what `validate` would: duration and URL patterns, preset names, IAM
//! action shapes, a secret reference of exactly `env` or `file`, and each host's required
//! keys. Never stricter than `validate`: a policy it accepts, the schema accepts.

use serde_json::{Value, json};

use super::presets::{PREFIX, PRESETS};
use crate::hosts::HostKind;

/// Whole days, weeks or hours, not zero ("90d", "2w", "36h", "90 days", "1d 3h"), or ISO
/// 8601 days and weeks ("P90D", "P2W"): what `parse_duration` takes, except that a
/// combination of parts all zero ("0d 0h") and more than a century pass here. No
/// look-around, which taplo's regex engine lacks.
const DURATION: &str = concat!(
    r"^\s*\+?(",
    r"[Pp]([0-9]+[Ww][0-9]+[Dd]|[0-9]*[1-9][0-9]*[WwDd])",
    r"|[0-9]*[1-9][0-9]*\s*(w|wks?|weeks?|d|days?|h|hrs?|hours?)",
    r"|[0-9]+\s*(w|wks?|weeks?|d|days?|h|hrs?|hours?)(\s*[0-9]+\s*(w|wks?|weeks?|d|days?|h|hrs?|hours?))+",
    r")\s*$"
);
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

#[cfg(test)]
mod tests {
    use super::DURATION;
    use crate::policy::parse_duration;
    use proptest::prelude::*;

    fn pattern() -> jsonschema::Validator {
        jsonschema::validator_for(&serde_json::json!({ "type": "string", "pattern": DURATION }))
            .unwrap()
    }

    #[test]
    fn the_duration_pattern_refuses_what_validate_refuses() {
        let pattern = pattern();
        for text in [
            "90d", "12w", "36h", "90 days", "2 weeks", "1d 3h", "1d3h", "P90D", "P2W", "p90d",
            "+3d", " 36h ",
        ] {
            assert!(parse_duration(text).is_ok(), "{text}");
            assert!(pattern.is_valid(&text.into()), "{text}");
        }
        for text in [
            "3m",
            "30min",
            "90s",
            "PT5M",
            "PT36H",
            "P1DT0H",
            "1.5h",
            "1.0h",
            "1,5h",
            "0d",
            "0h",
            "P0D",
            "3M",
            "3mo",
            "1y",
            "3 months",
            "P3M",
            "P1Y",
            "-3d",
            "90d ago",
            "36:00:00",
            "ninety days",
            "",
        ] {
            assert!(parse_duration(text).is_err(), "{text}");
            assert!(!pattern.is_valid(&text.into()), "{text}");
        }
    }

    proptest! {
        /// Never stricter than `validate`: whatever `parse_duration` takes, the pattern
        /// takes.
        #[test]
        fn the_duration_pattern_is_no_stricter_than_validate(
            text in prop_oneof![
                "[ +0-9PpTtWwDdHhMmSsYyoinaeukr]{0,9}",
                " ?[+-]?[0-9]{1,3} ?(w|wk|wks|week|weeks|d|day|days|h|hr|hrs|hour|hours|m|min|mo|s|y)( ?[0-9]{1,3} ?(w|wks|d|days|h|hours|m|s)){0,2} ?",
                "[+-]?[Pp]([0-9]{1,2}[YyMmWwDd]){0,3}([Tt]([0-9]{1,2}[HhMmSs]){0,2})?",
            ]
        ) {
            if parse_duration(&text).is_ok() {
                prop_assert!(pattern().is_valid(&text.clone().into()), "{}", text);
            }
        }
    }
}
