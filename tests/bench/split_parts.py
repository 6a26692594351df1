"""Which on-demand parts need which shared module, read from the split
loader (scripts/split_wasm.py keeps wasm-split's comment above each shared
module: the parts that import it). Prints JSON: {"chunk_6": ["audit", ...]}.

Usage: split_parts.py LOADER_JS
"""

import json
import re
import sys


def parts_of(loader: str) -> dict:
    shared = {}
    for parts, chunk in re.findall(r"/\* ([a-z_0-9, ]+) \*/\s*const __(chunk_[0-9]+) =", loader):
        shared[chunk] = [p.strip() for p in parts.split(",")]
    return shared


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: split_parts.py LOADER_JS")
    with open(sys.argv[1], encoding="utf-8") as f:
        found = parts_of(f.read())
    json.dump(found, sys.stdout, indent=1, sort_keys=True)
