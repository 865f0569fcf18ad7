#!/usr/bin/python3
"""The layering check (shared/docs/style.md §9, ARCHITECTURE.md "Modules").

Reads the `#include "..."` lines of every .cpp/.hpp in the repository (not build*/ or
subprojects/) and fails when one crosses a module boundary:
  1. the pure wire formats and bridge/core include only the modules listed for them in
     ALLOWED_INCLUDES, so they stay testable and fuzzable with nothing else linked in;
  2. the headers in TOP_ONLY are included only by the files listed for them: XMPP and the HTTP
     servers are the bridge's outside faces, and only the daemon wires them to the rest, so
     nothing below it can come to depend on how the bridge is signalled or served.
Angle-bracket includes (the standard library, external libraries) are not looked at.

Usage: check-layering.py SOURCE_ROOT      exit 0 clean, 1 on violations (one line each)
       check-layering.py --self-test      checks this script against a small fake tree
"""

import os
import re
import subprocess
import sys
import tempfile

# Rule 1. A file under the module (a folder) may include only headers under these folders.
# rtp sits below rtcp and codecs: feedback packets and payload parsers may name RTP's types.
ALLOWED_INCLUDES = {
    "bridge/core": ("bridge/core",),
    "bridge/rtp": ("bridge/core", "bridge/rtp"),
    "bridge/rtcp": ("bridge/core", "bridge/rtp", "bridge/rtcp"),
    "bridge/codecs": ("bridge/core", "bridge/rtp", "bridge/codecs"),
}

# Rule 2. Headers under the key folder may be included only from files under these paths
# (a folder, or one file).
TOP_LAYER = ("bridge/daemon", "bridge/main.cpp", "xmpp", "bridge/http", "tools", "tests")
TOP_ONLY = {
    "xmpp": TOP_LAYER,
    "bridge/http": TOP_LAYER,
}

SOURCE_SUFFIXES = (".cpp", ".hpp")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def under(path, prefix):
    """Whether `path` (relative, '/'-separated) is the file `prefix` or lies in its folder."""
    return path == prefix or path.startswith(prefix + "/")


def longest_prefix(path, prefixes):
    found = [p for p in prefixes if under(path, p)]
    return max(found, key=len) if found else None


def source_files(root):
    """Relative paths of the C++ files to check, sorted."""
    out = []
    for folder, dirs, files in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        if rel_folder == ".":
            dirs[:] = [d for d in dirs if not d.startswith("build") and d != "subprojects"]
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.endswith(SOURCE_SUFFIXES):
                out.append(os.path.normpath(os.path.join(rel_folder, name)).replace(os.sep, "/"))
    return sorted(out)


def resolve(root, including_file, target):
    """The included header as a path from the root: the build puts the root on the include
    path, but a quoted include is first looked up next to the including file."""
    beside = os.path.normpath(os.path.join(os.path.dirname(including_file), target))
    if not beside.startswith("..") and not os.path.exists(os.path.join(root, target)):
        if os.path.exists(os.path.join(root, beside)):
            return beside.replace(os.sep, "/")
    return os.path.normpath(target).replace(os.sep, "/")


def violations(root):
    """Yields (file, line, module, header) for each include that breaks a rule."""
    for rel in source_files(root):
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
        own_module = longest_prefix(rel, ALLOWED_INCLUDES)
        for number, text in enumerate(lines, start=1):
            m = INCLUDE_RE.match(text)
            if not m:
                continue
            header = resolve(root, rel, m.group(1))
            if own_module and not any(under(header, a) for a in ALLOWED_INCLUDES[own_module]):
                yield rel, number, own_module, header
                continue
            guarded = longest_prefix(header, TOP_ONLY)
            if guarded and not any(under(rel, a) for a in TOP_ONLY[guarded]):
                yield rel, number, os.path.dirname(rel) or rel, header


def check(root):
    found = list(violations(root))
    for rel, number, module, header in found:
        print(f"{rel}:{number}: {module} must not include {header}")
    if found:
        print(f"layering: {len(found)} violation(s); see the rules in tools/check-layering.py",
              file=sys.stderr)
        return 1
    print(f"layering: {len(source_files(root))} files, no violations")
    return 0


def self_test():
    """Runs this script on a fake tree holding one violation, one clean file of the same module
    and violating files in the folders that are skipped; exactly the one must be reported."""

    def write(root, rel, *includes):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write("// fake\n#pragma once\n")
            f.writelines(f'#include "{i}"\n' for i in includes)

    def run(root):
        r = subprocess.run([sys.executable, os.path.abspath(__file__), root],
                           capture_output=True, text=True, check=False)
        return r.returncode, r.stdout.splitlines()

    failures = []
    with tempfile.TemporaryDirectory() as root:
        write(root, "bridge/core/result.hpp")
        write(root, "bridge/rtp/good.hpp", "bridge/core/result.hpp", "bridge/rtp/bad.hpp")
        write(root, "bridge/rtp/bad.hpp", "bridge/core/result.hpp", "bridge/media/x.hpp")
        write(root, "bridge/media/x.hpp", "bridge/rtp/good.hpp")
        write(root, "build-x/bridge/rtp/skipped.hpp", "xmpp/muc.hpp")
        write(root, "subprojects/y/bridge/core/skipped.cpp", "bridge/http/server.hpp")

        code, out = run(root)
        expected = ["bridge/rtp/bad.hpp:4: bridge/rtp must not include bridge/media/x.hpp"]
        if code != 1 or out != expected:
            failures.append(f"with one violation: exit {code}, output {out}, expected 1, {expected}")

        write(root, "bridge/media/x.hpp", "bridge/http/server.hpp")
        code, out = run(root)
        expected = ["bridge/media/x.hpp:3: bridge/media must not include bridge/http/server.hpp",
                    "bridge/rtp/bad.hpp:4: bridge/rtp must not include bridge/media/x.hpp"]
        if code != 1 or out != expected:
            failures.append(f"rule 2: exit {code}, output {out}, expected 1, {expected}")

        os.remove(os.path.join(root, "bridge/rtp/bad.hpp"))
        os.remove(os.path.join(root, "bridge/media/x.hpp"))
        code, out = run(root)
        if code != 0:
            failures.append(f"without violations: exit {code}, output {out}, expected 0")

    for f in failures:
        print(f"layering self-test: {f}")
    if failures:
        return 1
    print("layering self-test: passed")
    return 0


def main(argv):
    if argv == ["--self-test"]:
        return self_test()
    if len(argv) != 1 or not os.path.isdir(argv[0]):
        print(__doc__, file=sys.stderr)
        return 2
    return check(argv[0])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
