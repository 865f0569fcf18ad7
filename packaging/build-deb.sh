#!/bin/bash
# `make deb`: the Debian source and binary packages of the bridge, built offline, then lintian.
#
# The source tree is assembled under build-deb/ (ignored by git): the files git knows (tracked, and
# new ones not ignored, so a working tree builds as it is), libsrtp's source from
# subprojects/libsrtp2 (tools/fetch-libsrtp.sh put it there; it travels inside the source package),
# and packaging/debian as debian/ with a generated changelog. dpkg-buildpackage then builds it in a
# network namespace of its own when it can (root), so a build that tried to download would fail.
#
# Usage: packaging/build-deb.sh            (tools/install-deps.sh deb installs what it needs)
# Environment: DEB_FROM (a commit whose sources to package instead of the working tree's, e.g. HEAD;
# the packaging still comes from the working tree's packaging/debian), JOBS
# (parallel compile jobs, default: all cores), DEB_OUT (default: build-deb), DEB_BUILD_OPTIONS
# (passed on; parallel=JOBS and nocheck are added), DEB_NODEBUG=1 (no debug information and no
# -dbgsym package: -g makes the compile about 45% longer; the package test builds this way).
# Prints the path of the .deb on its last line.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${DEB_OUT:-$root/build-deb}
source_name=jitsi-native-bridge
package=jitsi-native-videobridge

fail() {
  echo "build-deb: $*" >&2
  exit 1
}

[ -f "$root/subprojects/libsrtp2/meson.build" ] ||
  fail "subprojects/libsrtp2 is missing: run tools/install-deps.sh deb (it fetches libsrtp's source)"
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null && command -v lintian >/dev/null ||
  fail "dpkg-buildpackage, debhelper or lintian is missing: run tools/install-deps.sh deb"

# Version: the Meson project's, then the commit (date and hash), and whether the tree had changes.
from=${DEB_FROM:-}
if [ -n "$from" ]; then
  git -C "$root" rev-parse --verify -q "$from^{commit}" >/dev/null || fail "DEB_FROM=$from is not a commit"
  meson_build=$(git -C "$root" show "$from:meson.build")
else
  meson_build=$(cat "$root/meson.build")
fi
base=$(sed -n "s/^ *version *: *'\([0-9][0-9A-Za-z.~]*\)'.*/\1/p" <<<"$meson_build" | head -1)
[ -n "$base" ] || fail "cannot read the project version from meson.build"
if git -C "$root" rev-parse --verify -q HEAD >/dev/null 2>&1; then
  in_git=1
  commit=$(git -C "$root" rev-parse --short=8 "${from:-HEAD}")
  version="$base+git$(git -C "$root" log -1 --format=%cd --date=format:%Y%m%d "$commit").$commit"
  if [ -z "$from" ] && [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
    version+=".local"
    origin="the working tree of commit $commit (changed)"
  else
    origin="commit $commit"
  fi
else
  in_git=0
  version="$base+nogit"
  origin="a source tree outside git"
fi

tree="$out/$source_name-$version"
rm -rf "$out"
mkdir -p "$tree"

# The project's files, then libsrtp's source, then the packaging as debian/.
if [ -n "$from" ]; then
  git -C "$root" archive --format=tar "$commit" | tar -xf - -C "$tree"
elif [ "$in_git" = 1 ]; then
  (cd "$root" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null --no-recursion -T - -cf -) | tar -xf - -C "$tree"
else
  tar -C "$root" --exclude='./build*' --exclude=./subprojects --exclude=./.git -cf - . | tar -xf - -C "$tree"
fi
mkdir -p "$tree/subprojects"
tar -C "$root/subprojects" --exclude=.libsrtp-download -cf - libsrtp2 | tar -xf - -C "$tree/subprojects"
cp -a "$root/packaging/debian" "$tree/debian"
# The translation template of the debconf question, generated rather than kept in git.
(cd "$tree" && debconf-updatepo) >/dev/null
maintainer=$(sed -n 's/^Maintainer: //p' "$tree/debian/control")
cat >"$tree/debian/changelog" <<EOF
$source_name ($version) unstable; urgency=medium

  * Built by \`make deb\` from $origin.

 -- $maintainer  $(date -R)
EOF

jobs=${JOBS:-$(nproc)}
export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }parallel=$jobs nocheck"
debug_note=""
if [ "${DEB_NODEBUG:-}" = 1 ]; then
  debug_note=", no debug information"
  export DEB_CFLAGS_STRIP="${DEB_CFLAGS_STRIP:+$DEB_CFLAGS_STRIP }-g"
  export DEB_CXXFLAGS_STRIP="${DEB_CXXFLAGS_STRIP:+$DEB_CXXFLAGS_STRIP }-g"
  DEB_BUILD_OPTIONS+=" noautodbgsym"
fi
export DEBIAN_FRONTEND=noninteractive
build=(dpkg-buildpackage -us -uc --build=full)
# Without a network the build proves it downloads nothing (the Meson wrap mode is nodownload too).
if [ "$(id -u)" -eq 0 ] && unshare --net true 2>/dev/null; then
  build=(unshare --net "${build[@]}")
  network="without network"
else
  network="with the network (not root: no private network namespace)"
fi
echo "build-deb: building $source_name $version $network, $jobs jobs$debug_note (log: $out/build.log)"
start=$(date +%s)
if ! (cd "$tree" && "${build[@]}") >"$out/build.log" 2>&1; then
  grep -v '^\[' "$out/build.log" | tail -60
  fail "dpkg-buildpackage failed; the tree is kept in $tree"
fi
echo "build-deb: built in $(($(date +%s) - start)) s"
# The tree with its build directory is large; what remains is the source package and the .debs.
rm -rf "$tree"

changes="$out/${source_name}_${version}_$(dpkg --print-architecture).changes"
deb=$(ls "$out/${package}_${version}_"*.deb)
# Errors and warnings fail; the overrides in packaging/debian explain what is accepted and why.
# (Its remark about running as root is left out: CI builds as root.)
lintian_start=$(date +%s)
lintian_status=0
lintian --fail-on error,warning --display-info "$changes" >"$out/lintian.raw" 2>&1 || lintian_status=$?
grep -v '^running with root privileges is not recommended' "$out/lintian.raw" >"$out/lintian.log" || true
rm -f "$out/lintian.raw"
if [ "$lintian_status" -ne 0 ]; then
  cat "$out/lintian.log"
  fail "lintian found errors or warnings"
fi
sed 's/^/lintian: /' "$out/lintian.log"
echo "build-deb: lintian passed in $(($(date +%s) - lintian_start)) s (no error or warning)"
echo "$deb"
