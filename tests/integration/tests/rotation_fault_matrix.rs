//! The rotation re-wrap's fault matrix (issue 14 item 4), the same faults
//! as the finalization's (`fault_matrix.rs`): every Key Vault call of the
//! re-wrap × 5xx, 429, a dropped connection and a worker killed while the
//! call is in flight. Each cell asserts that its fault fired, and while it
//! is active that the old version's kid is in force (a re-wrap under way)
//! and every earlier data key decrypts (the matrix runs with the production
//! key cache, `KEY_CACHE_SECONDS` 300, as `fault_matrix.rs` does). Afterwards
//! the company key is wrapped with the new
//! version exactly once (one `key_rewrapped`), every earlier data key
//! decrypts, and it still does with the old version disabled.
//!
//! The matrix is printed and written to `artifacts/rotation-fault-matrix.md`;
//! the test fails if any cell fails. Cells run one after another: the
//! simulator's fault rules are global.

use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::{Value, json};

#[derive(Clone, Copy)]
enum Call {
    OldUnwrap,
    NewGet,
    NewWrap,
    VerifyUnwrap,
}

impl Call {
    const ALL: [Call; 4] = [
        Call::OldUnwrap,
        Call::NewGet,
        Call::NewWrap,
        Call::VerifyUnwrap,
    ];
    fn name(self) -> &'static str {
        match self {
            Call::OldUnwrap => "unwrap with the recorded kid",
            Call::NewGet => "GET of the new version (tag)",
            Call::NewWrap => "wrap with the new version",
            Call::VerifyUnwrap => "verify: unwrap with the new version",
        }
    }
    /// The fault rule's match.
    fn rule(self, w: &World, old: &str, new: &str) -> Value {
        let keys = format!("/{}.vault.azure.net/keys/{}", w.vault, w.key);
        match self {
            Call::OldUnwrap => {
                json!({"service": "keyvault", "path": format!("{keys}/{old}/unwrapkey")})
            }
            Call::NewGet => {
                json!({"service": "keyvault", "method": "GET", "path": format!("{keys}/{new}")})
            }
            Call::NewWrap => {
                json!({"service": "keyvault", "path": format!("{keys}/{new}/wrapkey")})
            }
            Call::VerifyUnwrap => {
                json!({"service": "keyvault", "path": format!("{keys}/{new}/unwrapkey")})
            }
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
            Fault::Drop => "drop",
            Fault::Restart => "worker restart",
        }
    }
    fn action(self) -> Value {
        match self {
            Fault::Status503 => json!({"kind": "status", "status": 503}),
            Fault::Throttle => json!({"kind": "throttle"}),
            Fault::Drop => json!({"kind": "drop"}),
            Fault::Restart => json!({"kind": "latency", "ms": 4000}),
        }
    }
}

macro_rules! check {
    ($cond:expr, $($msg:tt)*) => {
        if !$cond {
            return Err(format!($($msg)*));
        }
    };
}

/// The vars the matrix runs the worker with: the production key cache, so
/// earlier data keys decrypt from the cached company key while the old
/// version's unwrap itself fails (the re-wrap never uses that cache).
const VARS: &[&str] = &["KEY_CACHE_SECONDS:300"];

/// While the fault is active: the re-wrap is under way, the recorded kid
/// is still the old version's, and every earlier data key decrypts.
async fn in_force(
    company: &str,
    t: &str,
    k1: &str,
    keys: &[(String, String)],
) -> Result<Value, String> {
    let v = status_of(company, t).await;
    check!(
        v["provider"]["kid"] == k1,
        "while the fault is active the kid changed: {v}"
    );
    check!(
        !v["rewrap"].is_null(),
        "while the fault is active no re-wrap is under way: {v}"
    );
    for (plain, wrapped) in keys {
        let got = decrypt(company, wrapped).await;
        check!(
            got == (200, plain.clone()),
            "while the fault is active a data key does not decrypt: {got:?}"
        );
    }
    Ok(v)
}

fn version_of(kid: &str) -> String {
    kid.rsplit('/').next().unwrap_or_default().to_owned()
}

async fn key_versions(w: &World) -> Vec<Value> {
    let state = control("GET", "/state", None).await;
    state["vaults"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["name"].as_str() == Some(&w.vault)))
        .and_then(|v| v["keys"].as_array())
        .and_then(|ks| ks.iter().find(|k| k["name"].as_str() == Some(&w.key)))
        .and_then(|k| k["versions"].as_array())
        .cloned()
        .unwrap_or_default()
}

async fn fired(id: u64) -> u64 {
    fault(id)
        .await
        .and_then(|r| r["fired"].as_u64())
        .unwrap_or(0)
}

async fn cell(call_at: Call, f: Fault) -> Result<String, String> {
    let w = world(true, 2048).await;
    let company = m365_company("it-rfm", &w).await;
    let t = session("company_admin", &[&company]).await;
    let done = switch_to(&company, &t, &w, &w).await;
    check!(done["stage"] == "done", "switch: {done}");
    let k1 = done["provider"]["kid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let keys = vec![data_key(&company).await, data_key(&company).await];
    control(
        "POST",
        &format!("/vaults/{}/keys/{}/rotate", w.vault, w.key),
        None,
    )
    .await;
    let k2 = key_versions(&w).await.last().map(|v| v["kid"].clone());
    let k2 = k2
        .and_then(|k| k.as_str().map(str::to_owned))
        .unwrap_or_default();
    check!(!k2.is_empty() && k2 != k1, "rotation: {k2}");
    w.bind_key(&company).await;

    let mut spec = call_at.rule(&w, &version_of(&k1), &version_of(&k2));
    spec["action"] = f.action();
    spec["count"] = json!(if matches!(f, Fault::Restart) { 1 } else { 0 });
    let id = add_fault(spec).await;

    let url = format!("{}/rewrap", kms(&company));
    let token = t.clone();
    let asked = tokio::spawn(async move { call("POST", &url, Some(&token), None).await });

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(25);
    let note;
    if matches!(f, Fault::Restart) {
        loop {
            let n = fired(id).await;
            if n > 0 || std::time::Instant::now() > deadline {
                check!(n > 0, "the call was never made");
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        // The call is held: the old version is in force meanwhile.
        in_force(&company, &t, &k1, &keys).await?;
        restart_worker_with(VARS);
        let _ = asked.await;
        note = "worker killed mid-call".into();
    } else {
        loop {
            let n = fired(id).await;
            let v = status_of(&company, &t).await;
            let failed = v["rewrap"]["attempts"].as_u64().unwrap_or(0) > 0;
            if (n > 0 && (failed || v["provider"]["kid"] == k2.as_str()))
                || std::time::Instant::now() > deadline
            {
                check!(n > 0, "the fault never fired: {v}");
                if failed {
                    let code = v["rewrap"]["last_error"]["code"].as_str().unwrap_or("?");
                    check!(
                        code != "internal" && code != "?",
                        "the failed attempt is reported as {code}: {v}"
                    );
                    // The fault is still in place.
                    in_force(&company, &t, &k1, &keys).await?;
                    note = format!("attempt failed with {code}");
                } else {
                    note = "absorbed by in-call retries".into();
                }
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        }
        remove_fault(id).await;
        let _ = asked.await;
    }
    remove_fault(id).await;

    // The alarm retries by itself.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(75);
    let v = loop {
        let v = status_of(&company, &t).await;
        if (v["provider"]["kid"] == k2.as_str() && v["rewrap"].is_null())
            || std::time::Instant::now() > deadline
        {
            break v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    };
    check!(
        v["provider"]["kid"] == k2.as_str() && v["rewrap"].is_null(),
        "did not re-wrap: {v}"
    );
    let (_, trail) = call("GET", &format!("{}/audit", kms(&company)), Some(&t), None).await;
    let commits = trail["events"]
        .as_array()
        .map(|e| e.iter().filter(|x| x["action"] == "key_rewrapped").count())
        .unwrap_or(0);
    check!(commits == 1, "{commits} re-wrap commits");
    // The old version disabled: everything still decrypts.
    control(
        "PATCH",
        &format!("/vaults/{}/keys/{}", w.vault, w.key),
        Some(json!({"version": version_of(&k1), "enabled": false})),
    )
    .await;
    for (plain, wrapped) in &keys {
        let got = decrypt(&company, wrapped).await;
        check!(
            got == (200, plain.clone()),
            "data key does not decrypt: {got:?}"
        );
    }
    Ok(note)
}

#[tokio::test]
async fn rotation_survives_every_fault_at_every_call() {
    control("DELETE", "/faults", None).await;
    restart_worker_with(VARS);
    let mut results = Vec::new();
    for c in Call::ALL {
        for f in Fault::ALL {
            let r = match tokio::spawn(cell(c, f)).await {
                Ok(r) => r,
                Err(e) => Err(format!("panicked: {e}")),
            };
            println!(
                "[rotation fault matrix] {} × {}: {}",
                c.name(),
                f.name(),
                match &r {
                    Ok(n) => format!("pass ({n})"),
                    Err(e) => format!("FAIL: {e}"),
                }
            );
            results.push((c.name(), f.name(), r));
        }
    }
    control("DELETE", "/faults", None).await;
    // Back to the stack's own vars for the tests after this one.
    restart_worker();

    let mut md = String::from(
        "# Rotation re-wrap fault matrix\n\nEach cell: the fault injected at that Key Vault call of the re-wrap (or the worker killed while the call is in flight) and shown to have fired; while it is active the old version's kid is in force and every earlier data key decrypts; afterwards the company key is wrapped with the new version exactly once, and every earlier data key decrypts with the old version disabled.\n\n| call |",
    );
    for f in Fault::ALL {
        md.push_str(&format!(" {} |", f.name()));
    }
    md.push_str("\n|---|");
    for _ in Fault::ALL {
        md.push_str("---|");
    }
    for c in Call::ALL {
        md.push_str(&format!("\n| {} |", c.name()));
        for f in Fault::ALL {
            let ok = results
                .iter()
                .find(|(x, y, _)| *x == c.name() && *y == f.name())
                .is_some_and(|(_, _, r)| r.is_ok());
            md.push_str(if ok { " pass |" } else { " **FAIL** |" });
        }
    }
    md.push('\n');
    println!("\n{md}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    // scripts/test prints this file and fails without it: a failed write fails here.
    std::fs::create_dir_all(&dir).expect("the artifacts folder");
    std::fs::write(dir.join("rotation-fault-matrix.md"), &md)
        .expect("the matrix artifact is written");
    let failed: Vec<_> = results
        .iter()
        .filter_map(|(c, f, r)| r.as_ref().err().map(|e| format!("{c} × {f}: {e}")))
        .collect();
    assert!(failed.is_empty(), "failed cells:\n{}", failed.join("\n"));
}
