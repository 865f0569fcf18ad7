// Tests of bridge/rtcp/sdes.hpp (RFC 3550 §6.5).
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "bridge/rtcp/sdes.hpp"

using namespace jvb::rtcp;
using Bytes = std::vector<std::uint8_t>;

namespace {

// Two chunks: 0x11111111 with CNAME "abcd", and 0x22222222 with a NAME item "x" then
// CNAME "q"; each item list ends with a zero and zero padding to 32 bits.
// clang-format off
const Bytes kSdes{
    0x82, 202, 0x00, 0x06,
    0x11, 0x11, 0x11, 0x11, 0x01, 0x04, 'a', 'b', 'c', 'd', 0x00, 0x00,
    0x22, 0x22, 0x22, 0x22, 0x02, 0x01, 'x', 0x01, 0x01, 'q', 0x00, 0x00};
// clang-format on

}  // namespace

TEST_CASE("parse SDES chunks and their CNAMEs") {
  auto pkt = parse_rtcp_packet(kSdes);
  REQUIRE(pkt);
  auto sdes = Sdes::parse(*pkt);
  REQUIRE(sdes);
  CHECK(sdes->chunk_count() == 2);
  auto it = sdes->chunks();
  auto a = it.next();
  REQUIRE(a);
  CHECK(a->ssrc == 0x11111111u);
  CHECK(a->cname == "abcd");
  auto b = it.next();
  REQUIRE(b);
  CHECK(b->ssrc == 0x22222222u);
  CHECK(b->cname == "q");
  CHECK_FALSE(it.next());
}

TEST_CASE("SDES errors") {
  Bytes three = kSdes;
  three[0] = 0x83;  // one chunk more than present
  CHECK(Sdes::parse(*parse_rtcp_packet(three)).error() == RtcpError::kBadCount);
  Bytes no_end = kSdes;
  no_end[27] = 0x05;  // padding after the terminator must be zero
  CHECK(Sdes::parse(*parse_rtcp_packet(no_end)).error() == RtcpError::kMalformed);
  // An item running past the packet.
  const Bytes over{0x81, 202, 0x00, 0x02, 0x11, 0x11, 0x11, 0x11, 0x01, 0x09, 'a', 'b'};
  CHECK(Sdes::parse(*parse_rtcp_packet(over)).error() == RtcpError::kMalformed);
  const Bytes bye{0x80, 203, 0x00, 0x00};
  CHECK(Sdes::parse(*parse_rtcp_packet(bye)).error() == RtcpError::kWrongType);
}

TEST_CASE("an SDES with no chunks") {
  auto sdes = Sdes::parse(*parse_rtcp_packet(Bytes{0x80, 202, 0, 0}));
  REQUIRE(sdes);
  CHECK_FALSE(sdes->chunks().next());
}

TEST_CASE("write a CNAME and read it back") {
  std::array<std::uint8_t, 32> out{};
  auto n = write_sdes_cname(out, 0x11111111, "abcd");
  REQUIRE(n);
  CHECK(*n == 16);  // header 4, SSRC 4, item 2 + 4, terminator 1, one padding zero
  const Bytes expected{0x81, 202,  0x00, 0x03, 0x11, 0x11, 0x11, 0x11,
                       0x01, 0x04, 'a',  'b',  'c',  'd',  0x00, 0x00};
  CHECK(Bytes(out.begin(), out.begin() + 16) == expected);
  auto sdes = Sdes::parse(*parse_rtcp_packet(std::span<const std::uint8_t>(out.data(), *n)));
  REQUIRE(sdes);
  CHECK(sdes->chunks().next()->cname == "abcd");
  n = write_sdes_cname(out, 7, "a");  // the terminator ends the word exactly
  REQUIRE(n);
  CHECK(*n == 12);
  CHECK(Sdes::parse(*parse_rtcp_packet(std::span<const std::uint8_t>(out.data(), *n)))
            ->chunks()
            .next()
            ->cname == "a");
  n = write_sdes_cname(out, 7, "abcdef");  // items end on a word: the terminator needs a new one
  REQUIRE(n);
  CHECK(*n == 20);
  CHECK(Sdes::parse(*parse_rtcp_packet(std::span<const std::uint8_t>(out.data(), *n)))
            ->chunks()
            .next()
            ->cname == "abcdef");
  CHECK(write_sdes_cname(out, 1, "").error() == RtcpError::kInvalidArgument);
  CHECK(write_sdes_cname(out, 1, std::string(40, 'a')).error() == RtcpError::kBufferTooSmall);
}
