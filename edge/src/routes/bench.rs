//! `GET /api/bench/crypto?op=rsa|aes&n=N`: runs one of the benchmark crypto
//! loops (`keyswitch-bench-crypto`) inside workerd and reports how long it
//! took by the isolate's clock. Compiled only with the cargo feature `bench`,
//! which only `scripts/bench` builds: the deployed worker has neither the
//! route nor the benchmark crate.

use keyswitch_bench_crypto::{RSA4096_PUBLIC_DER, aes_gcm_decrypt_loop, rsa_oaep256_wrap_loop};
use worker::{Request, Response};

use super::{Answer, Ctx};
use crate::error::EdgeError;

/// Upper bounds on `n`, so a single request stays within a few seconds.
const MAX_RSA: u32 = 2_000;
const MAX_AES: u32 = 200_000;

/// Runs `n` RSA-OAEP-256 wraps (4096-bit key) or AES-256-GCM data-key decrypts.
pub fn crypto(req: Request, _ctx: Ctx) -> Answer {
    let url = req.url()?;
    let mut op = String::new();
    let mut n: u32 = 0;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "op" => op = v.into_owned(),
            "n" => n = v.parse().unwrap_or(0),
            _ => {}
        }
    }
    let start = js_sys::Date::now();
    let done = match op.as_str() {
        "rsa" => rsa_oaep256_wrap_loop(RSA4096_PUBLIC_DER, n.min(MAX_RSA)),
        "aes" => aes_gcm_decrypt_loop(n.min(MAX_AES)),
        _ => return Err(EdgeError::field("op", "must be rsa or aes")),
    };
    let ms = js_sys::Date::now() - start;
    // A failed loop is a 500: the cause goes to the log with the request id.
    let done = done.map_err(|e| worker::Error::RustError(format!("bench {op}: {e}")))?;
    Ok(Response::from_json(&serde_json::json!({
        "op": op,
        "n": done,
        "ms": ms,
        "ops_per_s": if ms > 0.0 { Some(f64::from(done) * 1000.0 / ms) } else { None },
    }))?)
}
