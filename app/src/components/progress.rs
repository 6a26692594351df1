//! Where the switch stands, as a list of steps: each step's status comes
//! from the model (`PendingSetup::steps`), so a step once done stays shown
//! as done while what it proved holds, and the step at fault says so.

use keyswitch_shared::switch::{StepState, StepStatus};
use leptos::prelude::*;

/// The class and the words a screen reader hears after the label.
fn looks(status: StepStatus) -> (&'static str, &'static str) {
    match status {
        StepStatus::Done => ("step step-done", " (done)"),
        StepStatus::Current => ("step step-current", " (current step)"),
        StepStatus::Failed => ("step step-current step-failed", " (needs attention)"),
        StepStatus::Todo => ("step step-todo", ""),
    }
}

/// The steps of the switch, as the model reports them.
#[component]
pub fn Progress(
    /// Each step with its status, in order.
    #[prop(into)]
    steps: Signal<Vec<StepState>>,
) -> impl IntoView {
    view! {
        <ol class="steps" aria-label="Setup progress">
            {move || {
                steps
                    .get()
                    .into_iter()
                    .map(|s| {
                        let (class, said) = looks(s.status);
                        let current = matches!(s.status, StepStatus::Current | StepStatus::Failed);
                        view! {
                            <li
                                class=class
                                data-step=s.step.as_str()
                                aria-current=current.then_some("step")
                            >
                                <span class="step-label">{s.step.label()}</span>
                                <span class="sr-only">{said}</span>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ol>
    }
}
