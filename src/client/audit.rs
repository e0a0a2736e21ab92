//! Observing for `patlint audit`: every declared token, as `check` does, and every
//! `[[inventory]]`'s listing, concurrently. Each listing is scrubbed of every secret
//! the run read, its own and every declared token's.

use jiff::Timestamp;

use super::http::{Http, HttpSettings};
use super::observe::{Call, observe_for_audit, scrub_listing, secret_unavailable};
use crate::facts::TokenRecord;
use crate::hosts::HostKind;
use crate::hosts::Hosts;
use crate::hosts::inventory::{Fingerprint, ListingResult};
use crate::policy::{InventorySpec, Policy};
use crate::secret::Secret;

/// What `patlint audit` observed.
pub struct AuditFacts {
    /// When the hosts were asked.
    pub observed_at: Timestamp,
    /// The declared tokens' checks, in policy order.
    pub declared: Vec<DeclaredCheck>,
    /// Per inventory, in policy order.
    pub inventories: Vec<InventoryRecord>,
}

/// One declared token's check, with what it saw that identifies the token in a listing.
#[derive(Debug, Clone)]
pub struct DeclaredCheck {
    /// The token as `patlint facts` records it.
    pub record: TokenRecord,
    pub fingerprints: Vec<Fingerprint>,
}

/// One inventory's listing.
#[derive(Debug, Clone)]
pub struct InventoryRecord {
    pub name: String,
    pub host: HostKind,
    pub listing: ListingResult,
}

/// Observes every declared token and lists every inventory, recorded as observed at
/// `observed_at` (the command's one clock read).
pub async fn audit_all(
    policy: &Policy,
    settings: &HttpSettings,
    observed_at: Timestamp,
) -> AuditFacts {
    audit_all_reporting(policy, settings, observed_at, None).await
}

/// [`audit_all`], saying on standard error what it waits for when it waits long.
pub async fn audit_all_reporting(
    policy: &Policy,
    settings: &HttpSettings,
    observed_at: Timestamp,
    progress: Option<super::progress::ProgressSettings>,
) -> AuditFacts {
    let http = Http::new(settings.clone());
    let hosts = Hosts::new(settings);
    let declared = policy
        .tokens
        .iter()
        .map(|token| observe_for_audit(&hosts, &http, token, observed_at));
    let listed = policy
        .inventories
        .iter()
        .map(|inventory| list_one(&hosts, &http, inventory, observed_at));
    let both = futures_util::future::join(
        futures_util::future::join_all(declared),
        futures_util::future::join_all(listed),
    );
    let (declared, listed) = match progress {
        Some(progress) => super::progress::reporting(http.progress(), progress, both).await,
        None => both.await,
    };
    let everyone: Vec<Secret> = declared
        .iter()
        .flat_map(|(_, _, protected)| protected.iter().cloned())
        .collect();
    let inventories = policy
        .inventories
        .iter()
        .zip(listed)
        .map(|(inventory, (listing, own))| {
            let mut protected = own;
            protected.extend(everyone.iter().cloned());
            InventoryRecord {
                name: inventory.token.name.clone(),
                host: inventory.token.host(),
                listing: scrub_listing(listing, &protected),
            }
        })
        .collect();
    let declared = policy
        .tokens
        .iter()
        .zip(declared)
        .map(|(token, (observation, fingerprints, _))| DeclaredCheck {
            record: TokenRecord {
                name: token.name.clone(),
                host: token.host(),
                observation,
            },
            fingerprints,
        })
        .collect();
    AuditFacts {
        observed_at,
        declared,
        inventories,
    }
}

/// Lists one inventory, with the secrets its own call read: the listing is scrubbed of
/// them and every declared token's at once, before it goes anywhere.
async fn list_one(
    hosts: &Hosts,
    http: &Http,
    inventory: &InventorySpec,
    observed_at: Timestamp,
) -> (ListingResult, Vec<Secret>) {
    let token = &inventory.token;
    let secret = match token.secret.value.read() {
        Ok(secret) => secret,
        Err(e) => return (Err(secret_unavailable(&e)), Vec::new()),
    };
    let call = Call::new(http, token, &secret, observed_at);
    let listing = hosts.list(&call, &token.endpoint, &inventory.scope).await;
    (listing, call.protected())
}
