//! `patlint init`: a commented starter policy, optionally built on a preset, with the
//! `#:schema` line that editors use for completion.

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
    format!(
        r#"#:schema ./{SCHEMA_FILE}
# patlint policy: which tokens your integrations rely on, and what each must look like.
# Check it offline with `patlint validate`; check the live tokens with `patlint check`.
version = 1
{extends}
[defaults]
max_lifespan    = "90d"    # days, weeks or hours; for AWS keys, the rotation age
expiry_warning  = "14d"    # warn this long before a token expires
on_unverifiable = "fail"   # a fact the host cannot reveal: fail | warn | ignore

# Requirements for every token of one host:
# [hosts.github]
# forbid_scopes = ["delete_repo", "admin:org"]

[[token]]
name   = "jira-github"
host   = "github"                       # github | gitlab | azure-devops | azure-devops-server | aws-iam
# url  = "https://ghe.example.com/api/v3"   # GitHub Enterprise Server
secret = {{ env = "JIRA_GITHUB_PAT" }}    # or {{ file = "/run/secrets/jira-github" }}; never the token itself

# [[token]]
# name   = "jira-gitlab"
# host   = "gitlab"
# url    = "https://gitlab.example.com"
# secret = {{ env = "JIRA_GITLAB_PAT" }}

# [[token]]
# name         = "jira-azure"
# host         = "azure-devops"
# organization = "fabrikam"
# secret       = {{ env = "JIRA_ADO_PAT" }}

# [[token]]
# name            = "jira-codecommit"
# host            = "aws-iam"
# access_key_id   = {{ env = "JIRA_AWS_ACCESS_KEY_ID" }}
# secret          = {{ env = "JIRA_AWS_SECRET_ACCESS_KEY" }}
"#
    )
}
