// Tests of substitution resolution (HOCON spec, "Substitutions", "Self-Referential
// Substitutions", "The += field separator", environment fallback) and of layering documents
// with with_fallback ("Config object merging and file merging").
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <string>

#include "config/hocon/hocon.hpp"

namespace {

using jvb::hocon::Document;
using jvb::hocon::Value;

struct FakeEnv {
  std::map<std::string, std::string, std::less<>> vars;
  jvb::hocon::EnvLookup lookup() const {
    return [this](std::string_view name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
};

Document doc(std::string_view text) {
  auto d = jvb::hocon::parse_string(text, "test.conf");
  if (!d) {
    FAIL_CHECK("parse error: " << d.error().to_string());
    return Document();
  }
  return *d;
}

jvb::Result<Value, jvb::hocon::Error> resolve(std::string_view text, const FakeEnv& env = {}) {
  return jvb::hocon::resolve(doc(text), env.lookup());
}

std::string json(std::string_view text, const FakeEnv& env = {}) {
  auto v = resolve(text, env);
  if (!v) return "ERROR: " + v.error().to_string();
  return v->to_json();
}

jvb::hocon::Error error(std::string_view text, const FakeEnv& env = {}) {
  auto v = resolve(text, env);
  if (v) {
    FAIL_CHECK("expected an error, got " << v->to_json());
    return {};
  }
  return v.error();
}

}  // namespace

TEST_CASE("resolve: substitutions look forward and keep the type") {
  CHECK(json("a = ${b.c}, b { c = 5 }") == R"({"a":5,"b":{"c":5}})");
  CHECK(json("a = ${b}, b { c = [1] }") == R"({"a":{"c":[1]},"b":{"c":[1]}})");
  CHECK(json("a = x ${b} y, b = 1.50") == R"({"a":"x 1.50 y","b":1.50})");
  CHECK(json("a = ${b}${c}, b = foo, c = 3") == R"({"a":"foo3","b":"foo","c":3})");
  CHECK(json("a = ${b}\" is here\", b = it") == R"({"a":"it is here","b":"it"})");
  CHECK(json("a = null, b = ${a}") == R"({"a":null,"b":null})");
}

TEST_CASE("resolve: a key set twice resolves to its last value") {
  CHECK(json("b = ${a}, a = 1, a = 2") == R"({"a":2,"b":2})");
  CHECK(json("b = ${a}, a { x = 1 }, a { y = 2 }") == R"({"a":{"x":1,"y":2},"b":{"x":1,"y":2}})");
  // A hidden substitution is never evaluated.
  CHECK(json("foo = ${does-not-exist}, foo = 42") == R"({"foo":42})");
  CHECK(json("foo = ${foo}, foo = 42") == R"({"foo":42})");
}

TEST_CASE("resolve: undefined optional substitutions") {
  CHECK(json("a = ${?nope}") == "{}");
  CHECK(json("a = 1, a = ${?nope}") == R"({"a":1})");
  CHECK(json("a = [1, ${?nope}, 2]") == R"({"a":[1,2]})");
  CHECK(json("a = x${?nope}y") == R"({"a":"xy"})");
  CHECK(json("a = ${?nope} [1]") == R"({"a":[1]})");
  CHECK(json("a = ${?x}${?y}") == "{}");
  CHECK(json("a = ${?nope}${b}, b = 7") == R"({"a":7,"b":7})");
}

TEST_CASE("resolve: undefined required substitution is an error at its position") {
  jvb::hocon::Error e = error("a = 1\nb = [ ${nope.x} ]");
  CHECK(e.origin == "test.conf");
  CHECK(e.line == 2);
  CHECK(e.column == 7);
  CHECK(e.message.find("${nope.x}") != std::string::npos);
}

TEST_CASE("resolve: environment fallback") {
  FakeEnv env;
  env.vars["HOME"] = "/home/jvb";
  env.vars["EMPTY"] = "";
  CHECK(json("h = ${HOME}, o = ${?HOME}/x, m = ${?MISSING}, e = ${EMPTY}", env) ==
        R"({"e":"","h":"/home/jvb","o":"/home/jvb/x"})");
  // A value in the configuration, even null, hides the environment.
  CHECK(json("HOME = null, h = ${HOME}", env) == R"({"HOME":null,"h":null})");
  CHECK(json("HOME = here, h = ${HOME}", env) == R"({"HOME":"here","h":"here"})");
  // The self-reference idiom falls back to the environment too.
  CHECK(json("HOME = ${HOME}/sub", env) == R"({"HOME":"/home/jvb/sub"})");
  CHECK(error("h = ${MISSING}", env).message.find("${MISSING}") != std::string::npos);
  // Environment values are strings.
  env.vars["PORT"] = "443";
  auto v = resolve("p = ${PORT}", env);
  REQUIRE(v);
  CHECK(v->find("p")->type() == Value::Type::kString);
  CHECK(v->find("p")->to_int() == 443);
}

TEST_CASE("resolve: self-referential fields see the previous value") {
  CHECK(json("path = [a], path = ${path} [b]") == R"({"path":["a","b"]})");
  CHECK(json("a = x, a = ${a}\"more\"") == R"({"a":"xmore"})");
  CHECK(json("a = ${?a}foo") == R"({"a":"foo"})");
  CHECK(json("p = \"a:b:c\"\np = ${p}\":d\"\np = ${p}\":e\"") == R"({"p":"a:b:c:d:e"})");
  CHECK(json("foo = { a = 1 }, foo = ${foo}") == R"({"foo":{"a":1}})");
  CHECK(json("foo { a { c = 1 } }\nfoo = ${foo.a}\nfoo { a = 2 }") == R"({"foo":{"a":2,"c":1}})");
  CHECK(json("foo = ${?foo}") == "{}");
  CHECK(json("x { y = [1] }\nx { y = ${x.y} [2] }") == R"({"x":{"y":[1,2]}})");
  // Before any value exists the self-reference is undefined.
  CHECK(error("foo = ${foo}").message.find("${foo}") != std::string::npos);
  CHECK(error("foo = ${foo}, foo { a = 1 }").message.find("${foo}") != std::string::npos);
}

TEST_CASE("resolve: objects may refer into themselves") {
  CHECK(json("bar { foo = 42, baz = ${bar.foo} }") == R"({"bar":{"baz":42,"foo":42}})");
  CHECK(json("bar { foo = 42, baz = ${bar.foo} }\nbar { foo = 43 }") == R"({"bar":{"baz":43,"foo":43}})");
  CHECK(json("bar { a = ${foo.d}, b = 1 }\nbar.b = 3\nfoo { c = ${bar.b}, d = 2 }\nfoo.d = 4") ==
        R"({"bar":{"a":4,"b":3},"foo":{"c":3,"d":4}})");
  CHECK(json("generic { size = 6 }\neast = ${generic} { name = east }") ==
        R"({"east":{"name":"east","size":6},"generic":{"size":6}})");
}

TEST_CASE("resolve: += appends") {
  CHECK(json("a += 1\na += 2") == R"({"a":[1,2]})");
  CHECK(json("a = [0]\na += 1") == R"({"a":[0,1]})");
  CHECK(json("x { y = [0] }\nx { y += 1 }\nx.y += { z = 2 }") == R"({"x":{"y":[0,1,{"z":2}]}})");
  CHECK(json("a += [1, 2]") == R"({"a":[[1,2]]})");
  CHECK(error("a = 5\na += 1").message.find("cannot concatenate") != std::string::npos);
  std::string many;
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    many += "list += " + std::to_string(i) + "\n";
    expected += (i ? "," : "") + std::to_string(i);
  }
  CHECK(json(many) == "{\"list\":[" + expected + "]}");
}

TEST_CASE("resolve: cycles are errors, or undefined when optional") {
  jvb::hocon::Error e = error("bar = ${foo}\nfoo = ${bar}");
  CHECK(e.message.find("cycle") != std::string::npos);
  CHECK(e.line >= 1);
  CHECK(error("a = ${b}, b = ${c}, c = ${a}").message.find("cycle") != std::string::npos);
  CHECK(error("a { b = ${a} }").message.find("cycle") != std::string::npos);
  CHECK(error("a = [${a}]").message.find("cycle") != std::string::npos);
  CHECK(json("a = ${?b}, b = ${?a}") == "{}");
  // Undefined behaviour in the spec, but both must end up equal.
  auto v = resolve("a = 1\nb = 2\na = ${b}\nb = ${a}");
  REQUIRE(v);
  CHECK(*v->find("a") == *v->find("b"));
}

TEST_CASE("resolve: concatenation type errors") {
  jvb::hocon::Error e = error("a { x = 1 }\nb = ${a} 5");
  CHECK(e.line == 2);
  CHECK(e.column == 5);
  CHECK(e.message == "cannot concatenate an object with a number in the value of 'b'");
  CHECK(error("a = [1], b = ${a} {}").message.find("an array with an object") != std::string::npos);
  CHECK(json("a = [1], b = [2], c = ${a} ${b}") == R"({"a":[1],"b":[2],"c":[1,2]})");
  CHECK(json("a { x = 1 }, b { y = 2 }, c = ${a} ${b}") == R"({"a":{"x":1},"b":{"y":2},"c":{"x":1,"y":2}})");
}

TEST_CASE("resolve: exponential expansion hits the budget instead of memory") {
  std::string arrays;
  std::string strings;
  for (int i = 0; i < 60; ++i) {
    std::string a = "a" + std::to_string(i);
    std::string b = "a" + std::to_string(i + 1);
    arrays += a + " = [${" + b + "}, ${" + b + "}]\n";
    strings += a + " = ${" + b + "}${" + b + "}\n";
  }
  arrays += "a60 = [x]\n";
  strings += "a60 = xxxxxxxx\n";
  auto start = std::chrono::steady_clock::now();
  CHECK(error(arrays).message.find("substitutions") != std::string::npos);
  CHECK(error(strings).message.find("substitutions") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
}

TEST_CASE("resolve: very long substitution chains end in an error") {
  std::string text;
  for (int i = 0; i < 2000; ++i) {
    text += "a" + std::to_string(i) + " = ${a" + std::to_string(i + 1) + "}\n";
  }
  text += "a2000 = 1\n";
  CHECK(error(text).message.find("nested") != std::string::npos);
  std::string shorter;
  for (int i = 0; i < 50; ++i) {
    shorter += "a" + std::to_string(i) + " = ${a" + std::to_string(i + 1) + "}\n";
  }
  shorter += "a50 = 1\n";
  auto v = resolve(shorter);
  REQUIRE(v);
  CHECK(v->find("a0")->to_int() == 1);
}

TEST_CASE("with_fallback: the override wins and objects merge") {
  Document fallback = doc("a { x = 1, y = 1 }\nb = fallback\nc = [1]");
  Document override_doc = doc("a { y = 2 }\nc = [2]");
  auto v = jvb::hocon::resolve(override_doc.with_fallback(fallback), FakeEnv{}.lookup());
  REQUIRE(v);
  CHECK(v->to_json() == R"({"a":{"x":1,"y":2},"b":"fallback","c":[2]})");
}

TEST_CASE("with_fallback: substitutions in a default layer see the override") {
  Document reference =
      doc("videobridge.stats.interval = 5 seconds\n"
          "videobridge.apis.xmpp-client.presence-interval = ${videobridge.stats.interval}\n");
  Document admin = doc("videobridge.stats.interval = 10 seconds\n");
  auto v = jvb::hocon::resolve(admin.with_fallback(reference), FakeEnv{}.lookup());
  REQUIRE(v);
  CHECK(v->find("videobridge.apis.xmpp-client.presence-interval")->text() == "10 seconds");
  // Without the override, the default is used.
  auto d = jvb::hocon::resolve(reference, FakeEnv{}.lookup());
  REQUIRE(d);
  CHECK(d->find("videobridge.apis.xmpp-client.presence-interval")->text() == "5 seconds");
}

TEST_CASE("with_fallback: self-references reach into the fallback") {
  Document base = doc("list = [a]\nname = base");
  Document over = doc("list = ${list} [b]\nname = ${name}-over\nextra += x");
  auto v = jvb::hocon::resolve(over.with_fallback(base), FakeEnv{}.lookup());
  REQUIRE(v);
  CHECK(v->to_json() == R"({"extra":["x"],"list":["a","b"],"name":"base-over"})");
}

TEST_CASE("with_fallback: a non-object hides objects that are not adjacent") {
  Document first = doc("a { x = 1 }");
  Document number = doc("a = 42");
  Document second = doc("a { y = 2 }");
  auto hidden = jvb::hocon::resolve(first.with_fallback(number).with_fallback(second), FakeEnv{}.lookup());
  REQUIRE(hidden);
  CHECK(hidden->to_json() == R"({"a":{"x":1}})");
  auto adjacent = jvb::hocon::resolve(first.with_fallback(second).with_fallback(number), FakeEnv{}.lookup());
  REQUIRE(adjacent);
  CHECK(adjacent->to_json() == R"({"a":{"x":1,"y":2}})");
}

TEST_CASE("with_fallback: an object over a substitution merges with its value") {
  Document over = doc("a { y = 2 }");
  Document base = doc("a = ${b}\nb { x = 1 }");
  auto v = jvb::hocon::resolve(over.with_fallback(base), FakeEnv{}.lookup());
  REQUIRE(v);
  CHECK(v->to_json() == R"({"a":{"x":1,"y":2},"b":{"x":1}})");
}

TEST_CASE("document_from_properties") {
  Document props = jvb::hocon::document_from_properties(
      {{"a.b", "1"}, {"a", "hello"}, {"c", "x"}, {"c.", "y"}, {"d", "first"}, {"d", "second"}}, "props");
  auto v = jvb::hocon::resolve(props, FakeEnv{}.lookup());
  REQUIRE(v);
  // The object wins over the string at "a" and "c"; values are always strings.
  CHECK(v->to_json() == R"({"a":{"b":"1"},"c":{"":"y"},"d":"second"})");
  // Properties override a parsed document when layered on top of it.
  auto layered = jvb::hocon::resolve(props.with_fallback(doc("a.z = 1\nq = ${a.b}")), FakeEnv{}.lookup());
  REQUIRE(layered);
  CHECK(layered->find("a.z")->to_int() == 1);
  CHECK(layered->find("q")->text() == "1");
}

TEST_CASE("resolve: an empty document") {
  auto v = jvb::hocon::resolve(Document(), FakeEnv{}.lookup());
  REQUIRE(v);
  CHECK(v->to_json() == "{}");
}
