// Per-receiver projection of a simulcast video source onto one SSRC (JVB's
// AdaptiveSourceProjection). See the header for the rules and the simplifications.
#include "bridge/media/projection/video_projection.hpp"

#include <algorithm>
#include <chrono>

#include "bridge/codecs/av1_payload.hpp"
#include "bridge/codecs/h264_payload.hpp"
#include "bridge/codecs/vp8_descriptor.hpp"
#include "bridge/codecs/vp9_descriptor.hpp"

namespace jvb::media {

namespace {

// A packet of the current encoding this far behind the newest one forwarded is not a late
// packet (NACK and reordering windows are far smaller) but a restarted sender: its old
// segment cannot continue and the encoding needs a fresh keyframe.
constexpr std::int64_t kMaxLateSeqDistance = 3000;

// One 30 fps frame at 90 kHz: the timestamp step before the very first codec-aware packet
// (JVB starts at ts 1 and adds 3000, so its first projected packet has ts 3001).
constexpr std::int64_t kFirstFrameTicks = 3000;

std::int64_t to_ticks(Duration elapsed) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  return us * VideoProjection::kClockRateHz / 1'000'000;
}

}  // namespace

struct VideoProjection::PacketInfo {
  std::int64_t seq = 0;
  std::int64_t ts = 0;
  enum class Codec { kGeneric, kVp8, kVp9, kH264, kAv1 } codec = Codec::kGeneric;
  bool keyframe_start = false;  // first packet of a keyframe
  codecs::Vp8Descriptor descriptor;
  codecs::Vp9Descriptor vp9;
  // The codec's keyframes are recognised: a switch waits for one.
  bool knows_keyframes() const { return codec != Codec::kGeneric; }
  std::optional<std::int64_t> picture_id;
  std::optional<std::int64_t> tl0;
};

VideoProjection::VideoProjection(std::uint32_t projected_ssrc, int num_encodings,
                                 CodecPayloadTypes payload_types)
    : projected_ssrc_(projected_ssrc),
      payload_types_(payload_types),
      encodings_(static_cast<std::size_t>(std::max(num_encodings, 0))) {}

void VideoProjection::set_target(int encoding) {
  if (encoding < -1 || encoding >= static_cast<int>(encodings_.size())) {
    ++counters_.dropped_bad_encoding;
    encoding = -1;
  }
  target_ = encoding;
  // Suspension ends the segment at once: the receiver gets nothing more, and resuming, even on
  // the same encoding, must start at a keyframe.
  if (target_ < 0) current_ = -1;
}

void VideoProjection::reset_encoding(EncodingState& enc, std::uint32_t ssrc) {
  enc = EncodingState{};
  enc.ssrc = ssrc;
}

bool VideoProjection::classify(const rtp::RtpPacket& parsed, EncodingState& enc, PacketInfo& info) {
  info.seq = enc.seq.unwrap(parsed.sequence_number());
  info.ts = enc.ts.unwrap(parsed.timestamp());
  const std::uint8_t pt = parsed.payload_type();
  if (payload_types_.h264.contains(pt)) {
    // No picture numbering to continue; only where an access unit with a keyframe starts. A
    // packetization this cannot read is forwarded but never taken for a keyframe.
    info.codec = PacketInfo::Codec::kH264;
    auto h264 = codecs::parse_h264_payload(parsed.payload());
    info.keyframe_start = h264 && h264->is_keyframe();
    return true;
  }
  if (payload_types_.av1.contains(pt)) {
    // The aggregation header's N bit marks the first packet of a coded video sequence: a
    // keyframe with its sequence header (AV1 RTP specification §4.4).
    info.codec = PacketInfo::Codec::kAv1;
    info.keyframe_start = codecs::is_av1_keyframe_start(parsed.payload());
    return true;
  }
  std::optional<std::uint16_t> picture_id;
  bool fifteen_bit = false;
  std::optional<std::uint8_t> tl0;
  if (payload_types_.vp9.contains(pt)) {
    auto descriptor = codecs::parse_vp9_descriptor(parsed.payload());
    if (!descriptor) return false;
    info.codec = PacketInfo::Codec::kVp9;
    info.vp9 = *descriptor;
    // The first packet of the picture's base layer; upper layers of a keyframe depend on it.
    info.keyframe_start = info.vp9.is_keyframe() && info.vp9.is_start_of_frame() &&
                          (!info.vp9.has_layer_indices || info.vp9.spatial_id == 0);
    picture_id = info.vp9.picture_id;
    fifteen_bit = info.vp9.picture_id_15_bit;
    tl0 = info.vp9.tl0_pic_idx;
  } else if (payload_types_.vp8.contains(pt)) {
    auto descriptor = codecs::parse_vp8_descriptor(parsed.payload());
    if (!descriptor) return false;
    info.codec = PacketInfo::Codec::kVp8;
    info.descriptor = *descriptor;
    info.keyframe_start =
        codecs::parse_vp8_frame_info(info.descriptor, parsed.payload().subspan(info.descriptor.size))
            .keyframe;
    picture_id = info.descriptor.picture_id;
    fifteen_bit = info.descriptor.picture_id_15_bit;
    tl0 = info.descriptor.tl0_pic_idx;
  } else {
    return true;  // generic context
  }
  if (picture_id) {
    const bool restarted = enc.picture_id.form_differs(fifteen_bit);
    info.picture_id = enc.picture_id.unwrap(*picture_id, fifteen_bit);
    // A new form restarts the unwrapped space; the segment's offset must be chosen again.
    if (restarted && current_ >= 0 && &enc == &encodings_[static_cast<std::size_t>(current_)]) {
      picture_id_offset_.reset();
    }
  }
  if (tl0) info.tl0 = enc.tl0.unwrap(*tl0);
  return true;
}

bool VideoProjection::may_start_segment(const EncodingState& enc, const PacketInfo& info,
                                        std::optional<std::int64_t> highest_ts_before) const {
  // Without keyframe knowledge there is nothing to wait for (JVB's generic context forwards at once).
  if (!info.knows_keyframes()) return true;
  if (!info.keyframe_start) return false;
  // A later frame of this encoding was already dropped: starting here would leave a hole the
  // receiver cannot fill (JVB's veryDelayedKeyframeTest). Packets of the keyframe itself (same ts)
  // may have gone (slightlyDelayedKeyframeTest).
  if (highest_ts_before && info.ts < *highest_ts_before) return false;
  // Never reuse input the receiver already got from an earlier segment of this encoding.
  if (enc.highest_forwarded_seq && info.seq <= *enc.highest_forwarded_seq) return false;
  return true;
}

void VideoProjection::start_segment(Timestamp now, int encoding, const PacketInfo& info) {
  std::int64_t out_seq = highest_out_seq_ + 1;
  std::int64_t out_ts = 0;
  if (!started_) {
    // Codec-aware contexts start at ts 1 + 3000; the generic one keeps the source timestamps.
    out_ts = info.knows_keyframes() ? highest_out_ts_ + kFirstFrameTicks : info.ts;
  } else {
    // Leave one sequence number out when the last forwarded frame never ended: the receiver
    // then sees it as lost rather than waiting for its remaining packets (as JVB does).
    if (!highest_out_marker_) ++out_seq;
    const std::int64_t elapsed = highest_out_ts_time_ ? to_ticks(now - *highest_out_ts_time_) : 0;
    out_ts = highest_out_ts_ + std::max<std::int64_t>(1, elapsed);
  }
  seq_offset_ = out_seq - info.seq;
  ts_offset_ = out_ts - info.ts;
  segment_start_seq_ = info.seq;
  picture_id_offset_.reset();
  tl0_offset_.reset();
  current_ = encoding;
  started_ = true;
  ++counters_.switches;
}

void VideoProjection::forward(Timestamp now, std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed,
                              EncodingState& enc, const PacketInfo& info) {
  const std::int64_t out_seq = info.seq + seq_offset_;
  const std::int64_t out_ts = info.ts + ts_offset_;
  // The packet holds at least the fixed header: it has the parsed view's length.
  (void)rtp::set_sequence_number(packet, static_cast<std::uint16_t>(out_seq));
  (void)rtp::set_timestamp(packet, static_cast<std::uint32_t>(out_ts));
  (void)rtp::set_ssrc(packet, projected_ssrc_);

  const bool vp8 = info.codec == PacketInfo::Codec::kVp8, vp9 = info.codec == PacketInfo::Codec::kVp9;
  if (vp8 || vp9) {
    const auto payload = packet.subspan(parsed.header_size(), parsed.payload_size());
    if (info.picture_id) {
      if (!picture_id_offset_) {
        // Continue after the last forwarded PictureID; the very first one keeps its own value.
        picture_id_offset_ = highest_out_picture_id_ ? *highest_out_picture_id_ + 1 - *info.picture_id : 0;
      }
      const std::int64_t out = *info.picture_id + *picture_id_offset_;
      const auto value = static_cast<std::uint16_t>(out & 0x7FFF);
      if (vp8) {
        (void)codecs::rewrite_vp8_picture_id(payload, info.descriptor, value);
      } else {
        (void)codecs::rewrite_vp9_picture_id(payload, info.vp9, value);
      }
      if (!highest_out_picture_id_ || out > *highest_out_picture_id_) highest_out_picture_id_ = out;
    }
    if (info.tl0) {
      if (!tl0_offset_) tl0_offset_ = highest_out_tl0_ ? *highest_out_tl0_ + 1 - *info.tl0 : 0;
      const std::int64_t out = *info.tl0 + *tl0_offset_;
      const auto value = static_cast<std::uint8_t>(out & 0xFF);
      if (vp8) {
        (void)codecs::rewrite_vp8_tl0_pic_idx(payload, info.descriptor, value);
      } else {
        (void)codecs::rewrite_vp9_tl0_pic_idx(payload, info.vp9, value);
      }
      if (!highest_out_tl0_ || out > *highest_out_tl0_) highest_out_tl0_ = out;
    }
  }

  if (out_seq > highest_out_seq_) {
    highest_out_seq_ = out_seq;
    highest_out_marker_ = parsed.marker();
  }
  if (!highest_out_ts_time_ || out_ts > highest_out_ts_) {
    highest_out_ts_ = out_ts;
    highest_out_ts_time_ = now;
  }
  if (!enc.highest_forwarded_seq || info.seq > *enc.highest_forwarded_seq)
    enc.highest_forwarded_seq = info.seq;
  ++counters_.forwarded;
}

VideoProjection::Decision VideoProjection::on_packet(Timestamp now, std::span<std::uint8_t> packet,
                                                     const rtp::RtpPacket& parsed, int encoding) {
  Decision decision;
  if (encoding < 0 || encoding >= static_cast<int>(encodings_.size())) {
    ++counters_.dropped_bad_encoding;
    return decision;
  }
  if (packet.size() != parsed.bytes().size()) {
    ++counters_.dropped_bad_packet;
    return decision;
  }
  EncodingState& enc = encodings_[static_cast<std::size_t>(encoding)];
  if (enc.ssrc != parsed.ssrc()) {
    // The caller moved this encoding to another SSRC (or the first packet): new number spaces.
    if (enc.ssrc) {
      ++counters_.stream_resets;
      if (current_ == encoding) current_ = -1;
    }
    reset_encoding(enc, parsed.ssrc());
  }

  PacketInfo info;
  bool generic_switch = false;
  if (!classify(parsed, enc, info)) {
    ++counters_.dropped_bad_payload;
  } else {
    std::optional<std::int64_t> highest_ts_before = enc.highest_ts;
    if (!enc.highest_ts || info.ts > *enc.highest_ts) enc.highest_ts = info.ts;

    if (target_ < 0) {
      current_ = -1;
      ++counters_.dropped_suspended;
    } else {
      if (encoding == current_ && info.seq < segment_start_seq_ && enc.highest_forwarded_seq &&
          *enc.highest_forwarded_seq - info.seq > kMaxLateSeqDistance) {
        ++counters_.stream_resets;
        current_ = -1;
        enc.highest_forwarded_seq.reset();
        enc.highest_ts = info.ts;
        highest_ts_before.reset();
      }
      if (encoding == current_) {
        if (info.seq < segment_start_seq_) {
          ++counters_.dropped_late;  // its slot may belong to the previous segment
        } else {
          forward(now, packet, parsed, enc, info);
          decision.forward = true;
        }
      } else if (encoding == target_) {
        if (may_start_segment(enc, info, highest_ts_before)) {
          start_segment(now, encoding, info);
          forward(now, packet, parsed, enc, info);
          decision.forward = true;
          generic_switch = !info.knows_keyframes();
        } else {
          if (info.keyframe_start) ++counters_.stale_keyframes;
          ++counters_.dropped_before_keyframe;
        }
      } else {
        ++counters_.dropped_not_current;
      }
    }
  }

  // Keep asking while the target is not what the receiver gets (as JVB's projection does); the
  // caller's KeyframeRequester throttles. A generic switch cannot see keyframes, so it asks once.
  if (target_ >= 0 && (current_ != target_ || generic_switch)) {
    decision.request_keyframe = true;
    decision.keyframe_encoding = target_;
    ++counters_.keyframe_requests;
  }
  return decision;
}

std::optional<std::uint32_t> VideoProjection::projected_timestamp(std::uint32_t original_ssrc,
                                                                  std::uint32_t original_ts) const {
  if (current_ < 0) return std::nullopt;
  const EncodingState& enc = encodings_[static_cast<std::size_t>(current_)];
  if (enc.ssrc != original_ssrc) return std::nullopt;
  return static_cast<std::uint32_t>(enc.ts.peek(original_ts) + ts_offset_);
}

}  // namespace jvb::media
