//! The audit trail, kept in the company's Durable Object: one storage key per
//! event (`audit/{seq:020}`) and a counter (`audit_seq`). Events name who,
//! what, when and the outcome; never a secret.

use keyswitch_shared::api::AuditEvent;
use keyswitch_shared::switch::Stage;
use worker::{ListOptions, Storage};

use crate::error::EdgeError;
use crate::session::Actor;

const SEQ: &str = "audit_seq";
const PREFIX: &str = "audit/";

/// What to record.
pub struct Entry<'a> {
    /// Who.
    pub actor: &'a Actor,
    /// What, e.g. `switch_started`.
    pub action: &'a str,
    /// `succeeded`, `failed` or `refused`.
    pub outcome: &'a str,
    /// Stage before.
    pub from: Stage,
    /// Stage after.
    pub to: Stage,
    /// A catalog code or a non-secret note.
    pub detail: Option<String>,
}

/// Prepares an event for a caller that writes it in its own transaction:
/// the counter key, the new sequence number, the event key and its JSON.
pub async fn prepare(
    storage: &Storage,
    entry: Entry<'_>,
) -> Result<(&'static str, u64, String, String), EdgeError> {
    let seq = storage.get::<u64>(SEQ).await?.unwrap_or(0) + 1;
    let event = AuditEvent {
        seq,
        at_ms: worker::Date::now().as_millis(),
        actor: entry.actor.sub.clone(),
        actor_name: entry.actor.name.clone(),
        actor_role: entry.actor.role.clone(),
        action: entry.action.to_owned(),
        outcome: entry.outcome.to_owned(),
        from: entry.from,
        to: entry.to,
        detail: entry.detail,
    };
    Ok((
        SEQ,
        seq,
        format!("{PREFIX}{seq:020}"),
        serde_json::to_string(&event)?,
    ))
}

/// Appends an event.
pub async fn record(storage: &Storage, entry: Entry<'_>) -> Result<(), EdgeError> {
    let seq = storage.get::<u64>(SEQ).await?.unwrap_or(0) + 1;
    let event = AuditEvent {
        seq,
        at_ms: worker::Date::now().as_millis(),
        actor: entry.actor.sub.clone(),
        actor_name: entry.actor.name.clone(),
        actor_role: entry.actor.role.clone(),
        action: entry.action.to_owned(),
        outcome: entry.outcome.to_owned(),
        from: entry.from,
        to: entry.to,
        detail: entry.detail,
    };
    storage.put(SEQ, seq).await?;
    storage
        .put(
            &format!("{PREFIX}{seq:020}"),
            serde_json::to_string(&event)?,
        )
        .await?;
    Ok(())
}

/// The newest `limit` events, newest first.
pub async fn list(storage: &Storage, limit: usize) -> Result<Vec<AuditEvent>, EdgeError> {
    let map = storage
        .list_with_options(ListOptions::new().prefix(PREFIX).reverse(true).limit(limit))
        .await?;
    let mut out = Vec::new();
    for value in map.values() {
        let Ok(value) = value else { continue };
        if let Some(text) = value.as_string()
            && let Ok(event) = serde_json::from_str::<AuditEvent>(&text)
        {
            out.push(event);
        }
    }
    Ok(out)
}

/// The storage key and JSON of an audit entry the company model produced,
/// for the caller's own transaction.
pub fn encode(entry: &keyswitch_shared::switch::AuditEntry) -> Result<(String, String), EdgeError> {
    let name = |v: serde_json::Value| v.as_str().map(str::to_owned).unwrap_or_default();
    let event = AuditEvent {
        seq: entry.seq,
        at_ms: entry.at_ms,
        actor: entry.actor.sub.clone(),
        actor_name: entry.actor.name.clone(),
        actor_role: name(serde_json::to_value(entry.actor.role)?),
        action: name(serde_json::to_value(entry.action)?),
        outcome: name(serde_json::to_value(entry.outcome)?),
        from: entry.from,
        to: entry.to,
        detail: entry.detail.clone(),
    };
    Ok((
        format!("{PREFIX}{:020}", entry.seq),
        serde_json::to_string(&event)?,
    ))
}
