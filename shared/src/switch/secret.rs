//! Short-lived OAuth secrets the model carries (an authorization code, a
//! PKCE verifier): redacted in `Debug`, read only through [`OAuthSecret::secret`].

use serde::{Deserialize, Serialize};

/// An OAuth code or PKCE verifier.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OAuthSecret(String);

impl OAuthSecret {
    /// Wraps `value`.
    #[must_use]
    pub fn new(value: String) -> Self {
        Self(value)
    }
    /// The secret itself. Never log it or put it in an error.
    #[must_use]
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for OAuthSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OAuthSecret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = OAuthSecret::new("code-123".into());
        assert_eq!(format!("{s:?}"), "OAuthSecret([redacted])");
        assert_eq!(s.secret(), "code-123");
    }
}
