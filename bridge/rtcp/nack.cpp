// Generic NACK (RFC 4585 §6.2.1).
#include "bridge/rtcp/nack.hpp"

#include "bridge/core/byte_reader.hpp"

namespace jvb::rtcp {

Result<Nack, RtcpError> Nack::parse(const RtcpPacketView& packet) {
  if (packet.packet_type != kPtRtpFeedback || packet.count != kFmtGenericNack) {
    return unexpected(RtcpError::kWrongType);
  }
  ByteReader r(packet.body);
  Nack n;
  n.sender_ssrc_ = r.u32();
  n.media_ssrc_ = r.u32();
  if (!r.ok()) return unexpected(RtcpError::kBadLength);
  const std::size_t count = r.remaining() / 4;
  if (count == 0) return unexpected(RtcpError::kBadLength);
  n.items_ = r.bytes(4 * count);
  return n;
}

NackItem Nack::item(std::size_t i) const {
  if (i >= item_count()) return {};
  ByteReader r(items_.subspan(4 * i, 4));
  NackItem it;
  it.pid = r.u16();
  it.blp = r.u16();
  return it;
}

std::vector<std::uint16_t> Nack::lost_sequence_numbers() const {
  std::vector<std::uint16_t> out;
  for_each_lost([&](std::uint16_t seq) { out.push_back(seq); });
  return out;
}

namespace {

// Calls emit(item) for each packed item.
template <class F>
void pack(std::span<const std::uint16_t> lost, F&& emit) {
  bool open = false;
  NackItem cur;
  for (auto seq : lost) {
    if (open) {
      const std::uint16_t diff = static_cast<std::uint16_t>(seq - cur.pid);
      if (diff == 0) continue;
      if (diff <= 16) {
        cur.blp = static_cast<std::uint16_t>(cur.blp | (1u << (diff - 1)));
        continue;
      }
      emit(cur);
    }
    cur = NackItem{seq, 0};
    open = true;
  }
  if (open) emit(cur);
}

}  // namespace

std::size_t nack_item_count(std::span<const std::uint16_t> lost) {
  std::size_t n = 0;
  pack(lost, [&](const NackItem&) { ++n; });
  return n;
}

Result<std::size_t, RtcpError> write_nack(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                          std::uint32_t media_ssrc, std::span<const std::uint16_t> lost) {
  if (lost.empty()) return unexpected(RtcpError::kInvalidArgument);
  ByteWriter w(out);
  const auto start = begin_packet(w, kFmtGenericNack, kPtRtpFeedback);
  w.u32(sender_ssrc);
  w.u32(media_ssrc);
  pack(lost, [&](const NackItem& it) {
    w.u16(it.pid);
    w.u16(it.blp);
  });
  end_packet(w, start);
  if (!w.ok()) return unexpected(RtcpError::kBufferTooSmall);
  return w.offset();
}

}  // namespace jvb::rtcp
