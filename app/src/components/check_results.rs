//! The result of *Check configuration*: every check that ran, and every
//! problem found with its fix, all at once instead of the first failure.

use keyswitch_shared::ErrorBody;
use leptos::prelude::*;

use super::error_notice::CatalogNotice;

/// How one check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Passed.
    Ok,
    /// Failed: the problem says what and how to fix it.
    Problem,
    /// Passed, but needs attention soon (expiry, request headroom).
    Warning,
    /// Not run, because a check it depends on failed.
    Skipped,
}

impl Outcome {
    /// Symbol (decoration), word (for everyone), class.
    fn look(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Ok => ("✓", "passed", "check-ok"),
            Self::Problem => ("✕", "problem", "check-bad"),
            Self::Warning => ("!", "warning", "check-warn"),
            Self::Skipped => ("–", "not checked", "check-skipped"),
        }
    }
}

/// One check that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRow {
    /// What was checked, for people ("Admin consent", "Key size").
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
    /// What was seen, when it passed (e.g. "RSA 3072").
    pub detail: Option<String>,
    /// What is wrong (or needs attention, or why it did not run), with the
    /// fix.
    pub problem: Option<ErrorBody>,
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// "No problems found in 12 checks" / "3 problems and 1 warning found in
/// 12 checks".
#[must_use]
pub fn summary(checks: &[CheckRow]) -> String {
    let total = count(checks.len(), "check");
    let of = |o: Outcome| checks.iter().filter(|c| c.outcome == o).count();
    match (of(Outcome::Problem), of(Outcome::Warning)) {
        (0, 0) => format!("No problems found in {total}"),
        (p, 0) => format!("{} found in {total}", count(p, "problem")),
        (0, w) => format!("No problems, {} found in {total}", count(w, "warning")),
        (p, w) => format!(
            "{} and {} found in {total}",
            count(p, "problem"),
            count(w, "warning")
        ),
    }
}

/// Every problem (then every warning) with its fix, then the full list of
/// checks.
#[component]
pub fn CheckResults(
    /// The checks, in the order they ran.
    checks: Vec<CheckRow>,
) -> impl IntoView {
    let problems = checks.iter().any(|c| c.outcome == Outcome::Problem);
    let headline = summary(&checks);
    let listed: Vec<(CheckRow, ErrorBody)> = [Outcome::Problem, Outcome::Warning]
        .iter()
        .flat_map(|o| checks.iter().filter(move |c| c.outcome == *o))
        .filter_map(|c| c.problem.clone().map(|p| (c.clone(), p)))
        .collect();
    let class = if problems {
        "notice notice-error"
    } else {
        "notice notice-ok"
    };
    view! {
        <div class="check-results" data-testid="check-results">
            <p class=class role="status" data-testid="check-summary">
                <span class="notice-title">{headline}</span>
            </p>
            {(!listed.is_empty()).then(|| view! {
                <ol class="problem-list" aria-label="Problems found">
                    {listed.into_iter().map(|(c, body)| {
                        let label = if c.outcome == Outcome::Warning {
                            format!("{} (warning)", c.name)
                        } else {
                            c.name.clone()
                        };
                        view! {
                            <li data-check=c.name>
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
                        let (symbol, word, class) = c.outcome.look();
                        let seen = c.detail.map(|d| view! { <span class="muted">" · "{d}</span> });
                        view! {
                            <li class=class>
                                <span aria-hidden="true">{symbol}" "</span>
                                {c.name}
                                <span class="sr-only">": "{word}</span>
                                {seen}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </details>
        </div>
    }
}
