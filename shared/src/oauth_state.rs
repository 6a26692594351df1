//! The OAuth `state` keyswitch sends to Microsoft and Google: which company,
//! which flow, a single-use random part, and an HMAC-SHA256 over all three
//! (`{company}.{flow}.{nonce}.{mac}`). The MAC makes the state
//! self-authenticating: the edge checks it before any Durable Object is
//! touched, so a made-up state never reaches storage. One type builds,
//! signs, parses and checks it; the key is the edge's (derived from the
//! platform key) and is passed in.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ids::CompanyId;

type HmacSha256 = Hmac<Sha256>;

/// Which callback a state belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Microsoft's admin consent for the connector (Manage KMS).
    AdminConsent,
    /// A tenant verification sign-in (Microsoft 365 or Google Workspace).
    TenantVerification,
}

impl Flow {
    fn as_str(self) -> &'static str {
        match self {
            Self::AdminConsent => "consent",
            Self::TenantVerification => "verify",
        }
    }
}

/// The key the state's MAC is computed with (HMAC-SHA256, keyed once).
/// Never printed.
#[derive(Clone)]
pub struct StateKey(HmacSha256);

impl StateKey {
    /// Keys the MAC with `bytes` (the edge derives 32 bytes from the
    /// platform key); `None` only if HMAC refused the key, which it does not
    /// for any length.
    #[must_use]
    pub fn new(bytes: &[u8]) -> Option<Self> {
        <HmacSha256 as Mac>::new_from_slice(bytes).ok().map(Self)
    }

    fn mac(&self) -> HmacSha256 {
        self.0.clone()
    }
}

impl fmt::Debug for StateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StateKey([redacted])")
    }
}

/// A state: company, flow and random part. Built with [`OAuthState::new`]
/// and sent as [`OAuthState::sign`]; read back with [`OAuthState::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthState {
    company: CompanyId,
    flow: Flow,
    nonce: String,
}

/// Longest random part accepted (43 characters is 32 bytes in base64url).
const NONCE_MAX: usize = 64;
/// Domain separation of the MAC input.
const MAC_CONTEXT: &str = "keyswitch/oauth-state/v1";

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

    fn payload(&self) -> String {
        format!("{}.{}.{}", self.company, self.flow.as_str(), self.nonce)
    }

    fn mac_of(payload: &str, key: &StateKey) -> HmacSha256 {
        let mut mac = key.mac();
        mac.update(MAC_CONTEXT.as_bytes());
        mac.update(b"|");
        mac.update(payload.as_bytes());
        mac
    }

    /// The state as sent: `{company}.{flow}.{nonce}.{mac}`.
    #[must_use]
    pub fn sign(&self, key: &StateKey) -> String {
        let payload = self.payload();
        let tag = Self::mac_of(&payload, key).finalize().into_bytes();
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// Parses a state and checks its MAC (in constant time).
    ///
    /// # Errors
    /// [`MalformedState`] when the shape is not one keyswitch issues or the
    /// MAC does not match: keyswitch did not issue it.
    pub fn verify(s: &str, key: &StateKey) -> Result<Self, MalformedState> {
        let (payload, tag) = s.rsplit_once('.').ok_or(MalformedState)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| MalformedState)?;
        let mut parts = payload.split('.');
        let (Some(company), Some(flow), Some(nonce), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(MalformedState);
        };
        let company: CompanyId = company.parse().map_err(|_| MalformedState)?;
        let flow = match flow {
            "consent" => Flow::AdminConsent,
            "verify" => Flow::TenantVerification,
            _ => return Err(MalformedState),
        };
        let well_formed = !nonce.is_empty()
            && nonce.len() <= NONCE_MAX
            && nonce
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !well_formed {
            return Err(MalformedState);
        }
        Self::mac_of(payload, key)
            .verify_slice(&tag)
            .map_err(|_| MalformedState)?;
        Ok(Self::new(company, flow, nonce.to_owned()))
    }
}

/// A `state` that keyswitch did not issue (shape or MAC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("The sign-in state is malformed")]
pub struct MalformedState;

#[cfg(test)]
mod tests {
    use super::*;

    fn company() -> CompanyId {
        "acme".parse().unwrap()
    }

    fn key(b: u8) -> StateKey {
        StateKey::new(&[b; 32]).unwrap()
    }

    #[test]
    fn round_trips_both_flows() {
        for flow in [Flow::AdminConsent, Flow::TenantVerification] {
            let state = OAuthState::new(company(), flow, "abc_DEF-123".into());
            let sent = state.sign(&key(1));
            assert_eq!(OAuthState::verify(&sent, &key(1)), Ok(state));
        }
        let sent = OAuthState::new(company(), Flow::AdminConsent, "n".into()).sign(&key(1));
        assert!(sent.starts_with("acme.consent.n."), "{sent}");
        assert_eq!(sent.len(), "acme.consent.n.".len() + 43);
    }

    #[test]
    fn another_key_company_flow_or_nonce_fails_the_mac() {
        let sent = OAuthState::new(company(), Flow::AdminConsent, "nonce".into()).sign(&key(1));
        assert_eq!(OAuthState::verify(&sent, &key(2)), Err(MalformedState));
        let tag = sent.rsplit_once('.').unwrap().1;
        for forged in [
            format!("evil.consent.nonce.{tag}"),
            format!("acme.verify.nonce.{tag}"),
            format!("acme.consent.nonce2.{tag}"),
            "acme.consent.nonce.AAAA".to_owned(),
        ] {
            assert_eq!(
                OAuthState::verify(&forged, &key(1)),
                Err(MalformedState),
                "{forged}"
            );
        }
    }

    #[test]
    fn refuses_what_keyswitch_never_issues() {
        for bad in [
            "",
            "acme",
            "acme.",
            "acme.consent.",
            "acme.verify..x",
            "../x.consent.n.x",
            "acme.consent.no spaces.x",
            "acme.other.n.x",
            "acme.consent.a.b.c",
            &format!("acme.consent.{}.x", "a".repeat(65)),
        ] {
            assert_eq!(
                OAuthState::verify(bad, &key(1)),
                Err(MalformedState),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_parts_read_back_are_the_ones_signed() {
        let sent =
            OAuthState::new(company(), Flow::TenantVerification, "n-1_Z".into()).sign(&key(1));
        let got = OAuthState::verify(&sent, &key(1)).unwrap();
        assert_eq!(got.nonce(), "n-1_Z");
        assert_eq!(got.company().as_str(), "acme");
        assert_eq!(got.flow(), Flow::TenantVerification);
    }

    #[test]
    fn a_badly_shaped_nonce_is_refused_even_with_a_valid_mac() {
        // The shape check stands on its own: a state signed with the right
        // key but a random part keyswitch never makes is still refused.
        for nonce in [
            "a".repeat(NONCE_MAX + 1),
            "bad nonce".to_owned(),
            "bad/nonce".to_owned(),
            "bäd".to_owned(),
        ] {
            let sent = OAuthState::new(company(), Flow::AdminConsent, nonce.clone()).sign(&key(1));
            assert_eq!(
                OAuthState::verify(&sent, &key(1)),
                Err(MalformedState),
                "{nonce}"
            );
        }
        let longest = "a".repeat(NONCE_MAX);
        let sent = OAuthState::new(company(), Flow::AdminConsent, longest).sign(&key(1));
        assert!(OAuthState::verify(&sent, &key(1)).is_ok());
    }

    #[test]
    fn the_key_is_not_printed() {
        assert_eq!(format!("{:?}", key(7)), "StateKey([redacted])");
    }
}
