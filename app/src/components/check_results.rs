//! The result of *Check configuration*: every check that ran, and every
//! problem found with its fix, all at once instead of the first failure.

use keyswitch_shared::ErrorBody;
use leptos::prelude::*;

use super::error_notice::CatalogNotice;

/// One check that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRow {
    /// What was checked, for people ("Admin consent", "Key size").
    pub name: String,
    /// What is wrong, with the fix; `None` when the check passed.
    pub problem: Option<ErrorBody>,
}

/// "No problems found in 12 checks" / "3 problems found in 12 checks".
#[must_use]
pub fn summary(checks: &[CheckRow]) -> String {
    let total = checks.len();
    let failed = checks.iter().filter(|c| c.problem.is_some()).count();
    let s = |n: usize| if n == 1 { "" } else { "s" };
    match failed {
        0 => format!("No problems found in {total} check{}", s(total)),
        n => format!("{n} problem{} found in {total} check{}", s(n), s(total)),
    }
}

/// Every problem with its fix, then the full list of checks.
#[component]
pub fn CheckResults(
    /// The checks, in the order they ran.
    checks: Vec<CheckRow>,
) -> impl IntoView {
    let ok = checks.iter().all(|c| c.problem.is_none());
    let headline = summary(&checks);
    let problems: Vec<(String, ErrorBody)> = checks
        .iter()
        .filter_map(|c| c.problem.clone().map(|p| (c.name.clone(), p)))
        .collect();
    let class = if ok {
        "notice notice-ok"
    } else {
        "notice notice-error"
    };
    view! {
        <div class="check-results" data-testid="check-results">
            <p class=class role="status" data-testid="check-summary">
                <span class="notice-title">{headline}</span>
            </p>
            {(!problems.is_empty()).then(|| view! {
                <ol class="problem-list" aria-label="Problems found">
                    {problems.into_iter().map(|(name, body)| {
                        let label = name.clone();
                        view! {
                            <li data-check=name>
                                <p class="problem-check">{label}</p>
                                <CatalogNotice body=body role="none"/>
                            </li>
                        }
                    }).collect_view()}
                </ol>
            })}
            <details class="all-checks">
                <summary>"Show every check"</summary>
                <ul class="check-list">
                    {checks.into_iter().map(|c| {
                        let (symbol, word, class) = if c.problem.is_some() {
                            ("✕", "problem", "check-bad")
                        } else {
                            ("✓", "passed", "check-ok")
                        };
                        view! {
                            <li class=class>
                                <span aria-hidden="true">{symbol}" "</span>
                                {c.name}
                                <span class="sr-only">": "{word}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </details>
        </div>
    }
}
