// Tests of bridge/rtcp/fir.hpp (RFC 5104 §4.3.1).
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "bridge/rtcp/fir.hpp"

using namespace jvb::rtcp;
using Bytes = std::vector<std::uint8_t>;

namespace {
// FIR from 0x01 for 0xAABBCCDD with command sequence number 7.
const Bytes kFir{0x84, 206, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 0, 0xAA, 0xBB, 0xCC, 0xDD, 0x07, 0, 0, 0};
}  // namespace

TEST_CASE("parse a FIR") {
  auto f = Fir::parse(*parse_rtcp_packet(kFir));
  REQUIRE(f);
  CHECK(f->sender_ssrc() == 1);
  CHECK(f->media_ssrc() == 0);
  REQUIRE(f->entry_count() == 1);
  CHECK(f->entry(0) == FirEntry{0xAABBCCDD, 7});
  CHECK(f->entry(1) == FirEntry{});
}

TEST_CASE("FIR errors") {
  CHECK(Fir::parse(*parse_rtcp_packet(Bytes{0x84, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0})).error() ==
        RtcpError::kBadLength);  // no entries
  CHECK(Fir::parse(*parse_rtcp_packet(Bytes{0x84, 206, 0, 1, 0, 0, 0, 1})).error() == RtcpError::kBadLength);
  Bytes pli = kFir;
  pli[0] = 0x81;
  CHECK(Fir::parse(*parse_rtcp_packet(pli)).error() == RtcpError::kWrongType);
}

TEST_CASE("FIR builder round-trips several entries") {
  std::array<std::uint8_t, 64> out{};
  const FirEntry one[] = {{0xAABBCCDD, 7}};
  auto n = write_fir(out, 1, one);
  REQUIRE(n);
  CHECK(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)) == kFir);
  const FirEntry two[] = {{1, 255}, {2, 0}};
  n = write_fir(out, 9, two);
  REQUIRE(n);
  auto f = Fir::parse(*parse_rtcp_packet(std::span<const std::uint8_t>(out.data(), *n)));
  REQUIRE(f);
  REQUIRE(f->entry_count() == 2);
  CHECK(f->entry(0) == two[0]);
  CHECK(f->entry(1) == two[1]);
  CHECK(write_fir(out, 1, {}).error() == RtcpError::kInvalidArgument);
  CHECK(write_fir(std::span<std::uint8_t>(out.data(), 19), 1, one).error() == RtcpError::kBufferTooSmall);
}
