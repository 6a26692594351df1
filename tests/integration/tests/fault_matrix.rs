//! The fault-injection matrix of the finalization (issue 6 item 8): every
//! outside call the finalization makes × every fault the simulator injects
//! (5xx, 429, a dropped connection) and a worker restart (SIGKILL while the
//! call is in flight). Afterwards the switch has completed exactly once, the
//! company key unwraps through the one provider in force (every earlier data
//! key decrypts; for an Azure start the exported bytes are unchanged).
//!
//! The matrix is printed and written to `artifacts/fault-matrix.md`; the test
//! fails if any cell fails. Cells run one after another: the fault rules of
//! the simulator are global.

use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::{Value, json};

#[derive(Clone, Copy, PartialEq)]
enum Start {
    Platform,
    Aws,
    Azure,
}

#[derive(Clone, Copy)]
enum Step {
    Inventory,
    AwsDecrypt,
    AzureOldUnwrap,
    AzureWrap,
    AzureVerifyUnwrap,
}

impl Step {
    const ALL: [Step; 5] = [
        Step::Inventory,
        Step::AwsDecrypt,
        Step::AzureOldUnwrap,
        Step::AzureWrap,
        Step::AzureVerifyUnwrap,
    ];
    fn name(self) -> &'static str {
        match self {
            Step::Inventory => "inventory read",
            Step::AwsDecrypt => "old unwrap: AWS KMS Decrypt",
            Step::AzureOldUnwrap => "old unwrap: Azure unwrapkey",
            Step::AzureWrap => "new wrap: Azure wrapkey",
            Step::AzureVerifyUnwrap => "verify: Azure unwrapkey",
        }
    }
    fn start(self) -> Start {
        match self {
            Step::AwsDecrypt => Start::Aws,
            Step::AzureOldUnwrap => Start::Azure,
            _ => Start::Platform,
        }
    }
}

#[derive(Clone, Copy)]
enum Fault {
    Status503,
    Throttle,
    Drop,
    Restart,
}

impl Fault {
    const ALL: [Fault; 4] = [
        Fault::Status503,
        Fault::Throttle,
        Fault::Drop,
        Fault::Restart,
    ];
    fn name(self) -> &'static str {
        match self {
            Fault::Status503 => "5xx (503)",
            Fault::Throttle => "429",
            Fault::Drop => "drop/timeout",
            Fault::Restart => "worker restart",
        }
    }
    fn action(self) -> Value {
        match self {
            Fault::Status503 => json!({"kind": "status", "status": 503}),
            Fault::Throttle => json!({"kind": "throttle"}),
            Fault::Drop => json!({"kind": "drop"}),
            // Holds the call long enough to kill the worker meanwhile.
            Fault::Restart => json!({"kind": "latency", "ms": 4000}),
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
        Step::AzureWrap => {
            json!({"service": "keyvault", "path": format!("/{}.vault.azure.net/keys/company-kek/wrapkey", new.vault)})
        }
        Step::AzureVerifyUnwrap => json!({"service": "keyvault", "path": "/unwrapkey"}),
    }
}

macro_rules! check {
    ($cond:expr, $($msg:tt)*) => {
        if !$cond {
            return Err(format!($($msg)*));
        }
    };
}

async fn cell(step: Step, fault: Fault) -> Result<String, String> {
    let bs = world(true, 2048).await;
    let company = m365_company("it-fm", &bs).await;
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
    keys.push(data_key(&company).await);
    let new = world(true, 2048).await;
    let saved = ready_to_verify(&company, &t, &new).await;
    check!(
        saved["kms"]["stage"] == "verifying_tenants",
        "after Save: {saved}"
    );

    let mut spec = rule(step, &company, old.as_deref(), &new);
    spec["action"] = fault.action();
    spec["count"] = json!(if matches!(fault, Fault::Restart) {
        1
    } else {
        0
    });
    let id = add_fault(spec).await;

    // The last tenant's verification starts the finalization.
    let url = begin_verify(&company, &t, &m365(&bs.tenant)).await;
    let back = sign_in(&url, &bs.admin_oid, "accept").await;
    let landing = tokio::spawn(async move { reqwest::get(back).await.map(|r| r.status()) });

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(25);
    let mut note = String::new();
    if matches!(fault, Fault::Restart) {
        loop {
            let fired = fault_fired(id).await;
            if fired > 0 || std::time::Instant::now() > deadline {
                check!(fired > 0, "the call was never made");
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        restart_worker();
        let _ = landing.await;
    } else {
        // Wait until the fault fired and an attempt failed (or the
        // finalization absorbed it), then lift it.
        loop {
            let fired = fault_fired(id).await;
            let (_, p) = call(
                "GET",
                &format!("{}/finalize", kms(&company)),
                Some(&t),
                None,
            )
            .await;
            let failed_once = p["attempts"].as_u64().unwrap_or(0) > 0;
            if (fired > 0 && (failed_once || p["stage"] == "done"))
                || std::time::Instant::now() > deadline
            {
                check!(fired > 0, "the fault never fired: {p}");
                if failed_once {
                    let code = p["last_error"]["code"].as_str().unwrap_or("?");
                    // An outside failure is reported as that, never "internal".
                    check!(
                        code != "internal" && code != "?",
                        "the failed attempt is reported as {code}: {p}"
                    );
                    note = format!("attempt failed with {code}");
                } else {
                    note = "absorbed by in-call retries".into();
                }
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        }
        remove_fault(id).await;
        let _ = landing.await;
    }
    remove_fault(id).await;

    let done = wait_stage(&company, &t, "done", 60).await;
    check!(done["stage"] == "done", "did not finish: {done}");
    check!(
        done["provider"]["kind"] == "azure_key_vault"
            && done["provider"]["kid"]
                .as_str()
                .is_some_and(|k| k.starts_with(&format!("{}/keys/{}/", new.vault_uri, new.key))),
        "provider: {done}"
    );
    for (plain, wrapped) in &keys {
        let got = decrypt(&company, wrapped).await;
        check!(
            got == (200, plain.clone()),
            "data key does not decrypt: {got:?}"
        );
    }
    let (_, trail) = call("GET", &format!("{}/audit", kms(&company)), Some(&t), None).await;
    let commits = trail["events"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|x| x["action"] == "switch_committed")
                .count()
        })
        .unwrap_or(0);
    check!(
        commits == commits_before + 1,
        "{commits} commits (expected {})",
        commits_before + 1
    );
    if let Some(before) = exported {
        let (s, mut file) = export(&company, &t).await;
        if s == 409 {
            call(
                "POST",
                &format!("{}/export/verification", kms(&company)),
                Some(&t),
                None,
            )
            .await;
            verify_as(&company, &t, &m365(&bs.tenant), &bs.admin_oid, "accept").await;
            file = export(&company, &t).await.1;
        }
        check!(file["key"] == before, "exported key bytes changed");
    }
    Ok(note)
}

async fn fault_fired(id: u64) -> u64 {
    fault(id)
        .await
        .and_then(|r| r["fired"].as_u64())
        .unwrap_or(0)
}

#[tokio::test]
async fn finalization_survives_every_fault_at_every_step() {
    control("DELETE", "/faults", None).await;
    let mut results = Vec::new();
    for step in Step::ALL {
        for fault in Fault::ALL {
            let r = match tokio::spawn(cell(step, fault)).await {
                Ok(r) => r,
                Err(e) => Err(format!("panicked: {e}")),
            };
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
    control("DELETE", "/faults", None).await;

    let mut md = String::from(
        "# Finalization fault matrix\n\nEach cell: the fault injected at that outside call of the finalization (or the worker killed while the call is in flight); afterwards the switch completed exactly once, every earlier data key decrypts, and (Azure start) the exported company key bytes are unchanged.\n\n| step |",
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
            let ok = results
                .iter()
                .find(|(s, x, _)| s.name() == step.name() && x.name() == f.name())
                .is_some_and(|(_, _, r)| r.is_ok());
            md.push_str(if ok { " pass |" } else { " **FAIL** |" });
        }
    }
    md.push('\n');
    println!("\n{md}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("fault-matrix.md"), &md);
    let failed: Vec<_> = results
        .iter()
        .filter_map(|(s, f, r)| {
            r.as_ref()
                .err()
                .map(|e| format!("{} × {}: {e}", s.name(), f.name()))
        })
        .collect();
    assert!(failed.is_empty(), "failed cells:\n{}", failed.join("\n"));
}
