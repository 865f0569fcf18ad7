// SSRC rewriting for one receiver that advertised the "ssrc-rewriting" capability (JVB's SsrcCache;
// the VideoSourcesMap / AudioSourcesMap messages that lib-jitsi-meet's
// JingleSessionPC.processSourceMap reads). Jicofo then signals no remote SSRCs to that receiver:
// the bridge forwards every remote source on a bounded set of bridge-chosen SSRC "slots" and tells
// the receiver which source occupies which slot.
//
// Per receiver there are two slot tables, audio and video (videobridge.ssrc-limit.audio/.video,
// 50 each). A slot owns a random send SSRC (video slots also an RTX SSRC, RFC 4588), drawn the
// first time the slot is used, never 0, unique among this receiver's slot SSRCs and outside the
// SSRCs the caller reserved (the receiver's own SSRCs, the bridge's local SSRCs: RFC 3550 §8
// wants one SSRC per source in the session). With mid-based demux a slot also has a fixed mid,
// "a0", "a1", ... / "v0", "v1", ... (the index in its table).
//
// Who gets a slot:
//  * video: the allocation activates a source (effective constraints non-zero) with activate()
//    or set_video_sources(); premap() maps a source only into a never-used (free) slot, so
//    sources disabled by last-N can be announced ahead of time without displacing anybody;
//    deactivate() keeps the mapping but makes the slot the first to be reused;
//  * audio: the first packet of a source that has no slot takes one.
// When the table is full the victim is, in order: a free slot (lowest index, so mids grow
// a0, a1, ...), the least recently used idle (deactivated or premapped) video slot, the least
// recently used slot. "Used" = activated, or a packet forwarded on it. Finding the victim is a
// scan over at most ssrc-limit slots; it runs only when a mapping is created, never per packet.
//
// Every new or changed mapping sets the slot dirty; take_mapping_updates() returns the dirty
// slots' current mappings for one VideoSourcesMap / AudioSourcesMap message, all_mappings()
// everything for a bridge-channel (re)connect. A freed slot (its source left) is not
// announced, as in JVB: the next occupant's announcement relabels it.
//
// Rewriting (rewrite_audio / rewrite_video). What arrives for video is the output of the
// per-receiver VideoProjection: one continuous stream per source on its primary SSRC. The first
// packet of a mapping on a slot fixes offsets so that the receiver sees one stream per slot:
//  * seq := previous output seq of the slot + 1;
//  * ts := previous output ts of the slot + the source's own step, i.e. the distance from the
//    last packet of that source seen here (forwarded or not, on any slot) to this one; without
//    such a packet one frame: 960 ticks (20 ms Opus) for audio, 3000 (one 30 fps frame at
//    90 kHz) for video (as JVB's SsrcCache);
//  * VP8 PictureID and TL0PICIDX := previous output value of the slot + 1 (RFC 7741 §4.2; the
//    first packet is a keyframe, a new picture at temporal layer 0);
//  * a slot's very first mapping keeps the source's own values.
// After that every packet of the mapping is shifted by the same offsets (numbers unwrapped to 64
// bits per source on the way in), so loss stays a gap of the same size. Packets
// older than the mapping's first packet are dropped (their output numbers may belong to the
// previous occupant). A video mapping starts only at the first packet of a VP8 keyframe; before
// that packets are dropped (kWaitingForKeyframe) and the result asks the caller to request a
// keyframe from the owner. Video that is not VP8 (no keyframe knowledge) starts at once and
// asks for one keyframe, like JVB's GenericAdaptiveSourceProjectionContext. A source whose
// sequence number jumps far backwards has restarted: its mapping starts again on the same slot.
//
// Lookups: the source table is a hash map keyed by original SSRC (one find per packet; node
// allocation only when a source is first seen); the reverse table (slot SSRC -> slot) is a
// hash map filled when a slot draws its SSRCs. No allocation per packet in steady state.
// Source state (the "last packet seen" above) outlives the slot, so a source that comes back
// continues its own timeline; at most max_sources states are kept (the least recently used
// source without a slot is forgotten first).
//
// Feedback from the receiver (PLI/FIR/NACK) names slot SSRCs: find_send_ssrc() gives the
// source's original primary SSRC and owner. Sender reports going to the receiver are mapped
// with map_sender_report() (an SR of a source without a started mapping is dropped).
// Retransmissions are built by the caller from its cache of packets already on slot SSRCs;
// next_rtx() gives the slot's RTX SSRC and that RTX stream's next sequence number. stamp_mid()
// writes the slot's mid (sdes:mid, RFC 8843 §15) into media and RTX packets on slot SSRCs.
//
// One instance per receiving endpoint, owned and called by that endpoint's media worker thread
// only; it never reads the clock and never calls back. Bad input (a buffer that does not match
// its parsed view, a VP8 payload whose descriptor does not parse) is dropped and counted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bridge/codecs/vp8_picture_id.hpp"
#include "bridge/core/result.hpp"
#include "bridge/media/projection/video_projection.hpp"  // PayloadTypeSet (header-only)
#include "bridge/rtp/rtp_packet.hpp"
#include "bridge/rtp/sequence_unwrapper.hpp"

namespace jvb::media {

enum class SlotKind : std::uint8_t { kAudio, kVideo };
const char* slot_kind_name(SlotKind kind);

struct SsrcRewriterConfig {
  std::size_t audio_slots = 50;  // videobridge.ssrc-limit.audio
  std::size_t video_slots = 50;  // videobridge.ssrc-limit.video
  bool mids = false;             // mid-based demux: slots carry mids and stamp_mid() writes them
  PayloadTypeSet vp8_payload_types = PayloadTypeSet(kDefaultVp8PayloadType);
  // The timestamp step assumed at a remap when the source's previous packet is unknown.
  std::uint32_t audio_frame_ticks = 960;   // 20 ms at 48 kHz
  std::uint32_t video_frame_ticks = 3000;  // 1/30 s at 90 kHz
  // Original SSRCs remembered; raised to audio_slots + video_slots + 1 if smaller.
  std::size_t max_sources = 1024;
};

// A video source as the allocation names it.
struct VideoSourceDesc {
  std::string_view source;  // source name, e.g. "79f0273d-v0"
  std::string_view owner;   // endpoint id
  std::uint32_t primary_ssrc = 0;
  std::string_view video_type;  // as VideoSourcesMap carries it: "CAMERA", "DESKTOP", ...
};

// An audio source, given with each of its packets (only copied when it takes a slot).
struct AudioSourceDesc {
  std::string_view source;  // e.g. "79f0273d-a0"
  std::string_view owner;
};

// One entry of a VideoSourcesMap / AudioSourcesMap "mappedSources" list.
struct SourceMapping {
  SlotKind kind = SlotKind::kAudio;
  std::string source;
  std::string owner;
  std::uint32_t ssrc = 0;
  std::uint32_t rtx = 0;   // video only
  std::string video_type;  // video only
  std::string mid;         // empty unless mid-based demux
  bool operator==(const SourceMapping&) const = default;
};

enum class RewriteStatus : std::uint8_t {
  kForwarded,           // rewritten in place: send it
  kNoSlot,              // the source has no slot (video: not activated, or displaced)
  kWaitingForKeyframe,  // a new video mapping waits for a keyframe start
  kLate,                // older than the first packet of its mapping
  kBadPacket,           // buffer and parsed view disagree, or an unparsable VP8 descriptor
  kWrongKind,           // the SSRC is known as a source of the other kind
};
const char* rewrite_status_name(RewriteStatus status);

struct RewriteResult {
  RewriteStatus status = RewriteStatus::kNoSlot;
  // Ask the owner for a keyframe of the source's primary SSRC (the caller throttles).
  bool request_keyframe = false;
  // A mapping changed: take_mapping_updates() has something to announce.
  bool mapping_changed = false;
  bool forward() const { return status == RewriteStatus::kForwarded; }
};

// Who is behind a slot SSRC, for feedback from the receiver (a PLI for a slot reaches the owner).
struct SlotOccupant {
  SlotKind kind = SlotKind::kAudio;
  std::uint32_t original_ssrc = 0;  // the source's primary SSRC (for PLI/FIR media SSRC)
  std::string_view source;          // valid until the next non-const call
  std::string_view owner;
  bool rtx = false;  // the SSRC asked about is the slot's RTX SSRC
};

struct SenderReportMapping {
  std::uint32_t ssrc = 0;           // the slot SSRC
  std::uint32_t rtp_timestamp = 0;  // on the slot's timeline
};

struct RtxTarget {
  std::uint32_t ssrc = 0;
  std::uint16_t sequence_number = 0;
};

struct SsrcRewriterCounters {
  std::uint64_t forwarded = 0;
  std::uint64_t dropped_no_slot = 0;
  std::uint64_t dropped_waiting_keyframe = 0;
  std::uint64_t dropped_late = 0;
  std::uint64_t dropped_bad_packet = 0;
  std::uint64_t dropped_bad_payload = 0;  // VP8 payload type, descriptor does not parse
  std::uint64_t dropped_wrong_kind = 0;
  std::uint64_t mappings = 0;           // a source put on a slot (first use or reuse)
  std::uint64_t remaps = 0;             // ... displacing another source
  std::uint64_t mapping_starts = 0;     // first forwarded packet of a mapping
  std::uint64_t stream_resets = 0;      // a source restarted its sequence numbers
  std::uint64_t sources_forgotten = 0;  // state dropped at the max_sources cap
  std::uint64_t ssrc_redraws = 0;       // a drawn SSRC collided and was drawn again
  std::uint64_t mids_stamped = 0;
  std::uint64_t mid_stamp_failures = 0;
};

class SsrcRewriter {
 public:
  // `seed` seeds the SSRC generator (production: from std::random_device, one per receiver;
  // tests: fixed). `reserved`: SSRCs no slot may use.
  SsrcRewriter(const SsrcRewriterConfig& config, std::uint64_t seed,
               std::span<const std::uint32_t> reserved = {});

  // Adds an SSRC no slot may use from now on. False if a slot already uses it (drawn earlier;
  // the caller may log it, nothing else changes).
  bool reserve_ssrc(std::uint32_t ssrc);

  // --- video slots (allocation side) ---

  // Gives the source a slot (reusing one as described above) and marks it active; an already
  // mapped source is touched, and re-announced if its owner or video type changed. Returns the
  // slot SSRC; nullopt when there are no video slots or the SSRC is a known audio source.
  std::optional<std::uint32_t> activate(const VideoSourceDesc& desc);
  // Maps an unmapped source into a free slot only, idle. Returns the slot SSRC, if mapped.
  std::optional<std::uint32_t> premap(const VideoSourceDesc& desc);
  // The source keeps its slot, which becomes reusable first.
  void deactivate(std::uint32_t primary_ssrc);
  // The whole allocation at once: `active` in priority order (when there are more sources than
  // slots the last ones lose), every other slot deactivated, then `premapped` premapped.
  void set_video_sources(std::span<const VideoSourceDesc> active,
                         std::span<const VideoSourceDesc> premapped = {});

  // A source left: its slot becomes free (keeping its SSRCs and output state), its state goes.
  void remove_source(std::uint32_t original_ssrc);
  // An endpoint left: remove_source() for every slotted source it owns.
  void remove_owner(std::string_view owner);

  // --- packet path ---

  // `packet` is the receiver's own writable copy of the bytes `parsed` was parsed from (same
  // length). Forwarded packets are rewritten in place: SSRC, seq, ts (video VP8 also PictureID
  // and TL0PICIDX); the length never changes.
  RewriteResult rewrite_audio(std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed,
                              const AudioSourceDesc& desc);
  RewriteResult rewrite_video(std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed);

  // --- announcements ---

  bool has_mapping_updates(SlotKind kind) const { return dirty_[index_of(kind)] > 0; }
  // The changed mappings since the last call, in slot order (empty: nothing to send).
  std::vector<SourceMapping> take_mapping_updates(SlotKind kind);
  // Every current mapping of that kind (bridge channel (re)connected).
  std::vector<SourceMapping> all_mappings(SlotKind kind) const;

  // --- feedback, reports, retransmission, mid ---

  // The occupant of the slot using `send_ssrc` (its primary or RTX SSRC).
  std::optional<SlotOccupant> find_send_ssrc(std::uint32_t send_ssrc) const;
  // The slot SSRC of a source, if it has a slot.
  std::optional<std::uint32_t> send_ssrc_of(std::uint32_t original_ssrc) const;
  // A sender report of `original_ssrc` (for video the primary SSRC, with the projection's
  // timestamp already applied): the slot SSRC and the RTP timestamp on the slot's timeline.
  // nullopt (drop the SR) when the source has no slot or its mapping has not started.
  std::optional<SenderReportMapping> map_sender_report(std::uint32_t original_ssrc,
                                                       std::uint32_t rtp_timestamp) const;
  // The RTX SSRC of the video slot whose primary SSRC is `send_ssrc`.
  std::optional<std::uint32_t> rtx_ssrc_of(std::uint32_t send_ssrc) const;
  // For a retransmission of a packet sent on the video slot SSRC `send_ssrc`: its RTX SSRC and
  // the next sequence number of that RTX stream (1, 2, ... per slot, as JVB numbers RTX).
  std::optional<RtxTarget> next_rtx(std::uint32_t send_ssrc);
  // The mid of the slot using `send_ssrc` (primary or RTX) when mids are on.
  std::optional<std::string_view> mid_of(std::uint32_t send_ssrc) const;
  // Writes the slot's mid into the packet in buffer[0, length) when mids are on, the receiver
  // negotiated the sdes:mid extension (`mid_extension_id`) and the packet's SSRC is a slot SSRC (as
  // JVB's MidStamper); the buffer needs spare room after `length` for the extension. Returns the
  // new length (unchanged when nothing is stamped); on error the packet is unchanged.
  Result<std::size_t, rtp::RtpError> stamp_mid(std::span<std::uint8_t> buffer, std::size_t length,
                                               std::optional<std::uint8_t> mid_extension_id);

  const SsrcRewriterConfig& config() const { return config_; }
  const SsrcRewriterCounters& counters() const { return counters_; }
  // Sources with state (slotted or remembered), for debug output and tests.
  std::size_t known_sources() const { return sources_.size(); }

 private:
  // The current source of a slot. Output = input (unwrapped per source) + offset.
  struct Mapping {
    bool started = false;
    std::int64_t start_seq = 0;
    std::int64_t seq_offset = 0;
    std::int64_t ts_offset = 0;
    std::optional<std::int64_t> picture_id_offset;
    std::optional<std::int64_t> tl0_offset;
  };

  struct Slot {
    SlotKind kind = SlotKind::kAudio;
    std::uint32_t ssrc = 0;  // 0 until the slot is first used
    std::uint32_t rtx_ssrc = 0;
    std::string mid;
    bool occupied = false;
    bool active = false;  // video: activated by the allocation
    bool dirty = false;
    std::uint64_t last_used = 0;
    std::uint64_t active_generation = 0;
    std::uint32_t source_ssrc = 0;
    std::string source;
    std::string owner;
    std::string video_type;
    Mapping mapping;
    // What the receiver got on this SSRC so far, over all occupants (highest values).
    bool has_output = false;
    std::int64_t out_seq = 0;
    std::int64_t out_ts = 0;
    std::optional<std::int64_t> out_picture_id;
    std::optional<std::int64_t> out_tl0;
    std::uint16_t rtx_seq = 0;  // last RTX sequence number handed out
  };

  struct SourceState {
    SlotKind kind = SlotKind::kAudio;
    int slot = -1;
    rtp::SequenceNumberUnwrapper seq;
    rtp::TimestampUnwrapper ts;
    codecs::Vp8PictureIdUnwrapper picture_id;
    rtp::Unwrapper<std::uint8_t> tl0;
    std::optional<std::int64_t> last_seq;  // highest seen here, forwarded or not
    std::int64_t last_ts = 0;              // of that packet
    std::uint64_t last_used = 0;
  };

  struct SendRef {
    SlotKind kind = SlotKind::kAudio;
    std::uint32_t index = 0;
    bool rtx = false;
  };

  struct PacketInfo;

  static std::size_t index_of(SlotKind kind) { return kind == SlotKind::kAudio ? 0 : 1; }
  std::vector<Slot>& slots(SlotKind kind) { return kind == SlotKind::kAudio ? audio_slots_ : video_slots_; }
  const std::vector<Slot>& slots(SlotKind kind) const {
    return kind == SlotKind::kAudio ? audio_slots_ : video_slots_;
  }

  SourceState* find_source(std::uint32_t ssrc);
  bool admit(std::span<const std::uint8_t> packet, const rtp::RtpPacket& parsed, SlotKind kind,
             SourceState*& state, RewriteResult& result);
  const SourceState* find_source(std::uint32_t ssrc) const;
  SourceState& source_state(std::uint32_t ssrc, SlotKind kind);
  void forget_one_source();
  std::uint32_t draw_ssrc();
  void ensure_ssrcs(Slot& slot, std::uint32_t index);
  std::uint32_t pick_victim(SlotKind kind) const;
  void assign(SlotKind kind, std::uint32_t index, std::uint32_t source_ssrc, SourceState& state,
              std::string_view source, std::string_view owner, std::string_view video_type);
  void set_dirty(Slot& slot);
  void clear_dirty(Slot& slot);
  void free_slot(Slot& slot);
  void touch(Slot& slot, SourceState& state);
  SourceMapping mapping_of(const Slot& slot) const;

  bool classify(const rtp::RtpPacket& parsed, SourceState& state, PacketInfo& info) const;
  void note_seen(SourceState& state, const PacketInfo& info);
  void start_mapping(Slot& slot, const SourceState& state, const PacketInfo& info);
  void write(std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed, Slot& slot,
             const PacketInfo& info);
  RewriteResult rewrite(std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed, SourceState& state,
                        RewriteResult result);

  SsrcRewriterConfig config_;
  std::mt19937_64 rng_;
  std::unordered_set<std::uint32_t> reserved_;
  std::vector<Slot> audio_slots_;
  std::vector<Slot> video_slots_;
  std::unordered_map<std::uint32_t, SourceState> sources_;
  std::unordered_map<std::uint32_t, SendRef> send_index_;
  std::uint64_t tick_ = 0;
  std::uint64_t generation_ = 0;
  std::size_t dirty_[2] = {0, 0};
  SsrcRewriterCounters counters_;
};

}  // namespace jvb::media
