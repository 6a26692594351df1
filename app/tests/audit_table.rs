//! Component tests, in headless Chromium: the audit trail labels every
//! action the edge writes, each differently, and marks outcomes with their
//! badge.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::collections::HashSet;

use keyswitch_app::components::audit_table::{AuditTable, action_label};
use keyswitch_shared::AuditAction;
use keyswitch_shared::api::AuditEvent;
use leptos::prelude::*;
use support::{find_all, mount, tick};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// An event as the edge sends it.
fn event(action: &str, outcome: &str) -> AuditEvent {
    serde_json::from_value(serde_json::json!({
        "seq": 1,
        "at_ms": 1_790_000_000_000_u64,
        "actor": "u-1",
        "actor_name": "Casey",
        "actor_role": "company_admin",
        "action": action,
        "outcome": outcome,
        "from": "tested",
        "to": "verifying_tenants",
        "detail": null,
    }))
    .expect("an audit event")
}

#[wasm_bindgen_test]
fn every_action_has_its_own_label_for_people() {
    let labels: HashSet<_> = AuditAction::ALL.iter().map(|a| action_label(*a)).collect();
    assert_eq!(
        labels.len(),
        AuditAction::ALL.len(),
        "two actions share a label"
    );
    for action in AuditAction::ALL {
        let label = action_label(action);
        assert!(!label.contains('_'), "{label} reads like a wire name");
        assert_ne!(
            label,
            action.as_str().replace('_', " "),
            "{action:?} is not labelled"
        );
    }
}

#[wasm_bindgen_test]
async fn a_row_shows_the_label_and_the_outcome_badge() {
    let host = mount(|| {
        view! {
            <AuditTable events=vec![
                event("save", "succeeded"),
                event("connection_test", "failed"),
                event("cancel", "refused"),
            ]/>
        }
    });
    tick().await;
    let cells: Vec<String> = find_all(&host, "tbody td:nth-child(3)")
        .iter()
        .map(|c| c.text_content().unwrap_or_default())
        .collect();
    assert_eq!(
        cells,
        ["Saved", "Connection test", "Pending setup cancelled"]
    );
    let badges: Vec<(String, String)> = find_all(&host, "tbody .badge")
        .iter()
        .map(|b| (b.class_name(), b.text_content().unwrap_or_default()))
        .collect();
    assert_eq!(
        badges,
        [
            ("badge badge-ok".to_owned(), "succeeded".to_owned()),
            ("badge badge-error".to_owned(), "failed".to_owned()),
            ("badge badge-error".to_owned(), "refused".to_owned()),
        ]
    );
}
