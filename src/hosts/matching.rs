//! `patlint audit`: how each host ties a listed token to a declared one, dispatched by
//! the registry to the host's `Host` methods.

use super::Host;
use crate::facts::TokenFacts;

/// A declared token, as the audit matches it: its host's keys and what its check saw.
pub struct Declared<'a, H: Host> {
    pub endpoint: &'a H::Endpoint,
    pub facts: Option<&'a TokenFacts>,
}

impl<H: Host> Clone for Declared<'_, H> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<H: Host> Copy for Declared<'_, H> {}

/// The audit's host-specific words.
pub struct AuditTexts {
    /// The policy key that names a listed token (`token_id = {}`, with the id in place
    /// of `{}`); `None`: the token's secret, whose check reads the id.
    pub declare_key: Option<&'static str>,
    /// What to do for a declared token the listing should hold and does not.
    pub not_found: &'static str,
    /// What to do for a declared token that nothing ties to the listing.
    pub unidentified: &'static str,
}

/// The registry's part for the audit: matching a declared token to listings.
macro_rules! matching {
    ($($variant:ident = $host:ty),+) => {
        impl HostKind {
            /// The audit's words for this host's tokens.
            pub fn audit_texts(self) -> &'static AuditTexts {
                match self {
                    $(HostKind::$variant => &<$host as Host>::AUDIT,)+
                }
            }
        }

        impl Endpoint {
            /// Whether the declared token `self` is on what `inventory` lists.
            pub(crate) fn same_instance(
                &self,
                facts: Option<&TokenFacts>,
                inventory: &Endpoint,
                listing: &Listing,
            ) -> bool {
                match (inventory, self) {
                    $((Endpoint::$variant(i), Endpoint::$variant(endpoint)) => {
                        <$host as Host>::same_instance(i, Declared { endpoint, facts }, listing)
                    })+
                    // Tokens of two hosts are never on the same instance.
                    #[allow(unreachable_patterns)]
                    _ => false,
                }
            }

            /// Whether the policy's own id or name for the declared token `self` names
            /// the listed token.
            pub(crate) fn names(&self, facts: Option<&TokenFacts>, listed: &Listed, listing: &Listing) -> bool {
                match self {
                    $(Endpoint::$variant(endpoint) => {
                        <$host as Host>::names(Declared { endpoint, facts }, listed, listing)
                    })+
                }
            }

            /// The ids and names the policy gives the token, which a listing may show.
            pub(crate) fn policy_names(&self) -> Vec<String> {
                match self {
                    $(Endpoint::$variant(e) => <$host as Host>::policy_names(e),)+
                }
            }

            /// Whether the policy gives the token an id or name a listing shows.
            pub(crate) fn named(&self) -> bool {
                !self.policy_names().is_empty()
            }

            /// Whether `scope` lists every token of the declared one's kind on what the
            /// declared token `self` works on.
            pub(crate) fn expected_in(&self, scope: &InventoryScope, listing: &Listing) -> bool {
                match (scope, self) {
                    $((InventoryScope::$variant(s), Endpoint::$variant(e)) => {
                        <$host as Host>::expected(s, e, listing)
                    })+
                    #[allow(unreachable_patterns)]
                    _ => false,
                }
            }
        }
    };
}
pub(crate) use matching;
