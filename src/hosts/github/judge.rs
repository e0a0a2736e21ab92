//! GitHub's own judgement, from what the probes settled: fine-grained permissions on the
//! token's repositories (`missing-permission`), whether
//! it reaches them at all (`missing-repository`), and SAML SSO authorization per
//! organization (`sso-not-authorized`), from what the probes settled. A classic token's
//! permissions follow from its scopes (`repo` grants `contents = "write"`; `public_repo`
//! only on public repositories), so one policy serves both kinds.

use super::facts::{Visibility, of};
use super::permissions::{REPOSITORY, ROLE_READ, ROLE_WRITE, SSO, classic_equivalent, grant_name};
use super::requirements::{Permission, PermissionLevel};
use crate::evaluate::{Finding, unverifiable_about, unverifiable_because};
use crate::facts::{Fact, Grant, Observed, Settled, TokenFacts, TokenKind};
use crate::hosts::OwnRequirements;
use crate::policy::{Setting, TokenSpec};
use crate::rules::{Rule, RuleMeta, Severity};

pub fn check(token: &TokenSpec, organizations: &[String], facts: &TokenFacts) -> Vec<Finding> {
    let mut findings = sso(token, facts);
    findings.extend(sso_unknown(token, organizations, facts));
    let permissions = super::GitHub::requirements_of(&token.requirements).required_permissions();
    let repositories = token.endpoint.repositories();
    let classic = facts.kind == TokenKind::ClassicPat;
    if !permissions.is_empty()
        && !classic
        && (repositories.is_empty() || !token.requirements.probes())
    {
        // One reason for all of them: nothing was probed.
        let why = if repositories.is_empty() {
            "GitHub does not reveal a fine-grained token's permissions; name the repositories the integration works on (`repositories = [\"OWNER/REPO\"]`) so that patlint can probe them".to_owned()
        } else {
            not_probed(token)
        };
        findings.push(unverifiable_because(
            token,
            Fact::Permissions,
            "require_permissions",
            &permissions[0].level.origin,
            &why,
        ));
        return findings;
    }
    if repositories.is_empty() {
        for permission in permissions {
            findings.extend(by_scopes(token, facts, permission, None, None));
        }
        return findings;
    }
    // Each repository is read whatever the policy asks: one the token does not reach, or
    // whose reach is unknown, is never a pass.
    for repository in repositories {
        match reach(token, facts, repository) {
            Reach::Reached => {}
            Reach::Not(finding) => {
                findings.push(finding);
                continue;
            }
            Reach::Refused => continue,
            Reach::Unknown(why) if permissions.is_empty() => {
                findings.push(unverifiable_about(
                    token,
                    "its reach of the repository",
                    "repositories",
                    &repository.origin,
                    &format!("whether it reaches `{}`: {why}", repository.value),
                ));
                continue;
            }
            Reach::Unknown(why) => {
                for permission in permissions {
                    findings.push(unknown(token, permission, &repository.value, &why));
                }
                continue;
            }
        }
        for permission in permissions {
            findings.extend(on(token, facts, permission, &repository.value));
        }
    }
    findings
}

enum Reach {
    Reached,
    Not(Finding),
    /// An organization's policy refused the token there: judged with every refusal.
    Refused,
    Unknown(String),
}

/// Whether the token reaches the repository: what `GET /repos/…` settled. A classic
/// token without a probe reaches what its user reaches, which its scopes then bound.
fn reach(token: &TokenSpec, facts: &TokenFacts, repository: &Setting<String>) -> Reach {
    match facts.grant(&repository.value, REPOSITORY) {
        Some(Grant {
            settled: Settled::Granted,
            ..
        }) => Reach::Reached,
        Some(Grant {
            settled: Settled::Missing { .. },
            evidence,
            ..
        }) => Reach::Not(
            Finding::new(
                Rule::MissingRepository,
                &repository.origin,
                format!(
                    "token `{}` cannot reach the repository `{}`: {}",
                    token.name,
                    repository.value,
                    not_reached(facts.kind)
                ),
            )
            .label("the integration works on this repository")
            .evidence(evidence.clone()),
        ),
        Some(Grant {
            settled: Settled::Refused { .. },
            ..
        }) => Reach::Refused,
        Some(Grant {
            settled: Settled::Unverifiable { reason },
            ..
        }) => Reach::Unknown(reason.clone()),
        None => Reach::Unknown(not_probed(token)),
    }
}

/// Why GitHub answers 404 for a repository, for the kind of token it was asked with.
fn not_reached(kind: TokenKind) -> &'static str {
    match kind {
        // "an organization owner must approve the token before it can be used to access
        // any resources that are not public" (docs.github.com, "Managing requests for
        // personal access tokens in your organization"), and GitHub says nothing more.
        TokenKind::FineGrainedPat => {
            "GitHub answers 404, as it does for a repository that does not exist, that is not selected in the token's Repository access, or whose organization has not yet approved the token (an approval it requires lets a token reach only public resources until then)"
        }
        _ => {
            "GitHub answers 404, as it does for a repository that does not exist or that the token's user cannot see"
        }
    }
}

/// One permission on one repository the token reaches.
fn on(
    token: &TokenSpec,
    facts: &TokenFacts,
    permission: &Permission,
    repository: &str,
) -> Option<Finding> {
    if facts.kind == TokenKind::ClassicPat {
        let visibility = of(facts).visibility.get(repository).copied();
        return by_scopes(token, facts, permission, Some(repository), visibility)
            .or_else(|| by_role(token, facts, permission, repository));
    }
    let name = grant_name(&permission.name, permission.level.value);
    settle(
        token,
        permission,
        repository,
        facts.grant(repository, &name),
        |evidence| missing(token, permission, repository, evidence),
    )
}

/// What a probe settled, as a finding: none for a grant, `missing` for a refusal, and
/// `unverifiable` for an answer that proved nothing or no probe at all.
fn settle(
    token: &TokenSpec,
    permission: &Permission,
    repository: &str,
    grant: Option<&Grant>,
    missing: impl FnOnce(&str) -> Finding,
) -> Option<Finding> {
    match grant.map(|g| (&g.settled, g.evidence.as_str())) {
        // A refusal is judged with every refusal (`evaluate::refusals`).
        Some((Settled::Granted | Settled::Refused { .. }, _)) => None,
        Some((Settled::Missing { .. }, evidence)) => Some(missing(evidence)),
        Some((Settled::Unverifiable { reason }, _)) => {
            Some(unknown(token, permission, repository, reason))
        }
        None => Some(unknown(token, permission, repository, &not_probed(token))),
    }
}

/// A classic token: the permission is granted by the scope that grants it.
fn by_scopes(
    token: &TokenSpec,
    facts: &TokenFacts,
    permission: &Permission,
    repository: Option<&str>,
    visibility: Option<Visibility>,
) -> Option<Finding> {
    let what = format!(
        "`{} = \"{}\"`",
        permission.name,
        permission.level.value.as_str()
    );
    let Some(equivalent) = classic_equivalent(&permission.name, permission.level.value) else {
        return Some(unverifiable_because(
            token,
            Fact::Permissions,
            "require_permissions",
            &permission.level.origin,
            &format!(
                "no classic scope is documented to grant {what}, and the user's role on each repository is not revealed"
            ),
        ));
    };
    let Observed::Value { value: scopes, .. } = &facts.scopes else {
        return Some(unverifiable_because(
            token,
            Fact::Permissions,
            "require_permissions",
            &permission.level.origin,
            facts.why_unobservable(Fact::Scopes),
        ));
    };
    let Some(catalog) = token.host().meta().scopes else {
        return Some(unverifiable_because(
            token,
            Fact::Permissions,
            "require_permissions",
            &permission.level.origin,
            "this host has no scope catalog to judge a classic token's scopes by",
        ));
    };
    let granted = catalog.closure(scopes.iter().map(String::as_str));
    let has = |list: &[&str]| list.iter().any(|s| granted.contains(*s));
    if has(equivalent.scopes) {
        return None;
    }
    let on = repository.map(|r| format!(" on `{r}`")).unwrap_or_default();
    if has(equivalent.public_only) {
        return match visibility {
            Some(Visibility::Public) => None,
            Some(Visibility::Private) => Some(missing(
                token,
                permission,
                repository.unwrap_or_default(),
                &format!(
                    "X-OAuth-Scopes: `public_repo` grants {what} on public repositories only, and `{}` is private",
                    repository.unwrap_or_default()
                ),
            )),
            None => Some(unverifiable_because(
                token,
                Fact::Permissions,
                "require_permissions",
                &permission.level.origin,
                &format!(
                    "the token's `public_repo` grants {what} on public repositories only, and whether the repository is public is not known{}",
                    if repository.is_none() {
                        " (name it in `repositories`)"
                    } else {
                        ""
                    }
                ),
            )),
        };
    }
    let scopes_text = if scopes.is_empty() {
        "no scopes".to_owned()
    } else {
        scopes
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(
        Finding::new(
            Rule::MissingPermission,
            &permission.level.origin,
            format!(
                "token `{}` lacks {what}{on}: it is a classic token with {scopes_text}, and only `{}` grants that",
                token.name,
                equivalent.scopes.join("` or `")
            ),
        )
        .label("required here")
        .evidence(facts.evidence_for(Fact::Scopes).unwrap_or("recorded scopes")),
    )
}

/// A classic token whose scopes grant the permission: its user's role on the repository
/// must allow it too (a `repo` token of a read-only collaborator cannot write).
fn by_role(
    token: &TokenSpec,
    facts: &TokenFacts,
    permission: &Permission,
    repository: &str,
) -> Option<Finding> {
    let role = match permission.level.value {
        PermissionLevel::Read => ROLE_READ,
        // `admin` has no classic equivalent: `by_scopes` already answered it.
        PermissionLevel::Write | PermissionLevel::Admin => ROLE_WRITE,
    };
    settle(
        token,
        permission,
        repository,
        facts.grant(repository, role),
        |evidence| {
            Finding::new(
            Rule::MissingPermission,
            &permission.level.origin,
            format!(
                "token `{}` lacks `{} = \"{}\"` on `{repository}`: its scopes would allow it, but its user's role on the repository does not",
                token.name,
                permission.name,
                permission.level.value.as_str()
            ),
        )
        .label("required here")
        .evidence(evidence)
        },
    )
}

fn missing(
    token: &TokenSpec,
    permission: &Permission,
    repository: &str,
    evidence: &str,
) -> Finding {
    Finding::new(
        Rule::MissingPermission,
        &permission.level.origin,
        format!(
            "token `{}` lacks `{} = \"{}\"` on `{repository}`",
            token.name,
            permission.name,
            permission.level.value.as_str()
        ),
    )
    .label("required here")
    .evidence(evidence)
}

fn unknown(token: &TokenSpec, permission: &Permission, repository: &str, why: &str) -> Finding {
    unverifiable_because(
        token,
        Fact::Permissions,
        "require_permissions",
        &permission.level.origin,
        &format!(
            "`{} = \"{}\"` on `{repository}`: {why}",
            permission.name,
            permission.level.value.as_str()
        ),
    )
}

fn not_probed(token: &TokenSpec) -> String {
    if token.requirements.probes() {
        "not probed (the recorded facts have no probe for it)".into()
    } else {
        "`probe = false` for this token, so neither the repository's reach nor, for a fine-grained token, its permissions (for a classic one, its user's role) were asked".into()
    }
}

/// `SSO`: an organization whose SAML SSO has not authorized the token.
fn sso(token: &TokenSpec, facts: &TokenFacts) -> Vec<Finding> {
    facts
        .grants
        .iter()
        .filter(|g| g.permission == SSO)
        .filter_map(|g| match &g.settled {
            Settled::Missing { help } => {
                let finding = Finding::new(
                    Rule::SsoNotAuthorized,
                    &token.origin,
                    format!(
                        "token `{}` is not authorized for the SAML single sign-on of the organization `{}`",
                        token.name, g.target
                    ),
                )
                .label("GitHub refuses this token for that organization")
                .evidence(g.evidence.clone());
                Some(match help {
                    Some(help) => finding.help(help.clone()),
                    None => finding,
                })
            }
            _ => None,
        })
        .collect()
}

/// Each of the token's organizations (`organizations`, by default the owners of
/// `repositories`) whose SAML SSO authorization of the token was not observed: the token is
/// `unverifiable`, never `pass`. A 403 with `X-GitHub-SSO` is the refusal GitHub gives a
/// token its SSO has not authorized; a 200 on `GET /orgs/ORG` is not an authorization (the
/// organization's public view); a private repository of it read with the token is.
fn sso_unknown(token: &TokenSpec, organizations: &[String], facts: &TokenFacts) -> Vec<Finding> {
    organizations
        .iter()
        .filter_map(|organization| {
            let grant = facts
                .grants
                .iter()
                .find(|g| g.permission == SSO && g.target.eq_ignore_ascii_case(organization));
            if refused_in(facts, organization) {
                // The organization's policy refuses the token: that is the finding, and
                // whether its SSO would authorize the token is moot until it is fixed.
                return None;
            }
            let why = match grant.map(|g| &g.settled) {
                Some(Settled::Granted | Settled::Missing { .. } | Settled::Refused { .. }) => {
                    return None;
                }
                Some(Settled::Unverifiable { reason }) => reason.clone(),
                None if token.requirements.probes() => {
                    "not probed (the recorded facts have no probe for it)".to_owned()
                }
                None => format!(
                    "`probe = false` for this token, so `GET /orgs/{organization}` was not asked"
                ),
            };
            Some(unverifiable_about(
                token,
                "its SAML SSO authorization",
                "organizations",
                &token.origin,
                &format!(
                    "whether the SAML single sign-on of `{organization}` has authorized the token: {why}"
                ),
            ))
        })
        .collect()
}

/// Whether the organization's policy refused the token on it or one of its repositories.
fn refused_in(facts: &TokenFacts, organization: &str) -> bool {
    facts.grants.iter().any(|grant| {
        let owner = grant.target.split('/').next().unwrap_or_default();
        matches!(grant.settled, Settled::Refused { .. }) && owner.eq_ignore_ascii_case(organization)
    })
}

pub static SSO_NOT_AUTHORIZED: RuleMeta = RuleMeta {
    id: "sso-not-authorized",
    summary: "GitHub refuses the token for an organization that enforces SAML single sign-on until the token is authorized for it (seen on `GET /orgs/ORG` for each of the token's `organizations`, and on any probe; when no answer shows it either way, the token is `unverifiable`).",
    default_severity: Severity::Error,
    why: "The integration cannot reach that organization's repositories with this token.",
    fix: None,
};

pub static LIFETIME_POLICY: RuleMeta = RuleMeta {
    id: "lifetime-policy",
    summary: "An organization or enterprise refuses the token on a target because the token's lifetime is longer than its policy allows (the host names the limit).",
    default_severity: Severity::Error,
    why: "GitHub lets an organization or enterprise cap the lifetime of the personal access tokens that reach its resources; a token over the limit authenticates (`GET /user` works) and is then refused with 403 on every repository of the organization: \"The 'acme' organization forbids access via a fine-grained personal access tokens if the token's lifetime is greater than 45 days\". The token's own metadata does not show it; only reading a target does, so patlint reads each declared one.",
    fix: None,
};

pub static CLASSIC_TOKEN_FORBIDDEN: RuleMeta = RuleMeta {
    id: "classic-token-forbidden",
    summary: "An organization refuses personal access tokens (classic) on its resources.",
    default_severity: Severity::Error,
    why: "An organization may restrict access by personal access tokens (classic); a classic token then works everywhere else and is refused with 403 on the organization's repositories: \"`acme` forbids access via a personal access token (classic). Please use a GitHub App, OAuth App, or a personal access token with fine-grained permissions.\"",
    fix: None,
};

pub static IP_ALLOW_LIST: RuleMeta = RuleMeta {
    id: "ip-allow-list",
    summary: "An organization's IP allow list refuses requests from the address the check ran from.",
    default_severity: Severity::Error,
    why: "An organization (or its enterprise) with an IP allow list refuses every request from an address not on it, whatever the token: \"Although you appear to have the correct authorization credentials, the `acme` organization has an IP allow list enabled, and your IP address is not permitted to access this resource.\" The refusal is about the address patlint ran from: run the check where the integration runs, so that it answers for the integration.",
    fix: None,
};

pub static APPROVAL_PENDING: RuleMeta = RuleMeta {
    id: "approval-pending",
    summary: "A fine-grained token's access to an organization awaits the approval of its owners.",
    default_severity: Severity::Error,
    why: "An organization that requires approval of fine-grained personal access tokens lets a token reach only its public resources until an owner approves it. GitHub gives the token no answer of its own for that (a private repository answers 404, as it does for one not selected), so `patlint check` names approval as a possible cause of `missing-repository`, and `patlint audit` with the organization's inventory lists the pending requests (`GET /orgs/ORG/personal-access-token-requests`) and reports a declared token found only there as `approval-pending`.",
    fix: None,
};
