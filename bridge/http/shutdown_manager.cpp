// See shutdown_manager.hpp.
#include "bridge/http/shutdown_manager.hpp"

#include <algorithm>
#include <string>

#include "bridge/core/log.hpp"

namespace jvb::http {
namespace {

constexpr log::Logger kLog{"ShutdownManager"};

}  // namespace

std::string_view shutdown_state_name(ShutdownState state) {
  switch (state) {
    case ShutdownState::kRunning:
      return "RUNNING";
    case ShutdownState::kGracefulShutdown:
      return "GRACEFUL_SHUTDOWN";
    case ShutdownState::kShuttingDown:
      return "SHUTTING_DOWN";
  }
  return "RUNNING";
}

ShutdownManager::ShutdownManager(Options options, bool initial_drain)
    : options_(options), drain_(initial_drain) {}

ShutdownManager::Decision ShutdownManager::begin(bool graceful, Timestamp now, std::size_t local_endpoints) {
  kLog.info("Received shutdown request, graceful={}", graceful);
  if (!graceful) {
    enter_shutting_down(now, "a non-graceful shutdown was requested");
    return on_timer(now, local_endpoints);
  }
  if (state_ != ShutdownState::kRunning) {
    kLog.info("Graceful shutdown already initiated ({})", shutdown_state_name(state_));
    return on_timer(now, local_endpoints);
  }
  state_ = ShutdownState::kGracefulShutdown;
  graceful_deadline_ = now + options_.graceful_shutdown_max_duration;
  kLog.info("Entered graceful shutdown mode, will stay in this mode for up to {} ms",
            options_.graceful_shutdown_max_duration.count());
  return on_timer(now, local_endpoints);
}

ShutdownManager::Decision ShutdownManager::on_timer(Timestamp now, std::size_t local_endpoints) {
  if (state_ == ShutdownState::kGracefulShutdown) {
    last_check_ = now;
    // A negative minimum can never be reached by a count; only the maximum duration ends it then.
    auto min = options_.graceful_shutdown_min_participants;
    if (min >= 0 && local_endpoints <= static_cast<std::size_t>(min)) {
      enter_shutting_down(now, "local endpoints dropped to " + std::to_string(local_endpoints));
    } else if (now >= graceful_deadline_) {
      enter_shutting_down(now, "the graceful shutdown period expired");
    }
  }
  if (state_ == ShutdownState::kShuttingDown && now >= exit_at_) {
    kLog.info("Videobridge is shutting down now");
    return Decision::kExit;
  }
  return Decision::kContinue;
}

std::optional<Timestamp> ShutdownManager::next_deadline() const {
  switch (state_) {
    case ShutdownState::kRunning:
      return std::nullopt;
    case ShutdownState::kGracefulShutdown:
      return std::min(graceful_deadline_, last_check_ + options_.endpoint_check_interval);
    case ShutdownState::kShuttingDown:
      return exit_at_;
  }
  return std::nullopt;
}

void ShutdownManager::enter_shutting_down(Timestamp now, std::string_view why) {
  // The exit time is fixed by the first transition; a second request does not postpone it.
  if (state_ == ShutdownState::kShuttingDown) return;
  state_ = ShutdownState::kShuttingDown;
  exit_at_ = now + options_.shutting_down_delay;
  kLog.info("Entering SHUTTING_DOWN ({}); will shut down in {} ms", why,
            options_.shutting_down_delay.count());
}

}  // namespace jvb::http
