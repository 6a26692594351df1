//! The OAuth `state` keyswitch sends to Microsoft and Google: which company,
//! which flow, and a single-use random part. One type builds and parses it.

use std::fmt;
use std::str::FromStr;

use crate::ids::CompanyId;

/// Which callback a state belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Microsoft's admin consent for the connector (Manage KMS).
    AdminConsent,
    /// A tenant verification sign-in (Microsoft 365 or Google Workspace).
    TenantVerification,
}

/// A parsed `state`: `{company}.{nonce}` for admin consent,
/// `{company}.verify.{nonce}` for tenant verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthState {
    company: CompanyId,
    flow: Flow,
    nonce: String,
}

/// Longest random part accepted (43 characters is 32 bytes in base64url).
const NONCE_MAX: usize = 64;
const VERIFY: &str = "verify.";

impl OAuthState {
    /// A state for `company` and `flow` with the random part `nonce`.
    #[must_use]
    pub fn new(company: CompanyId, flow: Flow, nonce: String) -> Self {
        Self {
            company,
            flow,
            nonce,
        }
    }
    /// The company whose Durable Object holds the state.
    #[must_use]
    pub fn company(&self) -> &CompanyId {
        &self.company
    }
    /// The flow.
    #[must_use]
    pub fn flow(&self) -> Flow {
        self.flow
    }
    /// The random part (only its hash is stored).
    #[must_use]
    pub fn nonce(&self) -> &str {
        &self.nonce
    }
}

impl fmt::Display for OAuthState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.flow {
            Flow::AdminConsent => write!(f, "{}.{}", self.company, self.nonce),
            Flow::TenantVerification => write!(f, "{}.{VERIFY}{}", self.company, self.nonce),
        }
    }
}

/// A `state` that keyswitch did not issue in this shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("The sign-in state is malformed")]
pub struct MalformedState;

impl FromStr for OAuthState {
    type Err = MalformedState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (company, rest) = s.split_once('.').ok_or(MalformedState)?;
        let company: CompanyId = company.parse().map_err(|_| MalformedState)?;
        let (flow, nonce) = match rest.strip_prefix(VERIFY) {
            Some(nonce) => (Flow::TenantVerification, nonce),
            None => (Flow::AdminConsent, rest),
        };
        let well_formed = !nonce.is_empty()
            && nonce.len() <= NONCE_MAX
            && nonce
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !well_formed {
            return Err(MalformedState);
        }
        Ok(Self::new(company, flow, nonce.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn company() -> CompanyId {
        "acme".parse().unwrap()
    }

    #[test]
    fn round_trips_both_flows() {
        for flow in [Flow::AdminConsent, Flow::TenantVerification] {
            let state = OAuthState::new(company(), flow, "abc_DEF-123".into());
            let back: OAuthState = state.to_string().parse().unwrap();
            assert_eq!(back, state);
        }
        assert_eq!(
            OAuthState::new(company(), Flow::AdminConsent, "n".into()).to_string(),
            "acme.n"
        );
        assert_eq!(
            OAuthState::new(company(), Flow::TenantVerification, "n".into()).to_string(),
            "acme.verify.n"
        );
    }

    #[test]
    fn refuses_what_keyswitch_never_issues() {
        for bad in [
            "",
            "acme",
            "acme.",
            "acme.verify.",
            "../x.nonce",
            "acme.no spaces",
            "acme.a.b",
            &format!("acme.{}", "a".repeat(65)),
        ] {
            assert_eq!(bad.parse::<OAuthState>(), Err(MalformedState), "{bad}");
        }
    }
}
