//! Secrets typed by administrators.

use crate::validation::ValidationError;

/// A Microsoft Entra client secret.
///
/// `Debug` prints `ClientSecret([redacted])`; the type is neither `Clone`
/// nor `Serialize`, so it cannot be copied into logs or API responses by
/// accident. It deserialises through the same checks as [`ClientSecret::new`].
#[derive(serde::Deserialize)]
#[serde(try_from = "String")]
pub struct ClientSecret(String);

impl ClientSecret {
    /// A second copy, for the workspace model's operations in flight (the
    /// type stays not `Clone` outside this crate).
    pub(crate) fn duplicate(&self) -> Self {
        Self(self.0.clone())
    }

    /// Checks a secret: trimmed, 1–1024 printable ASCII characters without
    /// spaces.
    ///
    /// # Errors
    /// [`ValidationError::ClientSecretEmpty`], `ClientSecretLength` or
    /// `ClientSecretCharacters`.
    pub fn new(input: &str) -> Result<Self, ValidationError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ValidationError::ClientSecretEmpty);
        }
        if s.len() > 1024 {
            return Err(ValidationError::ClientSecretLength);
        }
        if !s.chars().all(|c| c.is_ascii_graphic()) {
            return Err(ValidationError::ClientSecretCharacters);
        }
        Ok(Self(s.to_owned()))
    }

    /// The secret itself.
    ///
    /// **Warning:** only call this to send the secret to Microsoft Entra or
    /// to encrypt it for storage. Never log it, put it in an error, or return
    /// it in an API response.
    #[must_use]
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ClientSecret([redacted])")
    }
}

impl core::str::FromStr for ClientSecret {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for ClientSecret {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_and_accessor_is_explicit() {
        let s = ClientSecret::new(" abc~DEF.123_xyz ").unwrap();
        assert_eq!(format!("{s:?}"), "ClientSecret([redacted])");
        assert!(!format!("{s:?}").contains("abc"));
        assert_eq!(s.secret(), "abc~DEF.123_xyz");
    }

    #[test]
    fn refuses_bad_secrets() {
        assert!(matches!(
            ClientSecret::new("  "),
            Err(ValidationError::ClientSecretEmpty)
        ));
        assert!(matches!(
            ClientSecret::new("a b"),
            Err(ValidationError::ClientSecretCharacters)
        ));
        assert!(matches!(
            ClientSecret::new(&"x".repeat(1025)),
            Err(ValidationError::ClientSecretLength)
        ));
        let parsed: ClientSecret = serde_json::from_str(r#""s3cr3t""#).unwrap();
        assert_eq!(parsed.secret(), "s3cr3t");
        assert!(serde_json::from_str::<ClientSecret>(r#""""#).is_err());
    }
}
