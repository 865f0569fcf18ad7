// The bridge's health, as JVB reports it on /about/health, in presence and to Jicofo's
// health-check IQ (jicoco's HealthChecker.kt): periodic checks whose last result is cached;
// a request never runs a check. No check within `timeout` is itself a failure; a check that
// took longer than `max_check_duration` fails; with `sticky_failures`, a failure after the
// first five minutes makes the bridge unhealthy for good.
//
// Sans-IO: the caller runs the checks and passes the times in. Control thread only.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace jvb::health {

using Clock = std::chrono::steady_clock;

struct HealthStatus {
  bool healthy = false;
  int http_status = 500;  // 200 when healthy; every failure JVB produces is "hard": 500
  std::string message;    // empty when healthy
};

class HealthChecker {
 public:
  struct Options {
    std::chrono::milliseconds timeout{90'000};
    std::chrono::milliseconds max_check_duration{3'000};
    bool sticky_failures = false;
  };
  // A check returns nullopt when fine, or what is wrong.
  using Check = std::function<std::optional<std::string>()>;

  HealthChecker(Options options, std::vector<Check> checks, Clock::time_point started);

  // Runs every check in order and records the first failure; `now` is read before and
  // after so the duration rule can be applied.
  void run_checks(const std::function<Clock::time_point()>& now);

  HealthStatus status(Clock::time_point now) const;

 private:
  static constexpr std::chrono::minutes kStickyGrace{5};

  Options options_;
  std::vector<Check> checks_;
  Clock::time_point started_;
  std::optional<Clock::time_point> last_check_;
  std::optional<std::string> last_failure_;
  std::optional<std::string> sticky_failure_;
};

}  // namespace jvb::health
