#!/bin/bash
# `make run`: the bridge on loopback with tools/dev/jvb.conf, in the foreground. Ctrl-C stops it.
set -eu
binary=$1
here=$(cd "$(dirname "$0")" && pwd)
echo "Starting the bridge with $here/dev/jvb.conf; Ctrl-C stops it."
echo "It listens on http://127.0.0.1:8080/ : try /about/health and /about/version."
exec "$binary" --config "$here/dev/jvb.conf"
