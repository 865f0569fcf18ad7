#!/bin/bash
# The whole test suite, as `make test` and CI run it:
#   build/       the normal build: unit tests, interop tests against the real daemon, format;
#   build-asan/  ASan+UBSan build: the unit tests again;
#   build-fuzz/  clang + libFuzzer: every fuzz target over its corpus, then a few seconds more;
#   build-deb/   `make deb`, then the package installed, run beside Prosody and purged
#                (tests/package/package_test.py; as root only, skipped otherwise).
# Prints every failure's log, then one closing line "N passed, M failed" (doctest cases are
# counted one by one, other tests as one each) and exits non-zero if anything failed.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${JOBS:-2}
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
build_failures=0

# build_and_test DIR "SETUP ARGS" "SUITE..." [ENV...]
build_and_test() {
  local dir=$1 setup=$2 suite_names=$3 suites=() s
  for s in $3; do suites+=(--suite "$s"); done
  shift 3
  echo "=== $dir: ${suites[*]}"
  if [ ! -f "$dir/build.ninja" ]; then
    if ! env "$@" meson setup "$dir" $setup >"$dir.setup.log" 2>&1; then
      cat "$dir.setup.log"; echo "FAILED: meson setup $dir"; build_failures=$((build_failures + 1)); return
    fi
    rm -f "$dir.setup.log"
  fi
  # Only what the suites run: the sanitizer builds need neither the daemon nor the tools.
  local targets=()
  if [ "$dir" != build ]; then
    mapfile -t targets < <(meson introspect "$dir" --tests | /usr/bin/python3 -c '
import json, os, sys
root, suites = os.path.abspath(sys.argv[1]), set(sys.argv[2:])
for t in json.load(sys.stdin):
    if suites & {s.split(":")[-1] for s in t["suite"]}:
        for arg in t["cmd"]:  # the executable, or the fuzz target a script runs (relative)
            if arg.startswith(root + "/"):
                print(os.path.relpath(arg, root))
            elif not os.path.isabs(arg) and "/" in arg:
                print(arg)
' "$dir" $suite_names)
  fi
  if ! ninja -C "$dir" -j "$jobs" "${targets[@]}" >"$dir/ninja.log" 2>&1; then
    grep -v '^\[' "$dir/ninja.log" | head -100; echo "FAILED: build $dir"
    build_failures=$((build_failures + 1)); return
  fi
  meson test -C "$dir" "${suites[@]}" --num-processes "$jobs" --print-errorlogs --no-rebuild \
    >"$dir/test.log" 2>&1
  grep -E '^ *[0-9]+/[0-9]+ ' "$dir/test.log"
  grep -q 'Fail: *0$' "$dir/test.log" || sed -n '/^--- command ---/,$p' "$dir/test.log" | head -300
  /usr/bin/python3 - "$dir/meson-logs/testlog.json" >>"$summary" <<'PY'
import json, re, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["result"] == "SKIP":
        skipped += 1
        continue
    ok = t["result"] in ("OK", "EXPECTEDFAIL")
    m = re.search(r"\[doctest\] test cases:\s*(\d+) \|\s*(\d+) passed \|\s*(\d+) failed", t.get("stdout") or "")
    if m and ok:
        passed += int(m.group(2))
    elif m:
        passed += int(m.group(2)); failed += max(int(m.group(3)), 1)
    elif ok:
        passed += 1
    else:
        failed += 1
print(passed, failed, skipped)
PY
}

build_and_test build "--buildtype=debugoptimized" "unit interop lint"
build_and_test build-asan "--buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false" unit
build_and_test build-fuzz "--buildtype=debugoptimized -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false" fuzz \
  CC=clang CXX=clang++

# The Debian package: one test, built and run by the script itself (it installs what it needs).
echo "=== build-deb: package"
package_log=$(mktemp)
/usr/bin/python3 tests/package/package_test.py >"$package_log" 2>&1
case $? in
  0) grep '^package: ' "$package_log"; echo "1 0 0" >>"$summary" ;;
  77) grep '^package: ' "$package_log"; echo "0 0 1" >>"$summary" ;;
  *) cat "$package_log"; echo "FAILED: package"; echo "0 1 0" >>"$summary" ;;
esac
rm -f "$package_log"

read -r passed failed skipped < <(awk '{p += $1; f += $2; s += $3} END {print p + 0, f + 0, s + 0}' "$summary")
failed=$((failed + build_failures))
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
