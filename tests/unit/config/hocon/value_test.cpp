// Tests of resolved values (config/hocon/value.hpp): the spec's "Automatic type
// conversions", path lookup with find(), JSON output and equality.
#include <doctest/doctest.h>

#include "config/hocon/value.hpp"

using jvb::hocon::Array;
using jvb::hocon::Object;
using jvb::hocon::Value;

TEST_CASE("value: to_bool") {
  CHECK(Value::boolean(true).to_bool() == true);
  CHECK(Value::boolean(false).to_bool() == false);
  for (const char* yes : {"true", "yes", "on"}) CHECK(Value::string(yes).to_bool() == true);
  for (const char* no : {"false", "no", "off"}) CHECK(Value::string(no).to_bool() == false);
  CHECK_FALSE(Value::string("TRUE").to_bool().has_value());
  CHECK_FALSE(Value::string("1").to_bool().has_value());
  CHECK_FALSE(Value::number("1").to_bool().has_value());
  CHECK_FALSE(Value().to_bool().has_value());
}

TEST_CASE("value: to_double and to_int") {
  CHECK(Value::number("42").to_double() == 42.0);
  CHECK(Value::number("1e3").to_double() == 1000.0);
  CHECK(Value::number("-0.5").to_double() == -0.5);
  CHECK(Value::string("0.02").to_double() == doctest::Approx(0.02));
  CHECK(Value::string(".75").to_double() == 0.75);
  CHECK_FALSE(Value::string("abc").to_double().has_value());
  CHECK_FALSE(Value::string("1.5x").to_double().has_value());
  CHECK_FALSE(Value::string("nan").to_double().has_value());
  CHECK_FALSE(Value::string("inf").to_double().has_value());
  CHECK_FALSE(Value::string("").to_double().has_value());
  CHECK_FALSE(Value::boolean(true).to_double().has_value());
  CHECK_FALSE(Value().to_double().has_value());
  CHECK(Value::number("10000").to_int() == 10000);
  CHECK(Value::number("-1").to_int() == -1);
  CHECK(Value::number("1e3").to_int() == 1000);
  CHECK(Value::number("9007199254740993").to_int() == 9007199254740993LL);
  CHECK(Value::string("443").to_int() == 443);
  CHECK_FALSE(Value::number("1.5").to_int().has_value());
  CHECK_FALSE(Value::number("9223372036854775808").to_int().has_value());
  CHECK_FALSE(Value::number("1e30").to_int().has_value());
  CHECK_FALSE(Value::string("ten").to_int().has_value());
}

TEST_CASE("value: to_string") {
  CHECK(Value::string("s").to_string() == "s");
  CHECK(Value::number("1.50").to_string() == "1.50");
  CHECK(Value::boolean(false).to_string() == "false");
  CHECK_FALSE(Value().to_string().has_value());
  CHECK_FALSE(Value::array({}).to_string().has_value());
  CHECK_FALSE(Value::object({}).to_string().has_value());
}

TEST_CASE("value: find with path expressions") {
  Object inner;
  inner.emplace("c.d", Value::number("1"));
  inner.emplace("", Value::number("2"));
  Object outer;
  outer.emplace("b", Value::object(inner));
  Object root;
  root.emplace("a", Value::object(outer));
  root.emplace("s", Value::string("x"));
  Value v = Value::object(root);
  CHECK(v.find("a.b.\"c.d\"")->text() == "1");
  CHECK(v.find("a.b.\"\"")->text() == "2");
  CHECK(v.find("a.b")->type() == Value::Type::kObject);
  CHECK(v.find("a.b.c") == nullptr);
  CHECK(v.find("s.x") == nullptr);
  CHECK(v.find("missing") == nullptr);
  CHECK(v.find("a..b") == nullptr);
  CHECK(v.find("a.") == nullptr);
  CHECK(v.find("") == nullptr);
  CHECK(v.find("a.b.\"c.d") == nullptr);
}

TEST_CASE("value: JSON output") {
  Object o;
  o.emplace("s", Value::string("q\"\\\n\t\x01 \xC3\xA9"));
  o.emplace("n", Value::number("1e5"));
  o.emplace("lenient", Value::number("01"));
  o.emplace("a", Value::array({Value::boolean(true), Value(), Value::array({})}));
  o.emplace("o", Value::object({}));
  Value v = Value::object(o);
  CHECK(v.to_json() ==
        "{\"a\":[true,null,[]],\"lenient\":1,\"n\":1e5,\"o\":{},"
        "\"s\":\"q\\\"\\\\\\n\\t\\u0001 \xC3\xA9\"}");
  Object small;
  small.emplace("k", Value::array({Value::number("1"), Value::string("v")}));
  small.emplace("e", Value::object({}));
  CHECK(Value::object(small).to_pretty_json() == "{\n  \"e\": {},\n  \"k\": [\n    1,\n    \"v\"\n  ]\n}");
  CHECK(Value().to_pretty_json() == "null");
  // Leading zeros are dropped exactly, even where a double would overflow.
  CHECK(Value::number("007").to_json() == "7");
  CHECK(Value::number("-01e400").to_json() == "-1e400");
  CHECK(Value::number("0.5").to_json() == "0.5");
}

TEST_CASE("value: equality") {
  CHECK(Value::number("42") == Value::number("42.0"));
  CHECK(Value::number("1e2") == Value::number("100"));
  CHECK(Value::number("0.1") == Value::number("1e-1"));
  CHECK(Value::number("-0") == Value::number("0.0"));
  CHECK(Value::number("1e400") == Value::number("01e400"));
  CHECK(Value::number("9007199254740993") == Value::number("9007199254740993.0"));
  CHECK_FALSE(Value::number("9007199254740993") == Value::number("9007199254740992"));
  CHECK_FALSE(Value::number("1e400") == Value::number("1e401"));
  CHECK_FALSE(Value::number("-1") == Value::number("1"));
  CHECK_FALSE(Value::number("42") == Value::number("43"));
  CHECK_FALSE(Value::number("42") == Value::string("42"));
  CHECK_FALSE(Value() == Value::boolean(false));
  CHECK(Value::array({Value::number("1")}) == Value::array({Value::number("1.0")}));
  CHECK_FALSE(Value::array({Value::number("1")}) == Value::array({}));
  Object a;
  a.emplace("x", Value::string("1"));
  Object b;
  b.emplace("x", Value::string("2"));
  CHECK_FALSE(Value::object(a) == Value::object(b));
  CHECK(Value::object(a) == Value::object(a));
}
