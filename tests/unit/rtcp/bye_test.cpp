// Tests of bridge/rtcp/bye.hpp (RFC 3550 §6.6).
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "bridge/rtcp/bye.hpp"

using namespace jvb::rtcp;
using Bytes = std::vector<std::uint8_t>;

TEST_CASE("parse a BYE with two SSRCs and a reason") {
  const Bytes bye{0x82, 203, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 2, 0x03, 'b', 'y', 'e', 0, 0, 0, 0};
  auto b = Bye::parse(*parse_rtcp_packet(bye));
  REQUIRE(b);
  CHECK(b->ssrc_count() == 2);
  CHECK(b->ssrc(0) == 1);
  CHECK(b->ssrc(1) == 2);
  CHECK(b->ssrc(2) == 0);
  CHECK(b->reason() == "bye");
}

TEST_CASE("BYE without reason, and errors") {
  auto b = Bye::parse(*parse_rtcp_packet(Bytes{0x81, 203, 0x00, 0x01, 0, 0, 0, 9}));
  REQUIRE(b);
  CHECK(b->reason().empty());
  CHECK(Bye::parse(*parse_rtcp_packet(Bytes{0x82, 203, 0x00, 0x01, 0, 0, 0, 9})).error() ==
        RtcpError::kBadCount);
  CHECK(Bye::parse(*parse_rtcp_packet(Bytes{0x81, 203, 0x00, 0x02, 0, 0, 0, 9, 9, 'a', 'b', 'c'})).error() ==
        RtcpError::kBadLength);
  CHECK(Bye::parse(*parse_rtcp_packet(Bytes{0x80, 202, 0, 0})).error() == RtcpError::kWrongType);
}

TEST_CASE("BYE builder round-trips") {
  const std::uint32_t ssrcs[] = {0xAAAAAAAA, 0xBBBBBBBB};
  std::array<std::uint8_t, 32> out{};
  auto n = write_bye(out, ssrcs, "gone");
  REQUIRE(n);
  CHECK(*n == 4 + 8 + 8);
  auto b = Bye::parse(*parse_rtcp_packet(std::span<const std::uint8_t>(out.data(), *n)));
  REQUIRE(b);
  CHECK(b->ssrc(1) == 0xBBBBBBBBu);
  CHECK(b->reason() == "gone");
  CHECK(*write_bye(out, ssrcs) == 12);
  const std::vector<std::uint32_t> many(32);
  CHECK(write_bye(out, many).error() == RtcpError::kInvalidArgument);
  CHECK(write_bye(std::span<std::uint8_t>(out.data(), 11), ssrcs).error() == RtcpError::kBufferTooSmall);
}
