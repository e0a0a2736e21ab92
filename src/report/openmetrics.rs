//! `--format openmetrics`: the report as metrics, for node_exporter's textfile collector or
//! a Pushgateway. The text is both the Prometheus text exposition format 0.0.4
//! (<https://prometheus.io/docs/instrumenting/exposition_formats/>) and OpenMetrics 1.0
//! (<https://github.com/prometheus/OpenMetrics/blob/main/specification/OpenMetrics.md>):
//! gauges only, no sample timestamps, every series once, each family's samples together,
//! no blank line, and `# EOF` last (OpenMetrics requires it; the Prometheus format reads it
//! as a comment).

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use super::{Report, TokenReport};
use crate::evaluate::Status;
use crate::facts::Observed;

/// A label value as both formats escape it: `\`, `"` and a line feed. Other control
/// characters (a carriage return ends a line for some readers) become spaces.
fn label_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The labels naming one item: `token` and `host`, and `inventory` for a token an
/// inventory lists. An inventory's own item has `inventory` and `host`, no `token`.
fn item_labels(t: &TokenReport, own_inventory: bool) -> Vec<(&'static str, String)> {
    let mut labels = Vec::new();
    if own_inventory {
        labels.push(("inventory", t.subject.name().to_owned()));
        labels.push(("host", t.subject.host().as_str().to_owned()));
        return labels;
    }
    labels.push(("token", t.subject.name().to_owned()));
    labels.push(("host", t.subject.host().as_str().to_owned()));
    if let Some(listed) = t.subject.listed() {
        labels.push(("inventory", listed.inventory.clone()));
    }
    labels
}

/// One metric family: its samples, each series once, in the order they came.
struct Family {
    name: &'static str,
    help: &'static str,
    samples: Vec<String>,
    seen: HashSet<String>,
}

impl Family {
    fn new(name: &'static str, help: &'static str) -> Self {
        Family {
            name,
            help,
            samples: Vec::new(),
            seen: HashSet::new(),
        }
    }

    fn sample(&mut self, labels: &[(&str, String)], value: i64) {
        let labels = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", label_value(v)))
            .collect::<Vec<_>>()
            .join(",");
        // Names are unique in a policy; a series met twice would be refused by Prometheus
        // ("duplicate sample"), so the first one stands.
        if self.seen.insert(labels.clone()) {
            self.samples.push(match labels.is_empty() {
                true => format!("{} {value}\n", self.name),
                false => format!("{}{{{labels}}} {value}\n", self.name),
            });
        }
    }

    fn write(&self, out: &mut String) {
        if self.samples.is_empty() {
            return;
        }
        let _ = write!(
            out,
            "# HELP {} {}\n# TYPE {} gauge\n",
            self.name, self.help, self.name
        );
        for sample in &self.samples {
            out.push_str(sample);
        }
    }
}

const STATUSES: [Status; 4] = [
    Status::Pass,
    Status::Fail,
    Status::Unverifiable,
    Status::Error,
];

pub fn render(report: &Report) -> String {
    let mut evaluated = Family::new(
        "patlint_evaluated_timestamp_seconds",
        "When the report was judged, as a Unix timestamp.",
    );
    let mut observed = Family::new(
        "patlint_facts_observed_timestamp_seconds",
        "When the judged facts were observed, as a Unix timestamp.",
    );
    let mut status = Family::new(
        "patlint_token_status",
        "The token's verdict: 1 on the sample whose status label is it, 0 on the others.",
    );
    let mut expiry = Family::new(
        "patlint_token_expiry_timestamp_seconds",
        "When the token expires, as a Unix timestamp; absent when it never expires or its expiry is unknown.",
    );
    let mut warning = Family::new(
        "patlint_token_expiry_warning_seconds",
        "How long before its expiry the policy warns about the token (expiry_warning).",
    );
    let mut findings = Family::new(
        "patlint_token_findings",
        "The token's findings by rule, severity and whether a waiver accepts them.",
    );
    evaluated.sample(&[], report.evaluated_at.as_second());
    observed.sample(&[], report.facts.observed_at().as_second());
    let own: Vec<*const crate::evaluate::Verdict> = report
        .inventories
        .iter()
        .filter_map(|i| i.own.as_ref())
        .map(|j| &j.verdict as *const _)
        .collect();
    for t in report.items() {
        let is_inventory = own.contains(&(t.verdict as *const _));
        let labels = item_labels(&t, is_inventory);
        for s in STATUSES {
            let mut l = labels.clone();
            l.push(("status", s.as_str().to_owned()));
            status.sample(&l, i64::from(t.verdict.status == s));
        }
        if let Some(Observed::Value {
            value: Some(at), ..
        }) = t.facts().map(|f| &f.expires_at)
        {
            expiry.sample(&labels, at.as_second());
            warning.sample(&labels, t.subject.requirements().expiry_warning().as_secs());
        }
        let mut counts: BTreeMap<(&str, &str, bool), i64> = BTreeMap::new();
        for f in &t.verdict.findings {
            *counts
                .entry((f.rule.id(), f.severity.as_str(), f.waived.is_some()))
                .or_default() += 1;
        }
        for ((rule, severity, waived), n) in counts {
            let mut l = labels.clone();
            l.push(("rule", rule.to_owned()));
            l.push(("severity", severity.to_owned()));
            l.push(("waived", waived.to_string()));
            findings.sample(&l, n);
        }
    }
    let mut out = String::new();
    for family in [&evaluated, &observed, &status, &expiry, &warning, &findings] {
        family.write(&mut out);
    }
    out.push_str("# EOF\n");
    out
}

/// A refused policy as metrics (exit 2: nothing was checked): how many problems it has,
/// so that an alert on a stale gate can tell a broken policy from a quiet one.
pub fn problems(problems: &[super::ProblemView]) -> String {
    let mut family = Family::new(
        "patlint_policy_problems",
        "Problems in the policy, which was refused: no token was checked.",
    );
    family.sample(&[], problems.len() as i64);
    let mut out = String::new();
    family.write(&mut out);
    out.push_str("# EOF\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_as_the_exposition_formats_say() {
        assert_eq!(label_value("a\\b\"c\nd\re"), "a\\\\b\\\"c\\nd e");
    }

    #[test]
    fn a_series_is_written_once() {
        let mut f = Family::new("patlint_x", "x.");
        f.sample(&[("token", "a".into())], 1);
        f.sample(&[("token", "a".into())], 2);
        let mut out = String::new();
        f.write(&mut out);
        assert_eq!(
            out,
            "# HELP patlint_x x.\n# TYPE patlint_x gauge\npatlint_x{token=\"a\"} 1\n"
        );
    }
}
