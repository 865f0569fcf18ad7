// RTP retransmission payload format (RFC 4588 §4).
#include "bridge/media/feedback/rtx.hpp"

#include <algorithm>

#include "bridge/rtp/rtp_packet.hpp"

namespace jvb::media {

namespace {

constexpr std::uint8_t kPaddingBit = 0x20;

}  // namespace

const char* rtx_error_name(RtxError error) {
  switch (error) {
    case RtxError::kMalformed:
      return "malformed";
    case RtxError::kNoOriginalSequence:
      return "no_original_sequence";
    case RtxError::kBufferTooSmall:
      return "buffer_too_small";
    case RtxError::kInvalidArgument:
      return "invalid_argument";
  }
  return "unknown";
}

Result<std::size_t, RtxError> build_rtx_packet(std::span<const std::uint8_t> original, std::uint32_t rtx_ssrc,
                                               std::uint8_t rtx_pt, std::uint16_t rtx_seq,
                                               std::span<std::uint8_t> out) {
  if (rtx_pt > 0x7F) return unexpected(RtxError::kInvalidArgument);
  auto parsed = rtp::RtpPacket::parse(original);
  if (!parsed) return unexpected(RtxError::kMalformed);
  const rtp::RtpPacket& p = *parsed;
  const std::size_t header = p.header_size();
  const std::size_t size = header + kRtxHeaderSize + p.payload_size();
  if (out.size() < size) return unexpected(RtxError::kBufferTooSmall);
  std::copy_n(original.begin(), header, out.begin());
  out[0] = static_cast<std::uint8_t>(out[0] & ~kPaddingBit);
  // Cannot fail: `out` holds at least the fixed header.
  (void)rtp::set_ssrc(out, rtx_ssrc);
  (void)rtp::set_payload_type(out, rtx_pt);
  (void)rtp::set_sequence_number(out, rtx_seq);
  out[header] = static_cast<std::uint8_t>(p.sequence_number() >> 8);
  out[header + 1] = static_cast<std::uint8_t>(p.sequence_number());
  const auto payload = p.payload();
  std::copy(payload.begin(), payload.end(),
            out.begin() + static_cast<std::ptrdiff_t>(header + kRtxHeaderSize));
  return size;
}

Result<std::size_t, RtxError> decapsulate_rtx(std::span<std::uint8_t> packet, std::uint32_t original_ssrc,
                                              std::uint8_t original_pt) {
  if (original_pt > 0x7F) return unexpected(RtxError::kInvalidArgument);
  auto parsed = rtp::RtpPacket::parse(packet);
  if (!parsed) return unexpected(RtxError::kMalformed);
  const std::size_t header = parsed->header_size();
  const std::size_t payload = parsed->payload_size();
  if (payload < kRtxHeaderSize) return unexpected(RtxError::kNoOriginalSequence);
  const auto osn = static_cast<std::uint16_t>((packet[header] << 8) | packet[header + 1]);
  // Overlapping move down by 2 bytes; std::copy is fine since the destination starts first.
  std::copy(packet.begin() + static_cast<std::ptrdiff_t>(header + kRtxHeaderSize),
            packet.begin() + static_cast<std::ptrdiff_t>(header + payload),
            packet.begin() + static_cast<std::ptrdiff_t>(header));
  packet[0] = static_cast<std::uint8_t>(packet[0] & ~kPaddingBit);
  (void)rtp::set_sequence_number(packet, osn);
  (void)rtp::set_ssrc(packet, original_ssrc);
  (void)rtp::set_payload_type(packet, original_pt);
  return header + payload - kRtxHeaderSize;
}

}  // namespace jvb::media
