//! The id of one request: Cloudflare's `cf-ray` when there is one, else a
//! random one. It is in every log line about the request and in the
//! `x-request-id` header of the answer, so a report from an admin leads to
//! the log.

use std::fmt;

use worker::Request;

/// The response header that carries the id.
pub const HEADER: &str = "x-request-id";

/// One request's id (printable ASCII, at most 64 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// The id of `req`: its `cf-ray` when that is a plausible ray id, else a
    /// fresh random one.
    pub fn of(req: &Request) -> Self {
        req.headers()
            .get("cf-ray")
            .ok()
            .flatten()
            .filter(|ray| plausible(ray))
            .map_or_else(Self::random, Self)
    }

    /// A fresh random id (16 hex digits). Falls back to the clock should the
    /// random generator fail: an id only has to tell log lines apart.
    pub fn random() -> Self {
        let mut bytes = [0u8; 8];
        match getrandom::fill(&mut bytes) {
            Ok(()) => Self(hex::encode(bytes)),
            Err(_) => Self(format!("t{:x}", crate::clock::now_ms())),
        }
    }

    /// The id of an alarm's run inside a Durable Object (`alarm-` and 16
    /// hex digits): nobody sent a request, but its audit entries and log
    /// lines still name one run.
    pub fn alarm() -> Self {
        Self(format!("alarm-{}", Self::random().0))
    }

    /// Inside a Durable Object: the id the worker forwarded with the
    /// command ([`HEADER`]), so the object's log lines carry it too.
    pub fn forwarded(req: &Request) -> Self {
        req.headers()
            .get(HEADER)
            .ok()
            .flatten()
            .filter(|id| plausible(id))
            .map_or_else(|| Self("unknown".to_owned()), Self)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Printable, short: what may go into a log line and a header.
fn plausible(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
