//! Which signed tokens an isolate has already verified: a bounded set of
//! token digests, each valid until a deadline. The edge's JWT verifier
//! checks a RedApp session's RS256 signature once per token per isolate and
//! consults this set afterwards; the claims (issuer, audience, lifetime) are
//! still checked on every request, so `exp` is honoured to the second.
//!
//! Pure (the caller hashes and tells the time): no I/O, no clock.

use std::collections::HashMap;

/// How many verified tokens an isolate remembers (a few tens of KiB).
pub const CAPACITY: usize = 1024;

/// A SHA-256 digest naming one token (and where its keys came from).
pub type Digest = [u8; 32];

/// Bounded set of verified token digests with their deadlines (Unix ms).
#[derive(Debug)]
pub struct VerifiedTokens {
    until_ms: HashMap<Digest, u64>,
    capacity: usize,
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        Self::with_capacity(CAPACITY)
    }
}

impl VerifiedTokens {
    /// An empty set that holds at most `capacity` digests (at least one).
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            until_ms: HashMap::new(),
            capacity: capacity.max(1),
        }
    }

    /// Whether `digest` was verified and its deadline has not passed; a
    /// passed deadline forgets it.
    pub fn holds(&mut self, digest: &Digest, now_ms: u64) -> bool {
        match self.until_ms.get(digest) {
            Some(&until) if now_ms < until => true,
            Some(_) => {
                self.until_ms.remove(digest);
                false
            }
            None => false,
        }
    }

    /// Remembers `digest` as verified until `until_ms` (nothing when that
    /// has passed). When full, forgets the expired digests, then the one
    /// whose deadline comes first.
    pub fn insert(&mut self, digest: Digest, until_ms: u64, now_ms: u64) {
        if until_ms <= now_ms {
            return;
        }
        if self.until_ms.len() >= self.capacity && !self.until_ms.contains_key(&digest) {
            self.until_ms.retain(|_, until| *until > now_ms);
            if self.until_ms.len() >= self.capacity
                && let Some(first) = self
                    .until_ms
                    .iter()
                    .min_by_key(|(_, until)| **until)
                    .map(|(d, _)| *d)
            {
                self.until_ms.remove(&first);
            }
        }
        self.until_ms.insert(digest, until_ms);
    }

    /// How many digests are held (expired ones included until touched).
    #[must_use]
    pub fn len(&self) -> usize {
        self.until_ms.len()
    }

    /// Whether none is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.until_ms.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u8) -> Digest {
        [n; 32]
    }

    #[test]
    fn a_digest_holds_until_its_deadline_and_then_is_forgotten() {
        let mut set = VerifiedTokens::default();
        assert!(!set.holds(&d(1), 0));
        set.insert(d(1), 1_000, 0);
        assert!(set.holds(&d(1), 999));
        assert!(!set.holds(&d(2), 999), "another token is not verified");
        assert!(!set.holds(&d(1), 1_000), "the deadline is exclusive");
        assert!(set.is_empty(), "an expired digest is forgotten");
        assert!(!set.holds(&d(1), 0), "and stays forgotten");
    }

    #[test]
    fn a_deadline_already_passed_is_not_kept() {
        let mut set = VerifiedTokens::default();
        set.insert(d(1), 500, 500);
        assert!(set.is_empty());
        assert!(!set.holds(&d(1), 0));
    }

    #[test]
    fn the_set_stays_bounded_dropping_expired_then_the_earliest_deadline() {
        let mut set = VerifiedTokens::with_capacity(3);
        set.insert(d(1), 100, 0);
        set.insert(d(2), 5_000, 0);
        set.insert(d(3), 3_000, 0);
        // Full; d(1) has expired by 200: it makes room.
        set.insert(d(4), 9_000, 200);
        assert_eq!(set.len(), 3);
        assert!(!set.holds(&d(1), 200));
        // Full, nothing expired: d(3) (deadline 3000, the earliest) goes.
        set.insert(d(5), 9_000, 300);
        assert_eq!(set.len(), 3);
        assert!(!set.holds(&d(3), 300));
        for kept in [2, 4, 5] {
            assert!(set.holds(&d(kept), 300), "{kept} kept");
        }
        // Re-inserting a held digest never evicts another.
        set.insert(d(5), 9_500, 300);
        assert_eq!(set.len(), 3);
        assert!(set.holds(&d(2), 300) && set.holds(&d(4), 300));
    }

    #[test]
    fn a_deadline_reached_this_millisecond_makes_room_too() {
        let mut set = VerifiedTokens::with_capacity(3);
        assert!(set.is_empty());
        set.insert(d(1), 200, 0);
        set.insert(d(2), 200, 0);
        set.insert(d(3), 5_000, 0);
        assert!(!set.is_empty());
        // Full at 200: d(1) and d(2) end now, so both make room.
        set.insert(d(4), 9_000, 200);
        assert_eq!(set.len(), 2);
        assert!(set.holds(&d(3), 200) && set.holds(&d(4), 200));
    }

    #[test]
    fn many_tokens_never_grow_the_set_past_its_capacity() {
        let mut set = VerifiedTokens::with_capacity(16);
        for i in 0..=255u8 {
            set.insert(d(i), 10_000 + u64::from(i), 0);
            assert!(set.len() <= 16);
        }
        // The latest deadlines survive.
        assert!(set.holds(&d(255), 0));
        assert!(!set.holds(&d(0), 0));
    }
}
