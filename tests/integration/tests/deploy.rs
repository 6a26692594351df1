//! Issue 17 item 7: `scripts/deploy <env> --dry-run` for real. The script
//! runs the project's wrangler, whose `wrangler secret list` (and `secret
//! put`) talk to the simulator's Cloudflare API through wrangler's own
//! `CLOUDFLARE_API_BASE_URL`, then the deploy check (the worker's guard),
//! then `wrangler deploy --dry-run` of the built worker. Each test deploys
//! its own worker name, a copy of `edge/wrangler.toml` whose staging
//! environment an operator has filled in.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use keyswitch_integration::*;
use serde_json::{Value, json};

const REQUIRED: [&str; 5] = [
    "PLATFORM_KEY",
    "CONNECTOR_CLIENT_SECRET",
    "GOOGLE_CLIENT_SECRET",
    "ENVELOPE_SERVICE_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The account id and API token the simulator's Cloudflare API accepts.
async fn cloudflare_account() -> (String, String) {
    let v: Value = reqwest::get(format!("{}/_control/cloudflare/workers", sim_url()))
        .await
        .expect("the simulator answers")
        .json()
        .await
        .expect("json");
    (
        v["account_id"].as_str().expect("account").to_owned(),
        v["api_token"].as_str().expect("token").to_owned(),
    )
}

async fn set_worker_secrets(worker: &str, secrets: &[&str]) {
    let resp = reqwest::Client::new()
        .put(format!(
            "{}/_control/cloudflare/workers/{worker}",
            sim_url()
        ))
        .json(&json!({ "secrets": secrets }))
        .send()
        .await
        .expect("the simulator answers");
    assert_eq!(resp.status(), 200);
}

async fn listed_secrets(worker: &str) -> Vec<String> {
    let v: Value = reqwest::get(format!("{}/_control/cloudflare/workers", sim_url()))
        .await
        .expect("the simulator answers")
        .json()
        .await
        .expect("json");
    v["workers"][worker]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A directory laid out like the repository (`edge/wrangler.toml`,
/// `edge/build`, `app/dist`) whose `wrangler.toml` is the real one with its
/// staging environment completed as README tells an operator; `edit`
/// changes it further.
struct Deployment {
    dir: PathBuf,
    config: PathBuf,
    worker: String,
}

impl Drop for Deployment {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn staging(edit: impl FnOnce(&mut toml::Table)) -> Deployment {
    let worker = fresh_company("ks-deploy");
    let dir = std::env::temp_dir().join(&worker);
    std::fs::create_dir_all(dir.join("edge")).expect("tmp dir");
    std::fs::create_dir_all(dir.join("app")).expect("tmp dir");
    let root = root().canonicalize().expect("repository root");
    std::os::unix::fs::symlink(root.join("edge/build"), dir.join("edge/build")).expect("symlink");
    std::os::unix::fs::symlink(root.join("app/dist"), dir.join("app/dist")).expect("symlink");
    let text = std::fs::read_to_string(root.join("edge/wrangler.toml")).expect("wrangler.toml");
    let mut top: toml::Table = text.parse().expect("wrangler.toml is TOML");
    {
        let env = top["env"]["staging"].as_table_mut().expect("[env.staging]");
        env.insert("name".into(), worker.clone().into());
        let host = format!("{worker}.keyswitch.corp-deploy.net");
        env.insert(
            "routes".into(),
            toml::Value::Array(vec![toml::Value::Table(
                [
                    ("pattern".to_owned(), toml::Value::from(host.clone())),
                    ("custom_domain".to_owned(), toml::Value::from(true)),
                ]
                .into_iter()
                .collect(),
            )]),
        );
        let kv = env["kv_namespaces"].as_array_mut().expect("kv namespaces");
        kv[0]
            .as_table_mut()
            .expect("namespace")
            .insert("id".into(), "0f1e2d3c4b5a69788796a5b4c3d2e1f0".into());
        let vars = env["vars"].as_table_mut().expect("[env.staging.vars]");
        for (name, value) in [
            ("REDAPP_API_URL", "https://api.redapp.net/v1".to_owned()),
            (
                "REDAPP_SESSION_JWKS_URL",
                "https://id.redapp.net/.well-known/jwks.json".to_owned(),
            ),
            (
                "REDAPP_SIGN_IN_URL",
                "https://id.redapp.net/sign-in".to_owned(),
            ),
            ("CONNECTOR_CLIENT_ID", CONNECTOR_CLIENT_ID.to_owned()),
            (
                "CONSENT_REDIRECT_URI",
                format!("https://{host}/oauth/consent/callback"),
            ),
            ("ALLOWED_ORIGINS", "https://app.redapp.net".to_owned()),
            (
                "GOOGLE_CLIENT_ID",
                "keyswitch.apps.googleusercontent.com".to_owned(),
            ),
            ("AWS_ACCESS_KEY_ID", "AKIAKEYSWITCHDEPLOY1".to_owned()),
        ] {
            vars.insert(name.into(), value.into());
        }
    }
    edit(&mut top);
    let config = dir.join("edge/wrangler.toml");
    std::fs::write(&config, toml::to_string(&top).expect("toml")).expect("write config");
    Deployment {
        dir,
        config,
        worker,
    }
}

fn staging_var(top: &mut toml::Table, name: &str, value: &str) {
    top["env"]["staging"]["vars"]
        .as_table_mut()
        .expect("vars")
        .insert(name.into(), value.into());
}

/// Runs a script of the repository with the simulator as Cloudflare's API.
async fn run(script: &str, args: &[&str], token: Option<&str>, stdin: Option<&str>) -> Output {
    let (account, good_token) = cloudflare_account().await;
    let mut cmd = Command::new(root().join(script));
    cmd.args(args)
        .env(
            "CLOUDFLARE_API_BASE_URL",
            format!("{}/cloudflare/client/v4", sim_url()),
        )
        .env("CLOUDFLARE_API_TOKEN", token.unwrap_or(&good_token))
        .env("CLOUDFLARE_ACCOUNT_ID", account)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let input = stdin.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("the script starts");
        if let Some(mut pipe) = child.stdin.take() {
            use std::io::Write;
            if let Some(text) = input {
                pipe.write_all(text.as_bytes()).expect("stdin");
            }
        }
        child.wait_with_output().expect("the script ends")
    })
    .await
    .expect("joined")
}

async fn deploy_dry_run(d: &Deployment, token: Option<&str>) -> (i32, String) {
    dry_run_with(&d.config, token).await
}

/// `scripts/deploy staging --dry-run --no-build --config <config>`: exit
/// code and everything it printed.
async fn dry_run_with(config: &Path, token: Option<&str>) -> (i32, String) {
    let config = config.to_string_lossy().into_owned();
    let out = run(
        "scripts/deploy",
        &["staging", "--dry-run", "--no-build", "--config", &config],
        token,
        None,
    )
    .await;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// What a failed run must show: nothing reached `wrangler deploy`.
fn assert_nothing_deployed(text: &str) {
    assert!(text.contains("nothing deployed"), "no refusal in:\n{text}");
    assert!(!text.contains("--dry-run: exiting now"), "{text}");
    assert!(!text.contains("Total Upload"), "{text}");
}

#[tokio::test]
async fn every_secret_present_passes_the_check_and_builds_the_upload() {
    let d = staging(|_| {});
    set_worker_secrets(&d.worker, &REQUIRED).await;
    let (code, text) = deploy_dry_run(&d, None).await;
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(&format!(
            "deploy check: staging (worker {}): configuration and the 5 listed secrets pass the worker's guard",
            d.worker
        )),
        "{text}"
    );
    assert!(text.contains("Total Upload"), "{text}");
    assert!(
        text.contains("dry run passed; nothing was deployed"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "check it: https://{}.keyswitch.corp-deploy.net/api/health",
            d.worker
        )),
        "{text}"
    );
}

#[tokio::test]
async fn a_missing_secret_fails_naming_it_and_the_printed_fix_sets_it() {
    let d = staging(|_| {});
    let present: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|s| *s != "GOOGLE_CLIENT_SECRET")
        .collect();
    set_worker_secrets(&d.worker, &present).await;
    let (code, text) = deploy_dry_run(&d, None).await;
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("1 problem to fix before deploying"), "{text}");
    assert!(
        text.contains("- GOOGLE_CLIENT_SECRET is missing (wrangler secret put)"),
        "{text}"
    );
    let fix = "scripts/wrangler secret put GOOGLE_CLIENT_SECRET --env staging";
    assert!(text.contains(fix), "{text}");
    assert_nothing_deployed(&text);

    // The fix as printed (with this copy's --config), through the real
    // wrangler against the simulator's API; the value comes on stdin.
    let config = d.config.to_string_lossy().into_owned();
    let out = run(
        "scripts/wrangler",
        &[
            "secret",
            "put",
            "GOOGLE_CLIENT_SECRET",
            "--env",
            "staging",
            "--config",
            &config,
        ],
        None,
        Some("google-client-secret-of-the-deploy-test\n"),
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut listed = listed_secrets(&d.worker).await;
    listed.sort();
    let mut expected: Vec<String> = REQUIRED.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(listed, expected);
    let (code, text) = deploy_dry_run(&d, None).await;
    assert_eq!(code, 0, "{text}");
    assert!(
        !text.contains("google-client-secret-of-the-deploy-test"),
        "{text}"
    );
}

#[tokio::test]
async fn an_empty_or_insecure_var_fails_naming_it() {
    for (name, value, why) in [
        ("GOOGLE_CLIENT_ID", "", "- GOOGLE_CLIENT_ID is missing"),
        (
            "ENTRA_AUTHORITY",
            "http://login.microsoftonline.com",
            "- ENTRA_AUTHORITY is not an https:// address",
        ),
        (
            "KEYVAULT_PROXY",
            "https://proxy.corp-deploy.net/kv/",
            "- KEYVAULT_PROXY is set",
        ),
        (
            "CONSENT_MAX_AGE_SECONDS",
            "604800",
            "- CONSENT_MAX_AGE_SECONDS is above 24 hours",
        ),
    ] {
        let d = staging(|top| staging_var(top, name, value));
        set_worker_secrets(&d.worker, &REQUIRED).await;
        let (code, text) = deploy_dry_run(&d, None).await;
        assert_eq!(code, 1, "{name}={value}: {text}");
        assert!(text.contains("1 problem to fix"), "{name}: {text}");
        assert!(text.contains(why), "{name}: {text}");
        assert!(
            text.contains(&format!("fix: set {name} in [env.staging.vars]")),
            "{name}: {text}"
        );
        assert_nothing_deployed(&text);
    }
}

#[tokio::test]
async fn a_conditional_secret_follows_its_var() {
    let d = staging(|top| staging_var(top, "WEBHOOK_URL", "https://hooks.redapp.net/keyswitch"));
    set_worker_secrets(&d.worker, &REQUIRED).await;
    let (code, text) = deploy_dry_run(&d, None).await;
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("- WEBHOOK_SECRET is missing while WEBHOOK_URL is set"),
        "{text}"
    );
    assert!(
        text.contains(
            "openssl rand -hex 32 | scripts/wrangler secret put WEBHOOK_SECRET --env staging"
        ),
        "{text}"
    );
    assert_nothing_deployed(&text);
}

#[tokio::test]
async fn a_worker_not_created_yet_needs_every_required_secret() {
    let d = staging(|_| {});
    let (code, text) = deploy_dry_run(&d, None).await;
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("does not exist on this account yet"),
        "{text}"
    );
    assert!(text.contains("5 problems to fix"), "{text}");
    for name in REQUIRED {
        assert!(
            text.contains(&format!("scripts/wrangler secret put {name} --env staging")),
            "{name}: {text}"
        );
    }
    assert_nothing_deployed(&text);
}

#[tokio::test]
async fn a_forged_api_token_lists_nothing_and_deploys_nothing() {
    let d = staging(|_| {});
    set_worker_secrets(&d.worker, &REQUIRED).await;
    let (code, text) = deploy_dry_run(&d, Some("forged-cloudflare-token")).await;
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Authentication error"), "{text}");
    assert!(text.contains("could not list the secrets"), "{text}");
    assert!(!text.contains("deploy check:"), "{text}");
    assert_nothing_deployed(&text);
}

#[tokio::test]
async fn the_committed_configuration_is_refused_until_an_operator_completes_it() {
    // The repository's own staging environment, with every secret set: the
    // deployment's values are still empty and its placeholders in place.
    set_worker_secrets("keyswitch-staging", &REQUIRED).await;
    let (code, text) = dry_run_with(&root().join("edge/wrangler.toml"), None).await;
    assert_eq!(code, 1, "{text}");
    for expected in [
        "- REDAPP_API_URL is missing",
        "- CONNECTOR_CLIENT_ID is missing",
        "- CONSENT_REDIRECT_URI is missing",
        "- KMS_CACHE has a KV namespace id that is not one",
        "- routes has the placeholder host keyswitch-staging.example.com",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    assert!(!text.contains("secret put"), "every secret is set: {text}");
    assert_nothing_deployed(&text);
}
