// SSRC rewriting for one receiver (JVB's SsrcCache). See the header for the rules.
#include "bridge/media/rewriting/ssrc_rewriter.hpp"

#include <algorithm>
#include <limits>

#include "bridge/codecs/vp8_descriptor.hpp"
#include "bridge/media/rewriting/header_extension_writer.hpp"

namespace jvb::media {

namespace {

// A packet this far behind the newest one of its source is not late (NACK and reordering
// windows are far smaller) but a restarted sender (the same bound as VideoProjection's).
constexpr std::int64_t kMaxLateSeqDistance = 3000;

std::uint32_t read_ssrc(std::span<const std::uint8_t> packet) {
  return (std::uint32_t{packet[8]} << 24) | (std::uint32_t{packet[9]} << 16) |
         (std::uint32_t{packet[10]} << 8) | std::uint32_t{packet[11]};
}

}  // namespace

const char* slot_kind_name(SlotKind kind) {
  switch (kind) {
    case SlotKind::kAudio:
      return "audio";
    case SlotKind::kVideo:
      return "video";
  }
  return "unknown";
}

const char* rewrite_status_name(RewriteStatus status) {
  switch (status) {
    case RewriteStatus::kForwarded:
      return "forwarded";
    case RewriteStatus::kNoSlot:
      return "no-slot";
    case RewriteStatus::kWaitingForKeyframe:
      return "waiting-for-keyframe";
    case RewriteStatus::kLate:
      return "late";
    case RewriteStatus::kBadPacket:
      return "bad-packet";
    case RewriteStatus::kWrongKind:
      return "wrong-kind";
  }
  return "unknown";
}

struct SsrcRewriter::PacketInfo {
  std::int64_t seq = 0;
  std::int64_t ts = 0;
  bool vp8 = false;             // parsed as VP8
  bool keyframe_start = false;  // first packet of a VP8 keyframe
  codecs::Vp8Descriptor descriptor;
  std::optional<std::int64_t> picture_id;
  bool picture_id_restarted = false;  // its 7/15-bit form changed
  std::optional<std::int64_t> tl0;
};

SsrcRewriter::SsrcRewriter(const SsrcRewriterConfig& config, std::uint64_t seed,
                           std::span<const std::uint32_t> reserved)
    : config_(config), rng_(seed), reserved_(reserved.begin(), reserved.end()) {
  // Every slotted source must fit, plus one so that a new source can always displace an
  // unslotted one (forget_one_source).
  config_.max_sources = std::max(config_.max_sources, config_.audio_slots + config_.video_slots + 1);
  audio_slots_.resize(config_.audio_slots);
  video_slots_.resize(config_.video_slots);
  for (std::size_t i = 0; i < audio_slots_.size(); ++i) {
    audio_slots_[i].kind = SlotKind::kAudio;
    if (config_.mids) audio_slots_[i].mid = "a" + std::to_string(i);
  }
  for (std::size_t i = 0; i < video_slots_.size(); ++i) {
    video_slots_[i].kind = SlotKind::kVideo;
    if (config_.mids) video_slots_[i].mid = "v" + std::to_string(i);
  }
  sources_.reserve(config_.max_sources);
  send_index_.reserve(audio_slots_.size() + 2 * video_slots_.size());
}

bool SsrcRewriter::reserve_ssrc(std::uint32_t ssrc) {
  reserved_.insert(ssrc);
  return send_index_.find(ssrc) == send_index_.end();
}

// --- source and slot bookkeeping ---

SsrcRewriter::SourceState* SsrcRewriter::find_source(std::uint32_t ssrc) {
  auto it = sources_.find(ssrc);
  return it == sources_.end() ? nullptr : &it->second;
}

const SsrcRewriter::SourceState* SsrcRewriter::find_source(std::uint32_t ssrc) const {
  auto it = sources_.find(ssrc);
  return it == sources_.end() ? nullptr : &it->second;
}

SsrcRewriter::SourceState& SsrcRewriter::source_state(std::uint32_t ssrc, SlotKind kind) {
  if (sources_.size() >= config_.max_sources) forget_one_source();
  auto [it, inserted] = sources_.try_emplace(ssrc);
  if (inserted) it->second.kind = kind;
  return it->second;
}

void SsrcRewriter::forget_one_source() {
  auto victim = sources_.end();
  for (auto it = sources_.begin(); it != sources_.end(); ++it) {
    if (it->second.slot >= 0) continue;
    if (victim == sources_.end() || it->second.last_used < victim->second.last_used) victim = it;
  }
  // max_sources exceeds the number of slots, so a state without a slot exists.
  if (victim != sources_.end()) {
    sources_.erase(victim);
    ++counters_.sources_forgotten;
  }
}

std::uint32_t SsrcRewriter::draw_ssrc() {
  for (;;) {
    const auto ssrc = static_cast<std::uint32_t>(rng_() >> 32);
    if (ssrc != 0 && reserved_.find(ssrc) == reserved_.end() && send_index_.find(ssrc) == send_index_.end()) {
      return ssrc;
    }
    ++counters_.ssrc_redraws;
  }
}

void SsrcRewriter::ensure_ssrcs(Slot& slot, std::uint32_t index) {
  if (slot.ssrc != 0) return;
  slot.ssrc = draw_ssrc();
  send_index_.emplace(slot.ssrc, SendRef{slot.kind, index, false});
  if (slot.kind == SlotKind::kVideo) {
    slot.rtx_ssrc = draw_ssrc();
    send_index_.emplace(slot.rtx_ssrc, SendRef{slot.kind, index, true});
  }
}

std::uint32_t SsrcRewriter::pick_victim(SlotKind kind) const {
  const auto& table = slots(kind);
  for (std::uint32_t i = 0; i < table.size(); ++i) {
    if (!table[i].occupied) return i;
  }
  std::optional<std::uint32_t> idle;
  std::uint32_t any = 0;
  for (std::uint32_t i = 0; i < table.size(); ++i) {
    const Slot& s = table[i];
    if (kind == SlotKind::kVideo && !s.active && (!idle || s.last_used < table[*idle].last_used)) idle = i;
    if (s.last_used < table[any].last_used) any = i;
  }
  return idle ? *idle : any;
}

void SsrcRewriter::set_dirty(Slot& slot) {
  if (slot.dirty) return;
  slot.dirty = true;
  ++dirty_[index_of(slot.kind)];
}

void SsrcRewriter::clear_dirty(Slot& slot) {
  if (!slot.dirty) return;
  slot.dirty = false;
  --dirty_[index_of(slot.kind)];
}

void SsrcRewriter::assign(SlotKind kind, std::uint32_t index, std::uint32_t source_ssrc, SourceState& state,
                          std::string_view source, std::string_view owner, std::string_view video_type) {
  Slot& slot = slots(kind)[index];
  if (slot.occupied) {
    if (SourceState* displaced = find_source(slot.source_ssrc)) displaced->slot = -1;
    ++counters_.remaps;
  }
  ensure_ssrcs(slot, index);
  slot.occupied = true;
  slot.active = kind == SlotKind::kAudio;
  slot.source_ssrc = source_ssrc;
  slot.source.assign(source);
  slot.owner.assign(owner);
  slot.video_type.assign(kind == SlotKind::kVideo ? video_type : std::string_view{});
  slot.mapping = Mapping{};
  state.slot = static_cast<int>(index);
  set_dirty(slot);
  ++counters_.mappings;
}

void SsrcRewriter::free_slot(Slot& slot) {
  clear_dirty(slot);
  slot.occupied = false;
  slot.active = false;
  slot.source_ssrc = 0;
  slot.source.clear();
  slot.owner.clear();
  slot.video_type.clear();
  slot.mapping = Mapping{};
}

void SsrcRewriter::touch(Slot& slot, SourceState& state) {
  slot.last_used = ++tick_;
  state.last_used = tick_;
}

// --- video slots ---

std::optional<std::uint32_t> SsrcRewriter::activate(const VideoSourceDesc& desc) {
  if (video_slots_.empty()) return std::nullopt;
  SourceState* state = find_source(desc.primary_ssrc);
  if (state && state->kind != SlotKind::kVideo) return std::nullopt;
  if (!state) state = &source_state(desc.primary_ssrc, SlotKind::kVideo);
  if (state->slot >= 0) {
    Slot& slot = video_slots_[static_cast<std::size_t>(state->slot)];
    if (slot.source != desc.source || slot.owner != desc.owner || slot.video_type != desc.video_type) {
      slot.source.assign(desc.source);
      slot.owner.assign(desc.owner);
      slot.video_type.assign(desc.video_type);
      set_dirty(slot);
    }
    slot.active = true;
    touch(slot, *state);
    return slot.ssrc;
  }
  const std::uint32_t index = pick_victim(SlotKind::kVideo);
  assign(SlotKind::kVideo, index, desc.primary_ssrc, *state, desc.source, desc.owner, desc.video_type);
  Slot& slot = video_slots_[index];
  slot.active = true;
  touch(slot, *state);
  return slot.ssrc;
}

std::optional<std::uint32_t> SsrcRewriter::premap(const VideoSourceDesc& desc) {
  SourceState* state = find_source(desc.primary_ssrc);
  if (state && state->kind != SlotKind::kVideo) return std::nullopt;
  if (state && state->slot >= 0) return video_slots_[static_cast<std::size_t>(state->slot)].ssrc;
  auto free =
      std::find_if(video_slots_.begin(), video_slots_.end(), [](const Slot& s) { return !s.occupied; });
  if (free == video_slots_.end()) return std::nullopt;
  if (!state) state = &source_state(desc.primary_ssrc, SlotKind::kVideo);
  const auto index = static_cast<std::uint32_t>(free - video_slots_.begin());
  assign(SlotKind::kVideo, index, desc.primary_ssrc, *state, desc.source, desc.owner, desc.video_type);
  Slot& slot = video_slots_[index];
  slot.active = false;
  touch(slot, *state);
  return slot.ssrc;
}

void SsrcRewriter::deactivate(std::uint32_t primary_ssrc) {
  SourceState* state = find_source(primary_ssrc);
  if (!state || state->kind != SlotKind::kVideo || state->slot < 0) return;
  video_slots_[static_cast<std::size_t>(state->slot)].active = false;
}

void SsrcRewriter::set_video_sources(std::span<const VideoSourceDesc> active,
                                     std::span<const VideoSourceDesc> premapped) {
  // More sources than slots: the tail of the priority list gets none. With at most as many
  // active sources as slots, every new one finds a free or idle slot, so no active source of
  // this allocation displaces another.
  if (active.size() > video_slots_.size()) active = active.first(video_slots_.size());
  ++generation_;
  for (const auto& desc : active) {
    const SourceState* state = find_source(desc.primary_ssrc);
    if (state && state->kind == SlotKind::kVideo && state->slot >= 0) {
      video_slots_[static_cast<std::size_t>(state->slot)].active_generation = generation_;
    }
  }
  for (Slot& slot : video_slots_) slot.active = slot.occupied && slot.active_generation == generation_;
  // Last to first, so that the first (most important) source is the most recently used.
  for (auto it = active.rbegin(); it != active.rend(); ++it) (void)activate(*it);
  for (const auto& desc : premapped) (void)premap(desc);
}

void SsrcRewriter::remove_source(std::uint32_t original_ssrc) {
  auto it = sources_.find(original_ssrc);
  if (it == sources_.end()) return;
  if (it->second.slot >= 0) free_slot(slots(it->second.kind)[static_cast<std::size_t>(it->second.slot)]);
  sources_.erase(it);
}

void SsrcRewriter::remove_owner(std::string_view owner) {
  for (auto* table : {&audio_slots_, &video_slots_}) {
    for (Slot& slot : *table) {
      if (slot.occupied && slot.owner == owner) remove_source(slot.source_ssrc);
    }
  }
}

// --- packet path ---

bool SsrcRewriter::classify(const rtp::RtpPacket& parsed, SourceState& state, PacketInfo& info) const {
  info.seq = state.seq.unwrap(parsed.sequence_number());
  info.ts = state.ts.unwrap(parsed.timestamp());
  if (state.kind != SlotKind::kVideo || !config_.vp8_payload_types.contains(parsed.payload_type()))
    return true;
  auto descriptor = codecs::parse_vp8_descriptor(parsed.payload());
  if (!descriptor) return false;
  info.vp8 = true;
  info.descriptor = *descriptor;
  info.keyframe_start =
      codecs::parse_vp8_frame_info(info.descriptor, parsed.payload().subspan(info.descriptor.size)).keyframe;
  if (info.descriptor.picture_id) {
    const bool fifteen_bit = info.descriptor.picture_id_15_bit;
    info.picture_id_restarted = state.picture_id.form_differs(fifteen_bit);
    info.picture_id = state.picture_id.unwrap(*info.descriptor.picture_id, fifteen_bit);
  }
  if (info.descriptor.tl0_pic_idx) info.tl0 = state.tl0.unwrap(*info.descriptor.tl0_pic_idx);
  return true;
}

void SsrcRewriter::note_seen(SourceState& state, const PacketInfo& info) {
  if (!state.last_seq || info.seq > *state.last_seq) {
    state.last_seq = info.seq;
    state.last_ts = info.ts;
  }
}

void SsrcRewriter::start_mapping(Slot& slot, const SourceState& state, const PacketInfo& info) {
  std::int64_t out_seq = info.seq;
  std::int64_t out_ts = info.ts;
  if (slot.has_output) {
    out_seq = slot.out_seq + 1;
    // The source's own distance from its previous packet keeps its timing; without one, assume
    // one frame (as JVB's SsrcCache does).
    std::int64_t step = slot.kind == SlotKind::kAudio ? config_.audio_frame_ticks : config_.video_frame_ticks;
    if (state.last_seq && info.seq > *state.last_seq && info.ts > state.last_ts)
      step = info.ts - state.last_ts;
    out_ts = slot.out_ts + step;
  }
  Mapping& m = slot.mapping;
  m = Mapping{};
  m.started = true;
  m.start_seq = info.seq;
  m.seq_offset = out_seq - info.seq;
  m.ts_offset = out_ts - info.ts;
  ++counters_.mapping_starts;
}

void SsrcRewriter::write(std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed, Slot& slot,
                         const PacketInfo& info) {
  Mapping& m = slot.mapping;
  const std::int64_t out_seq = info.seq + m.seq_offset;
  const std::int64_t out_ts = info.ts + m.ts_offset;
  // `packet` has the parsed view's length, so at least the fixed header: these cannot fail.
  (void)rtp::set_sequence_number(packet, static_cast<std::uint16_t>(out_seq));
  (void)rtp::set_timestamp(packet, static_cast<std::uint32_t>(out_ts));
  (void)rtp::set_ssrc(packet, slot.ssrc);

  if (info.vp8) {
    const auto payload = packet.subspan(parsed.header_size(), parsed.payload_size());
    if (info.picture_id) {
      if (info.picture_id_restarted) m.picture_id_offset.reset();
      if (!m.picture_id_offset) {
        m.picture_id_offset = slot.out_picture_id ? *slot.out_picture_id + 1 - *info.picture_id : 0;
      }
      const std::int64_t out = *info.picture_id + *m.picture_id_offset;
      (void)codecs::rewrite_vp8_picture_id(payload, info.descriptor,
                                           static_cast<std::uint16_t>(out & 0x7FFF));
      if (!slot.out_picture_id || out > *slot.out_picture_id) slot.out_picture_id = out;
    }
    if (info.tl0) {
      if (!m.tl0_offset) m.tl0_offset = slot.out_tl0 ? *slot.out_tl0 + 1 - *info.tl0 : 0;
      const std::int64_t out = *info.tl0 + *m.tl0_offset;
      (void)codecs::rewrite_vp8_tl0_pic_idx(payload, info.descriptor, static_cast<std::uint8_t>(out & 0xFF));
      if (!slot.out_tl0 || out > *slot.out_tl0) slot.out_tl0 = out;
    }
  }

  if (!slot.has_output || out_seq > slot.out_seq) slot.out_seq = out_seq;
  if (!slot.has_output || out_ts > slot.out_ts) slot.out_ts = out_ts;
  slot.has_output = true;
}

RewriteResult SsrcRewriter::rewrite(std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed,
                                    SourceState& state, RewriteResult result) {
  PacketInfo info;
  if (!classify(parsed, state, info)) {
    ++counters_.dropped_bad_payload;
    result.status = RewriteStatus::kBadPacket;
    return result;
  }
  Slot& slot = slots(state.kind)[static_cast<std::size_t>(state.slot)];
  if (state.last_seq && info.seq + kMaxLateSeqDistance < *state.last_seq) {
    // A restarted sender: new number spaces, and a new start on the same slot.
    ++counters_.stream_resets;
    state.seq.reset();
    state.ts.reset();
    state.picture_id.reset();
    state.tl0.reset();
    state.last_seq.reset();
    info = PacketInfo{};
    (void)classify(parsed, state, info);  // parsed fine a moment ago
    slot.mapping = Mapping{};
  }

  if (!slot.mapping.started) {
    if (info.vp8 && !info.keyframe_start) {
      note_seen(state, info);
      ++counters_.dropped_waiting_keyframe;
      result.status = RewriteStatus::kWaitingForKeyframe;
      result.request_keyframe = true;
      return result;
    }
    start_mapping(slot, state, info);
    // Without keyframe knowledge the receiver's decoder may start mid-stream: ask once.
    if (state.kind == SlotKind::kVideo && !info.vp8) result.request_keyframe = true;
  } else if (info.seq < slot.mapping.start_seq) {
    note_seen(state, info);
    ++counters_.dropped_late;
    result.status = RewriteStatus::kLate;
    return result;
  }

  write(packet, parsed, slot, info);
  note_seen(state, info);
  touch(slot, state);
  ++counters_.forwarded;
  result.status = RewriteStatus::kForwarded;
  return result;
}

// The checks both kinds start with: the buffer matches its view, and the SSRC is not known as a
// source of the other kind. `state` is the source's state when it has one.
bool SsrcRewriter::admit(std::span<const std::uint8_t> packet, const rtp::RtpPacket& parsed, SlotKind kind,
                         SourceState*& state, RewriteResult& result) {
  if (packet.size() != parsed.bytes().size()) {
    ++counters_.dropped_bad_packet;
    result.status = RewriteStatus::kBadPacket;
    return false;
  }
  state = find_source(parsed.ssrc());
  if (state && state->kind != kind) {
    ++counters_.dropped_wrong_kind;
    result.status = RewriteStatus::kWrongKind;
    return false;
  }
  return true;
}

RewriteResult SsrcRewriter::rewrite_audio(std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed,
                                          const AudioSourceDesc& desc) {
  RewriteResult result;
  SourceState* state = nullptr;
  if (!admit(packet, parsed, SlotKind::kAudio, state, result)) return result;
  if (audio_slots_.empty()) {
    ++counters_.dropped_no_slot;
    return result;
  }
  if (!state) state = &source_state(parsed.ssrc(), SlotKind::kAudio);
  if (state->slot < 0) {
    assign(SlotKind::kAudio, pick_victim(SlotKind::kAudio), parsed.ssrc(), *state, desc.source, desc.owner,
           {});
    result.mapping_changed = true;
  }
  return rewrite(packet, parsed, *state, result);
}

RewriteResult SsrcRewriter::rewrite_video(std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed) {
  RewriteResult result;
  SourceState* state = nullptr;
  if (!admit(packet, parsed, SlotKind::kVideo, state, result)) return result;
  if (!state || state->slot < 0) {
    // A displaced source keeps its timeline current, for when it gets a slot again.
    PacketInfo info;
    if (state && classify(parsed, *state, info)) note_seen(*state, info);
    ++counters_.dropped_no_slot;
    return result;
  }
  return rewrite(packet, parsed, *state, result);
}

// --- announcements ---

SourceMapping SsrcRewriter::mapping_of(const Slot& slot) const {
  SourceMapping m;
  m.kind = slot.kind;
  m.source = slot.source;
  m.owner = slot.owner;
  m.ssrc = slot.ssrc;
  if (slot.kind == SlotKind::kVideo) {
    m.rtx = slot.rtx_ssrc;
    m.video_type = slot.video_type;
  }
  m.mid = slot.mid;  // empty unless config_.mids
  return m;
}

std::vector<SourceMapping> SsrcRewriter::take_mapping_updates(SlotKind kind) {
  std::vector<SourceMapping> out;
  if (dirty_[index_of(kind)] == 0) return out;
  for (Slot& slot : slots(kind)) {
    if (!slot.dirty) continue;
    clear_dirty(slot);
    if (slot.occupied) out.push_back(mapping_of(slot));
  }
  return out;
}

std::vector<SourceMapping> SsrcRewriter::all_mappings(SlotKind kind) const {
  std::vector<SourceMapping> out;
  for (const Slot& slot : slots(kind)) {
    if (slot.occupied) out.push_back(mapping_of(slot));
  }
  return out;
}

// --- feedback, reports, retransmission, mid ---

std::optional<SlotOccupant> SsrcRewriter::find_send_ssrc(std::uint32_t send_ssrc) const {
  auto it = send_index_.find(send_ssrc);
  if (it == send_index_.end()) return std::nullopt;
  const Slot& slot = slots(it->second.kind)[it->second.index];
  if (!slot.occupied) return std::nullopt;
  return SlotOccupant{slot.kind, slot.source_ssrc, slot.source, slot.owner, it->second.rtx};
}

std::optional<std::uint32_t> SsrcRewriter::send_ssrc_of(std::uint32_t original_ssrc) const {
  const SourceState* state = find_source(original_ssrc);
  if (!state || state->slot < 0) return std::nullopt;
  return slots(state->kind)[static_cast<std::size_t>(state->slot)].ssrc;
}

std::optional<SenderReportMapping> SsrcRewriter::map_sender_report(std::uint32_t original_ssrc,
                                                                   std::uint32_t rtp_timestamp) const {
  const SourceState* state = find_source(original_ssrc);
  if (!state || state->slot < 0) return std::nullopt;
  const Slot& slot = slots(state->kind)[static_cast<std::size_t>(state->slot)];
  // Before the first forwarded packet there is no timeline to place the report on.
  if (!slot.mapping.started) return std::nullopt;
  const std::int64_t out = state->ts.peek(rtp_timestamp) + slot.mapping.ts_offset;
  return SenderReportMapping{slot.ssrc, static_cast<std::uint32_t>(out)};
}

std::optional<std::uint32_t> SsrcRewriter::rtx_ssrc_of(std::uint32_t send_ssrc) const {
  auto it = send_index_.find(send_ssrc);
  if (it == send_index_.end() || it->second.kind != SlotKind::kVideo || it->second.rtx) return std::nullopt;
  return video_slots_[it->second.index].rtx_ssrc;
}

std::optional<RtxTarget> SsrcRewriter::next_rtx(std::uint32_t send_ssrc) {
  auto it = send_index_.find(send_ssrc);
  if (it == send_index_.end() || it->second.kind != SlotKind::kVideo || it->second.rtx) return std::nullopt;
  Slot& slot = video_slots_[it->second.index];
  return RtxTarget{slot.rtx_ssrc, ++slot.rtx_seq};
}

std::optional<std::string_view> SsrcRewriter::mid_of(std::uint32_t send_ssrc) const {
  if (!config_.mids) return std::nullopt;
  auto it = send_index_.find(send_ssrc);
  if (it == send_index_.end()) return std::nullopt;
  return std::string_view(slots(it->second.kind)[it->second.index].mid);
}

Result<std::size_t, rtp::RtpError> SsrcRewriter::stamp_mid(std::span<std::uint8_t> buffer, std::size_t length,
                                                           std::optional<std::uint8_t> mid_extension_id) {
  if (!mid_extension_id || !config_.mids) return length;
  if (length > buffer.size() || length < rtp::kFixedHeaderSize) {
    ++counters_.mid_stamp_failures;
    return unexpected(length > buffer.size() ? rtp::RtpError::kBufferTooSmall : rtp::RtpError::kTooShort);
  }
  const auto mid = mid_of(read_ssrc(buffer));
  if (!mid) return length;
  auto result =
      set_header_extension(buffer, length, *mid_extension_id,
                           std::span(reinterpret_cast<const std::uint8_t*>(mid->data()), mid->size()));
  if (result) {
    ++counters_.mids_stamped;
  } else {
    ++counters_.mid_stamp_failures;
  }
  return result;
}

}  // namespace jvb::media
