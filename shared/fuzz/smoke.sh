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
for target in $(cargo +nightly fuzz list); do
    echo "== fuzz $target for ${seconds}s"
    mkdir -p "corpus/$target"
    cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=4096 -print_final_stats=1
done
echo "== fuzz smoke: all targets ran without a crash"
