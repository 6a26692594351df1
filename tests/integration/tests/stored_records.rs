//! Records one worker build wrote read back the same in another build: run
//! by `scripts/upgrade-check OLD_BUILD` (both tests are ignored in the
//! ordinary suite: they need two builds and a worker restart between them).
//!
//! `write_phase` runs against the old build: it leaves a company in the
//! middle of a switch (setup, connection test, tenants with a verified one
//! and a pending sign-in, an unverifiable backup set: a `#[serde(flatten)]`
//! struct, stored as a JS `Map`), a company on the platform key, and a
//! workspace with a vault and an item, each with its audit trail, and keeps
//! every read answer in `$WORKER_STATE_DIR/stored_records.json`. The script
//! then restarts the worker on the current build, whose objects start
//! empty and load everything from storage; `read_phase` reads the same
//! addresses again and expects the same answers, byte for byte (issue 15: the edge reads
//! stored records through JSON text instead of `serde_wasm_bindgen`, and
//! writes the Manage KMS overview from the object's view as text).

use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::*;
use serde_json::{Value, json};

fn handover() -> std::path::PathBuf {
    let dir = std::env::var("WORKER_STATE_DIR").expect("WORKER_STATE_DIR (scripts/upgrade-check)");
    std::path::Path::new(&dir).join("stored_records.json")
}

/// The addresses read, in the order the write phase reads them (audit
/// trails last: reading an item adds to its vault's trail).
fn reads(ids: &Value) -> Vec<(String, String)> {
    let s = |k: &str| ids[k].as_str().expect("id").to_owned();
    let (a, b, ws, vault, item) = (s("a"), s("b"), s("ws"), s("vault"), s("item"));
    let v = format!("/api/workspaces/{ws}/vaults");
    vec![
        ("company".into(), kms(&a)),
        ("company".into(), kms(&b)),
        ("owner".into(), v.clone()),
        ("owner".into(), format!("{v}/{vault}")),
        ("owner".into(), format!("{v}/{vault}/items")),
        ("owner".into(), format!("{v}/{vault}/items/{item}")),
        ("company".into(), format!("{}/audit", kms(&a))),
        ("company".into(), format!("{}/audit", kms(&b))),
        ("owner".into(), format!("/api/workspaces/{ws}/vault-audit")),
    ]
}

async fn tokens(ids: &Value) -> (String, String) {
    let a = ids["a"].as_str().expect("a");
    let b = ids["b"].as_str().expect("b");
    let ws = ids["ws"].as_str().expect("ws");
    (
        session("partner_admin", &[a, b]).await,
        session("workspace_owner", &[ws]).await,
    )
}

/// The answer's text, byte for byte.
async fn read(who: &str, path: &str, company: &str, owner: &str) -> String {
    let token = if who == "company" { company } else { owner };
    let (s, text) = call_raw("GET", path, Some(token), None).await;
    assert_eq!(s, 200, "{path}: {text}");
    text
}

#[tokio::test]
#[ignore = "scripts/upgrade-check runs it against the older build"]
async fn write_phase() {
    let w = world(true, 2048).await;
    let a = company_for("it-stored", &w, true).await;
    control(
        "POST",
        &format!("/companies/{a}/backup-sets"),
        Some(json!({"kind": "dropbox", "id": "bs-dropbox", "name": "Dropbox archive"})),
    )
    .await;
    let t = session("partner_admin", &[&a]).await;
    ready_to_save(&a, &t, &w).await;
    let (s, v) = call("POST", &format!("{}/save", kms(&a)), Some(&t), None).await;
    assert_eq!(s, 409, "the unverifiable set blocks Save: {v}");
    let (s, html) = verify_as(&a, &t, &m365(&w.tenant), &w.admin_oid, "accept").await;
    assert_eq!(s, 200, "{html}");
    // A sign-in begun and not finished: the pending sign-in stays stored.
    begin_verify(&a, &t, &gws(GOOGLE_CUSTOMER)).await;

    let b = fresh_company("it-stored-platform");
    ensure_company(&b).await;
    let (plain, wrapped) = data_key(&b).await;

    let (ws, owner, vault) =
        keyswitch_integration::audit_helpers::workspace_with_vault("it-stored-ws").await;
    let (s, item) = call(
        "POST",
        &format!("/api/workspaces/{ws}/vaults/{vault}/items"),
        Some(&owner),
        Some(json!({"kind": "secret", "name": "API key", "secret": "sk-stored-123"})),
    )
    .await;
    assert_eq!(s, 201, "{item}");

    let ids = json!({"a": a, "b": b, "ws": ws, "vault": vault, "item": item["id"],
        "data_key": {"plaintext": plain, "wrapped": wrapped}});
    let (company, owner) = tokens(&ids).await;
    let mut answers = Vec::new();
    for (who, path) in reads(&ids) {
        answers.push(read(&who, &path, &company, &owner).await);
    }
    let overview: Value = serde_json::from_str(&answers[0]).expect("JSON");
    let pending = &overview["pending"];
    assert_eq!(
        pending["unverifiable_sets"].as_array().map(Vec::len),
        Some(1),
        "{pending}"
    );
    let text =
        serde_json::to_string_pretty(&json!({"ids": ids, "answers": answers})).expect("JSON");
    std::fs::write(handover(), text).expect("the handover file is written");
}

#[tokio::test]
#[ignore = "scripts/upgrade-check runs it against the current build"]
async fn read_phase() {
    let kept: Value =
        serde_json::from_str(&std::fs::read_to_string(handover()).expect("write_phase ran first"))
            .expect("JSON");
    let ids = &kept["ids"];
    let (company, owner) = tokens(ids).await;
    let addresses = reads(ids);
    // Audit trails first: the item read below adds to its vault's trail.
    let order = (0..addresses.len()).filter(|&i| addresses[i].1.contains("audit"));
    let order: Vec<usize> = order
        .chain((0..addresses.len()).filter(|&i| !addresses[i].1.contains("audit")))
        .collect();
    for i in order {
        let (who, path) = &addresses[i];
        let got = read(who, path, &company, &owner).await;
        assert_eq!(
            got,
            kept["answers"][i].as_str().expect("text"),
            "{path} reads back differently"
        );
    }
    // The platform-sealed company key read back opens the data key it wrapped.
    let b = ids["b"].as_str().expect("b");
    let (s, plain) = decrypt(b, ids["data_key"]["wrapped"].as_str().expect("wrapped")).await;
    assert_eq!(s, 200);
    assert_eq!(
        plain,
        ids["data_key"]["plaintext"].as_str().expect("plaintext")
    );
}
