// Tests of bridge/media/feedback/rr_generator.hpp (JVB's RtcpRrGenerator, RFC 3550 §6.4.2): the
// 500 ms schedule, only streams with new packets reported, several RRs beyond 31 blocks, and
// output buffers too small for every block.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <vector>

#include "bridge/media/feedback/rr_generator.hpp"
#include "bridge/rtcp/receiver_report.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"

using namespace jvb;
using namespace jvb::media;
using namespace std::chrono_literals;

namespace {

const Timestamp kT0 = Timestamp(100s);

struct Parsed {
  std::vector<std::uint32_t> sender_ssrcs;
  std::vector<rtcp::ReportBlock> blocks;
  std::vector<std::size_t> blocks_per_rr;
};

Parsed parse_all(std::span<const std::uint8_t> bytes) {
  Parsed out;
  REQUIRE(rtcp::validate_compound(bytes));
  rtcp::RtcpCompoundIterator it(bytes);
  while (auto v = it.next()) {
    auto rr = rtcp::ReceiverReport::parse(*v);
    REQUIRE(rr);
    out.sender_ssrcs.push_back(rr->sender_ssrc());
    out.blocks_per_rr.push_back(rr->report_blocks().size());
    for (std::size_t i = 0; i < rr->report_blocks().size(); ++i) out.blocks.push_back(rr->report_blocks()[i]);
  }
  return out;
}

void feed(ReceiveStatistics& s, std::uint16_t first, int count) {
  for (int i = 0; i < count; ++i) s.on_packet(kT0, static_cast<std::uint16_t>(first + i), 0, 100);
}

}  // namespace

TEST_CASE("schedule: due every period from start(), without drift") {
  RrGenerator gen;
  CHECK_FALSE(gen.next_due());
  gen.start(kT0);
  REQUIRE(gen.next_due());
  CHECK(*gen.next_due() == kT0 + 500ms);
  gen.start(kT0 + 200ms);  // no effect once started
  CHECK(*gen.next_due() == kT0 + 500ms);
  std::array<std::uint8_t, 1500> out{};
  // Called 30 ms late: the next one is still on the 500 ms grid.
  CHECK(gen.build(kT0 + 530ms, {}, 1, out) == 0);
  CHECK(*gen.next_due() == kT0 + 1000ms);
  CHECK(gen.build(kT0 + 1000ms, {}, 1, out) == 0);
  CHECK(*gen.next_due() == kT0 + 1500ms);
  // Very late (more than a period): restart from now.
  CHECK(gen.build(kT0 + 5200ms, {}, 1, out) == 0);
  CHECK(*gen.next_due() == kT0 + 5700ms);

  RrGenerator custom(200ms);
  custom.start(kT0);
  CHECK(*custom.next_due() == kT0 + 200ms);
  RrGenerator bad(-1s);
  CHECK(bad.period() == 500ms);
}

TEST_CASE("one RR with a block per stream that received packets since the last RR") {
  ReceiveStatistics a(0xA, 90000), b(0xB, 90000), c(0xC, 48000);
  feed(a, 10, 5);
  feed(c, 500, 3);
  b.on_packet(kT0, 7, 0, 1);  // still on probation: nothing counted
  std::vector<ReceiveStatistics*> streams{&a, &b, nullptr, &c};
  RrGenerator gen;
  std::array<std::uint8_t, 1500> out{};
  const auto n = gen.build(kT0, streams, 0x5EED, out);
  CHECK(n == rtcp::receiver_report_size(2));
  auto parsed = parse_all(std::span(out).first(n));
  CHECK(parsed.sender_ssrcs == std::vector<std::uint32_t>{0x5EED});
  REQUIRE(parsed.blocks.size() == 2);
  CHECK(parsed.blocks[0].ssrc == 0xA);
  CHECK(parsed.blocks[0].extended_highest_sequence == 14);
  CHECK(parsed.blocks[1].ssrc == 0xC);
  CHECK(parsed.blocks[1].extended_highest_sequence == 502);
  CHECK(gen.reports_sent() == 1);

  // Nothing new: no RR at all (JVB's IncomingSsrcStatsTest: a second query with no update is empty).
  CHECK(gen.build(kT0 + 500ms, streams, 0x5EED, out) == 0);
  feed(a, 15, 1);
  const auto n2 = gen.build(kT0 + 1000ms, streams, 0x5EED, out);
  parsed = parse_all(std::span(out).first(n2));
  REQUIRE(parsed.blocks.size() == 1);
  CHECK(parsed.blocks[0].ssrc == 0xA);
}

TEST_CASE("more than 31 streams: several RRs in one compound") {
  std::vector<std::unique_ptr<ReceiveStatistics>> owned;
  std::vector<ReceiveStatistics*> streams;
  for (std::uint32_t i = 0; i < 40; ++i) {
    owned.push_back(std::make_unique<ReceiveStatistics>(1000 + i, 90000));
    feed(*owned.back(), 0, 3);
    streams.push_back(owned.back().get());
  }
  RrGenerator gen;
  std::vector<std::uint8_t> out(4000);
  const auto n = gen.build(kT0, streams, 77, out);
  CHECK(n == rtcp::receiver_report_size(31) + rtcp::receiver_report_size(9));
  auto parsed = parse_all(std::span(out).first(n));
  CHECK(parsed.blocks_per_rr == std::vector<std::size_t>{31, 9});
  CHECK(parsed.sender_ssrcs == std::vector<std::uint32_t>{77, 77});
  std::set<std::uint32_t> ssrcs;
  for (const auto& b : parsed.blocks) ssrcs.insert(b.ssrc);
  CHECK(ssrcs.size() == 40);
  CHECK(*ssrcs.begin() == 1000);
  CHECK(*ssrcs.rbegin() == 1039);
}

TEST_CASE("an output too small for every block: the rest stay due for another call") {
  std::vector<std::unique_ptr<ReceiveStatistics>> owned;
  std::vector<ReceiveStatistics*> streams;
  for (std::uint32_t i = 0; i < 12; ++i) {
    owned.push_back(std::make_unique<ReceiveStatistics>(i + 1, 90000));
    feed(*owned.back(), 0, 3);
    streams.push_back(owned.back().get());
  }
  RrGenerator gen;
  gen.start(kT0 - 500ms);
  std::vector<std::uint8_t> out(rtcp::receiver_report_size(5) + 10);
  auto n = gen.build(kT0, streams, 1, out);
  auto parsed = parse_all(std::span(out).first(n));
  CHECK(parsed.blocks.size() == 5);
  REQUIRE(gen.next_due());
  CHECK(*gen.next_due() <= kT0);  // still due
  n = gen.build(kT0, streams, 1, out);
  CHECK(parse_all(std::span(out).first(n)).blocks.size() == 5);
  n = gen.build(kT0, streams, 1, out);
  parsed = parse_all(std::span(out).first(n));
  REQUIRE(parsed.blocks.size() == 2);
  CHECK(parsed.blocks[1].ssrc == 12);
  CHECK(*gen.next_due() == kT0 + 500ms);

  // Not even one block fits: nothing written, nothing consumed.
  feed(*owned[0], 3, 1);
  std::array<std::uint8_t, 20> tiny{};
  CHECK(gen.build(kT0 + 500ms, streams, 1, tiny) == 0);
  CHECK(owned[0]->has_new_packets());
}
