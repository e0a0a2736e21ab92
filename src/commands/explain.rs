//! `patlint explain`: a rule's meaning, reason and fix per host.

use super::{CommandResult, fail, write_output};
use crate::hosts::HostKind;
use crate::outcome::Exit;
use crate::rules::Rule;
use crate::suggest;

pub fn list() -> String {
    let mut out = String::from("patlint rules (`patlint explain RULE` for details):\n\n");
    for rule in Rule::all() {
        let meta = rule.meta();
        out.push_str(&format!(
            "  {:<28} {:<8} {}\n",
            meta.id,
            meta.default_severity.as_str(),
            meta.summary
        ));
    }
    out
}

pub fn explain(id: &str) -> Result<String, String> {
    let Some(rule) = Rule::from_id(id) else {
        let hint = match suggest::closest(id, Rule::all().map(Rule::id)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "`patlint explain` lists every rule".into(),
        };
        return Err(format!("unknown rule `{id}`; {hint}"));
    };
    let meta = rule.meta();
    let mut out = format!(
        "{}  (default severity: {})\n\n{}\n\nWhy it matters\n  {}\n\nHow to fix it\n",
        meta.id,
        meta.default_severity.as_str(),
        meta.summary,
        meta.why
    );
    let mut shown: Vec<&str> = Vec::new();
    for host in HostKind::ALL {
        if let Some(fix) = rule.fix_for(*host)
            && !shown.contains(&fix)
        {
            shown.push(fix);
            out.push_str(&format!("  - {fix}\n"));
        }
    }
    out.push_str(&probes(rule));
    out.push_str(&inventories(rule));
    Ok(out)
}

/// For the audit's rules: how to declare an inventory, and what each host's lists.
fn inventories(rule: Rule) -> String {
    if !matches!(
        rule,
        Rule::UndeclaredToken | Rule::TokenNotFound | Rule::InventoryIncomplete
    ) {
        return String::new();
    }
    let mut out = String::from(
        "\nInventories (`patlint audit`)\n  An [[inventory]] names a host and an admin credential that lists its tokens, written like a token:\n\n    [[inventory]]\n    name         = \"acme-github\"\n    host         = \"github\"\n    organization = \"acme\"\n    secret       = { env = \"ACME_GITHUB_APP_TOKEN\" }\n\n  `patlint audit` checks every declared token as `check` does, lists every inventory to its last page (a listing cut short is an error, never a complete answer), and judges each undeclared token against [defaults] and [hosts.<host>]. Every listing request is read-only:\n",
    );
    for host in HostKind::ALL {
        if let Some(docs) = host.meta().inventory {
            out.push_str(&format!("  - {docs}\n"));
        }
    }
    out
}

/// The probes that settle the rule's findings, where a host does not list the fact.
fn probes(rule: Rule) -> String {
    // The same probe may serve several hosts (Azure DevOps Services and Server).
    let mut probes: Vec<(Vec<&str>, &crate::hosts::Probe)> = Vec::new();
    for host in HostKind::ALL {
        for probe in host
            .meta()
            .probes
            .iter()
            .filter(|p| p.rules.contains(&rule))
        {
            match probes.iter_mut().find(|(_, p)| p.request == probe.request) {
                Some((hosts, _)) => hosts.push(host.product()),
                None => probes.push((vec![host.product()], probe)),
            }
        }
    }
    let mut out = String::new();
    for (hosts, probe) in probes {
        out.push_str(&format!(
            "  - {}: {}\n      answers: {}\n      cannot change anything: {}\n",
            hosts.join(", "),
            probe.request,
            probe.answers,
            probe.harmless
        ));
    }
    if out.is_empty() {
        return out;
    }
    format!(
        "\nHow patlint finds out (probes: each target the policy names is read once, the rest is sent only for what the policy asks; never with `probe = false`)\n{out}  The hosts do not document the order of their checks: these answers are what they do today, and any other answer is `unverifiable` with its status, never a pass.\n"
    )
}

pub(super) fn explain_command(rule: Option<&str>) -> CommandResult {
    let text = match rule {
        None => list(),
        Some(id) => explain(id).map_err(fail)?,
    };
    write_output(None, &text)?;
    Ok(Exit::Clean)
}
