#!/bin/bash
# Runs srtp_bench (ns per SRTP protect/unprotect of 1200-byte packets, both profiles) and, in the
# same run, the forwarding-limit reference of shared/bench/limit (gcm and cm80, 10 participants),
# and prints both so that a ratio can be reported: machines here are shared and noisy, absolute
# figures drift, ratios measured together hold (shared/bench/limit/README.md).
# Usage: tools/bench/run-srtp-bench.sh [BUILD_DIR]   (default: build; srtp_bench must be built)
set -u
top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
build=${1:-$top/build}
bench=$build/tools/bench/srtp_bench
if [ ! -x "$bench" ]; then
  echo "run-srtp-bench: $bench is missing; build it with: meson compile -C $build srtp_bench" >&2
  exit 1
fi

echo "== srtp_bench ($(date -u +%FT%TZ), $(nproc) CPUs)"
"$bench" "${RUNS:-7}" "${PACKETS:-100000}"

limit=$top/../shared/bench/limit/run.sh
echo "== forwarding limit"
if [ ! -x "$limit" ] && [ ! -f "$limit" ]; then
  echo "skipped: $limit not found"
elif [ "$(id -u)" -ne 0 ]; then
  echo "skipped: $limit needs root (network namespaces)"
else
  bash "$limit" "gcm 10 64" "cm80 10 64"
fi
