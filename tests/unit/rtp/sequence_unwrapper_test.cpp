// Tests of bridge/rtp/sequence_unwrapper.hpp: wrap-around, reordering across a wrap, large
// jumps, 32-bit timestamps.
#include <doctest/doctest.h>

#include <cstdint>

#include "bridge/rtp/sequence_unwrapper.hpp"

using namespace jvb::rtp;

TEST_CASE("the first value unwraps to itself and steps are followed") {
  SequenceNumberUnwrapper u;
  CHECK_FALSE(u.last());
  CHECK(u.unwrap(100) == 100);
  CHECK(u.unwrap(101) == 101);
  CHECK(u.unwrap(105) == 105);
  CHECK(*u.last() == 105);
}

TEST_CASE("forward wrap-around of the 16-bit sequence number") {
  SequenceNumberUnwrapper u;
  CHECK(u.unwrap(65534) == 65534);
  CHECK(u.unwrap(65535) == 65535);
  CHECK(u.unwrap(0) == 65536);
  CHECK(u.unwrap(1) == 65537);
  // Many cycles in steps of 1000: the unwrapped value keeps counting.
  std::int64_t expected = 65537;
  for (int i = 0; i < 5 * 65536 / 1000; ++i) {
    expected += 1000;
    CHECK(u.unwrap(static_cast<std::uint16_t>(expected)) == expected);
  }
  CHECK(expected > 5 * 65536);
}

TEST_CASE("reordering across the wrap goes back, not forward") {
  SequenceNumberUnwrapper u;
  CHECK(u.unwrap(65535) == 65535);
  CHECK(u.unwrap(1) == 65537);
  CHECK(u.unwrap(0) == 65536);      // late packet from just after the wrap
  CHECK(u.unwrap(65534) == 65534);  // late packet from before the wrap
  CHECK(u.unwrap(2) == 65538);      // and forward again
}

TEST_CASE("values older than the first one are negative") {
  SequenceNumberUnwrapper u;
  CHECK(u.unwrap(0) == 0);
  CHECK(u.unwrap(65535) == -1);
  CHECK(u.unwrap(1) == 1);
}

TEST_CASE("half-range steps: below half is forward, above half is backward, half is forward") {
  SequenceNumberUnwrapper u;
  CHECK(u.unwrap(0) == 0);
  CHECK(u.peek(0x7FFF) == 0x7FFF);
  CHECK(u.peek(0x8000) == 0x8000);
  CHECK(u.peek(0x8001) == 0x8001 - 65536);
  CHECK(*u.last() == 0);  // peek does not move the reference
}

TEST_CASE("reset forgets the reference") {
  SequenceNumberUnwrapper u;
  u.unwrap(65535);
  u.unwrap(5);
  u.reset();
  CHECK(u.unwrap(3) == 3);
}

TEST_CASE("32-bit timestamps wrap at 2^32") {
  TimestampUnwrapper u;
  CHECK(u.unwrap(0xFFFFF000u) == 0xFFFFF000ll);
  CHECK(u.unwrap(0x00000BB8u) == 0x100000BB8ll);  // +3000 ticks after the wrap
  CHECK(u.unwrap(0xFFFFFFFFu) == 0xFFFFFFFFll);   // reordered back before the wrap
  CHECK(u.unwrap(0x10000000u) == 0x110000000ll);
}
