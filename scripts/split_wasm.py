"""Splits the console's wasm at its split points (app/src/on_demand.rs).

Trunk builds the console with the cargo feature ``split`` (app/index.html) and
links it with its relocations kept (app/build.rs), but cannot split it: the
split must happen on the linked module, before wasm-bindgen (trunk issue
#1022). So after ``trunk build --release`` this script redoes Trunk's last
steps on the same linked module:

1. ``wasm-split-cli`` (wasm_split_cli_support, the splitter Leptos's own
   tooling uses) writes the main module, one module per split point (and one
   per group of code that several split points share) and the loader
   ``__wasm_split.js``;
2. wasm-bindgen, as Trunk ran it, plus ``--keep-lld-exports`` (the chunks
   import the main module's memory, table and shared functions);
3. wasm-opt -Oz on every module;
4. esbuild (the pinned one worker-build uses) minifies the JS glue and the
   loader.

The main module and its JS keep Trunk's file names, so the boot script and
the CSP hash of it do not change (the loader gets a modulepreload link beside
the glue's). The chunks and the loader get names with their content's hash:
an open tab of an older deployment must never instantiate a newer chunk
against its own memory (it gets a failed load, and the console says to
reload). The loader fetches each chunk with its subresource integrity, and
the preload links' integrity hashes are made anew.

Usage: split_wasm.py DIST LINKED_WASM
"""

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

WASM_OPT_FEATURES = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
]


def run(*args: str) -> None:
    subprocess.run(args, check=True)


def minified(js: str) -> str:
    """The module minified by the pinned esbuild (scripts/lib.sh's
    ESBUILD_BIN, the one worker-build uses): same imports and exports."""
    esbuild = os.environ.get("ESBUILD_BIN", "esbuild")
    done = subprocess.run(
        [esbuild, "--minify", "--format=esm", "--loader=js", "--log-level=error"],
        input=js, capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        sys.exit(f"esbuild could not minify a module: {done.stderr.strip()}")
    return done.stdout


def parts_of(loader: str) -> dict:
    """Which split points import each shared module, from the comment
    wasm-split writes above it (`/* audit, azure */ const __chunk_5 = …`)."""
    shared = {}
    for parts, chunk in re.findall(r"/\* ([a-z_0-9, ]+) \*/\s*const __(chunk_[0-9]+) =", loader):
        shared[chunk] = [p.strip() for p in parts.split(",")]
    return shared


def content_hash(path: str) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()[:16]


def integrity(path: str) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(open(path, "rb").read()).digest()).decode()


def main(dist: str, linked: str) -> None:
    index_path = os.path.join(dist, "index.html")
    html = open(index_path, encoding="utf-8").read()
    names = sorted(set(re.findall(r"/(keyswitch-app-[0-9a-f]+)(?:_bg\.wasm|\.js)", html)))
    if len(names) != 1:
        sys.exit(f"{index_path}: expected one Trunk bundle name, found {names}")
    stem = names[0]
    # The pinned tools scripts/lib.sh names (the same ones Trunk and
    # worker-build are given).
    wasm_opt = os.environ.get("WASM_OPT_BIN", "wasm-opt")
    wasm_bindgen = os.environ.get("WASM_BINDGEN_BIN", "wasm-bindgen")

    with tempfile.TemporaryDirectory() as tmp:
        split_dir = os.path.join(tmp, "split")
        bound_dir = os.path.join(tmp, "bound")
        run("wasm-split-cli", linked, split_dir, "--target", "web", "--out-name", stem)
        run(
            wasm_bindgen, "--target", "web", "--no-typescript", "--keep-lld-exports",
            "--out-name", stem, "--out-dir", bound_dir, os.path.join(split_dir, f"{stem}.wasm"),
        )
        main_wasm = os.path.join(bound_dir, f"{stem}_bg.wasm")
        chunks = sorted(f for f in os.listdir(split_dir) if f.endswith(".wasm") and f != f"{stem}.wasm")
        if not chunks:
            sys.exit(f"{linked}: no split point found; was it built with the feature `split`?")
        for path in [main_wasm] + [os.path.join(split_dir, c) for c in chunks]:
            run(wasm_opt, "-Oz", "--strip-debug", "--strip-producers", *WASM_OPT_FEATURES, path, "-o", path)

        loader = open(os.path.join(split_dir, "__wasm_split.js"), encoding="utf-8").read()
        # For the bench: which part needs which shared module (the comments
        # go with the minification).
        with open(f"{os.path.splitext(linked)[0]}.split-parts.json", "w", encoding="utf-8") as f:
            json.dump(parts_of(loader), f, indent=1, sort_keys=True)
        for chunk in chunks:
            path = os.path.join(split_dir, chunk)
            hashed = f"{chunk[:-5]}-{content_hash(path)}.wasm"
            # Fetched with its integrity: a module altered anywhere on the way
            # is refused by the browser (the console then says it could not
            # load the part).
            call = f'fetch(new URL("./{chunk}", import.meta.url))'
            if loader.count(call) != 1:
                sys.exit(f"__wasm_split.js: expected one fetch of ./{chunk}")
            loader = loader.replace(
                call, f'fetch(new URL("./{hashed}", import.meta.url), {{ integrity: "{integrity(path)}" }})'
            )
            shutil.copyfile(path, os.path.join(dist, hashed))
        loader = minified(loader)
        loader_name = f"__wasm_split-{hashlib.sha256(loader.encode()).hexdigest()[:16]}.js"
        open(os.path.join(dist, loader_name), "w", encoding="utf-8").write(loader)

        glue = open(os.path.join(bound_dir, f"{stem}.js"), encoding="utf-8").read()
        # The module's import name stays; only where the glue fetches it from
        # changes.
        glue, count = re.subn(r'(from )"\./__wasm_split\.js"', rf'\1"./{loader_name}"', glue)
        if count == 0:
            sys.exit(f"{stem}.js: the loader is not imported; did the split find its placeholder?")
        open(os.path.join(dist, f"{stem}.js"), "w", encoding="utf-8").write(minified(glue))
        shutil.copyfile(main_wasm, os.path.join(dist, f"{stem}_bg.wasm"))

    # The glue imports the loader: preload it beside the glue, so the module
    # graph does not wait for one more round trip on a cold start.
    glue_link = re.search(rf'<link rel="modulepreload" href="/{re.escape(stem)}\.js"[^>]*>', html)
    if not glue_link:
        sys.exit(f"{index_path}: no modulepreload link of {stem}.js")
    loader_link = (
        f'<link rel="modulepreload" href="/{loader_name}" crossorigin="anonymous" '
        f'integrity="{integrity(os.path.join(dist, loader_name))}">'
    )
    html = html[: glue_link.end()] + loader_link + html[glue_link.end() :]
    for name in (f"{stem}.js", f"{stem}_bg.wasm"):
        pattern = rf'(href="/{re.escape(name)}"[^>]*?integrity=")[^"]*(")'
        html, count = re.subn(pattern, lambda m: m.group(1) + integrity(os.path.join(dist, name)) + m.group(2), html)
        if count != 1:
            sys.exit(f"{index_path}: expected one preload link of {name}, found {count}")
    open(index_path, "w", encoding="utf-8").write(html)
    print(f"split: {stem} + {len(chunks)} chunks ({', '.join(chunks)}), loader {loader_name}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: split_wasm.py DIST LINKED_WASM")
    main(sys.argv[1], sys.argv[2])
