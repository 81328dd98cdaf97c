#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for FUZZ_SECONDS each (default 60: CI's bounded run).
# By hand, longer: FUZZ_SECONDS=3600 bash .ci/fuzz.sh, or one target without end:
# cargo +nightly fuzz run session (see docs/fuzzing.md). Needs the nightly toolchain;
# installs cargo-fuzz under ~/.cache/meridian once.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${MERIDIAN_CACHE:-$HOME/.cache/meridian}"
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: the nightly toolchain is missing (cargo-fuzz needs it): rustup toolchain install nightly" >&2
  exit 1
fi
fuzz_root="$cache/cargo-fuzz"
if [ ! -x "$fuzz_root/bin/cargo-fuzz" ]; then
  echo "== installing cargo-fuzz into $fuzz_root"
  CARGO_TARGET_DIR="$cache/target-cargo-fuzz" cargo install --locked cargo-fuzz --root "$fuzz_root"
fi
export PATH="$fuzz_root/bin:$PATH"
# Sanitizer builds differ from the workspace's: their own target directory.
export CARGO_TARGET_DIR="$cache/target-fuzz"
seconds="${FUZZ_SECONDS:-60}"
for target in $(cargo +nightly fuzz list); do
  echo "== fuzz $target for ${seconds}s"
  # -rss_limit_mb: a request the server buffers must stay bounded too.
  mkdir -p "fuzz/corpus/$target"
  cargo +nightly fuzz run "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -dict=fuzz/resp.dict -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20
done
