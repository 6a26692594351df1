//! Component tests, in headless Chromium: the tenant list shows each tenant's
//! kind and id, its status, the reason when a verification failed, a Verify
//! button only for unverified tenants, and Refresh.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use keyswitch_app::components::tenant_list::TenantList;
use keyswitch_shared::api::TenantName;
use keyswitch_shared::switch::{Tenant, TenantRef, TenantStatus, Unverifiable, UnverifiableSet};
use keyswitch_shared::{ErrorBody, GoogleCustomerId, TenantId};
use leptos::prelude::*;
use support::{click_button, find_all, mount, text, tick};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const CONTOSO: &str = "7d3c1a52-4b8e-4f0a-9c2d-1e5f6a7b8c9d";
const FABRIKAM: &str = "2b8e9f10-3c4d-4e5f-8a6b-7c8d9e0f1a2b";

fn m365(id: &str, status: TenantStatus) -> Tenant {
    Tenant {
        tenant: TenantRef::Microsoft365 {
            tenant_id: id.parse::<TenantId>().expect("tenant id"),
        },
        status,
    }
}

fn gws(id: &str, status: TenantStatus) -> Tenant {
    Tenant {
        tenant: TenantRef::GoogleWorkspace {
            customer_id: id.parse::<GoogleCustomerId>().expect("customer id"),
        },
        status,
    }
}

struct List {
    host: web_sys::HtmlElement,
    tenants: RwSignal<Vec<Tenant>>,
    verified: RwSignal<Vec<TenantRef>>,
    refreshed: RwSignal<u32>,
}

fn list(initial: Vec<Tenant>) -> List {
    let tenants = RwSignal::new(initial);
    let verified = RwSignal::new(Vec::new());
    let refreshed = RwSignal::new(0);
    let host = mount(move || {
        view! {
            <TenantList
                tenants=tenants
                on_verify=Callback::new(move |t| verified.update(|v| v.push(t)))
                on_refresh=Callback::new(move |()| refreshed.update(|n| *n += 1))
            />
        }
    });
    List {
        host,
        tenants,
        verified,
        refreshed,
    }
}

fn rows(host: &web_sys::HtmlElement) -> Vec<String> {
    find_all(host, "[data-testid=tenant]")
        .into_iter()
        .map(|r| r.text_content().unwrap_or_default())
        .collect()
}

#[wasm_bindgen_test]
async fn lists_both_kinds_with_id_and_status() {
    let l = list(vec![
        m365(CONTOSO, TenantStatus::Unverified),
        gws("C03az79cb", TenantStatus::Verified { at: 1 }),
    ]);
    tick().await;
    let rows = rows(&l.host);
    assert_eq!(rows.len(), 2);
    assert!(
        rows[0].contains("Microsoft 365")
            && rows[0].contains(CONTOSO)
            && rows[0].contains("Not verified")
    );
    assert!(
        rows[1].contains("Google Workspace")
            && rows[1].contains("C03az79cb")
            && rows[1].contains("Verified")
    );
    assert_eq!(
        text(&l.host, "[data-testid=tenant-summary]"),
        "1 of 2 tenants verified"
    );
    // Only the unverified tenant offers Verify, named for screen readers.
    let verify: Vec<String> = find_all(&l.host, "[data-testid=tenant] button")
        .into_iter()
        .map(|b| b.text_content().unwrap_or_default())
        .collect();
    assert_eq!(verify, vec![format!("Verify Microsoft 365 {CONTOSO}")]);
}

#[wasm_bindgen_test]
async fn a_failed_verification_shows_its_reason_and_fix() {
    let l = list(vec![gws(
        "C03az79cb",
        TenantStatus::Failed {
            reason: ErrorBody {
                code: "google_delegated_admin".into(),
                message: "A delegated admin can't verify a Google Workspace account".into(),
                fix: "Ask a Super Admin to authorise CyberSentriq. Delegated admins will not work."
                    .into(),
                field: None,
                detail: None,
                cause: None,
                commands: Vec::new(),
            },
        },
    )]);
    tick().await;
    let row = &rows(&l.host)[0];
    assert!(row.contains("Verification failed"));
    assert!(row.contains("A delegated admin can't verify a Google Workspace account"));
    assert!(row.contains("Ask a Super Admin"));
    let reason = support::find(&l.host, "[data-code=google_delegated_admin]");
    // A standing reason, not a fresh alert.
    assert_eq!(reason.get_attribute("role").as_deref(), Some("none"));
}

#[wasm_bindgen_test]
async fn verify_and_refresh_call_back() {
    let l = list(vec![m365(CONTOSO, TenantStatus::Unverified)]);
    tick().await;
    click_button(&l.host, "Verify").await;
    assert_eq!(
        l.verified.get_untracked(),
        vec![TenantRef::Microsoft365 {
            tenant_id: CONTOSO.parse().expect("id")
        }]
    );
    click_button(&l.host, "Refresh").await;
    assert_eq!(l.refreshed.get_untracked(), 1);
}

#[wasm_bindgen_test]
async fn a_tenant_added_mid_setup_appears_unverified() {
    let l = list(vec![m365(CONTOSO, TenantStatus::Verified { at: 1 })]);
    tick().await;
    assert_eq!(
        text(&l.host, "[data-testid=tenant-summary]"),
        "1 of 1 tenants verified"
    );
    l.tenants
        .update(|t| t.push(m365(FABRIKAM, TenantStatus::Unverified)));
    tick().await;
    let rows = rows(&l.host);
    assert_eq!(rows.len(), 2);
    assert!(rows[1].contains(FABRIKAM) && rows[1].contains("Not verified"));
    assert_eq!(
        text(&l.host, "[data-testid=tenant-summary]"),
        "1 of 2 tenants verified"
    );
}

#[wasm_bindgen_test]
async fn an_empty_inventory_says_so() {
    let l = list(vec![]);
    tick().await;
    assert!(rows(&l.host).is_empty());
    assert!(
        l.host
            .text_content()
            .unwrap_or_default()
            .contains("RedApp lists no backup sets for this company, so there is no Microsoft 365 or Google Workspace tenant to verify.")
    );
    // Without a confirmation handler (the export re-verification), no button.
    assert!(find_all(&l.host, "[data-testid=confirm-no-tenants]").is_empty());
}

#[wasm_bindgen_test]
async fn no_backup_sets_offer_the_confirmation_that_there_is_nothing_to_verify() {
    let confirmed = RwSignal::new(0);
    let host = mount(move || {
        view! {
            <TenantList
                tenants=Signal::derive(Vec::new)
                on_verify=Callback::new(|_| ())
                on_refresh=Callback::new(|()| ())
                on_confirm_empty=Callback::new(move |()| confirmed.update(|n| *n += 1))
            />
        }
    });
    tick().await;
    let panel = text(&host, "[data-testid=no-backup-sets]");
    assert!(
        panel.contains("RedApp lists no backup sets for this company")
            && panel.contains("confirm it to finish the switch")
            && panel.contains("add them in RedApp and select Refresh")
            && panel.contains("a set added by then must be verified first"),
        "{panel}"
    );
    click_button(&host, "Confirm there is nothing to verify").await;
    assert_eq!(confirmed.get_untracked(), 1);
}

fn blocked_sets() -> Vec<UnverifiableSet> {
    vec![
        UnverifiableSet {
            set_id: "bs-dropbox".into(),
            set_name: Some("Dropbox archive".into()),
            why: Unverifiable::UnknownKind {
                kind: "dropbox".into(),
            },
        },
        UnverifiableSet {
            set_id: "bs-domain".into(),
            set_name: Some("Contoso mail".into()),
            why: Unverifiable::TenantIsDomain {
                domain: "contoso.onmicrosoft.com".into(),
            },
        },
        UnverifiableSet {
            set_id: "bs-cust".into(),
            set_name: None,
            why: Unverifiable::CustomerIdInvalid {
                value: "03az79cb".into(),
            },
        },
    ]
}

#[wasm_bindgen_test]
async fn each_backup_set_that_cannot_be_verified_shows_its_name_why_and_fix() {
    let tenants = vec![m365(CONTOSO, TenantStatus::Verified { at: 1 })];
    let host = mount(move || {
        view! {
            <TenantList
                tenants=Signal::derive(move || tenants.clone())
                unverifiable=Signal::derive(blocked_sets)
                on_verify=Callback::new(|_| ())
                on_refresh=Callback::new(|()| ())
                on_confirm_empty=Callback::new(|()| ())
            />
        }
    });
    tick().await;
    let rows: Vec<String> = find_all(&host, "[data-testid=unverifiable-set]")
        .into_iter()
        .map(|r| r.text_content().unwrap_or_default())
        .collect();
    assert_eq!(rows.len(), 3);
    // The backup_set_unverifiable screen text, exactly as the catalog words it.
    let fix = |set: &str| {
        format!(
            "How to fix it: Correct backup set {set} in RedApp (a Microsoft 365 set needs its tenant ID, a GUID; a Google Workspace set its customer ID, like C03az79cb), or remove it, then select Refresh. The switch can't finish while a backup set can't be verified."
        )
    };
    let expected = [
        (
            "Dropbox archive",
            "Backup set \"Dropbox archive\" (bs-dropbox) can't be verified: its kind \"dropbox\" is unknown; keyswitch can verify only Microsoft 365 and Google Workspace backup sets",
            fix("\"Dropbox archive\" (bs-dropbox)"),
        ),
        (
            "Contoso mail",
            "Backup set \"Contoso mail\" (bs-domain) can't be verified: its Microsoft 365 tenant is given as the domain \"contoso.onmicrosoft.com\" instead of the tenant ID (a GUID)",
            fix("\"Contoso mail\" (bs-domain)"),
        ),
        (
            "bs-cust",
            "Backup set bs-cust can't be verified: its Google Workspace customer ID \"03az79cb\" is malformed (expected C followed by letters and digits, e.g. C03az79cb)",
            fix("bs-cust"),
        ),
    ];
    for (row, (name, message, fix)) in rows.iter().zip(expected) {
        assert!(
            row.contains(name) && row.contains("Can't be verified"),
            "{row}"
        );
        assert!(row.contains(message), "{row}");
        assert!(row.contains(&fix), "{row}");
    }
    let notices = find_all(&host, "[data-code=backup_set_unverifiable]");
    assert_eq!(notices.len(), 3);
    assert_eq!(notices[0].get_attribute("role").as_deref(), Some("none"));
    assert_eq!(
        text(&host, "[data-testid=tenant-summary]"),
        "1 of 1 tenants verified; 3 backup sets can't be verified"
    );
    // Sets that cannot be verified are not "no backup sets": no confirmation.
    assert!(find_all(&host, "[data-testid=confirm-no-tenants]").is_empty());
}

#[wasm_bindgen_test]
async fn shows_the_inventory_name_of_each_tenant_that_has_one() {
    let contoso = m365(CONTOSO, TenantStatus::Unverified);
    let google = gws("C03az79cb", TenantStatus::Unverified);
    let names = vec![TenantName {
        tenant: contoso.tenant.clone(),
        name: "Contoso Ltd".into(),
    }];
    let host = mount(move || {
        view! {
            <TenantList
                tenants=Signal::derive(move || vec![contoso.clone(), google.clone()])
                names=Signal::derive(move || names.clone())
                on_verify=Callback::new(|_| ())
                on_refresh=Callback::new(|()| ())
            />
        }
    });
    tick().await;
    let rows = rows(&host);
    assert!(
        rows[0].contains("Contoso Ltd") && rows[0].contains(CONTOSO),
        "{}",
        rows[0]
    );
    // No name from the inventory: kind and id only, nothing invented.
    assert!(
        !rows[1].contains("Contoso Ltd") && rows[1].contains("C03az79cb"),
        "{}",
        rows[1]
    );
}
