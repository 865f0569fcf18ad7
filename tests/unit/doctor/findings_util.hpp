// Helpers for the doctor's unit tests: find a finding by its check and look into its text.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "bridge/doctor/finding.hpp"

namespace jvb::doctor::test {

// A copy of the one finding of `check` (callers often pass a temporary list); fails the test when
// there is none or more than one.
inline Finding only(const std::vector<Finding>& findings, std::string_view check) {
  const Finding* found = nullptr;
  int count = 0;
  for (const auto& f : findings) {
    if (f.check == check) {
      found = &f;
      ++count;
    }
  }
  INFO("check '", std::string(check), "' in:\n", [&] {
    std::string all;
    for (const auto& f : findings) all += format_finding(f);
    return all;
  }());
  REQUIRE(count == 1);
  return *found;
}

inline bool none_of(const std::vector<Finding>& findings, std::string_view check) {
  for (const auto& f : findings) {
    if (f.check == check) return false;
  }
  return true;
}

inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Whether any fix line of `f` contains `part`.
inline bool fix_says(const Finding& f, std::string_view part) {
  for (const auto& fix : f.fixes) {
    if (contains(fix, part)) return true;
  }
  return false;
}

inline bool detail_says(const Finding& f, std::string_view part) {
  for (const auto& d : f.details) {
    if (contains(d, part)) return true;
  }
  return false;
}

}  // namespace jvb::doctor::test
