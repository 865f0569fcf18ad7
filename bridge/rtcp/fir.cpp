// Full Intra Request (RFC 5104 §4.3.1).
#include "bridge/rtcp/fir.hpp"

#include "bridge/core/byte_reader.hpp"

namespace jvb::rtcp {

Result<Fir, RtcpError> Fir::parse(const RtcpPacketView& packet) {
  if (packet.packet_type != kPtPayloadFeedback || packet.count != kFmtFir) {
    return unexpected(RtcpError::kWrongType);
  }
  ByteReader r(packet.body);
  Fir f;
  f.sender_ssrc_ = r.u32();
  f.media_ssrc_ = r.u32();
  if (!r.ok()) return unexpected(RtcpError::kBadLength);
  const std::size_t n = r.remaining() / 8;
  if (n == 0) return unexpected(RtcpError::kBadLength);
  // Trailing bytes short of a whole entry are ignored, as the length is in 32-bit words.
  f.entries_ = r.bytes(8 * n);
  return f;
}

FirEntry Fir::entry(std::size_t i) const {
  if (i >= entry_count()) return {};
  ByteReader r(entries_.subspan(8 * i, 8));
  FirEntry e;
  e.ssrc = r.u32();
  e.sequence_number = r.u8();
  return e;
}

Result<std::size_t, RtcpError> write_fir(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                         std::span<const FirEntry> entries) {
  if (entries.empty()) return unexpected(RtcpError::kInvalidArgument);
  ByteWriter w(out);
  const auto start = begin_packet(w, kFmtFir, kPtPayloadFeedback);
  w.u32(sender_ssrc);
  w.u32(0);
  for (const auto& e : entries) {
    w.u32(e.ssrc);
    w.u8(e.sequence_number);
    w.u24(0);
  }
  end_packet(w, start);
  if (!w.ok()) return unexpected(RtcpError::kBufferTooSmall);
  return w.offset();
}

}  // namespace jvb::rtcp
