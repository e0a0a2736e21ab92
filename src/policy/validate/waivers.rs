//! `[[waiver]]`: a known violation accepted until a date, with a reason. Checked here for
//! shape (every key, a known and waivable rule, a date, a token the policy declares);
//! its length against `max_waiver` is checked at the run's `--now`, with the rest, by
//! [`Validator::check_waiver_lengths`].

use std::ops::Range;

use jiff::SignedDuration;
use toml::Spanned;
use toml::de::DeValue;

use super::Validator;
use crate::policy::raw::{Text, TextList, field_names};
use crate::policy::{
    DURATION_HELP, DocId, Origin, TokenPattern, Waiver, parse_duration, parse_instant,
};
use crate::rules::Rule;
use crate::suggest;

/// The keys of one `[[waiver]]`, as written.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct RawWaiver {
    /// The token this waiver is for: its name, or a glob over names (`*`, `?`), e.g. "jira-*".
    #[serde(default)]
    #[schemars(with = "String")]
    pub token: Option<Text>,
    /// The rule id it waives (or a list of ids), e.g. "lifespan-exceeded".
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub rule: Option<serde::de::IgnoredAny>,
    /// When it ends: a date (00:00 UTC) or an RFC 3339 instant; at most `max_waiver` after the run.
    #[serde(default)]
    #[schemars(with = "String")]
    pub until: Option<Text>,
    /// Why the violation is accepted, and what ends it (a ticket, a migration).
    #[serde(default)]
    #[schemars(with = "String")]
    pub reason: Option<Text>,
}

/// The default longest waiver, from the run's `--now`.
pub const DEFAULT_MAX_WAIVER: SignedDuration = SignedDuration::from_hours(90 * 24);

impl Validator {
    /// The `[[waiver]]` tables of the policy file. Presets never carry waivers: waivers
    /// live next to the tokens they concern.
    pub(super) fn waiver_section(
        &mut self,
        doc: DocId,
        value: &Spanned<DeValue>,
        in_preset: bool,
    ) -> Vec<Waiver> {
        if in_preset {
            self.problem(
                doc,
                value.span(),
                "a preset cannot waive findings",
                "waivers live next to the tokens they concern",
                Some("write `[[waiver]]` in the policy file itself".into()),
            );
            return Vec::new();
        }
        let DeValue::Array(items) = value.get_ref() else {
            self.problem(
                doc,
                value.span(),
                "`waiver` must be an array of tables",
                "expected [[waiver]] tables",
                Some("write each waiver as a `[[waiver]]` table".into()),
            );
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| self.waiver(doc, item))
            .collect()
    }

    fn waiver(&mut self, doc: DocId, item: &Spanned<DeValue>) -> Option<Waiver> {
        let table = self.as_table(doc, item, "each [[waiver]]")?;
        self.check_keys(doc, table, &[field_names::<RawWaiver>()], "in [[waiver]]");
        let raw: RawWaiver = self.deserialize(doc, item.clone())?;
        let origin = |span: Range<usize>| Origin { doc, span };
        let header = item.span().start..item.span().start;
        let missing = |v: &mut Self, key: &str, help: &str| {
            v.problem(
                doc,
                header.clone(),
                format!("this waiver has no `{key}`"),
                format!("`{key}` is required"),
                Some(help.to_owned()),
            );
        };
        let rules = match table.get("rule") {
            Some(value) => self.waived_rules(doc, value),
            None => {
                missing(
                    self,
                    "rule",
                    "add `rule = \"RULE-ID\"`: the finding it accepts, e.g. \"lifespan-exceeded\"",
                );
                None
            }
        };
        let until = match &raw.until {
            Some(text) => match parse_instant(text.get_ref()) {
                Ok(until) => {
                    // Checked against `max_waiver` even when the rest of the waiver is not
                    // right: every problem is said at once.
                    self.waiver_ends.push((until, origin(text.span())));
                    Some((until, origin(text.span())))
                }
                Err(message) => {
                    self.problem(
                        doc,
                        text.span(),
                        format!("invalid `until`: {message}"),
                        "not a date",
                        Some("write the day the waiver ends, e.g. `until = \"2027-01-31\"`".into()),
                    );
                    None
                }
            },
            None => {
                missing(
                    self,
                    "until",
                    "add `until = \"YYYY-MM-DD\"`: waivers end, so that nobody accepts a violation forever",
                );
                None
            }
        };
        let reason = match &raw.reason {
            Some(text) if !text.get_ref().trim().is_empty() => Some(text.get_ref().clone()),
            Some(text) => {
                self.problem(
                    doc,
                    text.span(),
                    "`reason` is empty",
                    "say why",
                    Some(
                        "say why the violation is accepted and what ends it, e.g. a ticket".into(),
                    ),
                );
                None
            }
            None => {
                missing(
                    self,
                    "reason",
                    "add `reason = \"…\"`: why the violation is accepted, and what ends it",
                );
                None
            }
        };
        let token = match &raw.token {
            Some(text) => Some((TokenPattern::new(text.get_ref()), origin(text.span()))),
            None => {
                missing(
                    self,
                    "token",
                    "add `token = \"NAME\"` (or a glob such as \"jira-*\")",
                );
                None
            }
        };
        let ((token, token_origin), rules, (until, until_origin), reason) =
            (token?, rules?, until?, reason?);
        Some(Waiver {
            token,
            token_origin,
            rules,
            until,
            until_origin,
            reason,
            origin: origin(item.span()),
        })
    }

    /// `rule = "id"` or `rule = ["id", …]`: known ids that may be waived.
    fn waived_rules(&mut self, doc: DocId, value: &Spanned<DeValue>) -> Option<Vec<Rule>> {
        let ids: Vec<Text> = match value.get_ref() {
            DeValue::String(_) => vec![self.deserialize::<Text>(doc, value.clone())?],
            _ => self
                .deserialize::<TextList>(doc, value.clone())?
                .into_inner(),
        };
        let mut rules = Vec::new();
        for id in ids {
            let Some(rule) = Rule::from_id(id.get_ref()) else {
                let help = match suggest::closest(id.get_ref(), Rule::ALL.iter().map(|r| r.id())) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => "`patlint explain` lists the rule ids".into(),
                };
                self.problem(
                    doc,
                    id.span(),
                    format!("`{}` is not a rule", id.get_ref()),
                    "unknown rule",
                    Some(help),
                );
                continue;
            };
            if !rule.is_waivable() {
                self.problem(
                    doc,
                    id.span(),
                    format!("`{}` cannot be waived", rule.id()),
                    "not waivable",
                    Some("a token that could not be checked, was rejected or has expired is a broken integration, not a known risk: fix it (`patlint explain` says how)".into()),
                );
                continue;
            }
            rules.push(rule);
        }
        (!rules.is_empty()).then_some(rules)
    }

    /// Waivers that end further than `max_waiver` after `now`: nobody waives for ten
    /// years. Judged at the run's `--now`, so a waiver written today stays valid.
    pub(super) fn check_waiver_lengths(
        &mut self,
        now: jiff::Timestamp,
        max_waiver: Option<&crate::policy::Setting<SignedDuration>>,
    ) {
        let max = max_waiver.map_or(DEFAULT_MAX_WAIVER, |s| s.value);
        let ends = std::mem::take(&mut self.waiver_ends);
        for (until, origin) in ends
            .into_iter()
            .filter(|(until, _)| until.duration_since(now) > max)
        {
            self.problem(
                origin.doc,
                origin.span,
                format!(
                    "this waiver runs until {}, more than `max_waiver` ({}) from now",
                    until.strftime("%Y-%m-%d"),
                    crate::policy::format_duration(max)
                ),
                format!("at most {}", crate::policy::format_duration(max)),
                Some("waive for a shorter time and renew it if the reason still holds (or raise `max_waiver` in [defaults])".into()),
            );
        }
    }

    /// `max_waiver` in `[defaults]`.
    pub(super) fn max_waiver(
        &mut self,
        doc: DocId,
        value: &Spanned<DeValue>,
    ) -> Option<crate::policy::Setting<SignedDuration>> {
        let text: Text = self.deserialize(doc, value.clone())?;
        match parse_duration(text.get_ref()) {
            Ok(value) => Some(crate::policy::Setting {
                value,
                origin: Origin {
                    doc,
                    span: text.span(),
                },
            }),
            Err(message) => {
                self.problem(
                    doc,
                    text.span(),
                    format!("invalid `max_waiver`: {message}"),
                    "not a duration",
                    Some(DURATION_HELP.into()),
                );
                None
            }
        }
    }

    /// Every waiver names at least one declared token, or the tokens an inventory lists
    /// (`INVENTORY` for its own findings, `INVENTORY.*` or `INVENTORY.ID` for theirs).
    pub(super) fn check_waiver_tokens(
        &mut self,
        waivers: &[Waiver],
        names: &[&str],
        inventories: &[&str],
    ) {
        for waiver in waivers {
            let listed = |inventory: &&str| {
                waiver.token.matches(inventory)
                    || waiver
                        .token
                        .as_str()
                        .strip_prefix(*inventory)
                        .is_some_and(|rest| rest.starts_with('.'))
            };
            if !names.iter().any(|name| waiver.token.matches(name))
                && !inventories.iter().any(listed)
            {
                let help = match suggest::closest(waiver.token.as_str(), names.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => "name a token the policy declares in a [[token]] table".into(),
                };
                self.problem(
                    waiver.token_origin.doc,
                    waiver.token_origin.span.clone(),
                    format!("no token of the policy is `{}`", waiver.token.as_str()),
                    "matches no [[token]]",
                    Some(help),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::Validator;
    use crate::policy::Document;

    /// Presets are built in and carry no waivers; one that did would be refused.
    #[test]
    fn a_waiver_in_a_preset_is_refused() {
        let mut v = Validator::default();
        v.docs.add(Document::new(
            "patlint.toml".into(),
            Arc::from("version = 1\n"),
            None,
        ));
        let preset = v.docs.add(Document::new(
            "builtin:test".into(),
            Arc::from("version = 1\n[[waiver]]\ntoken = \"t\"\nrule = \"stale-token\"\nuntil = \"2027-01-01\"\nreason = \"x\"\n"),
            Some(0..0),
        ));
        let parsed = v.parse_document(preset).unwrap();
        assert!(parsed.waivers.is_empty());
        assert!(
            v.problems
                .iter()
                .any(|p| p.message == "a preset cannot waive findings"),
        );
    }
}
