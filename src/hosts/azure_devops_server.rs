//! Azure DevOps Server and TFS 2017+, on premises (hosts.md §4).
//!
//! Only validity can be observed: `GET {collection}/_apis/connectionData` with the PAT.
//! No API reveals an on-premises PAT's scopes or expiry, so those are unverifiable.

use async_trait::async_trait;

use super::azure_devops::{basic_auth, connection_data, encoded_basic};
use super::{Host, Http, scrub};
use crate::facts::{Fact, Observation, TokenFacts, TokenKind};
use crate::policy::{Endpoint, TokenSpec};
use crate::secret::Secret;

pub struct AzureDevopsServer;

#[async_trait]
impl Host for AzureDevopsServer {
    async fn observe(&self, http: &Http, token: &TokenSpec, secret: &Secret) -> Observation {
        let Endpoint::AzureDevopsServer { collection } = &token.endpoint else {
            return Observation::host_error(
                "internal: a non-Server token was sent to the Azure DevOps Server host",
            );
        };
        let pat = match basic_auth(secret) {
            Ok(pat) => pat,
            Err(unsendable) => return Observation::host_error(unsendable),
        };
        if let Err(refused) =
            connection_data(http, token, "Azure DevOps Server", collection, &pat).await
        {
            return scrub(refused, &encoded_basic(secret));
        }
        let mut facts = TokenFacts::new(TokenKind::PersonalAccessToken);
        let reason = "Azure DevOps Server / TFS has no API that reveals a PAT's scopes, expiry or use; only its validity (connectionData) is observable";
        for fact in [
            Fact::Scopes,
            Fact::ExpiresAt,
            Fact::CreatedAt,
            Fact::LastUsedAt,
        ] {
            facts.unobservable.insert(fact, reason.into());
        }
        Observation::observed(facts)
    }
}
