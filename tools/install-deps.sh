#!/bin/bash
# Installs the Debian packages the build and the test suite need, and fetches libsrtp's
# source for its Meson subproject. Idempotent, and silent when nothing is missing.
# Usage: install-deps.sh [build|test|bench|deb]   (test adds what only the test suite uses, bench what
# only `make bench` uses, deb what `make deb` and the package test use)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

build_packages=(
  build-essential g++ meson ninja-build pkg-config git ca-certificates dpkg-dev
  libglib2.0-dev libsoup-3.0-dev nlohmann-json3-dev libfmt-dev libssl-dev
  libnice-dev libusrsctp-dev libgloox-dev
)
test_packages=(
  doctest-dev clang clang-format libclang-rt-14-dev python3 iproute2 util-linux
  chromium chromium-driver
  prosody python3-slixmpp openssl python3-aiortc python3-websockets coturn
  nftables python3-prometheus-client
)
# tools/bench/run-scenarios.py: taskset and unshare (util-linux), ip (iproute2), the plot, and
# Janus (its VideoRoom plugin) for the f-janus comparison.
bench_packages=(
  python3 python3-matplotlib iproute2 util-linux janus
)
# `make deb` (packaging/build-deb.sh: debhelper, lintian) and tests/package/package_test.py
# (Debian's Prosody, slixmpp as the focus, openssl for the XMPP certificate, ca-certificates as
# jitsi-meet-prosody uses it, curl for the packaged graceful_shutdown.sh, only recommended).
deb_packages=(
  debhelper fakeroot lintian python3 util-linux
  prosody python3-slixmpp openssl ca-certificates curl
)
packages=("${build_packages[@]}")
case "${1:-build}" in
  test) packages+=("${test_packages[@]}") ;;
  bench) packages+=("${bench_packages[@]}") ;;
  deb) packages+=("${deb_packages[@]}") ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Debian's prosody package starts a system-wide server on *:5222 when installed. The tests run
  # their own private instances, so forbid service starts for this install (policy-rc.d exit
  # 101), unless the machine already has its own policy.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

"$here/fetch-libsrtp.sh" "$root/subprojects"
