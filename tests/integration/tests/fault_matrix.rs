//! The fault-injection matrix of the finalization (issue 6 item 8, issue 18
//! item 2): every outside call the finalization makes — the inventory read,
//! the old provider's unwrap (AWS KMS, Azure), the Entra client-credentials
//! token with a cold token cache (the worker restarted first), the new wrap
//! and the verify unwrap — and the Google sign-in that verifies the last
//! tenant and so starts it, × every fault the simulator injects: 5xx, 429, a
//! dropped connection, a real timeout (the call held past the worker's 15 s
//! call timeout) and a worker restart (SIGKILL while the call is in flight).
//! One more cell adds a backup set while the final inventory read is in
//! flight: the commit is blocked until that tenant is verified.
//!
//! Every cell asserts that its fault fired (the simulator's fault counter),
//! and while the fault is active: the old provider is in force, the
//! finalization is at the step named by the row (or, for the Google row,
//! the tenant stays unverified and nothing started), and every earlier data
//! key decrypts. Afterwards the switch has completed exactly once with the
//! new key, every earlier data key decrypts, and (Azure start) the exported
//! company key bytes are unchanged.
//!
//! The matrix runs with the production key cache (`KEY_CACHE_SECONDS` 300,
//! the worker restarted with it): while the old provider itself fails (the
//! AWS and Azure unwrap rows), earlier data keys decrypt from the company
//! key the cache holds, as they would in production. The finalization
//! never uses that cache (it unwraps through the provider), and the commit
//! drops it, so the decrypts after the switch go through the new key.
//!
//! The matrix is printed and written to `artifacts/fault-matrix.md`; the test
//! fails if any cell fails. Cells run one after another: the fault rules of
//! the simulator are global.

use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::{Value, json};

/// The worker's timeout for one outside call (`edge/src/http.rs`
/// `TIMEOUT_MS`); the timeout column holds the call a second longer.
const CALL_TIMEOUT_MS: u64 = 15_000;

/// The vars the matrix runs the worker with (see the module documentation).
const VARS: &[&str] = &["KEY_CACHE_SECONDS:300"];

#[derive(Clone, Copy, PartialEq)]
enum Start {
    Platform,
    Aws,
    Azure,
}

#[derive(Clone, Copy, PartialEq)]
enum Step {
    Inventory,
    AwsDecrypt,
    AzureOldUnwrap,
    EntraToken,
    AzureWrap,
    AzureVerifyUnwrap,
    GoogleSignIn,
}

impl Step {
    const ALL: [Step; 7] = [
        Step::Inventory,
        Step::AwsDecrypt,
        Step::AzureOldUnwrap,
        Step::EntraToken,
        Step::AzureWrap,
        Step::AzureVerifyUnwrap,
        Step::GoogleSignIn,
    ];
    fn name(self) -> &'static str {
        match self {
            Step::Inventory => "inventory read",
            Step::AwsDecrypt => "old unwrap: AWS KMS Decrypt",
            Step::AzureOldUnwrap => "old unwrap: Azure unwrapkey",
            Step::EntraToken => "Entra token (cold cache)",
            Step::AzureWrap => "new wrap: Azure wrapkey",
            Step::AzureVerifyUnwrap => "verify: Azure unwrapkey",
            Step::GoogleSignIn => "Google sign-in (last tenant)",
        }
    }
    fn start(self) -> Start {
        match self {
            Step::AwsDecrypt => Start::Aws,
            Step::AzureOldUnwrap => Start::Azure,
            _ => Start::Platform,
        }
    }
    /// The finalization's step while this call is in flight or failing.
    fn progress_step(self) -> &'static str {
        match self {
            Step::Inventory => "read_inventory",
            Step::AzureVerifyUnwrap => "verify",
            _ => "wrap",
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    Status503,
    Throttle,
    Drop,
    Timeout,
    Restart,
}

impl Fault {
    const ALL: [Fault; 5] = [
        Fault::Status503,
        Fault::Throttle,
        Fault::Drop,
        Fault::Timeout,
        Fault::Restart,
    ];
    fn name(self) -> &'static str {
        match self {
            Fault::Status503 => "5xx (503)",
            Fault::Throttle => "429",
            Fault::Drop => "drop",
            Fault::Timeout => "timeout (held 16 s)",
            Fault::Restart => "worker restart",
        }
    }
    fn action(self) -> Value {
        match self {
            Fault::Status503 => json!({"kind": "status", "status": 503}),
            Fault::Throttle => json!({"kind": "throttle"}),
            Fault::Drop => json!({"kind": "drop"}),
            Fault::Timeout => json!({"kind": "latency", "ms": CALL_TIMEOUT_MS + 1_000}),
            // Holds the call long enough to kill the worker meanwhile.
            Fault::Restart => json!({"kind": "latency", "ms": 4000}),
        }
    }
    /// How many calls it hits: every call until lifted, or the one held.
    fn count(self) -> u32 {
        match self {
            Fault::Timeout | Fault::Restart => 1,
            _ => 0,
        }
    }
}

/// The fault rule's match for `step` (old and new vaults differ).
fn rule(step: Step, company: &str, old: Option<&str>, new: &World) -> Value {
    match step {
        Step::Inventory => {
            json!({"service": "redapp", "path": format!("/companies/{company}/backup-sets")})
        }
        Step::AwsDecrypt => json!({"service": "aws", "path": "/aws/kms"}),
        Step::AzureOldUnwrap => {
            let old = old.unwrap_or("none");
            json!({"service": "keyvault", "path": format!("/{old}.vault.azure.net/keys/")})
        }
        // The client-credentials token for the new vault's tenant (the
        // verification's code exchange is in the backup set's tenant).
        Step::EntraToken => {
            json!({"service": "entra", "path": format!("/{}/oauth2/v2.0/token", new.tenant)})
        }
        Step::AzureWrap => {
            json!({"service": "keyvault", "path": format!("/{}.vault.azure.net/keys/company-kek/wrapkey", new.vault)})
        }
        // The new vault's unwrap (other companies' health checks unwrap too).
        Step::AzureVerifyUnwrap => {
            json!({"service": "keyvault", "path": format!("/{}.vault.azure.net/keys/*/unwrapkey", new.vault)})
        }
        // The code exchange of the Google sign-in.
        Step::GoogleSignIn => json!({"service": "google", "path": "/oauth2/token"}),
    }
}

macro_rules! check {
    ($cond:expr, $($msg:tt)*) => {
        if !$cond {
            return Err(format!($($msg)*));
        }
    };
}

/// Waits (at most `secs`) until the fault fired.
async fn wait_fault(id: u64, secs: u64) -> Result<(), String> {
    let n = wait_fired(id, 1, secs).await;
    check!(n > 0, "the fault never fired: the call was not made");
    Ok(())
}

/// Every `(plaintext, wrapped)` data key decrypts.
async fn keys_decrypt(company: &str, keys: &[(String, String)], when: &str) -> Result<(), String> {
    for (plain, wrapped) in keys {
        let got = decrypt(company, wrapped).await;
        check!(
            got == (200, plain.clone()),
            "{when}: a data key does not decrypt: {got:?}"
        );
    }
    Ok(())
}

/// While the fault is active: the finalization runs at `step` (or, for
/// `None`, has not started), the old provider is in force and every
/// earlier data key decrypts. Returns the progress.
async fn in_force(
    company: &str,
    t: &str,
    old: &Value,
    step: Option<&str>,
    keys: &[(String, String)],
) -> Result<Value, String> {
    let (s, p) = call("GET", &format!("{}/finalize", kms(company)), Some(t), None).await;
    check!(s == 200, "progress: {s} {p}");
    check!(
        p["provider"] == *old,
        "while the fault is active the provider changed: {p}"
    );
    match step {
        Some(step) => check!(
            p["stage"] == "finalizing" && p["step"] == step,
            "while the fault is active: expected finalizing at {step}: {p}"
        ),
        None => check!(
            p["stage"] == "verifying_tenants",
            "while the fault is active: expected verifying_tenants: {p}"
        ),
    }
    keys_decrypt(company, keys, "while the fault is active").await?;
    Ok(p)
}

/// An outside failure is reported as that, never as `internal`.
fn reported(p: &Value) -> Result<String, String> {
    let code = p["last_error"]["code"].as_str().unwrap_or("?");
    check!(
        code != "internal" && code != "?",
        "the failed attempt is reported as {code}: {p}"
    );
    Ok(code.to_owned())
}

/// The company's `switch_committed` audit events.
async fn commits(company: &str, t: &str) -> usize {
    let (_, trail) = call("GET", &format!("{}/audit", kms(company)), Some(t), None).await;
    trail["events"].as_array().map_or(0, |e| {
        e.iter()
            .filter(|x| x["action"] == "switch_committed")
            .count()
    })
}

/// What a cell set up before its fault.
struct Setup {
    bs: World,
    new: World,
    company: String,
    t: String,
    keys: Vec<(String, String)>,
    old: Option<String>,
    old_provider: Value,
    exported: Option<Value>,
    commits_before: usize,
}

async fn setup(step: Step) -> Result<Setup, String> {
    let bs = world(true, 2048).await;
    let company = company_for("it-fm", &bs, step == Step::GoogleSignIn).await;
    let t = session("partner_admin", &[&company]).await;
    let mut keys = vec![data_key(&company).await];
    let mut old = None;
    let mut exported = None;
    let mut commits_before = 0;
    match step.start() {
        Start::Platform => {}
        Start::Aws => {
            let arn = moto_create_key().await;
            let (s, v) = move_to_aws(&company, &t, &arn).await;
            check!(s == 200, "move to AWS KMS: {s} {v}");
        }
        Start::Azure => {
            let done = switch_to(&company, &t, &bs, &bs).await;
            check!(done["stage"] == "done", "first switch: {done}");
            let (s, file) = export(&company, &t).await;
            check!(s == 200, "export: {s} {file}");
            exported = Some(file["key"].clone());
            commits_before = 1;
            old = Some(bs.vault.clone());
        }
    }
    // Made now, so the key cache holds the company key (see above).
    keys.push(data_key(&company).await);
    let old_provider = status_of(&company, &t).await["provider"].clone();
    let new = world(true, 2048).await;
    let saved = ready_to_verify(&company, &t, &new).await;
    check!(
        saved["kms"]["stage"] == "verifying_tenants",
        "after Save: {saved}"
    );
    if step == Step::GoogleSignIn {
        // The Microsoft 365 tenant first: the Google sign-in is the last.
        let (s, html) = verify_as(&company, &t, &m365(&bs.tenant), &bs.admin_oid, "accept").await;
        check!(s == 200, "Microsoft 365 verification: {s} {html}");
    }
    if step == Step::EntraToken {
        // A cold token cache: the worker (and its isolate) starts afresh.
        restart_worker_with(VARS);
    }
    Ok(Setup {
        bs,
        new,
        company,
        t,
        keys,
        old,
        old_provider,
        exported,
        commits_before,
    })
}

/// Starts the last verification (the finalization follows it): the
/// landing page's status and HTML, in a task.
async fn last_verification(
    x: &Setup,
    step: Step,
) -> tokio::task::JoinHandle<Option<(u16, String)>> {
    let back = if step == Step::GoogleSignIn {
        let url = begin_verify(&x.company, &x.t, &gws(GOOGLE_CUSTOMER)).await;
        sign_in(&url, &google_email("super").await, "accept").await
    } else {
        let url = begin_verify(&x.company, &x.t, &m365(&x.bs.tenant)).await;
        sign_in(&url, &x.bs.admin_oid, "accept").await
    };
    tokio::spawn(async move {
        let resp = reqwest::get(back).await.ok()?;
        let status = resp.status().as_u16();
        Some((status, resp.text().await.unwrap_or_default()))
    })
}

async fn cell(step: Step, fault: Fault) -> Result<String, String> {
    let x = setup(step).await?;
    let (company, t) = (x.company.as_str(), x.t.as_str());
    let mut spec = rule(step, company, x.old.as_deref(), &x.new);
    spec["action"] = fault.action();
    spec["count"] = json!(fault.count());
    let path = spec["path"].as_str().unwrap_or_default().to_owned();
    let seq_before = last_seq().await;
    let id = add_fault(spec).await;
    let landing = last_verification(&x, step).await;
    let google = step == Step::GoogleSignIn;
    let progress_step = (!google).then(|| step.progress_step());

    let note = match fault {
        Fault::Restart => {
            wait_fault(id, 30).await?;
            // The call is held: the old provider is in force meanwhile.
            in_force(company, t, &x.old_provider, progress_step, &x.keys).await?;
            restart_worker_with(VARS);
            let _ = landing.await;
            remove_fault(id).await;
            "killed mid-call".to_owned()
        }
        Fault::Timeout => {
            wait_fault(id, 30).await?;
            in_force(company, t, &x.old_provider, progress_step, &x.keys).await?;
            let note = if google {
                let page = landing.await.ok().flatten();
                let (s, html) = page.ok_or("no landing page")?;
                let code = landing_code(&html).unwrap_or_default();
                check!(
                    s == 503 && code == "google_unavailable",
                    "the timed-out sign-in answered {s} {code}"
                );
                format!("sign-in answered {code}")
            } else {
                // The worker gives up on the held call after its timeout:
                // the attempt fails (had it waited, it would have succeeded).
                let deadline = std::time::Instant::now()
                    + std::time::Duration::from_millis(CALL_TIMEOUT_MS + 20_000);
                let p = loop {
                    let (_, p) =
                        call("GET", &format!("{}/finalize", kms(company)), Some(t), None).await;
                    if p["attempts"].as_u64().unwrap_or(0) > 0
                        || p["stage"] == "done"
                        || std::time::Instant::now() > deadline
                    {
                        break p;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                };
                let _ = landing.await;
                if p["attempts"].as_u64().unwrap_or(0) > 0 {
                    format!("timed out: {}", reported(&p)?)
                } else {
                    // Done without a failed attempt: the client retried in
                    // the call, which it does only after giving up on the
                    // held one (had it waited, it would have used that).
                    let retried = requests_since(seq_before, &path)
                        .await
                        .iter()
                        .any(|e| e["fault"].is_null() && e["status"] == 200);
                    check!(
                        p["stage"] == "done" && retried,
                        "the held call did not time out: {p}"
                    );
                    "timed out, retried within the call".to_owned()
                }
            };
            remove_fault(id).await;
            note
        }
        Fault::Status503 | Fault::Throttle | Fault::Drop => {
            wait_fault(id, 30).await?;
            let note = if google {
                let (s, html) = landing.await.ok().flatten().ok_or("no landing page")?;
                let code = landing_code(&html).unwrap_or_default();
                check!(
                    (s == 503 && code == "google_unavailable") || (s == 429 && code == "throttled"),
                    "the failed sign-in answered {s} {code}"
                );
                in_force(company, t, &x.old_provider, None, &x.keys).await?;
                let g = pending_tenant(company, t, "google_workspace").await;
                check!(
                    g["status"]["status"] != "verified",
                    "verified while Google failed: {g}"
                );
                format!("sign-in answered {code}")
            } else {
                // Until an attempt failed (the fault stays in place).
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
                let p = loop {
                    let p = in_force(company, t, &x.old_provider, progress_step, &x.keys).await?;
                    if p["attempts"].as_u64().unwrap_or(0) > 0
                        || std::time::Instant::now() > deadline
                    {
                        break p;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
                };
                check!(
                    p["attempts"].as_u64().unwrap_or(0) > 0,
                    "no attempt failed while the fault was active: {p}"
                );
                let _ = landing.await;
                format!("attempt failed with {}", reported(&p)?)
            };
            remove_fault(id).await;
            note
        }
    };
    if google {
        // The sign-in failed (or was cut off): the admin signs in again.
        let (s, html) = verify_as(
            company,
            t,
            &gws(GOOGLE_CUSTOMER),
            &google_email("super").await,
            "accept",
        )
        .await;
        check!(s == 200, "Google verification after the fault: {s} {html}");
    }
    finished(&x).await?;
    Ok(note)
}

/// After the fault: done once with the new key, every data key decrypts,
/// and the exported bytes are unchanged.
async fn finished(x: &Setup) -> Result<(), String> {
    let (company, t) = (x.company.as_str(), x.t.as_str());
    let done = wait_stage(company, t, "done", 60).await;
    check!(done["stage"] == "done", "did not finish: {done}");
    check!(
        done["provider"]["kind"] == "azure_key_vault"
            && done["provider"]["kid"].as_str().is_some_and(|k| {
                k.starts_with(&format!("{}/keys/{}/", x.new.vault_uri, x.new.key))
            }),
        "provider: {done}"
    );
    keys_decrypt(company, &x.keys, "after the switch").await?;
    let n = commits(company, t).await;
    check!(
        n == x.commits_before + 1,
        "{n} commits (expected {})",
        x.commits_before + 1
    );
    if let Some(before) = &x.exported {
        // The completed switch opened the one-time export again.
        let (s, file) = export(company, t).await;
        check!(s == 200, "the export window did not open again: {s} {file}");
        check!(file["key"] == *before, "exported key bytes changed");
    }
    Ok(())
}

/// A backup set is added while the final inventory read is in flight: the
/// read returns it, the commit is blocked (nothing wrapped, old provider in
/// force, data keys decrypt) until its tenant is verified; then the switch
/// completes once.
async fn set_added_during_the_final_read() -> Result<String, String> {
    let x = setup(Step::Inventory).await?;
    let (company, t) = (x.company.as_str(), x.t.as_str());
    let late = world(true, 2048).await;
    let wrap = format!("/{}.vault.azure.net/keys/company-kek/wrapkey", x.new.vault);
    let wraps_before = requests_to(&wrap).await.len();
    let id = add_fault(
        json!({"service": "redapp", "path": format!("/companies/{company}/backup-sets"),
        "count": 1, "action": {"kind": "latency", "ms": 2000}}),
    )
    .await;
    let landing = last_verification(&x, Step::Inventory).await;
    wait_fault(id, 30).await?;
    in_force(company, t, &x.old_provider, Some("read_inventory"), &x.keys).await?;
    control(
        "POST",
        &format!("/companies/{company}/backup-sets"),
        Some(json!({"kind": "microsoft365", "id": "bs-late", "tenant_id": late.tenant})),
    )
    .await;
    let _ = landing.await;
    remove_fault(id).await;
    let v = status_of(company, t).await;
    check!(
        v["stage"] == "verifying_tenants",
        "the commit was not blocked: {v}"
    );
    check!(v["provider"] == x.old_provider, "provider changed: {v}");
    let listed = v["pending"]["tenants"].as_array().is_some_and(|l| {
        l.iter().any(|e| {
            e["tenant"]["tenant_id"] == late.tenant.as_str()
                && e["status"]["status"] == "unverified"
        })
    });
    check!(listed, "the set added during the read is not listed: {v}");
    check!(
        requests_to(&wrap).await.len() == wraps_before,
        "wrapped although a new tenant blocks the commit"
    );
    check!(commits(company, t).await == 0, "committed");
    keys_decrypt(company, &x.keys, "while blocked").await?;
    let (s, html) = verify_as(company, t, &m365(&late.tenant), &late.admin_oid, "accept").await;
    check!(s == 200, "verifying the late tenant: {s} {html}");
    finished(&x).await?;
    Ok("blocked until verified".to_owned())
}

#[tokio::test]
async fn finalization_survives_every_fault_at_every_step() {
    control("DELETE", "/faults", None).await;
    restart_worker_with(VARS);
    let mut results = Vec::new();
    for step in Step::ALL {
        for fault in Fault::ALL {
            let r = match tokio::spawn(cell(step, fault)).await {
                Ok(r) => r,
                Err(e) => Err(format!("panicked: {e}")),
            };
            control("DELETE", "/faults", None).await;
            println!(
                "[fault matrix] {} × {}: {}",
                step.name(),
                fault.name(),
                match &r {
                    Ok(n) => format!("pass ({n})"),
                    Err(e) => format!("FAIL: {e}"),
                }
            );
            results.push((step, fault, r));
        }
    }
    let late = match tokio::spawn(set_added_during_the_final_read()).await {
        Ok(r) => r,
        Err(e) => Err(format!("panicked: {e}")),
    };
    println!(
        "[fault matrix] backup set added during the final inventory read: {}",
        match &late {
            Ok(n) => format!("pass ({n})"),
            Err(e) => format!("FAIL: {e}"),
        }
    );
    control("DELETE", "/faults", None).await;
    // Back to the stack's own vars for the tests after this one.
    restart_worker();

    let mut md = String::from(
        "# Finalization fault matrix\n\nEach cell: the fault injected at that outside call (or the worker killed while the call is in flight) and shown to have fired; while it is active the old provider is in force, the finalization is at that step and every earlier data key decrypts; afterwards the switch completed exactly once, every earlier data key decrypts, and (Azure start) the exported company key bytes are unchanged.\n\n| step |",
    );
    for f in Fault::ALL {
        md.push_str(&format!(" {} |", f.name()));
    }
    md.push_str("\n|---|");
    for _ in Fault::ALL {
        md.push_str("---|");
    }
    for step in Step::ALL {
        md.push_str(&format!("\n| {} |", step.name()));
        for f in Fault::ALL {
            let cell = results
                .iter()
                .find(|(s, x, _)| *s == step && *x == f)
                .map(|(_, _, r)| r);
            md.push_str(&match cell {
                Some(Ok(note)) => format!(" pass: {note} |"),
                _ => " **FAIL** |".to_owned(),
            });
        }
    }
    md.push_str(&format!(
        "\n\nA backup set added while the final inventory read is in flight: {}\n",
        match &late {
            Ok(note) => format!("pass: {note}"),
            Err(_) => "**FAIL**".to_owned(),
        }
    ));
    println!("\n{md}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    // scripts/test prints this file and fails without it: a failed write fails here.
    std::fs::create_dir_all(&dir).expect("the artifacts folder");
    std::fs::write(dir.join("fault-matrix.md"), &md).expect("the matrix artifact is written");
    let mut failed: Vec<_> = results
        .iter()
        .filter_map(|(s, f, r)| {
            r.as_ref()
                .err()
                .map(|e| format!("{} × {}: {e}", s.name(), f.name()))
        })
        .collect();
    if let Err(e) = late {
        failed.push(format!("backup set added during the final read: {e}"));
    }
    assert!(failed.is_empty(), "failed cells:\n{}", failed.join("\n"));
}
