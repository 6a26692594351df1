//! Where the switch stands, as a list of steps.

use keyswitch_shared::switch::Stage;
use leptos::prelude::*;

/// The steps shown, in order, with the stages that belong to each.
const STEPS: [(&str, &[Stage]); 6] = [
    ("Vault and key", &[Stage::Draft]),
    ("Admin consent", &[Stage::AwaitingConsent]),
    (
        "Role assignment",
        &[Stage::AwaitingRoleAssignment, Stage::TestingConnection],
    ),
    ("Connection test", &[Stage::Tested]),
    ("Verify tenants", &[Stage::VerifyingTenants]),
    ("Finalize", &[Stage::Finalizing]),
];

fn position(stage: Stage) -> usize {
    if stage == Stage::Done {
        return STEPS.len();
    }
    STEPS
        .iter()
        .position(|(_, stages)| stages.contains(&stage))
        .unwrap_or(0)
}

/// The steps of the switch with the current one marked.
#[component]
pub fn Progress(
    /// The current stage.
    #[prop(into)]
    stage: Signal<Stage>,
) -> impl IntoView {
    view! {
        <ol class="steps" aria-label="Setup progress">
            {STEPS
                .iter()
                .enumerate()
                .map(|(i, (label, _))| {
                    let state = move || {
                        let at = position(stage.get());
                        if i < at { "done" } else if i == at { "current" } else { "todo" }
                    };
                    view! {
                        <li
                            class=move || format!("step step-{}", state())
                            aria-current=move || (state() == "current").then_some("step")
                        >
                            <span class="step-label">{*label}</span>
                            <span class="sr-only">
                                {move || match state() { "done" => " (done)", "current" => " (current step)", _ => "" }}
                            </span>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}
