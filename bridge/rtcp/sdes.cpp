// Source Description packets (RFC 3550 §6.5).
#include "bridge/rtcp/sdes.hpp"

#include "bridge/core/byte_reader.hpp"

namespace jvb::rtcp {

namespace {

// Reads one chunk at `pos` of `body`; returns the offset of the next chunk, or nullopt if the
// chunk is malformed.
std::optional<std::size_t> read_chunk(std::span<const std::uint8_t> body, std::size_t pos, SdesChunk& out) {
  ByteReader r(body.subspan(pos));
  out = SdesChunk{};
  out.ssrc = r.u32();
  if (!r.ok()) return std::nullopt;
  for (;;) {
    const std::uint8_t type = r.u8();
    if (!r.ok()) return std::nullopt;
    if (type == 0) break;  // end of the item list
    const std::uint8_t length = r.u8();
    auto text = r.bytes(length);
    if (!r.ok()) return std::nullopt;
    if (type == kSdesCname && out.cname.empty()) {
      out.cname = std::string_view(reinterpret_cast<const char*>(text.data()), text.size());
    }
  }
  // The terminating zero is followed by zeros up to the next 32-bit boundary (RFC 3550 §6.5).
  const std::size_t used = r.offset();
  const std::size_t pad = (4 - used % 4) % 4;
  auto zeros = r.bytes(pad);
  if (!r.ok()) return std::nullopt;
  for (auto z : zeros) {
    if (z != 0) return std::nullopt;
  }
  return pos + r.offset();
}

}  // namespace

std::optional<SdesChunk> SdesChunkIterator::next() {
  if (left_ == 0) return std::nullopt;
  SdesChunk c;
  auto next_pos = read_chunk(body_, pos_, c);
  if (!next_pos) {
    left_ = 0;
    return std::nullopt;
  }
  pos_ = *next_pos;
  --left_;
  return c;
}

Result<Sdes, RtcpError> Sdes::parse(const RtcpPacketView& packet) {
  if (packet.packet_type != kPtSdes) return unexpected(RtcpError::kWrongType);
  std::size_t pos = 0;
  for (std::size_t i = 0; i < packet.count; ++i) {
    SdesChunk c;
    auto next_pos = read_chunk(packet.body, pos, c);
    if (!next_pos)
      return unexpected(pos >= packet.body.size() ? RtcpError::kBadCount : RtcpError::kMalformed);
    pos = *next_pos;
  }
  Sdes s;
  s.body_ = packet.body;
  s.count_ = packet.count;
  return s;
}

Result<std::size_t, RtcpError> write_sdes_cname(std::span<std::uint8_t> out, std::uint32_t ssrc,
                                                std::string_view cname) {
  if (cname.empty() || cname.size() > 255) return unexpected(RtcpError::kInvalidArgument);
  ByteWriter w(out);
  const auto start = begin_packet(w, 1, kPtSdes);
  w.u32(ssrc);
  w.u8(kSdesCname);
  w.u8(static_cast<std::uint8_t>(cname.size()));
  w.bytes(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(cname.data()), cname.size()));
  w.u8(0);  // end of items; end_packet pads with zeros to the 32-bit boundary
  end_packet(w, start);
  if (!w.ok()) return unexpected(RtcpError::kBufferTooSmall);
  return w.offset();
}

}  // namespace jvb::rtcp
