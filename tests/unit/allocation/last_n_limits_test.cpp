// Tests of bridge/conference/allocation/last_n_limits.hpp (the effective last-N of JVB's
// allocation; videobridge.load-management.conference-last-n-limits).
#include <doctest/doctest.h>

#include "bridge/conference/allocation/last_n_limits.hpp"

using namespace jvb::allocation;

TEST_CASE("conference-last-n-limits: the limit of the largest size key <= the conference size") {
  LastNLimits limits({{20, 20}, {30, 15}, {50, 10}});
  CHECK(limits.limit_for(1) == -1);
  CHECK(limits.limit_for(19) == -1);
  CHECK(limits.limit_for(20) == 20);
  CHECK(limits.limit_for(29) == 20);
  CHECK(limits.limit_for(30) == 15);
  CHECK(limits.limit_for(49) == 15);
  CHECK(limits.limit_for(50) == 10);
  CHECK(limits.limit_for(1000) == 10);

  LastNLimits none;
  CHECK(none.empty());
  CHECK(none.limit_for(500) == -1);
}

TEST_CASE("effective last-N: the smallest limit, -1 when nothing limits") {
  LastNCaps caps;  // only ssrc-limit.video 50
  CHECK(effective_last_n(-1, caps) == 50);
  CHECK(effective_last_n(3, caps) == 3);
  CHECK(effective_last_n(0, caps) == 0);
  caps.ssrc_limit_video = -1;
  CHECK(effective_last_n(-1, caps) == -1);
  caps.jvb_last_n = 5;
  CHECK(effective_last_n(-1, caps) == 5);
  CHECK(effective_last_n(8, caps) == 5);
  caps.conference_size_limit = 4;
  CHECK(effective_last_n(8, caps) == 4);
  CHECK(effective_last_n(2, caps) == 2);
  // Other negative values are "no limit" too, so the bridge caps still hold.
  CHECK(effective_last_n(-7, caps) == 4);
}
