// Tests of bridge/rtcp/rtcp_compound.hpp: the common header, padding, compound iteration and
// the builder helpers.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "bridge/rtcp/rtcp_compound.hpp"

using namespace jvb::rtcp;
using Bytes = std::vector<std::uint8_t>;

namespace {

// RR with no blocks (8 bytes), then a PLI (12 bytes).
const Bytes kRr{0x80, 201, 0x00, 0x01, 0x11, 0x11, 0x11, 0x11};
const Bytes kPli{0x81, 206, 0x00, 0x02, 0x22, 0x22, 0x22, 0x22, 0x33, 0x33, 0x33, 0x33};

Bytes cat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

}  // namespace

TEST_CASE("parse one packet's header") {
  auto p = parse_rtcp_packet(kPli);
  REQUIRE(p);
  CHECK(p->packet_type == kPtPayloadFeedback);
  CHECK(p->count == kFmtPli);
  CHECK_FALSE(p->padding);
  CHECK(p->packet.size() == 12);
  CHECK(p->body.size() == 8);
  CHECK(p->body.data() == kPli.data() + 4);
}

TEST_CASE("the first packet of a longer buffer") {
  const Bytes both = cat(kRr, kPli);
  auto p = parse_rtcp_packet(both);
  REQUIRE(p);
  CHECK(p->packet_type == kPtReceiverReport);
  CHECK(p->packet.size() == 8);
}

TEST_CASE("padding is removed from the body") {
  const Bytes padded{0xA0, 201, 0x00, 0x02, 0x11, 0x11, 0x11, 0x11, 0x00, 0x00, 0x00, 0x04};
  auto p = parse_rtcp_packet(padded);
  REQUIRE(p);
  CHECK(p->padding);
  CHECK(p->body.size() == 4);
  CHECK(p->packet.size() == 12);
}

TEST_CASE("malformed headers") {
  CHECK(parse_rtcp_packet(Bytes{}).error() == RtcpError::kTruncated);
  CHECK(parse_rtcp_packet(Bytes{0x80, 201, 0}).error() == RtcpError::kTruncated);
  CHECK(parse_rtcp_packet(Bytes{0x40, 201, 0, 0}).error() == RtcpError::kBadVersion);
  CHECK(parse_rtcp_packet(Bytes{0x80, 201, 0, 2, 0, 0, 0, 0}).error() == RtcpError::kTruncated);
  CHECK(parse_rtcp_packet(Bytes{0x80, 201, 0xFF, 0xFF}).error() == RtcpError::kTruncated);
  CHECK(parse_rtcp_packet(Bytes{0xA0, 201, 0, 1, 0, 0, 0, 0}).error() == RtcpError::kBadPadding);  // count 0
  CHECK(parse_rtcp_packet(Bytes{0xA0, 201, 0, 1, 0, 0, 0, 5}).error() == RtcpError::kBadPadding);  // > body
  CHECK(parse_rtcp_packet(Bytes{0xA0, 201, 0, 0}).error() == RtcpError::kBadPadding);  // no body at all
  CHECK(std::string_view(rtcp_error_name(RtcpError::kBadCount)) == "bad_count");
}

TEST_CASE("a zero-length packet is just a header") {
  auto p = parse_rtcp_packet(Bytes{0x80, 201, 0, 0});
  REQUIRE(p);
  CHECK(p->body.empty());
}

TEST_CASE("compound iteration") {
  const Bytes both = cat(kRr, kPli);
  RtcpCompoundIterator it(both);
  auto a = it.next();
  REQUIRE(a);
  CHECK(a->packet_type == kPtReceiverReport);
  auto b = it.next();
  REQUIRE(b);
  CHECK(b->packet_type == kPtPayloadFeedback);
  CHECK(b->packet.data() == both.data() + 8);
  CHECK_FALSE(it.next());
  CHECK_FALSE(it.error());
  CHECK(*validate_compound(both) == 2);
}

TEST_CASE("compound with a truncated second packet stops with an error") {
  Bytes bad = cat(kRr, kPli);
  bad.pop_back();
  RtcpCompoundIterator it(bad);
  CHECK(it.next());
  CHECK_FALSE(it.next());
  REQUIRE(it.error());
  CHECK(*it.error() == RtcpError::kTruncated);
  CHECK_FALSE(it.next());
  CHECK(validate_compound(bad).error() == RtcpError::kTruncated);
}

TEST_CASE("padding only on the last packet of a compound") {
  const Bytes padded{0xA0, 201, 0x00, 0x02, 0x11, 0x11, 0x11, 0x11, 0x00, 0x00, 0x00, 0x04};
  CHECK(*validate_compound(cat(kRr, padded)) == 2);
  CHECK(validate_compound(cat(padded, kRr)).error() == RtcpError::kBadPadding);
}

TEST_CASE("garbage and empty compounds") {
  CHECK(validate_compound(Bytes{}).error() == RtcpError::kTruncated);
  CHECK(validate_compound(Bytes{0x16, 0xFE, 0xFD, 0x00, 0x00}).error() == RtcpError::kBadVersion);  // DTLS
  CHECK(validate_compound(cat(kRr, Bytes{0x80})).error() == RtcpError::kTruncated);
}

TEST_CASE("begin_packet / end_packet fill in the length and pad to 32 bits") {
  std::array<std::uint8_t, 16> out{};
  out.fill(0xEE);
  jvb::ByteWriter w(out);
  const auto start = begin_packet(w, 3, kPtBye);
  w.u32(0x01020304);
  w.u8(0xAB);
  end_packet(w, start);
  REQUIRE(w.ok());
  CHECK(w.offset() == 12);
  const Bytes expected{0x83, 203, 0x00, 0x02, 0x01, 0x02, 0x03, 0x04, 0xAB, 0x00, 0x00, 0x00};
  CHECK(Bytes(out.begin(), out.begin() + 12) == expected);
  auto p = parse_rtcp_packet(std::span<const std::uint8_t>(out.data(), 12));
  REQUIRE(p);
  CHECK(p->count == 3);
}

TEST_CASE("end_packet reports overflow through the writer") {
  std::array<std::uint8_t, 9> out{};
  jvb::ByteWriter w(out);
  const auto start = begin_packet(w, 0, kPtBye);
  w.u32(1);
  w.u8(1);
  end_packet(w, start);  // needs 3 padding bytes, only 0 left
  CHECK_FALSE(w.ok());
}
