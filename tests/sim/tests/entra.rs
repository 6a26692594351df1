//! Entra ID: client credentials, admin consent, code flow with PKCE, discovery.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use reqwest::Method;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

async fn cc(sim: &Sim, tenant: &str, client: &str, secret: &str) -> (u16, Value) {
    let r = sim
        .form(
            &format!("/entra/{tenant}/oauth2/v2.0/token"),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", client),
                ("client_secret", secret),
                ("scope", "https://vault.azure.net/.default"),
            ],
        )
        .await;
    let s = r.status().as_u16();
    (s, r.json().await.expect("json"))
}

fn assert_aad_shape(b: &Value, code: u64) {
    for field in [
        "error",
        "error_description",
        "timestamp",
        "trace_id",
        "correlation_id",
        "error_uri",
    ] {
        assert!(b[field].is_string(), "{field} in {b}");
    }
    assert_eq!(b["error_codes"], json!([code]));
    assert!(
        b["error_description"]
            .as_str()
            .expect("d")
            .starts_with(&format!("AADSTS{code}: "))
    );
}

/// Verifies an RS256 JWT against the simulator's JWKS and returns its claims.
async fn verify(sim: &Sim, jwks_path: &str, token: &str) -> Value {
    let (_, jwks) = sim.get_json(jwks_path, None).await;
    let parts: Vec<&str> = token.split('.').collect();
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json");
    let jwk = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("kid")
        .clone();
    let n = URL_SAFE_NO_PAD
        .decode(jwk["n"].as_str().expect("n"))
        .expect("n");
    let e = URL_SAFE_NO_PAD
        .decode(jwk["e"].as_str().expect("e"))
        .expect("e");
    let key =
        RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).expect("key");
    let sig = Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).expect("sig").as_slice())
        .expect("sig");
    VerifyingKey::<Sha256>::new(key)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
        .expect("valid signature");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("claims")
}

#[tokio::test]
async fn client_credentials_errors_have_the_real_shape() {
    let sim = start().await;
    let (s, b) = cc(
        &sim,
        "00000000-0000-0000-0000-000000000000",
        APP,
        APP_SECRET,
    )
    .await;
    assert_eq!(s, 400);
    assert_aad_shape(&b, 90002);
    let (s, b) = cc(&sim, CONTOSO, CONNECTOR, "dev-connector-secret").await;
    assert_eq!((s, b["error"].as_str()), (400, Some("unauthorized_client")));
    assert_aad_shape(&b, 700016);
    let (s, b) = cc(&sim, CONTOSO, APP, "wrong").await;
    assert_eq!((s, b["error"].as_str()), (401, Some("invalid_client")));
    assert_aad_shape(&b, 7000215);
    let (s, b) = cc(
        &sim,
        CONTOSO,
        keyswitch_sim::seed::EXPIRED_APP_ID,
        keyswitch_sim::seed::EXPIRED_APP_SECRET,
    )
    .await;
    assert_eq!(s, 401);
    assert_aad_shape(&b, 7000222);
    // Single-tenant customer app is unknown in another tenant.
    let (s, b) = cc(&sim, FABRIKAM, APP, APP_SECRET).await;
    assert_eq!(s, 400);
    assert_aad_shape(&b, 700016);
    // Bad input.
    let r = sim
        .http
        .post(sim.at(&format!("/entra/{CONTOSO}/oauth2/v2.0/token")))
        .body("%%%")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 400);
    let r = sim
        .form(
            &format!("/entra/{CONTOSO}/oauth2/v2.0/token"),
            &[("grant_type", "password")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn app_token_claims() {
    let sim = start().await;
    let (s, b) = cc(&sim, CONTOSO, APP, APP_SECRET).await;
    assert_eq!(s, 200);
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 3599);
    let claims = verify(
        &sim,
        &format!("/entra/{CONTOSO}/discovery/v2.0/keys"),
        b["access_token"].as_str().expect("t"),
    )
    .await;
    assert_eq!(claims["aud"], "https://vault.azure.net");
    assert_eq!(claims["tid"], CONTOSO);
    assert_eq!(claims["appid"], APP);
    assert!(claims["oid"].is_string());
}

#[tokio::test]
async fn admin_consent_v2_success_creates_the_service_principal() {
    let sim = start().await;
    let base = format!("/entra/{CONTOSO}/v2.0/adminconsent");
    let q = [
        ("client_id", CONNECTOR),
        ("scope", "https://vault.azure.net/.default"),
        ("redirect_uri", REDIRECT),
        ("state", "st-1"),
    ];
    let page = sim
        .http
        .get(sim.at(&base))
        .query(&q)
        .send()
        .await
        .expect("send");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("Accept as Adele Vance")
            && html.contains("Global Administrator")
            && html.contains("Privileged Role Administrator")
            && html.contains(">Cancel<")
    );
    assert!(!html.contains("Fiona"), "only Contoso users");

    let (_, state) = sim.control(Method::GET, "/state", json!({})).await;
    let priya = state["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["upn"] == "priya@contoso.onmicrosoft.com")
        .expect("priya")["oid"]
        .as_str()
        .expect("oid")
        .to_owned();
    let mut form: Vec<(&str, &str)> = q.to_vec();
    form.extend([("user", priya.as_str()), ("action", "accept")]);
    let r = sim.form(&base, &form).await;
    assert_eq!(r.status().as_u16(), 302);
    let loc = r.headers()["location"].to_str().expect("loc").to_owned();
    assert!(loc.starts_with(REDIRECT));
    let p = location_params(&r);
    assert_eq!(
        p.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["admin_consent", "tenant", "scope", "state"]
    );
    assert_eq!(param(&p, "admin_consent"), Some("True"));
    assert_eq!(param(&p, "tenant"), Some(CONTOSO));
    assert_eq!(param(&p, "state"), Some("st-1"));
    // The connector now gets app tokens in Contoso.
    let (s, _) = cc(&sim, CONTOSO, CONNECTOR, "dev-connector-secret").await;
    assert_eq!(s, 200);
    let (_, state) = sim.control(Method::GET, "/state", json!({})).await;
    assert!(
        state["service_principals"]
            .as_array()
            .expect("sps")
            .iter()
            .any(|sp| sp["display_name"] == "CyberSentriq KMS Connector"
                && sp["tenant_id"] == CONTOSO)
    );
}

#[tokio::test]
async fn admin_consent_errors() {
    let sim = start().await;
    let (_, state) = sim.control(Method::GET, "/state", json!({})).await;
    let oid_of = |upn: &str| {
        state["users"]
            .as_array()
            .expect("u")
            .iter()
            .find(|u| u["upn"] == upn)
            .expect("user")["oid"]
            .as_str()
            .expect("oid")
            .to_owned()
    };
    let pat = oid_of("pat@contoso.onmicrosoft.com");
    let v2 = format!("/entra/{CONTOSO}/v2.0/adminconsent");
    let q = [
        ("client_id", CONNECTOR),
        ("scope", "https://vault.azure.net/.default"),
        ("redirect_uri", REDIRECT),
        ("state", "s"),
    ];

    // Plain user.
    let mut f = q.to_vec();
    f.extend([("user", pat.as_str()), ("action", "accept")]);
    let r = sim.form(&v2, &f).await;
    let p = location_params(&r);
    assert_eq!(param(&p, "error"), Some("consent_required"));
    assert!(param(&p, "error_description").is_some_and(|d| d.starts_with("AADSTS90094")));
    // Every error redirect carries `error_uri` (source: snok/django-auth-adfs
    // #218, AADSTS90008: `…&error_uri=https%3a%2f%2flogin.microsoftonline.com
    // %2ferror%3fcode%3d90008&state=…`).
    assert_eq!(
        param(&p, "error_uri"),
        Some("https://login.microsoftonline.com/error?code=90094")
    );
    // Decline, v2, as captured live (source: MicrosoftDocs/azure-docs#114009,
    // 2023; PROTOCOLS.md): `error=access_denied`, AADSTS65004 with CRLF
    // separators, `error_uri`, `admin_consent=True`, the state, no `tenant`.
    let mut f = q.to_vec();
    f.push(("action", "cancel"));
    let r = sim.form(&v2, &f).await;
    let p = location_params(&r);
    assert_eq!(param(&p, "error"), Some("access_denied"));
    let desc = param(&p, "error_description").expect("description");
    assert!(
        desc.starts_with("AADSTS65004: User declined to consent to access the app.\r\nTrace ID: "),
        "{desc:?}"
    );
    assert!(desc.contains("\r\nCorrelation ID: ") && desc.contains("\r\nTimestamp: "));
    assert_eq!(
        param(&p, "error_uri"),
        Some("https://login.microsoftonline.com/error?code=65004")
    );
    assert_eq!(param(&p, "admin_consent"), Some("True"));
    assert_eq!(param(&p, "state"), Some("s"));
    assert_eq!(param(&p, "tenant"), None);
    assert_eq!(param(&p, "error_subcode"), None);
    let r = sim
        .form(
            "/entra/common/adminconsent",
            &[
                ("client_id", CONNECTOR),
                ("redirect_uri", REDIRECT),
                ("state", "s"),
                ("action", "cancel"),
            ],
        )
        .await;
    let loc = r.headers()["location"].to_str().expect("loc").to_owned();
    assert!(
        loc.ends_with(
            "error=permission_denied&error_description=The+admin+canceled+the+request&state=s"
        ),
        "{loc}"
    );
    // Unknown client, bad redirect, /common on v2, unknown tenant: error page, no redirect.
    for (path, query) in [
        (
            v2.clone(),
            vec![
                ("client_id", "11111111-1111-1111-1111-111111111111"),
                ("redirect_uri", REDIRECT),
                ("scope", "x/.default"),
            ],
        ),
        (
            v2.clone(),
            vec![
                ("client_id", CONNECTOR),
                ("redirect_uri", "https://evil.example/cb"),
                ("scope", "x/.default"),
            ],
        ),
        (
            "/entra/common/v2.0/adminconsent".to_owned(),
            vec![
                ("client_id", CONNECTOR),
                ("redirect_uri", REDIRECT),
                ("scope", "x/.default"),
            ],
        ),
        (
            "/entra/nosuch.example/v2.0/adminconsent".to_owned(),
            vec![
                ("client_id", CONNECTOR),
                ("redirect_uri", REDIRECT),
                ("scope", "x/.default"),
            ],
        ),
    ] {
        let r = sim
            .http
            .get(sim.at(&path))
            .query(&query)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status().as_u16(), 400, "{path} {query:?}");
        assert!(r.headers().get("location").is_none());
        assert!(r.text().await.expect("html").contains("AADSTS"));
    }
    // v1 success as Global Administrator through /common, which lists every tenant.
    let page = sim
        .http
        .get(sim.at("/entra/common/adminconsent"))
        .query(&[("client_id", CONNECTOR), ("redirect_uri", REDIRECT)])
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Fiona Fabrikam") && page.contains("Adele Vance"));
    let fiona = oid_of("fiona@fabrikam.onmicrosoft.com");
    let r = sim
        .form(
            "/entra/common/adminconsent",
            &[
                ("client_id", CONNECTOR),
                ("redirect_uri", REDIRECT),
                ("state", "z"),
                ("user", &fiona),
                ("action", "accept"),
            ],
        )
        .await;
    let loc = r.headers()["location"].to_str().expect("loc").to_owned();
    assert_eq!(
        loc,
        format!("{REDIRECT}?tenant={FABRIKAM}&state=z&admin_consent=True")
    );
}

#[tokio::test]
async fn code_flow_with_pkce_and_id_token() {
    let sim = start().await;
    let (_, state) = sim.control(Method::GET, "/state", json!({})).await;
    let adele = state["users"]
        .as_array()
        .expect("u")
        .iter()
        .find(|u| u["upn"] == "adele@contoso.onmicrosoft.com")
        .expect("adele")["oid"]
        .as_str()
        .expect("oid")
        .to_owned();
    let verifier = "a-verifier-that-is-long-enough-for-pkce-0123456789";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let path = "/entra/organizations/oauth2/v2.0/authorize";
    let q = vec![
        ("client_id", CONNECTOR),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile"),
        ("state", "abc"),
        ("nonce", "n-123"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let page = sim
        .http
        .get(sim.at(path))
        .query(&q)
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Sign in as Adele Vance") && page.contains("Sign in as Fiona Fabrikam"));
    // plain is refused.
    let mut plain = q.clone();
    plain[7] = ("code_challenge_method", "plain");
    let r = sim
        .http
        .get(sim.at(path))
        .query(&plain)
        .send()
        .await
        .expect("send");
    assert_eq!(
        param(&location_params(&r), "error"),
        Some("invalid_request")
    );

    let mut f = q.clone();
    f.extend([("user", adele.as_str()), ("action", "accept")]);
    let r = sim.form(path, &f).await;
    let p = location_params(&r);
    assert_eq!(param(&p, "state"), Some("abc"));
    let code = param(&p, "code").expect("code").to_owned();

    let token_path = format!("/entra/{CONTOSO}/oauth2/v2.0/token");
    let base = [
        ("grant_type", "authorization_code"),
        ("client_id", CONNECTOR),
        ("client_secret", "dev-connector-secret"),
        ("redirect_uri", REDIRECT),
        ("code", code.as_str()),
    ];
    let mut bad = base.to_vec();
    bad.push(("code_verifier", "wrong"));
    let r = sim.form(&token_path, &bad).await;
    let b: Value = r.json().await.expect("json");
    assert_eq!(b["error"], "invalid_grant");
    // The code was consumed by the failed attempt; start again.
    let r = sim.form(path, &f).await;
    let code = param(&location_params(&r), "code")
        .expect("code")
        .to_owned();
    let mut good = base.to_vec();
    good[4] = ("code", code.as_str());
    good.push(("code_verifier", verifier));
    let r = sim.form(&token_path, &good).await;
    assert_eq!(r.status().as_u16(), 200);
    let b: Value = r.json().await.expect("json");
    let claims = verify(
        &sim,
        "/entra/common/discovery/v2.0/keys",
        b["id_token"].as_str().expect("id"),
    )
    .await;
    assert_eq!(claims["iss"], format!("{}/entra/{CONTOSO}/v2.0", sim.url));
    assert_eq!(claims["aud"], CONNECTOR);
    assert_eq!(claims["tid"], CONTOSO);
    assert_eq!(claims["oid"], adele.as_str());
    assert_eq!(claims["nonce"], "n-123");
    assert_eq!(
        claims["preferred_username"],
        "adele@contoso.onmicrosoft.com"
    );
    assert!(
        claims["wids"]
            .as_array()
            .expect("wids")
            .contains(&json!("62e90394-69f5-4237-9190-012177145e10"))
    );
    for c in ["iat", "nbf", "exp"] {
        assert!(claims[c].is_i64());
    }
    // Reuse fails.
    let r = sim.form(&token_path, &good).await;
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn openid_configuration_points_at_the_simulator() {
    let sim = start().await;
    let (s, c) = sim
        .get_json(
            &format!("/entra/{CONTOSO}/v2.0/.well-known/openid-configuration"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(c["issuer"], format!("{}/entra/{CONTOSO}/v2.0", sim.url));
    assert_eq!(
        c["token_endpoint"],
        format!("{}/entra/{CONTOSO}/oauth2/v2.0/token", sim.url)
    );
    assert_eq!(
        c["jwks_uri"],
        format!("{}/entra/{CONTOSO}/discovery/v2.0/keys", sim.url)
    );
    let (s, _) = sim
        .get_json(
            "/entra/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration",
            None,
        )
        .await;
    assert_eq!(s, 200);
}
