//! Helpers for switches from every starting provider (platform, AWS KMS in
//! moto, Azure Key Vault), injected faults and worker restarts.
//!
//! Worker restart design: `start_stack` (scripts/lib.sh) writes the worker's
//! command line to `$WORKER_STATE_DIR/worker.cmd` and its process-group id to
//! `$WORKER_STATE_DIR/worker.pid`, and exports `WORKER_STATE_DIR`;
//! `scripts/restart-worker` SIGKILLs that process group (a crash, not a
//! graceful stop) and starts the same command again with the same
//! `--persist-to` state, vars and secrets; [`restart_worker`] runs it.
//! `stop_stack` stops whichever worker `worker.pid` names last.

use serde_json::{Value, json};

use crate::finalize_helpers::{
    begin_verify, company_for, decrypt, m365, ready_to_verify, sign_in, wait_stage,
};
use crate::{World, call, control, get_page, kms, status_of};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// moto's base URL (`MOTO_URL`, exported by `start_stack`).
///
/// # Panics
/// When `MOTO_URL` is not set.
#[must_use]
pub fn moto_url() -> String {
    std::env::var("MOTO_URL")
        .expect("MOTO_URL is not set: run through scripts/test")
        .trim_end_matches('/')
        .to_owned()
}

/// Creates a symmetric KMS key in moto (directly, not through the
/// simulator's proxy, so fault rules never touch it); returns its ARN.
pub async fn moto_create_key() -> String {
    let resp = http()
        .post(format!("{}/", moto_url()))
        .header("Content-Type", "application/x-amz-json-1.1")
        .header("X-Amz-Target", "TrentService.CreateKey")
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIAKEYSWITCHTEST/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(json!({"Description": "keyswitch test key", "KeyUsage": "ENCRYPT_DECRYPT"}).to_string())
        .send()
        .await
        .expect("moto answers");
    assert!(resp.status().is_success(), "CreateKey: {}", resp.status());
    let v: Value = serde_json::from_str(&resp.text().await.unwrap_or_default()).expect("json");
    v["KeyMetadata"]["Arn"].as_str().expect("an ARN").to_owned()
}

/// `POST …/kms/aws-kms {key_id}` as `token`: `(status, body)`.
pub async fn move_to_aws(company: &str, token: &str, key_id: &str) -> (u16, Value) {
    call(
        "POST",
        &format!("{}/aws-kms", kms(company)),
        Some(token),
        Some(json!({ "key_id": key_id })),
    )
    .await
}

/// Verifies every listed tenant that is not verified yet (Microsoft 365
/// tenants only: `w` is the backup set's tenant) as `w`'s admin; returns the
/// last landing page status (200 when nothing was left).
pub async fn verify_remaining(company: &str, token: &str, w: &World) -> u16 {
    let v = status_of(company, token).await;
    let mut last = 200;
    for t in v["pending"]["tenants"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        if t["status"]["status"] != "verified" {
            let url = begin_verify(company, token, &m365(&w.tenant)).await;
            let back = sign_in(&url, &w.admin_oid, "accept").await;
            last = get_page(&back).await.0;
        }
    }
    last
}

/// A company with one Microsoft 365 backup set in `w`'s tenant.
pub async fn m365_company(prefix: &str, w: &World) -> String {
    company_for(prefix, w, false).await
}

/// Runs a whole switch of `company` to `to`'s key (backup set tenant in
/// `bs`) and waits for `done`; returns the final status.
pub async fn switch_to(company: &str, token: &str, to: &World, bs: &World) -> Value {
    let saved = ready_to_verify(company, token, to).await;
    assert!(
        ["verifying_tenants", "finalizing", "done"]
            .contains(&saved["kms"]["stage"].as_str().unwrap_or_default()),
        "{saved}"
    );
    if saved["kms"]["stage"] == "verifying_tenants" {
        assert_eq!(verify_remaining(company, token, bs).await, 200);
    }
    wait_stage(company, token, "done", 60).await
}

/// The one-time export's key (base64), or the refusal.
pub async fn export(company: &str, token: &str) -> (u16, Value) {
    call(
        "POST",
        &format!("{}/export", kms(company)),
        Some(token),
        None,
    )
    .await
}

/// Asserts every `(plaintext, wrapped)` data key still decrypts.
pub async fn assert_data_keys(company: &str, keys: &[(String, String)]) {
    for (plain, wrapped) in keys {
        assert_eq!(
            decrypt(company, wrapped).await,
            (200, plain.clone()),
            "data key {wrapped}"
        );
    }
}

/// Adds a fault rule; returns its id.
pub async fn add_fault(spec: Value) -> u64 {
    control("POST", "/faults", Some(spec)).await["id"]
        .as_u64()
        .expect("a rule id")
}

/// The fault rule `id` (with `seen` and `fired`), if still there.
pub async fn fault(id: u64) -> Option<Value> {
    control("GET", "/faults", None).await["faults"]
        .as_array()
        .and_then(|r| r.iter().find(|x| x["id"] == id).cloned())
}

/// Removes a fault rule.
pub async fn remove_fault(id: u64) {
    let _ = http()
        .delete(format!("{}/_control/faults/{id}", crate::sim_url()))
        .send()
        .await;
}

/// Kills the running worker (SIGKILL) and starts it again with the same
/// state; returns once it answers. See the module documentation.
///
/// # Panics
/// When the restart fails.
pub fn restart_worker() {
    restart_worker_with(&[]);
}

/// [`restart_worker`] with `vars` (`NAME:value`) overriding the stack's
/// (until the next restart).
///
/// # Panics
/// When the restart fails.
pub fn restart_worker_with(vars: &[&str]) {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/restart-worker");
    let args = vars.iter().flat_map(|v| ["--var", v]);
    let out = std::process::Command::new(script)
        .args(args)
        .status()
        .expect("scripts/restart-worker runs");
    assert!(out.success(), "scripts/restart-worker failed: {out}");
}

/// The simulator's request log entries (oldest first) whose path contains
/// `path_part` (a `*` in it stands for any run of characters, as in a fault
/// rule): `seq`, `at_ms`, `service`, `method`, `path`, `status` (0:
/// dropped), `fault` (the injected fault, if any).
pub async fn requests_to(path_part: &str) -> Vec<Value> {
    let matches = |path: &str| {
        let mut rest = path;
        path_part.split('*').all(|part| match rest.find(part) {
            Some(i) => {
                rest = &rest[i + part.len()..];
                true
            }
            None => false,
        })
    };
    control("GET", "/requests", None).await["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e["path"].as_str().is_some_and(matches))
        .collect()
}

/// The simulator's last request log sequence number (0 when empty).
pub async fn last_seq() -> u64 {
    control("GET", "/requests", None).await["requests"]
        .as_array()
        .and_then(|l| l.last())
        .and_then(|e| e["seq"].as_u64())
        .unwrap_or(0)
}

/// The request log entries after `seq` whose path contains `path_part`.
pub async fn requests_since(seq: u64, path_part: &str) -> Vec<Value> {
    requests_to(path_part)
        .await
        .into_iter()
        .filter(|e| e["seq"].as_u64().unwrap_or(0) > seq)
        .collect()
}

/// How often the fault rule `id` fired (0 when the rule is gone).
pub async fn fired(id: u64) -> u64 {
    fault(id)
        .await
        .and_then(|r| r["fired"].as_u64())
        .unwrap_or(0)
}

/// Waits (at most `secs`) until the fault rule `id` fired `n` times;
/// returns how often it fired.
pub async fn wait_fired(id: u64, n: u64, secs: u64) -> u64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let f = fired(id).await;
        if f >= n || std::time::Instant::now() > deadline {
            return f;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A switch saved and waiting on its one tenant: what [`saved_switch`] set up.
pub struct SavedSwitch {
    /// The vault and the backup set's tenant (one world for both).
    pub w: World,
    /// The company.
    pub company: String,
    /// A Partner Admin's session for it.
    pub t: String,
    /// A data key made before the switch: `(plaintext, wrapped)`.
    pub keys: Vec<(String, String)>,
    /// The status before the switch started.
    pub before: Value,
    /// The path of the new key's versionless wrap (the finalization's wrap).
    pub wrap: String,
}

/// A company with one Microsoft 365 backup set in a fresh world, a data key,
/// and a switch to the world's key saved (`verifying_tenants`): verifying
/// the one tenant ([`SavedSwitch::verify_back`]) starts the finalization.
pub async fn saved_switch(prefix: &str) -> SavedSwitch {
    let w = World::new_rbac().await;
    let company = m365_company(prefix, &w).await;
    let t = crate::session("partner_admin", &[&company]).await;
    let keys = vec![crate::finalize_helpers::data_key(&company).await];
    let before = status_of(&company, &t).await;
    let saved = ready_to_verify(&company, &t, &w).await;
    assert_eq!(saved["kms"]["stage"], "verifying_tenants", "{saved}");
    let wrap = format!("/{}.vault.azure.net/keys/company-kek/wrapkey", w.vault);
    SavedSwitch {
        w,
        company,
        t,
        keys,
        before,
        wrap,
    }
}

impl SavedSwitch {
    /// The admin's sign-in verifying the tenant: the callback URL, which
    /// (opened) verifies it and starts the finalization.
    pub async fn verify_back(&self) -> String {
        let url = begin_verify(&self.company, &self.t, &m365(&self.w.tenant)).await;
        sign_in(&url, &self.w.admin_oid, "accept").await
    }
}

impl World {
    /// A fresh world with an RBAC vault and an RSA 2048 key.
    pub async fn new_rbac() -> World {
        crate::world(true, 2048).await
    }
}
