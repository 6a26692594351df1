//! The audit trail of a Durable Object, one store for both objects (the
//! company's trail and a workspace's vault trail): one storage key per event
//! (`audit/{seq:020}`) and a counter (`audit_seq`). Events are written in the
//! same `putMultiple` as the state they describe ([`prepare`]) and read back
//! newest first, page by page ([`page`]): every event stays readable.
//! Events name who, what, when and the outcome; never a secret.

use keyswitch_shared::api::AuditEvent;
use keyswitch_shared::audit::AuditFilter;
use keyswitch_shared::vaults::VaultAuditEvent;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{ListOptions, Storage, Url};

use crate::batch::Batch;
use crate::error::EdgeError;
use crate::stored;

const SEQ: &str = "audit_seq";
const PREFIX: &str = "audit/";
/// Events per page unless the caller asks otherwise.
pub const DEFAULT_LIMIT: usize = 100;
/// The largest cursor: JavaScript's largest safe integer (no trail gets near).
const MAX_CURSOR: u64 = (1 << 53) - 1;
/// Most events one page holds.
pub const MAX_LIMIT: usize = 500;

/// An event of a trail: the store numbers it when it is written.
pub trait Event: Serialize + DeserializeOwned {
    /// Its sequence number (ascending within the trail, from 1).
    fn seq(&self) -> u64;
    /// Sets its sequence number.
    fn set_seq(&mut self, seq: u64);
    /// Whether it passes `filter`.
    fn passes(&self, filter: &AuditFilter) -> bool;
}

impl Event for AuditEvent {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn set_seq(&mut self, seq: u64) {
        self.seq = seq;
    }
    fn passes(&self, filter: &AuditFilter) -> bool {
        filter.matches(self.action, self.outcome)
    }
}

impl Event for VaultAuditEvent {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn set_seq(&mut self, seq: u64) {
        self.seq = seq;
    }
    fn passes(&self, filter: &AuditFilter) -> bool {
        filter.matches(self.action, self.outcome)
    }
}

fn key(seq: u64) -> String {
    format!("{PREFIX}{seq:020}")
}

/// Numbers `events` (in order, after the last stored one) and adds them and
/// the counter to `batch`, for a caller that writes them with its state.
pub async fn prepare<E: Event>(
    storage: &Storage,
    batch: &mut Batch,
    events: Vec<E>,
) -> Result<(), EdgeError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut seq = stored::get::<u64>(storage, SEQ).await?.unwrap_or(0);
    for mut event in events {
        seq += 1;
        event.set_seq(seq);
        batch.put(&key(seq), &event)?;
    }
    batch.put(SEQ, &seq)
}

/// Which page of a trail to read: `?cursor=<seq>&limit=N`, and which
/// entries (`&action=a,b&outcome=failed`, see [`AuditFilter`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// Only events older than this sequence number (the `next_cursor` of
    /// the previous page); `None` starts at the newest.
    pub cursor: Option<u64>,
    /// At most this many events (1 to [`MAX_LIMIT`]).
    pub limit: usize,
    /// Only events that pass it.
    #[serde(default)]
    pub filter: AuditFilter,
}

impl Query {
    /// Reads `cursor`, `limit` and the filter from a request's query string.
    pub fn from_url(url: &Url) -> Result<Self, EdgeError> {
        let mut query = Self {
            cursor: None,
            limit: DEFAULT_LIMIT,
            filter: AuditFilter::default(),
        };
        for (name, value) in url.query_pairs() {
            match name.as_ref() {
                "limit" => match value.parse::<usize>() {
                    Ok(n) if (1..=MAX_LIMIT).contains(&n) => query.limit = n,
                    _ => {
                        return Err(EdgeError::field(
                            "limit",
                            "must be a whole number from 1 to 500",
                        ));
                    }
                },
                // A cursor travels to the Durable Object as a JSON number:
                // beyond 2^53 - 1 it would not survive as an integer.
                "cursor" => match value.parse::<u64>() {
                    Ok(n) if (1..=MAX_CURSOR).contains(&n) => query.cursor = Some(n),
                    _ => {
                        return Err(EdgeError::field(
                            "cursor",
                            "must be the next_cursor of the previous page",
                        ));
                    }
                },
                other => {
                    query.filter.take(other, &value)?;
                }
            }
        }
        Ok(query)
    }
}

/// One page of a trail, newest first.
#[derive(Debug, Serialize, Deserialize)]
pub struct Page<E> {
    /// The events, newest first.
    pub events: Vec<E>,
    /// Pass as `cursor` to read the next (older) page; `None` on the last.
    pub next_cursor: Option<u64>,
}

/// Stored events read per storage call while filtering.
const SCAN_BATCH: usize = 500;

/// Most stored events one filtered page looks at: a filter that matches
/// rarely answers a shorter page (with its `next_cursor`) rather than
/// reading the whole trail in one request.
const MAX_SCAN: usize = 5_000;

/// Up to `limit` stored events older than `before` (all when `None`),
/// newest first.
async fn older<E: Event>(
    storage: &Storage,
    before: Option<u64>,
    limit: usize,
) -> Result<Vec<E>, EdgeError> {
    let end = before.map(key);
    let mut options = ListOptions::new().prefix(PREFIX).reverse(true).limit(limit);
    if let Some(end) = end.as_deref() {
        options = options.end(end);
    }
    let map = storage.list_with_options(options).await?;
    let mut events = Vec::with_capacity(limit);
    for value in map.values() {
        events.push(stored::record::<E>(&value.map_err(worker::Error::from)?)?);
    }
    Ok(events)
}

/// Reads one page, newest first. The cursor is a sequence number, so a
/// page never shifts when newer events are written meanwhile. With a
/// filter, the page holds the matching events among at most [`MAX_SCAN`]
/// stored ones; `next_cursor` then continues after the last one looked at.
pub async fn page<E: Event>(storage: &Storage, query: Query) -> Result<Page<E>, EdgeError> {
    let limit = query.limit.clamp(1, MAX_LIMIT);
    if query.filter.is_empty() {
        let mut events = older::<E>(storage, query.cursor, limit + 1).await?;
        let next_cursor = if events.len() > limit {
            events.truncate(limit);
            events.last().map(Event::seq)
        } else {
            None
        };
        return Ok(Page {
            events,
            next_cursor,
        });
    }
    let mut events = Vec::with_capacity(limit);
    let mut before = query.cursor;
    let mut scanned = 0;
    loop {
        let batch = older::<E>(storage, before, SCAN_BATCH).await?;
        let exhausted = batch.len() < SCAN_BATCH;
        for event in batch {
            scanned += 1;
            before = Some(event.seq());
            if event.passes(&query.filter) {
                events.push(event);
                if events.len() == limit {
                    // Whether anything older is left is not known without
                    // reading on: the next page may be empty.
                    let more = before.is_some_and(|s| s > 1);
                    return Ok(Page {
                        events,
                        next_cursor: before.filter(|_| more),
                    });
                }
            }
        }
        if exhausted {
            return Ok(Page {
                events,
                next_cursor: None,
            });
        }
        if scanned >= MAX_SCAN {
            return Ok(Page {
                events,
                next_cursor: before,
            });
        }
    }
}

/// Adds entries the company model numbered itself (it keeps its own
/// counter) to `batch`, with the counter, for the model's own transaction.
/// Each entry carries `request_id`, the request (or alarm run) that wrote
/// it.
pub fn put_numbered(
    batch: &mut Batch,
    entries: &[keyswitch_shared::switch::AuditEntry],
    request_id: &crate::request_id::RequestId,
) -> Result<(), EdgeError> {
    let Some(last) = entries.last() else {
        return Ok(());
    };
    for entry in entries {
        let event = AuditEvent {
            seq: entry.seq,
            at_ms: entry.at_ms,
            actor: entry.actor.sub.clone(),
            actor_name: entry.actor.name.clone(),
            actor_role: entry.actor.role,
            action: entry.action,
            outcome: entry.outcome,
            from: entry.from,
            to: entry.to,
            detail: entry.detail.clone(),
            outside_admin: entry.outside_admin.clone(),
            request_id: Some(request_id.as_str().to_owned()),
        };
        batch.put(&key(entry.seq), &event)?;
    }
    batch.put(SEQ, &last.seq)
}
