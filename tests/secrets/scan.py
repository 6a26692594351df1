#!/usr/bin/env python3
"""Secrets never leave (issue 18 item 7): after the test run, search the
stack's logs (worker, simulator, moto) and every worker answer the tests
recorded for the secrets the run knew, and fail on any hit.

The secrets: every value of the stack's dev.vars (PLATFORM_KEY, the
connector's and Google's client secrets, the envelope credentials, the AWS
secret, the webhook secret), the client secrets of the simulator's app
registrations (read from its control API while it runs), and what the tests
recorded (tests/integration/src/record.rs, tests/e2e/pages.mjs): session
tokens they minted, client secrets they sent, company keys an export
returned. A company key may appear only in the answer of the export that
returned it (`POST …/kms/export`, 200): that answer is the export.

A finding names the file, the line and the kind of secret, never the value.

usage: scan.py --logs DIR --records DIR --dev-vars FILE [--sim-url URL] [--expect-e2e]
       scan.py --self-test
"""
import argparse
import base64
import json
import os
import pathlib
import sys
import tempfile
import urllib.request

MIN_LEN = 8


def dev_vars(path):
    found = []
    for line in pathlib.Path(path).read_text().splitlines():
        if "=" not in line or line.lstrip().startswith("#"):
            continue
        name, value = line.split("=", 1)
        value = value.strip().strip('"')
        if len(value) >= MIN_LEN:
            found.append((name.strip(), value))
    return found


def sim_secrets(url):
    """Client secrets in the simulator's state: `secret` fields and the
    `value` of every entry of a `secrets` list."""
    with urllib.request.urlopen(url.rstrip("/") + "/_control/state", timeout=30) as r:
        state = json.load(r)
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "secret" and isinstance(v, str):
                    found.append((f"simulator {where}.secret", v))
                elif k == "secrets" and isinstance(v, list):
                    for s in v:
                        if isinstance(s, dict) and isinstance(s.get("value"), str):
                            found.append((f"simulator {where} client secret", s["value"]))
                else:
                    walk(v, k)
        elif isinstance(node, list):
            for x in node:
                walk(x, where)

    walk(state, "state")
    return [(k, v) for k, v in found if len(v) >= MIN_LEN]


def recorded(records):
    secrets, responses = [], []
    for f in sorted(pathlib.Path(records).glob("secrets-*.jsonl")):
        for line in f.read_text().splitlines():
            if line.strip():
                s = json.loads(line)
                secrets.append((s["kind"], s["value"]))
    for f in sorted(pathlib.Path(records).glob("responses-*.jsonl")):
        for n, line in enumerate(f.read_text().splitlines(), 1):
            if line.strip():
                responses.append((f"{f.name}:{n}", json.loads(line)))
    return secrets, responses


def variants(value):
    """The value and, for base64 keys, its URL-safe and unpadded spellings."""
    out = {value}
    try:
        raw = base64.b64decode(value, validate=True)
        if len(raw) >= 16:
            out.add(base64.urlsafe_b64encode(raw).decode())
            out.add(base64.urlsafe_b64encode(raw).decode().rstrip("="))
            out.add(base64.b64encode(raw).decode().rstrip("="))
            out.add(raw.hex())
    except (ValueError, TypeError):
        pass
    return {v for v in out if len(v) >= MIN_LEN}


def scan(logs, records, secrets, allowed_export=True):
    """Returns (findings, counts)."""
    needles = []
    for kind, value in secrets:
        for v in variants(value):
            needles.append((kind, v))
    findings = []
    log_files = sorted(pathlib.Path(logs).glob("*.log")) if logs else []
    lines = 0
    for f in log_files:
        for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1):
            lines += 1
            for kind, v in needles:
                if v in line:
                    findings.append(f"{f.name}:{n}: {kind}")
    _, responses = recorded(records)
    for where, r in responses:
        body = r.get("body", "")
        is_export = r.get("path", "").endswith("/kms/export") and r.get("status") == 200
        for kind, v in needles:
            if v in body and not (allowed_export and kind == "exported_key" and is_export):
                findings.append(f"{where} ({r.get('method')} {r.get('path')} {r.get('status')}): {kind}")
    return sorted(set(findings)), {
        "log files": len(log_files),
        "log lines": lines,
        "recorded answers": len(responses),
        "secrets": len({v for _, v in secrets}),
    }


def self_test():
    """The scan finds a planted secret in a log and in an answer, lets an
    export carry its own key, and finds that key anywhere else."""
    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        (d / "logs").mkdir()
        (d / "rec").mkdir()
        key = base64.b64encode(bytes(range(32))).decode()
        (d / "dev.vars").write_text('PLATFORM_KEY="%s"\nCONNECTOR_CLIENT_SECRET="planted-secret-1"\n' % key)
        (d / "logs" / "worker.log").write_text("ok\nsent planted-secret-1 to entra\n")
        (d / "rec" / "secrets-1.jsonl").write_text(
            json.dumps({"kind": "exported_key", "value": "EXPORTEDKEYBYTES0123"}) + "\n")
        (d / "rec" / "responses-1.jsonl").write_text("\n".join(json.dumps(x) for x in [
            {"method": "POST", "path": "/api/companies/a/kms/export", "status": 200,
             "body": '{"key":"EXPORTEDKEYBYTES0123"}'},
            {"method": "GET", "path": "/api/companies/a/kms", "status": 200,
             "body": '{"x":"EXPORTEDKEYBYTES0123"}'},
            {"method": "GET", "path": "/api/x", "status": 200,
             "body": base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")},
        ]) + "\n")
        secrets = dev_vars(d / "dev.vars") + recorded(d / "rec")[0]
        findings, _ = scan(d / "logs", d / "rec", secrets)
        expected = [
            "responses-1.jsonl:2 (GET /api/companies/a/kms 200): exported_key",
            "responses-1.jsonl:3 (GET /api/x 200): PLATFORM_KEY",
            "worker.log:2: CONNECTOR_CLIENT_SECRET",
        ]
        if findings != expected:
            print(f"secrets scan self-test FAILED: {findings} != {expected}", file=sys.stderr)
            return 1
    print("secrets scan self-test: a planted secret is found in a log and in an answer")
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--logs")
    p.add_argument("--records")
    p.add_argument("--dev-vars")
    p.add_argument("--sim-url")
    p.add_argument("--self-test", action="store_true")
    p.add_argument("--expect-e2e", action="store_true",
                   help="fail unless the browser tests recorded answers too")
    a = p.parse_args()
    if a.self_test:
        return self_test()
    if not (a.logs and a.records and a.dev_vars):
        p.error("--logs, --records and --dev-vars are required")
    secrets = dev_vars(a.dev_vars)
    if a.sim_url:
        secrets += sim_secrets(a.sim_url)
    rec_secrets, responses = recorded(a.records)
    secrets += rec_secrets
    findings, counts = scan(a.logs, a.records, secrets)
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    if counts["recorded answers"] == 0 or counts["log lines"] == 0:
        print(f"secrets scan: nothing to scan ({summary}): the run recorded nothing", file=sys.stderr)
        return 1
    if a.expect_e2e and not list(pathlib.Path(a.records).glob("responses-e2e-*.jsonl")):
        print("secrets scan: the browser tests recorded nothing: does every spec import `test` "
              "from ./pages.mjs?", file=sys.stderr)
        return 1
    if not any(k == "session_token" for k, _ in rec_secrets):
        print("secrets scan: no session token was recorded: the recorder is not wired", file=sys.stderr)
        return 1
    if findings:
        print(f"secrets scan: {len(findings)} finding(s) ({summary}):", file=sys.stderr)
        for f in findings:
            print(f"  {f}", file=sys.stderr)
        return 1
    print(f"secrets scan: no secret found ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
