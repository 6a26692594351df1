"""Per-request profile of the hot routes for scripts/bench.

A worker built with the cargo feature `bench` answers GET …/kms and the
envelope decrypt with a `Server-Timing` header: the phases of the request by
the isolate's clock (session verification or service credential, request
body, Durable Object round trip, serialization; edge/src/profile.rs), and
`/api/bench/do-ping`, whose only phase is a bare Durable Object round trip. This
sends N sequential requests per route (nothing else running) and reports the
mean of each phase and of the whole request as the client saw it. The
isolate's clock counts whole milliseconds: a phase's mean over many requests
is still meaningful, a single one is not.

With SIM_URL set, GET …/kms is also profiled with a new session per
request (the signature verified, not remembered: `kms_new_session`).

Usage: profile.py BASE_URL N TOKEN [ENVELOPE_PATH ENVELOPE_TOKEN ENVELOPE_BODY]
Prints JSON.
"""

import json
import os
import statistics
import sys
import time
import urllib.request


def timing(header):
    phases = {}
    for part in (header or "").split(","):
        name, _, rest = part.strip().partition(";dur=")
        if name and rest:
            phases[name] = float(rest)
    return phases


def fresh_tokens(sim, n):
    """n new RedApp sessions from the simulator (minted before timing)."""
    tokens = []
    for i in range(n):
        req = urllib.request.Request(
            f"{sim}/_control/redapp/sessions",
            data=json.dumps({"sub": f"bench-{i}", "role": "company_admin", "companies": ["acme"],
                             "ttl_seconds": 3600}).encode(),
            method="POST",
        )
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as r:
            tokens.append(json.load(r)["token"])
    return tokens


def profile(base, path, n, token, body=None):
    """token: one bearer for every request, or a list (one per request)."""
    samples, client = [], []
    data = body.encode() if body else None
    for i in range(n + 5):
        req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET")
        bearer = token[i % len(token)] if isinstance(token, list) else token
        req.add_header("Authorization", f"Bearer {bearer}")
        if data:
            req.add_header("Content-Type", "application/json")
        t = time.perf_counter()
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
            header = r.headers.get("Server-Timing")
        if i < 5:  # warm-up
            continue
        client.append((time.perf_counter() - t) * 1e3)
        samples.append(timing(header))
    names = []
    for s in samples:
        names += [k for k in s if k not in names]
    if not names:
        return {"available": False, "reason": "no Server-Timing header (not a bench build?)"}
    means = {k: statistics.mean(s.get(k, 0.0) for s in samples) for k in names}
    return {
        "available": True,
        "n": n,
        "phases_ms_mean": means,
        "edge_ms_mean": sum(means.values()),
        "client_ms_mean": statistics.mean(client),
        "client_ms_median": statistics.median(client),
    }


def main():
    base, n, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    # A bare Durable Object round trip (the object answers before loading
    # anything): the floor of the routes below.
    out = {"do_floor": profile(base, "/api/bench/do-ping", n, token)}
    out["kms"] = profile(base, "/api/companies/acme/kms", n, token)
    sim = os.environ.get("SIM_URL")
    if sim:
        # Every request with a token the isolate has not verified yet.
        fresh = max(20, n // 4)
        out["kms_new_session"] = profile(base, "/api/companies/acme/kms", fresh - 5, fresh_tokens(sim, fresh))
    if len(sys.argv) > 6:
        out["envelope_decrypt"] = profile(base, sys.argv[4], n, sys.argv[5], sys.argv[6])
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
