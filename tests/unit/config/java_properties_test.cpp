// Tests of the java.util.Properties text format parser (config/java_properties.hpp).
#include <doctest/doctest.h>

#include "config/java_properties.hpp"

using jvb::config::parse_java_properties;
using jvb::config::PropertiesEntry;

namespace {
std::string dump(const std::vector<PropertiesEntry>& entries) {
  std::string out;
  for (const auto& e : entries) out += std::to_string(e.line) + ":" + e.key + "=" + e.value + "|";
  return out;
}
}  // namespace

TEST_CASE("properties: separators") {
  auto e = parse_java_properties("a=1\nb:2\nc 3\nd = 4\ne\t:\t5\nf\ng =\nh  ==x\n");
  CHECK(dump(e) == "1:a=1|2:b=2|3:c=3|4:d=4|5:e=5|6:f=|7:g=|8:h==x|");
}

TEST_CASE("properties: comments and blank lines") {
  auto e = parse_java_properties("# comment\n! also\n   # indented\n\n   \na = 1 # not a comment\n");
  CHECK(dump(e) == "6:a=1 # not a comment|");
}

TEST_CASE("properties: line terminators") {
  auto e = parse_java_properties("a=1\r\nb=2\rc=3\nd=4");
  CHECK(dump(e) == "1:a=1|2:b=2|3:c=3|4:d=4|");
}

TEST_CASE("properties: continuation lines") {
  auto e = parse_java_properties(
      "fruits = apple, \\\n"
      "         banana, \\\n"
      "\tpear\n"
      "even = a\\\\\n"
      "next = b\n"
      "end = z\\");
  CHECK(dump(e) == "1:fruits=apple, banana, pear|4:even=a\\|5:next=b|6:end=z|");
  // A comment line does not continue.
  CHECK(dump(parse_java_properties("# c \\\nx = 1\n")) == "2:x=1|");
  // A continuation with CRLF.
  CHECK(dump(parse_java_properties("k = a\\\r\n  b\r\n")) == "1:k=ab|");
}

TEST_CASE("properties: escapes") {
  auto e = parse_java_properties(
      "tab = a\\tb\\nc\\rd\\fe\n"
      "key\\ with\\ spaces = v\n"
      "k\\=q\\:r = w\n"
      "u = \\u00e9\\u20AC\n"
      "pair = \\ud83d\\ude00\n"
      "lone = \\ud83dx\n"
      "bad = \\u12\n"
      "other = \\q\\\\\n");
  REQUIRE(e.size() == 8);
  CHECK(e[0].value == "a\tb\nc\rd\fe");
  CHECK(e[1].key == "key with spaces");
  CHECK(e[2].key == "k=q:r");
  CHECK(e[2].value == "w");
  CHECK(e[3].value == "\xC3\xA9\xE2\x82\xAC");
  CHECK(e[4].value == "\xF0\x9F\x98\x80");
  CHECK(e[5].value == "\xEF\xBF\xBDx");
  CHECK(e[6].value == "\\u12");
  CHECK(e[7].value == "q\\");
}

TEST_CASE("properties: leading whitespace of a value is dropped, trailing kept") {
  auto e = parse_java_properties("a =   x  \n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].value == "x  ");
}

TEST_CASE("properties: duplicates are all returned in order") {
  auto e = parse_java_properties("a=1\na=2\n");
  CHECK(dump(e) == "1:a=1|2:a=2|");
}

TEST_CASE("properties: empty input") {
  CHECK(parse_java_properties("").empty());
  CHECK(parse_java_properties("\n\n# x\n").empty());
}
