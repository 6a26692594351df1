//! Why an ID token (Microsoft's or Google's, at the end of a tenant
//! verification or the admin-consent sign-in) was refused: one reason per
//! check, each with its own catalog code, so an administrator (and a test)
//! can tell a forged token from a stale one.

use serde::{Deserialize, Serialize};

/// The check an ID token failed, in the order the edge runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdTokenFault {
    /// Not three base64url parts of JSON, or longer than the edge accepts.
    Malformed,
    /// The header's `alg` is not RS256 (`none`, HS256, …).
    Algorithm,
    /// No key of the issuer's JWKS has the header's `kid`.
    UnknownKey,
    /// The signature does not verify with the issuer's key.
    Signature,
    /// `iss` is not the expected issuer.
    Issuer,
    /// `aud` does not name keyswitch's client.
    Audience,
    /// `nonce` is not the one sent in the authorization request.
    Nonce,
    /// `exp` has passed (beyond the allowed clock skew).
    Expired,
    /// `nbf` or `iat` lies in the future (beyond the allowed clock skew).
    NotYetValid,
}

impl IdTokenFault {
    /// Every fault, in check order.
    pub const ALL: [Self; 9] = [
        Self::Malformed,
        Self::Algorithm,
        Self::UnknownKey,
        Self::Signature,
        Self::Issuer,
        Self::Audience,
        Self::Nonce,
        Self::Expired,
        Self::NotYetValid,
    ];

    /// The catalog code of a token refused for this reason.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Malformed => "id_token_malformed",
            Self::Algorithm => "id_token_algorithm_refused",
            Self::UnknownKey => "id_token_unknown_key",
            Self::Signature => "id_token_bad_signature",
            Self::Issuer => "id_token_wrong_issuer",
            Self::Audience => "id_token_wrong_audience",
            Self::Nonce => "id_token_wrong_nonce",
            Self::Expired => "id_token_expired",
            Self::NotYetValid => "id_token_not_yet_valid",
        }
    }

    /// What was wrong, in words (never the token).
    #[must_use]
    pub fn what(self) -> &'static str {
        match self {
            Self::Malformed => "is not a well-formed JSON Web Token",
            Self::Algorithm => {
                "is not signed with RS256 (its header names another algorithm, or none)"
            }
            Self::UnknownKey => "is signed with a key the provider does not publish",
            Self::Signature => "has a signature that does not verify",
            Self::Issuer => "was issued by someone other than the expected issuer",
            Self::Audience => "was issued for another application",
            Self::Nonce => "does not carry the nonce of this sign-in",
            Self::Expired => "has expired",
            Self::NotYetValid => "is not valid yet",
        }
    }

    /// Whether the machine's clock may be the cause (stale or early token).
    #[must_use]
    pub fn is_timing(self) -> bool {
        matches!(self, Self::Expired | Self::NotYetValid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_has_its_own_code() {
        let mut codes: Vec<&str> = IdTokenFault::ALL.iter().map(|f| f.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), IdTokenFault::ALL.len());
        assert!(codes.iter().all(|c| c.starts_with("id_token_")));
        assert!(IdTokenFault::Expired.is_timing() && IdTokenFault::NotYetValid.is_timing());
        assert!(!IdTokenFault::Signature.is_timing());
        // Each says what was wrong, in its own words (the admin reads them).
        let mut said: Vec<&str> = IdTokenFault::ALL.iter().map(|f| f.what()).collect();
        assert!(said.iter().all(|w| w.len() > 5), "{said:?}");
        said.sort_unstable();
        said.dedup();
        assert_eq!(said.len(), IdTokenFault::ALL.len());
    }
}
