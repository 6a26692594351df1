//! Per-vault request limits over fixed 10-second windows.

use std::collections::HashMap;

/// Request counters per (vault, limit class).
#[derive(Debug, Default)]
pub struct Windows {
    counters: HashMap<(String, u32), (i64, u32)>,
}

/// Published "other operations" limit per 10 s for a key of `bits` (0 = EC).
pub fn published_limit(bits: usize, hsm: bool) -> u32 {
    let (soft, hard) = match bits {
        0 => (2000, 1000),
        b if b <= 2048 => (4000, 2000),
        b if b <= 3072 => (1000, 500),
        _ => (500, 250),
    };
    if hsm { hard } else { soft }
}

impl Windows {
    /// Counts one request; false when the window's limit is exceeded.
    pub fn admit(&mut self, vault: &str, limit: u32, now: i64) -> bool {
        let window = now.div_euclid(10);
        let entry = self
            .counters
            .entry((vault.to_ascii_lowercase(), limit))
            .or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= limit {
            return false;
        }
        entry.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_key_size() {
        assert_eq!(published_limit(2048, false), 4000);
        assert_eq!(published_limit(4096, true), 250);
        let mut w = Windows::default();
        assert!(w.admit("v", 2, 100));
        assert!(w.admit("v", 2, 101));
        assert!(!w.admit("v", 2, 102));
        assert!(w.admit("v", 2, 110));
    }
}
