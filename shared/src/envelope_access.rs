//! Who may call the envelope API for which company: each service credential
//! carries a company allow-list (`*` or comma-separated company ids). Pure:
//! the edge reads the lists from its configuration and checks them here.

use crate::CompanyId;

/// The companies one envelope credential may act for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompanyAllowList {
    /// `*`: every company.
    Every,
    /// Exactly these companies (may be empty: none).
    Only(Vec<CompanyId>),
}

/// Why an allow-list could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowListError {
    /// An entry that is not a company id (nor `*` alone).
    #[error("\"{0}\" is not a company id (use comma-separated ids, or * alone)")]
    Entry(String),
}

impl CompanyAllowList {
    /// Parses `*` or `id,id,…` (spaces around entries ignored). An empty
    /// text is the empty list: the credential then serves no company.
    ///
    /// # Errors
    /// An entry that is not a company id, or `*` mixed with ids.
    pub fn parse(text: &str) -> Result<Self, AllowListError> {
        let entries: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        if entries == ["*"] {
            return Ok(Self::Every);
        }
        entries
            .into_iter()
            .map(|e| e.parse().map_err(|_| AllowListError::Entry(e.to_owned())))
            .collect::<Result<Vec<_>, _>>()
            .map(Self::Only)
    }

    /// Whether `company` is on the list.
    #[must_use]
    pub fn allows(&self, company: &CompanyId) -> bool {
        match self {
            Self::Every => true,
            Self::Only(ids) => ids.contains(company),
        }
    }

    /// Whether the list names no company at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Only(ids) if ids.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> CompanyId {
        s.parse().unwrap()
    }

    #[test]
    fn star_allows_every_company() {
        let l = CompanyAllowList::parse(" * ").unwrap();
        assert!(l.allows(&id("acme")) && l.allows(&id("globex")));
    }

    #[test]
    fn a_list_allows_exactly_its_ids() {
        let l = CompanyAllowList::parse("acme, globex").unwrap();
        assert!(l.allows(&id("acme")) && l.allows(&id("globex")));
        assert!(!l.is_empty() && !CompanyAllowList::parse("*").unwrap().is_empty());
        assert!(!l.allows(&id("acme2")) && !l.allows(&id("ACME")));
    }

    #[test]
    fn empty_allows_none_and_bad_entries_are_refused() {
        let l = CompanyAllowList::parse("").unwrap();
        assert!(l.is_empty() && !l.allows(&id("acme")));
        assert!(CompanyAllowList::parse("acme,*").is_err());
        assert!(CompanyAllowList::parse("acme;globex").is_err());
        assert!(CompanyAllowList::parse("a b").is_err());
    }
}
