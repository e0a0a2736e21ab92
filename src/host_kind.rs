//! The kinds of host patlint knows, by the name a policy uses for them.

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum HostKind {
    Github,
    Gitlab,
    AzureDevops,
    AzureDevopsServer,
    AwsIam,
}

impl HostKind {
    pub const ALL: [HostKind; 5] = [
        HostKind::Github,
        HostKind::Gitlab,
        HostKind::AzureDevops,
        HostKind::AzureDevopsServer,
        HostKind::AwsIam,
    ];

    /// The name a policy file uses.
    pub fn as_str(self) -> &'static str {
        match self {
            HostKind::Github => "github",
            HostKind::Gitlab => "gitlab",
            HostKind::AzureDevops => "azure-devops",
            HostKind::AzureDevopsServer => "azure-devops-server",
            HostKind::AwsIam => "aws-iam",
        }
    }

    /// The name people know the product by.
    pub fn product(self) -> &'static str {
        match self {
            HostKind::Github => "GitHub",
            HostKind::Gitlab => "GitLab",
            HostKind::AzureDevops => "Azure DevOps Services",
            HostKind::AzureDevopsServer => "Azure DevOps Server / TFS",
            HostKind::AwsIam => "AWS IAM (CodeCommit)",
        }
    }

    pub fn parse(name: &str) -> Option<HostKind> {
        HostKind::ALL.into_iter().find(|h| h.as_str() == name)
    }

    pub fn names() -> impl Iterator<Item = &'static str> {
        HostKind::ALL.into_iter().map(HostKind::as_str)
    }
}

impl std::fmt::Display for HostKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
