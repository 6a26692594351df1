//! Injected faults: match a request by service, path substring and method,
//! fire on the nth matching call for `count` calls.

use serde::{Deserialize, Serialize};

/// What an injected fault does.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer with this status (5xx or any) in the service's error shape.
    Status {
        /// HTTP status.
        status: u16,
    },
    /// Answer 429 in the service's throttling shape.
    Throttle,
    /// Wait, then answer normally.
    Latency {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// Close the connection without answering.
    Drop,
    /// Answer `302 Found` with `Location` on the simulator's logging
    /// endpoint (`/_sink/…`), which records what a follower sends it
    /// (`GET /_control/sink`): a client that carries a token or a secret
    /// must never follow it.
    Redirect,
    /// Answer normally, but with this `kid` in the answer (a key bundle's
    /// `key.kid`, or a key operation's `kid`): a key id the caller did not
    /// ask for.
    ForeignKid {
        /// The key id to answer.
        kid: String,
    },
}

/// A fault rule as the control API accepts it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaultSpec {
    /// `keyvault`, `entra`, `google`, `redapp` (any when absent).
    #[serde(default)]
    pub service: Option<String>,
    /// Substring of the path (any when absent); a `*` in it stands for any
    /// run of characters (`/kv1.vault.azure.net/keys/*/unwrapkey`).
    #[serde(default)]
    pub path: Option<String>,
    /// HTTP method (any when absent).
    #[serde(default)]
    pub method: Option<String>,
    /// Fire first on the nth matching call (1-based, default 1).
    #[serde(default)]
    pub nth: Option<u32>,
    /// Fire on this many calls from then on (default 1, 0 = forever).
    #[serde(default)]
    pub count: Option<u32>,
    /// What to do.
    pub action: FaultAction,
}

/// A stored rule with its counters.
#[derive(Debug, Clone, Serialize)]
pub struct FaultRule {
    /// Rule id.
    pub id: u64,
    /// The rule.
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Matching calls seen.
    pub seen: u32,
    /// Times fired.
    pub fired: u32,
}

/// All rules.
#[derive(Debug, Default, Serialize)]
pub struct Faults {
    /// Rules in order.
    pub rules: Vec<FaultRule>,
    next_id: u64,
}

impl Faults {
    /// Adds a rule and returns it.
    pub fn add(&mut self, spec: FaultSpec) -> FaultRule {
        self.next_id += 1;
        let rule = FaultRule {
            id: self.next_id,
            spec,
            seen: 0,
            fired: 0,
        };
        self.rules.push(rule.clone());
        rule
    }

    /// Removes a rule; false if unknown.
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        self.rules.len() != before
    }

    /// Counts the call against every matching rule and returns the actions that fire.
    pub fn check(&mut self, service: &str, method: &str, path: &str) -> Vec<FaultAction> {
        let mut fired = Vec::new();
        for rule in &mut self.rules {
            let s = &rule.spec;
            let matches = s
                .service
                .as_deref()
                .is_none_or(|x| x.eq_ignore_ascii_case(service))
                && s.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && s.path.as_deref().is_none_or(|p| path_matches(p, path));
            if !matches {
                continue;
            }
            rule.seen += 1;
            let nth = s.nth.unwrap_or(1).max(1);
            let count = s.count.unwrap_or(1);
            if rule.seen >= nth && (count == 0 || rule.fired < count) {
                rule.fired += 1;
                fired.push(s.action.clone());
            }
        }
        fired
    }
}

/// Whether `path` contains `pattern`, where each `*` of the pattern stands
/// for any run of characters (its parts appear in order).
fn path_matches(pattern: &str, path: &str) -> bool {
    let mut rest = path;
    for part in pattern.split('*') {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_star_stands_for_any_run_of_characters() {
        let verify = "/kv/kv1.vault.azure.net/keys/company-kek/0123/unwrapkey";
        assert!(super::path_matches(
            "/kv1.vault.azure.net/keys/*/unwrapkey",
            verify
        ));
        assert!(super::path_matches("/unwrapkey", verify));
        assert!(!super::path_matches(
            "/kv2.vault.azure.net/keys/*/unwrapkey",
            verify
        ));
        assert!(!super::path_matches(
            "/kv1.vault.azure.net/keys/*/unwrapkey",
            "/kv/kv1.vault.azure.net/keys/company-kek/0123/wrapkey"
        ));
        assert!(!super::path_matches("/unwrapkey*/keys", verify));
    }

    use super::*;

    #[test]
    fn fires_on_nth_call_for_count() {
        let mut f = Faults::default();
        f.add(FaultSpec {
            service: Some("keyvault".into()),
            path: Some("/unwrapkey".into()),
            method: Some("POST".into()),
            nth: Some(2),
            count: Some(2),
            action: FaultAction::Drop,
        });
        assert!(
            f.check("keyvault", "POST", "/kv/x/keys/k/unwrapkey")
                .is_empty()
        );
        assert!(
            f.check("keyvault", "GET", "/kv/x/keys/k/unwrapkey")
                .is_empty()
        );
        assert_eq!(
            f.check("keyvault", "POST", "/kv/x/keys/k/unwrapkey").len(),
            1
        );
        assert_eq!(
            f.check("keyvault", "POST", "/kv/x/keys/k/unwrapkey").len(),
            1
        );
        assert!(
            f.check("keyvault", "POST", "/kv/x/keys/k/unwrapkey")
                .is_empty()
        );
    }
}
