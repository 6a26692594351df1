//! Times as people read them: the exact UTC time, and how long ago (or how
//! soon) it is.

use leptos::prelude::*;

use super::audit_table::format_time;

/// Milliseconds since the Unix epoch, from this browser's clock.
#[must_use]
pub fn now_ms() -> u64 {
    // `Date.now()` is a whole, non-negative number of milliseconds.
    js_sys::Date::now() as u64
}

/// `at_ms` relative to `now_ms`: "just now", "in 4 min", "3 h ago",
/// "in 12 days".
#[must_use]
pub fn relative(at_ms: u64, now_ms: u64) -> String {
    let (span, future) = if at_ms >= now_ms {
        (at_ms - now_ms, true)
    } else {
        (now_ms - at_ms, false)
    };
    let secs = span / 1000;
    let amount = if secs < 45 {
        return if future { "in a moment" } else { "just now" }.to_owned();
    } else if secs < 90 * 60 {
        format!("{} min", secs.div_ceil(60).max(1))
    } else if secs < 36 * 3600 {
        format!("{} h", (secs + 1800) / 3600)
    } else {
        let days = (secs + 43_200) / 86_400;
        format!("{days} day{}", if days == 1 { "" } else { "s" })
    };
    if future {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// A ticking clock for relative times (every 15 seconds), stopped when the
/// view that asked for it goes away.
#[must_use]
pub fn ticking_now() -> ReadSignal<u64> {
    let (now, set_now) = signal(now_ms());
    if let Ok(handle) = set_interval_with_handle(
        move || set_now.set(now_ms()),
        std::time::Duration::from_secs(15),
    ) {
        on_cleanup(move || handle.clear());
    }
    now
}

/// `<time>`: the UTC time, then how long ago or how soon, e.g.
/// "2026-11-30 14:05:00 UTC (in 4 min)".
#[component]
pub fn When(
    /// The moment (Unix milliseconds).
    at_ms: u64,
    /// Now, for the relative part.
    #[prop(into)]
    now: Signal<u64>,
) -> impl IntoView {
    let exact = format_time(at_ms);
    let iso = exact.replace(" UTC", "Z").replacen(' ', "T", 1);
    view! {
        <time datetime=iso>{exact}" ("{move || relative(at_ms, now.get())}")"</time>
    }
}
