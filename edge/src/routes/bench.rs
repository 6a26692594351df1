//! `GET /api/bench/crypto?op=OP&n=N`: runs one of the benchmark crypto loops
//! inside workerd and reports how long it took by the isolate's clock.
//! `OP` is `rsa`, `aes` or `rs256` (the wasm build of RustCrypto, from
//! `keyswitch-bench-crypto`, the same code `bench-crypto-native` runs), or
//! `rsa_webcrypto`, `aes_webcrypto` (key imported per operation),
//! `aes_webcrypto_key_kept` (imported once), `rs256_webcrypto` (the platform's
//! WebCrypto through [`crate::webcrypto`], on the same inputs). Per message
//! size (`&size=BYTES`, at most 1 MiB): `aes_sized` (RustCrypto) and
//! `aes_webcrypto_sized` (WebCrypto), both with the key schedule made once,
//! `n` capped so one request opens at most 256 MiB. `GET /api/bench/do-ping`
//! is a bare Durable Object round trip ([`do_ping`]). Compiled only
//! with the cargo feature `bench`, which only `scripts/bench` builds: the
//! deployed worker has neither the route nor the benchmark crate.

use keyswitch_bench_crypto::{
    AAD, DATA_KEY, KEK, NONCE, RS256_PUBLIC_DER, RS256_SIGNATURE, RS256_SIGNED, RSA4096_PUBLIC_DER,
    aes_gcm_decrypt_loop, aes_gcm_open_loop, ops_for, rs256_verify_loop, rsa_oaep256_wrap_loop,
    sealed_data_key, sealed_message,
};
use worker::{Request, Response};

use super::{Answer, Ctx};
use crate::error::EdgeError;
use crate::webcrypto::{self, WebCryptoError};

/// Upper bounds on `n`, so a single request stays within a few seconds.
const MAX_RSA: u32 = 2_000;
const MAX_AES: u32 = 200_000;
/// The largest message of the per-size loops, and the bytes one request may open.
const MAX_SIZE: usize = 1 << 20;
const MAX_SIZED_BYTES: usize = 256 << 20;

/// Why a loop failed (a 500: the cause goes to the log).
fn failed(op: &str, e: &dyn std::fmt::Display) -> EdgeError {
    worker::Error::RustError(format!("bench {op}: {e}")).into()
}

async fn rsa_webcrypto(n: u32) -> Result<u32, WebCryptoError> {
    let key = webcrypto::oaep256_key(RSA4096_PUBLIC_DER).await?;
    let mut sink = 0u8;
    for _ in 0..n {
        let wrapped = webcrypto::oaep256_wrap(&key, &DATA_KEY).await?;
        sink ^= wrapped.first().copied().unwrap_or_default();
    }
    std::hint::black_box(sink);
    Ok(n)
}

/// Per operation as a request would do it: import the key, then open.
async fn aes_webcrypto(n: u32) -> Result<u32, WebCryptoError> {
    let sealed = sealed_data_key().map_err(|_| WebCryptoError::Refused("seal the input"))?;
    let mut sink = 0u8;
    for _ in 0..n {
        let plain = webcrypto::aes256gcm_open(&KEK, &NONCE, &sealed, AAD).await?;
        sink ^= plain.first().copied().unwrap_or_default();
    }
    std::hint::black_box(sink);
    Ok(n)
}

/// The key imported once (as a Durable Object could keep it beside its
/// cached company key), then only decryptions.
async fn aes_webcrypto_key_kept(n: u32) -> Result<u32, WebCryptoError> {
    let sealed = sealed_data_key().map_err(|_| WebCryptoError::Refused("seal the input"))?;
    let key = webcrypto::aes256gcm_key(&KEK).await?;
    let mut sink = 0u8;
    for _ in 0..n {
        let plain = webcrypto::aes256gcm_open_with(&key, &NONCE, &sealed, AAD).await?;
        sink ^= plain.first().copied().unwrap_or_default();
    }
    std::hint::black_box(sink);
    Ok(n)
}

/// A `size`-byte message opened `n` times with one imported key.
async fn aes_webcrypto_sized(size: usize, n: u32) -> Result<u32, WebCryptoError> {
    let sealed = sealed_message(size).map_err(|_| WebCryptoError::Refused("seal the input"))?;
    let key = webcrypto::aes256gcm_key(&KEK).await?;
    let mut sink = 0u8;
    for _ in 0..n {
        let plain = webcrypto::aes256gcm_open_with(&key, &NONCE, &sealed, AAD).await?;
        sink ^= plain.last().copied().unwrap_or_default();
    }
    std::hint::black_box(sink);
    Ok(n)
}

/// Per operation as an uncached token would: import the key, then verify.
async fn rs256_webcrypto(n: u32) -> Result<u32, WebCryptoError> {
    for _ in 0..n {
        let key = webcrypto::rs256_key_spki(RS256_PUBLIC_DER).await?;
        if !webcrypto::rs256_verify(&key, RS256_SIGNED, RS256_SIGNATURE).await? {
            return Err(WebCryptoError::Refused("accept the benchmark signature"));
        }
    }
    Ok(n)
}

/// Runs `n` operations of `op` (see the module's doc).
pub async fn crypto(req: Request, _ctx: Ctx) -> Answer {
    let url = req.url()?;
    let mut op = String::new();
    let mut n: u32 = 0;
    let mut size: usize = 32;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "op" => op = v.into_owned(),
            "n" => n = v.parse().unwrap_or(0),
            "size" => size = v.parse().unwrap_or(0),
            _ => {}
        }
    }
    if op.ends_with("_sized") && !(1..=MAX_SIZE).contains(&size) {
        return Err(EdgeError::field("size", "must be 1 to 1048576 bytes"));
    }
    let (rsa_n, aes_n) = (n.min(MAX_RSA), n.min(MAX_AES));
    let sized_n = n.min(ops_for(size, MAX_SIZED_BYTES, MAX_AES));
    let start = js_sys::Date::now();
    let done = match op.as_str() {
        "rsa" => rsa_oaep256_wrap_loop(RSA4096_PUBLIC_DER, rsa_n).map_err(|e| failed(&op, &e)),
        "aes" => aes_gcm_decrypt_loop(aes_n).map_err(|e| failed(&op, &e)),
        "rs256" => rs256_verify_loop(rsa_n).map_err(|e| failed(&op, &e)),
        "rsa_webcrypto" => rsa_webcrypto(rsa_n).await.map_err(|e| failed(&op, &e)),
        "aes_webcrypto" => aes_webcrypto(aes_n).await.map_err(|e| failed(&op, &e)),
        "aes_webcrypto_key_kept" => aes_webcrypto_key_kept(aes_n)
            .await
            .map_err(|e| failed(&op, &e)),
        "rs256_webcrypto" => rs256_webcrypto(rsa_n).await.map_err(|e| failed(&op, &e)),
        "aes_sized" => sealed_message(size)
            .and_then(|sealed| aes_gcm_open_loop(&sealed, sized_n))
            .map_err(|e| failed(&op, &e)),
        "aes_webcrypto_sized" => aes_webcrypto_sized(size, sized_n)
            .await
            .map_err(|e| failed(&op, &e)),
        _ => {
            return Err(EdgeError::field(
                "op",
                "must be rsa, aes, rs256, rsa_webcrypto, aes_webcrypto, aes_webcrypto_key_kept, rs256_webcrypto, aes_sized or aes_webcrypto_sized",
            ));
        }
    }?;
    let ms = js_sys::Date::now() - start;
    Ok(Response::from_json(&serde_json::json!({
        "op": op,
        "n": done,
        "size": size,
        "ms": ms,
        "ops_per_s": if ms > 0.0 { Some(f64::from(done) * 1000.0 / ms) } else { None },
    }))?)
}

/// `GET /api/bench/do-ping`: the company object `acme` answers `{}` before
/// it loads anything (`Command::Ping`). Its `do` phase, and its latency
/// under load, are a bare Durable Object round trip: the floor of every
/// route that asks an object, which `scripts/bench` sets beside `GET …/kms`
/// and the envelope decrypt.
pub async fn do_ping(_req: Request, ctx: Ctx) -> Answer {
    use crate::company::commands::Command;
    let mut profile = crate::profile::Profile::start();
    let company: keyswitch_shared::CompanyId = "acme"
        .parse()
        .map_err(keyswitch_shared::CatalogError::from)?;
    let text = crate::do_client::relay(&ctx.env, &ctx.data, &company, &Command::Ping).await?;
    profile.mark("do");
    Ok(profile.finish(Response::ok(text)?))
}
