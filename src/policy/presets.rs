//! Built-in presets, embedded from `policies/` and used with `extends = ["builtin:NAME"]`.

pub const PREFIX: &str = "builtin:";

pub struct Preset {
    pub name: &'static str,
    pub text: &'static str,
}

pub static PRESETS: &[Preset] = &[
    Preset {
        name: "git-integration-for-jira",
        text: include_str!("../../policies/git-integration-for-jira.toml"),
    },
    Preset {
        name: "git-integration-for-jira-readonly",
        text: include_str!("../../policies/git-integration-for-jira-readonly.toml"),
    },
];

pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}
