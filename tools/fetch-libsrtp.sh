#!/bin/bash
# Puts libsrtp 2.5's source, from Debian's source package, where Meson looks for the
# `libsrtp2` subproject. Debian's binary libsrtp2 is linked against NSS, which is several
# times slower than OpenSSL for AES-CM and degrades with many sessions, so we build our own
# with OpenSSL (see ARCHITECTURE.md, "Decisions").
#
# The deb-src list is private to this project: it is derived from the machine's own
# Debian sources and lives under the given work directory, so the system's apt
# configuration is never changed.
#
# Usage: fetch-libsrtp.sh SUBPROJECTS_DIR
set -euo pipefail
dest=${1:?usage: fetch-libsrtp.sh SUBPROJECTS_DIR}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
target="$dest/libsrtp2"
[ -f "$target/meson.build" ] && exit 0

work="$dest/.libsrtp-download"
rm -rf "$work"
mkdir -p "$work/apt/lists/partial" "$work/apt/parts"

src=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  if grep -q '^Types:.*\bdeb\b' "$f" && grep -q 'debian' "$f"; then src=$f; break; fi
done
if [ -n "$src" ]; then
  sed -E 's/^Types:.*/Types: deb-src/' "$src" > "$work/apt/parts/debsrc.sources"
elif [ -f /etc/apt/sources.list ]; then
  grep -E '^deb\s' /etc/apt/sources.list | sed -E 's/^deb(\s)/deb-src\1/' > "$work/apt/parts/debsrc.list"
fi
if [ -z "$(ls -A "$work/apt/parts")" ]; then
  echo "fetch-libsrtp: no Debian apt source found to derive a deb-src entry from" >&2
  exit 1
fi

opts=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$work/apt/parts"
      -o Dir::State::Lists="$work/apt/lists")
apt-get "${opts[@]}" update -qq >/dev/null
(cd "$work" && apt-get "${opts[@]}" source --download-only -qq libsrtp2 >/dev/null 2>&1)
orig=$(ls "$work"/libsrtp2_2.5*.orig.tar.* 2>/dev/null | head -1)
if [ -z "$orig" ]; then
  echo "fetch-libsrtp: Debian's libsrtp2 2.5 source package could not be downloaded" >&2
  exit 1
fi
mkdir -p "$work/unpack"
tar xf "$orig" -C "$work/unpack"
mv "$work"/unpack/libsrtp-* "$target"
rm -rf "$work"
