//! What only Bitbucket reveals about a token: which kind of credential it is, in
//! Bitbucket's own words (the shared `kind` has no names for them).

use serde::{Deserialize, Serialize};

use crate::facts::{Named, NamedMut, Observed, TokenFacts};
use crate::hosts::{HostSpecificFacts, OwnFacts};

/// Bitbucket Cloud's credential kinds, as the facts record names them.
pub const API_TOKEN: &str = "api-token";
pub const APP_PASSWORD: &str = "app-password";

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudFacts {
    /// `api-token`, `app-password`, `repository-access-token`, `project-access-token`
    /// or `workspace-access-token`.
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub bitbucket_credential: Observed<String>,
}

const CLOUD_CREDENTIAL: &str = "bitbucket_credential";

impl HostSpecificFacts for CloudFacts {
    const NAMES: &'static [&'static str] = &[CLOUD_CREDENTIAL];

    fn named(&self) -> Named<'_> {
        vec![(CLOUD_CREDENTIAL, &self.bitbucket_credential)]
    }

    fn named_mut(&mut self) -> NamedMut<'_> {
        vec![(CLOUD_CREDENTIAL, &mut self.bitbucket_credential)]
    }

    fn reported(&self) -> Vec<(&'static str, serde_json::Value)> {
        reported(CLOUD_CREDENTIAL, &self.bitbucket_credential)
    }
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataCenterFacts {
    /// `personal-access-token`, `project-access-token` or `repository-access-token`.
    #[serde(default, skip_serializing_if = "Observed::is_unobservable")]
    pub bitbucket_dc_token: Observed<String>,
}

const DC_TOKEN: &str = "bitbucket_dc_token";

impl HostSpecificFacts for DataCenterFacts {
    const NAMES: &'static [&'static str] = &[DC_TOKEN];

    fn named(&self) -> Named<'_> {
        vec![(DC_TOKEN, &self.bitbucket_dc_token)]
    }

    fn named_mut(&mut self) -> NamedMut<'_> {
        vec![(DC_TOKEN, &mut self.bitbucket_dc_token)]
    }

    fn reported(&self) -> Vec<(&'static str, serde_json::Value)> {
        reported(DC_TOKEN, &self.bitbucket_dc_token)
    }
}

fn reported(name: &'static str, kind: &Observed<String>) -> Vec<(&'static str, serde_json::Value)> {
    kind.value()
        .map(|kind| (name, serde_json::Value::String(kind.clone())))
        .into_iter()
        .collect()
}

/// A Cloud token's credential kind, if recorded.
pub fn cloud_credential(facts: &TokenFacts) -> Option<&str> {
    super::Cloud::facts(facts)?
        .bitbucket_credential
        .value()
        .map(String::as_str)
}

/// Records a Cloud token's credential kind and where it was seen.
pub fn set_cloud_credential(facts: &mut TokenFacts, kind: &str, evidence: String) {
    super::Cloud::facts_mut(facts).bitbucket_credential = Observed::seen(kind.to_owned(), evidence);
}

/// Records a Data Center token's kind and where it was seen.
pub fn set_dc_token(facts: &mut TokenFacts, kind: &str, evidence: String) {
    super::DataCenter::facts_mut(facts).bitbucket_dc_token =
        Observed::seen(kind.to_owned(), evidence);
}
