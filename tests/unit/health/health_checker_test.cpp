// The health checker's rules on a fake clock.
#include "bridge/health/health_checker.hpp"

#include <doctest/doctest.h>

namespace jvb::health {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  Clock::time_point now{};
  std::function<Clock::time_point()> fn() {
    return [this] { return now; };
  }
};

TEST_CASE("no check yet, then healthy, then stale") {
  FakeClock clock;
  HealthChecker checker({90s, 3s, false}, {}, clock.now);
  auto s = checker.status(clock.now);
  CHECK_FALSE(s.healthy);
  CHECK(s.http_status == 500);
  CHECK(s.message.find("No health checks performed recently") == 0);

  checker.run_checks(clock.fn());
  CHECK(checker.status(clock.now).healthy);
  CHECK(checker.status(clock.now).http_status == 200);
  clock.now += 91s;
  CHECK_FALSE(checker.status(clock.now).healthy);
}

TEST_CASE("a failing check reports its message; recovery clears it") {
  FakeClock clock;
  bool broken = true;
  HealthChecker checker({90s, 3s, false}, {[&]() -> std::optional<std::string> {
                          if (broken) return "No valid IP addresses available for harvesting.";
                          return std::nullopt;
                        }},
                        clock.now);
  checker.run_checks(clock.fn());
  auto s = checker.status(clock.now);
  CHECK_FALSE(s.healthy);
  CHECK(s.message == "No valid IP addresses available for harvesting.");
  broken = false;
  checker.run_checks(clock.fn());
  CHECK(checker.status(clock.now).healthy);
}

TEST_CASE("a slow check fails") {
  FakeClock clock;
  HealthChecker checker({90s, 3s, false}, {[&]() -> std::optional<std::string> {
                          clock.now += 4s;
                          return std::nullopt;
                        }},
                        clock.now);
  checker.run_checks(clock.fn());
  auto s = checker.status(clock.now);
  CHECK_FALSE(s.healthy);
  CHECK(s.message.find("took too long") != std::string::npos);
}

TEST_CASE("sticky failures stick only after the first five minutes") {
  FakeClock clock;
  bool broken = true;
  HealthChecker checker({90s, 3s, true}, {[&]() -> std::optional<std::string> {
                          if (broken) return "broken";
                          return std::nullopt;
                        }},
                        clock.now);
  checker.run_checks(clock.fn());
  broken = false;
  checker.run_checks(clock.fn());
  CHECK(checker.status(clock.now).healthy);  // early failures do not stick

  clock.now += 6min;
  broken = true;
  checker.run_checks(clock.fn());
  broken = false;
  checker.run_checks(clock.fn());
  auto s = checker.status(clock.now);
  CHECK_FALSE(s.healthy);
  CHECK(s.message.find("Sticky failure.") == 0);
}

}  // namespace
}  // namespace jvb::health
