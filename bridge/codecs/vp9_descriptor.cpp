// VP9 payload descriptor and scalability structure (RFC 9628 §4.2, §4.2.1).
#include "bridge/codecs/vp9_descriptor.hpp"

#include <algorithm>

#include "bridge/core/byte_reader.hpp"

namespace jvb::codecs {

namespace {

// Reads the SS at the reader's position; the picture group becomes a view on the bytes read.
bool read_scalability_structure(ByteReader& r, Vp9ScalabilityStructure& ss) {
  const std::uint8_t head = r.u8();
  ss.spatial_layers = static_cast<std::uint8_t>((head >> 5) + 1);
  ss.has_resolutions = (head & 0x10) != 0;
  ss.has_picture_group = (head & 0x08) != 0;
  if (ss.has_resolutions) {
    for (std::size_t i = 0; i < ss.spatial_layers; ++i) {
      ss.resolutions[i].width = r.u16();
      ss.resolutions[i].height = r.u16();
    }
  }
  if (ss.has_picture_group) {
    const std::size_t count = r.u8();
    const std::size_t start = r.offset();
    for (std::size_t i = 0; i < count && r.ok(); ++i) {
      const std::uint8_t entry = r.u8();
      r.skip((entry >> 2) & 0x03);  // R P_DIFFs
    }
    if (!r.ok()) return false;
    ss.picture_group = Vp9PictureGroup(r.data().subspan(start, r.offset() - start), count);
  }
  return r.ok();
}

}  // namespace

const char* vp9_error_name(Vp9Error error) {
  switch (error) {
    case Vp9Error::kEmpty:
      return "empty";
    case Vp9Error::kTruncated:
      return "truncated";
    case Vp9Error::kNoPayload:
      return "no_payload";
    case Vp9Error::kTooManyReferences:
      return "too_many_references";
    case Vp9Error::kNoPictureId:
      return "no_picture_id";
    case Vp9Error::kPictureIdNot15Bit:
      return "picture_id_not_15_bit";
    case Vp9Error::kNoTl0PicIdx:
      return "no_tl0picidx";
  }
  return "unknown";
}

Vp9PictureGroupEntry Vp9PictureGroup::Iterator::operator*() const {
  Vp9PictureGroupEntry e;
  const std::uint8_t head = at_[0];
  e.temporal_id = static_cast<std::uint8_t>(head >> 5);
  e.switching_up_point = (head & 0x10) != 0;
  e.reference_count = static_cast<std::uint8_t>((head >> 2) & 0x03);
  for (std::size_t i = 0; i < e.reference_count; ++i) e.p_diffs[i] = at_[1 + i];
  return e;
}

Vp9PictureGroup::Iterator& Vp9PictureGroup::Iterator::operator++() {
  // The entries were bounds-checked when the descriptor was parsed.
  at_ += 1 + ((at_[0] >> 2) & 0x03);
  --left_;
  return *this;
}

std::uint8_t Vp9ScalabilityStructure::temporal_layers() const {
  std::uint8_t highest = 0;
  for (const Vp9PictureGroupEntry e : picture_group) highest = std::max(highest, e.temporal_id);
  return static_cast<std::uint8_t>(highest + 1);
}

Result<Vp9Descriptor, Vp9Error> parse_vp9_descriptor(std::span<const std::uint8_t> rtp_payload) {
  if (rtp_payload.empty()) return unexpected(Vp9Error::kEmpty);
  ByteReader r(rtp_payload);
  Vp9Descriptor d;
  const std::uint8_t b0 = r.u8();
  const bool has_picture_id = (b0 & 0x80) != 0;
  d.inter_picture_predicted = (b0 & 0x40) != 0;
  d.has_layer_indices = (b0 & 0x20) != 0;
  d.flexible_mode = (b0 & 0x10) != 0;
  d.start_of_frame = (b0 & 0x08) != 0;
  d.end_of_frame = (b0 & 0x04) != 0;
  const bool has_ss = (b0 & 0x02) != 0;
  d.not_upper_level_reference = (b0 & 0x01) != 0;

  if (has_picture_id) {
    d.picture_id_offset = r.offset();
    const std::uint8_t p0 = r.u8();
    if (p0 & 0x80) {  // M: 15-bit picture ID
      d.picture_id_15_bit = true;
      d.picture_id = static_cast<std::uint16_t>(((p0 & 0x7F) << 8) | r.u8());
    } else {
      d.picture_id = p0;
    }
  }
  if (d.has_layer_indices) {
    const std::uint8_t l = r.u8();
    d.temporal_id = static_cast<std::uint8_t>(l >> 5);
    d.switching_up_point = (l & 0x10) != 0;
    d.spatial_id = static_cast<std::uint8_t>((l >> 1) & 0x07);
    d.inter_layer_dependency = (l & 0x01) != 0;
    if (!d.flexible_mode) {
      d.tl0_pic_idx_offset = r.offset();
      d.tl0_pic_idx = r.u8();
    }
  }
  if (d.flexible_mode && d.inter_picture_predicted) {
    bool more = true;
    while (more && r.ok()) {
      if (d.reference_count == kVp9MaxReferences) return unexpected(Vp9Error::kTooManyReferences);
      const std::uint8_t p = r.u8();
      d.p_diffs[d.reference_count++] = static_cast<std::uint8_t>(p >> 1);
      more = (p & 0x01) != 0;
    }
  }
  if (has_ss) {
    Vp9ScalabilityStructure ss;
    if (!read_scalability_structure(r, ss)) return unexpected(Vp9Error::kTruncated);
    d.scalability_structure = ss;
  }
  if (!r.ok()) return unexpected(Vp9Error::kTruncated);
  d.size = r.offset();
  if (r.remaining() == 0) return unexpected(Vp9Error::kNoPayload);
  return d;
}

Result<std::uint16_t, Vp9Error> rewrite_vp9_picture_id(std::span<std::uint8_t> rtp_payload,
                                                       const Vp9Descriptor& descriptor,
                                                       std::uint16_t picture_id) {
  if (!descriptor.picture_id) return unexpected(Vp9Error::kNoPictureId);
  if (!descriptor.picture_id_15_bit) return unexpected(Vp9Error::kPictureIdNot15Bit);
  const std::size_t at = descriptor.picture_id_offset;
  if (at == 0 || at + 2 > rtp_payload.size()) return unexpected(Vp9Error::kTruncated);
  const std::uint16_t v = picture_id & 0x7FFF;
  rtp_payload[at] = static_cast<std::uint8_t>(0x80 | (v >> 8));
  rtp_payload[at + 1] = static_cast<std::uint8_t>(v);
  return v;
}

Result<std::uint8_t, Vp9Error> rewrite_vp9_tl0_pic_idx(std::span<std::uint8_t> rtp_payload,
                                                       const Vp9Descriptor& descriptor,
                                                       std::uint8_t tl0_pic_idx) {
  if (!descriptor.tl0_pic_idx) return unexpected(Vp9Error::kNoTl0PicIdx);
  const std::size_t at = descriptor.tl0_pic_idx_offset;
  if (at == 0 || at >= rtp_payload.size()) return unexpected(Vp9Error::kTruncated);
  rtp_payload[at] = tl0_pic_idx;
  return tl0_pic_idx;
}

}  // namespace jvb::codecs
