// VP8 payload descriptor and payload header (RFC 7741 §4.2, §4.3; RFC 6386 §9.1).
#include "bridge/codecs/vp8_descriptor.hpp"

#include "bridge/core/byte_reader.hpp"

namespace jvb::codecs {

const char* vp8_error_name(Vp8Error error) {
  switch (error) {
    case Vp8Error::kEmpty:
      return "empty";
    case Vp8Error::kTruncated:
      return "truncated";
    case Vp8Error::kNoPayload:
      return "no_payload";
    case Vp8Error::kNoPictureId:
      return "no_picture_id";
    case Vp8Error::kNoTl0PicIdx:
      return "no_tl0picidx";
  }
  return "unknown";
}

Result<Vp8Descriptor, Vp8Error> parse_vp8_descriptor(std::span<const std::uint8_t> rtp_payload) {
  if (rtp_payload.empty()) return unexpected(Vp8Error::kEmpty);
  ByteReader r(rtp_payload);
  Vp8Descriptor d;
  const std::uint8_t b0 = r.u8();
  d.extended = (b0 & 0x80) != 0;
  d.non_reference = (b0 & 0x20) != 0;
  d.start_of_partition = (b0 & 0x10) != 0;
  d.partition_index = b0 & 0x07;
  if (d.extended) {
    const std::uint8_t x = r.u8();
    if (x & 0x80) {  // I
      d.picture_id_offset = r.offset();
      const std::uint8_t p0 = r.u8();
      if (p0 & 0x80) {  // M: 15-bit PictureID
        d.picture_id_15_bit = true;
        d.picture_id = static_cast<std::uint16_t>(((p0 & 0x7F) << 8) | r.u8());
      } else {
        d.picture_id = p0;
      }
    }
    if (x & 0x40) {  // L
      d.tl0_pic_idx_offset = r.offset();
      d.tl0_pic_idx = r.u8();
    }
    if (x & 0x30) {  // T or K: one shared byte
      const std::uint8_t t = r.u8();
      if (x & 0x20) {
        d.temporal_id = static_cast<std::uint8_t>(t >> 6);
        d.layer_sync = (t & 0x20) != 0;
      }
      if (x & 0x10) d.key_index = t & 0x1F;
    }
    if (!r.ok()) return unexpected(Vp8Error::kTruncated);
  }
  d.size = r.offset();
  if (r.remaining() == 0) return unexpected(Vp8Error::kNoPayload);
  return d;
}

Vp8FrameInfo parse_vp8_frame_info(const Vp8Descriptor& descriptor, std::span<const std::uint8_t> vp8_data) {
  Vp8FrameInfo info;
  if (!descriptor.is_start_of_frame() || vp8_data.empty()) return info;
  ByteReader r(vp8_data);
  const std::uint8_t b0 = r.u8();
  if (b0 & 0x01) return info;  // P = 1: interframe
  info.keyframe = true;
  r.skip(2);  // rest of the 3-byte frame tag
  const std::uint32_t start_code = r.u24();
  const std::uint8_t w0 = r.u8();
  const std::uint8_t w1 = r.u8();
  const std::uint8_t h0 = r.u8();
  const std::uint8_t h1 = r.u8();
  if (!r.ok() || start_code != 0x9D012A) return info;
  info.width = static_cast<std::uint16_t>((w0 | (w1 << 8)) & 0x3FFF);
  info.height = static_cast<std::uint16_t>((h0 | (h1 << 8)) & 0x3FFF);
  return info;
}

Result<std::uint16_t, Vp8Error> rewrite_vp8_picture_id(std::span<std::uint8_t> rtp_payload,
                                                       const Vp8Descriptor& descriptor,
                                                       std::uint16_t picture_id) {
  if (!descriptor.picture_id) return unexpected(Vp8Error::kNoPictureId);
  const std::size_t at = descriptor.picture_id_offset;
  const std::size_t width = descriptor.picture_id_15_bit ? 2 : 1;
  if (at == 0 || at + width > rtp_payload.size()) return unexpected(Vp8Error::kTruncated);
  if (descriptor.picture_id_15_bit) {
    const std::uint16_t v = picture_id & kPictureIdMask15;
    rtp_payload[at] = static_cast<std::uint8_t>(0x80 | (v >> 8));
    rtp_payload[at + 1] = static_cast<std::uint8_t>(v);
    return v;
  }
  const std::uint16_t v = picture_id & kPictureIdMask7;
  rtp_payload[at] = static_cast<std::uint8_t>(v);
  return v;
}

Result<std::uint8_t, Vp8Error> rewrite_vp8_tl0_pic_idx(std::span<std::uint8_t> rtp_payload,
                                                       const Vp8Descriptor& descriptor,
                                                       std::uint8_t tl0_pic_idx) {
  if (!descriptor.tl0_pic_idx) return unexpected(Vp8Error::kNoTl0PicIdx);
  const std::size_t at = descriptor.tl0_pic_idx_offset;
  if (at == 0 || at >= rtp_payload.size()) return unexpected(Vp8Error::kTruncated);
  rtp_payload[at] = tl0_pic_idx;
  return tl0_pic_idx;
}

}  // namespace jvb::codecs
