// H.264 RTP payload (RFC 6184 §5.6-§5.8) and SPS (H.264 §7.3.2.1.1, §7.4.2.1.1).
#include "bridge/codecs/h264_payload.hpp"

#include "bridge/codecs/bit_io.hpp"
#include "bridge/core/byte_reader.hpp"

namespace jvb::codecs {

namespace {

bool is_slice_with_first_mb(std::uint8_t type) {
  // Partitions B and C (3, 4) start with slice_id, not first_mb_in_slice.
  return type == 1 || type == 2 || type == kH264NalIdr;
}

bool opens_access_unit(std::uint8_t type) {
  return type == kH264NalSei || type == kH264NalSps || type == kH264NalPps || type == kH264NalAud;
}

// Records a NAL unit beginning in the packet. `slice_header` is where the slice header starts
// (after the NAL header byte, which an FU-A leaves out).
void add_nal(H264Packet& p, std::uint8_t type, std::uint8_t nri, bool fragment,
             std::span<const std::uint8_t> bytes, std::span<const std::uint8_t> slice_header) {
  H264Nal nal;
  nal.type = type;
  nal.nri = nri;
  nal.fragment = fragment;
  nal.bytes = bytes;
  // first_mb_in_slice is ue(v): the value 0 is the single bit 1.
  nal.first_slice_of_picture =
      is_slice_with_first_mb(type) && !slice_header.empty() && (slice_header[0] & 0x80);
  if (type == kH264NalIdr) p.has_idr = true;
  if (type == kH264NalSps) p.has_sps = true;
  if (type == kH264NalPps) p.has_pps = true;
  if (type == kH264NalIdr && nal.first_slice_of_picture) p.starts_idr_picture = true;
  if (p.nal_count == 0) p.starts_access_unit = opens_access_unit(type) || nal.first_slice_of_picture;
  ++p.nal_count;
  if (p.listed_nals < kH264MaxListedNals) p.nals[p.listed_nals++] = nal;
}

bool is_nal_unit_type(std::uint8_t type) { return type >= 1 && type <= 23; }

bool is_high_profile(std::uint8_t profile_idc) {
  switch (profile_idc) {
    case 100:
    case 110:
    case 122:
    case 244:
    case 44:
    case 83:
    case 86:
    case 118:
    case 128:
    case 138:
    case 139:
    case 134:
    case 135:
      return true;
    default:
      return false;
  }
}

// Far beyond any level's limit (level 6.2 allows 139264 macroblocks per frame) and small
// enough that pixel arithmetic cannot overflow.
constexpr std::uint32_t kMaxMbsPerDimension = 8192;

}  // namespace

const char* h264_error_name(H264Error error) {
  switch (error) {
    case H264Error::kEmpty:
      return "empty";
    case H264Error::kTruncated:
      return "truncated";
    case H264Error::kMalformed:
      return "malformed";
    case H264Error::kNotSps:
      return "not_sps";
    case H264Error::kScratchTooSmall:
      return "scratch_too_small";
  }
  return "unknown";
}

Result<H264Packet, H264Error> parse_h264_payload(std::span<const std::uint8_t> rtp_payload) {
  if (rtp_payload.empty()) return unexpected(H264Error::kEmpty);
  H264Packet p;
  const std::uint8_t b0 = rtp_payload[0];
  p.forbidden_bit = (b0 & 0x80) != 0;
  p.nri = static_cast<std::uint8_t>((b0 >> 5) & 0x03);
  const std::uint8_t type = b0 & 0x1F;

  if (is_nal_unit_type(type)) {
    p.packetization = H264Packetization::kSingleNal;
    add_nal(p, type, p.nri, false, rtp_payload, rtp_payload.subspan(1));
    return p;
  }
  switch (type) {
    case kH264StapA: {
      p.packetization = H264Packetization::kStapA;
      ByteReader r(rtp_payload.subspan(1));
      if (r.remaining() == 0) return unexpected(H264Error::kMalformed);
      while (r.remaining() > 0) {
        const std::size_t size = r.u16();
        const auto unit = r.bytes(size);
        if (!r.ok()) return unexpected(H264Error::kTruncated);
        if (size == 0) return unexpected(H264Error::kMalformed);
        const std::uint8_t unit_type = unit[0] & 0x1F;
        if (!is_nal_unit_type(unit_type)) return unexpected(H264Error::kMalformed);
        add_nal(p, unit_type, static_cast<std::uint8_t>((unit[0] >> 5) & 0x03), false, unit, unit.subspan(1));
      }
      return p;
    }
    case kH264FuA: {
      p.packetization = H264Packetization::kFuA;
      if (rtp_payload.size() < 2) return unexpected(H264Error::kTruncated);
      const std::uint8_t fu = rtp_payload[1];
      p.fu_start = (fu & 0x80) != 0;
      p.fu_end = (fu & 0x40) != 0;
      p.fu_type = fu & 0x1F;
      // RFC 6184 §5.8: a NAL unit is never sent as one fragment.
      if (p.fu_start && p.fu_end) return unexpected(H264Error::kMalformed);
      if (!is_nal_unit_type(p.fu_type)) return unexpected(H264Error::kMalformed);
      const auto fragment = rtp_payload.subspan(2);
      if (p.fu_start) {
        add_nal(p, p.fu_type, p.nri, true, fragment, fragment);
      } else {
        p.has_idr = p.fu_type == kH264NalIdr;
        p.has_sps = p.fu_type == kH264NalSps;
        p.has_pps = p.fu_type == kH264NalPps;
      }
      return p;
    }
    case kH264StapB:
      p.packetization = H264Packetization::kStapB;
      return p;
    case kH264Mtap16:
      p.packetization = H264Packetization::kMtap16;
      return p;
    case kH264Mtap24:
      p.packetization = H264Packetization::kMtap24;
      return p;
    case kH264FuB:
      p.packetization = H264Packetization::kFuB;
      return p;
    default:  // 0, 30, 31: reserved
      return unexpected(H264Error::kMalformed);
  }
}

std::span<const std::uint8_t> find_h264_sps(const H264Packet& packet) {
  for (const H264Nal& nal : packet.listed()) {
    if (nal.type == kH264NalSps && !nal.fragment) return nal.bytes;
  }
  return {};
}

H264Unescaped unescape_h264_rbsp(std::span<const std::uint8_t> escaped, std::span<std::uint8_t> out) {
  H264Unescaped result;
  int zeros = 0;
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    const std::uint8_t b = escaped[i];
    if (zeros >= 2 && b == 0x03) {
      zeros = 0;
      continue;
    }
    if (result.size == out.size()) {
      result.complete = false;
      return result;
    }
    out[result.size++] = b;
    zeros = b == 0 ? zeros + 1 : 0;
  }
  return result;
}

Result<H264Sps, H264Error> parse_h264_sps(std::span<const std::uint8_t> sps_nal,
                                          std::span<std::uint8_t> scratch) {
  if (sps_nal.empty()) return unexpected(H264Error::kEmpty);
  if ((sps_nal[0] & 0x1F) != kH264NalSps) return unexpected(H264Error::kNotSps);
  const H264Unescaped rbsp = unescape_h264_rbsp(sps_nal.subspan(1), scratch);
  BitReader r(std::span<const std::uint8_t>(scratch).first(rbsp.size));
  // Reading past the end of what was unescaped is a short buffer if input was left over.
  const H264Error ended = rbsp.complete ? H264Error::kTruncated : H264Error::kScratchTooSmall;
  // A value out of range is only malformed if it was really read.
  auto bad = [&]() { return r.ok() ? H264Error::kMalformed : ended; };

  H264Sps s;
  s.profile_idc = static_cast<std::uint8_t>(r.bits(8));
  s.constraint_flags = static_cast<std::uint8_t>(r.bits(8));
  s.level_idc = static_cast<std::uint8_t>(r.bits(8));
  s.sps_id = r.ue();
  if (!r.ok() || s.sps_id > 31) return unexpected(bad());

  if (is_high_profile(s.profile_idc)) {
    s.chroma_format_idc = r.ue();
    if (!r.ok() || s.chroma_format_idc > 3) return unexpected(bad());
    if (s.chroma_format_idc == 3) s.separate_colour_plane = r.bit();
    const std::uint32_t luma = r.ue();
    const std::uint32_t chroma = r.ue();
    if (!r.ok() || luma > 6 || chroma > 6) return unexpected(bad());
    s.bit_depth_luma = luma + 8;
    s.bit_depth_chroma = chroma + 8;
    r.bit();        // qpprime_y_zero_transform_bypass_flag
    if (r.bit()) {  // seq_scaling_matrix_present_flag
      const int lists = s.chroma_format_idc != 3 ? 8 : 12;
      for (int i = 0; i < lists && r.ok(); ++i) {
        if (!r.bit()) continue;  // seq_scaling_list_present_flag[i]
        const int size = i < 6 ? 16 : 64;
        int last = 8;
        int next = 8;
        for (int j = 0; j < size && r.ok(); ++j) {
          if (next != 0) {
            const std::int32_t delta = r.se();
            if (!r.ok() || delta < -128 || delta > 127) return unexpected(bad());
            next = (last + delta + 256) % 256;
          }
          if (next != 0) last = next;
        }
      }
    }
    if (!r.ok()) return unexpected(ended);
  }

  const std::uint32_t log2_max_frame_num_minus4 = r.ue();
  const std::uint32_t poc_type = r.ue();
  if (!r.ok() || log2_max_frame_num_minus4 > 12 || poc_type > 2) return unexpected(bad());
  if (poc_type == 0) {
    if (r.ue() > 12) return unexpected(bad());  // log2_max_pic_order_cnt_lsb_minus4
  } else if (poc_type == 1) {
    r.bit();  // delta_pic_order_always_zero_flag
    r.se();   // offset_for_non_ref_pic
    r.se();   // offset_for_top_to_bottom_field
    const std::uint32_t cycle = r.ue();
    if (!r.ok() || cycle > 255) return unexpected(bad());
    for (std::uint32_t i = 0; i < cycle && r.ok(); ++i) r.se();  // offset_for_ref_frame[i]
  }
  s.max_num_ref_frames = r.ue();
  r.bit();  // gaps_in_frame_num_value_allowed_flag
  const std::uint32_t width_mbs_minus1 = r.ue();
  const std::uint32_t height_units_minus1 = r.ue();
  if (!r.ok() || width_mbs_minus1 >= kMaxMbsPerDimension || height_units_minus1 >= kMaxMbsPerDimension)
    return unexpected(bad());
  s.pic_width_in_mbs = width_mbs_minus1 + 1;
  s.pic_height_in_map_units = height_units_minus1 + 1;
  s.frame_mbs_only = r.bit();
  if (!s.frame_mbs_only) r.bit();  // mb_adaptive_frame_field_flag
  r.bit();                         // direct_8x8_inference_flag
  s.frame_cropping = r.bit();
  if (s.frame_cropping) {
    s.crop_left = r.ue();
    s.crop_right = r.ue();
    s.crop_top = r.ue();
    s.crop_bottom = r.ue();
  }
  if (!r.ok()) return unexpected(ended);

  // H.264 §7.4.2.1.1: crop units depend on the chroma sampling and on field coding.
  const std::uint64_t field_factor = s.frame_mbs_only ? 1 : 2;
  const std::uint32_t chroma_array_type = s.separate_colour_plane ? 0 : s.chroma_format_idc;
  std::uint64_t crop_unit_x = 1;
  std::uint64_t crop_unit_y = field_factor;
  if (chroma_array_type != 0) {
    crop_unit_x = s.chroma_format_idc == 3 ? 1 : 2;
    crop_unit_y = (s.chroma_format_idc == 1 ? 2 : 1) * field_factor;
  }
  const std::uint64_t width = std::uint64_t{s.pic_width_in_mbs} * 16;
  const std::uint64_t height = field_factor * s.pic_height_in_map_units * 16;
  const std::uint64_t crop_x = crop_unit_x * (std::uint64_t{s.crop_left} + s.crop_right);
  const std::uint64_t crop_y = crop_unit_y * (std::uint64_t{s.crop_top} + s.crop_bottom);
  if (crop_x >= width || crop_y >= height) return unexpected(H264Error::kMalformed);
  s.width = static_cast<std::uint32_t>(width - crop_x);
  s.height = static_cast<std::uint32_t>(height - crop_y);
  return s;
}

}  // namespace jvb::codecs
