#!/usr/bin/python3
"""The layering check (ARCHITECTURE.md "Modules").

Reads the `#include "..."` lines of every .cpp/.hpp in the repository (not build*/ or
subprojects/) and fails when one crosses a module boundary:
  1. the pure wire formats and bridge/core include only the modules listed for them in
     ALLOWED_INCLUDES, so they stay testable and fuzzable with nothing else linked in;
  2. the headers in TOP_ONLY are included only by the files listed for them: XMPP and the HTTP
     servers are the bridge's outside faces, and only the daemon wires them to the rest, so
     nothing below it can come to depend on how the bridge is signalled or served.
Angle-bracket includes (the standard library, external libraries) are not looked at.

It also reads every tracked text file (TEXT_SUFFIXES, TEXT_NAMES; not build*/, subprojects/ or
bench/results/; every file when SOURCE_ROOT is not the top of a git work tree) and fails on
  3. a citation of the team's design documents, which live beside the repository and not in a
     clone of it: the shared docs folder, or one of the names in OUTSIDE_DOCS (see the comment
     there). Comments cite RFC sections, upstream files, or this repository's own files
     (ARCHITECTURE.md). Test data that tests open under $JVB_SHARED_DIR is not a citation and
     does not match.

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
    "bridge/bwe": ("bridge/core", "bridge/rtp", "bridge/rtcp", "bridge/bwe"),
}

# Rule 2. Headers under the key folder may be included only from files under these paths
# (a folder, or one file).
TOP_LAYER = ("bridge/daemon", "bridge/doctor", "bridge/main.cpp", "xmpp", "bridge/http", "tools", "tests")
TOP_ONLY = {
    "xmpp": TOP_LAYER,
    "bridge/http": TOP_LAYER,
}

SOURCE_SUFFIXES = (".cpp", ".hpp")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')

# Rule 3. Which files are read, and what they must not cite. The patterns are assembled from
# pieces so that this file does not cite what it forbids. Case-sensitive: ARCHITECTURE.md, the
# repository's own, stays allowed. Matched: the shared docs folder; each name of OUTSIDE_DOCS
# with the .md suffix, bare or after a path (the stack notes also without the suffix, as they
# were cited); and two names too common to forbid after any path: the config document only bare
# or under ops/, the lowercase architecture document only bare or under docs/ (so an upstream
# doc/config.md stays citable). A path inside a URL is never matched: a match may not start
# right after a '/', so upstream documents can be cited by URL.
TEXT_SUFFIXES = (".cpp", ".hpp", ".h", ".c", ".py", ".js", ".sh", ".md")
TEXT_NAMES = ("meson.build", "Makefile")
TEXT_SKIPPED = ("subprojects", "bench/results")  # and every top-level build* folder
STACK_NOTES = "stack" + "-notes"
OUTSIDE_DOCS = ("media-plane", "bridge-channel", "signaling", "style", "http-api", STACK_NOTES,
                "packaging")
_PATH = r"(?:[\w.-]+/)*"
_MD = r"\.md"
OUTSIDE_DOC_RE = re.compile(
    r"(?<![\w./-])(?:"
    + _PATH + "(?:" + "|".join(re.escape(n) for n in OUTSIDE_DOCS) + ")" + _MD + r"(?!\w)"
    + "|" + _PATH + re.escape(STACK_NOTES) + r"(?![\w-])"
    + "|" + "(?:" + _PATH + "ops/)?" + "config" + _MD + r"(?!\w)"
    + "|" + "(?:" + _PATH + "docs/)?" + "architecture" + _MD + r"(?!\w)"
    + "|" + _PATH + "shared" + r"/docs(?:/|(?![\w-]))"
    + ")")


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


def is_text_file(rel):
    name = rel.rsplit("/", 1)[-1]
    if not (name.endswith(TEXT_SUFFIXES) or name in TEXT_NAMES):
        return False
    if rel.split("/", 1)[0].startswith("build"):
        return False
    return not any(under(rel, s) for s in TEXT_SKIPPED)


def tracked_files(root):
    """The files git tracks under `root` when it is the top of a work tree, else None."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    try:
        top = subprocess.run(["git", "-C", root, "rev-parse", "--show-toplevel"], env=env,
                             capture_output=True, text=True, check=False)
        if top.returncode != 0 or os.path.realpath(top.stdout.strip()) != os.path.realpath(root):
            return None
        listed = subprocess.run(["git", "-C", root, "ls-files", "-z"], env=env,
                                capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return [p for p in listed.stdout.split("\0") if p]


def text_files(root):
    """Relative paths of the files rule 3 reads, sorted."""
    listed = tracked_files(root)
    if listed is None:
        listed = []
        for folder, dirs, files in os.walk(root):
            rel_folder = os.path.relpath(folder, root)
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in files:
                listed.append(os.path.normpath(os.path.join(rel_folder, name)).replace(os.sep, "/"))
    return sorted(p for p in listed if is_text_file(p) and os.path.isfile(os.path.join(root, p)))


def outside_citations(root):
    """Yields (file, line, match) for each citation of a document outside the repository."""
    for rel in text_files(root):
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            for number, text in enumerate(f, start=1):
                for m in OUTSIDE_DOC_RE.finditer(text):
                    yield rel, number, m.group(0)


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
    cited = list(outside_citations(root))
    for rel, number, match in cited:
        print(f"{rel}:{number}: cites a document outside the repository: {match}")
    if found or cited:
        print(f"layering: {len(found) + len(cited)} violation(s); see the rules in "
              "tools/check-layering.py", file=sys.stderr)
        return 1
    print(f"layering: {len(source_files(root))} C++ files, {len(text_files(root))} text files, "
          "no violations")
    return 0


def self_test():
    """Runs this script on a fake tree holding one violation, one clean file of the same module
    and violating files in the folders that are skipped; exactly the one must be reported. Then
    rule 3 on a second fake tree: citations in every kind of file read, harmless look-alikes,
    and citations in files that are not read."""

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

    failures += self_test_citations(run)

    for f in failures:
        print(f"layering self-test: {f}")
    if failures:
        return 1
    print("layering self-test: passed")
    return 0


def self_test_citations(run):
    """Rule 3 on a fake tree; returns the failures."""
    shared = "shared" + "/docs"  # assembled, so that this file does not cite it
    md = "." + "md"

    def put(root, rel, text):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    harmless = ("// ARCHITECTURE.md \"Modules\"; JVB's doc/web-sockets.md and doc/config.md;\n"
                "// https://github.com/lightbend/config/blob/main/HOCON.md,\n"
                "// https://github.com/jitsi/x/blob/main/doc/style.md\n"
                "// $JVB_SHARED_DIR/docs/protocol/vectors/json; lifestyle.md, my_signaling.md\n"
                "// the bridge-channel message, the media-plane, config.mdx\n")
    failures = []
    with tempfile.TemporaryDirectory() as root:
        put(root, "ice/a.hpp", f"// x\n// One port ({shared}/media-plane{md} §1.1).\n" + harmless)
        put(root, "ice/a.cpp", f"// The gotcha ({STACK_NOTES} §1).\n")
        put(root, "ice/meson.build", f"# ice/ ({shared}/architecture{md})\n")
        put(root, "Makefile", f"# see ops/config{md} §2 and style{md} §9\n")
        put(root, "README.md", f"Reference documents live in `{shared}/`, beside it.\n")
        put(root, "tools/x.py", f'"""(http-api{md} §2.6, protocol/signaling{md} §4)"""\n')
        put(root, "tools/page/app.js", f"// docs/architecture{md}, architecture{md}\n")
        put(root, "tools/notes.txt", f"{shared}/style{md}\n")  # not a kind of file read
        put(root, "build-x/README.md", f"{shared}/\n")
        put(root, "subprojects/y/README.md", f"packaging{md}\n")
        put(root, "bench/results/r.md", f"bridge-channel{md}\n")
        put(root, "bench/b.sh", "".join("#" + line[2:] for line in harmless.splitlines(True)))

        code, out = run(root)
        cite = "cites a document outside the repository"
        expected = [
            f"Makefile:1: {cite}: ops/config{md}",
            f"Makefile:1: {cite}: style{md}",
            f"README.md:1: {cite}: {shared}/",
            f"ice/a.cpp:1: {cite}: {STACK_NOTES}",
            f"ice/a.hpp:2: {cite}: {shared}/media-plane{md}",
            f"ice/meson.build:1: {cite}: {shared}/architecture{md}",
            f"tools/page/app.js:1: {cite}: docs/architecture{md}",
            f"tools/page/app.js:1: {cite}: architecture{md}",
            f"tools/x.py:1: {cite}: http-api{md}",
            f"tools/x.py:1: {cite}: protocol/signaling{md}",
        ]
        if code != 1 or out != expected:
            failures.append(f"rule 3: exit {code}, output {out}, expected 1, {expected}")

        for rel in ("ice/a.cpp", "ice/meson.build", "Makefile", "README.md", "tools/x.py",
                    "tools/page/app.js"):
            os.remove(os.path.join(root, rel))
        put(root, "ice/a.hpp", "// x\n" + harmless)
        code, out = run(root)
        if code != 0:
            failures.append(f"rule 3 without citations: exit {code}, output {out}, expected 0")
    return failures


def main(argv):
    if argv == ["--self-test"]:
        return self_test()
    if len(argv) != 1 or not os.path.isdir(argv[0]):
        print(__doc__, file=sys.stderr)
        return 2
    return check(argv[0])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
