// Tests of bridge/media/rewriting/header_extension_writer.hpp: setting one RFC 8285 header
// extension element in a packet, in place or by rebuilding the header (§4.2 one-byte and §4.3
// two-byte forms), with payload, padding and CSRCs carried along.
#include <doctest/doctest.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "bridge/media/rewriting/header_extension_writer.hpp"
#include "bridge/rtp/rtp_extensions.hpp"
#include "bridge/rtp/rtp_packet.hpp"

using namespace jvb;
using Bytes = std::vector<std::uint8_t>;

namespace {

// V=2, PT 111, seq 0x1234, ts 0xDEADBEEF, SSRC 0x11223344.
const Bytes kFixed{0x80, 0x6F, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x11, 0x22, 0x33, 0x44};
const Bytes kPayload{0x01, 0x02, 0x03, 0x04, 0x05};

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::span<const std::uint8_t> text(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The packet in buffer[0, length) with room for growth behind it.
struct Buffer {
  explicit Buffer(const Bytes& packet, std::size_t spare = 64) : bytes(packet), length(packet.size()) {
    bytes.resize(packet.size() + spare, 0xEE);
  }
  std::span<const std::uint8_t> packet() const { return std::span(bytes).first(length); }
  Bytes bytes;
  std::size_t length;
};

std::string_view value_of(const rtp::RtpPacket& p, std::uint8_t id) {
  auto e = p.find_extension(id);
  REQUIRE(e);
  return {reinterpret_cast<const char*>(e->data.data()), e->data.size()};
}

std::vector<std::uint8_t> ids_of(const rtp::RtpPacket& p) {
  std::vector<std::uint8_t> ids;
  auto it = p.extensions();
  while (auto e = it.next()) ids.push_back(e->id);
  return ids;
}

}  // namespace

TEST_CASE("an element is added to a packet without extensions") {
  Buffer b(cat({kFixed, kPayload}));
  auto r = media::set_header_extension(b.bytes, b.length, 3, text("v0"));
  REQUIRE(r);
  // 4-byte extension header + one-byte element (1 + 2) padded to 4.
  CHECK(*r == b.length + 8);
  b.length = *r;
  auto p = rtp::RtpPacket::parse(b.packet());
  REQUIRE(p);
  CHECK(p->has_extension());
  CHECK(p->extension_profile() == rtp::ExtensionProfile::kOneByte);
  CHECK(value_of(*p, 3) == "v0");
  CHECK(p->sequence_number() == 0x1234);
  CHECK(p->timestamp() == 0xDEADBEEF);
  CHECK(p->ssrc() == 0x11223344);
  CHECK(p->payload_type() == 111);
  CHECK(Bytes(p->payload().begin(), p->payload().end()) == kPayload);
}

TEST_CASE("a value of the same length is overwritten in place") {
  // One-byte block: id 1 (1 byte), id 3 (2 bytes "a1"), one padding byte.
  const Bytes ext{0xBE, 0xDE, 0x00, 0x02, 0x10, 0x7F, 0x31, 'a', '1', 0x00, 0x00, 0x00};
  Bytes fixed = kFixed;
  fixed[0] |= 0x10;
  const Bytes original = cat({fixed, ext, kPayload});
  Buffer b(original);
  auto r = media::set_header_extension(b.bytes, b.length, 3, text("v7"));
  REQUIRE(r);
  CHECK(*r == original.size());
  auto p = rtp::RtpPacket::parse(b.packet());
  REQUIRE(p);
  CHECK(value_of(*p, 3) == "v7");
  CHECK(value_of(*p, 1) == std::string_view("\x7F", 1));
  // Only the two value bytes changed.
  int changed = 0;
  for (std::size_t i = 0; i < original.size(); ++i) changed += b.bytes[i] != original[i];
  CHECK(changed == 2);
}

TEST_CASE("a value of another length rebuilds the header, keeping the other elements, CSRCs and padding") {
  // CC=1, X=1, P=1; one-byte block: id 1 (1 byte), id 3 (1 byte "x"), id 5 (2 bytes).
  Bytes fixed = kFixed;
  fixed[0] = 0x80 | 0x20 | 0x10 | 0x01;
  const Bytes csrc{0xCA, 0xFE, 0xBA, 0xBE};
  const Bytes ext{0xBE, 0xDE, 0x00, 0x02, 0x10, 0x55, 0x30, 'x', 0x51, 0x66, 0x77, 0x00};
  const Bytes padding{0x00, 0x00, 0x03};
  Buffer b(cat({fixed, csrc, ext, kPayload, padding}));
  auto r = media::set_header_extension(b.bytes, b.length, 3, text("abc"));
  REQUIRE(r);
  b.length = *r;
  auto p = rtp::RtpPacket::parse(b.packet());
  REQUIRE(p);
  CHECK(p->csrc_count() == 1);
  CHECK(p->csrc(0) == 0xCAFEBABE);
  CHECK(p->has_padding());
  CHECK(p->padding_size() == 3);
  CHECK(Bytes(p->payload().begin(), p->payload().end()) == kPayload);
  CHECK(ids_of(*p) == std::vector<std::uint8_t>{1, 5, 3});  // others in order, the new one last
  CHECK(value_of(*p, 3) == "abc");
  CHECK(value_of(*p, 1) == std::string_view("\x55", 1));
  CHECK(value_of(*p, 5) == std::string_view("\x66\x77", 2));
}

TEST_CASE("ids above 14 take the two-byte form; a two-byte packet may shrink to one-byte") {
  SUBCASE("id 20") {
    Buffer b(cat({kFixed, kPayload}));
    auto r = media::set_header_extension(b.bytes, b.length, 20, text("v1"));
    REQUIRE(r);
    b.length = *r;
    auto p = rtp::RtpPacket::parse(b.packet());
    REQUIRE(p);
    CHECK(p->extension_profile() == rtp::ExtensionProfile::kTwoByte);
    CHECK(value_of(*p, 20) == "v1");
  }
  SUBCASE("two-byte block with small ids") {
    Bytes fixed = kFixed;
    fixed[0] |= 0x10;
    // Two-byte block: id 2 (1 byte).
    const Bytes ext{0x10, 0x00, 0x00, 0x01, 0x02, 0x01, 0x42, 0x00};
    Buffer b(cat({fixed, ext, kPayload}));
    auto r = media::set_header_extension(b.bytes, b.length, 4, text("a0"));
    REQUIRE(r);
    b.length = *r;
    auto p = rtp::RtpPacket::parse(b.packet());
    REQUIRE(p);
    CHECK(p->extension_profile() == rtp::ExtensionProfile::kOneByte);
    CHECK(value_of(*p, 2) == std::string_view("\x42", 1));
    CHECK(value_of(*p, 4) == "a0");
    CHECK(Bytes(p->payload().begin(), p->payload().end()) == kPayload);
  }
}

TEST_CASE("refusals leave the packet unchanged") {
  const Bytes original = cat({kFixed, kPayload});
  SUBCASE("no spare room") {
    Buffer b(original, 7);  // one byte short of the 8 needed
    const Bytes before = b.bytes;
    auto r = media::set_header_extension(b.bytes, b.length, 3, text("v0"));
    REQUIRE_FALSE(r);
    CHECK(r.error() == rtp::RtpError::kBufferTooSmall);
    CHECK(b.bytes == before);
  }
  SUBCASE("id 0, or a value over 255 bytes") {
    Buffer b(original);
    const Bytes before = b.bytes;
    auto r0 = media::set_header_extension(b.bytes, b.length, 0, text("v0"));
    REQUIRE_FALSE(r0);
    CHECK(r0.error() == rtp::RtpError::kBadExtension);
    const Bytes big(256, 'x');
    auto r1 = media::set_header_extension(b.bytes, b.length, 3, big);
    REQUIRE_FALSE(r1);
    CHECK(r1.error() == rtp::RtpError::kBadExtension);
    CHECK(b.bytes == before);
  }
  SUBCASE("a non-RFC 8285 profile is opaque") {
    Bytes fixed = kFixed;
    fixed[0] |= 0x10;
    Buffer b(cat({fixed, Bytes{0x12, 0x34, 0x00, 0x01, 0xAA, 0xBB, 0xCC, 0xDD}, kPayload}));
    const Bytes before = b.bytes;
    auto r = media::set_header_extension(b.bytes, b.length, 3, text("v0"));
    REQUIRE_FALSE(r);
    CHECK(r.error() == rtp::RtpError::kBadExtension);
    CHECK(b.bytes == before);
  }
  SUBCASE("not an RTP packet") {
    Bytes garbage{0x40, 0x00, 0x00};
    Buffer b(garbage);
    auto r = media::set_header_extension(b.bytes, b.length, 3, text("v0"));
    REQUIRE_FALSE(r);
    CHECK(r.error() == rtp::RtpError::kTooShort);
  }
  SUBCASE("length beyond the buffer") {
    Bytes bytes = original;
    auto r = media::set_header_extension(bytes, bytes.size() + 1, 3, text("v0"));
    REQUIRE_FALSE(r);
    CHECK(r.error() == rtp::RtpError::kBufferTooSmall);
  }
}
