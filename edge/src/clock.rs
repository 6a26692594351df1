//! The isolate's clock, in the units the rest of the edge uses.

/// Now, in Unix milliseconds.
pub fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

/// Now, in Unix seconds.
pub fn now_secs() -> i64 {
    i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX)
}
