//! Component tests, in headless Chromium: the vault screen's audit trail.
//! Each row names who acted, what, on which vault (by the name the vault
//! table lists, else its id), how it ended and the request id; the filter
//! offers the vault trail's actions (and only those) with their labels;
//! its pages join like the company trail's.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use keyswitch_app::components::audit_table::{VaultAuditTable, action_label};
use keyswitch_app::components::trail::{AuditFilters, Listing, TrailOf};
use keyswitch_shared::audit::AuditFilter;
use keyswitch_shared::vaults::{VaultAuditEvent, VaultAuditTrail};
use keyswitch_shared::{AuditAction, Outcome};
use leptos::prelude::*;
use support::{find_all, mount, tick};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// A vault event as the edge sends it.
fn event(seq: u64, extra: serde_json::Value) -> VaultAuditEvent {
    let mut v = serde_json::json!({
        "seq": seq,
        "at_ms": 1_790_000_000_000_u64,
        "actor": "u-7",
        "actor_name": "Wanda Owner",
        "actor_role": "workspace_owner",
        "action": "default_vault_set",
        "vault_id": "v-1",
        "outcome": "succeeded",
        "request_id": format!("req{seq}"),
    });
    if let (Some(v), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
        v.extend(extra.clone());
    }
    serde_json::from_value(v).expect("a vault audit event")
}

fn cells(host: &web_sys::HtmlElement, row: usize) -> Vec<String> {
    find_all(host, &format!("tbody tr:nth-child({}) td", row + 1))
        .iter()
        .map(|c| c.text_content().unwrap_or_default())
        .collect()
}

#[wasm_bindgen_test]
async fn rows_name_who_what_which_vault_and_the_request() {
    let events = vec![
        event(
            3,
            serde_json::json!({
                "action": "vault_health_changed", "actor": "keyswitch",
                "actor_name": "keyswitch", "actor_role": "system",
                "outcome": "failed", "detail": "role_removed", "request_id": "alarm-0011223344556677",
            }),
        ),
        event(2, serde_json::json!({"vault_id": "v-gone"})),
        event(
            1,
            serde_json::json!({"action": "vault_created", "request_id": null}),
        ),
    ];
    let names = vec![("v-1".to_owned(), "Finance".to_owned())];
    let host = mount(move || view! { <VaultAuditTable events=events names=names/> });
    tick().await;
    let headers: Vec<String> = find_all(&host, "thead th")
        .iter()
        .map(|c| c.text_content().unwrap_or_default())
        .collect();
    assert_eq!(
        headers,
        [
            "When",
            "Who",
            "What",
            "Vault",
            "Outcome",
            "Details",
            "Request ID"
        ]
    );
    let first = cells(&host, 0);
    assert!(
        first[1].starts_with("keyswitch") && first[1].ends_with("System"),
        "{first:?}"
    );
    assert_eq!(first[2], action_label(AuditAction::VaultHealthChanged));
    assert_eq!(first[3], "Finance");
    assert_eq!(first[4], "failed");
    assert_eq!(first[5], "role_removed");
    assert_eq!(first[6], "alarm-0011223344556677");
    let second = cells(&host, 1);
    assert!(
        second[1].contains("Wanda Owner") && second[1].contains("RedApp user · workspace owner"),
        "{second:?}"
    );
    assert_eq!(second[3], "v-gone", "an unknown vault by its id");
    assert_eq!(second[6], "req2");
    let third = cells(&host, 2);
    assert_eq!(third[2], "Vault created");
    assert_eq!(third[6], "", "an entry stored before request ids");
    let kinds: Vec<String> = find_all(&host, "td[data-kind]")
        .iter()
        .filter_map(|c| c.get_attribute("data-kind"))
        .collect();
    assert_eq!(kinds, ["system", "redapp_user", "redapp_user"]);
}

#[wasm_bindgen_test]
async fn the_filter_offers_the_vault_actions_only() {
    let action = RwSignal::new(None::<AuditAction>);
    let outcome = RwSignal::new(None::<Outcome>);
    let host = mount(
        move || view! { <AuditFilters action=action outcome=outcome of=TrailOf::Workspace/> },
    );
    tick().await;
    let options: Vec<(String, String)> = find_all(&host, "#audit-action option")
        .iter()
        .map(|o| {
            (
                o.get_attribute("value").unwrap_or_default(),
                o.text_content().unwrap_or_default(),
            )
        })
        .collect();
    let vault: Vec<AuditAction> = AuditAction::ALL
        .into_iter()
        .filter(|a| a.in_workspace_trail())
        .collect();
    assert!(vault.len() >= 8);
    assert_eq!(options.len(), vault.len() + 1);
    assert_eq!(options[0].1, "All actions");
    for (a, (value, label)) in vault.iter().zip(&options[1..]) {
        assert_eq!(value, a.as_str());
        assert_eq!(label, action_label(*a));
    }
    assert!(!options.iter().any(|(v, _)| v == "company_key_export"));
    // The workspace trail records webhook deliveries too: offered.
    assert!(options.iter().any(|(v, _)| v == "webhook_delivery"));
}

#[wasm_bindgen_test]
fn vault_pages_join_without_gaps() {
    let page = |seqs: std::ops::RangeInclusive<u64>, next: Option<u64>| VaultAuditTrail {
        events: seqs
            .rev()
            .map(|s| event(s, serde_json::json!({})))
            .collect(),
        next_cursor: next,
    };
    let all = AuditFilter::default();
    let mut l = Listing::<VaultAuditEvent>::default();
    l.take_newest(&all, page(4..=6, Some(4)));
    l.take_older(&all, page(1..=4, None));
    l.take_newest(&all, page(5..=7, Some(5)));
    let seqs: Vec<u64> = l.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [7, 6, 5, 4, 3, 2, 1]);
    assert_eq!(l.next_cursor, None);
}
