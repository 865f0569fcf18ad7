// See health_checker.hpp.
#include "bridge/health/health_checker.hpp"

#include <fmt/format.h>

namespace jvb::health {

HealthChecker::HealthChecker(Options options, std::vector<Check> checks, Clock::time_point started)
    : options_(options), checks_(std::move(checks)), started_(started) {}

void HealthChecker::run_checks(const std::function<Clock::time_point()>& now) {
  Clock::time_point begin = now();
  std::optional<std::string> failure;
  for (const Check& check : checks_) {
    failure = check();
    if (failure) break;
  }
  Clock::time_point end = now();
  if (!failure && end - begin > options_.max_check_duration) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(end - begin).count();
    failure = fmt::format("Performing a health check took too long: {} ms", ms);
  }
  last_check_ = end;
  last_failure_ = failure;
  if (failure && options_.sticky_failures && end - started_ > kStickyGrace && !sticky_failure_) {
    sticky_failure_ = "Sticky failure. " + *failure;
  }
}

HealthStatus HealthChecker::status(Clock::time_point now) const {
  if (sticky_failure_) return {false, 500, *sticky_failure_};
  if (!last_check_ || now - *last_check_ > options_.timeout) {
    std::string when =
        last_check_
            ? fmt::format("the last one {} ms ago",
                          std::chrono::duration_cast<std::chrono::milliseconds>(now - *last_check_).count())
            : std::string("none so far");
    return {false, 500, "No health checks performed recently, " + when + "."};
  }
  if (last_failure_) return {false, 500, *last_failure_};
  return {true, 200, {}};
}

}  // namespace jvb::health
