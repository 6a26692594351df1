//! Sends one webhook the model queued ([`keyswitch_shared::notify`]): signs
//! its body with `WEBHOOK_SECRET` and the current time, and POSTs it to
//! `WEBHOOK_URL` with its idempotency id. Decides nothing: the answer goes
//! back to the model, which retries or gives up.

use keyswitch_shared::notify::{self, Failure, Send};
use worker::Env;

use crate::config;
use crate::http::Call;

/// Delivers `send`: the host's 2xx status, or why it failed.
pub async fn deliver(env: &Env, send: &Send, now_secs: i64) -> Result<u16, Failure> {
    let (Some(url), Some(secret)) = (
        config::webhook_url(env),
        config::optional_secret(env, config::WEBHOOK_SECRET),
    ) else {
        worker::console_error!(
            "webhook {}: WEBHOOK_URL or WEBHOOK_SECRET is not set",
            send.id
        );
        return Err(Failure::NotConfigured);
    };
    let signature = notify::signature_header(secret.as_bytes(), now_secs, send.body.as_bytes());
    let answer = Call::post(&url)
        .header(notify::ID_HEADER, &send.id)
        .header(notify::SIGNATURE_HEADER, &signature)
        .body("application/json", send.body.as_bytes().to_vec())
        .send()
        .await;
    match answer {
        Ok(a) if (200..300).contains(&a.status) => Ok(a.status),
        Ok(a) => Err(Failure::Status(a.status)),
        Err(e) => {
            worker::console_warn!("webhook {}: {e}", send.id);
            Err(Failure::Unreachable)
        }
    }
}
