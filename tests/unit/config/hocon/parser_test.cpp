// Tests of HOCON syntax (spec section "Syntax"): separators, paths as keys, comments, the
// three kinds of strings, value concatenation, commas, duplicate keys, and error positions.
#include <doctest/doctest.h>

#include <string>

#include "config/hocon/hocon.hpp"

namespace {

using jvb::hocon::Value;

std::optional<std::string> no_env(std::string_view) { return std::nullopt; }

// Parses and resolves; fails the test (and returns null) on any error.
Value load(std::string_view text) {
  auto doc = jvb::hocon::parse_string(text, "test.conf");
  if (!doc) {
    FAIL_CHECK("parse error: " << doc.error().to_string());
    return Value();
  }
  auto v = jvb::hocon::resolve(*doc, no_env);
  if (!v) {
    FAIL_CHECK("resolve error: " << v.error().to_string());
    return Value();
  }
  return *v;
}

Value json(std::string_view text) { return load(text); }

jvb::hocon::Error parse_error(std::string_view text) {
  auto doc = jvb::hocon::parse_string(text, "test.conf");
  if (doc) {
    FAIL_CHECK("expected a parse error for: " << text);
    return {};
  }
  return doc.error();
}

std::string text_at(const Value& v, std::string_view path) {
  const Value* found = v.find(path);
  if (!found) return "<missing>";
  return found->to_string().value_or("<not a string>");
}

}  // namespace

TEST_CASE("hocon: basic JSON types") {
  Value v = load(R"({"a": 1, "b": "x", "c": true, "d": null, "e": [1, 2.5], "f": {"g": -3}})");
  CHECK(v.to_json() == R"({"a":1,"b":"x","c":true,"d":null,"e":[1,2.5],"f":{"g":-3}})");
  CHECK(v.find("c")->type() == Value::Type::kBoolean);
  CHECK(v.find("d")->is_null());
  CHECK(v.find("f.g")->to_int() == -3);
}

TEST_CASE("hocon: root braces are optional and separators are interchangeable") {
  Value braced = load("{ a = 1, b : 2, c { d = 3 } }");
  Value bare = load("a : 1\nb = 2\nc {\n d : 3\n}\n");
  CHECK(braced == bare);
  CHECK(braced.to_json() == R"({"a":1,"b":2,"c":{"d":3}})");
  CHECK(load("").to_json() == "{}");
  CHECK(load("  \n# only a comment\n").to_json() == "{}");
}

TEST_CASE("hocon: path keys") {
  Value v = load("a.b.c = 1\n\"x.y\".z = 2\na.b.d = 3\n3.14 : 42\ntrue : t\na b c : s\n");
  CHECK(v.find("a.b.c")->to_int() == 1);
  CHECK(v.find("a.b.d")->to_int() == 3);
  CHECK(v.find("\"x.y\".z")->to_int() == 2);
  CHECK(v.find("x") == nullptr);
  CHECK(v.find("3.14")->to_int() == 42);  // "3" : { "14" : 42 }
  CHECK(text_at(v, "true") == "t");
  CHECK(text_at(v, "\"a b c\"") == "s");
  // Empty path elements must be quoted.
  CHECK(load("a.\"\".b = 1").find("a.\"\".b")->to_int() == 1);
  // Whitespace, even newlines, between a path key and its separator.
  CHECK(load("a.b \n\n : \n 7").find("a.b")->to_int() == 7);
}

TEST_CASE("hocon: comments") {
  Value v = load(
      "// leading\n"
      "a = 1 # trailing\n"
      "b = \"not // a # comment\"\n"
      "c = /usr/bin // comment ends the unquoted string\n"
      "d = x/y\n");
  CHECK(v.find("a")->to_int() == 1);
  CHECK(text_at(v, "b") == "not // a # comment");
  CHECK(text_at(v, "c") == "/usr/bin");
  CHECK(text_at(v, "d") == "x/y");
}

TEST_CASE("hocon: quoted string escapes") {
  Value v = load(R"(a = "q\" b\\ s\/ t\t n\n u\u00e9 p\ud83d\ude00")");
  CHECK(text_at(v, "a") == "q\" b\\ s/ t\t n\n u\xC3\xA9 p\xF0\x9F\x98\x80");
}

TEST_CASE("hocon: triple-quoted strings keep everything and end at the last three quotes") {
  Value v = load("a = \"\"\"x\n  \\n \"y\" \"\"\"\nb = \"\"\"z\"\"\"\"\"\nc = \"\"\"\"\"\"\n");
  CHECK(text_at(v, "a") == "x\n  \\n \"y\" ");
  CHECK(text_at(v, "b") == "z\"\"");
  CHECK(text_at(v, "c") == "");
}

TEST_CASE("hocon: string concatenation keeps inner whitespace and number text") {
  Value v = load(
      "a =   foo bar  baz   \n"
      "b = 1e5 x\n"
      "id = 3f2a9c1b-7d4e-4a1b-9c3d-0e5f6a7b8c9d\n"
      "id2 = 0c8f5e2a-1b3d-4c5e-8f7a-9b0c1d2e3f4a\n"
      "id3 = 12345678-1234-5678-1234-567812345678\n"
      "c = 10.0bar\n"
      "d = truefoo\n"
      "e = 1.2.3\n"
      "f = null bar 42 baz true 3.14 hi\n"
      "g = \"quoted \" unquoted\n"
      "h = 1.50\n"
      "i = 500 kbps\n");
  CHECK(text_at(v, "a") == "foo bar  baz");
  CHECK(text_at(v, "b") == "1e5 x");
  CHECK(text_at(v, "id") == "3f2a9c1b-7d4e-4a1b-9c3d-0e5f6a7b8c9d");
  CHECK(text_at(v, "id2") == "0c8f5e2a-1b3d-4c5e-8f7a-9b0c1d2e3f4a");
  CHECK(text_at(v, "id3") == "12345678-1234-5678-1234-567812345678");
  CHECK(v.find("id")->type() == Value::Type::kString);
  CHECK(text_at(v, "c") == "10.0bar");
  CHECK(text_at(v, "d") == "truefoo");
  CHECK(text_at(v, "e") == "1.2.3");
  CHECK(text_at(v, "f") == "null bar 42 baz true 3.14 hi");
  CHECK(text_at(v, "g") == "quoted  unquoted");
  CHECK(v.find("h")->type() == Value::Type::kNumber);
  CHECK(v.find("h")->text() == "1.50");
  CHECK(text_at(v, "i") == "500 kbps");
}

TEST_CASE("hocon: a single value keeps its type") {
  Value v = load("a = true\nb = 5\nc = null\nd = \"true\"");
  CHECK(v.find("a")->type() == Value::Type::kBoolean);
  CHECK(v.find("b")->type() == Value::Type::kNumber);
  CHECK(v.find("c")->is_null());
  CHECK(v.find("d")->type() == Value::Type::kString);
}

TEST_CASE("hocon: array and object concatenation") {
  CHECK(json("a = [1, 2] [3]").to_json() == R"({"a":[1,2,3]})");
  CHECK(json("a = {x : 1} {y : 2} {x : 3}").to_json() == R"({"a":{"x":3,"y":2}})");
  CHECK(json("a = [ 1 2 3 4 ]").to_json() == R"({"a":["1 2 3 4"]})");
  CHECK(json("a = [ [1, 2] [3, 4] ]").to_json() == R"({"a":[[1,2,3,4]]})");
  CHECK(json("a = [ [1, 2]\n [3, 4] ]").to_json() == R"({"a":[[1,2],[3,4]]})");
  CHECK(json("a = [\n 1\n 2\n]").to_json() == R"({"a":[1,2]})");
  CHECK(json("a { b = 1 } { c = 2 }").to_json() == R"({"a":{"b":1,"c":2}})");
}

TEST_CASE("hocon: commas") {
  CHECK(json("a = [1,2,3,]") == json("a = [1,2,3]"));
  CHECK(json("{ a = 1, b = 2, }").to_json() == R"({"a":1,"b":2})");
  CHECK(json("a = 1,\nb = 2").to_json() == R"({"a":1,"b":2})");
  CHECK(parse_error("a = [1,2,3,,]").message.find("','") != std::string::npos);
  CHECK(parse_error("a = [,1]").column == 6);
  CHECK(parse_error("a = [1,,2]").column == 8);
  CHECK(parse_error("{ a = 1,, b = 2 }").column == 9);
  CHECK(parse_error("{ , a = 1 }").column == 3);
}

TEST_CASE("hocon: duplicate keys merge objects and override everything else") {
  CHECK(json("foo { a : 42 }, foo { b : 43 }").to_json() == R"({"foo":{"a":42,"b":43}})");
  CHECK(json("foo { a : 42 }, foo : null, foo { b : 43 }").to_json() == R"({"foo":{"b":43}})");
  CHECK(json("a = 1, a = 2").to_json() == R"({"a":2})");
  CHECK(json("a { x = 1 }, a = 2").to_json() == R"({"a":2})");
  CHECK(json("a = 2, a { x = 1 }").to_json() == R"({"a":{"x":1}})");
  CHECK(json("a.b.c = 1, a { b { d = 2 } }, a.b.c = 3").to_json() == R"({"a":{"b":{"c":3,"d":2}}})");
}

TEST_CASE("hocon: include is only special at the start of a key") {
  Value v = load("{ foo include : 42, bar : include, \"include\" : 1, l = [ include ] }");
  CHECK(v.find("\"foo include\"")->to_int() == 42);
  CHECK(text_at(v, "bar") == "include");
  CHECK(v.find("include")->to_int() == 1);
  CHECK(v.find("l")->to_json() == R"(["include"])");
}

TEST_CASE("hocon: whitespace includes Unicode separators and the BOM") {
  Value v = load(
      "\xEF\xBB\xBF"
      "a\xC2\xA0=\xE2\x80\x83"
      "1\n");
  CHECK(v.find("a")->to_int() == 1);
}

TEST_CASE("hocon: syntax errors carry origin, line and column") {
  struct Case {
    const char* text;
    int line;
    int column;
    const char* message;
  };
  const Case cases[] = {
      {"a = {", 1, 6, "expected '}' but found end of file"},
      {"a = { b = 1", 1, 12, "expected '}' or ',' but found end of file"},
      {"a = [1, 2", 1, 10, "expected ']' or ','"},
      {"a = \"abc", 1, 5, "unterminated string"},
      {"a = \"ab\ncd\"", 1, 5, "unterminated string"},
      {"a {\n  b = 1\n  c = }\n}", 3, 7, "expected a value but found '}'"},
      {"a = 1 }", 1, 7, "unbalanced '}'"},
      {"a..b = 1", 1, 1, "invalid key"},
      {"a. = 1", 1, 1, "invalid key"},
      {"x = ${}", 1, 5, "empty substitution"},
      {"x = ${a", 1, 5, "unterminated substitution"},
      {"a = 1 b = 2", 1, 9, "expected ',' or newline after a field but found '='"},
      {"\"a\" : @", 1, 7, "reserved character '@'"},
      {"a = foo?bar", 1, 8, "reserved character '?'"},
      {"a = 1 + 2", 1, 7, "reserved character '+'"},
      {"a = $x", 1, 5, "'$' must start a substitution"},
      {"[1, 2]", 1, 1, "must be an object"},
      {"a\nb = 1", 2, 1, "expected ':', '=', '+=' or '{' after key 'a' but found 'b'"},
      {"${x} = 1", 1, 1, "substitutions are not allowed in keys"},
      {"a = [1] {b : 1}", 1, 9, "cannot concatenate an object with an array"},
      {"a = x [1]", 1, 7, "cannot concatenate an array with a string"},
      {"a = \"\"\"abc", 1, 5, "unterminated multi-line string"},
      {"a = \"\\q\"", 1, 6, "invalid escape"},
      {"a = \"\\u12\"", 1, 6, "invalid \\u escape"},
      {"include foo", 1, 9, "include must be followed by"},
      {"include \"a\" \"b\"", 1, 13, "expected ',' or newline after a field"},
      {"{ a = 1 } b", 1, 11, "expected end of file"},
      {"a = [1, 2, }", 1, 12, "expected a value but found '}'"},
      {"a : ", 1, 5, "expected a value but found end of file"},
      {"  a = \"x\x01\"", 1, 9, "control character"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    jvb::hocon::Error e = parse_error(c.text);
    CHECK(e.origin == "test.conf");
    CHECK(e.line == c.line);
    CHECK(e.column == c.column);
    CHECK_MESSAGE(e.message.find(c.message) != std::string::npos, e.message);
  }
  CHECK(parse_error("a = {").to_string() ==
        "test.conf:1:6: expected '}' but found end of file (object opened at line 1)");
}

TEST_CASE("hocon: nesting limits end in an error, not a crash") {
  std::string arrays = "a = " + std::string(5000, '[');
  CHECK(parse_error(arrays).message.find("nested too deeply") != std::string::npos);
  std::string objects;
  for (int i = 0; i < 5000; ++i) objects += "a {";
  CHECK(parse_error(objects).message.find("nested too deeply") != std::string::npos);
  std::string key = "k";
  for (int i = 0; i < 5000; ++i) key += ".k";
  CHECK(parse_error(key + " = 1").message.find("too deeply") != std::string::npos);
  // Within the limit is fine.
  std::string ok = "a = " + std::string(100, '[') + std::string(100, ']');
  CHECK(jvb::hocon::parse_string(ok).has_value());
}

TEST_CASE("hocon: Error::to_string without a position") {
  jvb::hocon::Error e{"x.conf", 0, 0, "cannot read file"};
  CHECK(e.to_string() == "x.conf: cannot read file");
  jvb::hocon::Error p{"y.conf", 3, 4, "bad"};
  CHECK(p.to_string() == "y.conf:3:4: bad");
}
