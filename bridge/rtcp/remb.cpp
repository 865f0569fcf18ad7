// Receiver Estimated Maximum Bitrate (draft-alvestrand-rmcat-remb-03 §2.2).
#include "bridge/rtcp/remb.hpp"

#include <bit>
#include <limits>

#include "bridge/core/byte_reader.hpp"

namespace jvb::rtcp {

namespace {
constexpr std::uint32_t kRembIdentifier = 0x52454D42;  // "REMB"
constexpr std::uint32_t kMaxMantissa = (1u << 18) - 1;
}  // namespace

Result<Remb, RtcpError> Remb::parse(const RtcpPacketView& packet) {
  if (packet.packet_type != kPtPayloadFeedback || packet.count != kFmtApplicationLayer) {
    return unexpected(RtcpError::kWrongType);
  }
  ByteReader r(packet.body);
  Remb m;
  m.sender_ssrc_ = r.u32();
  m.media_ssrc_ = r.u32();
  const std::uint32_t id = r.u32();
  if (!r.ok()) return unexpected(RtcpError::kBadLength);
  if (id != kRembIdentifier) return unexpected(RtcpError::kWrongType);
  const std::uint32_t word = r.u32();
  if (!r.ok()) return unexpected(RtcpError::kBadLength);
  const std::size_t num = word >> 24;
  const unsigned exp = (word >> 18) & 0x3F;
  const std::uint64_t mantissa = word & kMaxMantissa;
  if (mantissa != 0 && exp > static_cast<unsigned>(std::countl_zero(mantissa))) {
    m.bitrate_bps_ = std::numeric_limits<std::uint64_t>::max();
  } else {
    m.bitrate_bps_ = mantissa << exp;
  }
  m.ssrcs_ = r.bytes(4 * num);
  if (!r.ok()) return unexpected(RtcpError::kBadCount);
  return m;
}

std::uint32_t Remb::ssrc(std::size_t i) const {
  if (i >= ssrc_count()) return 0;
  ByteReader r(ssrcs_.subspan(4 * i, 4));
  return r.u32();
}

Result<std::size_t, RtcpError> write_remb(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                          std::uint64_t bitrate_bps, std::span<const std::uint32_t> ssrcs) {
  if (ssrcs.size() > 255) return unexpected(RtcpError::kInvalidArgument);
  unsigned exp = 0;
  while ((bitrate_bps >> exp) > kMaxMantissa) ++exp;  // at most 46 for a 64-bit value
  const std::uint32_t mantissa = static_cast<std::uint32_t>(bitrate_bps >> exp);
  ByteWriter w(out);
  const auto start = begin_packet(w, kFmtApplicationLayer, kPtPayloadFeedback);
  w.u32(sender_ssrc);
  w.u32(0);
  w.u32(kRembIdentifier);
  w.u32(static_cast<std::uint32_t>(ssrcs.size() << 24) | (exp << 18) | mantissa);
  for (auto s : ssrcs) w.u32(s);
  end_packet(w, start);
  if (!w.ok()) return unexpected(RtcpError::kBufferTooSmall);
  return w.offset();
}

}  // namespace jvb::rtcp
