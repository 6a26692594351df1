//! Component tests, in headless Chromium: the audit view as a security team
//! reads it. Each row says who acted (a RedApp user, an admin at Microsoft
//! or Google, keyswitch itself) and the request id; the filter offers the
//! company trail's actions and the outcomes, each with a label; pages read
//! back in time join without a gap or a repeat, and new events arrive on
//! top without moving what is shown.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use keyswitch_app::components::audit_table::{AuditTable, action_label};
use keyswitch_app::pages::manage_kms::audit::{AuditFilters, Listing};
use keyswitch_shared::api::{AuditEvent, AuditTrail};
use keyswitch_shared::audit::AuditFilter;
use keyswitch_shared::{AuditAction, Outcome};
use leptos::prelude::*;
use support::{find, find_all, mount, tick};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// An event as the edge sends it.
fn event(seq: u64, extra: serde_json::Value) -> AuditEvent {
    let mut v = serde_json::json!({
        "seq": seq,
        "at_ms": 1_790_000_000_000_u64,
        "actor": "u-1",
        "actor_name": "Casey",
        "actor_role": "company_admin",
        "action": "save",
        "outcome": "succeeded",
        "from": "tested",
        "to": "verifying_tenants",
        "detail": null,
        "request_id": format!("req{seq}"),
    });
    if let (Some(o), serde_json::Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
    serde_json::from_value(v).expect("an audit event")
}

fn cells(host: &web_sys::HtmlElement, column: usize) -> Vec<String> {
    find_all(host, &format!("tbody td:nth-child({column})"))
        .iter()
        .map(|c| c.text_content().unwrap_or_default())
        .collect()
}

#[wasm_bindgen_test]
async fn each_row_names_who_acted_by_kind_and_the_request() {
    let rows = vec![
        event(
            4,
            serde_json::json!({
                "action": "admin_consent",
                "outside_admin": {"provider": "microsoft", "account": "adele@contoso.example"},
            }),
        ),
        event(
            3,
            serde_json::json!({
                "action": "tenant_verified",
                "outside_admin": {"provider": "google", "account": "super@example.test"},
            }),
        ),
        event(
            2,
            serde_json::json!({
                "action": "finalize", "actor": "keyswitch",
                "actor_name": "keyswitch (automatic)", "actor_role": "system",
                "request_id": "alarm-0011223344556677",
            }),
        ),
        event(1, serde_json::json!({"request_id": null})),
    ];
    let host = mount(move || view! { <AuditTable events=rows/> });
    tick().await;
    assert_eq!(
        cells(&host, 2),
        [
            "adele@contoso.exampleAdmin at Microsoft, for Casey (company admin)",
            "super@example.testAdmin at Google, for Casey (company admin)",
            "keyswitch (automatic)System",
            "CaseyRedApp user · company admin",
        ]
    );
    let kinds: Vec<String> = find_all(&host, "tbody td[data-kind]")
        .iter()
        .map(|c| c.get_attribute("data-kind").unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        ["microsoft_admin", "google_admin", "system", "redapp_user"]
    );
    assert_eq!(
        cells(&host, 6),
        ["req4", "req3", "alarm-0011223344556677", ""]
    );
    let headers: Vec<String> = find_all(&host, "thead th")
        .iter()
        .map(|c| c.text_content().unwrap_or_default())
        .collect();
    assert_eq!(
        headers,
        ["When", "Who", "What", "Outcome", "Details", "Request ID"]
    );
}

fn choose(host: &web_sys::HtmlElement, id: &str, value: &str) {
    let select: web_sys::HtmlSelectElement = find(host, &format!("#{id}")).unchecked_into();
    select.set_value(value);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::Event::new_with_event_init_dict("change", &init).expect("event");
    select.dispatch_event(&ev).expect("dispatch");
}

#[wasm_bindgen_test]
async fn the_filter_offers_the_company_actions_and_outcomes_by_label() {
    let action = RwSignal::new(None::<AuditAction>);
    let outcome = RwSignal::new(None::<Outcome>);
    let host = mount(move || view! { <AuditFilters action=action outcome=outcome/> });
    tick().await;
    // Each select has its label.
    assert_eq!(
        find(&host, "label[for=audit-action]")
            .text_content()
            .unwrap(),
        "Action"
    );
    assert_eq!(
        find(&host, "label[for=audit-outcome]")
            .text_content()
            .unwrap(),
        "Outcome"
    );
    let options: Vec<(String, String)> = find_all(&host, "#audit-action option")
        .iter()
        .map(|o| {
            (
                o.get_attribute("value").unwrap_or_default(),
                o.text_content().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(options[0], (String::new(), "All actions".to_owned()));
    let company: Vec<AuditAction> = AuditAction::ALL
        .into_iter()
        .filter(|a| a.in_company_trail())
        .collect();
    assert_eq!(options.len(), company.len() + 1);
    for (a, (value, label)) in company.iter().zip(&options[1..]) {
        assert_eq!(value, a.as_str());
        assert_eq!(label, action_label(*a));
    }
    assert!(!options.iter().any(|(v, _)| v == "item_read"));
    assert!(options.iter().any(|(v, _)| v == "webhook_delivery"));
    let outcomes: Vec<String> = find_all(&host, "#audit-outcome option")
        .iter()
        .map(|o| o.get_attribute("value").unwrap_or_default())
        .collect();
    assert_eq!(outcomes, ["", "succeeded", "failed", "refused"]);

    choose(&host, "audit-action", "company_key_export");
    choose(&host, "audit-outcome", "refused");
    tick().await;
    assert_eq!(action.get_untracked(), Some(AuditAction::CompanyKeyExport));
    assert_eq!(outcome.get_untracked(), Some(Outcome::Refused));
    choose(&host, "audit-action", "");
    tick().await;
    assert_eq!(action.get_untracked(), None);
}

fn page(seqs: std::ops::RangeInclusive<u64>, next: Option<u64>) -> AuditTrail {
    AuditTrail {
        events: seqs
            .rev()
            .map(|s| event(s, serde_json::json!({})))
            .collect(),
        next_cursor: next,
    }
}

fn seqs(l: &Listing) -> Vec<u64> {
    l.events.iter().map(|e| e.seq).collect()
}

#[wasm_bindgen_test]
fn pages_join_without_gaps_and_news_arrives_on_top() {
    let all = AuditFilter::default();
    let mut l = Listing::default();
    l.take_newest(&all, page(8..=10, Some(8)));
    assert_eq!(seqs(&l), [10, 9, 8]);
    l.take_older(&all, page(5..=7, Some(5)));
    assert_eq!(seqs(&l), [10, 9, 8, 7, 6, 5]);
    assert_eq!(l.next_cursor, Some(5));
    // Two new events: the newest page reaches down to what is shown.
    l.take_newest(&all, page(10..=12, Some(10)));
    assert_eq!(seqs(&l), [12, 11, 10, 9, 8, 7, 6, 5]);
    assert_eq!(l.next_cursor, Some(5), "the place in the past is kept");
    // Too many new events to join: the newest page replaces the listing.
    l.take_newest(&all, page(40..=42, Some(40)));
    assert_eq!(seqs(&l), [42, 41, 40]);
    assert_eq!(l.next_cursor, Some(40));
    // Another filter replaces everything; an older page of the previous
    // filter arriving late is dropped.
    let refused = AuditFilter {
        actions: Vec::new(),
        outcomes: vec![Outcome::Refused],
    };
    l.take_newest(&refused, page(3..=3, None));
    assert_eq!(seqs(&l), [3]);
    l.take_older(&all, page(1..=2, None));
    assert_eq!(seqs(&l), [3]);
    // A repeated event is never shown twice.
    let mut l = Listing::default();
    l.take_newest(&all, page(5..=6, Some(5)));
    l.take_older(&all, page(3..=5, None));
    assert_eq!(seqs(&l), [6, 5, 4, 3]);
    assert_eq!(l.next_cursor, None);
}
