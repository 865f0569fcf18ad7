// Test helpers for bridge/conference/speech: a fake clock that runs an engine's deadlines at their
// exact times, and synthetic RFC 6464 level patterns (speech over a room's noise floor).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "bridge/core/time.hpp"

namespace speech_test {

using namespace std::chrono_literals;
using jvb::Duration;
using jvb::Timestamp;

inline constexpr Duration kFrame = 20ms;
inline const Timestamp kT0 = Timestamp{} + 1000s;

inline std::int64_t ms_since(Timestamp from, Timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t - from).count();
}

// Small deterministic generator (xorshift64), so traces are identical on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed ? seed : 1) {}
  std::uint64_t next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    return s_;
  }
  int uniform(int lo, int hi) {
    return lo + static_cast<int>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool chance(int percent) { return uniform(0, 99) < percent; }

 private:
  std::uint64_t s_;
};

// RFC 6464 levels (0 loudest .. 127 silence): a room's background noise and talking in it.
inline int noise_level(Rng& rng) { return rng.uniform(85, 95); }
inline int speech_level(Rng& rng) {
  // Short gaps between syllables fall back to the noise floor.
  return rng.chance(15) ? noise_level(rng) : rng.uniform(20, 40);
}

// Drives an engine with next_timeout()/handle_timeout(Timestamp) on a hand-advanced clock.
template <class Engine>
class FakeClock {
 public:
  explicit FakeClock(Engine& engine, Timestamp start = kT0) : engine_(engine), now_(start) {}

  Timestamp now() const { return now_; }
  bool stuck() const { return stuck_; }

  // Runs every deadline up to and including `to`, each at its own time, then sets the clock to
  // `to`. Returns how many handle_timeout calls ran.
  int advance_to(Timestamp to) {
    int runs = 0;
    while (auto t = engine_.next_timeout()) {
      if (*t > to) break;
      const Timestamp at = *t < now_ ? now_ : *t;
      engine_.handle_timeout(at);
      ++runs;
      // A deadline that does not move forward would spin here forever; report it instead.
      if (auto n = engine_.next_timeout(); n && *n <= at) {
        stuck_ = true;
        break;
      }
    }
    now_ = to;
    return runs;
  }
  int advance(Duration d) { return advance_to(now_ + d); }

 private:
  Engine& engine_;
  Timestamp now_;
  bool stuck_ = false;
};

}  // namespace speech_test
