// RTP header view, header-extension walk and in-place edits (RFC 3550 §5.1, RFC 8285 §4).
#include "bridge/rtp/rtp_packet.hpp"

#include <algorithm>
#include <cstring>

#include "bridge/core/byte_reader.hpp"
#include "bridge/core/byte_writer.hpp"

namespace jvb::rtp {

const char* rtp_error_name(RtpError error) {
  switch (error) {
    case RtpError::kTooShort:
      return "too_short";
    case RtpError::kBadVersion:
      return "bad_version";
    case RtpError::kCsrcTruncated:
      return "csrc_truncated";
    case RtpError::kExtensionTruncated:
      return "extension_truncated";
    case RtpError::kBadExtension:
      return "bad_extension";
    case RtpError::kBadPadding:
      return "bad_padding";
    case RtpError::kBadExtensionValue:
      return "bad_extension_value";
    case RtpError::kBufferTooSmall:
      return "buffer_too_small";
  }
  return "unknown";
}

namespace {

ExtensionProfile profile_of(std::uint16_t id) {
  if (id == kOneByteProfile) return ExtensionProfile::kOneByte;
  if ((id & 0xFFF0) == kTwoByteProfile) return ExtensionProfile::kTwoByte;
  return ExtensionProfile::kOther;
}

}  // namespace

std::optional<HeaderExtension> HeaderExtensionIterator::next() {
  if (profile_ != ExtensionProfile::kOneByte && profile_ != ExtensionProfile::kTwoByte) return std::nullopt;
  while (pos_ < elements_.size()) {
    const std::uint8_t first = elements_[pos_];
    if (first == 0) {  // padding between or after elements (RFC 8285 §4.2, §4.3)
      ++pos_;
      continue;
    }
    std::uint8_t id = 0;
    std::size_t length = 0;
    std::size_t header = 0;
    if (profile_ == ExtensionProfile::kOneByte) {
      id = first >> 4;
      // Id 15: stop processing the block here, ignoring its length (RFC 8285 §4.2).
      if (id == 15) {
        pos_ = elements_.size();
        return std::nullopt;
      }
      // Id 0 is reserved for padding bytes, which are all zero (RFC 8285 §4.2).
      if (id == 0) {
        malformed_ = true;
        pos_ = elements_.size();
        return std::nullopt;
      }
      length = (first & 0x0F) + 1u;
      header = 1;
    } else {
      if (pos_ + 1 >= elements_.size()) {
        malformed_ = true;
        pos_ = elements_.size();
        return std::nullopt;
      }
      id = first;
      length = elements_[pos_ + 1];
      header = 2;
    }
    if (elements_.size() - pos_ - header < length) {
      malformed_ = true;
      pos_ = elements_.size();
      return std::nullopt;
    }
    HeaderExtension ext;
    ext.id = id;
    ext.data = elements_.subspan(pos_ + header, length);
    ext.offset = base_offset_ + pos_ + header;
    pos_ += header + length;
    return ext;
  }
  return std::nullopt;
}

Result<RtpPacket, RtpError> RtpPacket::parse(std::span<const std::uint8_t> packet) {
  ByteReader r(packet);
  if (packet.size() < kFixedHeaderSize) return unexpected(RtpError::kTooShort);
  RtpPacket p;
  p.bytes_ = packet;
  const std::uint8_t b0 = r.u8();
  if ((b0 >> 6) != 2) return unexpected(RtpError::kBadVersion);
  r.u8();
  p.sequence_number_ = r.u16();
  p.timestamp_ = r.u32();
  p.ssrc_ = r.u32();
  if (!r.skip(4u * (b0 & 0x0F))) return unexpected(RtpError::kCsrcTruncated);
  if (b0 & 0x10) {
    p.profile_id_ = r.u16();
    const std::size_t words = r.u16();
    if (!r.ok()) return unexpected(RtpError::kExtensionTruncated);
    p.profile_ = profile_of(p.profile_id_);
    p.extension_offset_ = r.offset();
    p.extension_size_ = 4 * words;
    if (!r.skip(p.extension_size_)) return unexpected(RtpError::kExtensionTruncated);
    // Validate every element now so that iteration cannot fail later.
    auto it = p.extensions();
    while (it.next()) {
    }
    if (it.malformed()) return unexpected(RtpError::kBadExtension);
  } else {
    p.extension_offset_ = r.offset();
  }
  p.header_size_ = r.offset();
  std::size_t rest = r.remaining();
  if (b0 & 0x20) {
    // The last byte counts the padding bytes, itself included (RFC 3550 §5.1).
    const std::size_t count = rest == 0 ? 0 : packet[packet.size() - 1];
    if (count == 0 || count > rest) return unexpected(RtpError::kBadPadding);
    p.padding_size_ = count;
    rest -= count;
  }
  p.payload_size_ = rest;
  return p;
}

std::uint32_t RtpPacket::csrc(std::size_t i) const {
  if (i >= csrc_count()) return 0;
  ByteReader r(bytes_.subspan(kFixedHeaderSize + 4 * i, 4));
  return r.u32();
}

std::optional<HeaderExtension> RtpPacket::find_extension(std::uint8_t id) const {
  auto it = extensions();
  while (auto ext = it.next()) {
    if (ext->id == id) return ext;
  }
  return std::nullopt;
}

namespace {

void put_u16(std::span<std::uint8_t> out, std::size_t at, std::uint16_t v) {
  out[at] = static_cast<std::uint8_t>(v >> 8);
  out[at + 1] = static_cast<std::uint8_t>(v);
}
void put_u32(std::span<std::uint8_t> out, std::size_t at, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) out[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

}  // namespace

bool set_sequence_number(std::span<std::uint8_t> packet, std::uint16_t seq) {
  if (packet.size() < kFixedHeaderSize) return false;
  put_u16(packet, 2, seq);
  return true;
}

bool set_timestamp(std::span<std::uint8_t> packet, std::uint32_t timestamp) {
  if (packet.size() < kFixedHeaderSize) return false;
  put_u32(packet, 4, timestamp);
  return true;
}

bool set_ssrc(std::span<std::uint8_t> packet, std::uint32_t ssrc) {
  if (packet.size() < kFixedHeaderSize) return false;
  put_u32(packet, 8, ssrc);
  return true;
}

bool set_payload_type(std::span<std::uint8_t> packet, std::uint8_t payload_type) {
  if (packet.size() < kFixedHeaderSize) return false;
  packet[1] = static_cast<std::uint8_t>((packet[1] & 0x80) | (payload_type & 0x7F));
  return true;
}

bool set_marker(std::span<std::uint8_t> packet, bool marker) {
  if (packet.size() < kFixedHeaderSize) return false;
  packet[1] = static_cast<std::uint8_t>((packet[1] & 0x7F) | (marker ? 0x80 : 0));
  return true;
}

Result<std::size_t, RtpError> strip_header_extensions(std::span<std::uint8_t> packet,
                                                      const ExtensionIdSet& keep) {
  auto parsed = RtpPacket::parse(packet);
  if (!parsed) return unexpected(parsed.error());
  const RtpPacket& p = *parsed;
  if (!p.has_extension()) return packet.size();

  const std::size_t block_start = p.extension_elements_offset() - 4;  // the profile field
  const std::size_t elements_start = p.extension_elements_offset();
  const std::size_t old_end = elements_start + p.extension_elements().size();
  std::size_t write = elements_start;
  const bool rfc8285 = p.extension_profile() == ExtensionProfile::kOneByte ||
                       p.extension_profile() == ExtensionProfile::kTwoByte;
  if (rfc8285) {
    const std::size_t header = p.extension_profile() == ExtensionProfile::kOneByte ? 1 : 2;
    auto it = p.extensions();
    // Kept elements move towards the block start; the write position never passes the read
    // position, so memmove over the same buffer is safe.
    while (auto ext = it.next()) {
      if (!keep.contains(ext->id)) continue;
      const std::size_t from = ext->offset - header;
      const std::size_t n = header + ext->data.size();
      if (write != from) std::memmove(packet.data() + write, packet.data() + from, n);
      write += n;
    }
  }
  std::size_t new_end = 0;
  if (write == elements_start) {
    // Nothing kept: remove the 4-byte extension header too and clear X.
    new_end = block_start;
    packet[0] = static_cast<std::uint8_t>(packet[0] & ~0x10);
  } else {
    new_end = (write + 3) & ~std::size_t{3};  // relative to a 4-aligned elements_start
    std::fill(packet.begin() + static_cast<std::ptrdiff_t>(write),
              packet.begin() + static_cast<std::ptrdiff_t>(new_end), std::uint8_t{0});
    put_u16(packet, block_start + 2, static_cast<std::uint16_t>((new_end - elements_start) / 4));
  }
  const std::size_t tail = packet.size() - old_end;  // payload and padding
  if (new_end != old_end) std::memmove(packet.data() + new_end, packet.data() + old_end, tail);
  return new_end + tail;
}

Result<std::size_t, RtpError> remove_padding(std::span<std::uint8_t> packet) {
  auto parsed = RtpPacket::parse(packet);
  if (!parsed) return unexpected(parsed.error());
  if (!parsed->has_padding()) return packet.size();
  packet[0] = static_cast<std::uint8_t>(packet[0] & ~0x20);
  return parsed->header_size() + parsed->payload_size();
}

ExtensionProfile choose_extension_profile(std::span<const ExtensionElement> elements) {
  if (elements.empty()) return ExtensionProfile::kNone;
  for (const auto& e : elements) {
    if (e.id > kOneByteMaxId || e.data.empty() || e.data.size() > kOneByteMaxLength) {
      return ExtensionProfile::kTwoByte;
    }
  }
  return ExtensionProfile::kOneByte;
}

Result<std::size_t, RtpError> write_rtp_header(std::span<std::uint8_t> out, const RtpHeaderFields& fields,
                                               std::span<const ExtensionElement> extensions) {
  if (fields.csrcs.size() > 15) return unexpected(RtpError::kBadExtension);
  const ExtensionProfile profile = choose_extension_profile(extensions);
  for (const auto& e : extensions) {
    if (e.id == 0 || e.data.size() > 255) return unexpected(RtpError::kBadExtension);
  }
  ByteWriter w(out);
  const bool x = profile != ExtensionProfile::kNone;
  w.u8(static_cast<std::uint8_t>(0x80 | (x ? 0x10 : 0) | fields.csrcs.size()));
  w.u8(static_cast<std::uint8_t>((fields.marker ? 0x80 : 0) | (fields.payload_type & 0x7F)));
  w.u16(fields.sequence_number);
  w.u32(fields.timestamp);
  w.u32(fields.ssrc);
  for (auto c : fields.csrcs) w.u32(c);
  if (x) {
    w.u16(profile == ExtensionProfile::kOneByte ? kOneByteProfile : kTwoByteProfile);
    const std::size_t length_at = w.offset();
    w.u16(0);
    const std::size_t start = w.offset();
    for (const auto& e : extensions) {
      if (profile == ExtensionProfile::kOneByte) {
        w.u8(static_cast<std::uint8_t>((e.id << 4) | (e.data.size() - 1)));
      } else {
        w.u8(e.id);
        w.u8(static_cast<std::uint8_t>(e.data.size()));
      }
      w.bytes(e.data);
    }
    const std::size_t used = w.offset() - start;
    w.zeros((4 - used % 4) % 4);
    if (w.ok() && (w.offset() - start) / 4 > 0xFFFF) return unexpected(RtpError::kBadExtension);
    w.patch_u16(length_at, static_cast<std::uint16_t>((w.offset() - start) / 4));
  }
  if (!w.ok()) return unexpected(RtpError::kBufferTooSmall);
  return w.offset();
}

}  // namespace jvb::rtp
