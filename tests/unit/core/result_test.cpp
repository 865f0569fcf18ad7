// The project's Result type.
#include "bridge/core/result.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace jvb {
namespace {

Result<int, std::string> half(int n) {
  if (n % 2) return unexpected(std::string("odd"));
  return n / 2;
}

TEST_CASE("value or error") {
  auto ok = half(8);
  REQUIRE(ok);
  CHECK(*ok == 4);
  auto bad = half(3);
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == "odd");
}

TEST_CASE("same value and error types, and move-only values") {
  Result<std::string, std::string> a = std::string("value");
  Result<std::string, std::string> b = unexpected(std::string("error"));
  CHECK(a.has_value());
  CHECK(*a == "value");
  CHECK_FALSE(b.has_value());
  CHECK(b.error() == "error");
  Result<std::unique_ptr<int>, std::string> p = std::make_unique<int>(7);
  std::unique_ptr<int> taken = std::move(p).value();
  CHECK(*taken == 7);
}

}  // namespace
}  // namespace jvb
