"""In-worker crypto cost for scripts/bench.

Calls GET /api/bench/crypto?op=OP&n=N (only in a worker built with the cargo
feature `bench`, as scripts/bench does) for the wasm build of RustCrypto
(rsa, aes, rs256) and the platform's WebCrypto (rsa_webcrypto,
aes_webcrypto, rs256_webcrypto) on the same inputs, and reports, per op, two
views of the same loop:
  * inside: N / (Date.now() after - before) as the worker measured it;
  * outside: N / (median round trip with n=N - median round trip with n=0),
    timed here, so it does not depend on the isolate's clock.
If the two disagree by more than 25 %, "clock_ok" is false and the outside
figure is the one to trust. Prints JSON.

Per message size (32 B, 1 KiB, 16 KiB, 1 MiB; key schedule made once on both
paths) the AES-256-GCM open runs about AES_BYTES bytes per loop (default
16 MiB; eight times that for WebCrypto, whose loop is otherwise too short at
1 MiB to tell from the request's own cost): "aes256gcm_decrypt_by_size" -> {size: {"rustcrypto": ..., "webcrypto": ...}}.

Usage: worker_crypto.py BASE_URL RSA_N AES_N [REPS] [AES_BYTES]
"""

import json
import statistics
import sys
import time
import urllib.request


AES_SIZES = (32, 1024, 16 * 1024, 1024 * 1024)


def call(base, op, n, size=None):
    t = time.perf_counter()
    extra = f"&size={size}" if size else ""
    with urllib.request.urlopen(f"{base}/api/bench/crypto?op={op}&n={n}{extra}", timeout=120) as r:
        body = json.load(r)
    return (time.perf_counter() - t) * 1e3, body


def measure(base, op, n, reps, size=None):
    call(base, op, max(1, n // 10), size)  # warm-up: compile paths, parse the key
    empty = [call(base, op, 0, size)[0] for _ in range(reps)]
    runs = [call(base, op, n, size) for _ in range(reps)]
    outside_ms = statistics.median(ms for ms, _ in runs) - statistics.median(empty)
    inside_ms = statistics.median(b["ms"] for _, b in runs)
    inside = n * 1e3 / inside_ms if inside_ms > 0 else None
    outside = n * 1e3 / outside_ms if outside_ms > 0 else None
    clock_ok = bool(inside and outside and abs(inside - outside) / outside <= 0.25)
    return {
        "n": n,
        "reps": reps,
        "inside_ms_median": inside_ms,
        "outside_ms_median": outside_ms,
        "empty_request_ms_median": statistics.median(empty),
        "ops_per_s_inside": inside,
        "ops_per_s_outside": outside,
        "clock_ok": clock_ok,
        "ops_per_s": inside if clock_ok else outside,
    }


def main():
    base, rsa_n, aes_n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    reps = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    aes_bytes = int(sys.argv[5]) if len(sys.argv) > 5 else 16 << 20
    # WebCrypto's RSA is native code: more operations for a measurable loop
    # (the route caps RSA loops at 2000).
    fast_rsa_n = min(2000, rsa_n * 25)
    out = {
        "rsa_oaep256_wrap": measure(base, "rsa", rsa_n, reps),
        "aes256gcm_decrypt": measure(base, "aes", aes_n, reps),
        "rs256_verify": measure(base, "rs256", rsa_n * 5, reps),
        "rsa_oaep256_wrap_webcrypto": measure(base, "rsa_webcrypto", fast_rsa_n, reps),
        "aes256gcm_decrypt_webcrypto": measure(base, "aes_webcrypto", aes_n, reps),
        "aes256gcm_decrypt_webcrypto_key_kept": measure(base, "aes_webcrypto_key_kept", aes_n, reps),
        "rs256_verify_webcrypto": measure(base, "rs256_webcrypto", fast_rsa_n, reps),
        "aes256gcm_decrypt_by_size": {},
    }
    for size in AES_SIZES:
        n = max(1, min(aes_n, aes_bytes // size))
        # WebCrypto opens large messages ten times as fast: eight times the
        # bytes keep its loop well above the request's own cost (making the
        # message), which the n=0 round trip subtracts.
        fast_n = max(1, min(aes_n, 8 * aes_bytes // size))
        out["aes256gcm_decrypt_by_size"][str(size)] = {
            "rustcrypto": measure(base, "aes_sized", n, reps, size),
            "webcrypto": measure(base, "aes_webcrypto_sized", fast_n, reps, size),
        }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
