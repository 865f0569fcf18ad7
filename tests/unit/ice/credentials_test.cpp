// generate_credentials: lengths, character set, prefix, and that values differ.
#include "ice/credentials.hpp"

#include <doctest/doctest.h>

#include <set>

using jvb::ice::generate_credentials;

namespace {
bool ice_chars_only(const std::string& s) {
  for (char c : s) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}
}  // namespace

TEST_CASE("generate_credentials: sizes and ice-char set") {
  auto c = generate_credentials();
  CHECK(c.ufrag.size() == 8);
  CHECK(c.pwd.size() == 24);
  CHECK(ice_chars_only(c.ufrag));
  CHECK(ice_chars_only(c.pwd));
}

TEST_CASE("generate_credentials: the prefix comes first") {
  auto c = generate_credentials("jvb");
  CHECK(c.ufrag.size() == 11);
  CHECK(c.ufrag.rfind("jvb", 0) == 0);
  CHECK(c.pwd.size() == 24);
}

TEST_CASE("generate_credentials: values are random") {
  std::set<std::string> ufrags, pwds;
  for (int i = 0; i < 200; ++i) {
    auto c = generate_credentials();
    ufrags.insert(c.ufrag);
    pwds.insert(c.pwd);
  }
  CHECK(ufrags.size() == 200);
  CHECK(pwds.size() == 200);
  // Every one of the 64 characters shows up over 200 * 24 password characters.
  std::set<char> seen;
  for (const auto& p : pwds) seen.insert(p.begin(), p.end());
  CHECK(seen.size() == 64);
}
