// Goodbye packets (RFC 3550 §6.6).
#include "bridge/rtcp/bye.hpp"

#include "bridge/core/byte_reader.hpp"

namespace jvb::rtcp {

Result<Bye, RtcpError> Bye::parse(const RtcpPacketView& packet) {
  if (packet.packet_type != kPtBye) return unexpected(RtcpError::kWrongType);
  ByteReader r(packet.body);
  Bye b;
  b.count_ = packet.count;
  b.ssrcs_ = r.bytes(4 * b.count_);
  if (!r.ok()) return unexpected(RtcpError::kBadCount);
  if (r.remaining() > 0) {
    const std::uint8_t length = r.u8();
    auto text = r.bytes(length);
    if (!r.ok()) return unexpected(RtcpError::kBadLength);
    b.reason_ = std::string_view(reinterpret_cast<const char*>(text.data()), text.size());
  }
  return b;
}

std::uint32_t Bye::ssrc(std::size_t i) const {
  if (i >= count_) return 0;
  ByteReader r(ssrcs_.subspan(4 * i, 4));
  return r.u32();
}

Result<std::size_t, RtcpError> write_bye(std::span<std::uint8_t> out, std::span<const std::uint32_t> ssrcs,
                                         std::string_view reason) {
  if (ssrcs.size() > 31 || reason.size() > 255) return unexpected(RtcpError::kInvalidArgument);
  ByteWriter w(out);
  const auto start = begin_packet(w, static_cast<std::uint8_t>(ssrcs.size()), kPtBye);
  for (auto s : ssrcs) w.u32(s);
  if (!reason.empty()) {
    w.u8(static_cast<std::uint8_t>(reason.size()));
    w.bytes(
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(reason.data()), reason.size()));
  }
  end_packet(w, start);
  if (!w.ok()) return unexpected(RtcpError::kBufferTooSmall);
  return w.offset();
}

}  // namespace jvb::rtcp
