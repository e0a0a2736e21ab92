//! Requirement keys: values, which hosts they apply to, and scope names against each
//! host's catalog.

use std::ops::Range;

use toml::de::DeTable;

use toml::Spanned;
use toml::de::DeValue;

use super::{Level, Validator, host_list, hosts_of_key, settings};
use crate::hosts::{HostKind, HostRequirements};
use crate::policy::raw::{RawRequirements, Text, field_names};
use crate::policy::{
    DURATION_HELP, DocId, Escalation, Origin, RequirementKeys, Requirements, Setting,
    parse_duration,
};
use crate::suggest;

impl Validator {
    /// Converts one level's raw requirements, checking each value.
    pub(super) fn requirements(
        &mut self,
        doc: DocId,
        table: &Spanned<DeValue<'_>>,
        level: Level,
    ) -> Requirements {
        let Some(raw) = self.deserialize::<RawRequirements>(doc, table.clone()) else {
            return Requirements::default();
        };
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
                        Some(DURATION_HELP.into()),
                    );
                    None
                }
            }
        };
        let max_lifespan = duration(self, raw.max_lifespan, "max_lifespan");
        let expiry_warning = duration(self, raw.expiry_warning, "expiry_warning");
        let stale_after = duration(self, raw.stale_after, "stale_after");
        let on_unverifiable = self.escalation(doc, raw.on_unverifiable, "on_unverifiable");
        let undeclared = self.escalation(doc, raw.undeclared, "undeclared");
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
            probe: raw.probe.map(|b| Setting {
                value: *b.get_ref(),
                origin: origin(b.span()),
            }),
            undeclared,
            host: HostRequirements::parse(&mut RequirementKeys::new(
                self,
                doc,
                table,
                level.host(),
            )),
        };
        if let Some(host) = level.host() {
            self.check_scopes(&reqs, host);
        }
        reqs
    }

    /// A `fail` / `warn` / `ignore` key.
    fn escalation(
        &mut self,
        doc: DocId,
        text: Option<Text>,
        key: &str,
    ) -> Option<Setting<Escalation>> {
        let text = text?;
        if let Some(value) = Escalation::parse(text.get_ref()) {
            let origin = Origin {
                doc,
                span: text.span(),
            };
            return Some(Setting { value, origin });
        }
        let help = match suggest::closest(text.get_ref(), Escalation::NAMES) {
            Some(s) => format!("did you mean \"{s}\"?"),
            None => "use \"fail\", \"warn\" or \"ignore\"".into(),
        };
        self.problem(
            doc,
            text.span(),
            format!("invalid `{key}`: `{}`", text.get_ref()),
            "expected fail, warn or ignore",
            Some(help),
        );
        None
    }

    /// In `[hosts.HOST]`, requirement keys that do not apply to that host.
    pub(super) fn check_requirement_keys_for_host(
        &mut self,
        doc: DocId,
        table: &DeTable,
        host: HostKind,
    ) {
        for (key, value) in table.iter() {
            let key = key.get_ref().as_ref();
            if is_requirement_key(key)
                && let Some(hosts) = hosts_of_key(key)
                && !hosts.contains(&host)
            {
                self.problem(
                    doc,
                    value.span(),
                    format!("`{key}` does not apply to `{host}`"),
                    format!("only for {}", host_list(&hosts)),
                    Some(format!("remove `{key}` from [hosts.{host}]")),
                );
            }
        }
    }

    /// Scope names unknown to the host's catalog, with a suggestion.
    pub(super) fn check_scopes(&mut self, reqs: &Requirements, host: HostKind) {
        let Some(catalog) = host.meta().scopes else {
            return;
        };
        for scope in reqs.required_scopes().iter().chain(reqs.forbidden_scopes()) {
            if catalog.is_known(&scope.value) {
                continue;
            }
            let help = match (
                host.not_a_scope(&scope.value),
                catalog.suggest(&scope.value),
            ) {
                (Some(instead), _) => instead,
                (None, Some(s)) => format!("did you mean `{s}`?"),
                (None, None) => format!(
                    "see `patlint explain missing-scope` and the {} scope list on the Hosts page of the documentation (docs/ in patlint's repository)",
                    host.product()
                ),
            };
            self.problem(
                scope.origin.doc,
                scope.origin.span.clone(),
                format!(
                    "`{}` is not {} scope",
                    scope.value,
                    crate::suggest::with_article(host.product())
                ),
                "unknown scope",
                Some(help),
            );
        }
    }

    /// Checks that need every level: scope names from `[defaults]` against this host,
    /// scopes that are both required and forbidden, and the host's own rules on keys
    /// that only make sense together (reported at the token, whose levels they merge).
    pub(super) fn check_resolved(
        &mut self,
        host: HostKind,
        reqs: &Requirements,
        token: (DocId, Range<usize>),
    ) {
        if let Err(problem) = host.check_requirements(reqs) {
            self.problem(
                token.0,
                token.1,
                problem.message,
                problem.label,
                Some(problem.help),
            );
        }
        self.check_scopes(reqs, host);
        let Some(catalog) = host.meta().scopes else {
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
}

/// Every requirement key: the shared ones and each host's own.
pub(super) fn requirement_keys() -> Vec<&'static [&'static str]> {
    std::iter::once(field_names::<RawRequirements>())
        .chain(HostKind::ALL.iter().map(|h| h.own_requirement_keys()))
        .collect()
}

fn is_requirement_key(key: &str) -> bool {
    requirement_keys().iter().any(|keys| keys.contains(&key))
}
