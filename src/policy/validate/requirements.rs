//! Requirement keys: values, which hosts they apply to, and scope names against each
//! host's catalog.

use std::ops::Range;

use toml::de::DeTable;

use super::{Level, Validator, host_list, hosts_of_key, settings};
use crate::hosts::HostKind;
use crate::policy::raw::{RawRequirements, Text, TextList, field_names};
use crate::policy::{
    AccessLevel, DocId, Escalation, Origin, Permission, PermissionLevel, Requirements, Setting,
    parse_duration,
};
use crate::suggest;

impl Validator {
    /// Converts one level's raw requirements, checking each value.
    pub(super) fn requirements(
        &mut self,
        doc: DocId,
        raw: RawRequirements,
        level: Level,
    ) -> Requirements {
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
        let on_unverifiable = self.escalation(doc, raw.on_unverifiable, "on_unverifiable");
        let undeclared = self.escalation(doc, raw.undeclared, "undeclared");
        let require_actions = raw
            .require_actions
            .map(|list| self.host_checked_list(doc, "require_actions", list));
        let resources = raw
            .resources
            .map(|list| self.host_checked_list(doc, "resources", list));
        let require_permissions = raw
            .require_permissions
            .map(|table| self.permissions(doc, table));
        let require_access_level = raw
            .require_access_level
            .and_then(|t| match AccessLevel::parse(t.get_ref()) {
                Some(value) => Some(Setting {
                    value,
                    origin: origin(t.span()),
                }),
                None => {
                    let help = match suggest::closest(t.get_ref(), AccessLevel::NAMES) {
                        Some(s) => format!("did you mean \"{s}\"?"),
                        None => format!("use one of {}", AccessLevel::NAMES.join(", ")),
                    };
                    self.problem(
                        doc,
                        t.span(),
                        format!("invalid `require_access_level`: `{}`", t.get_ref()),
                        "not a GitLab role",
                        Some(help),
                    );
                    None
                }
            });
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
            require_permissions,
            require_access_level,
            probe: raw.probe.map(|b| Setting {
                value: *b.get_ref(),
                origin: origin(b.span()),
            }),
            undeclared,
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
            if field_names::<RawRequirements>().contains(&key)
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

    /// `require_permissions = { NAME = "LEVEL", … }`, against the catalogs of the hosts
    /// that take it.
    fn permissions(
        &mut self,
        doc: DocId,
        table: toml::Spanned<std::collections::BTreeMap<String, Text>>,
    ) -> Vec<Permission> {
        let hosts = hosts_of_key("require_permissions").unwrap_or_default();
        let catalog: Vec<&(&str, &[PermissionLevel])> =
            hosts.iter().flat_map(|h| h.meta().permissions).collect();
        let mut permissions = Vec::new();
        for (name, level) in table.into_inner() {
            let span = level.span();
            let Some((_, levels)) = catalog.iter().find(|(known, _)| *known == name) else {
                let names: Vec<&str> = catalog.iter().map(|(n, _)| *n).collect();
                let help = match suggest::closest(&name, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("GitHub's repository permissions are {}", names.join(", ")),
                };
                self.problem(
                    doc,
                    span,
                    format!("`{name}` is not a GitHub repository permission"),
                    "unknown permission",
                    Some(help),
                );
                continue;
            };
            match PermissionLevel::parse(level.get_ref()).filter(|l| levels.contains(l)) {
                Some(value) => permissions.push(Permission {
                    name,
                    level: Setting {
                        value,
                        origin: Origin { doc, span },
                    },
                }),
                None => {
                    let offered: Vec<&str> = levels.iter().map(|l| l.as_str()).collect();
                    self.problem(
                        doc,
                        span,
                        format!("`{}` is not a level of `{name}`", level.get_ref()),
                        format!("expected {}", offered.join(" or ")),
                        Some(format!("write {name} = \"{}\"", offered[offered.len() - 1])),
                    );
                }
            }
        }
        permissions
    }

    /// A list of values that the hosts taking `key` check themselves (IAM actions,
    /// resource ARNs).
    pub(super) fn host_checked_list(
        &mut self,
        doc: DocId,
        key: &str,
        list: TextList,
    ) -> Vec<Setting<String>> {
        let hosts = hosts_of_key(key).unwrap_or_default();
        for value in list.get_ref() {
            let problem = hosts
                .iter()
                .find_map(|host| (host.meta().check_value)(key, value.get_ref()).err());
            if let Some(problem) = problem {
                self.problem(
                    doc,
                    value.span(),
                    problem.message,
                    problem.label,
                    Some(problem.help),
                );
            }
        }
        settings(doc, list)
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
        if let Err(problem) = (host.meta().check_requirements)(reqs) {
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
