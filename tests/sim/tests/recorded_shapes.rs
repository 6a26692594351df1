//! The simulator against recorded Azure traffic (issue 16 item 2): each
//! test names its source. The sources are listed with their evidence in
//! `../shared/docs/reviews/fidelity-607aafe.md` and PROTOCOLS.md.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use reqwest::Method;
use rsa::{BigUint, Oaep, RsaPublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const KV: &str = "/kv/contoso-kms.vault.azure.net";
const CN: &str = "/kv/contoso-cn.vault.azure.cn";
const GOV: &str = "/kv/contoso-gov.vault.usgovcloudapi.net";
const HSM: &str = "/kv/contoso-hsm.managedhsm.azure.net";
const CONTOSO_CHINA: &str = keyswitch_sim::seed::CONTOSO_CHINA;
const CONTOSO_USGOV: &str = keyswitch_sim::seed::CONTOSO_USGOV;
const CONNECTOR_CHINA: &str = keyswitch_sim::config::DEFAULT_CONNECTOR_CLIENT_ID_CHINA;
const CONNECTOR_USGOV: &str = keyswitch_sim::config::DEFAULT_CONNECTOR_CLIENT_ID_USGOV;

fn public_key(bundle: &Value) -> RsaPublicKey {
    let part = |k: &str| {
        BigUint::from_bytes_be(
            &URL_SAFE_NO_PAD
                .decode(bundle["key"][k].as_str().expect(k))
                .expect("b64"),
        )
    };
    RsaPublicKey::new(part("n"), part("e")).expect("key")
}

fn claims(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).expect("claims part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("b64")).expect("json")
}

async fn challenge(sim: &Sim, path: &str) -> (u16, String, String) {
    let r = sim
        .http
        .get(sim.at(&format!("{path}?api-version=7.5")))
        .send()
        .await
        .expect("send");
    let status = r.status().as_u16();
    let header = r
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, header, r.text().await.expect("body"))
}

/// Source: azure-security-docs `keys/about-keys-details.md`, "Date-time
/// controlled operations": "Not-yet-valid and expired keys, outside the
/// nbf/exp window, work for decrypt, release, unwrap, and verify operations";
/// wrap is refused.
#[tokio::test]
async fn unwrap_works_on_a_not_yet_valid_key_as_on_an_expired_one() {
    let sim = start().await;
    let t = sim.app_token().await;
    for key in ["future-key", "expired-key"] {
        let (_, bundle) = sim
            .get_json(&format!("{KV}/keys/{key}?api-version=7.5"), Some(&t))
            .await;
        let ct = public_key(&bundle)
            .encrypt(&mut rand::rngs::OsRng, Oaep::new::<Sha256>(), b"kek")
            .expect("enc");
        let (s, out) = sim
            .post_json(
                &format!("{KV}/keys/{key}/unwrapkey?api-version=7.5"),
                Some(&t),
                &json!({"alg": "RSA-OAEP-256", "value": URL_SAFE_NO_PAD.encode(ct)}),
            )
            .await;
        assert_eq!(s, 200, "{key}: {out}");
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(out["value"].as_str().expect("value"))
                .expect("b64"),
            b"kek"
        );
        let (s, b) = sim
            .post_json(
                &format!("{KV}/keys/{key}/wrapkey?api-version=7.5"),
                Some(&t),
                &json!({"alg": "RSA-OAEP-256", "value": "AAAA"}),
            )
            .await;
        assert_eq!(s, 403, "{key}: {b}");
    }
}

/// Sources: hashicorp/terraform-provider-azurerm#20742 and
/// Azure/sap-automation#245 ("Client address is not authorized and caller is
/// not a trusted service.\r\nClient address: …"), the Azure Container Apps
/// troubleshooting doc ("Public network access is disabled …", "Request was
/// not allowed by NSP rules …"); inner `ForbiddenByFirewall` in all three.
#[tokio::test]
async fn firewall_answers_each_recorded_body() {
    let sim = start().await;
    let t = sim.app_token().await;
    let get = format!("{KV}/keys/company-kek?api-version=7.5");
    for (variant, start) in [
        (
            "client_address",
            "Client address is not authorized and caller is not a trusted service.\r\nClient address: ",
        ),
        (
            "public_network_disabled",
            "Public network access is disabled and request is not from a trusted service nor via an approved private link.\r\nCaller: appid=",
        ),
        (
            "perimeter",
            "Request was not allowed by NSP rules and the client address is not authorized and caller was ignored because bypass is set to None\r\nClient address: ",
        ),
    ] {
        let (s, v) = sim
            .control(
                Method::PUT,
                "/vaults/contoso-kms/firewall",
                json!({"enabled": true, "variant": variant}),
            )
            .await;
        assert_eq!((s, v["variant"].as_str()), (200, Some(variant)));
        let (s, b) = sim.get_json(&get, Some(&t)).await;
        assert_eq!(s, 403, "{variant}");
        assert_eq!(b["error"]["code"], "Forbidden");
        assert_eq!(b["error"]["innererror"]["code"], "ForbiddenByFirewall");
        let m = b["error"]["message"].as_str().expect("message");
        assert!(m.starts_with(start), "{variant}: {m:?}");
        assert!(
            m.contains("\r\nVault: contoso-kms;location=westeurope"),
            "{m:?}"
        );
    }
    let (s, _) = sim
        .control(
            Method::PUT,
            "/vaults/contoso-kms/firewall",
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(sim.get_json(&get, Some(&t)).await.0, 200);
    // A bad variant is refused and changes nothing.
    let (s, _) = sim
        .control(
            Method::PUT,
            "/vaults/contoso-kms/firewall",
            json!({"enabled": true, "variant": "nope"}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(sim.get_json(&get, Some(&t)).await.0, 200);
}

/// Source: azure-sdk-for-go / azure-sdk-for-cpp `sdk/keyvault/TROUBLESHOOTING.md`,
/// "Access Denied to First Party Service": 403 "Access denied to first party
/// service. …" — the inner code `AccessDenied` is the access-policy one.
#[tokio::test]
async fn first_party_only_vault_answers_access_denied_to_first_party_service() {
    let sim = start().await;
    let t = sim.app_token().await;
    let (s, _) = sim
        .control(
            Method::PUT,
            "/vaults/contoso-kms/first-party-only",
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = sim
        .get_json(&format!("{KV}/keys/company-kek?api-version=7.5"), Some(&t))
        .await;
    assert_eq!(s, 403);
    assert_eq!(b["error"]["code"], "Forbidden");
    assert_eq!(b["error"]["innererror"]["code"], "AccessDenied");
    assert!(
        b["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Access denied to first party service.")),
        "{b}"
    );
}

/// Sources: azure-sdk-for-js Key Vault recordings (public vault:
/// `Bearer authorization="https://login.windows.net/<tid>",
/// resource="https://vault.azure.net"`, JSON body AKV10000); the Managed HSM
/// recording `recording_can_create_an_oct_key_with_options.json` (401 with an
/// **empty** body, `authorization="https://login.microsoftonline.com/<tid>"`,
/// `resource="https://managedhsm.azure.net"`); the sovereign resources from
/// the SDK environment tables (go-autorest `environments.go`:
/// `https://vault.azure.cn`, `https://vault.usgovcloudapi.net`).
#[tokio::test]
async fn challenge_is_cloud_and_kind_aware() {
    let sim = start().await;
    let (s, h, body) = challenge(&sim, &format!("{KV}/keys/company-kek")).await;
    assert_eq!(s, 401);
    assert_eq!(
        h,
        format!(
            "Bearer authorization=\"https://login.windows.net/{CONTOSO}\", resource=\"https://vault.azure.net\""
        )
    );
    assert_eq!(
        body,
        r#"{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}}"#
    );
    let (s, h, body) = challenge(&sim, &format!("{HSM}/keys/hsm-kek")).await;
    assert_eq!(s, 401);
    assert_eq!(
        h,
        format!(
            "Bearer authorization=\"https://login.microsoftonline.com/{CONTOSO}\", resource=\"https://managedhsm.azure.net\""
        )
    );
    assert_eq!(body, "", "a Managed HSM's 401 has an empty body");
    let (s, h, _) = challenge(&sim, &format!("{CN}/keys/company-kek")).await;
    assert_eq!(s, 401);
    assert_eq!(
        h,
        format!(
            "Bearer authorization=\"https://login.chinacloudapi.cn/{CONTOSO_CHINA}\", resource=\"https://vault.azure.cn\""
        )
    );
    let (s, h, _) = challenge(&sim, &format!("{GOV}/keys/company-kek")).await;
    assert_eq!(s, 401);
    assert_eq!(
        h,
        format!(
            "Bearer authorization=\"https://login.microsoftonline.us/{CONTOSO_USGOV}\", resource=\"https://vault.usgovcloudapi.net\""
        )
    );
}

/// Source: PROTOCOLS.md (corrected 2026-11-30) and the SDK environment
/// tables: each sovereign cloud has its own authority, its own token
/// resource and its own app registrations; "a connector registered in the
/// public cloud cannot get tokens there". Entra's AADSTS90002 ("… signing
/// into the correct cloud") and AADSTS500011 texts from reference-error-codes.md.
#[tokio::test]
async fn each_cloud_has_its_authority_audience_and_connector() {
    let sim = start().await;
    for (authority, tenant, connector, secret, scope, vault) in [
        (
            "entra-china",
            CONTOSO_CHINA,
            CONNECTOR_CHINA,
            "dev-connector-secret-china",
            "https://vault.azure.cn/.default",
            CN,
        ),
        (
            "entra-usgov",
            CONTOSO_USGOV,
            CONNECTOR_USGOV,
            "dev-connector-secret-usgov",
            "https://vault.usgovcloudapi.net/.default",
            GOV,
        ),
    ] {
        // The public authority does not know the sovereign tenant, and the
        // sovereign authority does not know Contoso's public tenant.
        let (s, b) = sim
            .cc_in("entra", tenant, CONNECTOR, "dev-connector-secret", scope)
            .await;
        assert_eq!((s, b["error_codes"][0].as_u64()), (400, Some(90002)), "{b}");
        let (s, b) = sim
            .cc_in(authority, CONTOSO, connector, secret, scope)
            .await;
        assert_eq!((s, b["error_codes"][0].as_u64()), (400, Some(90002)), "{b}");
        // The public connector's registration does not exist there.
        let (s, _) = sim
            .control(Method::POST, "/consents", json!({"tenant": tenant}))
            .await;
        assert_eq!(s, 201);
        let (s, b) = sim
            .cc_in(authority, tenant, CONNECTOR, "dev-connector-secret", scope)
            .await;
        assert_eq!(
            (s, b["error_codes"][0].as_u64()),
            (400, Some(700016)),
            "{b}"
        );
        // The cloud's own connector gets a token with that cloud's audience.
        let (s, b) = sim.cc_in(authority, tenant, connector, secret, scope).await;
        assert_eq!(s, 200, "{b}");
        let token = b["access_token"].as_str().expect("token").to_owned();
        let c = claims(&token);
        assert_eq!(c["aud"].as_str(), scope.strip_suffix("/.default"));
        assert_eq!(c["tid"], tenant);
        // A public-cloud resource is unknown to a sovereign authority.
        let (s, b) = sim
            .cc_in(
                authority,
                tenant,
                connector,
                secret,
                "https://vault.azure.net/.default",
            )
            .await;
        assert_eq!(
            (s, b["error_codes"][0].as_u64()),
            (400, Some(500011)),
            "{b}"
        );
        // The vault accepts the token (the role decides the rest) ...
        let (_, sp) = sim.control(Method::GET, "/state", json!({})).await;
        let oid = sp["service_principals"]
            .as_array()
            .expect("sps")
            .iter()
            .find(|p| p["app_id"] == connector && p["tenant_id"] == tenant)
            .expect("service principal")["object_id"]
            .as_str()
            .expect("oid")
            .to_owned();
        let vault_name = vault
            .trim_start_matches("/kv/")
            .split('.')
            .next()
            .expect("name");
        let (s, _) = sim
            .control(
                Method::POST,
                &format!("/vaults/{vault_name}/role-assignments"),
                json!({"principal_id": oid, "role": "Key Vault Crypto User"}),
            )
            .await;
        assert_eq!(s, 201);
        let (s, b) = sim
            .get_json(
                &format!("{vault}/keys/company-kek?api-version=7.5"),
                Some(&token),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        // ... and refuses a public-cloud token for the same tenant id's vault
        // with AKV10022 (wrong audience): the public Contoso token.
        let public = sim.connector_token(CONTOSO).await.0;
        let (s, _) = sim
            .get_json(
                &format!("{vault}/keys/company-kek?api-version=7.5"),
                Some(&public),
            )
            .await;
        assert_eq!(s, 401);
    }
    // The public authority refuses the sovereign resources too.
    let (s, b) = sim
        .cc_in(
            "entra",
            CONTOSO,
            APP,
            APP_SECRET,
            "https://vault.azure.cn/.default",
        )
        .await;
    assert_eq!(
        (s, b["error_codes"][0].as_u64()),
        (400, Some(500011)),
        "{b}"
    );
    // Discovery names the cloud's own issuer.
    let (s, d) = sim
        .get_json(
            &format!("/entra-china/{CONTOSO_CHINA}/v2.0/.well-known/openid-configuration"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        d["issuer"],
        format!("{}/entra-china/{CONTOSO_CHINA}/v2.0", sim.url)
    );
}

/// Source: azure-sdk-for-net#11518 (live 2020, also the go SDK's
/// TROUBLESHOOTING.md) for `KeyOperationForbidden`; the RBAC body from live
/// pastes (reviews/fidelity-607aafe.md §1.9) ends `…;location=eastus\r\n`.
#[tokio::test]
async fn rbac_and_key_operation_refusals_have_the_recorded_texts() {
    let sim = start().await;
    let (t, _) = sim.connector_token(CONTOSO).await;
    let (s, b) = sim
        .get_json(&format!("{KV}/keys/company-kek?api-version=7.5"), Some(&t))
        .await;
    assert_eq!(s, 403);
    let m = b["error"]["message"].as_str().expect("message");
    assert!(
        m.ends_with(
            "DecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: contoso-kms;location=westeurope\r\n"
        ),
        "{m:?}"
    );
    let app = sim.app_token().await;
    let (s, _) = sim
        .control(
            Method::PATCH,
            "/vaults/contoso-kms/keys/small-key",
            json!({"key_ops": ["encrypt", "decrypt"]}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = sim
        .post_json(
            &format!("{KV}/keys/small-key/wrapkey?api-version=7.5"),
            Some(&app),
            &json!({"alg": "RSA-OAEP-256", "value": "AAAA"}),
        )
        .await;
    assert_eq!(s, 403);
    assert_eq!(
        b,
        json!({"error": {"code": "Forbidden", "message": "Operation wrapKey is not permitted on this key.", "innererror": {"code": "KeyOperationForbidden"}}})
    );
}

/// Sources: bad or empty `alg` — Azure/azure-sdk-for-go#2060 and terraform /
/// java logs: 400 `BadParameter` "Property  has invalid value\r\n"; a
/// ciphertext the key cannot decrypt — MicrosoftDocs/azure-docs#111368 and
/// #39976, Azure/azure-sdk-for-net#36269 ("Error occurred while decoding
/// OAEP padding."), pulumi/pulumi#22338 ("Unable to decrypt specified value
/// with this key."); a value that is not base64url — bruj0/vault-recovery-key#20.
#[tokio::test]
async fn bad_algorithm_and_undecryptable_ciphertext_have_the_recorded_texts() {
    let sim = start().await;
    let t = sim.app_token().await;
    let unwrap = format!("{KV}/keys/small-key/unwrapkey?api-version=7.5");
    for alg in ["A256KW", ""] {
        let (s, b) = sim
            .post_json(&unwrap, Some(&t), &json!({"alg": alg, "value": "AAAA"}))
            .await;
        assert_eq!(
            (s, b),
            (
                400,
                json!({"error": {"code": "BadParameter", "message": "Property  has invalid value\r\n"}})
            ),
            "{alg:?}"
        );
    }
    // A ciphertext of the right length from another key.
    let (_, other) = sim
        .get_json(&format!("{KV}/keys/hsm-key?api-version=7.5"), Some(&t))
        .await;
    let foreign = public_key(&other)
        .encrypt(&mut rand::rngs::OsRng, Oaep::new::<Sha256>(), b"x")
        .expect("enc");
    for (alg, text) in [
        (
            "RSA-OAEP-256",
            "Error occurred while decoding OAEP padding.",
        ),
        ("RSA-OAEP", "Error occurred while decoding OAEP padding."),
        ("RSA1_5", "Unable to decrypt specified value with this key."),
    ] {
        let (s, b) = sim
            .post_json(
                &unwrap,
                Some(&t),
                &json!({"alg": alg, "value": URL_SAFE_NO_PAD.encode(&foreign)}),
            )
            .await;
        assert_eq!(
            (s, b),
            (
                400,
                json!({"error": {"code": "BadParameter", "message": text}})
            ),
            "{alg}"
        );
    }
    let (s, b) = sim
        .post_json(
            &unwrap,
            Some(&t),
            &json!({"alg": "RSA-OAEP-256", "value": "!!!"}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["message"].as_str()),
        (400, Some("Content of 'value' is not base64url.\r\n"))
    );
}

/// Unconfirmed shape, both tested (reviews/fidelity-607aafe.md §1.1): GET of
/// a disabled key answers 200 with `enabled:false` (ratify#1474's client-side
/// check implies it) or 403 `KeyDisabled` (the shape of the recorded
/// disabled-secret answer, Azure/azure-sdk-java#17991).
#[tokio::test]
async fn disabled_key_get_toggle() {
    let sim = start().await;
    let t = sim.app_token().await;
    let get = format!("{KV}/keys/disabled-key?api-version=7.5");
    let (s, b) = sim.get_json(&get, Some(&t)).await;
    assert_eq!(
        (s, b["attributes"]["enabled"].as_bool()),
        (200, Some(false))
    );
    let (s, v) = sim
        .control(
            Method::PUT,
            "/toggles",
            json!({"disabled_key_get_forbidden": true}),
        )
        .await;
    assert_eq!(
        (s, v["disabled_key_get_forbidden"].as_bool()),
        (200, Some(true))
    );
    let (s, b) = sim.get_json(&get, Some(&t)).await;
    assert_eq!(
        (s, b),
        (
            403,
            json!({"error": {"code": "Forbidden", "message": "Operation get is not allowed on a disabled key.", "innererror": {"code": "KeyDisabled"}}})
        )
    );
    // An enabled key is unaffected; unknown toggles are refused.
    assert_eq!(
        sim.get_json(&format!("{KV}/keys/small-key?api-version=7.5"), Some(&t))
            .await
            .0,
        200
    );
    let (s, _) = sim
        .control(Method::PUT, "/toggles", json!({"nope": true}))
        .await;
    assert_eq!(s, 400);
    let (s, _) = sim
        .control(Method::POST, "/reset", json!({"seed": "default"}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(sim.get_json(&get, Some(&t)).await.0, 200);
}

/// Unconfirmed shape, toggled (Entra's access-token claims reference: `wids`
/// is present only when the app manifest's `groupMembershipClaims` is
/// `DirectoryRole` or `All`): the connector's ID tokens with and without it.
#[tokio::test]
async fn id_token_without_wids_toggle() {
    let sim = start().await;
    let (_, state) = sim.control(Method::GET, "/state", json!({})).await;
    let adele = state["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["upn"] == "adele@contoso.onmicrosoft.com")
        .expect("adele")["oid"]
        .as_str()
        .expect("oid")
        .to_owned();
    let id_token = |sim: &Sim, adele: String| {
        let verifier = "v".repeat(50);
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let sim_url = sim.url.clone();
        let http = sim.http.clone();
        async move {
            let path = format!("{sim_url}/entra/organizations/oauth2/v2.0/authorize");
            let form = [
                ("client_id", CONNECTOR),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT),
                ("scope", "openid profile"),
                ("state", "s"),
                ("nonce", "n"),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
                ("user", adele.as_str()),
                ("action", "accept"),
            ];
            let r = http.post(&path).form(&form).send().await.expect("send");
            let code = param(&location_params(&r), "code")
                .expect("code")
                .to_owned();
            let r = http
                .post(format!("{sim_url}/entra/organizations/oauth2/v2.0/token"))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("client_id", CONNECTOR),
                    ("client_secret", "dev-connector-secret"),
                    ("redirect_uri", REDIRECT),
                    ("code", code.as_str()),
                    ("code_verifier", verifier.as_str()),
                ])
                .send()
                .await
                .expect("send");
            let b: Value = r.json().await.expect("json");
            claims(b["id_token"].as_str().expect("id_token"))
        }
    };
    let with = id_token(&sim, adele.clone()).await;
    assert!(
        with["wids"].as_array().is_some_and(|w| !w.is_empty()),
        "{with}"
    );
    let (s, c) = sim
        .control(
            Method::PATCH,
            "/connectors/public",
            json!({"wids_claim": false}),
        )
        .await;
    assert_eq!((s, c["wids_claim"].as_bool()), (200, Some(false)));
    let without = id_token(&sim, adele).await;
    assert!(without.get("wids").is_none(), "{without}");
    assert_eq!(without["tid"], CONTOSO);
    let (s, _) = sim
        .control(
            Method::PATCH,
            "/connectors/mars",
            json!({"wids_claim": false}),
        )
        .await;
    assert_eq!(s, 400);
}
