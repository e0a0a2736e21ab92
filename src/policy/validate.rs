//! From TOML text to a validated [`Policy`], collecting every problem with its span.
//!
//! Each section is deserialized on its own, so one type error does not hide the
//! problems of the other sections; semantic checks then run on whatever parsed.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use miette::NamedSource;
use reqwest::Url;
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::raw::{
    RawRequirements, RawSecretRef, RawToken, RawTopLevel, Text, TextList, field_names,
};
use super::{
    AzureDevopsEndpoint, AzurePatId, DocId, Document, Documents, Endpoint, OnUnverifiable, Origin,
    Policy, PolicyError, PolicyErrors, Requirements, Setting, TokenSpec, parse_duration, presets,
};
use crate::host_kind::HostKind;
use crate::scopes::ScopeCatalog;
use crate::secret::SecretSource;
use crate::suggest;

/// Parses and validates a policy file. `name` is how reports refer to it.
pub fn parse_policy(name: &str, text: &str) -> Result<Policy, PolicyErrors> {
    let mut v = Validator::default();
    let main = v.docs.add(Document {
        name: name.to_owned(),
        text: Arc::from(blank_secret_like(text)),
        included_at: None,
    });
    let Some(parsed) = v.parse_document(main) else {
        return Err(v.into_errors());
    };
    let presets = v.load_presets(&parsed.extends);
    let tokens = v.resolve_tokens(&parsed, &presets);
    if v.problems.is_empty() {
        Ok(Policy {
            documents: v.docs,
            tokens,
        })
    } else {
        Err(v.into_errors())
    }
}

/// A problem before it is attached to (possibly redacted) source text.
struct Problem {
    doc: DocId,
    span: Range<usize>,
    message: String,
    label: String,
    help: Option<String>,
}

#[derive(Default)]
struct Validator {
    docs: Documents,
    problems: Vec<Problem>,
    /// Spans of secrets written literally: blanked before any text is shown.
    redact: Vec<(DocId, Range<usize>)>,
}

/// Where in a policy a set of requirements sits; decides which keys are allowed.
#[derive(Clone, Copy)]
enum Level {
    Defaults,
    Host(HostKind),
    Token(HostKind),
}

impl Level {
    fn host(self) -> Option<HostKind> {
        match self {
            Level::Defaults => None,
            Level::Host(h) | Level::Token(h) => Some(h),
        }
    }

    fn describe(self) -> String {
        match self {
            Level::Defaults => "[defaults]".into(),
            Level::Host(h) => format!("[hosts.{h}]"),
            Level::Token(_) => "[[token]]".into(),
        }
    }
}

/// A document's contents after the first pass.
struct ParsedDoc {
    doc: DocId,
    extends: Vec<Text>,
    defaults: Requirements,
    hosts: BTreeMap<HostKind, Requirements>,
    tokens: Vec<ParsedToken>,
}

struct ParsedToken {
    table_span: Range<usize>,
    raw: RawToken,
    host: Option<HostKind>,
    requirements: Requirements,
    secrets: TokenSecrets,
}

/// A token's secret references, checked as soon as the token is read, so that a literal
/// secret is refused and hidden even when the rest of the token is broken.
/// `Some(None)`: written but invalid (already reported).
#[derive(Default)]
struct TokenSecrets {
    secret: Option<Option<Setting<SecretSource>>>,
    entra_token: Option<Option<SecretSource>>,
    access_key_id: Option<Option<SecretSource>>,
}

/// Which token keys belong to which host.
fn host_of_token_key(key: &str) -> Option<&'static [HostKind]> {
    use HostKind::*;
    Some(match key {
        "url" | "ca_file" => &[Github, Gitlab, AzureDevops, AzureDevopsServer],
        "organization" | "vssps_url" | "profile_url" | "entra_token" | "display_name"
        | "authorization_id" => &[AzureDevops],
        "access_key_id" | "region" | "profile" | "service_credentials" => &[AwsIam],
        _ => return None,
    })
}

/// Which requirement keys belong to which hosts.
fn hosts_of_requirement_key(key: &str) -> Option<&'static [HostKind]> {
    use HostKind::*;
    Some(match key {
        "all_accessible_organizations" => &[AzureDevops],
        "require_actions" | "resources" => &[AwsIam],
        "require_scopes" | "forbid_scopes" | "allow_extra_scopes" => {
            &[Github, Gitlab, AzureDevops, AzureDevopsServer]
        }
        _ => return None,
    })
}

fn host_list(hosts: &[HostKind]) -> String {
    hosts
        .iter()
        .map(|h| format!("`{h}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Validator {
    fn problem(
        &mut self,
        doc: DocId,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) {
        self.problems.push(Problem {
            doc,
            span,
            message: message.into(),
            label: label.into(),
            help,
        });
    }

    fn into_errors(self) -> PolicyErrors {
        let mut texts: BTreeMap<DocId, String> = BTreeMap::new();
        for (doc, span) in &self.redact {
            let text = texts
                .entry(*doc)
                .or_insert_with(|| self.docs.get(*doc).text.to_string());
            blank_out(text, span.clone());
        }
        let mut seen = HashSet::new();
        let mut errors = Vec::new();
        let mut problems = self.problems;
        problems.sort_by_key(|p| (p.doc, p.span.start));
        for p in problems {
            if !seen.insert((p.doc, p.span.clone(), p.message.clone())) {
                continue;
            }
            let doc = self.docs.get(p.doc);
            let text: Arc<str> = match texts.get(&p.doc) {
                Some(redacted) => Arc::from(redacted.as_str()),
                None => doc.text.clone(),
            };
            let (line, column) = line_col(&text, p.span.start);
            let span_len = p.span.end.saturating_sub(p.span.start);
            errors.push(PolicyError {
                message: p.message,
                src: NamedSource::new(doc.name.clone(), text),
                span: (p.span.start, span_len).into(),
                label: p.label,
                help: p.help,
                line,
                column,
                path: doc.name.clone(),
            });
        }
        PolicyErrors(errors)
    }

    /// First pass over one document: syntax, keys, types, and per-level values.
    fn parse_document(&mut self, doc: DocId) -> Option<ParsedDoc> {
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
        let hosts = match table.get("hosts") {
            Some(value) => self.hosts_section(doc, value),
            None => BTreeMap::new(),
        };
        let tokens = match table.get("token") {
            Some(value) => self.token_section(doc, value),
            None => Vec::new(),
        };
        Some(ParsedDoc {
            doc,
            extends: extends.map(Spanned::into_inner).unwrap_or_default(),
            defaults,
            hosts,
            tokens,
        })
    }

    fn deserialize<T: for<'de> Deserialize<'de>>(
        &mut self,
        doc: DocId,
        value: Spanned<DeValue<'_>>,
    ) -> Option<T> {
        let span = value.span();
        match T::deserialize(ValueDeserializer::from(value)) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                self.problem(
                    doc,
                    e.span().unwrap_or(span),
                    sanitize_serde_message(e.message()),
                    "wrong type",
                    Some("see the policy reference in the README for each key's type".into()),
                );
                None
            }
        }
    }

    fn check_keys(
        &mut self,
        doc: DocId,
        table: &DeTable,
        known: &[&[&'static str]],
        context: &str,
    ) {
        for key in table.keys() {
            let name = key.get_ref().as_ref();
            if known.iter().any(|list| list.contains(&name)) {
                continue;
            }
            let candidates = known.iter().flat_map(|l| l.iter().copied());
            let help = match suggest::closest(name, candidates) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "known keys here: {}",
                    known
                        .iter()
                        .flat_map(|l| l.iter())
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            self.problem(
                doc,
                key.span(),
                format!("unknown key `{name}` {context}"),
                "not a policy key",
                Some(help),
            );
        }
    }

    fn as_table<'a>(
        &mut self,
        doc: DocId,
        value: &'a Spanned<DeValue<'a>>,
        what: &str,
    ) -> Option<&'a DeTable<'a>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.problem(
                    doc,
                    value.span(),
                    format!("{what} must be a table, found {}", other.type_str()),
                    "expected a table",
                    None,
                );
                None
            }
        }
    }

    fn requirements_section(
        &mut self,
        doc: DocId,
        value: &Spanned<DeValue>,
        level: Level,
    ) -> Requirements {
        let Some(table) = self.as_table(doc, value, &level.describe()) else {
            return Requirements::default();
        };
        self.check_keys(
            doc,
            table,
            &[field_names::<RawRequirements>()],
            &format!("in {}", level.describe()),
        );
        let raw: Option<RawRequirements> = self.deserialize(doc, value.clone());
        raw.map(|raw| self.requirements(doc, raw, level))
            .unwrap_or_default()
    }

    fn hosts_section(
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

    fn unknown_host(&mut self, doc: DocId, span: Range<usize>, name: &str) {
        let help = match suggest::closest(name, HostKind::names()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("hosts are {}", host_list(&HostKind::ALL)),
        };
        self.problem(
            doc,
            span,
            format!("unknown host `{name}`"),
            "not a host patlint knows",
            Some(help),
        );
    }

    fn token_section(&mut self, doc: DocId, value: &Spanned<DeValue>) -> Vec<ParsedToken> {
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
        let known = [field_names::<RawToken>(), field_names::<RawRequirements>()];
        let mut tokens = Vec::new();
        for item in items.iter() {
            let Some(table) = self.as_table(doc, item, "each [[token]]") else {
                continue;
            };
            self.check_keys(doc, table, &known, "in [[token]]");
            let Some(raw) = self.deserialize::<RawToken>(doc, item.clone()) else {
                continue;
            };
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
            let secrets = self.token_secrets(doc, &raw);
            // With an unknown host, requirements are still checked, as if in [defaults].
            let level = host.map_or(Level::Defaults, Level::Token);
            let requirements = self
                .deserialize::<RawRequirements>(doc, item.clone())
                .map(|reqs| self.requirements(doc, reqs, level))
                .unwrap_or_default();
            if let Some(host) = host {
                self.check_token_keys_for_host(doc, table, host);
            }
            tokens.push(ParsedToken {
                table_span: item.span(),
                raw,
                host,
                requirements,
                secrets,
            });
        }
        tokens
    }

    fn token_secrets(&mut self, doc: DocId, raw: &RawToken) -> TokenSecrets {
        let mut check = |key: &str, value: &Option<Spanned<RawSecretRef>>| {
            value.as_ref().map(|v| {
                self.secret_ref(doc, key, v)
                    .map(|source| (source, v.span()))
            })
        };
        let secret = check("secret", &raw.secret);
        let entra_token = check("entra_token", &raw.entra_token);
        let access_key_id = check("access_key_id", &raw.access_key_id);
        TokenSecrets {
            secret: secret.map(|s| {
                s.map(|(value, span)| Setting {
                    value,
                    origin: Origin { doc, span },
                })
            }),
            entra_token: entra_token.map(|s| s.map(|(value, _)| value)),
            access_key_id: access_key_id.map(|s| s.map(|(value, _)| value)),
        }
    }

    fn check_token_keys_for_host(&mut self, doc: DocId, table: &DeTable, host: HostKind) {
        for key in table.keys() {
            let name = key.get_ref().as_ref();
            let hosts = host_of_token_key(name).or_else(|| hosts_of_requirement_key(name));
            if let Some(hosts) = hosts
                && !hosts.contains(&host)
            {
                self.problem(
                    doc,
                    key.span(),
                    format!("`{name}` does not apply to `{host}` tokens"),
                    format!("only for {}", host_list(hosts)),
                    Some(format!("remove `{name}` from this token")),
                );
            }
        }
    }

    /// Converts one level's raw requirements, checking each value.
    fn requirements(&mut self, doc: DocId, raw: RawRequirements, level: Level) -> Requirements {
        if let Level::Host(host) = level {
            self.check_requirement_keys_for_host(doc, &raw, host);
        }
        let origin = |span: Range<usize>| Origin { doc, span };
        let duration = |v: &mut Self, text: Option<Text>, key: &str| {
            let text = text?;
            match parse_duration(text.get_ref()) {
                Ok(d) => Some(Setting {
                    value: d,
                    origin: origin(text.span()),
                }),
                Err(msg) => {
                    v.problem(
                        doc,
                        text.span(),
                        format!("invalid `{key}`: {msg}"),
                        "not a duration",
                        Some("durations are days, weeks or hours: \"90d\", \"2w\", \"36h\"".into()),
                    );
                    None
                }
            }
        };
        let max_lifespan = duration(self, raw.max_lifespan, "max_lifespan");
        let expiry_warning = duration(self, raw.expiry_warning, "expiry_warning");
        let stale_after = duration(self, raw.stale_after, "stale_after");
        let on_unverifiable =
            raw.on_unverifiable
                .and_then(|t| match OnUnverifiable::parse(t.get_ref()) {
                    Some(value) => Some(Setting {
                        value,
                        origin: origin(t.span()),
                    }),
                    None => {
                        let help = match suggest::closest(t.get_ref(), OnUnverifiable::NAMES) {
                            Some(s) => format!("did you mean \"{s}\"?"),
                            None => "use \"fail\", \"warn\" or \"ignore\"".into(),
                        };
                        self.problem(
                            doc,
                            t.span(),
                            format!("invalid `on_unverifiable`: `{}`", t.get_ref()),
                            "expected fail, warn or ignore",
                            Some(help),
                        );
                        None
                    }
                });
        let require_actions = raw.require_actions.map(|list| self.actions(doc, list));
        let resources = raw.resources.map(|list| self.resources(doc, list));
        let reqs = Requirements {
            max_lifespan,
            expiry_warning,
            stale_after,
            on_unverifiable,
            require_scopes: raw.require_scopes.map(|l| settings(doc, l)),
            forbid_scopes: raw.forbid_scopes.map(|l| settings(doc, l)),
            allow_extra_scopes: raw.allow_extra_scopes.map(|b| Setting {
                value: *b.get_ref(),
                origin: origin(b.span()),
            }),
            all_accessible_organizations: raw.all_accessible_organizations.map(|b| Setting {
                value: *b.get_ref(),
                origin: origin(b.span()),
            }),
            require_actions,
            resources,
        };
        if let Some(host) = level.host() {
            self.check_scopes(&reqs, host);
        }
        reqs
    }

    fn check_requirement_keys_for_host(
        &mut self,
        doc: DocId,
        raw: &RawRequirements,
        host: HostKind,
    ) {
        let present: [(&str, Option<Range<usize>>); 6] = [
            (
                "all_accessible_organizations",
                raw.all_accessible_organizations.as_ref().map(Spanned::span),
            ),
            (
                "require_actions",
                raw.require_actions.as_ref().map(Spanned::span),
            ),
            ("resources", raw.resources.as_ref().map(Spanned::span)),
            (
                "require_scopes",
                raw.require_scopes.as_ref().map(Spanned::span),
            ),
            (
                "forbid_scopes",
                raw.forbid_scopes.as_ref().map(Spanned::span),
            ),
            (
                "allow_extra_scopes",
                raw.allow_extra_scopes.as_ref().map(Spanned::span),
            ),
        ];
        for (key, span) in present {
            let (Some(span), Some(hosts)) = (span, hosts_of_requirement_key(key)) else {
                continue;
            };
            if !hosts.contains(&host) {
                self.problem(
                    doc,
                    span,
                    format!("`{key}` does not apply to `{host}`"),
                    format!("only for {}", host_list(hosts)),
                    Some(format!("remove `{key}` from [hosts.{host}]")),
                );
            }
        }
    }

    /// Scope names unknown to the host's catalog, with a suggestion.
    fn check_scopes(&mut self, reqs: &Requirements, host: HostKind) {
        let Some(catalog) = ScopeCatalog::for_host(host) else {
            return;
        };
        for scope in reqs.required_scopes().iter().chain(reqs.forbidden_scopes()) {
            if catalog.is_known(&scope.value) {
                continue;
            }
            let help = match catalog.suggest(&scope.value) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "see `patlint explain missing-scope` and the {} scope list in the README",
                    host.product()
                ),
            };
            self.problem(
                scope.origin.doc,
                scope.origin.span.clone(),
                format!("`{}` is not a {} scope", scope.value, host.product()),
                "unknown scope",
                Some(help),
            );
        }
    }

    fn actions(&mut self, doc: DocId, list: TextList) -> Vec<Setting<String>> {
        for action in list.get_ref() {
            if !is_iam_action(action.get_ref()) {
                self.problem(
                    doc,
                    action.span(),
                    format!("`{}` is not an IAM action", action.get_ref()),
                    "expected service:Action",
                    Some(
                        "write actions as `service:Action`, e.g. \"codecommit:CreateBranch\""
                            .into(),
                    ),
                );
            }
        }
        settings(doc, list)
    }

    fn resources(&mut self, doc: DocId, list: TextList) -> Vec<Setting<String>> {
        for resource in list.get_ref() {
            let r = resource.get_ref();
            if r != "*" && !r.starts_with("arn:") {
                self.problem(
                    doc,
                    resource.span(),
                    format!("`{r}` is not an ARN"),
                    "expected an ARN or \"*\"",
                    Some("CodeCommit repositories are `arn:aws:codecommit:REGION:ACCOUNT:REPOSITORY` (the name may be `*`)".into()),
                );
            }
        }
        settings(doc, list)
    }

    /// Loads `extends` entries as preset documents, in order.
    fn load_presets(&mut self, extends: &[Text]) -> Vec<ParsedDoc> {
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
            let doc = self.docs.add(Document {
                name: format!("{}{}", presets::PREFIX, preset.name),
                text: Arc::from(preset.text),
                included_at: Some(entry.span()),
            });
            if let Some(parsed) = self.parse_document(doc) {
                loaded.push(parsed);
            }
        }
        loaded
    }

    /// Builds every token's spec, resolving requirements across the levels.
    fn resolve_tokens(&mut self, main: &ParsedDoc, presets: &[ParsedDoc]) -> Vec<TokenSpec> {
        for preset in presets {
            for (table_span, _) in preset.tokens.iter().map(|t| (t.table_span.clone(), ())) {
                self.problem(
                    preset.doc,
                    table_span,
                    "presets cannot declare tokens",
                    "token here",
                    None,
                );
            }
        }
        let mut names: BTreeMap<String, Range<usize>> = BTreeMap::new();
        let mut specs = Vec::new();
        for token in &main.tokens {
            let Some(name) = self.token_name(main.doc, token, &mut names) else {
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
                            host_list(&HostKind::ALL)
                        ),
                    );
                }
                continue;
            };
            let mut requirements = token.requirements.clone();
            let less_specific = [main.hosts.get(&host), Some(&main.defaults)]
                .into_iter()
                .chain(
                    presets
                        .iter()
                        .rev()
                        .flat_map(|p| [p.hosts.get(&host), Some(&p.defaults)]),
                )
                .flatten();
            for level in less_specific {
                requirements = requirements.or(level);
            }
            self.check_resolved(host, &requirements);
            let secret = self.secret_source(main.doc, token, host);
            let ca_file = token
                .raw
                .ca_file
                .as_ref()
                .and_then(|f| self.ca_file(main.doc, f));
            let endpoint = self.endpoint(main.doc, token, host);
            if let (Some(secret), Some(endpoint)) = (secret, endpoint) {
                specs.push(TokenSpec {
                    name: name.get_ref().clone(),
                    origin: Origin {
                        doc: main.doc,
                        span: name.span(),
                    },
                    endpoint,
                    url_origin: token.raw.url.as_ref().map(|u| Origin {
                        doc: main.doc,
                        span: u.span(),
                    }),
                    ca_file,
                    secret,
                    requirements,
                });
            }
        }
        specs
    }

    fn token_name(
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
        if let Some(first) = names.get(name.get_ref()) {
            let (line, _) = line_col(&self.docs.get(doc).text, first.start);
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

    fn missing_key(&mut self, doc: DocId, span: Range<usize>, key: &str, help: &str) {
        let header = span.start..span.start;
        self.problem(
            doc,
            header,
            format!("this token has no `{key}`"),
            format!("`{key}` is required"),
            Some(help.to_owned()),
        );
    }

    /// Checks that need every level: scope names from `[defaults]` against this host,
    /// and scopes that are both required and forbidden.
    fn check_resolved(&mut self, host: HostKind, reqs: &Requirements) {
        self.check_scopes(reqs, host);
        let Some(catalog) = ScopeCatalog::for_host(host) else {
            return;
        };
        for required in reqs.required_scopes() {
            let granted = catalog.closure([required.value.as_str()]);
            for forbidden in reqs.forbidden_scopes() {
                if granted.contains(&forbidden.value) {
                    let why = if forbidden.value == required.value {
                        format!("`{}` is also required", required.value)
                    } else {
                        format!(
                            "the required `{}` includes `{}`",
                            required.value, forbidden.value
                        )
                    };
                    self.problem(
                        forbidden.origin.doc,
                        forbidden.origin.span.clone(),
                        format!("`{}` is both required and forbidden for {host} tokens", forbidden.value),
                        why,
                        Some("no token can satisfy both: remove it from `require_scopes` or from `forbid_scopes`".into()),
                    );
                }
            }
        }
    }

    fn secret_ref(
        &mut self,
        doc: DocId,
        key: &str,
        value: &Spanned<RawSecretRef>,
    ) -> Option<SecretSource> {
        match value.get_ref() {
            RawSecretRef::Env(name) if is_env_name(name) => Some(SecretSource::Env(name.clone())),
            RawSecretRef::Env(_) => {
                self.redact.push((doc, value.span()));
                self.problem(doc, value.span(), format!("`{key}.env` is not an environment variable name"), "not a variable name (hidden: it may be a secret)", Some("write the name of the variable that holds the secret, e.g. `{ env = \"JIRA_GITHUB_PAT\" }`; if you wrote the token itself here, revoke it".into()));
                None
            }
            RawSecretRef::File(path) if !looks_like_a_secret(path) => {
                Some(SecretSource::File(path.into()))
            }
            RawSecretRef::File(_) => {
                self.redact.push((doc, value.span()));
                self.problem(
                    doc,
                    value.span(),
                    format!("`{key}.file` looks like a token, not a path"),
                    "not a path (hidden: it may be a secret)",
                    Some(format!("write the path of a file that holds the secret, e.g. `{key} = {{ file = \"/run/secrets/jira-github\" }}`; if you wrote the token itself here, revoke it")),
                );
                None
            }
            RawSecretRef::Literal => {
                self.redact.push((doc, value.span()));
                self.problem(doc, value.span(), format!("`{key}` is written literally in the policy"), "a secret does not belong in the policy file (hidden)", Some(format!("write `{key} = {{ env = \"NAME\" }}` and pass the secret in that variable (or `{{ file = \"PATH\" }}`); revoke this one, since it has been written to a file that may be committed")));
                None
            }
            RawSecretRef::Invalid(reason) => {
                self.redact.push((doc, value.span()));
                self.problem(
                    doc,
                    value.span(),
                    format!("invalid `{key}`: {reason}"),
                    "here",
                    Some(format!(
                        "write `{key} = {{ env = \"NAME\" }}` or `{key} = {{ file = \"PATH\" }}`"
                    )),
                );
                None
            }
        }
    }

    fn secret_source(
        &mut self,
        doc: DocId,
        token: &ParsedToken,
        host: HostKind,
    ) -> Option<Setting<SecretSource>> {
        match &token.secrets.secret {
            Some(checked) => checked.clone(),
            None if host == HostKind::AwsIam && token.raw.profile.is_some() => {
                let profile = token.raw.profile.as_ref().expect("checked");
                Some(Setting {
                    value: SecretSource::AwsProfile(profile.get_ref().clone()),
                    origin: Origin {
                        doc,
                        span: profile.span(),
                    },
                })
            }
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

    /// A CA bundle must be readable and hold a certificate: better said now than as a
    /// TLS failure against the host.
    fn ca_file(&mut self, doc: DocId, file: &Text) -> Option<std::path::PathBuf> {
        let path = std::path::PathBuf::from(file.get_ref());
        let problem = match std::fs::read_to_string(&path) {
            Ok(pem) if pem.contains("-----BEGIN CERTIFICATE-----") => return Some(path),
            Ok(_) => "holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)".to_owned(),
            Err(e) => format!("cannot be read: {e}"),
        };
        self.problem(
            doc,
            file.span(),
            format!("`ca_file` {problem}"),
            "not a CA bundle",
            Some("point `ca_file` at a PEM file with the certificate authority (or chain) that signed the host's certificate".into()),
        );
        None
    }

    fn url(&mut self, doc: DocId, value: Option<&Text>, key: &str, default: &str) -> Option<Url> {
        let Some(text) = value else {
            return Some(Url::parse(default).expect("default URLs are valid"));
        };
        let raw = text.get_ref();
        let url = match Url::parse(raw) {
            Ok(url) => url,
            Err(e) => {
                self.problem(
                    doc,
                    text.span(),
                    format!("`{key}` is not a URL: {e}"),
                    "not a URL",
                    Some(format!("write a full URL, e.g. \"{default}\"")),
                );
                return None;
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            self.redact.push((doc, text.span()));
            self.problem(doc, text.span(), format!("`{key}` contains credentials"), "credentials in a URL (hidden)", Some("remove the user and password from the URL; patlint sends the token from `secret` itself".into()));
            return None;
        }
        match url.scheme() {
            "https" => Some(url),
            "http" if is_loopback(&url) => Some(url),
            "http" => {
                self.problem(doc, text.span(), format!("`{key}` uses plain http to a non-loopback host"), "tokens would travel unencrypted", Some("use https:// (plain http is allowed only to 127.0.0.1, ::1 or localhost, for tests)".into()));
                None
            }
            other => {
                self.problem(
                    doc,
                    text.span(),
                    format!("`{key}` has scheme `{other}`"),
                    "expected https",
                    Some(format!("write a full URL, e.g. \"{default}\"")),
                );
                None
            }
        }
    }

    fn endpoint(&mut self, doc: DocId, token: &ParsedToken, host: HostKind) -> Option<Endpoint> {
        let raw = &token.raw;
        Some(match host {
            HostKind::Github => Endpoint::Github {
                api: self.url(doc, raw.url.as_ref(), "url", "https://api.github.com")?,
            },
            HostKind::Gitlab => Endpoint::Gitlab {
                url: self.url(doc, raw.url.as_ref(), "url", "https://gitlab.com")?,
            },
            HostKind::AzureDevops => {
                let url = self.url(doc, raw.url.as_ref(), "url", "https://dev.azure.com");
                let vssps_url = self.url(
                    doc,
                    raw.vssps_url.as_ref(),
                    "vssps_url",
                    "https://vssps.dev.azure.com",
                );
                let profile_url = self.url(
                    doc,
                    raw.profile_url.as_ref(),
                    "profile_url",
                    "https://app.vssps.visualstudio.com",
                );
                let entra_token = match &token.secrets.entra_token {
                    Some(checked) => Some(checked.clone()?),
                    None => None,
                };
                let organization = raw.organization.as_ref().map(|o| o.get_ref().clone());
                if organization.is_none() {
                    self.missing_key(doc, token.table_span.clone(), "organization", "add `organization = \"NAME\"`: the part after dev.azure.com/ in your organization's URL");
                }
                let pat_id = match (&raw.display_name, &raw.authorization_id) {
                    (Some(name), None) => Some(AzurePatId::DisplayName(name.get_ref().clone())),
                    (None, Some(id)) => Some(AzurePatId::AuthorizationId(id.get_ref().clone())),
                    (None, None) => None,
                    (Some(_), Some(id)) => {
                        self.problem(
                            doc,
                            id.span(),
                            "give `display_name` or `authorization_id`, not both",
                            "second identifier",
                            Some("keep `authorization_id`, which is unique".into()),
                        );
                        None
                    }
                };
                Endpoint::AzureDevops(Box::new(AzureDevopsEndpoint {
                    url: url?,
                    organization: organization?,
                    vssps_url: vssps_url?,
                    profile_url: profile_url?,
                    entra_token,
                    pat_id,
                }))
            }
            HostKind::AzureDevopsServer => {
                if raw.url.is_none() {
                    self.missing_key(doc, token.table_span.clone(), "url", "add `url = \"https://tfs.example.com/tfs/DefaultCollection\"`: the collection URL");
                    return None;
                }
                Endpoint::AzureDevopsServer {
                    collection: self.url(
                        doc,
                        raw.url.as_ref(),
                        "url",
                        "https://tfs.example.com/tfs/DefaultCollection",
                    )?,
                }
            }
            HostKind::AwsIam => {
                let access_key_id = match &token.secrets.access_key_id {
                    Some(checked) => Some(checked.clone()?),
                    None if raw.profile.is_some() => None,
                    None => {
                        self.missing_key(doc, token.table_span.clone(), "access_key_id", "add `access_key_id = { env = \"NAME\" }` (or `profile = \"NAME\"` to use the shared AWS config)");
                        return None;
                    }
                };
                Endpoint::AwsIam {
                    access_key_id,
                    profile: raw.profile.as_ref().map(|p| p.get_ref().clone()),
                    region: raw.region.as_ref().map(|r| r.get_ref().clone()),
                    service_credentials: raw
                        .service_credentials
                        .as_ref()
                        .is_some_and(|b| *b.get_ref()),
                }
            }
        })
    }
}

fn settings(doc: DocId, list: TextList) -> Vec<Setting<String>> {
    list.into_inner()
        .into_iter()
        .map(|t| Setting {
            origin: Origin {
                doc,
                span: t.span(),
            },
            value: t.into_inner(),
        })
        .collect()
}

fn preset_names() -> String {
    presets::PRESETS
        .iter()
        .map(|p| format!("`builtin:{}`", p.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_iam_action(action: &str) -> bool {
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !looks_like_a_secret(name)
}

/// Catches a token pasted where a name or a path belongs.
fn looks_like_a_secret(text: &str) -> bool {
    secret_like_runs(text).next().is_some()
}

/// Well-known token prefixes (GitHub, GitLab, AWS access key ids).
const TOKEN_PREFIXES: [&str; 9] = [
    "ghp_",
    "github_pat_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "glpat-",
    "AKIA",
    "ASIA",
];

/// Byte ranges of `text` that look like credentials: a known prefix followed by at least
/// eight token characters, or a run of 32+ letters and digits mixing both (Azure DevOps
/// PATs, classic 40-hex GitHub tokens, AWS secret keys).
fn secret_like_runs(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let token_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let at_boundary = i == 0 || !token_char(bytes[i - 1]);
            if at_boundary {
                if let Some(prefix) = TOKEN_PREFIXES
                    .iter()
                    .find(|p| bytes[i..].starts_with(p.as_bytes()))
                {
                    let end = (i..bytes.len())
                        .find(|&j| !token_char(bytes[j]))
                        .unwrap_or(bytes.len());
                    if end - i >= prefix.len() + 8 {
                        let run = i..end;
                        i = end;
                        return Some(run);
                    }
                }
                if bytes[i].is_ascii_alphanumeric() {
                    let end = (i..bytes.len())
                        .find(|&j| !bytes[j].is_ascii_alphanumeric())
                        .unwrap_or(bytes.len());
                    let run = &bytes[i..end];
                    let mixed = run.iter().any(u8::is_ascii_digit)
                        && run.iter().any(u8::is_ascii_alphabetic);
                    if run.len() >= 32 && mixed && (end == bytes.len() || !token_char(bytes[end])) {
                        let found = i..end;
                        i = end;
                        return Some(found);
                    }
                }
            }
            i += 1;
        }
        None
    })
}

/// The policy text as patlint shows it: every credential-looking run blanked with `*`
/// (same length, so spans stay valid), whether in a value, a key or a comment.
pub fn blank_secret_like(text: &str) -> String {
    let mut shown = text.to_owned();
    let runs: Vec<_> = secret_like_runs(text).collect();
    for run in runs {
        shown.replace_range(run.clone(), &"*".repeat(run.len()));
    }
    shown
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Replaces a span's characters with `*`, keeping its quotes and its length.
fn blank_out(text: &mut String, span: Range<usize>) {
    let Some(slice) = text.get(span.clone()) else {
        return;
    };
    let blanked: String = slice
        .chars()
        .map(|c| {
            if c == '"' || c == '\'' || c == '{' || c == '}' || c == '=' || c == ' ' {
                c
            } else {
                '*'
            }
        })
        .collect();
    // Multi-byte characters become one byte each: pad to keep later spans in place.
    let padded = format!("{blanked}{}", "*".repeat(slice.len() - blanked.len()));
    text.replace_range(span, &padded);
}

/// serde quotes the offending value in type errors; a value in the wrong place may be a
/// secret, so the quote is dropped.
fn sanitize_serde_message(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(i) = rest.find("string \"") {
        out.push_str(&rest[..i]);
        out.push_str("a string");
        let after = &rest[i + "string \"".len()..];
        rest = after.find('"').map_or("", |j| &after[j + 1..]);
    }
    out.push_str(rest);
    out
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
