// The bridge's shutdown and drain state (the flags published in presence; POST /colibri/drain
// and /colibri/shutdown), as JVB's ShutdownManager behaves:
//
//   RUNNING --begin(graceful)--> GRACEFUL_SHUTDOWN --(local endpoints <= min participants, or
//   max duration over)--> SHUTTING_DOWN --(shutting-down delay over)--> exit
//   RUNNING or GRACEFUL_SHUTDOWN --begin(not graceful)--> SHUTTING_DOWN
//
// A graceful request after the first one changes nothing (JVB: "already initiated"); a
// non-graceful one during GRACEFUL_SHUTDOWN cuts it short, so an operator can hurry a bridge
// that waits for a long meeting. Drain is independent: a flag published in presence.
//
// Pure: time is passed in and nothing is scheduled here. The daemon calls on_timer() at
// next_deadline() and whenever it wants the endpoint count looked at again.
//
// It lives beside the handlers that drive and show it (ops_api, debug_api), below the daemon;
// the daemon's XMPP presence reads it too.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>

#include "bridge/core/time.hpp"

namespace jvb::http {

enum class ShutdownState { kRunning, kGracefulShutdown, kShuttingDown };

// "RUNNING", "GRACEFUL_SHUTDOWN", "SHUTTING_DOWN": JVB's names, used in /debug and logs.
std::string_view shutdown_state_name(ShutdownState state);

class ShutdownManager {
 public:
  struct Options {
    std::chrono::milliseconds graceful_shutdown_max_duration{24 * 3600 * 1000};
    int graceful_shutdown_min_participants = 0;
    std::chrono::milliseconds shutting_down_delay{60'000};
    // How often the endpoint count is looked at during GRACEFUL_SHUTDOWN. JVB looks whenever
    // an endpoint expires; polling is the same thing without a hook into every expiry path.
    std::chrono::milliseconds endpoint_check_interval{1'000};
  };

  // What the caller must do after begin() or on_timer().
  enum class Decision { kContinue, kExit };

  explicit ShutdownManager(Options options, bool initial_drain = false);

  bool drain() const { return drain_; }
  void set_drain(bool on) { drain_ = on; }

  ShutdownState state() const { return state_; }
  // Whether new conferences are refused: from the graceful shutdown on. JVB refuses them only
  // during GRACEFUL_SHUTDOWN; a bridge that exits within the shutting-down delay has no use for a
  // new conference either, and Jicofo excludes it from selection by then anyway.
  bool refuses_new_conferences() const { return state_ != ShutdownState::kRunning; }

  // The shutdown request. With graceful, the endpoint count is looked at right away, so a bridge
  // with no endpoints goes on to SHUTTING_DOWN at once.
  Decision begin(bool graceful, Timestamp now, std::size_t local_endpoints);

  // Advances the state machine: GRACEFUL_SHUTDOWN ends when `local_endpoints` is at most the
  // minimum or the maximum duration is over; SHUTTING_DOWN ends (kExit) when its delay is over.
  // Calling it early, or in RUNNING, is harmless.
  Decision on_timer(Timestamp now, std::size_t local_endpoints);

  // When on_timer() should be called next; nullopt while RUNNING (nothing to wait for).
  std::optional<Timestamp> next_deadline() const;

 private:
  void enter_shutting_down(Timestamp now, std::string_view why);

  Options options_;
  bool drain_;
  ShutdownState state_ = ShutdownState::kRunning;
  Timestamp graceful_deadline_{};  // end of GRACEFUL_SHUTDOWN at the latest
  Timestamp last_check_{};         // when the endpoint count was last looked at
  Timestamp exit_at_{};            // end of SHUTTING_DOWN
};

}  // namespace jvb::http
