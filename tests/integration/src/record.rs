//! What the tests saw, kept for the secrets scan (`tests/secrets/scan.py`,
//! run by `scripts/test` after the integration tests): every worker answer
//! the helpers received (`responses-<pid>.jsonl`) and every secret the tests
//! handled (`secrets-<pid>.jsonl`: session tokens they minted, client
//! secrets they sent, company keys an export returned). Both go to
//! `KEYSWITCH_RECORD_DIR`, which `start_stack` (scripts/lib.sh) sets; the
//! scan fails when that folder holds no answers, so a run that recorded
//! nothing cannot pass it.

use std::io::Write;
use std::sync::Mutex;

use serde_json::{Value, json};

static LOCK: Mutex<()> = Mutex::new(());

fn append(file: &str, line: &Value) {
    let Ok(dir) = std::env::var("KEYSWITCH_RECORD_DIR") else {
        return;
    };
    if dir.is_empty() {
        return;
    }
    let path = std::path::Path::new(&dir).join(format!("{file}-{}.jsonl", std::process::id()));
    let _guard = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut text = line.to_string();
    text.push('\n');
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    // A record that cannot be written would let the scan pass on too little.
    assert!(
        written.is_ok(),
        "cannot record into {}: {written:?}",
        path.display()
    );
}

/// Records one worker answer: `method` `path` (no query), its status and body.
pub fn response(method: &str, path: &str, status: u16, body: &str) {
    let path = path.split('?').next().unwrap_or_default();
    append(
        "responses",
        &json!({"method": method, "path": path, "status": status, "body": body}),
    );
}

/// Records a secret the tests handled; `kind` names it in a finding
/// (`session_token`, `client_secret`, `exported_key`).
pub fn secret(kind: &str, value: &str) {
    if value.len() >= 8 {
        append("secrets", &json!({"kind": kind, "value": value}));
    }
}

/// Records the secrets a request body carries (`client_secret` fields).
pub fn request_body(body: &str) {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return;
    };
    if let Some(s) = v["client_secret"].as_str() {
        secret("client_secret", s);
    }
}
