// libFuzzer target for bridge/codecs/vp9_descriptor: the input as a VP9 RTP payload and as a
// whole RTP packet. Checks that fields, offsets and the picture-group view stay inside the
// payload, and that rewriting the picture ID and TL0PICIDX changes only those bytes, keeps the
// descriptor's layout and round-trips back to the original bytes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "bridge/codecs/vp9_descriptor.hpp"
#include "bridge/rtp/rtp_packet.hpp"

namespace {

using namespace jvb::codecs;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool same_layout(const Vp9Descriptor& a, const Vp9Descriptor& b) {
  return a.size == b.size && a.inter_picture_predicted == b.inter_picture_predicted &&
         a.flexible_mode == b.flexible_mode && a.start_of_frame == b.start_of_frame &&
         a.end_of_frame == b.end_of_frame && a.not_upper_level_reference == b.not_upper_level_reference &&
         a.picture_id.has_value() == b.picture_id.has_value() && a.picture_id_15_bit == b.picture_id_15_bit &&
         a.has_layer_indices == b.has_layer_indices && a.temporal_id == b.temporal_id &&
         a.switching_up_point == b.switching_up_point && a.spatial_id == b.spatial_id &&
         a.inter_layer_dependency == b.inter_layer_dependency &&
         a.tl0_pic_idx.has_value() == b.tl0_pic_idx.has_value() && a.reference_count == b.reference_count &&
         a.p_diffs == b.p_diffs &&
         a.scalability_structure.has_value() == b.scalability_structure.has_value() &&
         a.picture_id_offset == b.picture_id_offset && a.tl0_pic_idx_offset == b.tl0_pic_idx_offset &&
         a.is_keyframe() == b.is_keyframe();
}

void check_structure(const Vp9ScalabilityStructure& ss) {
  check(ss.spatial_layers >= 1 && ss.spatial_layers <= kVp9MaxSpatialLayers);
  if (!ss.has_resolutions)
    for (const Vp9Resolution& r : ss.resolutions) check(r.width == 0 && r.height == 0);
  check(ss.has_picture_group || ss.picture_group.empty());
  check(ss.picture_group.size() <= 255);
  std::size_t walked = 0;
  std::uint8_t highest = 0;
  for (const Vp9PictureGroupEntry e : ss.picture_group) {
    check(e.temporal_id < 8 && e.reference_count <= kVp9MaxReferences);
    for (std::size_t i = e.reference_count; i < kVp9MaxReferences; ++i) check(e.p_diffs[i] == 0);
    if (e.temporal_id > highest) highest = e.temporal_id;
    ++walked;
  }
  check(walked == ss.picture_group.size());
  check(ss.temporal_layers() == highest + 1);
}

void exercise(std::span<const std::uint8_t> payload, std::uint16_t new_picture_id, std::uint8_t new_tl0) {
  auto d = parse_vp9_descriptor(payload);
  if (!d) {
    (void)vp9_error_name(d.error());
    return;
  }
  check(d->size >= 1 && d->size < payload.size());
  check(d->picture_id.has_value() == (d->picture_id_offset != 0));
  check(d->tl0_pic_idx.has_value() == (d->tl0_pic_idx_offset != 0));
  check(d->tl0_pic_idx.has_value() == (d->has_layer_indices && !d->flexible_mode));
  if (d->picture_id) {
    check(d->picture_id_offset == 1);
    check(*d->picture_id <= (d->picture_id_15_bit ? 0x7FFF : 0x7F));
  }
  if (d->tl0_pic_idx)
    check(d->tl0_pic_idx_offset < d->size && payload[d->tl0_pic_idx_offset] == *d->tl0_pic_idx);
  check(d->temporal_id < 8 && d->spatial_id < 8);
  check(d->reference_count <= kVp9MaxReferences);
  check(d->reference_count == 0 || (d->flexible_mode && d->inter_picture_predicted));
  if (d->flexible_mode && d->inter_picture_predicted) check(d->reference_count >= 1);
  for (std::size_t i = 0; i < d->reference_count; ++i) check(d->p_diffs[i] < 128);
  check(d->scalability_structure.has_value() == ((payload[0] & 0x02) != 0));
  if (d->scalability_structure) check_structure(*d->scalability_structure);
  check(d->is_start_of_frame() == is_vp9_start_of_frame(payload));
  check(d->is_end_of_frame() == is_vp9_end_of_frame(payload));
  check(d->is_keyframe() == (!d->inter_picture_predicted &&
                             (!d->has_layer_indices || d->spatial_id == 0 || !d->inter_layer_dependency)));

  std::vector<std::uint8_t> copy(payload.begin(), payload.end());
  auto pid = rewrite_vp9_picture_id(copy, *d, new_picture_id);
  auto tl0 = rewrite_vp9_tl0_pic_idx(copy, *d, new_tl0);
  check(pid.has_value() == (d->picture_id.has_value() && d->picture_id_15_bit));
  if (!pid) check(pid.error() == (d->picture_id ? Vp9Error::kPictureIdNot15Bit : Vp9Error::kNoPictureId));
  check(tl0.has_value() == d->tl0_pic_idx.has_value());
  auto after = parse_vp9_descriptor(copy);
  check(after.has_value());
  check(same_layout(*d, *after));
  if (pid) check(*after->picture_id == *pid && *pid == (new_picture_id & 0x7FFF));
  if (!pid) check(after->picture_id == d->picture_id);
  if (tl0) check(after->tl0_pic_idx == new_tl0);
  for (std::size_t i = 0; i < copy.size(); ++i) {
    const bool in_pid = pid && (i == d->picture_id_offset || i == d->picture_id_offset + 1);
    const bool in_tl0 = tl0 && i == d->tl0_pic_idx_offset;
    if (!in_pid && !in_tl0) check(copy[i] == payload[i]);
  }
  if (after->scalability_structure) {
    const auto& a = *after->scalability_structure;
    const auto& b = *d->scalability_structure;
    check(a.spatial_layers == b.spatial_layers && a.resolutions == b.resolutions &&
          a.picture_group.size() == b.picture_group.size() && a.temporal_layers() == b.temporal_layers());
  }

  // Writing the original values back restores the original bytes.
  if (pid) check(rewrite_vp9_picture_id(copy, *after, *d->picture_id).has_value());
  if (tl0) check(rewrite_vp9_tl0_pic_idx(copy, *after, *d->tl0_pic_idx).has_value());
  for (std::size_t i = 0; i < copy.size(); ++i) check(copy[i] == payload[i]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  const std::uint16_t pid =
      size >= 2 ? static_cast<std::uint16_t>((data[size - 2] << 8) | data[size - 1]) : 0x4321;
  const std::uint8_t tl0 = size >= 3 ? data[size - 3] : 0x5A;
  exercise(input, pid, tl0);
  if (auto rtp = jvb::rtp::RtpPacket::parse(input)) exercise(rtp->payload(), pid, tl0);
  return 0;
}
