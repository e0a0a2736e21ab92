//! The sections of a policy document (`version`, `extends`, `[defaults]`, `[hosts.*]`,
//! `[[token]]`), presets, and how the levels merge into each token's requirements.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::requirements::requirement_keys;
use super::{
    HostTable, Level, ParsedDoc, ParsedToken, TokenKeys, Validator, host_list, hosts_of_key,
};
use crate::hosts::HostKind;
use crate::policy::raw::{RawToken, RawTopLevel, Text, TextList, field_names};
use crate::policy::{
    DocId, Document, Documents, Origin, Requirements, Setting, TokenSpec, presets,
};
use crate::secret::SecretSource;
use crate::suggest;

impl Validator {
    /// First pass over one document: syntax, keys, types, and per-level values.
    pub(super) fn parse_document(&mut self, doc: DocId) -> Option<ParsedDoc> {
        let text = self.docs.get(doc).text.clone();
        let root = match DeTable::parse(&text) {
            Ok(root) => root,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                self.problem(
                    doc,
                    span,
                    format!("the policy is not valid TOML: {}", e.message().trim()),
                    "here",
                    Some("fix the TOML syntax; `patlint validate` checks the file offline".into()),
                );
                return None;
            }
        };
        let table = root.into_inner();
        self.check_keys(
            doc,
            &table,
            &[field_names::<RawTopLevel>()],
            "at the top level",
        );
        // Each top-level key on its own, so that one type error hides nothing else.
        let version: Option<Spanned<i64>> = table
            .get("version")
            .and_then(|v| self.deserialize(doc, v.clone()));
        let extends: Option<TextList> = table
            .get("extends")
            .and_then(|v| self.deserialize(doc, v.clone()));

        match &version {
            None if table.contains_key("version") => {}
            None => self.problem(
                doc,
                0..0,
                "the policy has no `version`",
                "expected `version = 1` here",
                Some("add `version = 1` as the first line".into()),
            ),
            Some(v) if *v.get_ref() != 1 => self.problem(
                doc,
                v.span(),
                format!("unsupported policy version {}", v.get_ref()),
                "this patlint reads version 1",
                Some("set `version = 1`".into()),
            ),
            Some(_) => {}
        }

        let defaults = match table.get("defaults") {
            Some(value) => self.requirements_section(doc, value, Level::Defaults),
            None => Requirements::default(),
        };
        let in_preset = doc != crate::policy::Documents::POLICY;
        let max_waiver = table
            .get("defaults")
            .and_then(|d| match d.get_ref() {
                DeValue::Table(t) => t.get("max_waiver").cloned(),
                _ => None,
            })
            .and_then(|value| self.max_waiver(doc, &value));
        let waivers = match table.get("waiver") {
            Some(value) => self.waiver_section(doc, value, in_preset),
            None => Vec::new(),
        };
        let hosts = match table.get("hosts") {
            Some(value) => self.hosts_section(doc, value),
            None => BTreeMap::new(),
        };
        let tokens = match table.get("token") {
            Some(value) => self.token_section(doc, value),
            None => Vec::new(),
        };
        let inventories = match table.get("inventory") {
            Some(value) => self.inventory_section(doc, value),
            None => Vec::new(),
        };
        Some(ParsedDoc {
            doc,
            extends: extends.map(Spanned::into_inner).unwrap_or_default(),
            defaults,
            hosts,
            tokens,
            inventories,
            waivers,
            max_waiver,
        })
    }

    pub(super) fn requirements_section(
        &mut self,
        doc: DocId,
        value: &Spanned<DeValue>,
        level: Level,
    ) -> Requirements {
        let Some(table) = self.as_table(doc, value, &level.describe()) else {
            return Requirements::default();
        };
        // `max_waiver` is the one key of [defaults] alone; a waiver is never a setting.
        let defaults_only: &[&str] = match level {
            Level::Defaults => &["max_waiver"],
            _ => &[],
        };
        if let Some(waiver) = table.get("waiver") {
            self.problem(
                doc,
                waiver.span(),
                format!("a waiver cannot be a setting of {}", level.describe()),
                "waivers live next to the tokens they concern",
                Some("write a `[[waiver]]` table at the top level of the policy file, naming the token and the rule".into()),
            );
        }
        let mut known: Vec<&[&str]> = requirement_keys();
        known.extend([defaults_only, &["waiver"]]);
        self.check_keys(doc, table, &known, &format!("in {}", level.describe()));
        if let Level::Host(host) = level {
            self.check_requirement_keys_for_host(doc, table, host);
        }
        self.requirements(doc, value, level)
    }

    pub(super) fn hosts_section(
        &mut self,
        doc: DocId,
        value: &Spanned<DeValue>,
    ) -> BTreeMap<HostKind, Requirements> {
        let mut hosts = BTreeMap::new();
        let Some(table) = self.as_table(doc, value, "`hosts`") else {
            return hosts;
        };
        for (key, section) in table.iter() {
            let name = key.get_ref().as_ref();
            match HostKind::parse(name) {
                Some(host) => {
                    let reqs = self.requirements_section(doc, section, Level::Host(host));
                    hosts.insert(host, reqs);
                }
                None => self.unknown_host(doc, key.span(), name),
            }
        }
        hosts
    }

    pub(super) fn token_section(
        &mut self,
        doc: DocId,
        value: &Spanned<DeValue>,
    ) -> Vec<ParsedToken> {
        let DeValue::Array(items) = value.get_ref() else {
            self.problem(
                doc,
                value.span(),
                "`token` must be an array of tables",
                "expected [[token]] tables",
                Some("write each token as a `[[token]]` table".into()),
            );
            return Vec::new();
        };
        let mut known = vec![field_names::<RawToken>()];
        known.extend(requirement_keys());
        known.extend(HostKind::ALL.iter().map(|h| h.token_keys()));
        let mut tokens = Vec::new();
        for item in items.iter() {
            let Some(table) = self.as_table(doc, item, "each [[token]]") else {
                continue;
            };
            self.check_host_table_keys(doc, table, &known, "in [[token]]", HostTable::Token);
            if let Some(key) = table.get("undeclared") {
                self.problem(
                    doc,
                    key.span(),
                    "`undeclared` is not a setting of a declared token",
                    "this token is declared",
                    Some("`undeclared` says what `patlint audit` does with tokens no [[token]] declares: set it in [defaults] or [hosts.<host>]".into()),
                );
            }
            let Some(mut token) = self.token_table(doc, item, "token") else {
                continue;
            };
            // With an unknown host, requirements are still checked, as if in [defaults].
            let level = token.host.map_or(Level::Defaults, Level::Token);
            token.requirements = self.requirements(doc, item, level);
            if let Some(host) = token.host {
                self.check_token_keys_for_host(doc, table, host);
            }
            tokens.push(token);
        }
        tokens
    }

    /// The keys a `[[token]]` and an `[[inventory]]` share: name, host, secret, and the
    /// host's own keys.
    pub(super) fn token_table(
        &mut self,
        doc: DocId,
        item: &Spanned<DeValue<'_>>,
        kind: &'static str,
    ) -> Option<ParsedToken> {
        let raw = self.deserialize::<RawToken>(doc, item.clone())?;
        let host = match &raw.host {
            Some(h) => {
                let parsed = HostKind::parse(h.get_ref());
                if parsed.is_none() {
                    self.unknown_host(doc, h.span(), h.get_ref());
                }
                parsed
            }
            None => None,
        };
        let secret = raw.secret.as_ref().map(|value| {
            self.secret_ref(doc, "secret", value).map(|source| Setting {
                value: source,
                origin: Origin {
                    doc,
                    span: value.span(),
                },
            })
        });
        let (endpoint, implicit_secret) = match host {
            Some(host) => self.host_keys(doc, item, &raw, host, kind),
            None => (None, None),
        };
        Some(ParsedToken {
            table_span: item.span(),
            raw,
            host,
            requirements: Requirements::default(),
            secret,
            endpoint,
            implicit_secret,
        })
    }

    /// The host validates its own keys of the token.
    fn host_keys(
        &mut self,
        doc: DocId,
        item: &Spanned<DeValue<'_>>,
        raw: &RawToken,
        host: HostKind,
        kind: &'static str,
    ) -> (
        Option<crate::hosts::Endpoint>,
        Option<Setting<SecretSource>>,
    ) {
        let mut keys = self.keys_of(doc, item, raw, kind);
        let endpoint = host.endpoint(&mut keys);
        (endpoint, keys.implicit_secret)
    }

    /// What a host's validation sees of a table.
    pub(super) fn keys_of<'a>(
        &'a mut self,
        doc: DocId,
        item: &'a Spanned<DeValue<'a>>,
        raw: &'a RawToken,
        kind: &'static str,
    ) -> TokenKeys<'a> {
        TokenKeys {
            v: self,
            doc,
            table_span: item.span(),
            table: item,
            url: raw.url.as_ref(),
            has_secret: raw.secret.is_some(),
            implicit_secret: None,
            kind,
        }
    }

    pub(super) fn check_token_keys_for_host(
        &mut self,
        doc: DocId,
        table: &DeTable,
        host: HostKind,
    ) {
        for key in table.keys() {
            let name = key.get_ref().as_ref();
            if let Some(hosts) = hosts_of_key(name)
                && !hosts.contains(&host)
            {
                self.problem(
                    doc,
                    key.span(),
                    format!("`{name}` does not apply to `{host}` tokens"),
                    format!("only for {}", host_list(&hosts)),
                    Some(format!("remove `{name}` from this token")),
                );
            }
        }
    }

    /// Loads `extends` entries as preset documents, in order.
    pub(super) fn load_presets(&mut self, extends: &[Text]) -> Vec<ParsedDoc> {
        let mut loaded = Vec::new();
        let mut seen = HashSet::new();
        for entry in extends {
            let name = entry.get_ref();
            let Some(preset_name) = name.strip_prefix(presets::PREFIX) else {
                self.problem(
                    Documents::POLICY,
                    entry.span(),
                    format!("`{name}` is not a preset"),
                    "expected builtin:NAME",
                    Some(format!("presets are {}", preset_names())),
                );
                continue;
            };
            let Some(preset) = presets::find(preset_name) else {
                let help =
                    match suggest::closest(preset_name, presets::PRESETS.iter().map(|p| p.name)) {
                        Some(s) => format!("did you mean `builtin:{s}`?"),
                        None => format!("presets are {}", preset_names()),
                    };
                self.problem(
                    Documents::POLICY,
                    entry.span(),
                    format!("unknown preset `{name}`"),
                    "no such preset",
                    Some(help),
                );
                continue;
            };
            if !seen.insert(preset.name) {
                self.problem(
                    Documents::POLICY,
                    entry.span(),
                    format!("`{name}` is listed twice"),
                    "again here",
                    Some("remove the duplicate".into()),
                );
                continue;
            }
            let doc = self.docs.add(Document::new(
                format!("{}{}", presets::PREFIX, preset.name),
                Arc::from(preset.text),
                Some(entry.span()),
            ));
            if let Some(parsed) = self.parse_document(doc) {
                loaded.push(parsed);
            }
        }
        loaded
    }

    /// Builds every token's spec, resolving requirements across the levels.
    pub(super) fn resolve_tokens(
        &mut self,
        main: &ParsedDoc,
        presets: &[ParsedDoc],
        names: &mut BTreeMap<String, Range<usize>>,
    ) -> Vec<TokenSpec> {
        for preset in presets {
            let tables = preset.tokens.iter().map(|t| (&t.table_span, "tokens"));
            let inventories = preset
                .inventories
                .iter()
                .map(|i| (&i.table.table_span, "inventories"));
            for (table_span, what) in tables.chain(inventories) {
                self.problem(
                    preset.doc,
                    table_span.clone(),
                    format!("presets cannot declare {what}"),
                    "declared here",
                    None,
                );
            }
        }
        let mut specs = Vec::new();
        for token in &main.tokens {
            let Some(name) = self.token_name(main.doc, token, names) else {
                continue;
            };
            let Some(host) = token.host else {
                if token.raw.host.is_none() {
                    self.missing_key(
                        main.doc,
                        token.table_span.clone(),
                        "host",
                        &format!(
                            "add `host = \"github\"` (one of {})",
                            host_list(HostKind::ALL)
                        ),
                    );
                }
                continue;
            };
            let requirements = token
                .requirements
                .clone()
                .or(&Self::host_requirements(main, presets, host));
            self.check_resolved(host, &requirements, (main.doc, name.span()));
            specs.extend(self.spec(main.doc, token, name, requirements));
        }
        specs
    }

    /// The spec of a validated token (or inventory) table, once its secret is known.
    pub(super) fn spec(
        &mut self,
        doc: DocId,
        token: &ParsedToken,
        name: Text,
        requirements: Requirements,
    ) -> Option<TokenSpec> {
        let secret = self.secret_source(doc, token);
        let ca_file = token
            .raw
            .ca_file
            .as_ref()
            .and_then(|f| self.ca_file(doc, f));
        Some(TokenSpec {
            origin: Origin {
                doc,
                span: name.span(),
            },
            name: name.into_inner(),
            endpoint: token.endpoint.clone()?,
            url_origin: token.raw.url.as_ref().map(|u| Origin {
                doc,
                span: u.span(),
            }),
            ca_file,
            secret: secret?,
            requirements,
        })
    }

    /// What every token of `host` must look like when no `[[token]]` says more: the
    /// requirements of `[hosts.<host>]` and `[defaults]`, the policy's over its presets'.
    pub(super) fn host_requirements(
        main: &ParsedDoc,
        presets: &[ParsedDoc],
        host: HostKind,
    ) -> Requirements {
        let levels = [main.hosts.get(&host), Some(&main.defaults)]
            .into_iter()
            .chain(
                presets
                    .iter()
                    .rev()
                    .flat_map(|p| [p.hosts.get(&host), Some(&p.defaults)]),
            )
            .flatten();
        levels.fold(Requirements::default(), |merged, level| merged.or(level))
    }

    pub(super) fn token_name(
        &mut self,
        doc: DocId,
        token: &ParsedToken,
        names: &mut BTreeMap<String, Range<usize>>,
    ) -> Option<Text> {
        let Some(name) = token.raw.name.clone() else {
            self.missing_key(
                doc,
                token.table_span.clone(),
                "name",
                "add `name = \"…\"`: a unique name for the token, used in every report",
            );
            return None;
        };
        if name.get_ref().trim().is_empty() {
            self.problem(
                doc,
                name.span(),
                "a token name cannot be empty",
                "empty name",
                Some(
                    "name the token after the integration that uses it, e.g. \"jira-github\""
                        .into(),
                ),
            );
            return None;
        }
        if !is_safe_name(name.get_ref()) {
            self.problem(
                doc,
                name.span(),
                "a token name may hold only letters, digits, `.`, `_` and `-` (at most 64, starting with a letter or digit)",
                "not a safe name",
                Some("names appear in every report and CI log: rename the token, e.g. \"jira-github\"".into()),
            );
            return None;
        }
        if let Some(first) = names.get(name.get_ref()) {
            let (line, _) = self.docs.get(doc).line_col(first.start);
            self.problem(
                doc,
                name.span(),
                format!("duplicate token name `{}`", name.get_ref()),
                format!("first used on line {line}"),
                Some("token names must be unique; rename one of them".into()),
            );
            return None;
        }
        names.insert(name.get_ref().clone(), name.span());
        Some(name)
    }

    pub(super) fn secret_source(
        &mut self,
        doc: DocId,
        token: &ParsedToken,
    ) -> Option<Setting<SecretSource>> {
        match &token.secret {
            Some(checked) => checked.clone(),
            None if token.implicit_secret.is_some() => token.implicit_secret.clone(),
            None => {
                self.missing_key(
                    doc,
                    token.table_span.clone(),
                    "secret",
                    "add `secret = { env = \"NAME\" }` naming the variable that holds the token",
                );
                None
            }
        }
    }
}

fn preset_names() -> String {
    presets::PRESETS
        .iter()
        .map(|p| format!("`builtin:{}`", p.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Token names go into every report, CI log, Markdown table and Mermaid chart: a small
/// safe set, so that no name can carry a newline, a runner command or markup.
pub fn is_safe_name(name: &str) -> bool {
    name.len() <= 64
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}
