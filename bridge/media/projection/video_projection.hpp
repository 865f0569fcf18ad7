// Per-receiver projection of one simulcast video source onto one SSRC (JVB's
// AdaptiveSourceProjection), with VP8 and VP9 header rewriting (RFC 7741 §4.2, RFC 9628 §4.2:
// PictureID, TL0PICIDX), H.264 keyframes recognised (RFC 6184), and a generic context for
// payloads without a usable descriptor.
//
// A receiver was told about one SSRC per video source: the source's first (lowest) primary
// SSRC. The sender transmits N simulcast encodings, each on its own SSRC with its own sequence
// number, timestamp and PictureID spaces. The projection forwards one encoding at a time and
// rewrites every forwarded packet so that the receiver sees a single continuous stream:
//  * SSRC := the projected SSRC;
//  * sequence numbers continue across encoding switches; inside one forwarded run of an
//    encoding (a "segment") they are shifted by a fixed offset, so input loss shows up as a gap
//    of exactly the same size and reordered packets land on their own slot;
//  * timestamps likewise; on a switch the new encoding's first frame is placed after the last
//    forwarded frame by the wall-clock time between them at 90 kHz (at least one tick), since
//    different SSRCs have unrelated timestamp bases;
//  * VP8 15-bit (or 7-bit) PictureID and TL0PICIDX continue from the last forwarded values.
//
// Switching to another encoding, and starting after suspension, happens only at the first packet of
// a keyframe of the target encoding (a VP8 or VP9 packet that starts a keyframe, an H.264 packet
// that starts an access unit with SPS, PPS or an IDR slice); until then the old
// encoding keeps flowing and every decision asks for a keyframe of the target. Such a keyframe is
// ignored when a later frame of its encoding was already dropped, or when it was already forwarded
// in an earlier segment (a retransmission). For payloads whose keyframes cannot be recognised
// (AV1 until its dependency descriptor is read, unknown codecs) the switch happens at the first packet
// of the target, and one keyframe request is raised, as JVB's
// GenericAdaptiveSourceProjectionContext does.
//
// Simplifications against JVB's VP8AdaptiveSourceProjectionContext and VP8QualityFilter,
// which the allocator may later need:
//  * all temporal layers of the chosen encoding are forwarded (no temporal-layer target), so a
//    segment needs a single seq/PictureID offset and no per-frame map;
//  * only the target encoding's keyframe causes a switch (no intermediate encodings inside the
//    300 ms "keyframe group" window);
//  * when the last forwarded frame of the old encoding is incomplete (its marker packet was not
//    forwarded), one sequence number is left out, as JVB does, so the receiver
//    treats that frame as lost instead of waiting for it.
// VP9 is projected by whole encodings: spatial layers inside one encoding (SVC) are all
// forwarded (JVB's cc/vp9 filters them); AV1 is forwarded by the generic context (JVB's cc/av1
// reads the dependency descriptor).
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

  bool classify(const rtp::RtpPacket& parsed, EncodingState& enc, PacketInfo& info);
  bool may_start_segment(const EncodingState& enc, const PacketInfo& info,
                         std::optional<std::int64_t> highest_ts_before) const;
  void start_segment(Timestamp now, int encoding, const PacketInfo& info);
  void forward(Timestamp now, std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed,
               EncodingState& enc, const PacketInfo& info);
  void reset_encoding(EncodingState& enc, std::uint32_t ssrc);

  std::uint32_t projected_ssrc_;
  CodecPayloadTypes payload_types_;
  std::vector<EncodingState> encodings_;  // sized once, in the constructor
  int target_ = -1;
  int current_ = -1;

  // The current segment: input (unwrapped) + offset = output (unwrapped).
  std::int64_t segment_start_seq_ = 0;
  std::int64_t seq_offset_ = 0;
  std::int64_t ts_offset_ = 0;
  std::optional<std::int64_t> picture_id_offset_;
  std::optional<std::int64_t> tl0_offset_;

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
