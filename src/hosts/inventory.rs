//! `patlint audit`: what an `[[inventory]]` lists. Each host that has an admin listing of
//! tokens implements [`super::Host::list`] in its folder; this file holds what they share.

use std::collections::BTreeSet;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::facts::{Observation, TokenFacts, TokenKind};

/// Every token one inventory could see, read to the last page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    pub tokens: Vec<Listed>,
    /// The kinds of token the listing holds every one of: a declared token of another
    /// kind that is not in it is not `token-not-found`.
    pub complete_for: BTreeSet<TokenKind>,
    /// What the listing cannot see, said in the report (`inventory-incomplete`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blind_spots: Vec<String>,
    /// Tokens the host lists as not yet let in (a request for access awaiting the
    /// organization's approval), each with the refusal in its facts (a grant settled
    /// `refused`): a declared token matched to one gets that refusal, not
    /// `token-not-found`. Not tokens with access, so never undeclared ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub awaiting: Vec<Listed>,
    /// AWS: the account the listing is of (declared keys of other accounts are not
    /// expected in it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Each listed id and name, whatever its case, with the token that has it: counted
    /// once, when the audit first asks, from the listing as it is then.
    #[serde(skip)]
    index: Index,
}

/// A listing's ids and names, once counted: what it is made from, not part of what it
/// says (two listings alike are alike whether or not either was counted). Each is kept
/// as a hash of its lowercase form beside its token's position, in order, so that
/// finding a key is a binary search and counting one costs no allocation per token.
#[derive(Clone, Default)]
struct Index(OnceLock<Vec<(u64, usize)>>);

/// The hash of `key` lowercased, as the index keeps it.
fn caseless(key: &str) -> u64 {
    use std::hash::Hasher;
    static KEY: OnceLock<std::hash::RandomState> = OnceLock::new();
    let mut hasher = KEY.get_or_init(Default::default).build_hasher();
    for c in key.chars().flat_map(char::to_lowercase) {
        hasher.write_u32(c.into());
    }
    hasher.finish()
}

impl PartialEq for Index {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Index")
    }
}

impl Listing {
    pub fn complete_for(kinds: &[TokenKind]) -> Self {
        Listing {
            tokens: Vec::new(),
            complete_for: kinds.iter().copied().collect(),
            blind_spots: Vec::new(),
            awaiting: Vec::new(),
            account: None,
            index: Index::default(),
        }
    }
}

impl Listing {
    /// Whether exactly one listed token has this name: a name alone, whose owner is
    /// unknown, names a token only then.
    pub fn only_one_named(&self, name: &str) -> bool {
        self.only_one(name, |t| t.name.as_deref() == Some(name))
    }

    /// Whether exactly one listed token has this id.
    pub fn only_one_with_id(&self, id: &str) -> bool {
        self.only_one(id, |t| t.id == id)
    }

    fn only_one(&self, key: &str, is: impl Fn(&Listed) -> bool) -> bool {
        let tokens = self.with_id_or_name(key);
        tokens
            .into_iter()
            .filter(|&at| is(&self.tokens[at]))
            .count()
            == 1
    }

    /// The positions of the listed tokens whose id or name is `key`, whatever its case,
    /// in listing order (a superset, as two keys may hash alike: the caller compares as
    /// it must).
    pub fn with_id_or_name(&self, key: &str) -> Vec<usize> {
        let index = self.index.0.get_or_init(|| {
            let mut index = Vec::with_capacity(self.tokens.len() * 2);
            for (at, token) in self.tokens.iter().enumerate() {
                index.push((caseless(&token.id), at));
                index.extend(token.name.as_deref().map(|name| (caseless(name), at)));
            }
            index.sort_unstable();
            index.dedup();
            index
        });
        let key = caseless(key);
        let from = index.partition_point(|&(hash, _)| hash < key);
        let to = index.partition_point(|&(hash, _)| hash <= key);
        index[from..to].iter().map(|&(_, at)| at).collect()
    }
}

/// One token of a listing: what identifies it, and what the listing reveals about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listed {
    /// The host's id for it: a GitHub token id or credential id, a GitLab token id, an
    /// AWS access key id, an Azure DevOps authorization id.
    pub id: String,
    /// Its name on the host (GitHub token name, GitLab name, Azure DevOps display name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whose it is: a GitHub login, a GitLab username, an IAM user, an Azure DevOps
    /// principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The request that listed it: "GET /orgs/acme/personal-access-tokens".
    pub source: String,
    /// What matches it to a declared token whose check saw the same value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Fingerprint>,
    pub facts: TokenFacts,
}

/// The result of asking one inventory: a complete listing, or why there is none.
pub type ListingResult = Result<Listing, Observation>;

/// A keyed hash of a value that identifies a token (an id, a secret's last eight
/// characters), with a key drawn for this process: a declared token's check and an
/// inventory's listing that saw the same value get the same fingerprint, and nothing
/// can be recovered from it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fingerprint(u64);

impl Fingerprint {
    /// `kind` keeps values of different meaning apart (an id against a last eight).
    pub fn of(kind: &str, value: &str) -> Self {
        static KEY: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
        Fingerprint(KEY.get_or_init(Default::default).hash_one((kind, value)))
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fingerprint(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_finds_its_tokens_by_id_or_name_whatever_the_case() {
        let listed = |id: &str, name: &str| Listed {
            id: id.into(),
            name: Some(name.into()),
            owner: None,
            source: "GET /x".into(),
            fingerprint: None,
            facts: TokenFacts::new(TokenKind::FineGrainedPat),
        };
        let mut listing = Listing::complete_for(&[]);
        listing.tokens = vec![
            listed("952858D3", "deploy"),
            listed("7", "Deploy"),
            listed("8", "8"),
        ];
        assert_eq!(listing.with_id_or_name("952858d3"), [0]);
        assert_eq!(listing.with_id_or_name("DEPLOY"), [0, 1]);
        assert_eq!(
            listing.with_id_or_name("8"),
            [2],
            "once, though its id is its name"
        );
        assert!(listing.with_id_or_name("9").is_empty());
        assert!(listing.only_one_named("deploy") && listing.only_one_with_id("7"));
        listing.tokens.push(listed("9", "deploy"));
        let again = Listing {
            tokens: listing.tokens.clone(),
            ..Listing::complete_for(&[])
        };
        assert!(!again.only_one_named("deploy"));
    }

    #[test]
    fn fingerprints_tell_kinds_and_values_apart_and_hide_them() {
        assert_eq!(Fingerprint::of("id", "42"), Fingerprint::of("id", "42"));
        assert_ne!(Fingerprint::of("id", "42"), Fingerprint::of("id", "43"));
        assert_ne!(Fingerprint::of("id", "42"), Fingerprint::of("last8", "42"));
        assert_eq!(
            format!("{:?}", Fingerprint::of("id", "42")),
            "Fingerprint(…)"
        );
    }
}
