//! The versions of the customer's key that have protected the company key,
//! newest first: which one is in use, since when, and how each came in.

use leptos::prelude::*;

use super::audit_table::format_time;

/// One key version in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KidRow {
    /// The full versioned key id.
    pub kid: String,
    /// Its version (the last path segment), shown first.
    pub version: String,
    /// When it started protecting the company key (Unix milliseconds);
    /// `None` when it was recorded before keyswitch kept the history.
    pub from_ms: Option<u64>,
    /// When it stopped (`None`: in use now).
    pub until_ms: Option<u64>,
    /// How it came in, for people ("Switch", "Rotation in Key Vault").
    pub how: String,
}

/// The history as a table; the version in use is marked in words.
#[component]
pub fn KidHistory(
    /// Newest first.
    rows: Vec<KidRow>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted">"No key version recorded yet."</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="audit kid-history" data-testid="kid-history">
                <caption class="sr-only">"Key versions that protected the company key, newest first"</caption>
                <thead>
                    <tr><th scope="col">"Version"</th><th scope="col">"Protected the company key"</th><th scope="col">"How it came in"</th></tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|r| {
                        let current = r.until_ms.is_none();
                        let from = r.from_ms.map_or_else(|| "before the history was kept".to_owned(), format_time);
                        let span = match (r.from_ms, r.until_ms) {
                            (_, Some(until)) => format!("{from} to {}", format_time(until)),
                            (Some(_), None) => format!("since {from}"),
                            (None, None) => "since before the history was kept".to_owned(),
                        };
                        let version = r.version.clone();
                        view! {
                            <tr class:current=current data-version=version>
                                <td class="wrap">
                                    <code title=r.kid>{r.version}</code>
                                    {current.then(|| view! { " " <span class="badge badge-ok">"in use"</span> })}
                                </td>
                                <td>{span}</td>
                                <td>{r.how}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
