// Per-receiver projection of one simulcast video source onto one SSRC (JVB's
// AdaptiveSourceProjection), with VP8 and VP9 header rewriting (RFC 7741 §4.2, RFC 9628 §4.2:
// PictureID, TL0PICIDX), VP8 temporal-layer filtering (RFC 7741 §4.2: TID, Y), padding-only
// packets dropped (RFC 3550 §5.1, as JVB's PaddingTermination), H.264 keyframes recognised
// (RFC 6184), and a generic context for payloads without a usable descriptor.
//
// A receiver was told about one SSRC per video source: the source's first (lowest) primary
// SSRC. The sender transmits N simulcast encodings, each on its own SSRC with its own sequence
// number, timestamp and PictureID spaces. The projection forwards one encoding at a time and
// rewrites every forwarded packet so that the receiver sees a single continuous stream:
//  * SSRC := the projected SSRC;
//  * sequence numbers continue across encoding switches; inside one forwarded run of an
//    encoding (a "segment") they are shifted by an offset that shrinks by one for every packet
//    the projection drops (below), so input loss shows up as a gap of exactly the same size,
//    dropped packets leave none, and reordered packets land on their own slot;
//  * timestamps are shifted by a fixed offset per segment; on a switch the new encoding's first
//    frame is placed after the last forwarded frame by the wall-clock time between them at
//    90 kHz (at least one tick), since different SSRCs have unrelated timestamp bases;
//  * VP8 15-bit (or 7-bit) PictureID and TL0PICIDX continue from the last forwarded values; the
//    PictureID also closes up over dropped frames, so the receiver's reference finder sees
//    consecutive ids (TL0PICIDX needs nothing: base-layer frames are never dropped).
//
// Inside a segment two kinds of packets are dropped and their numbers closed up (JVB's
// PaddingTermination + DiscardableDiscarder, and its VP8 temporal filtering):
//  * padding-only packets (nothing left once the padding is removed), of any codec;
//  * VP8 frames above the maximum temporal layer (set_max_temporal_layer), whole: the decision
//    is taken at the first packet seen of a frame (keyed by its PictureID) and kept for all its
//    packets, so a new maximum takes effect at a frame boundary. Lowering it is immediate.
//    Raising it forwards a layer again only from a frame that can be decoded: one with the
//    layer-sync bit Y (it references TL0 only), or a non-sync frame once every layer from 1 up
//    to its own has been in sync since its last dropped frame (libwebrtc's 3-layer pattern has
//    TL1 frames that reference the TL1 frame before the previous TL0 one, so a TL0 frame alone
//    is not enough). Frames without TID or without PictureID are never dropped.
// A drop can be closed up only while no later packet (frame) has been forwarded: the numbers
// of those are already out. So the segment keeps, for the last 1024 input sequence numbers and
// PictureIDs, which were closed up; a reordered packet older than a drop gets its number from
// that history. A drop that comes too late leaves a gap (counted), except that:
//  * a late padding packet whose slot was kept is forwarded into it, which fills the gap;
//  * a late frame (older than a forwarded one) is forwarded whatever the maximum, when it can
//    be decoded, since its numbers were kept for it;
//  * when a frame's first packet arrives and every frame since the last forwarded one was
//    dropped (or the newest packet seen is of the dropped frame just before it), the missing
//    sequence numbers in between can only be the dropped frames' remaining packets or padding:
//    they are closed up at once, so their late arrival leaves no gap.
// A packet whose number was closed up (or is too old for the history) but is to be forwarded
// is dropped and counted instead.
//
// Switching to another encoding, and starting after suspension, happens only at the first packet of
// a keyframe of the target encoding (a VP8 or VP9 packet that starts a keyframe, an H.264 packet
// that starts an access unit with SPS, PPS or an IDR slice); until then the old
// encoding keeps flowing and every decision asks for a keyframe of the target. Such a keyframe is
// ignored when a later frame of its encoding was already dropped, or when it was already forwarded
// in an earlier segment (a retransmission). For payloads whose keyframes cannot be recognised
// (AV1 until its dependency descriptor is read, unknown codecs) the switch happens at the first packet
// of the target, and one keyframe request is raised, as JVB's
// GenericAdaptiveSourceProjectionContext does. Padding never starts a segment.
//
// Simplifications against JVB's VP8AdaptiveSourceProjectionContext and VP8QualityFilter,
// which the allocator may later need:
//  * only the target encoding's keyframe causes a switch (no intermediate encodings inside the
//    300 ms "keyframe group" window);
//  * when the last forwarded frame of the old encoding is incomplete (its marker packet was not
//    forwarded), one sequence number is left out, as JVB does, so the receiver
//    treats that frame as lost instead of waiting for it.
// VP9 is projected by whole encodings: spatial and temporal layers inside one encoding are all
// forwarded (JVB's cc/vp9 filters them; closing up VP9 picture IDs would also mean rewriting
// flexible mode's P_DIFFs); AV1 is forwarded by the generic context (JVB's cc/av1 reads the
// dependency descriptor).
//
// Sequence numbers, timestamps, PictureIDs and TL0PICIDX are unwrapped to 64 bits per encoding on
// the way in. Bad input (encoding index out of range, a VP8 payload whose descriptor does not
// parse, a packet buffer that does not match its parsed view) is dropped and counted; nothing here
// throws or allocates after construction.
//
// One instance per (receiver, video source), owned and called by that receiver's media worker
// thread only. It never reads the clock: `now` is passed in.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bridge/codecs/vp8_picture_id.hpp"
#include "bridge/core/time.hpp"
#include "bridge/rtp/rtp_packet.hpp"
#include "bridge/rtp/sequence_unwrapper.hpp"

namespace jvb::media {

// Payload types (7 bits) as a bit set.
class PayloadTypeSet {
 public:
  constexpr PayloadTypeSet() = default;
  constexpr explicit PayloadTypeSet(std::uint8_t pt) { add(pt); }
  constexpr void add(std::uint8_t pt) { bits_[(pt >> 6) & 1] |= std::uint64_t{1} << (pt & 63); }
  constexpr bool contains(std::uint8_t pt) const { return ((bits_[(pt >> 6) & 1] >> (pt & 63)) & 1) != 0; }

 private:
  std::array<std::uint64_t, 2> bits_{};
};

// Jicofo's VP8 payload type, the same for every endpoint of a conference (Jicofo's reference.conf).
inline constexpr std::uint8_t kDefaultVp8PayloadType = 100;

// Which payload types are parsed as which codec; any other is projected generically.
struct CodecPayloadTypes {
  PayloadTypeSet vp8 = PayloadTypeSet(kDefaultVp8PayloadType);
  PayloadTypeSet vp9, h264, av1;
};

struct VideoProjectionCounters {
  std::uint64_t forwarded = 0;
  std::uint64_t dropped_not_current = 0;      // another encoding than the forwarded one
  std::uint64_t dropped_before_keyframe = 0;  // the target encoding, waiting for its keyframe
  std::uint64_t dropped_suspended = 0;        // target -1
  std::uint64_t dropped_late = 0;             // current encoding, but older than its segment start
  std::uint64_t dropped_bad_encoding = 0;     // encoding index out of range
  std::uint64_t dropped_bad_payload = 0;      // VP8 or VP9 payload type whose descriptor does not parse
  std::uint64_t dropped_bad_packet = 0;       // buffer and parsed view disagree
  std::uint64_t dropped_padding = 0;          // padding-only, of the forwarded encoding: closed up
  std::uint64_t dropped_temporal = 0;         // VP8 frames above the maximum temporal layer, or not
                                              // decodable yet after it was raised: closed up
  std::uint64_t dropped_no_slot = 0;          // to be forwarded, but its number was closed up or is
                                              // too old for the segment's history
  std::uint64_t seq_gaps_left = 0;            // dropped too late to close up: the receiver sees a gap
  std::uint64_t picture_id_gaps_left = 0;     // likewise for a dropped frame's PictureID
  std::uint64_t stale_keyframes = 0;          // a keyframe older than frames already dropped
  std::uint64_t switches = 0;                 // segment starts (incl. the first and resumptions)
  std::uint64_t keyframe_requests = 0;        // decisions with request_keyframe set
  std::uint64_t stream_resets = 0;            // SSRC change or a large backward jump
};

class VideoProjection {
 public:
  // 90 kHz: the RTP clock of every video payload format the bridge forwards.
  static constexpr std::int64_t kClockRateHz = 90'000;

  struct Decision {
    bool forward = false;
    bool request_keyframe = false;
    int keyframe_encoding = -1;  // of which encoding, when request_keyframe
  };

  // `projected_ssrc`: the source's first primary SSRC. `num_encodings`: N simulcast encodings,
  // encoding 0 the lowest. `payload_types`: which PTs are parsed as which codec.
  VideoProjection(std::uint32_t projected_ssrc, int num_encodings, CodecPayloadTypes payload_types = {});

  // The allocator's choice; -1 suspends. Out-of-range values also suspend (and are counted as
  // bad encodings once).
  void set_target(int encoding);
  int target() const { return target_; }

  // The highest VP8 temporal layer (TID) forwarded; -1 (or any negative value) forwards all.
  // Kept across encoding switches. Frames already decided keep their decision.
  void set_max_temporal_layer(int tid) { max_temporal_ = tid < 0 ? -1 : tid; }
  int max_temporal_layer() const { return max_temporal_; }

  // Offers one packet of `encoding`. `packet` is the receiver's own writable copy of the bytes
  // `parsed` was parsed from (same length and content); when the decision says forward, it has
  // been rewritten in place (SSRC, seq, ts, and for VP8 and VP9 PictureID/TL0PICIDX).
  Decision on_packet(Timestamp now, std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed,
                     int encoding);

  // For SR translation (sr_translator.hpp): an RTP timestamp of the SSRC currently being
  // forwarded, on the projected timeline; nullopt for any other SSRC or while nothing is
  // forwarded.
  std::optional<std::uint32_t> projected_timestamp(std::uint32_t original_ssrc,
                                                   std::uint32_t original_ts) const;

  int current_encoding() const { return current_; }
  std::uint32_t projected_ssrc() const { return projected_ssrc_; }
  const VideoProjectionCounters& counters() const { return counters_; }

 private:
  struct EncodingState {
    std::optional<std::uint32_t> ssrc;
    rtp::SequenceNumberUnwrapper seq;
    rtp::TimestampUnwrapper ts;
    codecs::Vp8PictureIdUnwrapper picture_id;
    rtp::Unwrapper<std::uint8_t> tl0;
    std::optional<std::int64_t> highest_ts;             // of any packet seen
    std::optional<std::int64_t> highest_forwarded_seq;  // over all its segments
  };

  // What one packet carries, unwrapped.
  struct PacketInfo;

  // Which of the last kSize unwrapped numbers (sequence numbers or PictureIDs) up to the highest
  // one seen (`top`) are marked. Fixed size: no allocation.
  class SlotWindow {
   public:
    static constexpr std::int64_t kSize = 1024;

    void reset(std::int64_t top);
    std::int64_t top() const { return top_; }
    bool covers(std::int64_t i) const { return i > top_ - kSize && i <= top_; }
    // Makes i the top if it is above it; the numbers coming into view start unmarked.
    void advance(std::int64_t i);
    void mark(std::int64_t i);                       // covered numbers only
    bool marked(std::int64_t i) const;               // false when not covered
    std::int64_t count_above(std::int64_t i) const;  // marked in (i, top], clipped to the window

   private:
    std::array<std::uint64_t, kSize / 64> bits_{};
    std::int64_t top_ = 0;
  };

  // The newest packet forwarded in the segment, and the newest one of media seen.
  struct ForwardedTop {
    std::int64_t seq = 0;
    bool marker = false;
    std::optional<std::int64_t> picture_id;
  };
  struct MediaTop {
    std::int64_t seq = 0;
    std::optional<std::int64_t> picture_id;
    bool dropped = false;
  };

  bool classify(const rtp::RtpPacket& parsed, EncodingState& enc, PacketInfo& info);
  bool may_start_segment(const EncodingState& enc, const PacketInfo& info,
                         std::optional<std::int64_t> highest_ts_before) const;
  void start_segment(Timestamp now, int encoding, const PacketInfo& info);
  void start_picture_ids(std::int64_t picture_id);
  bool on_current(Timestamp now, std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed,
                  EncodingState& enc, const PacketInfo& info);
  bool filters_temporal(const PacketInfo& info) const;
  bool frame_forwarded(const PacketInfo& info);
  void close_seq(std::int64_t seq);
  void presume_dropped(const PacketInfo& info);
  void note_media(const PacketInfo& info, bool dropped);
  void forward(Timestamp now, std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed,
               EncodingState& enc, const PacketInfo& info, std::int64_t out_seq,
               std::optional<std::int64_t> out_picture_id);
  void reset_encoding(EncodingState& enc, std::uint32_t ssrc);

  std::uint32_t projected_ssrc_;
  CodecPayloadTypes payload_types_;
  std::vector<EncodingState> encodings_;  // sized once, in the constructor
  int target_ = -1;
  int current_ = -1;
  int max_temporal_ = -1;

  // The current segment: input (unwrapped) + offset = output (unwrapped), where the sequence
  // number and PictureID offsets hold for numbers above their history's top; an older one adds
  // back the drops closed up above it.
  std::int64_t segment_start_seq_ = 0;
  std::int64_t seq_offset_ = 0;
  std::int64_t ts_offset_ = 0;
  std::optional<std::int64_t> picture_id_offset_;
  std::optional<std::int64_t> tl0_offset_;
  SlotWindow seq_closed_;  // input sequence numbers closed up
  std::int64_t seq_closed_total_ = 0;
  std::optional<ForwardedTop> forwarded_top_;
  std::optional<MediaTop> media_top_;
  // The segment's PictureID space (from its first packet with one): VP8 frames decided, those
  // forwarded, those closed up.
  SlotWindow frames_known_;
  SlotWindow frames_forwarded_;
  SlotWindow picture_id_closed_;
  std::int64_t picture_id_closed_total_ = 0;
  std::optional<std::int64_t> highest_forwarded_picture_id_;
  // Bit t set: VP8 temporal layer t (1-3) can be decoded from the next frame on.
  std::uint8_t synced_layers_ = 0;

  // What the receiver has seen so far, across segments. JVB starts from (seq 1, ts 1), so the
  // first forwarded packet gets seq 2.
  bool started_ = false;
  std::int64_t highest_out_seq_ = 1;
  bool highest_out_marker_ = true;  // the packet with highest_out_seq_ ended its frame
  std::int64_t highest_out_ts_ = 1;
  std::optional<Timestamp> highest_out_ts_time_;  // when the frame with highest_out_ts_ began
  std::optional<std::int64_t> highest_out_picture_id_;
  std::optional<std::int64_t> highest_out_tl0_;

  VideoProjectionCounters counters_;
};

}  // namespace jvb::media
