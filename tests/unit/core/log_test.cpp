// The JVB log line format and level filtering.
#include "bridge/core/log.hpp"

#include <doctest/doctest.h>

#include <regex>
#include <string>
#include <vector>

namespace jvb::log {
namespace {

struct CaptureSink {
  std::vector<std::string> lines;
  CaptureSink() {
    set_sink([this](std::string_view l) { lines.emplace_back(l); });
  }
  ~CaptureSink() {
    set_sink(nullptr);
    set_level(Level::kInfo);
  }
};

TEST_CASE("lines have JVB's layout") {
  CaptureSink sink;
  constexpr Logger log{"HealthChecker"};
  log.warn("Health check failed: {}", "No valid IP addresses available for harvesting.");
  write(Level::kInfo, "Endpoint", "confId=7e44 epId=79f0", "Created new endpoint");
  REQUIRE(sink.lines.size() == 2);
  std::regex plain(
      R"(^JVB \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} WARNING: \[\d+\] HealthChecker: Health check failed: No valid IP addresses available for harvesting\.\n$)");
  CHECK_MESSAGE(std::regex_match(sink.lines[0], plain), sink.lines[0]);
  std::regex with_context(
      R"(^JVB \S+ \S+ INFO: \[\d+\] \[confId=7e44 epId=79f0\] Endpoint: Created new endpoint\n$)");
  CHECK_MESSAGE(std::regex_match(sink.lines[1], with_context), sink.lines[1]);
}

TEST_CASE("levels filter") {
  CaptureSink sink;
  constexpr Logger log{"X"};
  set_level(Level::kWarning);
  log.info("dropped");
  log.fine("dropped");
  log.warn("kept");
  log.severe("kept");
  CHECK(sink.lines.size() == 2);
  set_level(Level::kOff);
  log.severe("dropped");
  CHECK(sink.lines.size() == 2);
  set_level(Level::kAll);
  log.log(Level::kFinest, "kept");
  CHECK(sink.lines.size() == 3);
}

TEST_CASE("level names are java.util.logging's") {
  CHECK(level_from_name("FINE") == Level::kFine);
  CHECK(level_from_name("SEVERE") == Level::kSevere);
  CHECK(level_from_name("ALL") == Level::kAll);
  CHECK_FALSE(level_from_name("info"));
  CHECK(level_name(Level::kWarning) == "WARNING");
}

}  // namespace
}  // namespace jvb::log
