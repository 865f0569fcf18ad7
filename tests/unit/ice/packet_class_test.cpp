// classify_packet: RFC 7983 §7 first-byte ranges and the minimum lengths of each class.
#include "ice/packet_class.hpp"

#include <doctest/doctest.h>

#include <vector>

using jvb::ice::classify_packet;
using jvb::ice::PacketClass;

namespace {
PacketClass classify(std::vector<std::uint8_t> bytes) { return classify_packet(bytes); }
std::vector<std::uint8_t> filled(std::size_t n, std::uint8_t b0, std::uint8_t b1 = 0) {
  std::vector<std::uint8_t> v(n, 0);
  if (n > 0) v[0] = b0;
  if (n > 1) v[1] = b1;
  return v;
}
}  // namespace

TEST_CASE("classify_packet: first-byte ranges") {
  CHECK(classify(filled(20, 0)) == PacketClass::kStun);
  CHECK(classify(filled(20, 1)) == PacketClass::kStun);
  CHECK(classify(filled(20, 3)) == PacketClass::kStun);
  CHECK(classify(filled(20, 4)) == PacketClass::kUnknown);
  CHECK(classify(filled(20, 19)) == PacketClass::kUnknown);  // ZRTP 16..19
  CHECK(classify(filled(20, 20)) == PacketClass::kDtls);
  CHECK(classify(filled(20, 22)) == PacketClass::kDtls);
  CHECK(classify(filled(20, 63)) == PacketClass::kDtls);
  CHECK(classify(filled(20, 64)) == PacketClass::kUnknown);  // TURN channel 64..79
  CHECK(classify(filled(20, 127)) == PacketClass::kUnknown);
  CHECK(classify(filled(20, 128, 96)) == PacketClass::kRtp);
  CHECK(classify(filled(20, 191, 96)) == PacketClass::kRtp);
  CHECK(classify(filled(20, 192, 96)) == PacketClass::kUnknown);
  CHECK(classify(filled(20, 255, 96)) == PacketClass::kUnknown);
}

TEST_CASE("classify_packet: RTCP is told from RTP by the second byte 192..223") {
  CHECK(classify(filled(8, 0x80, 191)) == PacketClass::kUnknown);  // RTP needs 12 bytes
  CHECK(classify(filled(12, 0x80, 191)) == PacketClass::kRtp);
  CHECK(classify(filled(8, 0x80, 192)) == PacketClass::kRtcp);
  CHECK(classify(filled(8, 0x81, 200)) == PacketClass::kRtcp);  // SR
  CHECK(classify(filled(8, 0x80, 223)) == PacketClass::kRtcp);
  CHECK(classify(filled(12, 0x80, 224)) == PacketClass::kRtp);
  CHECK(classify(filled(12, 0x80, 0xE0 | 0x7F)) == PacketClass::kRtp);  // marker bit set, PT 127
}

TEST_CASE("classify_packet: length boundaries") {
  CHECK(classify({}) == PacketClass::kUnknown);
  CHECK(classify(filled(1, 0x80)) == PacketClass::kUnknown);
  CHECK(classify(filled(7, 0x80, 200)) == PacketClass::kUnknown);
  CHECK(classify(filled(8, 0x80, 200)) == PacketClass::kRtcp);
  CHECK(classify(filled(11, 0x80, 96)) == PacketClass::kUnknown);
  CHECK(classify(filled(12, 0x80, 96)) == PacketClass::kRtp);
  CHECK(classify(filled(19, 0)) == PacketClass::kUnknown);
  CHECK(classify(filled(20, 0)) == PacketClass::kStun);
  CHECK(classify(filled(12, 22)) == PacketClass::kUnknown);
  CHECK(classify(filled(13, 22)) == PacketClass::kDtls);
}
