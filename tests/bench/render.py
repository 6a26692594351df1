"""Renders scripts/bench's raw figures (RAW/*.json) as one Markdown table per
area, ratios first, and writes every figure as one JSON document.

Usage: render.py RAW_DIR OUT_MD OUT_JSON
"""

import glob
import json
import os
import statistics
import sys

NA = "not available"


def load(raw, name):
    path = os.path.join(raw, name + ".json")
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    with open(path) as f:
        return json.load(f)


def kib(n):
    return f"{n / 1024:,.1f} KiB"


def num(x, fmt="{:,.0f}"):
    return NA if x is None else fmt.format(x)


def ratio(a, b):
    return None if a is None or not b else a / b


def x(r):
    if r is None:
        return NA
    return f"{r:.2f}×" if r >= 0.1 else f"{r:.3f}×" if r >= 0.01 else f"{r:.4f}×"


def spa_first_load(sizes):
    """What a cold start of any screen downloads: the main wasm, its glue and
    the split loader the glue imports (the chunks come later, on demand)."""
    parts = [sizes.get(k) for k in ("spa_wasm", "spa_js")]
    if not all(parts):
        return None
    parts += [sizes[k] for k in ("spa_loader",) if k in sizes]
    return {k: sum(p[k] for p in parts) for k in ("raw", "gzip", "brotli")}


def sizes_section(raw, doc):
    sizes, upload = load(raw, "sizes") or {}, load(raw, "upload") or {}
    doc["sizes"], doc["upload"] = sizes, upload
    lines = ["## Bundle sizes", "", "| artifact | raw | gzip -9 | brotli q11 |", "|---|---:|---:|---:|"]
    names = {
        "spa_wasm": "SPA wasm",
        "spa_js": "SPA JS (wasm-bindgen glue)",
        "worker_wasm": "worker wasm (edge/build)",
        "worker_js": "worker JS (edge/build)",
    }
    names["spa_loader"] = "SPA split loader (`__wasm_split-*.js`, imported at start)"
    for key in sorted(k for k in sizes if k.startswith("spa_chunk:")):
        names[key] = f"SPA on demand: `{key.split(':', 1)[1]}` (fetched when its part is first shown)"
    for key, label in names.items():
        s = sizes.get(key)
        if s:
            lines.append(f"| {label} | {kib(s['raw'])} | {kib(s['gzip'])} | {kib(s['brotli'])} |")
    first = spa_first_load(sizes)
    if first:
        lines.append(f"| **SPA first load: wasm + JS + loader** | **{kib(first['raw'])}** | **{kib(first['gzip'])}** | **{kib(first['brotli'])}** |")
        shared = load(raw, "split") or {}
        for part in sorted(k.split(":", 1)[1][len("split_"):] for k in sizes if k.startswith("spa_chunk:split_")):
            needed = [f"spa_chunk:split_{part}"] + [f"spa_chunk:{c}" for c, users in sorted(shared.items()) if part in users]
            total = {k: sum(sizes[n][k] for n in needed if n in sizes) for k in first}
            lines.append(
                f"| SPA on demand: `{part}` with the shared modules it needs ({len(needed) - 1}) | {kib(total['raw'])} | {kib(total['gzip'])} | {kib(total['brotli'])} |"
            )
        every = {k: first[k] + sum(v[k] for n, v in sizes.items() if n.startswith("spa_chunk:")) for k in first}
        lines.append(f"| SPA every part (first load + every chunk) | {kib(every['raw'])} | {kib(every['gzip'])} | {kib(every['brotli'])} |")
    lines.append("")
    if upload.get("available"):
        share = upload["gzip_kib"] / upload["limit_gzip_kib"]
        lines += [
            "| worker upload (`wrangler deploy --dry-run`) | total | gzip | share of the 3 MiB free-plan limit (gzip) |",
            "|---|---:|---:|---:|",
            f"| keyswitch worker | {upload['total_kib']:,.1f} KiB | {upload['gzip_kib']:,.1f} KiB | **{share:.0%}** |",
        ]
    else:
        lines.append(f"Worker upload size: {NA} (wrangler's dry run printed no 'Total Upload' line).")
    parts = load(raw, "parts") or {}
    doc["worker_parts"] = parts
    if parts.get("available"):
        lines += [
            "",
            "What each part of the worker would upload as a worker of its own (built alone with its cargo "
            "feature, wasm + JS, gzip -9; measured only, one worker is deployed; docs/PRODUCT.md, "
            "\"The worker's upload: what a split would weigh\"):",
            "",
            "| part | total | gzip | ≤ 450 KiB |",
            "|---|---:|---:|---|",
        ]
        labels = {
            "routes": "`routes`: every route and the Cron sweep",
            "company-objects": "`company-objects`: the company object and the key bindings",
            "vault-objects": "`vault-objects`: the workspace object",
            "objects": "`objects`: both object parts in one worker (a two-worker split's second worker)",
        }
        for name, p in parts["parts"].items():
            ok = "yes" if p["gzip_kib"] <= 450 else "no"
            lines.append(f"| {labels.get(name, name)} | {p['total_kib']:,.1f} KiB | {p['gzip_kib']:,.1f} KiB | {ok} |")
    return lines + compile_lines(raw, doc)


def compile_lines(raw, doc):
    """What the upload's size costs at a cold start: V8's compile of each wasm, per fresh process."""
    c = load(raw, "compile")
    doc["compile"] = c
    lines = ["", "### What a cold isolate pays to accept each wasm (V8 compile)", ""]
    if not c or c.get("available") is False:
        return lines + [f"Compile times: {NA}: {(c or {}).get('reason', 'no figures')}."]
    lines += [
        f"`new WebAssembly.Module(bytes)` in a fresh Node process each run (V8 {c['v8']}; workerd and "
        "Chromium embed their own, newer V8s, so these are the order of the cost, not its exact figure). "
        "V8's default compiles a function when it is first called, so accepting a module is decoding and "
        "validating it; the eager column compiles every function up front (the bound). Median of the "
        "runs, minimum in brackets.",
        "",
        "| wasm | raw | compile, V8 default (lazy) | eager (every function) |",
        "|---|---:|---:|---:|",
    ]
    names = {"worker": "worker, as deployed (edge/build)", "spa": "SPA first-load wasm"}
    for label, b in c["builds"].items():
        name = names.get(label) or f"worker part `{label.split(':', 1)[-1]}` alone"
        lz, eg = b["lazy"], b["eager"]
        lines.append(
            f"| {name} | {kib(b['raw_bytes'])} | {lz['median_ms']:.1f} ms ({lz['min_ms']:.1f}) | "
            f"{eg['median_ms']:.1f} ms ({eg['min_ms']:.1f}) |")
    return lines


def twiggy_section(raw, doc):
    """Issue 15, item 1: the top contributors to each wasm, by crate and by function."""
    tw = load(raw, "twiggy")
    doc["twiggy"] = tw
    lines = ["## Where the bytes go (twiggy, release build before wasm-bindgen)", ""]
    if not tw or tw.get("available") is False:
        return lines + [f"Top contributors: {NA}: {(tw or {}).get('reason', 'no figures')}."]
    lines += [
        "Code and data only (names, wasm-bindgen's descriptions and other custom sections are "
        "left out: they never ship); wasm-opt shrinks the total further. By crate: the crate a "
        "symbol's path starts with. By function: monomorphized copies of one generic function summed.",
        "",
    ]
    names = {"spa": "SPA (app)", "worker": "worker (edge)"}
    for key, label in names.items():
        r = tw.get(key)
        if not r:
            continue
        note = " — **this worker build has the `bench` feature** (reused build)" if r.get("has_bench_feature") else ""
        lines += [
            f"### {label}: {r['code_and_data_bytes'] / 1024:,.1f} KiB of code and data in {r['items']:,} items, "
            f"{r['crates']} crates{note}",
            "",
            "| crate | bytes | share | items |",
            "|---|---:|---:|---:|",
        ]
        lines += [f"| `{c['name']}` | {c['bytes']:,} | {c['share']:.1%} | {c['items']:,} |" for c in r["by_crate"]]
        lines += ["", "| function (generic copies summed) | bytes | share | copies |", "|---|---:|---:|---:|"]
        for f in r["by_function"]:
            name = f["name"] if len(f["name"]) <= 110 else f["name"][:107] + "…"
            name = name.replace("|", "\\|")
            lines.append(f"| `{name}` | {f['bytes']:,} | {f['share']:.1%} | {f['items']:,} |")
        lines.append("")
    return lines


def wrk_section(raw, doc):
    rounds = {}
    for path in sorted(glob.glob(os.path.join(raw, "wrk-*-*.json"))):
        name, rnd = os.path.basename(path)[4:-5].rsplit("-", 1)
        if rnd == "warmup" or os.path.getsize(path) == 0:
            continue
        with open(path) as f:
            rounds.setdefault(name, {})[rnd] = json.load(f)
    doc["wrk"] = rounds
    health = rounds.get("health", {})
    floor = rounds.get("do_floor", {})
    lines = [
        "## Edge latency under load (wrk on loopback, same workerd run)",
        "",
        "| route | req/s ÷ health | p50 ÷ health | p99 ÷ health | req/s | p50 | p99 | errors (non-2xx/3xx, timeouts) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {
        "health": "GET /api/health (hello-world baseline)",
        "do_floor": "GET /api/bench/do-ping (bench build: a bare Durable Object round trip, the object answers before loading anything)",
        "kms": "GET /api/companies/acme/kms (KMS status, session bearer)",
        "envelope_decrypt": "POST /api/envelope/companies/acme/data-keys/decrypt (service bearer)",
    }
    summary = {}
    for name, label in labels.items():
        runs = rounds.get(name)
        if not runs:
            continue
        # Ratios are taken round by round (each route runs right after health), then the median.
        def per_round(metric, base=health):
            rs = [ratio(runs[r][metric], base[r][metric]) for r in runs if r in base]
            rs = [r for r in rs if r is not None]
            return statistics.median(rs) if rs else None

        med = {m: statistics.median(r[m] for r in runs.values()) for m in ("rps", "p50_ms", "p99_ms")}
        errs = sum(r["errors"]["status"] + r["errors"]["timeout"] for r in runs.values())
        total = sum(r["requests"] for r in runs.values())
        summary[name] = {**med, "rps_ratio": per_round("rps"), "p50_ratio": per_round("p50_ms"),
                         "p99_ratio": per_round("p99_ms"), "errors": errs, "requests": total,
                         "rps_vs_floor": per_round("rps", floor), "p50_vs_floor": per_round("p50_ms", floor)}
        s = summary[name]
        lines.append(
            f"| {label} | **{x(s['rps_ratio'])}** | **{x(s['p50_ratio'])}** | {x(s['p99_ratio'])} | "
            f"{s['rps']:,.0f} | {s['p50_ms']:.1f} ms | {s['p99_ms']:.1f} ms | {errs} of {total:,} |"
        )
    against = [(label, summary[n]) for n, label in labels.items()
               if n in ("kms", "envelope_decrypt") and n in summary and summary[n]["p50_vs_floor"] is not None]
    if against:
        lines += ["", "Against the bare Durable Object round trip (same rounds): what a route costs beyond asking its object.", "",
                  "| route | req/s ÷ bare round trip | p50 ÷ bare round trip |", "|---|---:|---:|"]
        lines += [f"| {label} | {x(s['rps_vs_floor'])} | {x(s['p50_vs_floor'])} |" for label, s in against]
    env = load(raw, "envelope")
    if env and not env.get("available", True):
        lines.append(f"| envelope API decrypt | {NA} | {NA} | {NA} | {NA} | {NA} | {NA} | {env['reason']} |")
    elif env and not env.get("documented_in_openapi"):
        lines += ["", "The envelope API answered but is not yet documented in edge/openapi.yaml; measured as routed in edge/src/lib.rs."]
    doc["wrk_summary"] = summary
    return lines


def crypto_section(raw, doc):
    worker, native, o3, ossl = (load(raw, n) or {} for n in ("worker-crypto", "native", "native-o3", "openssl"))
    doc["crypto"] = {"workerd": worker, "native_release_opt_z": native, "native_opt3": o3, "openssl": ossl}
    lines = [
        "## Crypto inside the worker vs native code (ops/s, same machine)",
        "",
        "The edge verifies RS256 through WebCrypto; it keeps RustCrypto's AES-256-GCM (synchronous, "
        "no key import per call); RSA-OAEP-256 wrapping happens in Key Vault, not in the worker.",
        "",
        "| operation | WebCrypto in workerd ÷ native | wasm RustCrypto ÷ native | WebCrypto ÷ openssl | "
        "WebCrypto in workerd | wasm RustCrypto in workerd | native (opt z) | native (opt 3) | openssl speed | workerd clock check |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    rows = [
        ("RSA-OAEP-256 wrap, 4096-bit key", "rsa_oaep256_wrap", ossl.get("rsa4096_public_op_per_s"),
         "rsa4096 public op", "_webcrypto"),
        ("AES-256-GCM data-key decrypt (32 B; WebCrypto imports the key per op)", "aes256gcm_decrypt",
         ossl.get("aes256gcm_decrypt_48B_per_s"), "EVP, 48 B, key set once", "_webcrypto"),
        ("AES-256-GCM data-key decrypt (32 B; WebCrypto key imported once)", "aes256gcm_decrypt",
         ossl.get("aes256gcm_decrypt_48B_per_s"), "EVP, 48 B, key set once", "_webcrypto_key_kept"),
        ("RS256 verify, 2048-bit key (WebCrypto imports the key per op)", "rs256_verify",
         ossl.get("rsa2048_verify_per_s"), "rsa2048 verify", "_webcrypto"),
    ]
    for label, key, ref, ref_note, variant in rows:
        w, wc = worker.get(key, {}), worker.get(key + variant, {})
        wops, wcops = w.get("ops_per_s"), wc.get("ops_per_s")
        nops = native.get(key, {}).get("ops_per_s")
        oops = o3.get(key, {}).get("ops_per_s")
        checks = [c for c in (w, wc) if c]
        clock = NA
        if checks:
            clock = ("Date.now() agrees with the client-side timing" if all(c.get("clock_ok") for c in checks)
                     else "Date.now() disagreed for one: client-side timing used there")
        lines.append(
            f"| {label} | **{x(ratio(wcops, nops))}** | {x(ratio(wops, nops))} | {x(ratio(wcops, ref))} | "
            f"{num(wcops)} | {num(wops)} | {num(nops)} | {num(oops)} | {num(ref)} ({ref_note}) | {clock} |"
        )
    return lines + aes_by_size_lines(worker, native, o3, ossl)


def size_label(size):
    size = int(size)
    return f"{size >> 20} MiB" if size >= 1 << 20 else f"{size >> 10} KiB" if size >= 1024 else f"{size} B"


def mb_s(ops, size):
    return None if ops is None else ops * size / 1e6


def aes_by_size_lines(worker, native, o3, ossl):
    """AES-256-GCM opens per message size, key schedule made once everywhere."""
    by_size = worker.get("aes256gcm_decrypt_by_size") or {}
    if not by_size:
        return []
    lines = [
        "",
        "AES-256-GCM decrypt by message size (the key schedule made once on every path: a kept WebCrypto "
        "`CryptoKey`, one RustCrypto cipher, `openssl speed` with the key set once). Throughput in MB/s; "
        "*best in workerd* is the faster of WebCrypto and wasm RustCrypto.",
        "",
        "| message | best in workerd ÷ native (opt z) | ÷ native (opt 3) | ÷ openssl | WebCrypto in workerd | "
        "wasm RustCrypto in workerd | native (opt z) | native (opt 3) | openssl speed |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    n_by, o3_by = native.get("aes256gcm_decrypt_by_size") or {}, o3.get("aes256gcm_decrypt_by_size") or {}
    ossl_by = ossl.get("aes256gcm_decrypt_by_size_per_s") or {}
    for key in sorted(by_size, key=int):
        size = int(key)
        wc = by_size[key].get("webcrypto", {}).get("ops_per_s")
        rc = by_size[key].get("rustcrypto", {}).get("ops_per_s")
        best = max((v for v in (wc, rc) if v), default=None)
        nz, n3, op = (n_by.get(key) or {}).get("ops_per_s"), (o3_by.get(key) or {}).get("ops_per_s"), ossl_by.get(key)
        label = size_label(size)
        cells = " | ".join("—" if v is None else f"{v:,.1f}" for v in (mb_s(wc, size), mb_s(rc, size), mb_s(nz, size),
                                                                     mb_s(n3, size), mb_s(op, size)))
        lines.append(f"| {label} | **{x(ratio(best, nz))}** | {x(ratio(best, n3))} | {x(ratio(best, op))} | {cells} |")
    return lines


def aes_largest_ratio(worker, native):
    """Best in workerd ÷ native (opt z) for the largest message measured."""
    by_size = worker.get("aes256gcm_decrypt_by_size") or {}
    if not by_size:
        return None, None
    key = max(by_size, key=int)
    best = max((v for v in (by_size[key].get(p, {}).get("ops_per_s") for p in ("webcrypto", "rustcrypto")) if v),
               default=None)
    return key, ratio(best, ((native.get("aes256gcm_decrypt_by_size") or {}).get(key) or {}).get("ops_per_s"))


def profile_section(raw, doc):
    prof = load(raw, "profile") or {}
    doc["profile"] = prof
    lines = [
        "## Where a hot request's time goes (Server-Timing of the bench build, sequential requests, means)",
        "",
        "| route | phases by the isolate's clock (ms) | edge total | client round trip |",
        "|---|---|---:|---:|",
    ]
    labels = {
        "do_floor": "GET /api/bench/do-ping (a bare Durable Object round trip)",
        "kms": "GET …/kms, session already verified by this isolate",
        "kms_new_session": "GET …/kms, a new session each request (signature verified)",
        "envelope_decrypt": "POST …/data-keys/decrypt",
    }
    if prof.get("available") is False:
        return lines + [f"| — | {NA}: {prof.get('reason')} | | |"]
    for key, label in labels.items():
        p = prof.get(key)
        if not p or not p.get("available"):
            continue
        phases = ", ".join(f"{k} {v:.2f}" for k, v in p["phases_ms_mean"].items())
        lines.append(f"| {label} (n={p['n']}) | {phases} | {p['edge_ms_mean']:.2f} ms | {p['client_ms_mean']:.2f} ms |")
    return lines


def goals_section(raw, doc):
    """Issue 15's goals, each as measured in this run (ratios within it, sizes absolute)."""
    sizes, upload, spa = load(raw, "sizes") or {}, load(raw, "upload") or {}, load(raw, "spa") or {}
    worker, native = load(raw, "worker-crypto") or {}, load(raw, "native") or {}
    wrk = doc.get("wrk_summary") or {}

    def spa_gzip():
        first = spa_first_load(sizes)
        return first["gzip"] / 1024 if first else None

    def crypto(key):
        best = [worker.get(k, {}).get("ops_per_s") for k in (key, key + "_webcrypto", key + "_webcrypto_key_kept")]
        best = [b for b in best if b]
        return ratio(max(best), native.get(key, {}).get("ops_per_s")) if best else None

    def route(name, metric):
        return (wrk.get(name) or {}).get(metric)

    aes_key, aes_big = aes_largest_ratio(worker, native)
    aes_label = "1 MiB" if aes_key is None else size_label(aes_key)
    cold = ratio(spa.get("cold_ms_median"), spa.get("health_ms_median")) if spa.get("available", True) else None
    goals = [
        ("SPA first load, wasm + JS + split loader, gzip", spa_gzip(), "≤ 200 KiB (stretch 150)", lambda v: v <= 200, "{:,.1f} KiB"),
        ("SPA cold start ÷ bare navigation", cold, "≤ 3×", lambda v: v <= 3, None),
        ("GET …/kms p50 ÷ /api/health p50", route("kms", "p50_ratio"), "≤ 1.5×", lambda v: v <= 1.5, None),
        ("GET …/kms req/s ÷ health", route("kms", "rps_ratio"), "≥ 0.67×", lambda v: v >= 0.67, None),
        ("envelope decrypt p50 ÷ health p50", route("envelope_decrypt", "p50_ratio"), "≤ 1.5×", lambda v: v <= 1.5, None),
        ("bare Durable Object round trip p50 ÷ health p50 (context: the floor of a route that asks its object)",
         route("do_floor", "p50_ratio"), "not a goal", None, None),
        ("GET …/kms p50 ÷ bare Durable Object round trip p50", route("kms", "p50_vs_floor"), "not a goal (1× = the platform's cost)", None, None),
        ("envelope decrypt p50 ÷ bare Durable Object round trip p50", route("envelope_decrypt", "p50_vs_floor"),
         "not a goal (1× = the platform's cost)", None, None),
        ("RSA-OAEP-256 wrap (4096) in workerd ÷ native (faster of WebCrypto / RustCrypto)", crypto("rsa_oaep256_wrap"),
         "≥ 1×", lambda v: v >= 1, None),
        ("AES-256-GCM decrypt in workerd ÷ native (faster of WebCrypto / RustCrypto)", crypto("aes256gcm_decrypt"),
         "≥ 1×", lambda v: v >= 1, None),
        (f"same, {aes_label} message, key schedule made once (per size: see the crypto section)", aes_big,
         "≥ 1× (not an issue goal: what the platform reaches per size)", lambda v: v >= 1, None),
        ("worker upload, gzip", upload.get("gzip_kib"), "≤ 450 KiB", lambda v: v <= 450, "{:,.1f} KiB"),
    ]
    doc["goals"] = []
    lines = ["## Issue 15 goals in this run", "", "| measure | this run | goal | met |", "|---|---:|---|---|"]
    for label, value, goal, ok, fmt in goals:
        shown = NA if value is None else (fmt.format(value) if fmt else x(value))
        met = NA if value is None else ("—" if ok is None else "yes" if ok(value) else "no")
        doc["goals"].append({"measure": label, "value": value, "goal": goal,
                             "met": None if value is None or ok is None else ok(value)})
        lines.append(f"| {label} | **{shown}** | {goal} | {met} |")
    return lines


def spa_section(raw, doc):
    spa = load(raw, "spa")
    doc["spa"] = spa
    lines = ["## SPA start (headless Chromium, navigation → provider shown on Manage KMS)", ""]
    if not spa or spa.get("available") is False:
        return lines + [f"{NA}: {(spa or {}).get('reason', 'no figures')}"]
    h = spa["health_ms_median"]
    lines += [
        f"| start | ÷ baseline | median of {spa['runs']} |",
        "|---|---:|---:|",
        f"| cold (fresh browser context: fetch + compile the wasm) | **{x(ratio(spa['cold_ms_median'], h))}** | {spa['cold_ms_median']:.0f} ms |",
        f"| warm (same context again, HTTP cache filled) | **{x(ratio(spa['warm_ms_median'], h))}** | {spa['warm_ms_median']:.0f} ms |",
        f"| baseline: navigation to GET /api/health | 1.00× | {h:.0f} ms |",
        "",
        f"Provider shown: “{spa.get('provider_shown')}”.",
    ]
    ph = spa.get("cold_phases_ms_median") or {}
    if any(v is not None for v in ph.values()):
        def at(k):
            return NA if ph.get(k) is None else f"{ph[k]:.0f} ms"
        wasm_bytes = ph.get("wasm_transferred_bytes")
        lines += [
            "",
            "Where a cold start's time goes (page clock from the navigation's start, median of the cold runs): "
            f"HTML answered {at('html')}; wasm downloaded {at('wasm_downloaded')}"
            + (f" ({wasm_bytes / 1024:,.1f} KiB on the wire)" if wasm_bytes else "")
            + f"; app started (compiled, instantiated, mounted) {at('app_started')}; "
            f"Manage KMS state answered {at('state_answered')}; provider shown {spa['cold_ms_median']:.0f} ms "
            "(timed from outside: adds the time before the navigation starts and Playwright's polling).",
        ]
    return lines


def finalize_section(raw, doc):
    fin = load(raw, "finalize")
    doc["finalize"] = fin
    lines = ["## Finalization (one whole switch over HTTP, simulator at zero added latency)", "", "| metric | value |", "|---|---:|"]

    def count(calls, service):
        return (calls or {}).get(service, 0)

    if not fin or fin.get("available") is False:
        reason = (fin or {}).get("reason", "no figures")
        so_far = (fin or {}).get("calls_before_stopping")
        lines += [
            f"| last tenant verified → provider flipped | {NA} yet: {reason} |",
            f"| Entra calls per completed switch | {NA} yet |",
            f"| Key Vault calls per completed switch | {NA} yet |",
        ]
        if so_far is not None:
            lines.append(f"| calls up to where the switch stopped (start → Save) | Entra {count(so_far, 'entra')}, "
                         f"Key Vault {count(so_far, 'keyvault')} |")
        return lines
    total, during = fin.get("calls_per_switch"), fin.get("calls_during_finalization")
    lines += [
        f"| last tenant verified → provider flipped, edge clock (audit: tenant_verified → switch_committed) | **{fin['finalize_ms']:.0f} ms** |",
        f"| same, as a client sees it (last sign-in callback sent → GET …/kms shows the new provider) | {fin['finalize_client_ms']:.0f} ms |",
        f"| Entra calls per completed switch ({fin['tenants']} tenant(s)) | **{count(total, 'entra')}** ({count(during, 'entra')} during finalization) |",
        f"| Key Vault calls per completed switch | **{count(total, 'keyvault')}** ({count(during, 'keyvault')} during finalization) |",
        f"| whole switch, driven over HTTP without pauses | {fin['switch_total_ms']:.0f} ms |",
    ]
    return lines


def health_section(raw, doc):
    h = load(raw, "health")
    doc["health"] = h
    lines = ["## Key health monitor: call budget per key (issue 14, item 1)", "", "| metric | value |", "|---|---:|"]
    if not h or h.get("available") is False:
        reason = (h or {}).get("reason", "no figures")
        return lines + [f"| alarm-driven checks | {NA}: {reason} |"]
    now = h.get("check_now_calls") or {}
    per_check = h.get("kv_calls_per_check")
    lines += [
        f"| measured: checks by the alarm in {h['window_s']:.0f} s (test stack interval {h['configured_interval_s']} s) | {h['checks']} (one every {h['interval_s']:.1f} s) |",
        f"| measured: Key Vault calls per check (GET of the key; probe only daily or on a change) | **{num(per_check, '{:.2f}')}** ({h['kv_calls']} calls, {h['probes']} probe(s)) |",
        f"| measured: Entra token requests in the window (cached token) | {h['entra_token_requests']} |",
        f"| measured: one Check now (fresh token, GET{', probe' if now.get('keyvault', 0) > 1 else ''}) | Key Vault {now.get('keyvault', 0)}, Entra {now.get('entra', 0)}; {h['check_now_ms']} ms |",
        f"| projected at the production interval ({h['production_interval_s']:.0f} s): Key Vault transactions per key per day | **{h['projected_kv_transactions_per_key_per_day']:.0f}** |",
        f"| share of Key Vault's RSA-4096 limit per vault (software 500 / 10 s; HSM 250 / 10 s) | {h['share_of_software_limit_pct']:.4f} % ; {h['share_of_hsm_limit_pct']:.4f} % |",
    ]
    return lines


def main():
    raw, out_md, out_json = sys.argv[1:4]
    machine = load(raw, "machine") or {}
    loads = []
    load_path = os.path.join(raw, "load.jsonl")
    if os.path.exists(load_path):
        with open(load_path) as f:
            loads = [json.loads(line) for line in f if line.strip()]
    doc = {"machine": machine, "loadavg": loads}
    lines = [
        f"# keyswitch benchmarks — {machine.get('date', '?')}",
        "",
        f"Machine: {machine.get('nproc', '?')} CPUs ({machine.get('cpu', '?')}), Linux {machine.get('kernel', '?')}; "
        f"commit {machine.get('commit', '?')}{' + uncommitted changes' if machine.get('dirty') else ''}.",
        "Load average (1/5/15 min) as each part started: "
        + "; ".join(f"{e['section']} {e['loadavg']}" for e in loads)
        + ".",
        "Ratios are measured within this one run and are the figures to compare; absolute numbers move with the machine's load.",
        "",
    ]
    body = []
    for section in (sizes_section, twiggy_section, wrk_section, profile_section, crypto_section, spa_section,
                    finalize_section, health_section):
        body += section(raw, doc) + [""]
    # The goals read what the sections gathered (wrk's ratios); printed first.
    lines += goals_section(raw, doc) + [""] + body
    os.makedirs(os.path.dirname(out_md), exist_ok=True)
    with open(out_md, "w") as f:
        f.write("\n".join(lines))
    with open(out_json, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
