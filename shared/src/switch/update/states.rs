//! Why a callback's OAuth state no longer works (issue 18 item 3): every
//! state the model hands out (a tenant sign-in, the admin-consent sign-in)
//! is remembered after it stops working — used, or superseded by a cancel,
//! a new setup, a new round or the commit — until it would have expired
//! anyway, so a late or replayed callback is told which it is. A state of
//! the other flow (consent versus verification) is named as such. Nothing
//! else about the model changes for a refused state.

use super::{Step, same_hash};
use crate::catalog::CatalogError;
use crate::switch::company::{Company, Retired, RetiredState};

/// At most this many retired states are remembered (the oldest go first;
/// one forgotten early is reported as expired, which it nearly is).
const KEEP: usize = 64;

/// Which callback a state came to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    /// The admin-consent sign-in.
    Consent,
    /// A tenant verification.
    Verify,
}

/// Every live issued state: (hash, expiry, already consumed).
fn live(m: &Company) -> Vec<(String, u64, bool)> {
    let mut out: Vec<(String, u64, bool)> = m
        .sign_ins
        .iter()
        .map(|p| {
            (
                p.state.nonce_sha256.clone(),
                p.state.expires_at_ms,
                p.exchanging_until_ms.is_some(),
            )
        })
        .collect();
    if let Some(c) = m.setup.as_ref().and_then(|x| x.consent_sign_in.as_ref()) {
        out.push((c.state.nonce_sha256.clone(), c.state.expires_at_ms, false));
    }
    out
}

/// Records the states `before` had and the step's model no longer has:
/// `consumed` (the hash a callback presented) or one already consumed is
/// used; one past its time is left to expire; any other was superseded.
pub(super) fn remember_retired(s: &mut Step<'_>, before: &Company, consumed: Option<&str>) {
    let now = s.now_ms();
    let after = live(&s.m);
    let gone: Vec<(String, u64, bool)> = live(before)
        .into_iter()
        .filter(|(h, _, _)| !after.iter().any(|(a, _, _)| same_hash(a, h)))
        .collect();
    s.m.retired_states.retain(|r| r.expires_at_ms > now);
    for (hash, expires_at_ms, was_consumed) in gone {
        if expires_at_ms <= now {
            continue;
        }
        let used = was_consumed || consumed.is_some_and(|c| same_hash(c, &hash));
        s.m.retired_states.push(RetiredState {
            nonce_sha256: hash,
            why: if used {
                Retired::Used
            } else {
                Retired::Superseded
            },
            expires_at_ms,
        });
    }
    let over = s.m.retired_states.len().saturating_sub(KEEP);
    s.m.retired_states.drain(..over);
}

/// The refusal for a state (by its hash) that matched no live state of
/// `flow`.
pub(super) fn refusal(m: &Company, hash: &str, flow: Flow) -> CatalogError {
    let consent_state = m
        .setup
        .as_ref()
        .and_then(|x| x.consent_sign_in.as_ref())
        .is_some_and(|c| same_hash(&c.state.nonce_sha256, hash));
    let sign_in = m
        .sign_ins
        .iter()
        .find(|p| same_hash(&p.state.nonce_sha256, hash));
    match (flow, consent_state, sign_in) {
        (Flow::Verify, true, _) | (Flow::Consent, _, Some(_)) => {
            return CatalogError::OAuthStateWrongFlow;
        }
        (Flow::Verify, _, Some(p)) if p.exchanging_until_ms.is_some() => {
            return CatalogError::OAuthStateUsed;
        }
        _ => {}
    }
    match m
        .retired_states
        .iter()
        .rev()
        .find(|r| same_hash(&r.nonce_sha256, hash))
        .map(|r| r.why)
    {
        Some(Retired::Used) => CatalogError::OAuthStateUsed,
        Some(Retired::Superseded) => CatalogError::OAuthStateSuperseded,
        None => CatalogError::OAuthStateExpired,
    }
}
