//! Helpers shared by the integration tests.
#![allow(dead_code)]

use jiff::Timestamp;
use patlint::policy::{Policy, parse_policy};

pub fn policy(text: &str) -> Policy {
    match parse_policy("patlint.toml", text) {
        Ok(p) => p,
        Err(errors) => panic!(
            "test policy is invalid: {:?}",
            errors
                .0
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
        ),
    }
}

pub fn at(ts: &str) -> Timestamp {
    ts.parse().unwrap()
}

/// Renders policy errors the way `patlint validate` prints them when piped.
pub fn render_policy_errors(name: &str, text: &str) -> String {
    let errors = parse_policy(name, text).expect_err("policy should be invalid");
    errors
        .0
        .iter()
        .map(|e| patlint::report::human::render_diagnostic(e, patlint::report::human::Style::PLAIN))
        .collect::<Vec<_>>()
        .join("\n")
}
