//! An audit trail as a security team reads it, for either trail (the
//! company's Manage KMS trail and a workspace's vault trail): filtered by
//! action and outcome, paged back through everything (by sequence number:
//! what is shown never shifts when new events arrive; they are added on
//! top), and downloaded as CSV or JSON lines (the whole trail, or the
//! filtered part).

use keyswitch_shared::api::{AuditEvent, AuditTrail};
use keyswitch_shared::audit::AuditFilter;
use keyswitch_shared::audit_export::{self, Format};
use keyswitch_shared::vaults::{VaultAuditEvent, VaultAuditTrail};
use keyswitch_shared::{AuditAction, Outcome};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::api::{self, ApiError};
use crate::components::audit_table::{action_label, outcome_label};
use crate::components::error_notice::MaybeError;

/// Which trail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TrailOf {
    /// The company's Manage KMS trail.
    #[default]
    Company,
    /// A workspace's vault trail (seed 001).
    Workspace,
}

impl TrailOf {
    /// The actions this trail records, in the filter's order.
    fn actions(self) -> impl Iterator<Item = AuditAction> {
        AuditAction::ALL.into_iter().filter(move |a| match self {
            Self::Company => a.in_company_trail(),
            Self::Workspace => a.in_workspace_trail(),
        })
    }

    /// The download's file name.
    fn file_name(self, owner: &str, now_ms: u64, format: Format) -> String {
        let fallback = || format!("audit.{}", format.extension());
        owner.parse().map_or_else(
            |_| fallback(),
            |o| match self {
                Self::Company => audit_export::file_name(&o, now_ms, format),
                Self::Workspace => audit_export::vault_file_name(&o, now_ms, format),
            },
        )
    }
}

/// An event of a trail.
pub trait TrailEvent: Clone + PartialEq + DeserializeOwned + Send + Sync + 'static {
    /// Its sequence number.
    fn seq(&self) -> u64;
}

impl TrailEvent for AuditEvent {
    fn seq(&self) -> u64 {
        self.seq
    }
}

impl TrailEvent for VaultAuditEvent {
    fn seq(&self) -> u64 {
        self.seq
    }
}

/// One page of a trail as the edge answers it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TrailPage<E> {
    /// Newest first.
    pub events: Vec<E>,
    /// The cursor of the next (older) page; `None` on the last.
    #[serde(default)]
    pub next_cursor: Option<u64>,
}

impl From<AuditTrail> for TrailPage<AuditEvent> {
    fn from(t: AuditTrail) -> Self {
        Self {
            events: t.events,
            next_cursor: t.next_cursor,
        }
    }
}

impl From<VaultAuditTrail> for TrailPage<VaultAuditEvent> {
    fn from(t: VaultAuditTrail) -> Self {
        Self {
            events: t.events,
            next_cursor: t.next_cursor,
        }
    }
}

/// What the section shows: the events read so far for one filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<E> {
    /// The filter they were read with.
    pub filter: AuditFilter,
    /// Newest first, no gap from the newest down to the oldest read.
    pub events: Vec<E>,
    /// Where the next older page starts (`None`: nothing older).
    pub next_cursor: Option<u64>,
    /// Something was read for this filter.
    pub loaded: bool,
}

impl<E> Default for Listing<E> {
    fn default() -> Self {
        Self {
            filter: AuditFilter::default(),
            events: Vec::new(),
            next_cursor: None,
            loaded: false,
        }
    }
}

impl<E: TrailEvent> Listing<E> {
    /// Takes the newest page read with `filter`: a new filter replaces
    /// everything; the same one adds the events newer than the newest shown
    /// on top, unless the page cannot reach down to them (then the page
    /// replaces the listing, so no event is ever skipped silently).
    pub fn take_newest(&mut self, filter: &AuditFilter, page: impl Into<TrailPage<E>>) {
        let page = page.into();
        let top = self.events.first().map(TrailEvent::seq);
        let reaches = |top: u64| {
            page.next_cursor.is_none() || page.events.last().is_some_and(|e| e.seq() <= top + 1)
        };
        match top {
            Some(top) if self.loaded && self.filter == *filter && reaches(top) => {
                let mut fresh: Vec<E> = page.events.into_iter().filter(|e| e.seq() > top).collect();
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
    pub fn take_older(&mut self, filter: &AuditFilter, page: impl Into<TrailPage<E>>) {
        if self.filter != *filter {
            return;
        }
        let page = page.into();
        let bottom = self.events.last().map_or(u64::MAX, TrailEvent::seq);
        self.events
            .extend(page.events.into_iter().filter(|e| e.seq() < bottom));
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

/// The trail's card body: filters, the events read so far (newest first),
/// *Show older events*, and the downloads. `table` draws the events;
/// `news` is read (tracked) to know when the trail has new entries.
#[component]
pub fn TrailSection<E: TrailEvent>(
    /// Which trail.
    of: TrailOf,
    /// The company or workspace.
    #[prop(into)]
    owner: Signal<String>,
    /// Read to subscribe to news of the trail (e.g. a state the edge
    /// reported); the newest page is read again when it changes.
    news: Callback<()>,
    /// Draws the events.
    table: fn(Vec<E>) -> AnyView,
) -> impl IntoView {
    let action = RwSignal::new(None::<AuditAction>);
    let outcome = RwSignal::new(None::<Outcome>);
    let filter = Memo::new(move |_| filter_of(action.get(), outcome.get()));
    let listing = RwSignal::new(Listing::<E>::default());
    let error = RwSignal::new(None::<ApiError>);
    let loading_older = RwSignal::new(false);
    // The newest page: read again whenever the trail has news and
    // whenever the filter changes.
    Effect::new(move |_| {
        news.run(());
        let (path, f) = (api::trail_path(of, &owner.get()), filter.get());
        spawn_local(async move {
            let answer = api::trail_page::<E>(&path, &f, None).await;
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
        let (path, f) = (
            api::trail_path(of, &owner.get_untracked()),
            filter.get_untracked(),
        );
        loading_older.set(true);
        spawn_local(async move {
            match api::trail_page::<E>(&path, &f, Some(cursor)).await {
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
    let events = move || {
        let l = listing.get();
        if !l.loaded {
            return view! { <p class="muted">"Loading…"</p> }.into_any();
        }
        if l.events.is_empty() && !l.filter.is_empty() {
            return view! { <p class="muted">"No event matches this filter."</p> }.into_any();
        }
        table(l.events)
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
        <AuditFilters action=action outcome=outcome of=of/>
        <p class="muted" role="status" data-testid="audit-summary">{summary}</p>
        {events}
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
        <TrailDownloads of=of owner=owner filter=filter/>
    }
}

/// The filter: one action (or all) and one outcome (or all), as the trail
/// knows them.
#[component]
pub fn AuditFilters(
    /// The action chosen (`None`: every action).
    action: RwSignal<Option<AuditAction>>,
    /// The outcome chosen (`None`: every outcome).
    outcome: RwSignal<Option<Outcome>>,
    /// Which trail's actions are offered (the company's by default).
    #[prop(optional)]
    of: TrailOf,
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
                    {of
                        .actions()
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
fn TrailDownloads(
    /// Which trail.
    of: TrailOf,
    /// The company or workspace.
    owner: Signal<String>,
    /// The filter in force.
    #[prop(into)]
    filter: Signal<AuditFilter>,
) -> impl IntoView {
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let download = move |format: Format| {
        let (owner, f) = (owner.get_untracked(), filter.get_untracked());
        busy.set(true);
        spawn_local(async move {
            let path = api::trail_path(of, &owner);
            let saved = match api::trail_file(&path, &f, format).await {
                Ok(text) => {
                    let now = crate::components::when::now_ms();
                    let name = of.file_name(&owner, now, format);
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
