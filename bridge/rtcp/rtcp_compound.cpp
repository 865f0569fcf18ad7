// RTCP common header and compound packets (RFC 3550 §6.1, §6.4.1, Appendix A.2; RFC 5506).
#include "bridge/rtcp/rtcp_compound.hpp"

#include "bridge/core/byte_reader.hpp"

namespace jvb::rtcp {

const char* rtcp_error_name(RtcpError error) {
  switch (error) {
    case RtcpError::kTruncated:
      return "truncated";
    case RtcpError::kBadVersion:
      return "bad_version";
    case RtcpError::kBadPadding:
      return "bad_padding";
    case RtcpError::kWrongType:
      return "wrong_type";
    case RtcpError::kBadLength:
      return "bad_length";
    case RtcpError::kBadCount:
      return "bad_count";
    case RtcpError::kMalformed:
      return "malformed";
    case RtcpError::kBufferTooSmall:
      return "buffer_too_small";
    case RtcpError::kInvalidArgument:
      return "invalid_argument";
  }
  return "unknown";
}

Result<RtcpPacketView, RtcpError> parse_rtcp_packet(std::span<const std::uint8_t> data) {
  ByteReader r(data);
  const std::uint8_t b0 = r.u8();
  const std::uint8_t pt = r.u8();
  const std::size_t words = r.u16();
  if (!r.ok()) return unexpected(RtcpError::kTruncated);
  if ((b0 >> 6) != 2) return unexpected(RtcpError::kBadVersion);
  const std::size_t size = (words + 1) * 4;
  if (size > data.size()) return unexpected(RtcpError::kTruncated);
  RtcpPacketView v;
  v.padding = (b0 & 0x20) != 0;
  v.count = b0 & 0x1F;
  v.packet_type = pt;
  v.packet = data.first(size);
  std::size_t body = size - kHeaderSize;
  if (v.padding) {
    // The last octet counts the padding, itself included (RFC 3550 §6.4.1).
    const std::size_t pad = v.packet[size - 1];
    if (pad == 0 || pad > body) return unexpected(RtcpError::kBadPadding);
    body -= pad;
  }
  v.body = v.packet.subspan(kHeaderSize, body);
  return v;
}

std::optional<RtcpPacketView> RtcpCompoundIterator::next() {
  if (error_ || rest_.empty()) return std::nullopt;
  auto p = parse_rtcp_packet(rest_);
  if (!p) {
    error_ = p.error();
    rest_ = {};
    return std::nullopt;
  }
  rest_ = rest_.subspan(p->packet.size());
  if (p->padding && !rest_.empty()) {
    error_ = RtcpError::kBadPadding;
    rest_ = {};
    return std::nullopt;
  }
  return *p;
}

Result<std::size_t, RtcpError> validate_compound(std::span<const std::uint8_t> compound) {
  if (compound.empty()) return unexpected(RtcpError::kTruncated);
  RtcpCompoundIterator it(compound);
  std::size_t n = 0;
  while (it.next()) ++n;
  if (it.error()) return unexpected(*it.error());
  return n;
}

std::size_t begin_packet(ByteWriter& w, std::uint8_t count, std::uint8_t packet_type) {
  const std::size_t start = w.offset();
  w.u8(static_cast<std::uint8_t>(0x80 | (count & 0x1F)));
  w.u8(packet_type);
  w.u16(0);
  return start;
}

void end_packet(ByteWriter& w, std::size_t start) {
  const std::size_t size = w.offset() - start;
  w.zeros((4 - size % 4) % 4);
  const std::size_t words = (w.offset() - start) / 4 - 1;
  if (words > 0xFFFF) {
    w.set_failed();  // cannot be expressed in the length field
    return;
  }
  w.patch_u16(start + 2, static_cast<std::uint16_t>(words));
}

}  // namespace jvb::rtcp
