// Tests of bridge/rtcp/nack.hpp (RFC 4585 §6.2.1).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "bridge/rtcp/nack.hpp"

using namespace jvb::rtcp;
using Bytes = std::vector<std::uint8_t>;
using Seqs = std::vector<std::uint16_t>;

namespace {
// NACK from 1 about 2: PID 100 with BLP 0x0005 (101 and 103), PID 65535 with BLP 0x8000 (15).
const Bytes kNack{0x81, 205, 0x00, 0x04, 0,    0,    0,    1,    0,    0,
                  0,    2,   0x00, 0x64, 0x00, 0x05, 0xFF, 0xFF, 0x80, 0x00};
}  // namespace

TEST_CASE("parse a NACK into its items and lost sequence numbers") {
  auto n = Nack::parse(*parse_rtcp_packet(kNack));
  REQUIRE(n);
  CHECK(n->sender_ssrc() == 1);
  CHECK(n->media_ssrc() == 2);
  REQUIRE(n->item_count() == 2);
  CHECK(n->item(0) == NackItem{100, 5});
  CHECK(n->item(1) == NackItem{65535, 0x8000});
  CHECK(n->lost_sequence_numbers() == Seqs{100, 101, 103, 65535, 15});
  std::size_t count = 0;
  n->for_each_lost([&](std::uint16_t) { ++count; });
  CHECK(count == 5);
}

TEST_CASE("NACK errors") {
  CHECK(Nack::parse(*parse_rtcp_packet(Bytes{0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2})).error() ==
        RtcpError::kBadLength);
  CHECK(Nack::parse(*parse_rtcp_packet(Bytes{0x81, 205, 0, 1, 0, 0, 0, 1})).error() == RtcpError::kBadLength);
  Bytes tcc = kNack;
  tcc[0] = 0x8F;
  CHECK(Nack::parse(*parse_rtcp_packet(tcc)).error() == RtcpError::kWrongType);
}

TEST_CASE("build a NACK from seqs ({3,4}: seqs 1, 2, 5 received)") {
  std::array<std::uint8_t, 64> out{};
  const Seqs lost{3, 4};
  auto n = write_nack(out, 1, 2, lost);
  REQUIRE(n);
  CHECK(*n == 16);
  const Bytes expected{0x81, 205, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0x00, 0x03, 0x00, 0x01};
  CHECK(Bytes(out.begin(), out.begin() + 16) == expected);
}

TEST_CASE("NACK packing: windows of 17, wrap-around, duplicates, unsorted input") {
  std::array<std::uint8_t, 256> out{};
  auto round_trip = [&](const Seqs& lost) {
    auto n = write_nack(out, 1, 2, lost);
    REQUIRE(n);
    auto parsed = Nack::parse(*parse_rtcp_packet(std::span<const std::uint8_t>(out.data(), *n)));
    REQUIRE(parsed);
    return *parsed;
  };
  Seqs window;
  for (std::uint16_t s = 10; s <= 26; ++s) window.push_back(s);  // PID + 16 fits one item
  auto one = round_trip(window);
  CHECK(one.item_count() == 1);
  CHECK(one.item(0) == NackItem{10, 0xFFFF});
  CHECK(one.lost_sequence_numbers() == window);
  window.push_back(27);
  CHECK(round_trip(window).item_count() == 2);
  CHECK(nack_item_count(window) == 2);

  const Seqs wrap{65534, 65535, 0, 1};
  auto w = round_trip(wrap);
  CHECK(w.item_count() == 1);
  CHECK(w.lost_sequence_numbers() == wrap);

  const Seqs dup{5, 5, 6};
  CHECK(round_trip(dup).lost_sequence_numbers() == Seqs{5, 6});

  const Seqs unsorted{50, 10, 51, 11};
  auto u = round_trip(unsorted);
  Seqs got = u.lost_sequence_numbers();
  std::sort(got.begin(), got.end());
  CHECK(got == Seqs{10, 11, 50, 51});
}

TEST_CASE("NACK builder errors") {
  std::array<std::uint8_t, 16> out{};
  CHECK(write_nack(out, 1, 2, {}).error() == RtcpError::kInvalidArgument);
  const Seqs two_items{1, 100};
  CHECK(write_nack(out, 1, 2, two_items).error() == RtcpError::kBufferTooSmall);
}
