//! The OAuth `state` the edge sends and checks: [`OAuthState`] signed with
//! an HMAC-SHA256 key derived from the platform key (HKDF-SHA256, its own
//! `info`), so a callback's state is checked before any Durable Object is
//! touched. The key never leaves this module.

use hkdf::Hkdf;
use keyswitch_shared::CompanyId;
use keyswitch_shared::oauth_state::{Flow, MalformedState, OAuthState, StateKey};
use sha2::Sha256;
use worker::Env;

use crate::config;
use crate::crypto::SecretKey;
use crate::error::EdgeError;

/// HKDF `info`: this key signs OAuth states and nothing else.
const INFO: &[u8] = b"keyswitch/oauth-state-mac/v1";

fn key(env: &Env) -> Result<StateKey, EdgeError> {
    let platform = SecretKey::from_base64(&config::secret(env, config::PLATFORM_KEY)?)?;
    let mut okm = [0u8; 32];
    Hkdf::<Sha256>::new(None, platform.bytes())
        .expand(INFO, &mut okm)
        .map_err(|_| EdgeError::Config(config::PLATFORM_KEY))?;
    StateKey::new(&okm).ok_or(EdgeError::Config(config::PLATFORM_KEY))
}

/// The state to send for `company`'s `flow` with the random part `nonce`.
pub fn sign(env: &Env, company: &CompanyId, flow: Flow, nonce: &str) -> Result<String, EdgeError> {
    Ok(OAuthState::new(company.clone(), flow, nonce.to_owned()).sign(&key(env)?))
}

/// A callback's state, if keyswitch issued it (shape and MAC).
///
/// # Errors
/// [`MalformedState`] inside `Ok(Err(..))` for a state keyswitch did not
/// issue; `Err` when the key is not configured.
pub fn verify(env: &Env, state: &str) -> Result<Result<OAuthState, MalformedState>, EdgeError> {
    Ok(OAuthState::verify(state, &key(env)?))
}
