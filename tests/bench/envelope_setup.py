"""Prepares the envelope API's decrypt benchmark for scripts/bench: creates one
data key for COMPANY with the service bearer token, checks that decrypting its
`wrapped` blob answers 200, and prints {"path": ..., "body": {...}} for wrk.
Exits non-zero (with the reason on stderr) when the API does not work yet.

Usage: envelope_setup.py BASE_URL COMPANY SERVICE_TOKEN
"""

import json
import sys
import urllib.error
import urllib.request


def post(url, token, body):
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")[:300]


def main():
    base, company, token = sys.argv[1:4]
    path = f"/api/envelope/companies/{company}/data-keys"
    status, key = post(base + path, token, {})
    if status != 200 or not isinstance(key, dict) or "wrapped" not in key:
        sys.exit(f"POST {path} answered {status}: {key}")
    body = {"wrapped": key["wrapped"]}
    status, plain = post(base + path + "/decrypt", token, body)
    if status != 200:
        sys.exit(f"POST {path}/decrypt answered {status}: {plain}")
    print(json.dumps({"path": path + "/decrypt", "body": body}))


if __name__ == "__main__":
    main()
