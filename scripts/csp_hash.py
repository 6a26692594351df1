"""Pins the SPA's inline boot script in the static assets' CSP by its hash.

Trunk emits one inline ``<script type="module">`` that imports and starts the
wasm bundle. Instead of allowing inline scripts, this adds the script's
SHA-256 to ``script-src`` in the ``_headers`` file Workers Static Assets serve.
"""

import base64
import hashlib
import re
import sys


def main(index_path: str, headers_path: str) -> None:
    html = open(index_path, encoding="utf-8").read()
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S)
    inline = [s for s in scripts if s.strip()]
    if not inline:
        sys.exit(f"{index_path}: no inline script found; is this a Trunk build?")
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'"
        for s in inline
    )
    headers = open(headers_path, encoding="utf-8").read()
    new, count = re.subn(r"script-src 'self'[^;]*", f"script-src 'self' 'wasm-unsafe-eval' {hashes}", headers)
    if count != 1:
        sys.exit(f"{headers_path}: expected one script-src directive, found {count}")
    open(headers_path, "w", encoding="utf-8").write(new)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
