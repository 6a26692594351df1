#!/usr/bin/env bash
# Runs every fuzz target of the shared crate for a bounded time; exits
# non-zero when a target crashes (libFuzzer's exit status) or fails to build.
#   FUZZ_SECONDS=20 shared/fuzz/smoke.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds="${FUZZ_SECONDS:-20}"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$here/target}"
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz missing: cargo install cargo-fuzz --locked" >&2; exit 2; }
cd "$here"
targets=$(cargo +nightly fuzz list)
# An empty list (a broken Cargo.toml, a renamed folder) must fail, not pass.
[ -n "$targets" ] || { echo "fuzz smoke: cargo fuzz list found no target" >&2; exit 1; }
ran=0
for target in $targets; do
    echo "== fuzz $target for ${seconds}s"
    mkdir -p "corpus/$target"
    cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=4096 -print_final_stats=1
    ran=$((ran + 1))
done
echo "== fuzz smoke: all $ran targets ran without a crash"
