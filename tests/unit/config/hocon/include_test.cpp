// Tests of HOCON includes (spec section "Includes"): syntax forms, nesting under the
// including object, substitution fix-up, extension-less names, missing and required files,
// relative paths, cycles, and disabling file access.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/hocon/hocon.hpp"

namespace {

namespace fs = std::filesystem;
using jvb::hocon::Value;

// A fresh directory for one test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "hocon-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
    REQUIRE_MESSAGE(!path_.empty(), "mkdtemp failed");
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path write(const std::string& name, const std::string& text) const {
    fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  fs::path path_;
};

std::optional<std::string> no_env(std::string_view) { return std::nullopt; }

std::string resolved_json(const fs::path& file) {
  auto doc = jvb::hocon::parse_file(file);
  if (!doc) return "PARSE ERROR: " + doc.error().to_string();
  auto v = jvb::hocon::resolve(*doc, no_env);
  if (!v) return "RESOLVE ERROR: " + v.error().to_string();
  return v->to_json();
}

}  // namespace

TEST_CASE("include: keys nest under the including object") {
  TempDir dir;
  dir.write("inner.conf", "x = 1\ny { z = 2 }\n");
  fs::path main = dir.write("main.conf",
                            "a { include \"inner.conf\" }\n"
                            "include \"inner.conf\"\n"
                            "y { w = 3 }\n");
  CHECK(resolved_json(main) == R"({"a":{"x":1,"y":{"z":2}},"x":1,"y":{"w":3,"z":2}})");
}

TEST_CASE("include: included keys override earlier ones and later ones override them") {
  TempDir dir;
  dir.write("inc.conf", "a = included\nb = included\nobj { i = 1 }\n");
  fs::path main = dir.write("main.conf", "a = before\nobj { m = 0 }\ninclude \"inc.conf\"\nb = after\n");
  CHECK(resolved_json(main) == R"({"a":"included","b":"after","obj":{"i":1,"m":0}})");
}

TEST_CASE("include: substitutions are fixed up to where the file is included") {
  TempDir dir;
  dir.write("foo.conf", "x = 10\ny = ${x}\nfromroot = ${top}\nlist += item\n");
  fs::path plain = dir.write("plain.conf", "top = T\na { include \"foo.conf\" }\n");
  CHECK(resolved_json(plain) == R"({"a":{"fromroot":"T","list":["item"],"x":10,"y":10},"top":"T"})");
  fs::path overridden = dir.write("over.conf", "top = T\na { include \"foo.conf\" }\na { x = 42 }\n");
  CHECK(resolved_json(overridden) == R"({"a":{"fromroot":"T","list":["item"],"x":42,"y":42},"top":"T"})");
}

TEST_CASE("include: a name without extension merges .conf over .json over .properties") {
  TempDir dir;
  dir.write("base.properties", "p = prop\nall = prop\nnested.k = v\n");
  dir.write("base.json", R"({ "j": 1, "all": "json" })");
  dir.write("base.conf", "c = true\nall = conf\n");
  fs::path main = dir.write("main.conf", "include \"base\"\n");
  CHECK(resolved_json(main) == R"({"all":"conf","c":true,"j":1,"nested":{"k":"v"},"p":"prop"})");
}

TEST_CASE("include: all syntax forms") {
  TempDir dir;
  dir.write("a.conf", "a = 1");
  dir.write("b.conf", "b = 2");
  dir.write("c.conf", "c = 3");
  dir.write("d.conf", "d = 4");
  fs::path main = dir.write("main.conf",
                            "include \"a.conf\"\n"
                            "include file(\"b.conf\")\n"
                            "include required(\"c.conf\")\n"
                            "include required( file( \"d.conf\" ) ), e = 5\n"
                            "include url(\"http://example.invalid/x.conf\")\n"
                            "include classpath(\"reference.conf\")\n"
                            "include required(classpath(\"nothing.conf\"))\n"
                            "include\n  \"missing.conf\"\n");
  CHECK(resolved_json(main) == R"({"a":1,"b":2,"c":3,"d":4,"e":5})");
}

TEST_CASE("include: missing files are ignored unless required") {
  TempDir dir;
  fs::path optional_missing = dir.write("opt.conf", "include \"nope.conf\"\nx = 1\n");
  CHECK(resolved_json(optional_missing) == R"({"x":1})");
  fs::path required_missing = dir.write("req.conf", "x = 1\n  include required(\"nope\")\n");
  auto doc = jvb::hocon::parse_file(required_missing);
  REQUIRE_FALSE(doc);
  CHECK(doc.error().origin == required_missing.string());
  CHECK(doc.error().line == 2);
  CHECK(doc.error().column == 3);
  CHECK(doc.error().message.find("nope") != std::string::npos);
}

TEST_CASE("include: paths are relative to the including file") {
  TempDir dir;
  dir.write("sub/inner.conf", "inner = yes\ninclude \"deeper/leaf.conf\"\n");
  dir.write("sub/deeper/leaf.conf", "leaf = yes\n");
  dir.write("inner.conf", "inner = wrong\n");
  fs::path main = dir.write("main.conf", "include \"sub/inner.conf\"\n");
  CHECK(resolved_json(main) == R"({"inner":"yes","leaf":"yes"})");
  // parse_string resolves against the base it is given.
  auto doc = jvb::hocon::parse_string("include \"inner.conf\"", "<string>", dir.path() / "sub");
  REQUIRE(doc);
  auto v = jvb::hocon::resolve(*doc, no_env);
  REQUIRE(v);
  CHECK(v->find("inner")->text() == "yes");
  // Absolute paths stay absolute.
  std::string absolute = "include \"" + (dir.path() / "inner.conf").string() + "\"";
  auto abs_doc = jvb::hocon::parse_string(absolute, "<string>", dir.path() / "sub");
  REQUIRE(abs_doc);
  CHECK(jvb::hocon::resolve(*abs_doc, no_env)->find("inner")->text() == "wrong");
}

TEST_CASE("include: cycles are errors") {
  TempDir dir;
  dir.write("a.conf", "a = 1\ninclude \"b.conf\"\n");
  dir.write("b.conf", "b = 1\ninclude \"a.conf\"\n");
  auto doc = jvb::hocon::parse_file(dir.path() / "a.conf");
  REQUIRE_FALSE(doc);
  CHECK(doc.error().message.find("cycle") != std::string::npos);
  CHECK(doc.error().line == 2);
  CHECK(doc.error().origin == (dir.path() / "b.conf").string());
  dir.write("self.conf", "include \"self\"\n");
  CHECK_FALSE(jvb::hocon::parse_file(dir.path() / "self.conf"));
}

TEST_CASE("include: errors inside an included file name that file") {
  TempDir dir;
  fs::path bad = dir.write("bad.conf", "ok = 1\nbroken = [1,\n");
  fs::path main = dir.write("main.conf", "include \"bad.conf\"\n");
  auto doc = jvb::hocon::parse_file(main);
  REQUIRE_FALSE(doc);
  CHECK(doc.error().origin == bad.string());
  CHECK(doc.error().line == 3);
  CHECK(doc.error().column == 1);
}

TEST_CASE("include: an included file must hold an object") {
  TempDir dir;
  dir.write("array.json", "[1, 2]");
  fs::path main = dir.write("main.conf", "include \"array.json\"\n");
  auto doc = jvb::hocon::parse_file(main);
  REQUIRE_FALSE(doc);
  CHECK(doc.error().message.find("must be an object") != std::string::npos);
}

TEST_CASE("include: parse_file on a missing file") {
  TempDir dir;
  auto doc = jvb::hocon::parse_file(dir.path() / "absent.conf");
  REQUIRE_FALSE(doc);
  CHECK(doc.error().origin == (dir.path() / "absent.conf").string());
  CHECK(doc.error().line == 0);
  CHECK(doc.error().to_string().find("absent.conf: ") != std::string::npos);
  // A directory is not a configuration file.
  CHECK_FALSE(jvb::hocon::parse_file(dir.path()));
}

TEST_CASE("include: parse_file of a .properties file") {
  TempDir dir;
  fs::path p = dir.write("sys.properties", "a.b = 1\n# comment\nc : x y\n");
  CHECK(resolved_json(p) == R"({"a":{"b":"1"},"c":"x y"})");
}

TEST_CASE("include: file access can be disabled") {
  TempDir dir;
  dir.write("a.conf", "a = 1");
  jvb::hocon::ParseOptions options;
  options.allow_file_includes = false;
  auto ignored = jvb::hocon::parse_string("include \"a.conf\"\nb = 2", "<s>", dir.path(), options);
  REQUIRE(ignored);
  CHECK(jvb::hocon::resolve(*ignored, no_env)->to_json() == R"({"b":2})");
  auto required = jvb::hocon::parse_string("include required(\"a.conf\")", "<s>", dir.path(), options);
  REQUIRE_FALSE(required);
  CHECK(required.error().message.find("disabled") != std::string::npos);
  auto allowed = jvb::hocon::parse_string("include \"a.conf\"", "<s>", dir.path());
  REQUIRE(allowed);
  CHECK(jvb::hocon::resolve(*allowed, no_env)->to_json() == R"({"a":1})");
}
