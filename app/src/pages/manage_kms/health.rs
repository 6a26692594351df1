//! *Key health*: whether keyswitch can still use the customer's key, why not
//! (with the fix), when it last checked and checks next, how long a
//! revocation takes to bite (the cache time), the key's expiry, and
//! *Check now*.

use keyswitch_shared::ErrorBody;
use leptos::prelude::*;

use super::store::{Op, OpKind, use_kms};
use crate::components::command_tabs::CommandTabs;
use crate::components::error_notice::{CatalogNotice, MaybeError};
use crate::components::health_badge::{HealthBadge, health_meaning};
use crate::components::when::{When, ticking_now};

/// What the panel shows, as the edge reported it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HealthFacts {
    /// `unknown`, `healthy`, `degraded` or `access_lost`.
    pub state: String,
    /// Why access is lost (or why checks fail), with the fix.
    pub cause: Option<ErrorBody>,
    /// When the state began (Unix milliseconds).
    pub since_ms: Option<u64>,
    /// The last check (Unix milliseconds).
    pub last_check_ms: Option<u64>,
    /// The next scheduled check (Unix milliseconds).
    pub next_check_ms: Option<u64>,
    /// The last wrap/unwrap round trip that passed (Unix milliseconds).
    pub last_probe_ms: Option<u64>,
    /// Seconds between two checks while nothing is wrong.
    pub interval_secs: Option<u64>,
    /// A check is running right now.
    pub checking: bool,
    /// How long keyswitch keeps the unwrapped company key (seconds).
    pub cache_seconds: Option<u64>,
    /// The key's expiry (`exp`, Unix seconds), when it has one.
    pub expires_at_s: Option<i64>,
    /// The expiry warning (within the warning window).
    pub expiry_warning: Option<ExpiryFacts>,
}

/// A key that expires soon: what to tell the admin and the commands that
/// extend or rotate it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExpiryFacts {
    /// Whole days left (0 on the last day).
    pub days_left: i64,
    /// The date, what still works after it, and what to do.
    pub message: String,
    /// The commands that extend or rotate the key (Azure CLI, Azure
    /// PowerShell).
    pub commands: Vec<keyswitch_shared::commands::CommandTab>,
}

/// "5 minutes", "90 seconds", "1 minute".
#[must_use]
pub fn duration_words(secs: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if secs >= 60 && secs.is_multiple_of(60) {
        plural(secs / 60, "minute")
    } else {
        plural(secs, "second")
    }
}

/// The warning that the key expires soon, with the `az` commands that
/// extend or rotate it, ready to copy, and what happens after the date.
#[component]
pub fn ExpiryNotice(
    /// The warning.
    warning: ExpiryFacts,
) -> impl IntoView {
    let ExpiryFacts {
        days_left,
        message,
        commands,
    } = warning;
    let title = match days_left {
        0 => "Your key expires today".to_owned(),
        1 => "Your key expires tomorrow".to_owned(),
        n => format!("Your key expires in {n} days"),
    };
    view! {
        <div class="notice notice-warn" data-code="key_expiry_warning" data-testid="expiry-warning">
            <p class="notice-title">{title}</p>
            <p>{message}</p>
            <CommandTabs
                id="expiry-commands"
                label="Commands that extend or rotate the key"
                tabs=commands
            />
        </div>
    }
}

/// The panel itself, from what the edge reported; `on_check` is *Check
/// now* (absent: no button).
#[component]
pub fn KeyHealthPanel(
    /// The facts to show.
    #[prop(into)]
    facts: Signal<HealthFacts>,
    /// Now, for relative times.
    #[prop(into)]
    now: Signal<u64>,
    /// *Check now* was clicked.
    #[prop(optional)]
    on_check: Option<Callback<()>>,
    /// A check requested from here is running.
    #[prop(optional, into)]
    checking: Signal<bool>,
) -> impl IntoView {
    let state = Signal::derive(move || facts.with(|f| f.state.clone()));
    let when = move |at: Option<u64>, none: &'static str| match at {
        Some(ms) => view! { <When at_ms=ms now=now/> }.into_any(),
        None => view! { <span>{none}</span> }.into_any(),
    };
    let cause = move || {
        facts
            .with(|f| f.cause.clone())
            .map(|body| view! { <CatalogNotice body=body role="none"/> })
    };
    let expiry = move || {
        facts
            .with(|f| f.expiry_warning.clone())
            .map(|w| view! { <ExpiryNotice warning=w/> })
    };
    let cache = move || {
        facts.with(|f| f.cache_seconds).map(|secs| {
            let words = duration_words(secs);
            view! {
                <dt>"Revocation takes effect within"</dt>
                <dd data-testid="cache-time">
                    {words.clone()}
                    <p class="field-hint">
                        "keyswitch keeps the unlocked company key in memory for at most "{words}
                        ". If you remove keyswitch's access to your key, new backups and restores stop within this time; they work again as soon as access returns."
                    </p>
                </dd>
            }
        })
    };
    let expires = move || {
        facts.with(|f| f.expires_at_s).map(|exp| {
            let ms = u64::try_from(exp).unwrap_or(0).saturating_mul(1000);
            view! {
                <dt>"Key expires"</dt>
                <dd data-testid="key-expires"><When at_ms=ms now=now/></dd>
            }
        })
    };
    let button = on_check.map(|cb| {
        view! {
            <button type="button" class="button" disabled=move || checking.get()
                on:click=move |_| cb.run(())>
                {move || if checking.get() { "Checking…" } else { "Check now" }}
            </button>
        }
    });
    view! {
        <div class="card-head">
            <h2 id="health-heading">"Key health"</h2>
            {button}
        </div>
        <div aria-live="polite" data-testid="health-status">
            <p class="health-head">
                <HealthBadge state=state/>
                {move || facts.with(|f| f.since_ms).map(|ms| view! {
                    <span class="muted">"since "<When at_ms=ms now=now/></span>
                })}
            </p>
            <p class="health-meaning">{move || health_meaning(&state.get())}</p>
            {cause}
        </div>
        {expiry}
        <dl class="facts">
            <dt>"Last check"</dt>
            <dd data-testid="last-check">{move || when(facts.with(|f| f.last_check_ms), "Not checked yet")}</dd>
            <dt>"Next check"</dt>
            <dd data-testid="next-check">
                {move || if facts.with(|f| f.checking) {
                    view! { <span><span class="spinner" aria-hidden="true"></span>"Checking now…"</span> }.into_any()
                } else {
                    when(facts.with(|f| f.next_check_ms), "Not scheduled")
                }}
                {move || facts.with(|f| f.interval_secs).map(|secs| view! {
                    <p class="field-hint">
                        "keyswitch reads your key's attributes every "{duration_words(secs)}
                        " (one request to Key Vault), and tests wrapping and unwrapping with it at most once a day or when something changed."
                    </p>
                })}
            </dd>
            <dt>"Last wrap and unwrap test"</dt>
            <dd data-testid="last-probe">{move || when(facts.with(|f| f.last_probe_ms), "Not yet")}</dd>
            {cache}
            {expires}
        </dl>
    }
}

/// The health of the key in force, for an Azure Key Vault provider (the
/// only one keyswitch monitors); nothing for the others.
#[component]
pub fn KeyHealthSection() -> impl IntoView {
    let store = use_kms();
    let facts = Memo::new(move |_| store.overview.with(|o| o.as_ref().and_then(health_facts)));
    let now = ticking_now();
    move || {
        facts.get().is_some().then(|| {
            let shown = Signal::derive(move || facts.get().unwrap_or_default());
            view! {
                <section class="card" aria-labelledby="health-heading" data-testid="key-health">
                    <KeyHealthPanel
                        facts=shown
                        now=now
                        on_check=Callback::new(move |()| store.run(Op::CheckNow))
                        checking=Signal::derive(move || store.running(OpKind::CheckNow) && store.busy())
                    />
                    <MaybeError error=store.error_for(&[OpKind::CheckNow])/>
                </section>
            }
        })
    }
}

/// The health facts in the edge's status view (`None`: not monitored).
#[must_use]
pub fn health_facts(overview: &keyswitch_shared::api::KmsOverview) -> Option<HealthFacts> {
    let h = overview.health.as_ref()?;
    Some(HealthFacts {
        state: h.state.as_str().to_owned(),
        cause: h.error.clone(),
        since_ms: h.since_ms,
        last_check_ms: h.last_check_at_ms,
        next_check_ms: h.next_check_at_ms,
        last_probe_ms: h.last_probe_at_ms,
        interval_secs: Some(h.check_interval_secs),
        checking: h.checking,
        cache_seconds: Some(overview.key_cache_seconds),
        expires_at_s: h.expires_at,
        expiry_warning: h.expiry_warning.as_ref().map(|w| ExpiryFacts {
            days_left: w.days_left,
            message: w.message.clone(),
            commands: w.commands.clone(),
        }),
    })
}
