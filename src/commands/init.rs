//! `patlint init`: a commented starter policy, optionally built on a preset, with the
//! `#:schema` line that editors use for completion.

use std::path::Path;

use super::{CommandResult, fail};
use crate::cli::InitArgs;
use crate::hosts::HostKind;
use crate::outcome::Exit;
use crate::policy::presets;

pub const SCHEMA_FILE: &str = "patlint.schema.json";

/// The starter policy's text. `preset` is a preset name without `builtin:`.
///
/// Every host's `[[token]]` block is there: the first live, the others commented out line
/// by line. Each block, uncommented, validates on its own and says what to fill in and why
/// (`tests/it/init.rs` checks both, and that a token with the preset's rights passes).
pub fn starter(preset: Option<&str>) -> String {
    let extends = match preset {
        Some(name) => format!(
            "# Requirements from a preset built into patlint (`policies/{name}.toml` in its\n# repository says what it asks of each host, and why); what this file sets wins over them.\nextends = [\"{}{name}\"]\n",
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
# The first block is live. For another host, uncomment its block (remove the `# ` at the
# start of each line), fill in what its comments ask for, and delete the blocks you do not use.
# Secrets are read from the environment variables (or files) named here, never written here.
"#,
        hosts.join(" | ")
    );
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
    let preset = match args.preset.as_deref() {
        Some(name) => Some(known_preset(name)?),
        None => None,
    };
    let policy = args.policy.as_path();
    if policy.exists() {
        return Err(fail(format!(
            "`{}` already exists; patlint init does not overwrite a policy (remove it, or pass --policy OTHER.toml)",
            policy.display()
        )));
    }
    let created = create_folder_of(policy)?;
    std::fs::write(policy, starter(preset))
        .map_err(|e| fail(format!("cannot write `{}`: {e}", policy.display())))?;
    match created {
        Some(folder) => eprintln!(
            "patlint: created `{}` and wrote `{}`",
            folder.display(),
            policy.display()
        ),
        None => eprintln!("patlint: wrote `{}`", policy.display()),
    }
    let schema = policy.with_file_name(SCHEMA_FILE);
    eprintln!("patlint: {}", write_schema(&schema)?);
    let validate = if policy == Path::new("patlint.toml") {
        "patlint validate".to_owned()
    } else {
        format!("patlint validate --policy {}", policy.display())
    };
    eprintln!("patlint: next, fill in each [[token]] as its comments say, then run `{validate}`");
    Ok(Exit::Clean)
}

/// The preset's name without `builtin:`, or the list of presets.
fn known_preset(name: &str) -> Result<&str, Exit> {
    let name = name.strip_prefix(presets::PREFIX).unwrap_or(name);
    if presets::find(name).is_some() {
        return Ok(name);
    }
    let known: Vec<_> = presets::PRESETS.iter().map(|p| p.name).collect();
    Err(fail(format!(
        "unknown preset `{name}`; presets: {}",
        known.join(", ")
    )))
}

/// Creates the folder the policy goes in when it does not exist yet (`.github/` in a new
/// repository), and returns it if it did.
fn create_folder_of(policy: &Path) -> Result<Option<&Path>, Exit> {
    let Some(folder) = policy.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(None);
    };
    if folder.is_dir() {
        return Ok(None);
    }
    std::fs::create_dir_all(folder)
        .map_err(|e| fail(format!("cannot create `{}`: {e}", folder.display())))?;
    Ok(Some(folder))
}

/// Writes this patlint's JSON Schema beside the policy, unless a file is already there;
/// says what it did, and whether a file left in place differs from this patlint's schema.
fn write_schema(schema: &Path) -> Result<String, Exit> {
    let current = crate::policy::raw::json_schema();
    let name = schema.display();
    if !schema.exists() {
        std::fs::write(schema, &current)
            .map_err(|e| fail(format!("cannot write `{name}`: {e}")))?;
        return Ok(format!(
            "wrote `{name}`, the policy's JSON Schema, for completion in editors"
        ));
    }
    Ok(match std::fs::read_to_string(schema) {
        Ok(existing) if existing == current => {
            format!("left `{name}` as it was: it is already this patlint's schema")
        }
        _ => format!(
            "left `{name}` as it was, but it is not this patlint's schema: `patlint schema > {name}` replaces it"
        ),
    })
}
