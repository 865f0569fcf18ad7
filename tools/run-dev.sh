#!/bin/bash
# `make run`: the bridge on loopback with tools/dev/jvb.conf, in the foreground. Ctrl-C stops it.
set -eu
binary=$1
here=$(cd "$(dirname "$0")" && pwd)
echo "Starting the bridge with tools/dev/jvb.conf (Ctrl-C stops it)."
echo "Once it logs where its HTTP server listens, try /about/health and /about/version there."
exec "$binary" --config "$here/dev/jvb.conf"
