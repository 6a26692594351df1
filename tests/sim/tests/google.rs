//! Google: OAuth code flow with PKCE, ID token, Directory API.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

const CLIENT: &str = keyswitch_sim::config::DEFAULT_GOOGLE_CLIENT_ID;
const SCOPES: &str = "openid email https://www.googleapis.com/auth/admin.directory.user.readonly https://www.googleapis.com/auth/admin.directory.customer.readonly";

/// Signs in as `user_id` and returns (access token, id token claims).
async fn sign_in(sim: &Sim, user_id: &str) -> (String, Value) {
    let verifier = "google-verifier-0123456789-0123456789-0123456789";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let path = "/google/accounts/o/oauth2/v2/auth";
    let q = [
        ("client_id", CLIENT),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", SCOPES),
        ("state", "g-state"),
        ("nonce", "g-nonce"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("user", user_id),
        ("action", "accept"),
    ];
    let r = sim.form(path, &q).await;
    assert_eq!(r.status().as_u16(), 302);
    let p = location_params(&r);
    assert_eq!(param(&p, "state"), Some("g-state"));
    let code = param(&p, "code").expect("code").to_owned();
    let r = sim
        .form(
            "/google/oauth2/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", CLIENT),
                ("client_secret", "dev-google-secret"),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let b: Value = r.json().await.expect("json");
    let id = b["id_token"].as_str().expect("id_token");
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(id.split('.').nth(1).expect("part"))
            .expect("b64"),
    )
    .expect("claims");
    (b["access_token"].as_str().expect("at").to_owned(), claims)
}

#[tokio::test]
async fn super_admin_reads_directory() {
    let sim = start().await;
    let page = sim
        .http
        .get(sim.at("/google/accounts/o/oauth2/v2/auth"))
        .query(&[
            ("client_id", CLIENT),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", SCOPES),
            ("code_challenge", "x"),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("Continue as Sam Super")
            && page.contains("Super Admin")
            && page.contains("Delegated admin")
    );

    let (at, claims) = sign_in(&sim, "108765432109876543210").await;
    assert_eq!(claims["hd"], "example-workspace.test");
    assert_eq!(claims["email"], "super@example-workspace.test");
    assert_eq!(claims["aud"], CLIENT);
    assert_eq!(claims["nonce"], "g-nonce");
    assert_eq!(claims["iss"], format!("{}/google/accounts", sim.url));
    let (s, u) = sim
        .get_json(
            "/google/admin/directory/v1/users/super@example-workspace.test?viewType=admin_view",
            Some(&at),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(u["isAdmin"], true);
    assert_eq!(u["isDelegatedAdmin"], false);
    assert_eq!(u["customerId"], "C01abcdef");
    assert_eq!(u["primaryEmail"], "super@example-workspace.test");
    let (s, c) = sim
        .get_json(
            "/google/admin/directory/v1/customers/my_customer",
            Some(&at),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(c["id"], "C01abcdef");
    assert_eq!(c["customerDomain"], "example-workspace.test");
    let (s, _) = sim
        .get_json(
            "/google/admin/directory/v1/users/nobody@example-workspace.test",
            Some(&at),
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn delegated_admin_and_plain_user() {
    let sim = start().await;
    let (at, _) = sign_in(&sim, "108765432109876543211").await;
    let (s, u) = sim
        .get_json(
            "/google/admin/directory/v1/users/delegated@example-workspace.test?viewType=admin_view",
            Some(&at),
        )
        .await;
    assert_eq!(
        (s, u["isAdmin"].as_bool(), u["isDelegatedAdmin"].as_bool()),
        (200, Some(false), Some(true))
    );

    let (at, _) = sign_in(&sim, "108765432109876543212").await;
    let (s, b) = sim
        .get_json(
            "/google/admin/directory/v1/users/user@example-workspace.test?viewType=admin_view",
            Some(&at),
        )
        .await;
    assert_eq!(s, 403);
    assert_eq!(b["error"]["code"], 403);
    assert_eq!(
        b["error"]["message"],
        "Not Authorized to access this resource/api"
    );
    assert_eq!(b["error"]["errors"][0]["reason"], "forbidden");
    let (s, _) = sim
        .get_json(
            "/google/admin/directory/v1/customers/my_customer",
            Some(&at),
        )
        .await;
    assert_eq!(s, 403);
    // Consumer account: no hd claim.
    let (_, claims) = sign_in(&sim, "108765432109876543219").await;
    assert!(claims.get("hd").is_none());
    // No / bad token.
    let (s, b) = sim
        .get_json("/google/admin/directory/v1/customers/my_customer", None)
        .await;
    assert_eq!(
        (s, b["error"]["status"].as_str()),
        (401, Some("UNAUTHENTICATED"))
    );
    let (s, _) = sim
        .get_json(
            "/google/admin/directory/v1/customers/my_customer",
            Some("ya29.bogus"),
        )
        .await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn token_endpoint_errors() {
    let sim = start().await;
    let r = sim
        .form(
            "/google/oauth2/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", "nope"),
                ("client_id", CLIENT),
                ("client_secret", "dev-google-secret"),
                ("redirect_uri", REDIRECT),
                ("code_verifier", "x"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 400);
    let b: Value = r.json().await.expect("json");
    assert_eq!(b["error"], "invalid_grant");
    let r = sim
        .form(
            "/google/oauth2/token",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", CLIENT),
                ("client_secret", "wrong"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 401);
    let r = sim
        .http
        .get(sim.at("/google/accounts/o/oauth2/v2/auth"))
        .query(&[
            ("client_id", CLIENT),
            ("redirect_uri", "https://evil.example/"),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 400);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("redirect_uri_mismatch")
    );
}
