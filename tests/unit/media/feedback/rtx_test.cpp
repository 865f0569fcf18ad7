// Tests of bridge/media/feedback/rtx.hpp (RFC 4588 §4; JVB's RtxHandler and RetransmissionSender,
// and the cases of its RtxPacketTest and RetransmissionSenderTest): RTX build and decapsulation
// round trips with CSRCs, header extensions and padding, and the refusals.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "bridge/media/feedback/rtx.hpp"
#include "bridge/rtp/rtp_packet.hpp"

using namespace jvb;
using namespace jvb::media;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr std::uint32_t kSsrc = 0x11111111;
constexpr std::uint32_t kRtxSsrc = 0x22222222;

// A VP8-like packet: PT 100, seq 0x1234, marker, ts 0xABCDEF01, 2 CSRCs, one-byte extensions
// ids 1 and 11, the given payload, then `padding` bytes of padding (P bit, count last).
Bytes make_packet(const Bytes& payload, std::size_t padding = 0) {
  const std::array<std::uint32_t, 2> csrcs{0xC0000001, 0xC0000002};
  const std::array<std::uint8_t, 1> level{0x85};
  const std::array<std::uint8_t, 3> dd{1, 2, 3};
  const std::array<rtp::ExtensionElement, 2> ext{rtp::ExtensionElement{1, level},
                                                 rtp::ExtensionElement{11, dd}};
  rtp::RtpHeaderFields fields;
  fields.marker = true;
  fields.payload_type = 100;
  fields.sequence_number = 0x1234;
  fields.timestamp = 0xABCDEF01;
  fields.ssrc = kSsrc;
  fields.csrcs = csrcs;
  Bytes out(200);
  auto n = rtp::write_rtp_header(out, fields, ext);
  REQUIRE(n);
  out.resize(*n);
  out.insert(out.end(), payload.begin(), payload.end());
  if (padding > 0) {
    out[0] |= 0x20;
    for (std::size_t i = 1; i < padding; ++i) out.push_back(0);
    out.push_back(static_cast<std::uint8_t>(padding));
  }
  return out;
}

}  // namespace

TEST_CASE("build an RTX packet: RTX SSRC/PT/seq, same header otherwise, OSN + payload") {
  const Bytes payload{0x90, 0x80, 0x11, 0x22, 0x33};
  const Bytes original = make_packet(payload, 4);
  Bytes out(1500);
  auto n = build_rtx_packet(original, kRtxSsrc, 96, 1, out);
  REQUIRE(n);
  CHECK(*n == original.size() - 4 + 2);
  out.resize(*n);
  auto rtx = rtp::RtpPacket::parse(out);
  REQUIRE(rtx);
  auto orig = rtp::RtpPacket::parse(original);
  REQUIRE(orig);
  CHECK(rtx->ssrc() == kRtxSsrc);
  CHECK(rtx->payload_type() == 96);
  CHECK(rtx->sequence_number() == 1);
  CHECK(rtx->timestamp() == 0xABCDEF01);
  CHECK(rtx->marker());
  CHECK_FALSE(rtx->has_padding());
  REQUIRE(rtx->csrc_count() == 2);
  CHECK(rtx->csrc(1) == 0xC0000002);
  CHECK(Bytes(rtx->extension_elements().begin(), rtx->extension_elements().end()) ==
        Bytes(orig->extension_elements().begin(), orig->extension_elements().end()));
  REQUIRE(rtx->find_extension(11));
  CHECK(rtx->find_extension(11)->data.size() == 3);
  const Bytes expected_payload{0x12, 0x34, 0x90, 0x80, 0x11, 0x22, 0x33};
  CHECK(Bytes(rtx->payload().begin(), rtx->payload().end()) == expected_payload);
}

TEST_CASE("decapsulate restores the original packet, without padding") {
  const Bytes payload{0xAA, 0xBB, 0xCC};
  const Bytes original = make_packet(payload, 3);
  Bytes rtx(1500);
  auto n = build_rtx_packet(original, kRtxSsrc, 96, 777, rtx);
  REQUIRE(n);
  rtx.resize(*n);
  // The sender's RTX may carry padding of its own.
  rtx[0] |= 0x20;
  rtx.push_back(0);
  rtx.push_back(2);
  auto m = decapsulate_rtx(rtx, kSsrc, 100);
  REQUIRE(m);
  rtx.resize(*m);
  Bytes unpadded = make_packet(payload);
  CHECK(rtx == unpadded);
  auto p = rtp::RtpPacket::parse(rtx);
  REQUIRE(p);
  CHECK(p->sequence_number() == 0x1234);
  CHECK(p->ssrc() == kSsrc);
  CHECK(p->payload_type() == 100);
}

TEST_CASE("JVB's RtxPacketTest example: payload [0x12, 0x34, ...] becomes seq 0x1234") {
  Bytes pkt{0x80, 96, 0x00, 0x07, 0, 0, 0, 9, 0x22, 0x22, 0x22, 0x22, 0x12, 0x34, 0xDE, 0xAD};
  auto n = decapsulate_rtx(pkt, 0x33333333, 100);
  REQUIRE(n);
  CHECK(*n == 14);
  const Bytes expected{0x80, 100, 0x12, 0x34, 0, 0, 0, 9, 0x33, 0x33, 0x33, 0x33, 0xDE, 0xAD};
  CHECK(Bytes(pkt.begin(), pkt.begin() + 14) == expected);

  // An empty original payload: the RTX payload is just the OSN.
  Bytes just_osn{0x80, 96, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 0xFF, 0xFE};
  n = decapsulate_rtx(just_osn, 5, 100);
  REQUIRE(n);
  CHECK(*n == 12);
  CHECK(just_osn[2] == 0xFF);
  CHECK(just_osn[3] == 0xFE);
}

TEST_CASE("padding-only RTX probes are refused") {
  Bytes empty{0x80, 96, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4};
  CHECK(decapsulate_rtx(empty, 5, 100).error() == RtxError::kNoOriginalSequence);
  Bytes one{0x80, 96, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 0x12};
  CHECK(decapsulate_rtx(one, 5, 100).error() == RtxError::kNoOriginalSequence);
  // 1 payload byte + 4 bytes padding: still too short once padding is removed.
  Bytes padded{0xA0, 96, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 0x12, 0, 0, 0, 4};
  const Bytes before = padded;
  CHECK(decapsulate_rtx(padded, 5, 100).error() == RtxError::kNoOriginalSequence);
  CHECK(padded == before);
  CHECK(std::string_view(rtx_error_name(RtxError::kNoOriginalSequence)) == "no_original_sequence");
}

TEST_CASE("refusals: malformed input, small buffers, payload types above 127") {
  const Bytes original = make_packet({1, 2, 3});
  Bytes out(original.size() + 1);  // one byte short
  CHECK(build_rtx_packet(original, kRtxSsrc, 96, 1, out).error() == RtxError::kBufferTooSmall);
  out.resize(original.size() + 2);
  CHECK(build_rtx_packet(original, kRtxSsrc, 96, 1, out));
  CHECK(build_rtx_packet(original, kRtxSsrc, 128, 1, out).error() == RtxError::kInvalidArgument);
  const Bytes garbage{0x00, 1, 2};
  CHECK(build_rtx_packet(garbage, kRtxSsrc, 96, 1, out).error() == RtxError::kMalformed);
  Bytes bad{0x40, 96, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0};  // version 1
  CHECK(decapsulate_rtx(bad, 5, 100).error() == RtxError::kMalformed);
  Bytes ok{0x80, 96, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0};
  CHECK(decapsulate_rtx(ok, 5, 200).error() == RtxError::kInvalidArgument);
}
