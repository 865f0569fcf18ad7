// Tests of bridge/media/feedback/sr_translator.hpp (JVB's RtcpTerminationTest "remove all of the
// report blocks", and no SR for an SSRC nothing was sent on): report blocks stripped, SSRC
// replaced, RTP timestamp translated, NTP kept, counts replaced.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "bridge/media/feedback/sr_translator.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"

using namespace jvb;
using namespace jvb::media;
using Bytes = std::vector<std::uint8_t>;

namespace {

const rtcp::SenderInfo kInfo{0xE8F1A2B3C4D5E6F7ull, 90000, 500, 600000};

// An SR from SSRC 0xAAAA with two report blocks.
Bytes make_sr() {
  std::array<rtcp::ReportBlock, 2> blocks{};
  blocks[0].ssrc = 1;
  blocks[1].ssrc = 2;
  Bytes out(rtcp::sender_report_size(2));
  auto n = rtcp::write_sender_report(out, 0xAAAA, kInfo, blocks);
  REQUIRE(n);
  return out;
}

rtcp::SenderReport parse_sr(std::span<const std::uint8_t> bytes) {
  auto v = rtcp::parse_rtcp_packet(bytes);
  REQUIRE(v);
  REQUIRE(v->packet.size() == bytes.size());
  auto sr = rtcp::SenderReport::parse(*v);
  REQUIRE(sr);
  return *sr;
}

}  // namespace

TEST_CASE("translate: blocks stripped, SSRC and RTP time rewritten, counts replaced") {
  const Bytes in = make_sr();
  const auto sr = parse_sr(in);
  REQUIRE(sr.report_blocks().size() == 2);
  Bytes out(100);
  auto n = translate_sender_report(
      sr, 0xBBBB, [](std::uint32_t ts) -> std::optional<std::uint32_t> { return ts - 100000; },
      SentCounts{42, 4200}, out);
  REQUIRE(n);
  CHECK(*n == rtcp::sender_report_size(0));
  const auto fwd = parse_sr(std::span(out).first(*n));
  CHECK(fwd.sender_ssrc() == 0xBBBB);
  CHECK(fwd.report_blocks().size() == 0);
  CHECK(fwd.sender_info().ntp_timestamp == kInfo.ntp_timestamp);
  CHECK(fwd.sender_info().rtp_timestamp == static_cast<std::uint32_t>(90000 - 100000));
  CHECK(fwd.sender_info().packet_count == 42);
  CHECK(fwd.sender_info().octet_count == 4200);

  // Without counts the sender's are kept.
  auto m = write_translated_sender_report(sr, 0xCCCC, 7, std::nullopt, out);
  REQUIRE(m);
  const auto kept = parse_sr(std::span(out).first(*m));
  CHECK(kept.sender_ssrc() == 0xCCCC);
  CHECK(kept.sender_info().rtp_timestamp == 7);
  CHECK(kept.sender_info().packet_count == 500);
  CHECK(kept.sender_info().octet_count == 600000);
}

TEST_CASE("refusals: no mapping, nothing sent, small buffer") {
  const auto in = make_sr();
  const auto sr = parse_sr(in);
  Bytes out(100);
  int calls = 0;
  auto none = [&](std::uint32_t) -> std::optional<std::uint32_t> {
    ++calls;
    return std::nullopt;
  };
  CHECK(translate_sender_report(sr, 1, none, std::nullopt, out).error() == SrTranslateError::kNoMapping);
  CHECK(calls == 1);
  CHECK(write_translated_sender_report(sr, 1, 0, SentCounts{0, 0}, out).error() ==
        SrTranslateError::kNothingSent);
  Bytes small(27);
  CHECK(write_translated_sender_report(sr, 1, 0, std::nullopt, small).error() ==
        SrTranslateError::kBufferTooSmall);
  CHECK(std::string_view(sr_translate_error_name(SrTranslateError::kNothingSent)) == "nothing_sent");
}
