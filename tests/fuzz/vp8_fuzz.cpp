// libFuzzer target for bridge/codecs/vp8_descriptor: the input as a VP8 RTP payload and as a
// whole RTP packet. Checks that views and offsets stay inside the payload, and that rewriting
// PictureID and TL0PICIDX changes only those bytes and keeps the descriptor's layout.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "bridge/codecs/vp8_descriptor.hpp"
#include "bridge/rtp/rtp_packet.hpp"

namespace {

using namespace jvb::codecs;

void check(bool ok) {
  if (!ok) std::abort();
}

void exercise(std::span<const std::uint8_t> payload, std::uint16_t new_picture_id, std::uint8_t new_tl0) {
  auto d = parse_vp8_descriptor(payload);
  if (!d) {
    (void)vp8_error_name(d.error());
    return;
  }
  check(d->size >= 1 && d->size < payload.size());
  check(d->picture_id.has_value() == (d->picture_id_offset != 0));
  check(d->tl0_pic_idx.has_value() == (d->tl0_pic_idx_offset != 0));
  if (d->picture_id) check(d->picture_id_offset + (d->picture_id_15_bit ? 2 : 1) <= d->size);
  if (d->tl0_pic_idx) check(d->tl0_pic_idx_offset < d->size);
  check(d->partition_index < 8);
  if (d->temporal_id) check(*d->temporal_id < 4);
  if (d->key_index) check(*d->key_index < 32);

  const auto info = parse_vp8_frame_info(*d, payload.subspan(d->size));
  check(!info.keyframe || d->is_start_of_frame());
  check(info.width.has_value() == info.height.has_value());
  if (info.width) check(info.keyframe && *info.width < 0x4000 && *info.height < 0x4000);
  check(info.keyframe == is_vp8_keyframe(payload));

  std::vector<std::uint8_t> copy(payload.begin(), payload.end());
  auto pid = rewrite_vp8_picture_id(copy, *d, new_picture_id);
  auto tl0 = rewrite_vp8_tl0_pic_idx(copy, *d, new_tl0);
  check(pid.has_value() == d->picture_id.has_value());
  check(tl0.has_value() == d->tl0_pic_idx.has_value());
  auto after = parse_vp8_descriptor(copy);
  check(after.has_value());
  check(after->size == d->size);
  check(after->picture_id_15_bit == d->picture_id_15_bit);
  check(after->temporal_id == d->temporal_id && after->layer_sync == d->layer_sync);
  check(after->key_index == d->key_index);
  check(after->is_start_of_frame() == d->is_start_of_frame());
  if (pid)
    check(after->picture_id == *pid && *pid == (new_picture_id & (d->picture_id_15_bit ? 0x7FFF : 0x7F)));
  if (tl0) check(after->tl0_pic_idx == new_tl0);
  for (std::size_t i = 0; i < copy.size(); ++i) {
    const bool in_pid = d->picture_id && i >= d->picture_id_offset &&
                        i < d->picture_id_offset + (d->picture_id_15_bit ? 2 : 1);
    const bool in_tl0 = d->tl0_pic_idx && i == d->tl0_pic_idx_offset;
    if (!in_pid && !in_tl0) check(copy[i] == payload[i]);
  }
  const auto info_after =
      parse_vp8_frame_info(*after, std::span<const std::uint8_t>(copy).subspan(after->size));
  check(info_after.keyframe == info.keyframe && info_after.width == info.width &&
        info_after.height == info.height);
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
