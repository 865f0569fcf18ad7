#!/bin/bash
# Runs one libFuzzer target: every committed corpus input, then SECONDS of new ones.
# New inputs go to a throw-away directory, so the committed corpus never changes by itself.
# Usage: run_fuzz.sh FUZZER CORPUS_DIR SECONDS
set -eu
fuzzer=$1 corpus=$2 seconds=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
  -artifact_prefix="$scratch/" -print_final_stats=1 "$scratch" "$corpus" 2>&1 | tail -n 25
status=${PIPESTATUS[0]}
if ls "$scratch"/crash-* "$scratch"/timeout-* "$scratch"/oom-* "$scratch"/leak-* >/dev/null 2>&1; then
  echo "fuzz: failing inputs were found; see above" >&2
  exit 1
fi
exit "$status"
