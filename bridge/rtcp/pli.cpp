// Picture Loss Indication (RFC 4585 §6.3.1).
#include "bridge/rtcp/pli.hpp"

#include "bridge/core/byte_reader.hpp"

namespace jvb::rtcp {

Result<Pli, RtcpError> Pli::parse(const RtcpPacketView& packet) {
  if (packet.packet_type != kPtPayloadFeedback || packet.count != kFmtPli) {
    return unexpected(RtcpError::kWrongType);
  }
  ByteReader r(packet.body);
  Pli p;
  p.sender_ssrc = r.u32();
  p.media_ssrc = r.u32();
  if (!r.ok()) return unexpected(RtcpError::kBadLength);
  return p;
}

Result<std::size_t, RtcpError> write_pli(std::span<std::uint8_t> out, const Pli& pli) {
  ByteWriter w(out);
  const auto start = begin_packet(w, kFmtPli, kPtPayloadFeedback);
  w.u32(pli.sender_ssrc);
  w.u32(pli.media_ssrc);
  end_packet(w, start);
  if (!w.ok()) return unexpected(RtcpError::kBufferTooSmall);
  return w.offset();
}

}  // namespace jvb::rtcp
