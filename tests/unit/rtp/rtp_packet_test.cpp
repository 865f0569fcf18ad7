// Tests of bridge/rtp/rtp_packet.hpp: the RTP header view (RFC 3550 §5.1), RFC 8285 header
// extensions (the §4.2 and §4.3 examples), in-place rewrites, extension stripping, padding
// removal and the header writer.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "bridge/rtp/rtp_packet.hpp"

using namespace jvb::rtp;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// V=2, PT 111, seq 0x1234, ts 0xDEADBEEF, SSRC 0x11223344.
const Bytes kFixed{0x80, 0x6F, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x11, 0x22, 0x33, 0x44};

// RFC 8285 §4.2 example: id 1 (1 byte), id 2 (2 bytes), two padding bytes, id 3 (4 bytes).
const Bytes kOneByteBlock{0xBE, 0xDE, 0x00, 0x03, 0x10, 0xAA, 0x21, 0xBB,
                          0xBB, 0x00, 0x00, 0x33, 0xCC, 0xCC, 0xCC, 0xCC};
// RFC 8285 §4.3 example: id 1 (empty), id 2 (1 byte), padding, id 3 (4 bytes).
const Bytes kTwoByteBlock{0x10, 0x00, 0x00, 0x03, 0x01, 0x00, 0x02, 0x01,
                          0xBB, 0x00, 0x03, 0x04, 0xCC, 0xCC, 0xCC, 0xCC};

Bytes with_x(Bytes fixed) {
  fixed[0] |= 0x10;
  return fixed;
}

std::vector<std::uint8_t> ids_of(const RtpPacket& p) {
  std::vector<std::uint8_t> ids;
  auto it = p.extensions();
  while (auto e = it.next()) ids.push_back(e->id);
  return ids;
}

}  // namespace

TEST_CASE("parse a plain RTP header") {
  const Bytes pkt = cat({kFixed, {1, 2, 3}});
  auto p = RtpPacket::parse(pkt);
  REQUIRE(p);
  CHECK(p->payload_type() == 111);
  CHECK_FALSE(p->marker());
  CHECK(p->sequence_number() == 0x1234);
  CHECK(p->timestamp() == 0xDEADBEEFu);
  CHECK(p->ssrc() == 0x11223344u);
  CHECK(p->csrc_count() == 0);
  CHECK_FALSE(p->has_extension());
  CHECK_FALSE(p->has_padding());
  CHECK(p->header_size() == 12);
  CHECK(p->payload_size() == 3);
  CHECK(p->payload()[0] == 1);
  CHECK(p->payload().data() == pkt.data() + 12);
  CHECK(p->padding_size() == 0);
  CHECK(p->extension_profile() == ExtensionProfile::kNone);
  CHECK_FALSE(p->find_extension(1));
}

TEST_CASE("marker, CSRCs, padding") {
  Bytes pkt = cat({kFixed, {0, 0, 0, 1, 0, 0, 0, 2}, {0xAB, 0xCD}, {0, 0, 3}});
  pkt[0] = 0x80 | 0x20 | 2;  // P, CC=2
  pkt[1] = 0x80 | 100;       // M, PT 100
  auto p = RtpPacket::parse(pkt);
  REQUIRE(p);
  CHECK(p->marker());
  CHECK(p->payload_type() == 100);
  CHECK(p->csrc_count() == 2);
  CHECK(p->csrc(0) == 1);
  CHECK(p->csrc(1) == 2);
  CHECK(p->csrc(2) == 0);
  CHECK(p->header_size() == 20);
  CHECK(p->padding_size() == 3);
  CHECK(p->payload_size() == 2);
  CHECK(p->payload()[1] == 0xCD);
}

TEST_CASE("padding-only packet has an empty payload") {
  Bytes pkt = cat({kFixed, {0, 0, 0, 4}});
  pkt[0] |= 0x20;
  auto p = RtpPacket::parse(pkt);
  REQUIRE(p);
  CHECK(p->payload_size() == 0);
  CHECK(p->padding_size() == 4);
}

TEST_CASE("malformed headers are refused with a reason") {
  CHECK(RtpPacket::parse(Bytes{}).error() == RtpError::kTooShort);
  CHECK(RtpPacket::parse(Bytes(kFixed.begin(), kFixed.end() - 1)).error() == RtpError::kTooShort);
  Bytes v1 = kFixed;
  v1[0] = 0x40;
  CHECK(RtpPacket::parse(v1).error() == RtpError::kBadVersion);
  Bytes cc = kFixed;
  cc[0] = 0x81;  // one CSRC, absent
  CHECK(RtpPacket::parse(cc).error() == RtpError::kCsrcTruncated);
  CHECK(RtpPacket::parse(with_x(kFixed)).error() == RtpError::kExtensionTruncated);
  CHECK(RtpPacket::parse(cat({with_x(kFixed), {0xBE, 0xDE, 0x00}})).error() == RtpError::kExtensionTruncated);
  CHECK(RtpPacket::parse(cat({with_x(kFixed), {0xBE, 0xDE, 0x00, 0x01, 0x10}})).error() ==
        RtpError::kExtensionTruncated);
  Bytes pad0 = cat({kFixed, {1, 0}});
  pad0[0] |= 0x20;
  CHECK(RtpPacket::parse(pad0).error() == RtpError::kBadPadding);
  Bytes pad_big = cat({kFixed, {1, 3}});
  pad_big[0] |= 0x20;
  CHECK(RtpPacket::parse(pad_big).error() == RtpError::kBadPadding);
  Bytes pad_none = kFixed;
  pad_none[0] |= 0x20;  // P set, nothing after the header
  CHECK(RtpPacket::parse(pad_none).error() == RtpError::kBadPadding);
  CHECK(std::string_view(rtp_error_name(RtpError::kBadPadding)) == "bad_padding");
}

TEST_CASE("RFC 8285 §4.2 one-byte example") {
  const Bytes pkt = cat({with_x(kFixed), kOneByteBlock, {0x42}});
  auto p = RtpPacket::parse(pkt);
  REQUIRE(p);
  CHECK(p->extension_profile() == ExtensionProfile::kOneByte);
  CHECK(p->extension_profile_id() == 0xBEDE);
  CHECK(p->header_size() == 28);
  CHECK(p->payload_size() == 1);
  CHECK(ids_of(*p) == std::vector<std::uint8_t>{1, 2, 3});
  auto e1 = p->find_extension(1);
  REQUIRE(e1);
  CHECK(e1->data.size() == 1);
  CHECK(e1->data[0] == 0xAA);
  CHECK(e1->offset == 17);
  CHECK(pkt[e1->offset] == 0xAA);
  auto e2 = p->find_extension(2);
  REQUIRE(e2);
  CHECK(e2->data.size() == 2);
  auto e3 = p->find_extension(3);
  REQUIRE(e3);
  CHECK(e3->data.size() == 4);
  CHECK(e3->offset == 24);
  CHECK_FALSE(p->find_extension(4));
}

TEST_CASE("RFC 8285 §4.3 two-byte example") {
  const Bytes pkt = cat({with_x(kFixed), kTwoByteBlock});
  auto p = RtpPacket::parse(pkt);
  REQUIRE(p);
  CHECK(p->extension_profile() == ExtensionProfile::kTwoByte);
  CHECK(ids_of(*p) == std::vector<std::uint8_t>{1, 2, 3});
  auto e1 = p->find_extension(1);
  REQUIRE(e1);
  CHECK(e1->data.empty());
  auto e2 = p->find_extension(2);
  REQUIRE(e2);
  REQUIRE(e2->data.size() == 1);
  CHECK(e2->data[0] == 0xBB);
  auto e3 = p->find_extension(3);
  REQUIRE(e3);
  CHECK(e3->data.size() == 4);
  CHECK(p->payload_size() == 0);
}

TEST_CASE("two-byte profile appbits and ids above 14") {
  const Bytes pkt = cat({with_x(kFixed), {0x10, 0x0F, 0x00, 0x01, 0xC8, 0x01, 0x77, 0x00}});
  auto p = RtpPacket::parse(pkt);
  REQUIRE(p);
  CHECK(p->extension_profile() == ExtensionProfile::kTwoByte);
  CHECK(p->extension_profile_id() == 0x100F);
  auto e = p->find_extension(200);
  REQUIRE(e);
  CHECK(e->data[0] == 0x77);
}

TEST_CASE("one-byte id 15 ends processing of the block") {
  const Bytes pkt = cat({with_x(kFixed), {0xBE, 0xDE, 0x00, 0x01, 0x10, 0x01, 0xF5, 0x20}});
  auto p = RtpPacket::parse(pkt);
  REQUIRE(p);
  CHECK(ids_of(*p) == std::vector<std::uint8_t>{1});
}

TEST_CASE("an element running past its block is refused") {
  // One-byte: id 1 with L=3 (4 bytes) but only 3 bytes left in the word.
  CHECK(RtpPacket::parse(cat({with_x(kFixed), {0xBE, 0xDE, 0x00, 0x01, 0x13, 0, 0, 0}})).error() ==
        RtpError::kBadExtension);
  // One-byte: id 0 with a nonzero length is not padding (RFC 8285 §4.2).
  CHECK(RtpPacket::parse(cat({with_x(kFixed), {0xBE, 0xDE, 0x00, 0x01, 0x01, 0, 0, 0}})).error() ==
        RtpError::kBadExtension);
  // Two-byte: an id without its length byte.
  CHECK(RtpPacket::parse(cat({with_x(kFixed), {0x10, 0x00, 0x00, 0x01, 0, 0, 0, 5}})).error() ==
        RtpError::kBadExtension);
  // Two-byte: length 9 in a 4-byte block.
  CHECK(RtpPacket::parse(cat({with_x(kFixed), {0x10, 0x00, 0x00, 0x01, 5, 9, 0, 0}})).error() ==
        RtpError::kBadExtension);
}

TEST_CASE("other extension profiles are opaque") {
  const Bytes pkt = cat({with_x(kFixed), {0x12, 0x34, 0x00, 0x01, 0x10, 0xAA, 0, 0}, {7}});
  auto p = RtpPacket::parse(pkt);
  REQUIRE(p);
  CHECK(p->extension_profile() == ExtensionProfile::kOther);
  CHECK(ids_of(*p).empty());
  CHECK(p->payload_size() == 1);
}

TEST_CASE("empty extension block") {
  const Bytes pkt = cat({with_x(kFixed), {0xBE, 0xDE, 0x00, 0x00}, {9}});
  auto p = RtpPacket::parse(pkt);
  REQUIRE(p);
  CHECK(p->extension_elements().empty());
  CHECK(p->payload()[0] == 9);
}

TEST_CASE("in-place setters change only their field") {
  Bytes pkt = cat({with_x(kFixed), kOneByteBlock, {0x42}});
  const Bytes before = pkt;
  CHECK(set_sequence_number(pkt, 0xFFFE));
  CHECK(set_timestamp(pkt, 0x01020304));
  CHECK(set_ssrc(pkt, 0xCAFEBABE));
  CHECK(set_payload_type(pkt, 0xE4));  // only 7 bits: 100
  CHECK(set_marker(pkt, true));
  auto p = RtpPacket::parse(pkt);
  REQUIRE(p);
  CHECK(p->sequence_number() == 0xFFFE);
  CHECK(p->timestamp() == 0x01020304u);
  CHECK(p->ssrc() == 0xCAFEBABEu);
  CHECK(p->payload_type() == 100);
  CHECK(p->marker());
  CHECK(p->has_extension());
  CHECK(std::equal(pkt.begin() + 12, pkt.end(), before.begin() + 12));
  CHECK(set_marker(pkt, false));
  CHECK(RtpPacket::parse(pkt)->payload_type() == 100);
  CHECK_FALSE(RtpPacket::parse(pkt)->marker());
  Bytes tiny(11, 0x80);
  CHECK_FALSE(set_sequence_number(tiny, 1));
  CHECK_FALSE(set_timestamp(tiny, 1));
  CHECK_FALSE(set_ssrc(tiny, 1));
  CHECK_FALSE(set_payload_type(tiny, 1));
  CHECK_FALSE(set_marker(tiny, true));
  CHECK(tiny == Bytes(11, 0x80));
}

TEST_CASE("strip keeps the chosen one-byte elements and moves the payload") {
  Bytes pkt = cat({with_x(kFixed), kOneByteBlock, {0x42, 0x43}});
  auto n = strip_header_extensions(pkt, ExtensionIdSet{1, 3});
  REQUIRE(n);
  pkt.resize(*n);
  // 1 + 1 + 1 + 4 = 7 bytes of elements, padded to 8.
  CHECK(pkt.size() == 12 + 4 + 8 + 2);
  auto p = RtpPacket::parse(pkt);
  REQUIRE(p);
  CHECK(ids_of(*p) == std::vector<std::uint8_t>{1, 3});
  CHECK(p->find_extension(1)->data[0] == 0xAA);
  CHECK(p->find_extension(3)->data[3] == 0xCC);
  REQUIRE(p->payload_size() == 2);
  CHECK(p->payload()[0] == 0x42);
  CHECK(p->payload()[1] == 0x43);
  CHECK(p->sequence_number() == 0x1234);
}

TEST_CASE("strip keeps two-byte elements in two-byte form") {
  Bytes pkt = cat({with_x(kFixed), kTwoByteBlock, {0x42}});
  auto n = strip_header_extensions(pkt, ExtensionIdSet{2});
  REQUIRE(n);
  pkt.resize(*n);
  auto p = RtpPacket::parse(pkt);
  REQUIRE(p);
  CHECK(p->extension_profile() == ExtensionProfile::kTwoByte);
  CHECK(ids_of(*p) == std::vector<std::uint8_t>{2});
  CHECK(p->extension_elements().size() == 4);
  CHECK(p->payload()[0] == 0x42);
}

TEST_CASE("strip removing everything clears X and keeps padding intact") {
  Bytes pkt = cat({with_x(kFixed), kOneByteBlock, {0x42}, {0, 2}});
  pkt[0] |= 0x20;
  auto n = strip_header_extensions(pkt, ExtensionIdSet{});
  REQUIRE(n);
  pkt.resize(*n);
  CHECK(pkt == cat({Bytes{0xA0}, Bytes(kFixed.begin() + 1, kFixed.end()), {0x42}, {0, 2}}));
  auto p = RtpPacket::parse(pkt);
  REQUIRE(p);
  CHECK_FALSE(p->has_extension());
  CHECK(p->padding_size() == 2);
  CHECK(p->payload_size() == 1);
}

TEST_CASE("strip with everything kept leaves the packet as it was, padding bytes aside") {
  Bytes pkt = cat({with_x(kFixed), kOneByteBlock, {0x42}});
  auto n = strip_header_extensions(pkt, ExtensionIdSet{1, 2, 3});
  REQUIRE(n);
  pkt.resize(*n);
  auto p = RtpPacket::parse(pkt);
  REQUIRE(p);
  CHECK(ids_of(*p) == std::vector<std::uint8_t>{1, 2, 3});
  CHECK(p->extension_elements().size() == 12);  // 1+1 + 1+2 + 1+4 = 10, padded to 12
  CHECK(p->payload()[0] == 0x42);
}

TEST_CASE("strip of packets without extensions, other profiles, and garbage") {
  Bytes plain = cat({kFixed, {1}});
  CHECK(*strip_header_extensions(plain, ExtensionIdSet{1}) == plain.size());
  Bytes other = cat({with_x(kFixed), {0x12, 0x34, 0x00, 0x01, 1, 2, 3, 4}, {7}});
  auto n = strip_header_extensions(other, ExtensionIdSet{1});
  REQUIRE(n);
  CHECK(*n == 13);
  CHECK(other[12] == 7);
  Bytes bad = cat({with_x(kFixed), {0xBE, 0xDE, 0x00, 0x01, 0x13, 0, 0, 0}});
  const Bytes bad_before = bad;
  CHECK(strip_header_extensions(bad, ExtensionIdSet{}).error() == RtpError::kBadExtension);
  CHECK(bad == bad_before);
}

TEST_CASE("remove_padding") {
  Bytes pkt = cat({kFixed, {1, 2}, {0, 0, 3}});
  pkt[0] |= 0x20;
  auto n = remove_padding(pkt);
  REQUIRE(n);
  CHECK(*n == 14);
  pkt.resize(*n);
  auto p = RtpPacket::parse(pkt);
  REQUIRE(p);
  CHECK_FALSE(p->has_padding());
  CHECK(p->payload_size() == 2);
  Bytes none = cat({kFixed, {1}});
  CHECK(*remove_padding(none) == 13);
  Bytes tiny{1, 2};
  CHECK(remove_padding(tiny).error() == RtpError::kTooShort);
}

TEST_CASE("ExtensionIdSet") {
  ExtensionIdSet s{1, 5, 255};
  CHECK(s.contains(1));
  CHECK(s.contains(5));
  CHECK(s.contains(255));
  CHECK_FALSE(s.contains(0));
  CHECK_FALSE(s.contains(64));
  s.add(64);
  CHECK(s.contains(64));
  s.remove(5);
  CHECK_FALSE(s.contains(5));
}

TEST_CASE("choose_extension_profile") {
  const std::uint8_t one[1] = {1};
  const std::uint8_t seventeen[17] = {};
  const std::uint8_t sixteen[16] = {};
  CHECK(choose_extension_profile({}) == ExtensionProfile::kNone);
  const ExtensionElement small[] = {{1, one}, {14, sixteen}};
  CHECK(choose_extension_profile(small) == ExtensionProfile::kOneByte);
  const ExtensionElement id15[] = {{15, one}};
  CHECK(choose_extension_profile(id15) == ExtensionProfile::kTwoByte);
  const ExtensionElement big[] = {{1, seventeen}};
  CHECK(choose_extension_profile(big) == ExtensionProfile::kTwoByte);
  const ExtensionElement empty[] = {{1, {}}};
  CHECK(choose_extension_profile(empty) == ExtensionProfile::kTwoByte);
}

TEST_CASE("write_rtp_header produces the RFC 8285 §4.2 layout and round-trips") {
  const std::uint8_t a[1] = {0xAA};
  const std::uint8_t b[2] = {0xBB, 0xBB};
  const std::uint8_t c[4] = {0xCC, 0xCC, 0xCC, 0xCC};
  const ExtensionElement ext[] = {{1, a}, {2, b}, {3, c}};
  RtpHeaderFields f;
  f.payload_type = 111;
  f.sequence_number = 0x1234;
  f.timestamp = 0xDEADBEEF;
  f.ssrc = 0x11223344;
  std::array<std::uint8_t, 64> out{};
  auto n = write_rtp_header(out, f, ext);
  REQUIRE(n);
  // Elements are packed without the example's two padding bytes: 10 bytes, padded to 12.
  const Bytes expected =
      cat({with_x(kFixed),
           {0xBE, 0xDE, 0x00, 0x03, 0x10, 0xAA, 0x21, 0xBB, 0xBB, 0x33, 0xCC, 0xCC, 0xCC, 0xCC, 0x00, 0x00}});
  CHECK(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)) == expected);
  auto p = RtpPacket::parse(std::span<const std::uint8_t>(out.data(), *n));
  REQUIRE(p);
  CHECK(ids_of(*p) == std::vector<std::uint8_t>{1, 2, 3});
  CHECK(p->payload_size() == 0);
}

TEST_CASE("write_rtp_header two-byte form, CSRCs, marker") {
  const std::uint8_t v[1] = {0x55};
  const ExtensionElement ext[] = {{20, v}, {2, {}}};
  const std::uint32_t csrcs[] = {7, 8};
  RtpHeaderFields f;
  f.marker = true;
  f.payload_type = 100;
  f.csrcs = csrcs;
  std::array<std::uint8_t, 64> out{};
  auto n = write_rtp_header(out, f, ext);
  REQUIRE(n);
  CHECK(*n == 12 + 8 + 4 + 8);
  auto p = RtpPacket::parse(std::span<const std::uint8_t>(out.data(), *n));
  REQUIRE(p);
  CHECK(p->marker());
  CHECK(p->csrc(1) == 8);
  CHECK(p->extension_profile() == ExtensionProfile::kTwoByte);
  CHECK(p->find_extension(20)->data[0] == 0x55);
  CHECK(p->find_extension(2)->data.empty());
}

TEST_CASE("write_rtp_header errors") {
  std::array<std::uint8_t, 64> out{};
  const std::uint8_t v[1] = {1};
  const ExtensionElement id0[] = {{0, v}};
  CHECK(write_rtp_header(out, {}, id0).error() == RtpError::kBadExtension);
  const std::vector<std::uint8_t> big(256);
  const ExtensionElement too_long[] = {{1, big}};
  CHECK(write_rtp_header(out, {}, too_long).error() == RtpError::kBadExtension);
  const std::uint32_t csrcs[16] = {};
  RtpHeaderFields f;
  f.csrcs = csrcs;
  CHECK(write_rtp_header(out, f).error() == RtpError::kBadExtension);
  std::array<std::uint8_t, 11> small{};
  CHECK(write_rtp_header(small, {}).error() == RtpError::kBufferTooSmall);
  const ExtensionElement ok[] = {{1, v}};
  std::array<std::uint8_t, 19> almost{};
  CHECK(write_rtp_header(almost, {}, ok).error() == RtpError::kBufferTooSmall);
  std::array<std::uint8_t, 20> exact{};
  CHECK(*write_rtp_header(exact, {}, ok) == 20);
}
