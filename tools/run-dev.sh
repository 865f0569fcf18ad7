#!/bin/bash
# `make run`: the bridge (tools/dev/jvb.conf) and the focus (tools/focus) with its call page, on
# loopback, in the foreground. Ctrl-C stops both: the focus first (it expires its conferences on
# the bridge), then the bridge.
#
# Usage: tools/run-dev.sh BUILD_DIR/bridge/videobridge   (the focus is BUILD_DIR/tools/focus/focus)
# FOCUS_LISTEN=127.0.0.1:8000 picks the page's port (default: any free port).
set -eu
bridge_bin=$1
here=$(cd "$(dirname "$0")" && pwd)
build_dir=$(cd "$(dirname "$bridge_bin")/.." && pwd)
focus_bin=$build_dir/tools/focus/focus
startup_limit_s=20

if [ ! -x "$focus_bin" ]; then
  echo "run-dev: $focus_bin is missing; is tools/focus part of the build?" >&2
  exit 1
fi

bridge_pid= focus_pid=
fifos=$(mktemp -d)
stop() {
  trap - EXIT INT TERM
  # The children run in their own sessions (setsid), so Ctrl-C reaches only this script and the
  # order below holds: conferences are expired while the bridge still listens.
  if [ -n "$focus_pid" ]; then kill -TERM "$focus_pid" 2>/dev/null || true; wait "$focus_pid" || true; fi
  if [ -n "$bridge_pid" ]; then kill -TERM "$bridge_pid" 2>/dev/null || true; wait "$bridge_pid" || true; fi
  wait  # the output copiers end with their process
  rm -rf "$fifos"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Echoes lines from fd $1 until one matches $2 (bounded by $startup_limit_s); sets $matched to
# the first group.
matched=
wait_for_line() {
  local fd=$1 pattern=$2 what=$3 line end=$((SECONDS + startup_limit_s))
  while ((SECONDS < end)) && IFS= read -r -t $((end - SECONDS)) -u "$fd" line; do
    echo "$line"
    if [[ $line =~ $pattern ]]; then
      matched=${BASH_REMATCH[1]}
      return 0
    fi
  done
  echo "run-dev: $what did not start within ${startup_limit_s} s" >&2
  return 1
}

mkfifo "$fifos/bridge" "$fifos/focus"
setsid "$bridge_bin" --config "$here/dev/jvb.conf" >"$fifos/bridge" 2>&1 &
bridge_pid=$!
exec 3<"$fifos/bridge"
wait_for_line 3 'Private HTTP server listening on (http://[0-9.]+:[0-9]+/)' "the bridge"
bridge_url=$matched
cat <&3 &
exec 3<&-

setsid "$focus_bin" --bridge "$bridge_url" --listen "${FOCUS_LISTEN:-127.0.0.1:0}" >"$fifos/focus" 2>&1 &
focus_pid=$!
exec 4<"$fifos/focus"
wait_for_line 4 '^Focus listening on (http://[0-9.]+:[0-9]+/)$' "the focus"
focus_url=$matched
cat <&4 &
exec 4<&-

echo
echo "Open ${focus_url}?room=demo in two or three browser tabs (Ctrl-C stops everything)."
echo
# Returns when either stops on its own (then stop() ends the other) or on Ctrl-C (the trap).
wait -n "$focus_pid" "$bridge_pid"
