"""Where the bytes of a wasm build go, for scripts/bench: runs the pinned
`twiggy top` over a release build *before* wasm-bindgen (which strips the
function names) and sums the items by crate and by function.

Usage: twiggy_report.py LABEL=WASM [LABEL=WASM ...]; prints JSON on stdout.

What is counted: code and data only. The custom sections (the names
themselves, wasm-bindgen's `__wasm_bindgen_unstable` descriptions, producers,
target features) wasm-bindgen's `__wbindgen_describe_*` functions (and their exports) and
its placeholder imports are
removed by wasm-bindgen before anything ships, so they are left out; the
shares are of what remains (wasm-opt then shrinks it further, roughly in
proportion).

By crate: the crate a symbol's path starts with (`tachys::…`,
`<serde_json::de::Deserializer<R> as …>` → `serde_json`; a generic
`<F as tachys::…>` → `tachys`; `core::option::Option<T>::map` → `core`):
where the code was written, not which caller's types made it. By function:
the same name without its `::h<hash>` suffix, so each generic function's
monomorphized copies are summed and counted.
"""

import json
import re
import subprocess
import sys

TOP = 15
HASH = re.compile(r"::h[0-9a-f]{16}$")
# A crate name with rustc's disambiguator, as std's own crates show it: dlmalloc[e24a…]
DISAMBIGUATOR = re.compile(r"\[[0-9a-f]+\]")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_shipped(name):
    """False for what wasm-bindgen removes before the wasm ships."""
    return not (
        name.startswith("custom section ")
        or name.endswith(" subsection")
        or "__wbindgen_describe" in name
        or name.startswith("import __wbindgen_placeholder__::")
        or name.startswith("import __wbindgen_externref_xform__::")
    )


def crate_of(name):
    """The crate a symbol's code belongs to (see the module doc)."""
    if name.startswith("data segment") or name.startswith("data["):
        return "(data: string literals, tables, statics)"
    if name.startswith("elem["):
        return "(function table)"
    if name.startswith("global[") or name.startswith("table[") or name in ("type section", "import section"):
        return "(wasm structure)"
    s = DISAMBIGUATOR.sub("", name)
    # Walk the path prefix: `<`, `&`, `mut `, `dyn `, `*const ` and `(` open
    # the first type; the first identifier followed by `::` is the crate.
    rest = s
    while True:
        rest = rest.lstrip("<&(*[ ")
        for prefix in ("mut ", "dyn ", "const ", "impl "):
            if rest.startswith(prefix):
                rest = rest[len(prefix):]
                break
        else:
            break
    m = IDENT.match(rest)
    if m and rest[m.end():m.end() + 2] == "::":
        return m.group(0)
    # A generic parameter or a primitive (`<F as tachys::…>`, `<u8 as …>`):
    # the trait's crate.
    as_ = s.find(" as ")
    if as_ >= 0:
        t = s[as_ + 4:].lstrip("<&(* ")
        m = IDENT.match(t)
        if m and t[m.end():m.end() + 2] == "::":
            return m.group(0)
    if m and not s.startswith("<"):
        # Exported or imported functions without a path (`main`, JS glue shims).
        return "(unmangled: exports, imports, C)"
    # Inherent methods of primitive types (`<char>::escape_debug_ext`, `<[u8]>::starts_with`).
    return "core"


def function_of(name):
    return HASH.sub("", DISAMBIGUATOR.sub("", name))


def report(path):
    out = subprocess.run(
        ["twiggy", "top", "-n", "1000000000", "-f", "json", path],
        check=True, capture_output=True, text=True,
    ).stdout
    items = json.loads(out)
    file_total = sum(i["shallow_size"] for i in items)
    shipped = [i for i in items if is_shipped(i["name"])]
    total = sum(i["shallow_size"] for i in shipped)
    crates, funcs = {}, {}
    for i in shipped:
        size, name = i["shallow_size"], i["name"]
        c = crates.setdefault(crate_of(name), [0, 0])
        c[0] += size
        c[1] += 1
        f = funcs.setdefault(function_of(name), [0, 0])
        f[0] += size
        f[1] += 1

    def top(table):
        rows = sorted(table.items(), key=lambda kv: -kv[1][0])
        return [{"name": k, "bytes": v[0], "share": v[0] / total, "items": v[1]} for k, v in rows[:TOP]]

    return {
        "file": path,
        "file_bytes": file_total,
        "code_and_data_bytes": total,
        "items": len(shipped),
        "crates": len(crates),
        "by_crate": top(crates),
        "by_function": top(funcs),
        # A worker built with the cargo feature `bench` (BENCH_SKIP_BUILD=1
        # after a bench run) holds the benchmark crate: said, not hidden.
        "has_bench_feature": any(n.startswith("keyswitch_bench_crypto") for n in crates),
    }


def main():
    doc = {}
    for arg in sys.argv[1:]:
        label, path = arg.split("=", 1)
        doc[label] = report(path)
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
