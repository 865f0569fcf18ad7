// Tests of bridge/rtcp/sender_report.hpp (RFC 3550 §6.4.1).
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "bridge/rtcp/sender_report.hpp"

using namespace jvb::rtcp;
using Bytes = std::vector<std::uint8_t>;

namespace {

// SR from 0xAABBCCDD, NTP 0xE8F1A2B3.C4D5E6F7, RTP ts 0x00FF00FF, 100 packets, 12000 octets.
// clang-format off
const Bytes kSr{
    0x80, 200, 0x00, 0x06,
    0xAA, 0xBB, 0xCC, 0xDD,                          // sender SSRC
    0xE8, 0xF1, 0xA2, 0xB3, 0xC4, 0xD5, 0xE6, 0xF7,  // NTP time
    0x00, 0xFF, 0x00, 0xFF,                          // RTP time
    0x00, 0x00, 0x00, 0x64,                          // packets
    0x00, 0x00, 0x2E, 0xE0};                         // octets
// clang-format on

}  // namespace

TEST_CASE("parse an SR without report blocks") {
  auto sr = SenderReport::parse(*parse_rtcp_packet(kSr));
  REQUIRE(sr);
  CHECK(sr->sender_ssrc() == 0xAABBCCDDu);
  CHECK(sr->sender_info().ntp_timestamp == 0xE8F1A2B3C4D5E6F7ull);
  CHECK(sr->sender_info().compact_ntp() == 0xA2B3C4D5u);
  CHECK(sr->sender_info().rtp_timestamp == 0x00FF00FFu);
  CHECK(sr->sender_info().packet_count == 100);
  CHECK(sr->sender_info().octet_count == 12000);
  CHECK(sr->report_blocks().empty());
}

TEST_CASE("SR builder round-trips, with and without blocks") {
  SenderInfo info{0xE8F1A2B3C4D5E6F7ull, 0x00FF00FF, 100, 12000};
  std::array<std::uint8_t, 128> out{};
  auto n = write_sender_report(out, 0xAABBCCDD, info);
  REQUIRE(n);
  CHECK(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)) == kSr);

  ReportBlock blocks[2];
  blocks[0].ssrc = 5;
  blocks[1].ssrc = 6;
  blocks[1].jitter = 99;
  n = write_sender_report(out, 1, info, blocks);
  REQUIRE(n);
  CHECK(*n == sender_report_size(2));
  auto sr = SenderReport::parse(*parse_rtcp_packet(std::span<const std::uint8_t>(out.data(), *n)));
  REQUIRE(sr);
  CHECK(sr->sender_info() == info);
  REQUIRE(sr->report_blocks().size() == 2);
  CHECK(sr->report_blocks()[1] == blocks[1]);
}

TEST_CASE("SR errors") {
  Bytes short_sr = kSr;
  short_sr.resize(24);
  short_sr[3] = 5;
  CHECK(SenderReport::parse(*parse_rtcp_packet(short_sr)).error() == RtcpError::kBadLength);
  Bytes rc1 = kSr;
  rc1[0] = 0x81;  // a block that is not there
  CHECK(SenderReport::parse(*parse_rtcp_packet(rc1)).error() == RtcpError::kBadCount);
  Bytes rr = kSr;
  rr[1] = 201;
  CHECK(SenderReport::parse(*parse_rtcp_packet(rr)).error() == RtcpError::kWrongType);
  std::array<std::uint8_t, 27> small{};
  CHECK(write_sender_report(small, 1, SenderInfo{}).error() == RtcpError::kBufferTooSmall);
  std::vector<ReportBlock> many(32);
  std::vector<std::uint8_t> big(2000);
  CHECK(write_sender_report(big, 1, SenderInfo{}, many).error() == RtcpError::kInvalidArgument);
}
