//! Native reference for the in-worker crypto benchmark: runs each loop for a
//! bounded count and prints `{"rsa_oaep256_wrap": {...}, "aes256gcm_decrypt": {...},
//! "rs256_verify": {...}}` (RS256 verify runs 5 × RSA_N times).
//!
//! Also `"aes256gcm_decrypt_by_size": {"32": {...}, "1024": ...}`: AES-256-GCM
//! opens of each of [`AES_SIZES`] with the key schedule made once, about
//! `AES_BYTES` bytes per size.
//!
//! Usage: `bench-crypto-native [RSA_N] [AES_N] [AES_BYTES]` (defaults 200,
//! 20000 and 64 MiB).

use std::time::Instant;

use keyswitch_bench_crypto::{
    AES_SIZES, RSA4096_PUBLIC_DER, aes_gcm_decrypt_loop, aes_gcm_open_loop, ops_for,
    rs256_verify_loop, rsa_oaep256_wrap_loop, sealed_message,
};

fn timed(n: u32, f: impl Fn(u32) -> Result<u32, keyswitch_bench_crypto::BenchError>) -> String {
    // One short warm-up, then the measured loop.
    let _ = f((n / 20).max(1));
    let t = Instant::now();
    match f(n) {
        Ok(done) => {
            let secs = t.elapsed().as_secs_f64();
            format!(
                "{{\"n\": {done}, \"ms\": {:.3}, \"ops_per_s\": {:.1}}}",
                secs * 1e3,
                f64::from(done) / secs
            )
        }
        Err(e) => format!("{{\"error\": \"{e}\"}}"),
    }
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u32>());
    let rsa_n = args.next().and_then(Result::ok).unwrap_or(200);
    let aes_n = args.next().and_then(Result::ok).unwrap_or(20_000);
    let rsa = timed(rsa_n, |n| rsa_oaep256_wrap_loop(RSA4096_PUBLIC_DER, n));
    let aes = timed(aes_n, aes_gcm_decrypt_loop);
    let rs256 = timed(rsa_n.saturating_mul(5), rs256_verify_loop);
    let aes_bytes = args
        .next()
        .and_then(Result::ok)
        .map_or(64 << 20, |b| b as usize);
    let by_size: Vec<String> = AES_SIZES
        .iter()
        .map(|&size| {
            let n = ops_for(size, aes_bytes, aes_n.max(1));
            let figures = match sealed_message(size) {
                Ok(sealed) => timed(n, |n| aes_gcm_open_loop(&sealed, n)),
                Err(e) => format!("{{\"error\": \"{e}\"}}"),
            };
            format!("\"{size}\": {figures}")
        })
        .collect();
    println!(
        "{{\"rsa_oaep256_wrap\": {rsa}, \"aes256gcm_decrypt\": {aes}, \"rs256_verify\": {rs256}, \"aes256gcm_decrypt_by_size\": {{{}}}}}",
        by_size.join(", ")
    );
}
