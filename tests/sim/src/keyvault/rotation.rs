//! Key rotation policies: `GET`/`PUT /keys/{name}/rotationpolicy` in Key
//! Vault's wire format (`lifetimeActions` with a `trigger` —
//! `timeAfterCreate` or `timeBeforeExpiry`, ISO 8601 durations — and an
//! `action` `Rotate` or `Notify`; `attributes.expiryTime` for the new
//! versions), and the rotation a policy schedules. Real Key Vault runs due
//! rotations by itself; here a test triggers them at a time it chooses
//! (`POST /_control/rotation-policies/run {"at": <unix s>}`), so a schedule
//! of days runs in a test of seconds.
//!
//! A key without a policy answers Key Vault's default: one `Notify` action
//! 30 days before expiry and empty attributes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::errors;
use crate::forge::materialize;
use crate::state::{AppState, KeyVersion, Material};
use crate::util::{lock, now};

/// `lifetimeActions[].trigger`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Trigger {
    /// Rotate (or notify) this long after the version's creation.
    #[serde(rename = "timeAfterCreate", skip_serializing_if = "Option::is_none")]
    pub time_after_create: Option<String>,
    /// Rotate (or notify) this long before the version's expiry.
    #[serde(rename = "timeBeforeExpiry", skip_serializing_if = "Option::is_none")]
    pub time_before_expiry: Option<String>,
}

/// `lifetimeActions[].action`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ActionType {
    /// `Rotate` or `Notify`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// One lifetime action.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LifetimeAction {
    /// When.
    pub trigger: Trigger,
    /// What.
    pub action: ActionType,
}

/// `attributes` of a policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PolicyAttributes {
    /// The expiry of each new version, from its creation (ISO 8601).
    #[serde(rename = "expiryTime", skip_serializing_if = "Option::is_none")]
    pub expiry_time: Option<String>,
    /// When the policy was first set (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    /// When it was last set (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<i64>,
}

/// A key rotation policy as Key Vault answers it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RotationPolicy {
    /// `https://{vault}/keys/{name}/rotationpolicy` (read only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The actions.
    #[serde(rename = "lifetimeActions", default)]
    pub lifetime_actions: Vec<LifetimeAction>,
    /// Attributes.
    #[serde(default)]
    pub attributes: PolicyAttributes,
}

/// The policy a key without one answers.
fn default_policy() -> RotationPolicy {
    RotationPolicy {
        id: None,
        lifetime_actions: vec![LifetimeAction {
            trigger: Trigger {
                time_after_create: None,
                time_before_expiry: Some("P30D".into()),
            },
            action: ActionType {
                kind: "Notify".into(),
            },
        }],
        attributes: PolicyAttributes::default(),
    }
}

/// An ISO 8601 duration (`P90D`, `P1Y`, `P2M`, `P1W`, `PT12H`, `P1DT30M`)
/// in seconds; a year counts 365 days and a month 30.
pub fn duration_secs(s: &str) -> Option<i64> {
    let rest = s.strip_prefix('P')?;
    if rest.is_empty() {
        return None;
    }
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (rest, None),
    };
    fn parts(s: &str, units: &[(char, i64)]) -> Option<i64> {
        let mut total: i64 = 0;
        let mut num = String::new();
        let mut next_unit = 0;
        for c in s.chars() {
            if c.is_ascii_digit() {
                num.push(c);
                continue;
            }
            let pos = units[next_unit..].iter().position(|(u, _)| *u == c)? + next_unit;
            let n: i64 = num.parse().ok()?;
            total = total.checked_add(n.checked_mul(units[pos].1)?)?;
            num.clear();
            next_unit = pos + 1;
        }
        num.is_empty().then_some(total)
    }
    const DAY: i64 = 86_400;
    let d = parts(
        date,
        &[
            ('Y', 365 * DAY),
            ('M', 30 * DAY),
            ('W', 7 * DAY),
            ('D', DAY),
        ],
    )?;
    let t = match time {
        Some(t) => parts(t, &[('H', 3_600), ('M', 60), ('S', 1)])?,
        None => 0,
    };
    Some(d + t)
}

/// Checks a policy the way Key Vault does; answers it with the action
/// types spelled `Rotate` / `Notify`.
fn validate(mut p: RotationPolicy) -> Result<RotationPolicy, Response> {
    const DAY: i64 = 86_400;
    let bad = |m: &str| Err(errors::bad_parameter(m));
    let mut rotate = 0;
    let mut notify = 0;
    for a in &mut p.lifetime_actions {
        let kind = if a.action.kind.eq_ignore_ascii_case("rotate") {
            rotate += 1;
            "Rotate"
        } else if a.action.kind.eq_ignore_ascii_case("notify") {
            notify += 1;
            "Notify"
        } else {
            return bad(&format!(
                "Invalid lifetime action type '{}'. Allowed: Rotate, Notify.",
                a.action.kind
            ));
        };
        a.action.kind = kind.into();
        let t = &a.trigger;
        let (value, after_create) = match (&t.time_after_create, &t.time_before_expiry) {
            (Some(v), None) => (v, true),
            (None, Some(v)) => (v, false),
            _ => {
                return bad(
                    "A lifetime action trigger must set exactly one of timeAfterCreate and timeBeforeExpiry.",
                );
            }
        };
        let Some(secs) = duration_secs(value) else {
            return bad(&format!(
                "'{value}' is not a valid ISO 8601 duration (e.g. P90D)."
            ));
        };
        if secs < 7 * DAY {
            return bad("The rotation or notification time must be at least 7 days (P7D).");
        }
        if kind == "Notify" && after_create {
            return bad("A Notify action can only be triggered by timeBeforeExpiry.");
        }
    }
    if rotate > 1 || notify > 1 {
        return bad("A policy has at most one Rotate and one Notify action.");
    }
    if let Some(exp) = &p.attributes.expiry_time {
        match duration_secs(exp) {
            Some(s) if s >= 28 * DAY => {}
            _ => return bad("expiryTime must be an ISO 8601 duration of at least 28 days (P28D)."),
        }
    }
    Ok(p)
}

fn with_id(mut p: RotationPolicy, base: &str, name: &str) -> RotationPolicy {
    p.id = Some(format!("{base}/keys/{name}/rotationpolicy"));
    p
}

/// `GET /keys/{name}/rotationpolicy`.
pub fn get(sim: &AppState, vault_host: &str, base: &str, name: &str) -> Response {
    let world = lock(&sim.world);
    let Some((canon, _)) = world.vault(vault_host).and_then(|v| v.key(name)) else {
        return errors::key_not_found(name);
    };
    let policy = world
        .rotation_policies
        .get(&policy_key(vault_host, canon))
        .cloned()
        .unwrap_or_else(default_policy);
    axum::Json(with_id(policy, base, canon)).into_response()
}

/// `PUT /keys/{name}/rotationpolicy`.
pub fn put(sim: &AppState, vault_host: &str, base: &str, name: &str, body: &[u8]) -> Response {
    let Ok(policy) = serde_json::from_slice::<RotationPolicy>(body) else {
        return errors::bad_parameter("The request body is not a valid key rotation policy.");
    };
    let mut policy = match validate(policy) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut world = lock(&sim.world);
    let Some(canon) = world
        .vault(vault_host)
        .and_then(|v| v.key(name))
        .map(|(c, _)| c.clone())
    else {
        return errors::key_not_found(name);
    };
    let key = policy_key(vault_host, &canon);
    let t = now();
    let created = world
        .rotation_policies
        .get(&key)
        .and_then(|p| p.attributes.created)
        .unwrap_or(t);
    policy.id = None;
    policy.attributes.created = Some(created);
    policy.attributes.updated = Some(t);
    world.rotation_policies.insert(key, policy.clone());
    axum::Json(with_id(policy, base, &canon)).into_response()
}

/// The map key of a policy: vault host and key name, lowercase.
pub fn policy_key(vault_host: &str, key: &str) -> (String, String) {
    (vault_host.to_ascii_lowercase(), key.to_ascii_lowercase())
}

/// A new version of the key whose current version is `latest`, created at
/// `at` (fresh material; operations kept; tags are per version and not
/// carried over).
pub async fn new_version(latest: &KeyVersion, at: i64) -> Option<KeyVersion> {
    let material = match &latest.material {
        Material::Rsa(k) => {
            let fresh = crate::forge::fresh(k.bits());
            materialize(fresh.clone()).await?;
            Material::Rsa(fresh)
        }
        Material::Ec { crv, .. } => crate::seed::material(latest.kty, 0, crv, None),
    };
    let mut v = crate::seed::version(latest.kty, material, crate::util::random_version());
    v.key_ops = latest.key_ops.clone();
    v.created = at;
    v.updated = at;
    Some(v)
}

/// Whether `policy`'s Rotate action is due at `at` for the current version.
fn due(policy: &RotationPolicy, current: &KeyVersion, at: i64) -> bool {
    policy
        .lifetime_actions
        .iter()
        .filter(|a| a.action.kind == "Rotate")
        .any(|a| {
            let t = &a.trigger;
            if let Some(d) = t.time_after_create.as_deref().and_then(duration_secs) {
                return current.created.saturating_add(d) <= at;
            }
            if let (Some(d), Some(exp)) = (
                t.time_before_expiry.as_deref().and_then(duration_secs),
                current.exp,
            ) {
                return exp.saturating_sub(d) <= at;
            }
            false
        })
}

/// Runs every rotation due at `at` (Unix seconds): a new version per key
/// whose policy's Rotate action is due, with `exp` = `at` + `expiryTime`
/// when the policy sets one. Answers the new versions' ids.
pub async fn run_due(sim: &AppState, at: i64) -> Result<Vec<String>, Response> {
    let due_keys: Vec<(String, String, KeyVersion, Option<i64>)> = {
        let world = lock(&sim.world);
        world
            .rotation_policies
            .iter()
            .filter_map(|((host, name), policy)| {
                let vault = world.vault(host)?;
                let (canon, key) = vault.key(name)?;
                let current = key.latest()?;
                due(policy, current, at).then(|| {
                    let exp = policy
                        .attributes
                        .expiry_time
                        .as_deref()
                        .and_then(duration_secs);
                    (vault.host.clone(), canon.clone(), current.clone(), exp)
                })
            })
            .collect()
    };
    let mut rotated = Vec::new();
    for (host, name, current, exp) in due_keys {
        let Some(mut v) = new_version(&current, at).await else {
            return Err(errors::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                "Key generation failed.",
                None,
            ));
        };
        v.exp = exp.map(|e| at.saturating_add(e));
        let mut world = lock(&sim.world);
        if let Some(key) = world.vault_mut(&host).and_then(|vm| vm.keys.get_mut(&name)) {
            rotated.push(format!("https://{host}/keys/{name}/{}", v.version));
            key.versions.push(v);
        }
    }
    Ok(rotated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_durations() {
        assert_eq!(duration_secs("P90D"), Some(90 * 86_400));
        assert_eq!(duration_secs("P1Y"), Some(365 * 86_400));
        assert_eq!(duration_secs("P2M"), Some(60 * 86_400));
        assert_eq!(duration_secs("P1W"), Some(7 * 86_400));
        assert_eq!(duration_secs("PT12H"), Some(12 * 3_600));
        assert_eq!(duration_secs("P1DT30M"), Some(86_400 + 1_800));
        for bad in ["", "P", "90D", "PD", "P1DT", "P1H", "P1D1Y", "P-1D"] {
            assert_eq!(duration_secs(bad), None, "{bad}");
        }
    }

    #[test]
    fn policies_are_checked_like_key_vault_does() {
        let p = |json: &str| validate(serde_json::from_str(json).expect("json"));
        let ok = p(r#"{"lifetimeActions":[{"trigger":{"timeAfterCreate":"P90D"},"action":{"type":"rotate"}},{"trigger":{"timeBeforeExpiry":"P30D"},"action":{"type":"Notify"}}],"attributes":{"expiryTime":"P1Y"}}"#).expect("valid");
        assert_eq!(ok.lifetime_actions[0].action.kind, "Rotate");
        for bad in [
            r#"{"lifetimeActions":[{"trigger":{"timeAfterCreate":"P1D"},"action":{"type":"Rotate"}}]}"#,
            r#"{"lifetimeActions":[{"trigger":{"timeAfterCreate":"P90D","timeBeforeExpiry":"P30D"},"action":{"type":"Rotate"}}]}"#,
            r#"{"lifetimeActions":[{"trigger":{"timeAfterCreate":"P90D"},"action":{"type":"Notify"}}]}"#,
            r#"{"lifetimeActions":[{"trigger":{"timeAfterCreate":"P90D"},"action":{"type":"Delete"}}]}"#,
            r#"{"lifetimeActions":[],"attributes":{"expiryTime":"P7D"}}"#,
        ] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }
}
