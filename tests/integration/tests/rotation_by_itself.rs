//! Issue 14 item 4 with the health check (item 1): a rotation is taken up
//! by itself — the check's GET sees the new current version and the company
//! key is re-wrapped without anyone clicking Re-wrap now. Needs the health
//! stream's `POST …/kms/health/check` (Check now).

use keyswitch_integration::finalize_helpers::*;
use keyswitch_integration::switch_helpers::*;
use keyswitch_integration::*;
use serde_json::{Value, json};

async fn versions(vault: &str, key: &str) -> Vec<Value> {
    let state = control("GET", "/state", None).await;
    state["vaults"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["name"].as_str() == Some(vault)))
        .and_then(|v| v["keys"].as_array())
        .and_then(|ks| ks.iter().find(|k| k["name"].as_str() == Some(key)))
        .and_then(|k| k["versions"].as_array())
        .cloned()
        .unwrap_or_default()
}

async fn rotate(w: &World) -> String {
    control(
        "POST",
        &format!("/vaults/{}/keys/{}/rotate", w.vault, w.key),
        None,
    )
    .await;
    let vs = versions(&w.vault, &w.key).await;
    vs.last().expect("a version")["kid"]
        .as_str()
        .expect("kid")
        .to_owned()
}

async fn set_enabled(w: &World, kid: &str, enabled: bool) {
    let version = kid.rsplit('/').next().unwrap_or_default();
    control(
        "PATCH",
        &format!("/vaults/{}/keys/{}", w.vault, w.key),
        Some(json!({"version": version, "enabled": enabled})),
    )
    .await;
}

async fn audit(company: &str, t: &str) -> Vec<Value> {
    let (s, trail) = call("GET", &format!("{}/audit", kms(company)), Some(t), None).await;
    assert_eq!(s, 200, "{trail}");
    trail["events"].as_array().cloned().unwrap_or_default()
}

fn count(events: &[Value], action: &str) -> usize {
    events.iter().filter(|e| e["action"] == action).count()
}

async fn switched(prefix: &str) -> (World, String, String, String) {
    let w = world(true, 2048).await;
    let company = m365_company(prefix, &w).await;
    let t = session("company_admin", &[&company]).await;
    let done = switch_to(&company, &t, &w, &w).await;
    assert_eq!(done["stage"], "done", "{done}");
    let kid = done["provider"]["kid"].as_str().expect("kid").to_owned();
    (w, company, t, kid)
}

/// The health check sees the new current version and the re-wrap runs by
/// itself: nobody clicks Re-wrap now.
#[tokio::test]
async fn the_health_check_sees_a_rotation_and_the_company_key_is_re_wrapped_by_itself() {
    let (w, company, t, k1) = switched("it-rot-self").await;
    let keys = vec![data_key(&company).await];
    let k2 = rotate(&w).await;
    w.bind_key(&company).await;
    // Check now (the scheduled check does the same on its interval).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    let v = loop {
        let (s, v) = call(
            "POST",
            &format!("{}/health/check", kms(&company)),
            Some(&t),
            None,
        )
        .await;
        assert!(s == 200 || s == 429, "{s} {v}");
        let now = status_of(&company, &t).await;
        if now["provider"]["kid"] == k2.as_str() || std::time::Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert_eq!(v["provider"]["kid"], k2.as_str(), "{v}");
    assert!(v["rewrap"].is_null(), "{v}");
    let history = v["kid_history"].as_array().cloned().expect("kid history");
    assert_eq!(history[0]["kid"], k2.as_str());
    assert_eq!(history[0]["reason"], "rotation");
    assert_eq!(history[1]["kid"], k1.as_str());
    let events = audit(&company, &t).await;
    assert_eq!(count(&events, "rewrap_requested"), 0, "nobody asked");
    assert_eq!(count(&events, "key_rewrapped"), 1);
    set_enabled(&w, &k1, false).await;
    assert_data_keys(&company, &keys).await;
}
