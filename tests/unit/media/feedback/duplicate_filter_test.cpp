// Tests of bridge/media/feedback/duplicate_filter.hpp (JVB's DuplicateTermination).
#include <doctest/doctest.h>

#include <cstdint>

#include "bridge/media/feedback/duplicate_filter.hpp"

using namespace jvb::media;

TEST_CASE("a repeat is dropped, a new seq passes") {
  DuplicateFilter f;
  CHECK(f.accept(100));
  CHECK(f.accept(101));
  CHECK_FALSE(f.accept(101));  // e.g. the RTX copy of a packet already received
  CHECK(f.accept(99));         // late but new
  CHECK_FALSE(f.accept(99));
  CHECK(f.accept(105));
  CHECK(f.accept(103));
  CHECK_FALSE(f.accept(105));
  CHECK(f.duplicates() == 3);
}

TEST_CASE("the last 1500 seqs are remembered; older ones are dropped") {
  DuplicateFilter f;
  for (std::uint32_t s = 0; s < 3000; s += 2) CHECK(f.accept(static_cast<std::uint16_t>(s)));
  // Highest 2998. 1500 behind (1498) is outside the window.
  CHECK_FALSE(f.accept(1498));
  CHECK(f.too_old() == 1);
  CHECK_FALSE(f.accept(1500));  // 1498 behind: inside, a repeat
  CHECK(f.accept(1501));        // inside, never seen
  CHECK(f.duplicates() == 1);
}

TEST_CASE("ring bits reused after the window moves on do not look like repeats") {
  DuplicateFilter f;
  CHECK(f.accept(10));  // ring bit 10
  CHECK(f.accept(1000));
  CHECK(f.accept(2000));
  CHECK(f.accept(2100));  // passing 2058 (= 10 + 2048) clears bit 10
  CHECK(f.accept(2058));  // 42 behind, never seen
  CHECK_FALSE(f.accept(2058));
  // A jump of the ring size or more starts afresh.
  CHECK(f.accept(2100 + 5000));
  CHECK(f.accept(2100 + 5000 - 1000));
  CHECK_FALSE(f.accept(2100 + 5000));
}

TEST_CASE("seq wrap") {
  DuplicateFilter f;
  CHECK(f.accept(65534));
  CHECK(f.accept(65535));
  CHECK(f.accept(0));
  CHECK(f.accept(1));
  CHECK_FALSE(f.accept(65535));
  CHECK_FALSE(f.accept(0));
  CHECK(f.accept(65533));
}

TEST_CASE("a sender whose numbering went back for good is followed after 16 packets") {
  DuplicateFilter f;
  for (std::uint32_t s = 10000; s < 10010; ++s) CHECK(f.accept(static_cast<std::uint16_t>(s)));
  int dropped = 0;
  for (std::uint32_t s = 5000; s < 5000 + DuplicateFilter::kRestartAfter; ++s) {
    if (!f.accept(static_cast<std::uint16_t>(s))) ++dropped;
  }
  CHECK(dropped == DuplicateFilter::kRestartAfter - 1);
  CHECK(f.accept(5000 + DuplicateFilter::kRestartAfter));
  CHECK_FALSE(f.accept(5000 + DuplicateFilter::kRestartAfter));
  CHECK(f.accept(5000));  // dropped before the restart, new now
}
