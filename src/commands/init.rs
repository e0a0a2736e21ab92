//! `patlint init`: a commented starter policy, optionally built on a preset, with the
//! `#:schema` line that editors use for completion.

use super::{CommandResult, fail};
use crate::cli::InitArgs;
use crate::hosts::HostKind;
use crate::outcome::Exit;
use crate::policy::presets;

pub const SCHEMA_FILE: &str = "patlint.schema.json";

/// The starter policy's text. `preset` is a preset name without `builtin:`.
pub fn starter(preset: Option<&str>) -> String {
    let extends = match preset {
        Some(name) => format!(
            "# Requirements from a built-in preset (see `policies/` in patlint's repository);\n# what this file sets wins over them.\nextends = [\"{}{name}\"]\n",
            presets::PREFIX
        ),
        None => format!(
            "# Build on a built-in preset, e.g. the Jira git integration's needs:\n# extends = [\"{}git-integration-for-jira\"]\n",
            presets::PREFIX
        ),
    };
    let hosts: Vec<&str> = HostKind::names().collect();
    let mut text = format!(
        r#"#:schema ./{SCHEMA_FILE}
# patlint policy: which tokens your integrations rely on, and what each must look like.
# Check it offline with `patlint validate`; check the live tokens with `patlint check`.
version = 1
{extends}
[defaults]
max_lifespan    = "90d"    # days, weeks or hours; for keys that never expire, their age
expiry_warning  = "14d"    # warn this long before a token expires
on_unverifiable = "fail"   # a fact the host cannot reveal: fail | warn | ignore

# Requirements for every token of one host:
# [hosts.github]
# forbid_scopes = ["delete_repo", "admin:org"]

# One [[token]] per token an integration uses; host is one of: {}
"#,
        hosts.join(" | ")
    );
    // The first host's example is live; the others are commented out.
    for (i, host) in HostKind::ALL.iter().enumerate() {
        text.push('\n');
        for line in host.meta().starter.lines() {
            if i > 0 {
                text.push_str("# ");
            }
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

pub(super) fn init(args: InitArgs) -> CommandResult {
    if let Some(name) = &args.preset {
        let name = name.strip_prefix(presets::PREFIX).unwrap_or(name);
        if presets::find(name).is_none() {
            let known: Vec<_> = presets::PRESETS.iter().map(|p| p.name).collect();
            return Err(fail(format!(
                "unknown preset `{name}`; presets: {}",
                known.join(", ")
            )));
        }
    }
    if args.policy.exists() {
        return Err(fail(format!(
            "`{}` already exists; patlint init does not overwrite a policy (remove it, or pass --policy OTHER.toml)",
            args.policy.display()
        )));
    }
    let preset = args
        .preset
        .as_deref()
        .map(|n| n.strip_prefix(presets::PREFIX).unwrap_or(n));
    let text = starter(preset);
    std::fs::write(&args.policy, &text)
        .map_err(|e| fail(format!("cannot write `{}`: {e}", args.policy.display())))?;
    let schema = args.policy.with_file_name(SCHEMA_FILE);
    if !schema.exists() {
        std::fs::write(&schema, crate::policy::raw::json_schema())
            .map_err(|e| fail(format!("cannot write `{}`: {e}", schema.display())))?;
    }
    eprintln!(
        "patlint: wrote `{}` (and `{}` for editor completion); edit it, then run `patlint validate`",
        args.policy.display(),
        schema.display()
    );
    Ok(Exit::Clean)
}
