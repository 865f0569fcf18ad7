// Tests of bridge/rtcp/remb.hpp (draft-alvestrand-rmcat-remb-03 §2.2).
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "bridge/rtcp/remb.hpp"

using namespace jvb::rtcp;
using Bytes = std::vector<std::uint8_t>;

namespace {
// REMB from 1: 2 SSRCs (0x11111111, 0x22222222), exp 3, mantissa 0x3D090 (250000) -> 2 Mbps.
const Bytes kRemb{0x8F, 206, 0x00, 0x06, 0,    0,    0,    1,    0,    0,    0,    0,    'R',  'E',
                  'M',  'B', 0x02, 0x0F, 0xD0, 0x90, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22};
}  // namespace

TEST_CASE("parse a REMB") {
  auto r = Remb::parse(*parse_rtcp_packet(kRemb));
  REQUIRE(r);
  CHECK(r->sender_ssrc() == 1);
  CHECK(r->media_ssrc() == 0);
  CHECK(r->bitrate_bps() == 2'000'000);
  REQUIRE(r->ssrc_count() == 2);
  CHECK(r->ssrc(0) == 0x11111111u);
  CHECK(r->ssrc(1) == 0x22222222u);
  CHECK(r->ssrc(2) == 0);
}

TEST_CASE("REMB errors and saturation") {
  Bytes not_remb = kRemb;
  not_remb[12] = 'X';
  CHECK(Remb::parse(*parse_rtcp_packet(not_remb)).error() == RtcpError::kWrongType);
  Bytes pli = kRemb;
  pli[0] = 0x81;
  CHECK(Remb::parse(*parse_rtcp_packet(pli)).error() == RtcpError::kWrongType);
  Bytes three = kRemb;
  three[16] = 3;
  CHECK(Remb::parse(*parse_rtcp_packet(three)).error() == RtcpError::kBadCount);
  CHECK(Remb::parse(*parse_rtcp_packet(Bytes{0x8F, 206, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 'R', 'E', 'M', 'B'}))
            .error() == RtcpError::kBadLength);
  // exp 63 with the full mantissa does not fit 64 bits.
  const Bytes huge{0x8F, 206, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 0, 'R', 'E', 'M', 'B', 0x00, 0xFF, 0xFF, 0xFF};
  CHECK(Remb::parse(*parse_rtcp_packet(huge))->bitrate_bps() == std::numeric_limits<std::uint64_t>::max());
  // exp 46 with mantissa 1 is exactly representable.
  const Bytes big{0x8F, 206, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 0, 'R', 'E', 'M', 'B', 0x00, 0xB8, 0x00, 0x01};
  CHECK(Remb::parse(*parse_rtcp_packet(big))->bitrate_bps() == (std::uint64_t{1} << 46));
}

TEST_CASE("REMB builder") {
  std::array<std::uint8_t, 64> out{};
  const std::uint32_t ssrcs[] = {0x11111111, 0x22222222};
  auto n = write_remb(out, 1, 2'000'000, ssrcs);
  REQUIRE(n);
  CHECK(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)) == kRemb);
  // Values that need rounding down to an 18-bit mantissa.
  for (std::uint64_t bps : {0ull, 1ull, 262143ull, 262144ull, 300'001ull, 1'234'567'891ull, ~0ull}) {
    n = write_remb(out, 1, bps, {});
    REQUIRE(n);
    auto r = Remb::parse(*parse_rtcp_packet(std::span<const std::uint8_t>(out.data(), *n)));
    REQUIRE(r);
    CHECK(r->bitrate_bps() <= bps);
    CHECK(r->bitrate_bps() >= bps - bps / 131072);  // within one part in 2^17
  }
  const std::vector<std::uint32_t> many(256);
  std::vector<std::uint8_t> big(2000);
  CHECK(write_remb(big, 1, 1, many).error() == RtcpError::kInvalidArgument);
  CHECK(write_remb(std::span<std::uint8_t>(out.data(), 27), 1, 1, ssrcs).error() ==
        RtcpError::kBufferTooSmall);
}
