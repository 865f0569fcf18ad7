// Tests of bridge/rtcp/pli.hpp (RFC 4585 §6.3.1).
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "bridge/rtcp/pli.hpp"

using namespace jvb::rtcp;
using Bytes = std::vector<std::uint8_t>;

namespace {
const Bytes kPli{0x81, 206, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x4B, 0xC4, 0xFC, 0xB4};
}

TEST_CASE("parse a PLI") {
  auto p = Pli::parse(*parse_rtcp_packet(kPli));
  REQUIRE(p);
  CHECK(p->sender_ssrc == 1);
  CHECK(p->media_ssrc == 0x4BC4FCB4u);
}

TEST_CASE("PLI errors") {
  Bytes fir = kPli;
  fir[0] = 0x84;
  CHECK(Pli::parse(*parse_rtcp_packet(fir)).error() == RtcpError::kWrongType);
  Bytes nack = kPli;
  nack[1] = 205;
  CHECK(Pli::parse(*parse_rtcp_packet(nack)).error() == RtcpError::kWrongType);
  CHECK(Pli::parse(*parse_rtcp_packet(Bytes{0x81, 206, 0x00, 0x01, 0, 0, 0, 1})).error() ==
        RtcpError::kBadLength);
}

TEST_CASE("PLI builder") {
  std::array<std::uint8_t, kPliSize> out{};
  auto n = write_pli(out, Pli{1, 0x4BC4FCB4});
  REQUIRE(n);
  CHECK(*n == kPliSize);
  CHECK(Bytes(out.begin(), out.end()) == kPli);
  CHECK(write_pli(std::span<std::uint8_t>(out.data(), 11), Pli{}).error() == RtcpError::kBufferTooSmall);
}
