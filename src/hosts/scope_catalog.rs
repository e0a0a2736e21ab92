//! What a host calls its scopes and which scope includes which. Each host with scopes
//! has its own catalog in its folder.
//!
//! Only documented implications are listed: an undocumented one could make a token
//! that lacks a scope look as if it had it.

use std::collections::BTreeSet;

/// What a host calls its scopes, and which scope includes which.
pub struct ScopeCatalog {
    pub known: &'static [&'static str],
    /// `(parent, children)`: a token with `parent` can do all that `children` allow.
    pub implies: &'static [(&'static str, &'static [&'static str])],
    /// Implications the docs suggest but do not state (`write:org` ⊇ `read:org`). Used
    /// only where assuming them is the safe side: when looking for forbidden scopes.
    pub likely_implies: &'static [(&'static str, &'static [&'static str])],
    /// A scope that grants everything (a "full access" token).
    pub full_access: Option<&'static str>,
}

impl ScopeCatalog {
    pub fn is_known(&self, scope: &str) -> bool {
        self.known.contains(&scope)
    }

    /// Every scope the given ones grant, themselves included.
    pub fn closure<'a>(&self, scopes: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        self.close(scopes, false)
    }

    /// Every scope the given ones may grant: [`Self::closure`] plus the likely
    /// implications. What a forbidden scope is checked against.
    pub fn broad_closure<'a>(&self, scopes: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        self.close(scopes, true)
    }

    fn close<'a>(
        &self,
        scopes: impl IntoIterator<Item = &'a str>,
        broad: bool,
    ) -> BTreeSet<String> {
        let mut closed: BTreeSet<String> = BTreeSet::new();
        let mut pending: Vec<String> = scopes.into_iter().map(str::to_owned).collect();
        while let Some(scope) = pending.pop() {
            if !closed.insert(scope.clone()) {
                continue;
            }
            if Some(scope.as_str()) == self.full_access {
                pending.extend(self.known.iter().map(|s| s.to_string()));
            }
            let likely: &[(&str, &[&str])] = if broad { self.likely_implies } else { &[] };
            for (_, children) in self
                .implies
                .iter()
                .chain(likely)
                .filter(|(parent, _)| *parent == scope)
            {
                pending.extend(children.iter().map(|s| s.to_string()));
            }
        }
        closed
    }

    /// The known scope closest to a misspelt one.
    pub fn suggest(&self, unknown: &str) -> Option<&'static str> {
        crate::suggest::closest(unknown, self.known.iter().copied())
    }
}

/// Checks that every implied scope is in the catalog, for each host's tests.
#[cfg(test)]
pub(crate) fn assert_consistent(catalog: &ScopeCatalog) {
    for (parent, children) in catalog.implies.iter().chain(catalog.likely_implies) {
        assert!(catalog.is_known(parent), "{parent}");
        for child in *children {
            assert!(catalog.is_known(child), "{child}");
        }
    }
}
