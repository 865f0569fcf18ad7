// Tests of bridge/rtcp/receiver_report.hpp: report blocks and RRs (RFC 3550 §6.4.1-6.4.2).
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "bridge/rtcp/receiver_report.hpp"

using namespace jvb::rtcp;
using Bytes = std::vector<std::uint8_t>;

namespace {

// RR from 0x01020304 with one block about 0x0A0B0C0D: fraction 25, cumulative 10, ext seq
// 0x00010005, jitter 0x20, LSR 0x11223344, DLSR 0x00018000 (1.5 s).
// clang-format off
const Bytes kRr{
    0x81, 201, 0x00, 0x07,
    0x01, 0x02, 0x03, 0x04,  // sender SSRC
    0x0A, 0x0B, 0x0C, 0x0D,  // source SSRC
    0x19, 0x00, 0x00, 0x0A,  // fraction lost 25, cumulative 10
    0x00, 0x01, 0x00, 0x05,  // extended highest sequence
    0x00, 0x00, 0x00, 0x20,  // jitter
    0x11, 0x22, 0x33, 0x44,  // LSR
    0x00, 0x01, 0x80, 0x00}; // DLSR
// clang-format on

}  // namespace

TEST_CASE("parse an RR with one report block") {
  auto pkt = parse_rtcp_packet(kRr);
  REQUIRE(pkt);
  auto rr = ReceiverReport::parse(*pkt);
  REQUIRE(rr);
  CHECK(rr->sender_ssrc() == 0x01020304u);
  REQUIRE(rr->report_blocks().size() == 1);
  const ReportBlock b = rr->report_blocks()[0];
  CHECK(b.ssrc == 0x0A0B0C0Du);
  CHECK(b.fraction_lost == 25);
  CHECK(b.cumulative_lost == 10);
  CHECK(b.extended_highest_sequence == 0x00010005u);
  CHECK(b.jitter == 0x20);
  CHECK(b.last_sr == 0x11223344u);
  CHECK(b.delay_since_last_sr == 0x00018000u);
  CHECK(rr->extension().empty());
  CHECK(rr->report_blocks()[1] == ReportBlock{});  // out of range
}

TEST_CASE("negative cumulative loss is sign-extended") {
  Bytes pkt = kRr;
  pkt[13] = 0xFF;
  pkt[14] = 0xFF;
  pkt[15] = 0xFE;
  auto rr = ReceiverReport::parse(*parse_rtcp_packet(pkt));
  REQUIRE(rr);
  CHECK(rr->report_blocks()[0].cumulative_lost == -2);
}

TEST_CASE("an RR with no blocks, and profile extensions after the blocks") {
  auto empty = ReceiverReport::parse(*parse_rtcp_packet(Bytes{0x80, 201, 0, 1, 0, 0, 0, 9}));
  REQUIRE(empty);
  CHECK(empty->report_blocks().empty());
  CHECK(empty->sender_ssrc() == 9);
  auto ext = ReceiverReport::parse(*parse_rtcp_packet(Bytes{0x80, 201, 0, 2, 0, 0, 0, 9, 1, 2, 3, 4}));
  REQUIRE(ext);
  CHECK(ext->extension().size() == 4);
}

TEST_CASE("RR errors") {
  CHECK(ReceiverReport::parse(*parse_rtcp_packet(Bytes{0x80, 200, 0, 1, 0, 0, 0, 9})).error() ==
        RtcpError::kWrongType);
  CHECK(ReceiverReport::parse(*parse_rtcp_packet(Bytes{0x80, 201, 0, 0})).error() == RtcpError::kBadLength);
  // RC=2 but room for one block.
  Bytes two = kRr;
  two[0] = 0x82;
  CHECK(ReceiverReport::parse(*parse_rtcp_packet(two)).error() == RtcpError::kBadCount);
}

TEST_CASE("write an RR and read it back byte for byte") {
  ReportBlock b;
  b.ssrc = 0x0A0B0C0D;
  b.fraction_lost = 25;
  b.cumulative_lost = 10;
  b.extended_highest_sequence = 0x00010005;
  b.jitter = 0x20;
  b.last_sr = 0x11223344;
  b.delay_since_last_sr = 0x00018000;
  std::array<std::uint8_t, 64> out{};
  auto n = write_receiver_report(out, 0x01020304, std::span<const ReportBlock>(&b, 1));
  REQUIRE(n);
  CHECK(*n == receiver_report_size(1));
  CHECK(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)) == kRr);
}

TEST_CASE("RR builder limits") {
  std::vector<ReportBlock> blocks(31);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    blocks[i].ssrc = static_cast<std::uint32_t>(i);
    blocks[i].cumulative_lost = -0x900000;  // clamped to the 24-bit minimum
  }
  std::vector<std::uint8_t> out(receiver_report_size(31));
  auto n = write_receiver_report(out, 1, blocks);
  REQUIRE(n);
  auto rr = ReceiverReport::parse(*parse_rtcp_packet(out));
  REQUIRE(rr);
  REQUIRE(rr->report_blocks().size() == 31);
  CHECK(rr->report_blocks()[30].ssrc == 30);
  CHECK(rr->report_blocks()[30].cumulative_lost == -0x800000);
  blocks.emplace_back();
  CHECK(write_receiver_report(out, 1, blocks).error() == RtcpError::kInvalidArgument);
  blocks.pop_back();
  out.pop_back();
  CHECK(write_receiver_report(out, 1, blocks).error() == RtcpError::kBufferTooSmall);
}

TEST_CASE("read_report_block on short input") {
  ReportBlock b;
  b.ssrc = 77;
  CHECK_FALSE(read_report_block(Bytes(23, 0), b));
  CHECK(b.ssrc == 77);
}
