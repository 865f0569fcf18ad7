#!/bin/bash
# Runs forward_bench (ns per forwarded packet through MediaPort + Router, and through bare SRTP
# sessions doing the same crypto work, both profiles) and, in the same run, the forwarding-limit
# reference of shared/bench/limit (gcm and cm80, 10 participants), then prints bridge/limit
# ratios: machines here are shared and noisy, absolute figures drift, ratios measured together
# hold (shared/bench/limit/README.md).
# Usage: tools/bench/run-forward-bench.sh [BUILD_DIR]   (default: build; forward_bench must be built)
#        PARTICIPANTS=10 RUNS=7 PACKETS=20000 tools/bench/run-forward-bench.sh
set -u
top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
build=${1:-$top/build}
bench=$build/tools/bench/forward_bench
if [ ! -x "$bench" ]; then
  echo "run-forward-bench: $bench is missing; build it with: ninja -C $build tools/bench/forward_bench" >&2
  exit 1
fi
np=${PARTICIPANTS:-10}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "== forward_bench ($(date -u +%FT%TZ), $(nproc) CPUs, $np participants, 1 sender)"
"$bench" "$np" "${RUNS:-7}" "${PACKETS:-20000}" | tee "$out"
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

limit=$top/../shared/bench/limit/run.sh
echo "== forwarding limit (shared/bench/limit)"
if [ ! -f "$limit" ]; then
  echo "skipped: $limit not found"
  exit 0
elif [ "$(id -u)" -ne 0 ]; then
  echo "skipped: $limit needs root (network namespaces)"
  exit 0
fi
bash "$limit" "gcm $np 64" "cm80 $np 64" | tee -a "$out"

# field NAME from the line matching PATTERN
field() { grep -E "$1" "$out" | head -1 | grep -o "$2=[0-9.]*" | cut -d= -f2; }
echo "== ratios (the limit includes its sendmmsg syscalls, about 60% of its cost; forward_bench has none)"
# est_with_send: the router's figure plus what the limit spends beyond the same crypto work
# (limit - bare), i.e. roughly what the bridge would cost with the limit's batched send path.
for prof in gcm cm80; do
  router=$(field "mode=router profile=$prof " ns_per_forwarded_packet)
  bare=$(field "mode=bare profile=$prof " ns_per_forwarded_packet)
  lim=$(field "^limit profile=$prof " ns_per_forwarded_packet)
  if [ -z "$router" ] || [ -z "$bare" ] || [ -z "$lim" ] || [ "$lim" = nan ]; then
    echo "ratio profile=$prof: missing figures"
    continue
  fi
  awk -v p="$prof" -v r="$router" -v b="$bare" -v l="$lim" 'BEGIN {
    printf "ratio profile=%s router_ns=%.0f bare_ns=%.0f limit_ns=%.0f router_over_limit=%.2f bare_over_limit=%.2f router_over_bare=%.2f est_with_send_over_limit=%.2f\n",
      p, r, b, l, r / l, b / l, r / b, (r + l - b) / l }'
done
