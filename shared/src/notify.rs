//! Signed webhooks to the host (issue 14 item 6): an outbox the models own.
//!
//! A model that wants the host told something calls [`Outbox::enqueue`]: the
//! notification gets an idempotency id and its exact body, fixed once, so
//! every retry sends the same bytes under the same id. The interpreter sends
//! each [`Send`] (signing it with [`signature_header`] at send time) and feeds
//! the answer back to [`Outbox::answered`]; a failure is retried after a
//! back-off the outbox decides, up to [`NotifyPolicy::max_attempts`]. A send
//! whose answer never came (the object restarted) is sent again by
//! [`Outbox::due`] once its in-flight time passed; the host deduplicates by
//! the id. Every answer yields a [`Log`] line for the audit trail (the
//! delivery log).
//!
//! Wire format (PRODUCT.md, "Webhooks"): `POST` to the host's `WEBHOOK_URL`
//! with `Content-Type: application/json`, `Keyswitch-Webhook-Id: <id>` and
//! `Keyswitch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
//! "<t>.<body>")>`; body `{"id","type","company_id"|"workspace_id",
//! "occurred_at","data":{...}}`. The host verifies with [`verify`]: the MAC
//! over the timestamp and the raw body, the timestamp within a tolerance,
//! and the id not seen before.
//!
//! Pure: no I/O, no clock, no randomness (ids derive from the caller's nonce).

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The signature header.
pub const SIGNATURE_HEADER: &str = "Keyswitch-Signature";
/// The idempotency-id header (stable across retries).
pub const ID_HEADER: &str = "Keyswitch-Webhook-Id";
/// How old a signature timestamp a receiver should accept (seconds).
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// What happened. The wire name is [`Kind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// A company's switch to a new key committed.
    #[serde(rename = "kms.switch_completed")]
    SwitchCompleted,
    /// A company key's health changed.
    #[serde(rename = "key.health_changed")]
    KeyHealthChanged,
    /// A company key was re-wrapped with a new key version.
    #[serde(rename = "key.rotated")]
    KeyRotated,
    /// A company key expires soon.
    #[serde(rename = "key.expiry_warning")]
    KeyExpiryWarning,
    /// A seed-001 vault's health changed.
    #[serde(rename = "vault.health_changed")]
    VaultHealthChanged,
    /// A seed-001 vault's key was rotated.
    #[serde(rename = "vault.rotated")]
    VaultRotated,
    /// A seed-001 vault's key expires soon.
    #[serde(rename = "vault.expiry_warning")]
    VaultExpiryWarning,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Self; 7] = [
        Self::SwitchCompleted,
        Self::KeyHealthChanged,
        Self::KeyRotated,
        Self::KeyExpiryWarning,
        Self::VaultHealthChanged,
        Self::VaultRotated,
        Self::VaultExpiryWarning,
    ];

    /// The wire name, e.g. `kms.switch_completed`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SwitchCompleted => "kms.switch_completed",
            Self::KeyHealthChanged => "key.health_changed",
            Self::KeyRotated => "key.rotated",
            Self::KeyExpiryWarning => "key.expiry_warning",
            Self::VaultHealthChanged => "vault.health_changed",
            Self::VaultRotated => "vault.rotated",
            Self::VaultExpiryWarning => "vault.expiry_warning",
        }
    }
}

/// Whom a notification is about: names the body's `company_id` or
/// `workspace_id` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Subject {
    /// A company (`company_id`).
    #[serde(rename = "company_id")]
    Company(String),
    /// A workspace (`workspace_id`).
    #[serde(rename = "workspace_id")]
    Workspace(String),
}

/// The deployment's webhook policy (from the worker's vars).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyPolicy {
    /// Whether a webhook URL is configured; when not, nothing is queued.
    pub enabled: bool,
    /// How long a send may stay unanswered before it is sent again (ms).
    pub in_flight_ms: u64,
    /// First retry delay after a failure; it doubles per failure (ms).
    pub retry_base_ms: u64,
    /// Longest wait between retries (ms).
    pub max_backoff_ms: u64,
    /// Attempts before a delivery is given up (and audited as such).
    pub max_attempts: u32,
}

impl Default for NotifyPolicy {
    fn default() -> Self {
        Self {
            enabled: false,
            in_flight_ms: 20_000,
            retry_base_ms: 1_000,
            max_backoff_ms: 60 * 60 * 1000,
            max_attempts: 16,
        }
    }
}

impl NotifyPolicy {
    /// The wait after the `failures`-th failure: `retry_base_ms` × 2^(failures−1),
    /// at most `max_backoff_ms`.
    #[must_use]
    pub fn backoff_ms(&self, failures: u32) -> u64 {
        let exp = failures.saturating_sub(1).min(30);
        self.retry_base_ms
            .saturating_mul(1u64 << exp)
            .min(self.max_backoff_ms)
    }
}

/// One notification owed to the host until it answered 2xx (or the outbox
/// gave up on it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The idempotency id (`Keyswitch-Webhook-Id`, the body's `id`).
    pub id: String,
    /// What happened.
    pub kind: Kind,
    /// The exact body sent on every attempt.
    pub body: String,
    /// The send in flight; only its answer counts (0: none in flight,
    /// waiting for the back-off).
    pub attempt: u32,
    /// When to send it (again), Unix milliseconds.
    pub due_at_ms: u64,
    /// Attempts answered with a failure so far.
    pub failures: u32,
}

/// A send the interpreter must perform: sign `body` with the secret and the
/// current time and `POST` it to the webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Send {
    /// The send's attempt number (its answer names it).
    pub attempt: u32,
    /// The idempotency id.
    pub id: String,
    /// The body.
    pub body: String,
}

/// Why a send failed (never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The host answered this non-2xx status.
    Status(u16),
    /// No answer: network error or timeout.
    Unreachable,
    /// The webhook is not configured (URL or secret missing).
    NotConfigured,
}

impl Failure {
    /// A short note for the audit trail.
    #[must_use]
    pub fn note(&self) -> String {
        match self {
            Self::Status(s) => format!("HTTP {s}"),
            Self::Unreachable => "no answer".into(),
            Self::NotConfigured => "webhook not configured".into(),
        }
    }
}

/// What an answer meant, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Log {
    /// Delivered on attempt `attempts` with HTTP `status`.
    Delivered {
        /// The idempotency id.
        id: String,
        /// What it was.
        kind: Kind,
        /// Attempts it took (1: the first).
        attempts: u32,
        /// The host's status.
        status: u16,
    },
    /// Attempt `attempts` failed; the next one is due at `retry_at_ms`.
    Failed {
        /// The idempotency id.
        id: String,
        /// What it was.
        kind: Kind,
        /// Attempts so far.
        attempts: u32,
        /// Why.
        failure: Failure,
        /// When it is sent again (Unix milliseconds).
        retry_at_ms: u64,
    },
    /// Attempt `attempts` failed and it was the last: given up.
    Abandoned {
        /// The idempotency id.
        id: String,
        /// What it was.
        kind: Kind,
        /// Attempts made.
        attempts: u32,
        /// Why the last failed.
        failure: Failure,
    },
}

impl Log {
    /// Whether the line records a success.
    #[must_use]
    pub fn delivered(&self) -> bool {
        matches!(self, Self::Delivered { .. })
    }

    /// The audit detail: type, id, attempt and result (no secret, no body).
    #[must_use]
    pub fn note(&self) -> String {
        match self {
            Self::Delivered {
                id,
                kind,
                attempts,
                status,
            } => format!(
                "{} {id} delivered on attempt {attempts} (HTTP {status})",
                kind.as_str()
            ),
            Self::Failed {
                id,
                kind,
                attempts,
                failure,
                retry_at_ms,
            } => format!(
                "{} {id} attempt {attempts} failed ({}); retry at {}",
                kind.as_str(),
                failure.note(),
                rfc3339(*retry_at_ms)
            ),
            Self::Abandoned {
                id,
                kind,
                attempts,
                failure,
            } => format!(
                "{} {id} given up after {attempts} attempt{} ({})",
                kind.as_str(),
                if *attempts == 1 { "" } else { "s" },
                failure.note()
            ),
        }
    }
}

/// The answer's attempt names no send in flight (an old attempt, or one
/// already answered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stale;

/// The notifications a model still owes the host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbox {
    /// Deliveries not yet acknowledged, oldest first.
    #[serde(default)]
    pub pending: Vec<Delivery>,
    /// The last send attempt number handed out.
    #[serde(default)]
    pub attempts: u32,
    /// Notifications queued so far (part of each id).
    #[serde(default)]
    pub seq: u64,
}

#[derive(Serialize)]
struct Body<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: Kind,
    #[serde(flatten)]
    subject: SubjectField<'a>,
    occurred_at: String,
    data: &'a serde_json::Value,
}

#[derive(Serialize)]
enum SubjectField<'a> {
    #[serde(rename = "company_id")]
    Company(&'a str),
    #[serde(rename = "workspace_id")]
    Workspace(&'a str),
}

impl Outbox {
    /// Queues a notification and returns its first send (`None` when
    /// webhooks are off). `nonce` is the update's fresh randomness: the id
    /// is derived from it and the outbox's sequence number, so two
    /// notifications of one update get distinct ids.
    pub fn enqueue(
        &mut self,
        subject: &Subject,
        kind: Kind,
        data: serde_json::Value,
        now_ms: u64,
        nonce: &str,
        policy: &NotifyPolicy,
    ) -> Option<Send> {
        if !policy.enabled {
            return None;
        }
        self.seq = self.seq.saturating_add(1);
        let digest = Sha256::digest(format!("webhook/{}/{nonce}", self.seq).as_bytes());
        let id = format!("whk_{}", &hex::encode(digest)[..32]);
        let subject = match subject {
            Subject::Company(c) => SubjectField::Company(c),
            Subject::Workspace(w) => SubjectField::Workspace(w),
        };
        let body = serde_json::to_string(&Body {
            id: &id,
            kind,
            subject,
            occurred_at: rfc3339(now_ms),
            data: &data,
        })
        .unwrap_or_default();
        let attempt = self.next_attempt();
        self.pending.push(Delivery {
            id: id.clone(),
            kind,
            body: body.clone(),
            attempt,
            due_at_ms: now_ms.saturating_add(policy.in_flight_ms),
            failures: 0,
        });
        Some(Send { attempt, id, body })
    }

    fn next_attempt(&mut self) -> u32 {
        self.attempts = self.attempts.wrapping_add(1).max(1);
        self.attempts
    }

    /// The sends that are due at `now_ms`: deliveries waiting after a
    /// failure, and sends whose answer never came in time (sent again under
    /// the same id and body).
    pub fn due(&mut self, now_ms: u64, policy: &NotifyPolicy) -> Vec<Send> {
        let mut out = Vec::new();
        for i in 0..self.pending.len() {
            if self.pending[i].due_at_ms > now_ms {
                continue;
            }
            let attempt = self.next_attempt();
            let d = &mut self.pending[i];
            d.attempt = attempt;
            d.due_at_ms = now_ms.saturating_add(policy.in_flight_ms);
            out.push(Send {
                attempt,
                id: d.id.clone(),
                body: d.body.clone(),
            });
        }
        out
    }

    /// The host answered the send `attempt`: `Ok(status)` a 2xx, or why it
    /// failed.
    ///
    /// # Errors
    /// [`Stale`] when `attempt` names no send in flight.
    pub fn answered(
        &mut self,
        attempt: u32,
        result: Result<u16, Failure>,
        now_ms: u64,
        policy: &NotifyPolicy,
    ) -> Result<Log, Stale> {
        let pos = self
            .pending
            .iter()
            .position(|d| attempt != 0 && d.attempt == attempt)
            .ok_or(Stale)?;
        match result {
            Ok(status) => {
                let d = self.pending.remove(pos);
                Ok(Log::Delivered {
                    id: d.id,
                    kind: d.kind,
                    attempts: d.failures.saturating_add(1),
                    status,
                })
            }
            Err(failure) => {
                let d = &mut self.pending[pos];
                d.failures = d.failures.saturating_add(1);
                d.attempt = 0;
                if d.failures >= policy.max_attempts {
                    let d = self.pending.remove(pos);
                    return Ok(Log::Abandoned {
                        id: d.id,
                        kind: d.kind,
                        attempts: d.failures,
                        failure,
                    });
                }
                d.due_at_ms = now_ms.saturating_add(policy.backoff_ms(d.failures));
                Ok(Log::Failed {
                    id: d.id.clone(),
                    kind: d.kind,
                    attempts: d.failures,
                    failure,
                    retry_at_ms: d.due_at_ms,
                })
            }
        }
    }

    /// When the next send (or resend) is due, for the alarm.
    #[must_use]
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.pending.iter().map(|d| d.due_at_ms).min()
    }
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], t: i64, body: &[u8]) -> HmacSha256 {
    // HMAC accepts a key of any length.
    let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `Keyswitch-Signature` value for `body` sent at `t` (Unix seconds):
/// `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
#[must_use]
pub fn signature_header(secret: &[u8], t: i64, body: &[u8]) -> String {
    let tag = mac(secret, t, body).finalize().into_bytes();
    format!("t={t},v1={}", hex::encode(tag))
}

/// Why a delivery does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// The header is missing parts or malformed.
    Malformed,
    /// No `v1` signature matches the body and timestamp (tampered, or
    /// another secret).
    BadSignature,
    /// The timestamp is outside the tolerance (a replay of an old delivery).
    Stale,
}

/// The documented verification a host runs on a delivery: parse the
/// header, recompute the MAC over `"<t>.<raw body>"` and compare in
/// constant time (any of several `v1=` values may match, for secret
/// rotation), and refuse a timestamp more than `tolerance_secs` from
/// `now_secs`. Then the host drops an id it has already processed.
///
/// # Errors
/// [`Rejected`] says why.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now_secs: i64,
    tolerance_secs: i64,
) -> Result<(), Rejected> {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(hex::decode(v).map_err(|_| Rejected::Malformed)?),
            _ => {}
        }
    }
    let t = t.ok_or(Rejected::Malformed)?;
    if sigs.is_empty() {
        return Err(Rejected::Malformed);
    }
    let ok = sigs
        .iter()
        .any(|sig| mac(secret, t, body).verify_slice(sig).is_ok());
    if !ok {
        return Err(Rejected::BadSignature);
    }
    if (now_secs - t).abs() > tolerance_secs {
        return Err(Rejected::Stale);
    }
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix milliseconds (UTC).
#[must_use]
pub fn rfc3339(ms: u64) -> String {
    let secs = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    let t = crate::calendar::UtcTime::from_unix_secs(secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on() -> NotifyPolicy {
        NotifyPolicy {
            enabled: true,
            ..NotifyPolicy::default()
        }
    }

    fn queue(o: &mut Outbox, now: u64) -> Send {
        o.enqueue(
            &Subject::Company("acme".into()),
            Kind::SwitchCompleted,
            serde_json::json!({"kid": "k"}),
            now,
            "nonce",
            &on(),
        )
        .expect("enabled")
    }

    #[test]
    fn nothing_is_queued_when_webhooks_are_off() {
        let mut o = Outbox::default();
        let sent = o.enqueue(
            &Subject::Company("acme".into()),
            Kind::KeyRotated,
            serde_json::Value::Null,
            0,
            "n",
            &NotifyPolicy::default(),
        );
        assert!(sent.is_none());
        assert!(o.pending.is_empty());
        assert_eq!(o.next_deadline_ms(), None);
    }

    #[test]
    fn the_body_has_the_documented_fields() {
        let mut o = Outbox::default();
        let s = queue(&mut o, 1_796_000_000_000);
        let v: serde_json::Value = serde_json::from_str(&s.body).expect("json");
        assert_eq!(v["id"], s.id.as_str());
        assert_eq!(v["type"], "kms.switch_completed");
        assert_eq!(v["company_id"], "acme");
        assert_eq!(v["occurred_at"], "2026-11-30T00:53:20Z");
        assert_eq!(v["data"]["kid"], "k");
        assert!(v.get("workspace_id").is_none());
        let w = o
            .enqueue(
                &Subject::Workspace("ws1".into()),
                Kind::VaultHealthChanged,
                serde_json::json!({}),
                0,
                "nonce",
                &on(),
            )
            .expect("enabled");
        let v: serde_json::Value = serde_json::from_str(&w.body).expect("json");
        assert_eq!(v["workspace_id"], "ws1");
        assert_eq!(v["type"], "vault.health_changed");
        assert_ne!(w.id, s.id, "two notifications of one nonce get two ids");
    }

    #[test]
    fn retries_keep_id_and_body_and_back_off() {
        let p = on();
        let mut o = Outbox::default();
        let first = queue(&mut o, 0);
        let log = o
            .answered(first.attempt, Err(Failure::Status(503)), 10, &p)
            .expect("in flight");
        assert!(matches!(
            log,
            Log::Failed {
                attempts: 1,
                retry_at_ms: 1010,
                ..
            }
        ));
        assert_eq!(o.answered(first.attempt, Ok(200), 11, &p), Err(Stale));
        assert!(o.due(1009, &p).is_empty());
        let again = o.due(1010, &p);
        assert_eq!(again.len(), 1);
        assert_eq!((&again[0].id, &again[0].body), (&first.id, &first.body));
        assert_ne!(again[0].attempt, first.attempt);
        let log = o
            .answered(again[0].attempt, Err(Failure::Unreachable), 1020, &p)
            .expect("in flight");
        assert!(matches!(
            log,
            Log::Failed {
                attempts: 2,
                retry_at_ms: 3020,
                ..
            }
        ));
        let third = o.due(3020, &p);
        let log = o.answered(third[0].attempt, Ok(204), 3030, &p).expect("ok");
        assert_eq!(
            log,
            Log::Delivered {
                id: first.id,
                kind: Kind::SwitchCompleted,
                attempts: 3,
                status: 204
            }
        );
        assert!(o.pending.is_empty());
    }

    #[test]
    fn an_unanswered_send_goes_again_after_its_in_flight_time() {
        let p = on();
        let mut o = Outbox::default();
        let first = queue(&mut o, 0);
        assert_eq!(o.next_deadline_ms(), Some(p.in_flight_ms));
        assert!(o.due(p.in_flight_ms - 1, &p).is_empty());
        let again = o.due(p.in_flight_ms, &p);
        assert_eq!(again[0].id, first.id);
        // The old attempt's late answer no longer counts.
        assert_eq!(o.answered(first.attempt, Ok(200), 1, &p), Err(Stale));
    }

    #[test]
    fn a_delivery_is_given_up_after_max_attempts() {
        let p = NotifyPolicy {
            max_attempts: 3,
            ..on()
        };
        let mut o = Outbox::default();
        let mut send = queue(&mut o, 0);
        let mut now = 0;
        for n in 1..=3 {
            let log = o
                .answered(send.attempt, Err(Failure::Status(500)), now, &p)
                .expect("in flight");
            if n < 3 {
                now = o.next_deadline_ms().expect("owed");
                send = o.due(now, &p).remove(0);
            } else {
                assert!(matches!(log, Log::Abandoned { attempts: 3, .. }));
            }
        }
        assert!(o.pending.is_empty());
    }

    #[test]
    fn each_answer_is_audited_with_its_kind_id_attempt_and_result() {
        let id = "whk_0123".to_owned();
        let kind = Kind::SwitchCompleted;
        let notes = [
            Log::Delivered {
                id: id.clone(),
                kind,
                attempts: 3,
                status: 204,
            },
            Log::Failed {
                id: id.clone(),
                kind,
                attempts: 1,
                failure: Failure::Status(503),
                retry_at_ms: 1_796_068_800_000,
            },
            Log::Abandoned {
                id: id.clone(),
                kind,
                attempts: 8,
                failure: Failure::Unreachable,
            },
            Log::Abandoned {
                id,
                kind,
                attempts: 1,
                failure: Failure::NotConfigured,
            },
        ]
        .map(|l| l.note());
        assert_eq!(
            notes,
            [
                "kms.switch_completed whk_0123 delivered on attempt 3 (HTTP 204)",
                "kms.switch_completed whk_0123 attempt 1 failed (HTTP 503); retry at 2026-11-30T20:00:00Z",
                "kms.switch_completed whk_0123 given up after 8 attempts (no answer)",
                "kms.switch_completed whk_0123 given up after 1 attempt (webhook not configured)",
            ]
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = NotifyPolicy {
            retry_base_ms: 1000,
            max_backoff_ms: 5000,
            ..on()
        };
        let waits: Vec<u64> = (1..=5).map(|f| p.backoff_ms(f)).collect();
        assert_eq!(waits, vec![1000, 2000, 4000, 5000, 5000]);
    }

    #[test]
    fn the_documented_verification_accepts_the_signature_and_rejects_tampering_and_replays() {
        let secret = b"whsec_test";
        let body = br#"{"id":"whk_1","type":"key.rotated"}"#;
        let header = signature_header(secret, 1_800_000_000, body);
        assert!(header.starts_with("t=1800000000,v1="));
        assert_eq!(verify(secret, &header, body, 1_800_000_010, 300), Ok(()));
        // A changed body, another secret, a changed timestamp.
        let tampered = br#"{"id":"whk_1","type":"key.rotated" }"#;
        assert_eq!(
            verify(secret, &header, tampered, 1_800_000_010, 300),
            Err(Rejected::BadSignature)
        );
        assert_eq!(
            verify(b"other", &header, body, 1_800_000_010, 300),
            Err(Rejected::BadSignature)
        );
        let moved = header.replace("t=1800000000", "t=1800000600");
        assert_eq!(
            verify(secret, &moved, body, 1_800_000_600, 300),
            Err(Rejected::BadSignature)
        );
        // Up to the tolerance either way is accepted; a second more is not.
        for now in [1_800_000_000 - 300, 1_800_000_000 + 300] {
            assert_eq!(verify(secret, &header, body, now, 300), Ok(()), "{now}");
        }
        for now in [1_800_000_000 - 301, 1_800_000_000 + 301] {
            assert_eq!(
                verify(secret, &header, body, now, 300),
                Err(Rejected::Stale),
                "{now}"
            );
        }
        // The genuine delivery replayed an hour later.
        assert_eq!(
            verify(secret, &header, body, 1_800_003_600, 300),
            Err(Rejected::Stale)
        );
        assert_eq!(
            verify(secret, "v1=00", body, 0, 300),
            Err(Rejected::Malformed)
        );
    }

    #[test]
    fn the_signature_matches_a_known_vector() {
        // HMAC-SHA256(key="secret", "1.{}") from `openssl dgst -sha256 -hmac secret`.
        let header = signature_header(b"secret", 1, b"{}");
        assert_eq!(
            header,
            "t=1,v1=1122767b193110cfec322b6f199b599edbf608ed087f2d27afb0b97d99523908"
        );
    }

    #[test]
    fn kinds_serialize_as_their_wire_names() {
        for k in Kind::ALL {
            assert_eq!(
                serde_json::to_value(k).expect("json"),
                serde_json::Value::String(k.as_str().into())
            );
        }
    }

    #[test]
    fn rfc3339_formats_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_000_000_999), "2026-11-30T00:53:20Z");
    }
}
