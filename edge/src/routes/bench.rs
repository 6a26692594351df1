//! `GET /api/bench/crypto?op=rsa|aes&n=N`: runs one of the benchmark crypto
//! loops (`keyswitch-bench-crypto`) inside workerd and reports how long it
//! took by the isolate's clock. It exists only when the var `BENCH_ROUTES` is
//! `enabled` (`scripts/bench` passes it; `wrangler.toml` never sets it):
//! otherwise it answers exactly like an unknown path.

use keyswitch_bench_crypto::{RSA4096_PUBLIC_DER, aes_gcm_decrypt_loop, rsa_oaep256_wrap_loop};
use worker::{Request, Response, Result, RouteContext};

/// The var that switches the benchmark routes on.
const BENCH_ROUTES: &str = "BENCH_ROUTES";
/// Upper bounds on `n`, so a single request stays within a few seconds.
const MAX_RSA: u32 = 2_000;
const MAX_AES: u32 = 200_000;

/// Runs `n` RSA-OAEP-256 wraps (4096-bit key) or AES-256-GCM data-key decrypts.
pub fn crypto(req: Request, ctx: RouteContext<()>) -> Result<Response> {
    let enabled = ctx
        .env
        .var(BENCH_ROUTES)
        .is_ok_and(|v| v.to_string() == "enabled");
    if !enabled {
        // Plain-text 404: the router's catalog turns it into the usual "no route".
        return Response::error("Not Found", 404);
    }
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
        _ => return Response::error("op must be rsa or aes", 400),
    };
    let ms = js_sys::Date::now() - start;
    match done {
        Ok(done) => Response::from_json(&serde_json::json!({
            "op": op,
            "n": done,
            "ms": ms,
            "ops_per_s": if ms > 0.0 { Some(f64::from(done) * 1000.0 / ms) } else { None },
        })),
        Err(e) => Response::error(e.to_string(), 500),
    }
}
