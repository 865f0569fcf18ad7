// The sliding-window rate meter on a fake clock.
#include "bridge/core/rate_meter.hpp"

#include <doctest/doctest.h>

namespace jvb {
namespace {

using namespace std::chrono_literals;

TEST_CASE("a steady 1000-byte packet every 10 ms is 800 kbps and 100 pps") {
  RateMeter m;
  Timestamp t{};
  for (int i = 0; i < 300; ++i) {
    m.add(t, 1000);
    t += 10ms;
  }
  CHECK(m.bits_per_second(t) == doctest::Approx(800'000).epsilon(0.06));
  CHECK(m.packets_per_second(t) == doctest::Approx(100).epsilon(0.06));
  CHECK(m.total_bytes() == 300'000);
}

TEST_CASE("silence empties the window; time going backwards does not break it") {
  RateMeter m;
  Timestamp t{};
  m.add(t, 5000);
  CHECK(m.bits_per_second(t) == 40'000);
  CHECK(m.bits_per_second(t + 2s) == 0);
  m.add(t + 2s, 100);
  m.add(t + 1s, 100);  // backwards: counted in the current bucket
  CHECK(m.bits_per_second(t + 2s) == 1600);
  CHECK(m.total_packets() == 3);
}

}  // namespace
}  // namespace jvb
