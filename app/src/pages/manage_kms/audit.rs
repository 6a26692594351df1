//! The company's audit trail as a security team reads it: filtered by action
//! and outcome, paged back through everything (by sequence number: what is
//! shown never shifts when new events arrive; they are added on top), and
//! downloaded as CSV or JSON lines (the whole trail, or the filtered part).

use keyswitch_shared::api::{AuditEvent, AuditTrail};
use keyswitch_shared::audit::AuditFilter;
use keyswitch_shared::audit_export::{self, Format};
use keyswitch_shared::{AuditAction, Outcome};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::store::use_kms;
use crate::api::{self, ApiError};
use crate::components::audit_table::{AuditTable, action_label, outcome_label};
use crate::components::error_notice::MaybeError;

/// What the section shows: the events read so far for one filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    /// The filter they were read with.
    pub filter: AuditFilter,
    /// Newest first, no gap from the newest down to the oldest read.
    pub events: Vec<AuditEvent>,
    /// Where the next older page starts (`None`: nothing older).
    pub next_cursor: Option<u64>,
    /// Something was read for this filter.
    pub loaded: bool,
}

impl Listing {
    /// Takes the newest page read with `filter`: a new filter replaces
    /// everything; the same one adds the events newer than the newest shown
    /// on top, unless the page cannot reach down to them (then the page
    /// replaces the listing, so no event is ever skipped silently).
    pub fn take_newest(&mut self, filter: &AuditFilter, page: AuditTrail) {
        let top = self.events.first().map(|e| e.seq);
        let reaches = |top: u64| {
            page.next_cursor.is_none() || page.events.last().is_some_and(|e| e.seq <= top + 1)
        };
        match top {
            Some(top) if self.loaded && self.filter == *filter && reaches(top) => {
                let mut fresh: Vec<AuditEvent> =
                    page.events.into_iter().filter(|e| e.seq > top).collect();
                fresh.append(&mut self.events);
                self.events = fresh;
            }
            _ => {
                *self = Self {
                    filter: filter.clone(),
                    events: page.events,
                    next_cursor: page.next_cursor,
                    loaded: true,
                };
            }
        }
    }

    /// Adds an older page read with `filter` below the events shown.
    pub fn take_older(&mut self, filter: &AuditFilter, page: AuditTrail) {
        if self.filter != *filter {
            return;
        }
        let bottom = self.events.last().map_or(u64::MAX, |e| e.seq);
        self.events
            .extend(page.events.into_iter().filter(|e| e.seq < bottom));
        self.next_cursor = page.next_cursor;
    }
}

/// The filter chosen in the two selects.
fn filter_of(action: Option<AuditAction>, outcome: Option<Outcome>) -> AuditFilter {
    AuditFilter {
        actions: action.into_iter().collect(),
        outcomes: outcome.into_iter().collect(),
    }
}

/// The audit trail card.
#[component]
pub fn AuditSection() -> impl IntoView {
    let store = use_kms();
    let action = RwSignal::new(None::<AuditAction>);
    let outcome = RwSignal::new(None::<Outcome>);
    let filter = Memo::new(move |_| filter_of(action.get(), outcome.get()));
    let listing = RwSignal::new(Listing::default());
    let error = RwSignal::new(None::<ApiError>);
    let loading_older = RwSignal::new(false);
    // The newest page: read again whenever the edge reports a state (or
    // the trail has news) and whenever the filter changes.
    Effect::new(move |_| {
        store.track_audit();
        let (company, f) = (store.company.get(), filter.get());
        spawn_local(async move {
            let answer = api::audit_page(&company, &f, None).await;
            // An answer for a filter no longer chosen is dropped.
            if filter.try_get_untracked().as_ref() != Some(&f) {
                return;
            }
            match answer {
                Ok(page) => {
                    listing.try_update(|l| l.take_newest(&f, page));
                    error.try_set(None);
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    });
    let show_older = move |_| {
        let Some(cursor) = listing.with_untracked(|l| l.next_cursor) else {
            return;
        };
        let (company, f) = (store.company.get_untracked(), filter.get_untracked());
        loading_older.set(true);
        spawn_local(async move {
            match api::audit_page(&company, &f, Some(cursor)).await {
                Ok(page) => {
                    listing.try_update(|l| l.take_older(&f, page));
                    error.try_set(None);
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            loading_older.try_set(false);
        });
    };
    let table = move || {
        let l = listing.get();
        if !l.loaded {
            return view! { <p class="muted">"Loading…"</p> }.into_any();
        }
        if l.events.is_empty() && !l.filter.is_empty() {
            return view! { <p class="muted">"No event matches this filter."</p> }.into_any();
        }
        view! { <AuditTable events=l.events/> }.into_any()
    };
    let summary = move || {
        listing.with(|l| {
            let n = l.events.len();
            let more = if l.next_cursor.is_some() {
                "; older events are not shown yet"
            } else {
                ""
            };
            format!(
                "Showing {n} event{}{}{more}",
                if n == 1 { "" } else { "s" },
                if l.filter.is_empty() {
                    ""
                } else {
                    " that match the filter"
                },
            )
        })
    };
    view! {
        <section class="card" aria-labelledby="audit-heading">
            <h2 id="audit-heading">"Audit trail"</h2>
            <p>
                "Every action on this company's KMS settings: who did it (a RedApp user, an admin at Microsoft or Google, or keyswitch itself), what, when, how it ended, and the request ID that leads to the logs."
            </p>
            <AuditFilters action=action outcome=outcome/>
            <p class="muted" role="status" data-testid="audit-summary">{summary}</p>
            {table}
            <MaybeError error=Signal::derive(move || error.get())/>
            <Show when=move || listing.with(|l| l.next_cursor.is_some())>
                <button
                    type="button"
                    class="button"
                    data-testid="audit-older"
                    disabled=move || loading_older.get()
                    on:click=show_older
                >
                    "Show older events"
                </button>
            </Show>
            <AuditDownloads filter=filter/>
        </section>
    }
}

/// The filter: one action (or all) and one outcome (or all), as the
/// company trail knows them.
#[component]
pub fn AuditFilters(
    /// The action chosen (`None`: every action).
    action: RwSignal<Option<AuditAction>>,
    /// The outcome chosen (`None`: every outcome).
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    view! {
        <div class="audit-tools" role="group" aria-label="Filter the audit trail">
            <div class="field">
                <label for="audit-action">"Action"</label>
                <select
                    id="audit-action"
                    on:change=move |ev| action.set(AuditAction::from_wire(&event_target_value(&ev)))
                    prop:value=move || action.get().map_or("", AuditAction::as_str)
                >
                    <option value="">"All actions"</option>
                    {AuditAction::ALL
                        .into_iter()
                        .filter(|a| !a.is_vault_action())
                        .map(|a| view! { <option value=a.as_str()>{action_label(a)}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-outcome">"Outcome"</label>
                <select
                    id="audit-outcome"
                    on:change=move |ev| outcome.set(Outcome::from_wire(&event_target_value(&ev)))
                    prop:value=move || outcome.get().map_or("", Outcome::as_str)
                >
                    <option value="">"All outcomes"</option>
                    {Outcome::ALL
                        .into_iter()
                        .map(|o| view! { <option value=o.as_str()>{outcome_label(o).0}</option> })
                        .collect_view()}
                </select>
            </div>
        </div>
    }
}

/// The downloads: the whole trail, or the part the filter lets through.
#[component]
fn AuditDownloads(
    /// The filter in force.
    #[prop(into)]
    filter: Signal<AuditFilter>,
) -> impl IntoView {
    let store = use_kms();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let download = move |format: Format| {
        let (company, f) = (store.company.get_untracked(), filter.get_untracked());
        busy.set(true);
        spawn_local(async move {
            let saved = match api::audit_file(&company, &f, format).await {
                Ok(text) => {
                    let now = crate::components::when::now_ms();
                    let name = company
                        .parse()
                        .map(|c| audit_export::file_name(&c, now, format))
                        .unwrap_or_else(|_| format!("audit.{}", format.extension()));
                    crate::download::save_text(&name, format.content_type(), &text)
                }
                Err(e) => Err(e),
            };
            error.try_set(saved.err());
            busy.try_set(false);
        });
    };
    let scope = move || {
        if filter.with(AuditFilter::is_empty) {
            "The files hold the whole trail, newest first."
        } else {
            "The files hold every event that matches the filter, newest first."
        }
    };
    view! {
        <h3>"Download"</h3>
        <p>
            {scope}
            " CSV opens in a spreadsheet (cells that a spreadsheet would run as a formula start with an apostrophe); JSON lines, one event per line, are for a SIEM."
        </p>
        <div class="actions">
            <button type="button" class="button" data-testid="audit-download-csv"
                disabled=move || busy.get() on:click=move |_| download(Format::Csv)>
                "Download CSV"
            </button>
            <button type="button" class="button" data-testid="audit-download-jsonl"
                disabled=move || busy.get() on:click=move |_| download(Format::JsonLines)>
                "Download JSON lines"
            </button>
        </div>
        <MaybeError error=Signal::derive(move || error.get())/>
    }
}
