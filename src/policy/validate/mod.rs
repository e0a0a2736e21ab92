//! From TOML text to a validated [`Policy`], collecting every problem with its span.
//!
//! Each section is deserialized on its own, so one type error does not hide the
//! problems of the other sections; semantic checks then run on whatever parsed. The
//! [`Validator`] here collects problems (like cargo-deny's `ValidationContext`); the
//! sections and their merging, requirements, secrets and URLs each have their own file,
//! and each host validates its own keys in its folder through [`TokenKeys`].

mod inventory;
mod requirements;
mod secrets;
mod sections;
mod urls;
pub mod waivers;

pub use waivers::DEFAULT_MAX_WAIVER;

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use crate::policy::IndexedSource;
use reqwest::Url;
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::raw::{RawToken, SecretRefAsWritten, Text, TextList};
use super::{
    DocId, Document, Documents, Origin, Policy, PolicyError, PolicyErrors, Requirements, Setting,
};
use crate::hosts::{Endpoint, HostKind};
use crate::secret::SecretSource;
use crate::suggest;

pub use secrets::blank_secret_like;
use secrets::{blank_out, sanitize_serde_message};
pub use sections::is_safe_name;

/// Parses and validates a policy file. `name` is how reports refer to it.
pub fn parse_policy(name: &str, text: &str) -> Result<Policy, PolicyErrors> {
    parse(name, text, None)
}

/// [`parse_policy`] for a run at `now`: waivers are also held to `max_waiver` from it.
pub fn parse_policy_at(
    name: &str,
    text: &str,
    now: jiff::Timestamp,
) -> Result<Policy, PolicyErrors> {
    parse(name, text, Some(now))
}

fn parse(name: &str, text: &str, now: Option<jiff::Timestamp>) -> Result<Policy, PolicyErrors> {
    let mut v = Validator::default();
    let main = v.docs.add(Document::new(
        name.to_owned(),
        Arc::from(blank_secret_like(text)),
        None,
    ));
    let Some(parsed) = v.parse_document(main) else {
        v.refuse_credentials(main, text);
        return Err(v.into_errors());
    };
    let presets = v.load_presets(&parsed.extends);
    let mut taken = BTreeMap::new();
    let tokens = v.resolve_tokens(&parsed, &presets, &mut taken);
    let inventories = v.resolve_inventories(&parsed, &mut taken);
    let names: Vec<&str> = tokens.iter().map(|t| t.name.as_str()).collect();
    let listed: Vec<&str> = inventories.iter().map(|i| i.token.name.as_str()).collect();
    v.check_waiver_tokens(&parsed.waivers, &names, &listed);
    if let Some(now) = now {
        v.check_waiver_lengths(now, parsed.max_waiver.as_ref());
    }
    v.refuse_credentials(main, text);
    let undeclared = HostKind::ALL
        .iter()
        .map(|host| {
            (
                *host,
                Validator::host_requirements(&parsed, &presets, *host),
            )
        })
        .collect();
    if v.problems.is_empty() {
        Ok(Policy {
            documents: v.docs,
            tokens,
            inventories,
            undeclared,
            waivers: parsed.waivers,
            max_waiver: parsed.max_waiver,
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
    /// When each waiver ends, read even from a waiver that is otherwise wrong.
    waiver_ends: Vec<(jiff::Timestamp, Origin)>,
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
    inventories: Vec<inventory::ParsedInventory>,
    waivers: Vec<crate::policy::Waiver>,
    max_waiver: Option<Setting<jiff::SignedDuration>>,
}

struct ParsedToken {
    table_span: Range<usize>,
    raw: RawToken,
    host: Option<HostKind>,
    requirements: Requirements,
    /// `Some(None)`: written but invalid (already reported).
    secret: Option<Option<Setting<SecretSource>>>,
    /// The host's own keys, validated as soon as the token is read, so that a secret
    /// written literally is refused and hidden even when the rest of the token is broken.
    endpoint: Option<Endpoint>,
    /// Where the secret comes from when the host takes it from elsewhere than `secret`.
    implicit_secret: Option<Setting<SecretSource>>,
}

fn host_list(hosts: &[HostKind]) -> String {
    hosts
        .iter()
        .map(|h| format!("`{h}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A table that names its host.
#[derive(Clone, Copy)]
pub(super) enum HostTable {
    Token,
    Inventory,
}

impl HostTable {
    /// Whether `key` may be written in such a table of `host`: a key every host shares,
    /// or one of the host's own.
    fn offers(self, key: &str, host: HostKind) -> bool {
        let applies = hosts_of_key(key).is_none_or(|hosts| hosts.contains(&host));
        match self {
            // `undeclared` is for tokens no [[token]] declares.
            HostTable::Token => applies && key != "undeclared",
            HostTable::Inventory => {
                let elsewhere = HostKind::ALL
                    .iter()
                    .any(|other| *other != host && other.inventory_keys().contains(&key));
                host.inventory_keys().contains(&key) || (applies && !elsewhere)
            }
        }
    }
}

/// The hosts a token or requirement key applies to, when it does not apply to all.
fn hosts_of_key(key: &str) -> Option<Vec<HostKind>> {
    let applies = |host: &HostKind| {
        let meta = host.meta();
        host.token_keys().contains(&key)
            || meta.requirement_keys.contains(&key)
            || host.own_requirement_keys().contains(&key)
            || (meta.http && super::raw::HTTP_KEYS.contains(&key))
    };
    let hosts: Vec<HostKind> = HostKind::ALL.iter().copied().filter(applies).collect();
    // A key no host claims is a common one; one every host claims applies everywhere.
    (!hosts.is_empty() && hosts.len() < HostKind::ALL.len()).then_some(hosts)
}

impl Validator {
    pub(super) fn problem(
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

    /// The policy file's folder: relative paths in the policy are taken from it.
    pub(super) fn policy_folder(&self) -> std::path::PathBuf {
        crate::files::folder_of(&self.docs.policy().name)
    }

    pub(super) fn into_errors(self) -> PolicyErrors {
        let mut texts: BTreeMap<DocId, String> = BTreeMap::new();
        for (doc, span) in &self.redact {
            let text = texts
                .entry(*doc)
                .or_insert_with(|| self.docs.get(*doc).text.to_string());
            blank_out(text, span.clone());
        }
        // One source per document, shared by all its problems: thousands of problems
        // cost one copy and one line index, not one each.
        let mut sources: BTreeMap<DocId, IndexedSource> = BTreeMap::new();
        let mut seen = HashSet::new();
        let mut errors = Vec::new();
        let mut problems = self.problems;
        problems.sort_by_key(|p| (p.doc, p.span.start));
        for p in problems {
            if !seen.insert((p.doc, p.span.clone(), p.message.clone())) {
                continue;
            }
            let doc = self.docs.get(p.doc);
            let source = sources
                .entry(p.doc)
                .or_insert_with(|| match texts.remove(&p.doc) {
                    Some(redacted) => IndexedSource::new(doc.name.clone(), Arc::from(redacted)),
                    None => doc.source.clone(),
                })
                .clone();
            errors.push(PolicyError::new(source, p.span, p.message, p.label, p.help));
        }
        PolicyErrors(errors)
    }

    pub(super) fn deserialize<T: for<'de> Deserialize<'de>>(
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
                    Some("see docs/policy.md for each key's type".into()),
                );
                None
            }
        }
    }

    pub(super) fn check_keys(
        &mut self,
        doc: DocId,
        table: &DeTable,
        known: &[&[&'static str]],
        context: &str,
    ) {
        self.check_keys_offering(doc, table, known, context, None);
    }

    /// [`Self::check_keys`] for a `[[token]]` or `[[inventory]]`: one that names its host
    /// is offered that host's keys only, in a suggestion and in the list of known keys.
    pub(super) fn check_host_table_keys(
        &mut self,
        doc: DocId,
        table: &DeTable,
        known: &[&[&'static str]],
        context: &str,
        kind: HostTable,
    ) {
        self.check_keys_offering(doc, table, known, context, Some(kind));
    }

    fn check_keys_offering(
        &mut self,
        doc: DocId,
        table: &DeTable,
        known: &[&[&'static str]],
        context: &str,
        kind: Option<HostTable>,
    ) {
        let host = table
            .get("host")
            .and_then(|h| h.get_ref().as_str())
            .and_then(HostKind::parse);
        let offered = |key: &&str| match (host, kind) {
            (Some(host), Some(kind)) => kind.offers(key, host),
            _ => true,
        };
        for key in table.keys() {
            let name = key.get_ref().as_ref();
            if known.iter().any(|list| list.contains(&name)) {
                continue;
            }
            let candidates = known.iter().flat_map(|l| l.iter().copied()).filter(offered);
            let help = match suggest::closest(name, candidates) {
                Some(s) => format!("did you mean `{s}`?"),
                None => {
                    let mut keys: Vec<String> = Vec::new();
                    for key in known.iter().flat_map(|l| l.iter().copied()).filter(offered) {
                        let key = format!("`{key}`");
                        if !keys.contains(&key) {
                            keys.push(key);
                        }
                    }
                    let whose = match host {
                        Some(host) => format!(" for {host}"),
                        None => String::new(),
                    };
                    format!("known keys here{whose}: {}", keys.join(", "))
                }
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

    pub(super) fn as_table<'a>(
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

    pub(super) fn unknown_host(&mut self, doc: DocId, span: Range<usize>, name: &str) {
        let help = match suggest::closest(name, HostKind::names()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("hosts are {}", host_list(HostKind::ALL)),
        };
        self.problem(
            doc,
            span,
            format!("unknown host `{name}`"),
            "not a host patlint knows",
            Some(help),
        );
    }

    pub(super) fn missing_key(&mut self, doc: DocId, span: Range<usize>, key: &str, help: &str) {
        self.missing_key_of("token", doc, span, key, help);
    }

    /// `table` is what the policy calls it: a token, an inventory.
    pub(super) fn missing_key_of(
        &mut self,
        table: &str,
        doc: DocId,
        span: Range<usize>,
        key: &str,
        help: &str,
    ) {
        let header = span.start..span.start;
        self.problem(
            doc,
            header,
            format!("this {table} has no `{key}`"),
            format!("`{key}` is required"),
            Some(help.to_owned()),
        );
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

/// What a host's validation sees of one `[[token]]`: its table, and the checks every
/// host shares (URLs, secret references, missing keys).
/// What a host's validation of its own requirement keys sees: one level's table, and
/// where to report problems.
pub struct RequirementKeys<'a> {
    v: &'a mut Validator,
    doc: DocId,
    table: &'a Spanned<DeValue<'a>>,
    /// The host the level is about: `None` in `[defaults]`, which may hold any host's keys.
    host: Option<HostKind>,
}

impl<'a> RequirementKeys<'a> {
    fn new(
        v: &'a mut Validator,
        doc: DocId,
        table: &'a Spanned<DeValue<'a>>,
        host: Option<HostKind>,
    ) -> Self {
        RequirementKeys {
            v,
            doc,
            table,
            host,
        }
    }

    /// The host this level is about (`[hosts.<host>]`, a `[[token]]` of it), or `None` for
    /// `[defaults]`: a key several hosts share in different shapes is each host's only at
    /// its own level, and in `[defaults]` in the shape that host reads.
    pub fn host(&self) -> Option<HostKind> {
        self.host
    }

    /// The host's own keys, deserialized from the level's table.
    pub fn parse<T: for<'de> Deserialize<'de>>(&mut self) -> Option<T> {
        self.v.deserialize(self.doc, self.table.clone())
    }

    /// A value where it was written.
    pub fn setting<T>(&self, value: T, span: Range<usize>) -> Setting<T> {
        Setting {
            value,
            origin: Origin {
                doc: self.doc,
                span,
            },
        }
    }

    /// A flag where it was written.
    pub fn flag(&self, flag: Spanned<bool>) -> Setting<bool> {
        self.setting(*flag.get_ref(), flag.span())
    }

    /// A list of values, each where it was written.
    pub fn settings(&self, list: TextList) -> Vec<Setting<String>> {
        settings(self.doc, list)
    }

    /// A value that cannot be right.
    pub fn problem(&mut self, span: Range<usize>, problem: crate::hosts::ValueProblem) {
        self.v.problem(
            self.doc,
            span,
            problem.message,
            problem.label,
            Some(problem.help),
        );
    }
}

pub struct TokenKeys<'a> {
    v: &'a mut Validator,
    doc: DocId,
    table_span: Range<usize>,
    table: &'a Spanned<DeValue<'a>>,
    url: Option<&'a Text>,
    has_secret: bool,
    implicit_secret: Option<Setting<SecretSource>>,
    /// What the table is: "token" or "inventory".
    kind: &'static str,
}

impl TokenKeys<'_> {
    /// The host's own keys, deserialized from the token's table.
    pub fn parse<T: for<'de> Deserialize<'de>>(&mut self) -> Option<T> {
        self.v.deserialize(self.doc, self.table.clone())
    }

    /// The token's `url`, or the host's default.
    pub fn url(&mut self, default: &str) -> Option<Url> {
        self.v.url(self.doc, self.url, "url", default)
    }

    /// The token's `url`, which this host cannot do without.
    pub fn required_url(&mut self, example: &str, help: &str) -> Option<Url> {
        if self.url.is_none() {
            self.missing("url", help);
            return None;
        }
        self.url(example)
    }

    /// The `url` as the policy wrote it, for a host's own checks of its shape.
    pub fn written_url(&self) -> Option<&Text> {
        self.url
    }

    /// A `url` of the wrong shape for this host, with the one it should be.
    pub fn wrong_url(&mut self, message: impl Into<String>, right: &str, why: &str) {
        let Some(url) = self.url else { return };
        self.v.problem(
            self.doc,
            url.span(),
            message,
            "the wrong URL for this host",
            Some(format!("did you mean `url = \"{right}\"`? {why}")),
        );
    }

    /// Another URL key of the host's, or its default.
    pub fn other_url(&mut self, value: Option<&Text>, key: &str, default: &str) -> Option<Url> {
        self.v.url(self.doc, value, key, default)
    }

    /// A secret reference of the host's own (`{ env = … }` or `{ file = … }`).
    pub fn secret_ref(
        &mut self,
        key: &str,
        value: &Spanned<SecretRefAsWritten>,
    ) -> Option<SecretSource> {
        self.v.secret_ref(self.doc, key, value)
    }

    /// Whether the token has a `secret` key.
    pub fn has_secret(&self) -> bool {
        self.has_secret
    }

    /// The secret comes from elsewhere (written at `span`), so `secret` may be left out.
    pub fn secret_from(&mut self, source: SecretSource, span: Range<usize>) {
        self.implicit_secret = Some(Setting {
            value: source,
            origin: Origin {
                doc: self.doc,
                span,
            },
        });
    }

    /// A value of the host's own, keeping where it was written.
    pub fn setting(&self, text: Text) -> Setting<String> {
        Setting {
            origin: Origin {
                doc: self.doc,
                span: text.span(),
            },
            value: text.into_inner(),
        }
    }

    /// A list of the host's own, each value keeping where it was written.
    pub fn settings(&self, list: TextList) -> Vec<Setting<String>> {
        settings(self.doc, list)
    }

    /// A problem with the table as a whole, shown at its header.
    pub fn problem_at_table(
        &mut self,
        message: impl Into<String>,
        label: impl Into<String>,
        help: String,
    ) {
        let header = self.table_span.start..self.table_span.start;
        self.v.problem(self.doc, header, message, label, Some(help));
    }

    pub fn missing(&mut self, key: &str, help: &str) {
        self.v
            .missing_key_of(self.kind, self.doc, self.table_span.clone(), key, help);
    }

    pub fn problem(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) {
        self.v.problem(self.doc, span, message, label, help);
    }
}
