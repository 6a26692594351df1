//! Control API, RedApp inventory, faults, request log, bad input.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn inventory_shape_and_changes() {
    let sim = start().await;
    let (s, b) = sim
        .get_json("/redapp/v1/companies/acme/backup-sets", None)
        .await;
    assert_eq!(s, 200);
    let sets = b["backup_sets"].as_array().expect("sets");
    assert_eq!(sets.len(), 2);
    assert_eq!(sets[0]["kind"], "microsoft365");
    assert_eq!(sets[0]["tenant_id"], CONTOSO);
    assert_eq!(sets[1]["kind"], "google_workspace");
    assert_eq!(sets[1]["customer_id"], "C01abcdef");
    let (_, b) = sim
        .get_json("/redapp/v1/companies/unknown/backup-sets", None)
        .await;
    assert_eq!(b, json!({"backup_sets": []}));

    let (s, set) = sim
        .control(
            Method::POST,
            "/companies/acme/backup-sets",
            json!({"kind": "microsoft365", "tenant_id": FABRIKAM}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(set["tenant_name"], "Fabrikam");
    let (_, b) = sim
        .get_json("/redapp/v1/companies/acme/backup-sets", None)
        .await;
    assert_eq!(b["backup_sets"].as_array().map(Vec::len), Some(3));
    let (s, _) = sim
        .control(
            Method::DELETE,
            &format!(
                "/companies/acme/backup-sets/{}",
                set["id"].as_str().expect("id")
            ),
            json!({}),
        )
        .await;
    assert_eq!(s, 204);
    let (_, b) = sim
        .get_json("/redapp/v1/companies/acme/backup-sets", None)
        .await;
    assert_eq!(b["backup_sets"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn inventory_lists_sets_keyswitch_cannot_verify_as_given() {
    let sim = start().await;
    for (body, check) in [
        (
            json!({"kind": "dropbox", "id": "bs-dropbox", "name": "Dropbox archive"}),
            json!({"kind": "dropbox", "id": "bs-dropbox", "name": "Dropbox archive"}),
        ),
        (
            json!({"kind": "microsoft365", "id": "bs-domain", "tenant_id": "contoso.onmicrosoft.com"}),
            json!({"kind": "microsoft365", "id": "bs-domain", "tenant_id": "contoso.onmicrosoft.com"}),
        ),
        (
            json!({"kind": "google_workspace", "id": "bs-cust", "customer_id": "03az79cb", "domain": "fabrikam.example"}),
            json!({"kind": "google_workspace", "id": "bs-cust", "customer_id": "03az79cb"}),
        ),
    ] {
        let (s, set) = sim
            .control(Method::POST, "/companies/odd/backup-sets", body)
            .await;
        assert_eq!(s, 201, "{set}");
        for (k, v) in check.as_object().expect("object") {
            assert_eq!(&set[k], v, "{k} of {set}");
        }
    }
    let (_, b) = sim
        .get_json("/redapp/v1/companies/odd/backup-sets", None)
        .await;
    let sets = b["backup_sets"].as_array().expect("sets");
    let kinds: Vec<&str> = sets.iter().filter_map(|s| s["kind"].as_str()).collect();
    assert_eq!(kinds, ["dropbox", "microsoft365", "google_workspace"]);
    assert_eq!(sets[0]["id"], "bs-dropbox");
    assert_eq!(sets[1]["tenant_id"], "contoso.onmicrosoft.com");
    assert_eq!(sets[2]["customer_id"], "03az79cb");
}

#[tokio::test]
async fn faults_fire_on_the_chosen_call() {
    let sim = start().await;
    let (s, _) = sim
        .control(Method::POST, "/faults", json!({"service": "redapp", "path": "/backup-sets", "method": "GET", "nth": 2, "count": 1, "action": {"kind": "status", "status": 503}}))
        .await;
    assert_eq!(s, 201);
    let path = "/redapp/v1/companies/acme/backup-sets";
    assert_eq!(sim.get_json(path, None).await.0, 200);
    assert_eq!(sim.get_json(path, None).await.0, 503);
    assert_eq!(sim.get_json(path, None).await.0, 200);

    sim.control(
        Method::POST,
        "/faults",
        json!({"service": "keyvault", "action": {"kind": "throttle"}}),
    )
    .await;
    let (s, b) = sim
        .get_json(
            "/kv/contoso-kms.vault.azure.net/keys/small-key?api-version=7.5",
            None,
        )
        .await;
    assert_eq!((s, b["error"]["code"].as_str()), (429, Some("Throttled")));

    sim.control(
        Method::POST,
        "/faults",
        json!({"service": "entra", "action": {"kind": "drop"}}),
    )
    .await;
    let r = sim
        .http
        .post(sim.at(&format!("/entra/{CONTOSO}/oauth2/v2.0/token")))
        .body("grant_type=x")
        .send()
        .await;
    assert!(r.is_err(), "connection dropped");

    sim.control(
        Method::POST,
        "/faults",
        json!({"path": "/backup-sets", "action": {"kind": "latency", "ms": 300}}),
    )
    .await;
    let t0 = std::time::Instant::now();
    assert_eq!(sim.get_json(path, None).await.0, 200);
    assert!(t0.elapsed().as_millis() >= 300);

    let (_, f) = sim.control(Method::GET, "/faults", json!({})).await;
    assert_eq!(f["faults"].as_array().map(Vec::len), Some(4));
    let (s, _) = sim.control(Method::DELETE, "/faults", json!({})).await;
    assert_eq!(s, 204);
}

#[tokio::test]
async fn request_log_has_no_secrets() {
    let sim = start().await;
    sim.control(Method::DELETE, "/requests", json!({})).await;
    let t = sim.app_token().await;
    sim.get_json(
        &format!("/kv/contoso-kms.vault.azure.net/keys/small-key?api-version=7.5&x={t}"),
        Some(&t),
    )
    .await;
    let (_, log) = sim.control(Method::GET, "/requests", json!({})).await;
    let text = log.to_string();
    assert!(!text.contains(&t) && !text.contains(APP_SECRET));
    let entries = log["requests"].as_array().expect("entries");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["service"], "entra");
    assert_eq!(entries[1]["service"], "keyvault");
    assert_eq!(
        entries[1]["path"],
        "/kv/contoso-kms.vault.azure.net/keys/small-key"
    );
    assert_eq!(entries[1]["status"], 200);
    let (_, kv) = sim
        .get_json("/_control/requests?service=keyvault", None)
        .await;
    assert_eq!(kv["requests"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn control_builds_worlds_and_resets() {
    let sim = start().await;
    let (s, t) = sim
        .control(
            Method::POST,
            "/tenants",
            json!({"name": "Northwind", "cloud": "china"}),
        )
        .await;
    assert_eq!(s, 201);
    let tid = t["id"].as_str().expect("id").to_owned();
    // A vault trusts a tenant of its own cloud.
    let (s, _) = sim
        .control(
            Method::POST,
            "/vaults",
            json!({"name": "northwind-pub", "tenant": tid, "cloud": "public"}),
        )
        .await;
    assert_eq!(s, 400);
    let (s, u) = sim
        .control(
            Method::POST,
            "/users",
            json!({"tenant": "Northwind", "name": "Nora Admin", "roles": ["Global Administrator"]}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(u["roles"], json!(["62e90394-69f5-4237-9190-012177145e10"]));
    let (s, _) = sim.control(Method::POST, "/vaults", json!({"name": "northwind-kms", "tenant": tid, "cloud": "china", "permission_model": "access_policy"})).await;
    assert_eq!(s, 201);
    let (s, v) = sim
        .control(
            Method::POST,
            "/vaults/northwind-kms/keys",
            json!({"name": "k1", "kty": "RSA-HSM", "size": 2048, "exp": 1}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(v["host"], "northwind-kms.vault.azure.cn");
    assert_eq!(v["keys"][0]["versions"][0]["kty"], "RSA-HSM");
    let (s, app) = sim
        .control(
            Method::POST,
            "/apps",
            json!({"tenant": tid, "name": "NW app", "value": "nw-secret"}),
        )
        .await;
    assert_eq!(s, 201);
    let client = app["app"]["client_id"].as_str().expect("cid").to_owned();
    let (s, _) = sim
        .control(
            Method::PUT,
            "/vaults/northwind-kms/access-policies",
            json!({"principal": format!("app:{client}"), "keys": ["get"]}),
        )
        .await;
    assert_eq!(s, 200);
    let token = sim
        .token_in(
            "entra-china",
            &tid,
            &client,
            "nw-secret",
            "https://vault.azure.cn/.default",
        )
        .await;
    let (s, _) = sim
        .get_json(
            "/kv/northwind-kms.vault.azure.cn/keys/k1?api-version=7.6",
            Some(&token),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = sim
        .post_json(
            "/kv/northwind-kms.vault.azure.cn/keys/k1/wrapkey?api-version=7.6",
            Some(&token),
            &json!({"alg": "RSA-OAEP-256", "value": "AAAA"}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["innererror"]["code"].as_str()),
        (403, Some("AccessDenied"))
    );
    let (s, _) = sim
        .control(
            Method::PATCH,
            "/vaults/northwind-kms/keys/k1",
            json!({"enabled": false, "exp": null}),
        )
        .await;
    assert_eq!(s, 200);

    // Index page shows it all.
    let html = sim
        .http
        .get(sim.at("/"))
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("html");
    for needle in [
        "Northwind",
        "Nora Admin",
        "northwind-kms.vault.azure.cn",
        "contoso-kms",
        "company-kek",
        "acme",
        "Sam Super",
        APP_SECRET,
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    let (s, _) = sim
        .control(Method::POST, "/reset", json!({"seed": "default"}))
        .await;
    assert_eq!(s, 200);
    let (_, st) = sim.control(Method::GET, "/state", json!({})).await;
    assert!(!st.to_string().contains("Northwind"));
    let (_, _) = sim
        .control(Method::POST, "/reset", json!({"seed": "empty"}))
        .await;
    let (_, st) = sim.control(Method::GET, "/state", json!({})).await;
    assert_eq!(st["vaults"], json!([]));
    assert_eq!(st["connector"]["client_id"], CONNECTOR);
}

#[tokio::test]
async fn bad_input_gets_service_shaped_errors() {
    let sim = start().await;
    let t = sim.app_token().await;
    // Control API: JSON errors, never a panic.
    for (m, p, body) in [
        (Method::POST, "/vaults", "not json"),
        (
            Method::POST,
            "/vaults",
            "{\"name\":\"1bad--name\",\"tenant\":\"Contoso\"}",
        ),
        (
            Method::POST,
            "/vaults/contoso-kms/keys",
            "{\"name\":\"k\",\"size\":1000}",
        ),
        (
            Method::POST,
            "/faults",
            "{\"action\":{\"kind\":\"status\",\"status\":42}}",
        ),
        (
            Method::POST,
            "/users",
            "{\"tenant\":\"Contoso\",\"name\":\"x\",\"roles\":[\"Emperor\"]}",
        ),
    ] {
        let r = sim
            .http
            .request(m, sim.at(&format!("/_control{p}")))
            .body(body)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status().as_u16(), 400, "{p} {body}");
        let v: Value = r.json().await.expect("json");
        assert!(v["message"].is_string());
    }
    // Key Vault: odd paths, names, methods and bodies.
    for (m, p, body) in [
        (Method::GET, "/keys/bad_name!?api-version=7.5", ""),
        (Method::GET, "/keys/a/b/c/d/e?api-version=7.5", ""),
        (Method::DELETE, "/keys/small-key?api-version=7.5", ""),
        (
            Method::POST,
            "/keys/small-key/wrapkey?api-version=7.5",
            "\u{0}\u{1}garbage",
        ),
        (
            Method::POST,
            "/keys/small-key/unwrapkey?api-version=7.5",
            "{\"alg\":\"RSA-OAEP-256\",\"value\":\"AAAA\"}",
        ),
    ] {
        let r = sim
            .http
            .request(
                m.clone(),
                sim.at(&format!("/kv/contoso-kms.vault.azure.net{p}")),
            )
            .bearer_auth(&t)
            .body(body)
            .send()
            .await
            .expect("send");
        let s = r.status().as_u16();
        assert!((400..500).contains(&s), "{m} {p}: {s}");
        let v: Value = r.json().await.expect("json");
        assert!(v["error"]["code"].is_string(), "{p}");
    }
    // Entra pages and Google with garbage.
    let r = sim
        .http
        .get(sim.at("/entra/%00/v2.0/adminconsent?client_id=%ZZ"))
        .send()
        .await
        .expect("send");
    assert!(r.status().is_client_error());
    let r = sim
        .http
        .post(sim.at("/google/oauth2/token"))
        .body(vec![0xff, 0xfe, 0x00])
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 400);
    let (s, _) = sim.get_json("/nowhere", None).await;
    assert_eq!(s, 404);
}
