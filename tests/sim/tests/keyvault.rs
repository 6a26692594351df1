//! Key Vault data plane over HTTP.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use reqwest::Method;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Oaep, RsaPublicKey};
use serde_json::{Value, json};

const KV: &str = "/kv/contoso-kms.vault.azure.net";

fn public_key(bundle: &Value) -> RsaPublicKey {
    let n = URL_SAFE_NO_PAD
        .decode(bundle["key"]["n"].as_str().expect("n"))
        .expect("b64");
    let e = URL_SAFE_NO_PAD
        .decode(bundle["key"]["e"].as_str().expect("e"))
        .expect("b64");
    RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).expect("key")
}

#[tokio::test]
async fn challenge_names_the_vault_tenant() {
    let sim = start().await;
    let r = sim
        .http
        .get(sim.at(&format!("{KV}/keys/company-kek?api-version=7.5")))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 401);
    let challenge = r.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(
        challenge,
        format!(
            "Bearer authorization=\"https://login.windows.net/{CONTOSO}\", resource=\"https://vault.azure.net\""
        )
    );
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "Unauthorized");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("msg")
            .starts_with("AKV10000")
    );
    // Managed HSM names its own resource.
    let r = sim
        .http
        .get(sim.at("/kv/contoso-hsm.managedhsm.azure.net/keys/hsm-kek?api-version=7.5"))
        .send()
        .await
        .expect("send");
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .expect("ascii")
            .contains("https://managedhsm.azure.net")
    );
}

#[tokio::test]
async fn api_version_is_required_and_checked() {
    let sim = start().await;
    let t = sim.app_token().await;
    for q in ["", "?api-version=1.0", "?api-version="] {
        let (s, b) = sim
            .get_json(&format!("{KV}/keys/company-kek{q}"), Some(&t))
            .await;
        assert_eq!(s, 400, "{q}");
        assert_eq!(b["error"]["code"], "BadParameter");
    }
    for v in ["7.4", "7.5", "7.6", "2025-07-01"] {
        let (s, _) = sim
            .get_json(&format!("{KV}/keys/small-key?api-version={v}"), Some(&t))
            .await;
        assert_eq!(s, 200, "{v}");
    }
}

#[tokio::test]
async fn get_key_and_round_trip_wrap_unwrap() {
    let sim = start().await;
    let t = sim.app_token().await;
    let (s, bundle) = sim
        .get_json(&format!("{KV}/keys/company-kek?api-version=7.5"), Some(&t))
        .await;
    assert_eq!(s, 200);
    let kid = bundle["key"]["kid"].as_str().expect("kid").to_owned();
    assert!(kid.starts_with("https://contoso-kms.vault.azure.net/keys/company-kek/"));
    assert_eq!(kid.rsplit('/').next().map(str::len), Some(32));
    assert_eq!(bundle["key"]["kty"], "RSA");
    assert_eq!(
        bundle["attributes"]["recoveryLevel"],
        "CustomizedRecoverable+Purgeable"
    );
    let pk = public_key(&bundle);
    assert_eq!(pk.size() * 8, 4096);
    let _: keyswitch_sim::keyvault::model::KeyBundle =
        serde_json::from_value(bundle.clone()).expect("own type");

    // Wrap remotely with the versionless URI, unwrap with the versioned kid.
    let dek = [7u8; 32];
    let (s, wrapped) = sim
        .post_json(
            &format!("{KV}/keys/company-kek/wrapkey?api-version=7.5"),
            Some(&t),
            &json!({"alg": "RSA-OAEP-256", "value": URL_SAFE_NO_PAD.encode(dek)}),
        )
        .await;
    assert_eq!(s, 200, "{wrapped}");
    assert_eq!(wrapped["kid"], kid.as_str());
    let path = kid.replace("https://contoso-kms.vault.azure.net", KV);
    let (s, out) = sim
        .post_json(
            &format!("{path}/unwrapkey?api-version=7.5"),
            Some(&t),
            &json!({"alg": "RSA-OAEP-256", "value": wrapped["value"]}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(out["value"], URL_SAFE_NO_PAD.encode(dek));

    // Wrap locally with the JWK (RSA-OAEP, SHA-1), unwrap remotely; standard base64 tolerated.
    let ct = pk
        .encrypt(&mut rand::rngs::OsRng, Oaep::new::<sha1::Sha1>(), &dek)
        .expect("encrypt");
    let std_b64 = base64::engine::general_purpose::STANDARD.encode(&ct);
    let (s, out) = sim
        .post_json(
            &format!("{path}/unwrapkey?api-version=7.4"),
            Some(&t),
            &json!({"alg": "RSA-OAEP", "value": std_b64}),
        )
        .await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["value"], URL_SAFE_NO_PAD.encode(dek));
}

#[tokio::test]
async fn not_found_cases() {
    let sim = start().await;
    let t = sim.app_token().await;
    let (s, b) = sim
        .get_json(&format!("{KV}/keys/missing?api-version=7.5"), Some(&t))
        .await;
    assert_eq!(s, 404);
    assert_eq!(b["error"]["code"], "KeyNotFound");
    assert!(
        b["error"]["message"]
            .as_str()
            .expect("m")
            .starts_with("A key with (name/id) missing was not found in this key vault.")
    );
    // A secret's name is not a key.
    let (s, b) = sim
        .get_json(&format!("{KV}/keys/db-password?api-version=7.5"), Some(&t))
        .await;
    assert_eq!((s, b["error"]["code"].as_str()), (404, Some("KeyNotFound")));
    let (s, _) = sim
        .get_json(
            &format!("{KV}/keys/small-key/00000000000000000000000000000000?api-version=7.5"),
            Some(&t),
        )
        .await;
    assert_eq!(s, 404);
    // An unknown vault host does not resolve: the connection is dropped.
    let err = sim
        .http
        .get(sim.at("/kv/nope.vault.azure.net/keys/k?api-version=7.5"))
        .send()
        .await;
    assert!(err.is_err());
}

#[tokio::test]
async fn rbac_consent_role_assignment_and_revocation() {
    let sim = start().await;
    let (t, oid) = sim.connector_token(CONTOSO).await;
    let (s, b) = sim
        .get_json(&format!("{KV}/keys/company-kek?api-version=7.5"), Some(&t))
        .await;
    assert_eq!(s, 403);
    assert_eq!(b["error"]["code"], "Forbidden");
    assert_eq!(b["error"]["innererror"]["code"], "ForbiddenByRbac");
    let msg = b["error"]["message"].as_str().expect("m");
    assert!(
        msg.contains("Action: 'Microsoft.KeyVault/vaults/keys/read'")
            && msg.contains("DecisionReason: 'DeniedWithNoValidRBAC'")
    );

    // Key-scoped assignment: only that key.
    let (s, ra) = sim
        .control(Method::POST, "/vaults/contoso-kms/role-assignments", json!({"principal": "connector:Contoso", "role": "Key Vault Crypto Service Encryption User", "key": "company-kek"}))
        .await;
    assert_eq!(s, 201, "{ra}");
    assert_eq!(ra["principal_id"], oid.as_str());
    let (s, _) = sim
        .get_json(&format!("{KV}/keys/company-kek?api-version=7.5"), Some(&t))
        .await;
    assert_eq!(s, 200);
    let (s, _) = sim
        .get_json(&format!("{KV}/keys/small-key?api-version=7.5"), Some(&t))
        .await;
    assert_eq!(s, 403);
    // Crypto Service Encryption User cannot rotate.
    let (s, b) = sim
        .post_json(
            &format!("{KV}/keys/company-kek/rotate?api-version=7.5"),
            Some(&t),
            &json!({}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["innererror"]["code"].as_str()),
        (403, Some("ForbiddenByRbac"))
    );

    // Revoke.
    let (s, _) = sim
        .control(
            Method::DELETE,
            &format!(
                "/vaults/contoso-kms/role-assignments/{}",
                ra["id"].as_str().expect("id")
            ),
            json!({}),
        )
        .await;
    assert_eq!(s, 204);
    let (s, _) = sim
        .get_json(&format!("{KV}/keys/company-kek?api-version=7.5"), Some(&t))
        .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn access_policy_vault_and_model_switch() {
    let sim = start().await;
    let (t, _) = sim.connector_token(CONTOSO).await;
    let path = "/kv/legacy-kms.vault.azure.net/keys/legacy-kek?api-version=7.5";
    let (s, b) = sim.get_json(path, Some(&t)).await;
    assert_eq!(s, 403);
    assert_eq!(b["error"]["innererror"]["code"], "AccessDenied");
    assert!(
        b["error"]["message"]
            .as_str()
            .expect("m")
            .contains("does not have keys get permission on key vault 'legacy-kms")
    );
    // Switch to RBAC and assign Crypto User.
    let (s, _) = sim
        .control(
            Method::PUT,
            "/vaults/legacy-kms/permission-model",
            json!({"model": "rbac"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = sim.get_json(path, Some(&t)).await;
    assert_eq!(
        (s, b["error"]["innererror"]["code"].as_str()),
        (403, Some("ForbiddenByRbac"))
    );
    sim.control(
        Method::POST,
        "/vaults/legacy-kms/role-assignments",
        json!({"principal": "connector:Contoso", "role": "Key Vault Crypto User"}),
    )
    .await;
    let (s, _) = sim.get_json(path, Some(&t)).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn token_from_another_tenant_gets_the_challenge() {
    let sim = start().await;
    let (t, _) = sim.connector_token(FABRIKAM).await;
    let r = sim
        .http
        .get(sim.at(&format!("{KV}/keys/company-kek?api-version=7.5")))
        .bearer_auth(&t)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .expect("a")
            .contains(CONTOSO)
    );
    let b: Value = r.json().await.expect("json");
    assert!(
        b["error"]["message"]
            .as_str()
            .expect("m")
            .starts_with("AKV10032")
    );
    // A garbage token is refused the same way.
    let (s, _) = sim
        .get_json(
            &format!("{KV}/keys/company-kek?api-version=7.5"),
            Some("abc.def.ghi"),
        )
        .await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn key_states_and_types() {
    let sim = start().await;
    let t = sim.app_token().await;
    let wrap = json!({"alg": "RSA-OAEP-256", "value": URL_SAFE_NO_PAD.encode([1u8; 16])});
    for (key, inner) in [
        ("disabled-key", "KeyDisabled"),
        ("expired-key", "KeyExpired"),
        ("future-key", "KeyNotYetValid"),
    ] {
        let (s, b) = sim
            .post_json(
                &format!("{KV}/keys/{key}/wrapkey?api-version=7.5"),
                Some(&t),
                &wrap,
            )
            .await;
        assert_eq!(s, 403, "{key}");
        assert_eq!(b["error"]["code"], "Forbidden");
        assert_eq!(b["error"]["innererror"]["code"], inner);
    }
    // Unwrap keeps working after exp.
    let (_, bundle) = sim
        .get_json(&format!("{KV}/keys/expired-key?api-version=7.5"), Some(&t))
        .await;
    assert!(bundle["attributes"]["exp"].as_i64().is_some());
    let ct = public_key(&bundle)
        .encrypt(
            &mut rand::rngs::OsRng,
            Oaep::new::<sha2::Sha256>(),
            b"still-works",
        )
        .expect("enc");
    let (s, out) = sim
        .post_json(
            &format!("{KV}/keys/expired-key/unwrapkey?api-version=7.5"),
            Some(&t),
            &json!({"alg": "RSA-OAEP-256", "value": URL_SAFE_NO_PAD.encode(ct)}),
        )
        .await;
    assert_eq!(s, 200, "{out}");
    // EC keys are listed with their type, and refuse RSA wrapping.
    let (s, ec) = sim
        .get_json(&format!("{KV}/keys/ec-key?api-version=7.5"), Some(&t))
        .await;
    assert_eq!(
        (s, ec["key"]["kty"].as_str(), ec["key"]["crv"].as_str()),
        (200, Some("EC"), Some("P-256"))
    );
    let (s, b) = sim
        .post_json(
            &format!("{KV}/keys/ec-key/wrapkey?api-version=7.5"),
            Some(&t),
            &wrap,
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("BadParameter"))
    );
    let (_, hsm) = sim
        .get_json(&format!("{KV}/keys/hsm-key?api-version=7.5"), Some(&t))
        .await;
    assert_eq!(hsm["key"]["kty"], "RSA-HSM");
    // Bad bodies.
    for body in [
        json!({}),
        json!({"alg": "RSA-OAEP-256", "value": "!!!"}),
        json!({"alg": "A256KW", "value": "AA"}),
    ] {
        let (s, b) = sim
            .post_json(
                &format!("{KV}/keys/small-key/wrapkey?api-version=7.5"),
                Some(&t),
                &body,
            )
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (400, Some("BadParameter")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn rotation_keeps_old_versions() {
    let sim = start().await;
    let t = sim.app_token().await;
    sim.control(
        Method::POST,
        "/vaults/contoso-kms/role-assignments",
        json!({"principal": format!("app:{APP}"), "role": "Key Vault Crypto Officer"}),
    )
    .await;
    let (_, old) = sim
        .get_json(&format!("{KV}/keys/small-key?api-version=7.5"), Some(&t))
        .await;
    let (s, new) = sim
        .post_json(
            &format!("{KV}/keys/small-key/rotate?api-version=7.5"),
            Some(&t),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    assert_ne!(old["key"]["kid"], new["key"]["kid"]);
    let (_, latest) = sim
        .get_json(&format!("{KV}/keys/small-key?api-version=7.5"), Some(&t))
        .await;
    assert_eq!(latest["key"]["kid"], new["key"]["kid"]);
    let old_path = old["key"]["kid"]
        .as_str()
        .expect("kid")
        .replace("https://contoso-kms.vault.azure.net", KV);
    let (s, _) = sim
        .get_json(&format!("{old_path}?api-version=7.5"), Some(&t))
        .await;
    assert_eq!(s, 200);
    let (s, list) = sim
        .get_json(
            &format!("{KV}/keys/small-key/versions?api-version=7.5"),
            Some(&t),
        )
        .await;
    assert_eq!((s, list["value"].as_array().map(Vec::len)), (200, Some(2)));
}

#[tokio::test]
async fn host_header_addressing_and_other_clouds() {
    let sim = start().await;
    let t = sim.app_token().await;
    let alias = sim.running.addr.to_string();
    let (s, _) = sim
        .control(
            Method::POST,
            "/vaults/contoso-kms/aliases",
            json!({"host": alias}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = sim
        .get_json("/keys/small-key?api-version=7.5", Some(&t))
        .await;
    assert_eq!(s, 200);
    assert!(
        b["key"]["kid"]
            .as_str()
            .expect("kid")
            .starts_with(&format!("http://{alias}/keys/small-key/"))
    );
    // The canonical host in the Host header works too.
    let r = sim
        .http
        .get(sim.at("/keys/small-key?api-version=7.5"))
        .header("host", "contoso-kms.vault.azure.net")
        .bearer_auth(&t)
        .send()
        .await
        .expect("send");
    let b: Value = r.json().await.expect("json");
    assert!(
        b["key"]["kid"]
            .as_str()
            .expect("kid")
            .starts_with("https://contoso-kms.vault.azure.net/keys/")
    );
    // China and US Gov vaults answer on their hosts, with the Contoso challenge.
    for host in [
        "contoso-cn.vault.azure.cn",
        "contoso-gov.vault.usgovcloudapi.net",
    ] {
        let r = sim
            .http
            .get(sim.at(&format!("/kv/{host}/keys/company-kek?api-version=7.5")))
            .send()
            .await
            .expect("send");
        assert_eq!(r.status().as_u16(), 401, "{host}");
    }
}

#[tokio::test]
async fn throttling_answers_429_without_retry_after() {
    let sim = start().await;
    let t = sim.app_token().await;
    let (s, _) = sim
        .control(
            Method::PUT,
            "/vaults/contoso-kms/throttle",
            json!({"limit": 3}),
        )
        .await;
    assert_eq!(s, 200);
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let r = sim
            .http
            .get(sim.at(&format!("{KV}/keys/small-key?api-version=7.5")))
            .bearer_auth(&t)
            .send()
            .await
            .expect("send");
        statuses.push(r.status().as_u16());
        last = Some(r);
    }
    assert_eq!(&statuses[..3], &[200, 200, 200]);
    assert_eq!(statuses[3], 429);
    let r = last.expect("response");
    assert!(r.headers().get("retry-after").is_none());
    let b: Value = r.json().await.expect("json");
    assert_eq!(b["error"]["code"], "Throttled");
    assert!(
        b["error"]["message"]
            .as_str()
            .expect("m")
            .ends_with("Reason: VaultRequestTypeLimitReached")
    );
}

#[tokio::test]
async fn firewall_and_soft_delete_answer_like_key_vault() {
    let sim = start().await;
    let t = sim.app_token().await;
    let get = format!("{KV}/keys/company-kek?api-version=7.5");
    // The firewall refuses every call with 403 ForbiddenByFirewall.
    let (s, _) = sim
        .control(
            Method::PUT,
            "/vaults/contoso-kms/firewall",
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = sim.get_json(&get, Some(&t)).await;
    assert_eq!(s, 403, "{b}");
    assert_eq!(b["error"]["code"], "Forbidden");
    assert_eq!(b["error"]["innererror"]["code"], "ForbiddenByFirewall");
    assert!(
        b["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Client address is not authorized")),
        "{b}"
    );
    sim.control(
        Method::PUT,
        "/vaults/contoso-kms/firewall",
        json!({"enabled": false}),
    )
    .await;
    assert_eq!(sim.get_json(&get, Some(&t)).await.0, 200);
    // Soft delete: the key answers 404 KeyNotFound, the deleted-key bundle
    // names its recovery id and dates; recover brings every version back.
    let (s, d) = sim
        .control(
            Method::POST,
            "/vaults/contoso-kms/keys/company-kek/soft-delete",
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{d}");
    assert!(
        d["recoveryId"]
            .as_str()
            .is_some_and(|r| r.ends_with("/deletedkeys/company-kek")),
        "{d}"
    );
    assert!(
        d["scheduledPurgeDate"].as_i64() > d["deletedDate"].as_i64(),
        "{d}"
    );
    assert!(d["key"]["kid"].as_str().is_some(), "{d}");
    let (s, b) = sim.get_json(&get, Some(&t)).await;
    assert_eq!(s, 404, "{b}");
    assert_eq!(b["error"]["code"], "KeyNotFound");
    // It is no longer a key: deleting it again answers 404.
    let (s, _) = sim
        .control(
            Method::POST,
            "/vaults/contoso-kms/keys/company-kek/soft-delete",
            json!({}),
        )
        .await;
    assert_eq!(s, 404);
    let (s, r) = sim
        .control(
            Method::POST,
            "/vaults/contoso-kms/deleted-keys/company-kek/recover",
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["key"]["kid"], d["key"]["kid"]);
    assert_eq!(sim.get_json(&get, Some(&t)).await.0, 200);
}

/// Managed HSM local RBAC (Microsoft's `managed-hsm/role-management.md`:
/// roles assigned HSM-wide or per key, `/keys/<keyname>`): an Azure RBAC
/// Key Vault role does not reach an HSM's keys; Managed HSM Crypto User on
/// the key does, and a Key Vault does not know the HSM role.
#[tokio::test]
async fn managed_hsm_knows_only_its_local_rbac_roles() {
    let sim = start().await;
    let (t, _) = sim
        .connector_token_for(CONTOSO, "https://managedhsm.azure.net/.default")
        .await;
    let get = "/kv/contoso-hsm.managedhsm.azure.net/keys/hsm-kek?api-version=7.5";
    let (s, _) = sim
        .control(
            Method::POST,
            "/vaults/contoso-hsm/role-assignments",
            json!({"principal": "connector:Contoso", "role": "Key Vault Crypto User"}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(sim.get_json(get, Some(&t)).await.0, 403);
    let (s, _) = sim
        .control(
            Method::POST,
            "/vaults/contoso-hsm/role-assignments",
            json!({"principal": "connector:Contoso", "role": "Managed HSM Crypto User", "key": "hsm-kek"}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(sim.get_json(get, Some(&t)).await.0, 200);
    let (kv, _) = sim.connector_token(CONTOSO).await;
    let (s, _) = sim
        .control(
            Method::POST,
            "/vaults/contoso-kms/role-assignments",
            json!({"principal": "connector:Contoso", "role": "Managed HSM Crypto User"}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(
        sim.get_json(&format!("{KV}/keys/company-kek?api-version=7.5"), Some(&kv))
            .await
            .0,
        403
    );
}
