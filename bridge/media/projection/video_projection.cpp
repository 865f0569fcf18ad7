// Per-receiver projection of a simulcast video source onto one SSRC (JVB's
// AdaptiveSourceProjection). See the header for the rules and the simplifications.
#include "bridge/media/projection/video_projection.hpp"

#include <algorithm>
#include <bit>
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

// VP8 temporal layers 1-3 as bits of synced_layers_ (TID is two bits; layer 0 is always in sync).
constexpr std::uint8_t kAllLayers = 0x0E;
constexpr std::uint8_t layers_up_to(int tid) {
  return static_cast<std::uint8_t>(((2u << tid) - 1) & kAllLayers);
}
constexpr std::uint8_t layers_from(int tid) {
  return static_cast<std::uint8_t>(~((1u << tid) - 1) & kAllLayers);
}

// Bounds on closing up presumed drops (see presume_dropped): a few dropped frames' worth.
constexpr std::int64_t kMaxPresumedFrames = 8;
constexpr std::int64_t kMaxPresumedPackets = 256;

std::size_t slot_index(std::int64_t i) {
  // Two's complement: the low bits of a negative number are its residue modulo a power of two.
  return static_cast<std::size_t>(static_cast<std::uint64_t>(i) & 1023u);
}

std::int64_t to_ticks(Duration elapsed) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  return us * VideoProjection::kClockRateHz / 1'000'000;
}

}  // namespace

struct VideoProjection::PacketInfo {
  std::int64_t seq = 0;
  std::int64_t ts = 0;
  bool padding = false;  // nothing but padding: no codec payload at all
  enum class Codec { kGeneric, kVp8, kVp9, kH264, kAv1 } codec = Codec::kGeneric;
  bool keyframe_start = false;  // first packet of a keyframe
  codecs::Vp8Descriptor descriptor;
  codecs::Vp9Descriptor vp9;
  // The codec's keyframes are recognised: a switch waits for one.
  bool knows_keyframes() const { return codec != Codec::kGeneric; }
  std::optional<std::int64_t> picture_id;
  std::optional<std::int64_t> tl0;
};

void VideoProjection::SlotWindow::reset(std::int64_t top) {
  static_assert(kSize == 1024, "slot_index masks with 1023");
  bits_.fill(0);
  top_ = top;
}

void VideoProjection::SlotWindow::advance(std::int64_t i) {
  if (i <= top_) return;
  if (i - top_ >= kSize) {
    bits_.fill(0);
  } else {
    for (std::int64_t j = top_ + 1; j <= i; ++j) {
      const std::size_t at = slot_index(j);
      bits_[at >> 6] &= ~(std::uint64_t{1} << (at & 63));
    }
  }
  top_ = i;
}

void VideoProjection::SlotWindow::mark(std::int64_t i) {
  if (!covers(i)) return;
  const std::size_t at = slot_index(i);
  bits_[at >> 6] |= std::uint64_t{1} << (at & 63);
}

bool VideoProjection::SlotWindow::marked(std::int64_t i) const {
  if (!covers(i)) return false;
  const std::size_t at = slot_index(i);
  return ((bits_[at >> 6] >> (at & 63)) & 1) != 0;
}

std::int64_t VideoProjection::SlotWindow::count_above(std::int64_t i) const {
  std::int64_t n = 0;
  std::int64_t j = std::max(i + 1, top_ - kSize + 1);
  while (j <= top_) {
    // Whole words at a time: kSize is a multiple of 64, so a run never crosses a word.
    const std::size_t at = slot_index(j);
    const auto bit = static_cast<unsigned>(at & 63);
    const std::int64_t run = std::min<std::int64_t>(64 - bit, top_ - j + 1);
    const std::uint64_t mask = (run == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << run) - 1) << bit;
    n += std::popcount(bits_[at >> 6] & mask);
    j += run;
  }
  return n;
}

namespace {

// The output number of input number `i` in a space whose drops were closed up: `offset` holds
// above the window's top, and each drop closed up above `i` gives one back. nullopt when `i`
// itself was closed up, or is older than the window while some closed drop has left it (their
// count above `i` is then unknown).
template <class Window>
std::optional<std::int64_t> place(const Window& closed, std::int64_t closed_total, std::int64_t offset,
                                  std::int64_t i) {
  if (i > closed.top()) return i + offset;
  if (closed.covers(i)) {
    if (closed.marked(i)) return std::nullopt;
    return i + offset + closed.count_above(i);
  }
  if (closed.count_above(closed.top() - Window::kSize) != closed_total) return std::nullopt;
  return i + offset + closed_total;
}

}  // namespace

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
  if (parsed.has_padding() && parsed.payload_size() == 0) {
    // Padding only: nothing to decode, whatever the payload type says.
    info.padding = true;
    return true;
  }
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
  if (info.padding) return false;
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
  seq_closed_.reset(info.seq - 1);
  seq_closed_total_ = 0;
  forwarded_top_.reset();
  media_top_.reset();
  picture_id_offset_.reset();
  tl0_offset_.reset();
  // A keyframe starts every segment: nothing after it references anything before it.
  synced_layers_ = kAllLayers;
  current_ = encoding;
  started_ = true;
  ++counters_.switches;
}

void VideoProjection::start_picture_ids(std::int64_t picture_id) {
  // Continue after the last forwarded PictureID; the very first one keeps its own value.
  picture_id_offset_ = highest_out_picture_id_ ? *highest_out_picture_id_ + 1 - picture_id : 0;
  frames_known_.reset(picture_id - 1);
  frames_forwarded_.reset(picture_id - 1);
  picture_id_closed_.reset(picture_id - 1);
  picture_id_closed_total_ = 0;
  highest_forwarded_picture_id_.reset();
  // PictureIDs of another form (or segment) are not comparable with the new ones.
  if (forwarded_top_) forwarded_top_->picture_id.reset();
  if (media_top_) media_top_->picture_id.reset();
}

bool VideoProjection::filters_temporal(const PacketInfo& info) const {
  return info.codec == PacketInfo::Codec::kVp8 && info.picture_id && info.descriptor.temporal_id;
}

bool VideoProjection::frame_forwarded(const PacketInfo& info) {
  const std::int64_t picture_id = *info.picture_id;
  if (frames_known_.marked(picture_id)) return frames_forwarded_.marked(picture_id);

  const int tid = *info.descriptor.temporal_id;
  const bool sync = info.descriptor.layer_sync;
  // A frame older than one already forwarded has its PictureID (and sequence numbers) kept: it
  // is forwarded whatever the maximum if it can be decoded, rather than leave a gap.
  const bool late = highest_forwarded_picture_id_ && picture_id <= *highest_forwarded_picture_id_;
  bool forward = false;
  if (tid == 0 || info.keyframe_start) {
    forward = true;
  } else if (!late && max_temporal_ >= 0 && tid > max_temporal_) {
    forward = false;
  } else {
    const std::uint8_t needed = layers_up_to(tid);
    forward = sync || (synced_layers_ & needed) == needed;
  }

  if (!forward) {
    // Later frames of this layer and above may reference this one.
    synced_layers_ &= static_cast<std::uint8_t>(~layers_from(tid));
  } else if (!late) {
    // A sync frame references TL0 only: its layer can be decoded from here on. (A late frame
    // says nothing about the frames after it, which were decided already.)
    if (info.keyframe_start)
      synced_layers_ = kAllLayers;
    else if (tid > 0 && sync)
      synced_layers_ |= static_cast<std::uint8_t>(1u << tid);
  }

  frames_known_.advance(picture_id);
  frames_forwarded_.advance(picture_id);
  picture_id_closed_.advance(picture_id);
  frames_known_.mark(picture_id);
  if (forward) frames_forwarded_.mark(picture_id);
  if (!forward) {
    if (!late && picture_id_closed_.covers(picture_id)) {
      picture_id_closed_.mark(picture_id);
      ++picture_id_closed_total_;
      --*picture_id_offset_;
    } else {
      ++counters_.picture_id_gaps_left;
    }
  }
  return forward;
}

void VideoProjection::close_seq(std::int64_t seq) {
  seq_closed_.advance(seq);
  if (!seq_closed_.covers(seq)) {
    ++counters_.seq_gaps_left;
    return;
  }
  if (seq_closed_.marked(seq)) return;
  seq_closed_.mark(seq);
  ++seq_closed_total_;
  --seq_offset_;
}

void VideoProjection::presume_dropped(const PacketInfo& info) {
  // Only the first packet of a VP8 frame bounds what can lie before it.
  if (info.codec != PacketInfo::Codec::kVp8 || !info.picture_id || !info.descriptor.is_start_of_frame())
    return;
  const std::int64_t picture_id = *info.picture_id;
  std::optional<std::int64_t> from;  // exclusive: the numbers in (from, info.seq) are presumed dropped
  // The newest media packet seen is of the frame just before this one, and that frame was
  // dropped: whatever is missing after it is that frame's or padding.
  if (media_top_ && media_top_->dropped && media_top_->picture_id &&
      *media_top_->picture_id + 1 == picture_id)
    from = media_top_->seq;
  // The newest forwarded packet ended its frame, and every frame between that one and this one
  // was dropped and closed up: whatever is missing in between is theirs or padding.
  if (forwarded_top_ && forwarded_top_->marker && forwarded_top_->picture_id) {
    const std::int64_t between = picture_id - *forwarded_top_->picture_id - 1;
    bool all_dropped = between >= 1 && between <= kMaxPresumedFrames;
    for (std::int64_t p = picture_id - between; all_dropped && p < picture_id; ++p)
      all_dropped = picture_id_closed_.marked(p);
    if (all_dropped && (!from || forwarded_top_->seq < *from)) from = forwarded_top_->seq;
  }
  if (!from || info.seq - *from > kMaxPresumedPackets) return;
  // Never below a forwarded packet: its number is out.
  if (forwarded_top_ && *from < forwarded_top_->seq) return;
  for (std::int64_t seq = *from + 1; seq < info.seq; ++seq) close_seq(seq);
}

void VideoProjection::note_media(const PacketInfo& info, bool dropped) {
  if (!media_top_ || info.seq > media_top_->seq) media_top_ = MediaTop{info.seq, info.picture_id, dropped};
}

bool VideoProjection::on_current(Timestamp now, std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed,
                                 EncodingState& enc, const PacketInfo& info) {
  if (info.picture_id && !picture_id_offset_) start_picture_ids(*info.picture_id);
  const std::int64_t seq = info.seq;
  // A drop can be closed up only while nothing after it has been forwarded.
  const bool closable = !forwarded_top_ || seq > forwarded_top_->seq;

  enum class Verdict { kForward, kPadding, kTemporal } verdict = Verdict::kForward;
  if (info.padding) {
    // Late padding whose slot was kept: forwarding it fills the receiver's gap.
    const bool slot_kept = !closable && place(seq_closed_, seq_closed_total_, seq_offset_, seq).has_value();
    if (!slot_kept) verdict = Verdict::kPadding;
  } else if (filters_temporal(info) && !frame_forwarded(info)) {
    verdict = Verdict::kTemporal;
  }

  if (verdict != Verdict::kForward) {
    if (closable) {
      close_seq(seq);
    } else if (seq_closed_.covers(seq) && !seq_closed_.marked(seq)) {
      ++counters_.seq_gaps_left;
    }
    if (verdict == Verdict::kPadding) {
      ++counters_.dropped_padding;
    } else {
      ++counters_.dropped_temporal;
      note_media(info, true);
    }
    return false;
  }

  if (!info.padding) presume_dropped(info);
  const auto out_seq = place(seq_closed_, seq_closed_total_, seq_offset_, seq);
  std::optional<std::int64_t> out_picture_id;
  if (info.picture_id) {
    out_picture_id =
        place(picture_id_closed_, picture_id_closed_total_, *picture_id_offset_, *info.picture_id);
  }
  if (!out_seq || (info.picture_id && !out_picture_id)) {
    ++counters_.dropped_no_slot;
    return false;
  }
  seq_closed_.advance(seq);
  if (closable) forwarded_top_ = ForwardedTop{seq, parsed.marker(), info.picture_id};
  if (info.picture_id) {
    frames_known_.advance(*info.picture_id);
    frames_forwarded_.advance(*info.picture_id);
    picture_id_closed_.advance(*info.picture_id);
    if (!highest_forwarded_picture_id_ || *info.picture_id > *highest_forwarded_picture_id_)
      highest_forwarded_picture_id_ = *info.picture_id;
  }
  if (!info.padding) note_media(info, false);
  forward(now, packet, parsed, enc, info, *out_seq, out_picture_id);
  return true;
}

void VideoProjection::forward(Timestamp now, std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed,
                              EncodingState& enc, const PacketInfo& info, std::int64_t out_seq,
                              std::optional<std::int64_t> out_picture_id) {
  const std::int64_t out_ts = info.ts + ts_offset_;
  // The packet holds at least the fixed header: it has the parsed view's length.
  (void)rtp::set_sequence_number(packet, static_cast<std::uint16_t>(out_seq));
  (void)rtp::set_timestamp(packet, static_cast<std::uint32_t>(out_ts));
  (void)rtp::set_ssrc(packet, projected_ssrc_);

  const bool vp8 = info.codec == PacketInfo::Codec::kVp8, vp9 = info.codec == PacketInfo::Codec::kVp9;
  if (vp8 || vp9) {
    const auto payload = packet.subspan(parsed.header_size(), parsed.payload_size());
    if (out_picture_id) {
      const std::int64_t out = *out_picture_id;
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
  // Padding (forwarded only into a slot left for it) does not move the receiver's timeline.
  if (!info.padding && (!highest_out_ts_time_ || out_ts > highest_out_ts_)) {
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
    // Padding carries some earlier frame's timestamp at best: it says nothing about frames sent.
    if (!info.padding && (!enc.highest_ts || info.ts > *enc.highest_ts)) enc.highest_ts = info.ts;

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
          decision.forward = on_current(now, packet, parsed, enc, info);
        }
      } else if (encoding == target_) {
        if (may_start_segment(enc, info, highest_ts_before)) {
          start_segment(now, encoding, info);
          decision.forward = on_current(now, packet, parsed, enc, info);
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
