//! The policy: parsed from TOML (`raw`), validated in full (`validate`), with built-in
//! presets (`presets`). Everything downstream works on the validated [`Policy`].

mod diagnostic;
mod duration;
pub mod presets;
pub mod raw;
mod schema;
mod validate;

use std::ops::Range;
use std::sync::Arc;

use jiff::SignedDuration;

pub use diagnostic::{IndexedSource, PolicyError, PolicyErrors};
pub use duration::{
    DURATION_HELP, format_duration, parse_duration, parse_duration_arg, parse_instant,
};
pub use validate::waivers::RawWaiver;
pub use validate::{RequirementKeys, TokenKeys, is_safe_name, parse_policy, parse_policy_at};

pub use crate::hosts::Endpoint;
use crate::hosts::{HostKind, HostRequirements, Layered};
use crate::secret::SecretSource;

/// One TOML document that settings come from: the user's policy or a built-in preset.
#[derive(Debug, Clone)]
pub struct Document {
    pub name: String,
    pub text: Arc<str>,
    /// For a preset: the span of its `extends` entry in the policy file.
    pub included_at: Option<Range<usize>>,
    /// The text with its line index, for diagnostics and locations.
    pub source: IndexedSource,
}

impl Document {
    pub fn new(name: String, text: Arc<str>, included_at: Option<Range<usize>>) -> Self {
        Document {
            source: IndexedSource::new(name.clone(), text.clone()),
            name,
            text,
            included_at,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.source.line_col(offset)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId(pub usize);

/// The documents of a policy; [`DocId(0)`] is the policy file itself.
#[derive(Debug, Clone, Default)]
pub struct Documents(Vec<Document>);

impl Documents {
    pub const POLICY: DocId = DocId(0);

    pub fn add(&mut self, doc: Document) -> DocId {
        self.0.push(doc);
        DocId(self.0.len() - 1)
    }

    pub fn get(&self, id: DocId) -> &Document {
        &self.0[id.0]
    }

    pub fn policy(&self) -> &Document {
        self.get(Self::POLICY)
    }
}

/// Where a setting was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub doc: DocId,
    pub span: Range<usize>,
}

/// A validated value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

/// What a kind of finding does to the gate: `on_unverifiable`, `undeclared`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    Fail,
    Warn,
    Ignore,
}

impl Escalation {
    pub const NAMES: [&'static str; 3] = ["fail", "warn", "ignore"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "fail" => Some(Self::Fail),
            "warn" => Some(Self::Warn),
            "ignore" => Some(Self::Ignore),
            _ => None,
        }
    }
}

/// What a token must look like. Every field is optional at each level of the policy;
/// the accessors apply patlint's defaults for what no level sets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requirements {
    pub max_lifespan: Option<Setting<SignedDuration>>,
    pub expiry_warning: Option<Setting<SignedDuration>>,
    pub stale_after: Option<Setting<SignedDuration>>,
    pub on_unverifiable: Option<Setting<Escalation>>,
    pub require_scopes: Option<Vec<Setting<String>>>,
    pub forbid_scopes: Option<Vec<Setting<String>>>,
    pub allow_extra_scopes: Option<Setting<bool>>,
    pub probe: Option<Setting<bool>>,
    pub undeclared: Option<Setting<Escalation>>,
    /// Each host's own requirements (read through the host's `OwnRequirements`).
    pub host: HostRequirements,
}

pub const DEFAULT_EXPIRY_WARNING: SignedDuration = SignedDuration::from_hours(14 * 24);

impl Requirements {
    /// Fills what `self` leaves unset from a less specific level.
    pub fn or(self, less_specific: &Requirements) -> Requirements {
        let l = less_specific;
        Requirements {
            max_lifespan: self.max_lifespan.or_else(|| l.max_lifespan.clone()),
            expiry_warning: self.expiry_warning.or_else(|| l.expiry_warning.clone()),
            stale_after: self.stale_after.or_else(|| l.stale_after.clone()),
            on_unverifiable: self.on_unverifiable.or_else(|| l.on_unverifiable.clone()),
            require_scopes: self.require_scopes.or_else(|| l.require_scopes.clone()),
            forbid_scopes: self.forbid_scopes.or_else(|| l.forbid_scopes.clone()),
            allow_extra_scopes: self
                .allow_extra_scopes
                .or_else(|| l.allow_extra_scopes.clone()),
            probe: self.probe.or_else(|| l.probe.clone()),
            undeclared: self.undeclared.or_else(|| l.undeclared.clone()),
            host: self.host.or(&l.host),
        }
    }

    pub fn expiry_warning(&self) -> SignedDuration {
        self.expiry_warning
            .as_ref()
            .map_or(DEFAULT_EXPIRY_WARNING, |s| s.value)
    }

    pub fn on_unverifiable(&self) -> Escalation {
        self.on_unverifiable
            .as_ref()
            .map_or(Escalation::Fail, |s| s.value)
    }

    /// What an undeclared token does to the gate (`undeclared`, default warn).
    pub fn undeclared(&self) -> Escalation {
        self.undeclared
            .as_ref()
            .map_or(Escalation::Warn, |s| s.value)
    }

    pub fn allow_extra_scopes(&self) -> bool {
        self.allow_extra_scopes.as_ref().is_none_or(|s| s.value)
    }

    pub fn required_scopes(&self) -> &[Setting<String>] {
        self.require_scopes.as_deref().unwrap_or_default()
    }

    pub fn forbidden_scopes(&self) -> &[Setting<String>] {
        self.forbid_scopes.as_deref().unwrap_or_default()
    }

    /// Whether probes may be sent for the token (`probe`, default true).
    pub fn probes(&self) -> bool {
        self.probe.as_ref().is_none_or(|s| s.value)
    }

    pub fn asks_about_scopes(&self) -> bool {
        !self.required_scopes().is_empty()
            || !self.forbidden_scopes().is_empty()
            || !self.allow_extra_scopes()
    }
}

/// One `[[token]]`, validated, with its requirements resolved across every level.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenSpec {
    pub name: String,
    /// The `name = "…"` value: where token-level findings point.
    pub origin: Origin,
    pub endpoint: Endpoint,
    /// Where the `url` key was written, if it was.
    pub url_origin: Option<Origin>,
    /// Extra certificate authorities to trust for this token's host.
    pub ca_file: Option<std::path::PathBuf>,
    pub secret: Setting<SecretSource>,
    pub requirements: Requirements,
}

impl TokenSpec {
    pub fn host(&self) -> HostKind {
        self.endpoint.host()
    }
}

/// One `[[inventory]]`: an admin credential that lists a host's tokens (`patlint audit`).
#[derive(Debug, Clone, PartialEq)]
pub struct InventorySpec {
    /// Its name, host, secret, URL and host keys, as a token's: the listing is asked
    /// with them, and its own findings point at its name.
    pub token: TokenSpec,
    /// What it lists.
    pub scope: crate::hosts::InventoryScope,
}

/// A validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub documents: Documents,
    pub tokens: Vec<TokenSpec>,
    /// `[[inventory]]`s, for `patlint audit`.
    pub inventories: Vec<InventorySpec>,
    /// Per host, what a token no `[[token]]` declares must look like: `[hosts.<host>]`
    /// over `[defaults]`.
    pub undeclared: std::collections::BTreeMap<HostKind, Requirements>,
    /// `[[waiver]]`s of the policy file, in order.
    pub waivers: Vec<Waiver>,
    /// `[defaults] max_waiver`: the longest a waiver may run from `--now`.
    pub max_waiver: Option<Setting<SignedDuration>>,
}

/// A known violation accepted until a date.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiver {
    pub token: TokenPattern,
    pub token_origin: Origin,
    pub rules: Vec<crate::rules::Rule>,
    pub until: jiff::Timestamp,
    pub until_origin: Origin,
    pub reason: String,
    /// The whole `[[waiver]]` table.
    pub origin: Origin,
}

impl Waiver {
    pub fn covers(&self, token: &str, rule: crate::rules::Rule) -> bool {
        self.rules.contains(&rule) && self.token.matches(token)
    }
}

/// A token name, or a glob over names: `*` any run of characters, `?` one character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPattern(String);

impl TokenPattern {
    pub fn new(pattern: &str) -> Self {
        TokenPattern(pattern.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn matches(&self, name: &str) -> bool {
        glob(
            &self.0.chars().collect::<Vec<_>>(),
            &name.chars().collect::<Vec<_>>(),
        )
    }
}

/// `*` and `?` matching, without backtracking blow-up (one pass with one fallback point).
fn glob(pattern: &[char], name: &[char]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == '?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

impl Policy {
    /// The policy file's name, as given on the command line.
    pub fn path(&self) -> &str {
        &self.documents.policy().name
    }

    /// The longest a waiver may run from `--now`.
    pub fn max_waiver(&self) -> SignedDuration {
        self.max_waiver
            .as_ref()
            .map_or(validate::DEFAULT_MAX_WAIVER, |s| s.value)
    }
}
