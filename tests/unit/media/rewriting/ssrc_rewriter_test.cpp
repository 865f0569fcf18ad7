// Tests of bridge/media/rewriting/ssrc_rewriter.hpp: SSRC rewriting for receivers with the
// "ssrc-rewriting" capability (JVB's SsrcCache; the scenarios of its SsrcCacheTest and
// MidStamperTest), with real Opus-like audio packets and VP8 streams (RFC 7741) from the projection
// tests' generator.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <new>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/media/rewriting/ssrc_rewriter.hpp"
#include "bridge/rtp/rtp_extensions.hpp"
#include "tests/unit/media/projection/vp8_simulcast_stream.hpp"

// Counts heap allocations, so that the steady-state packet path can be shown to make none.
// GCC sees the replaced operator delete call free() on what its builtin knowledge says came from
// operator new; here both sides are ours, so the warning does not apply.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace jvb;
using media::RewriteStatus;
using media::SlotKind;
using media::SsrcRewriter;
using media::SsrcRewriterConfig;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr std::uint8_t kOpusPt = 111;

Bytes audio_packet(std::uint32_t ssrc, std::uint16_t seq, std::uint32_t ts) {
  Bytes b = test::rtp_header(kOpusPt, false, seq, ts, ssrc);
  for (int i = 0; i < 20; ++i) b.push_back(static_cast<std::uint8_t>(0x40 + i));
  return b;
}

// What came out of the rewriter for one packet.
struct Sent {
  media::RewriteResult result;
  Bytes bytes;
  std::uint32_t ssrc = 0;
  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  std::optional<std::uint16_t> picture_id;
  std::optional<std::uint8_t> tl0;
};

void read_back(Sent& s) {
  auto p = rtp::RtpPacket::parse(s.bytes);
  REQUIRE(p);
  s.ssrc = p->ssrc();
  s.seq = p->sequence_number();
  s.ts = p->timestamp();
  if (p->payload_type() == test::kVp8Pt) {
    if (auto d = codecs::parse_vp8_descriptor(p->payload())) {
      s.picture_id = d->picture_id;
      s.tl0 = d->tl0_pic_idx;
    }
  }
}

Sent send_audio(SsrcRewriter& rw, const Bytes& packet, std::string_view source, std::string_view owner) {
  auto parsed = rtp::RtpPacket::parse(packet);
  REQUIRE(parsed);
  Sent s;
  s.bytes = packet;
  s.result = rw.rewrite_audio(s.bytes, *parsed, media::AudioSourceDesc{source, owner});
  read_back(s);
  return s;
}

Sent send_video(SsrcRewriter& rw, const Bytes& packet) {
  auto parsed = rtp::RtpPacket::parse(packet);
  REQUIRE(parsed);
  Sent s;
  s.bytes = packet;
  s.result = rw.rewrite_video(s.bytes, *parsed);
  read_back(s);
  return s;
}

// A single-encoding VP8 stream, as the projection hands it over (one SSRC per source).
test::Vp8SimulcastSource vp8_source(std::uint32_t ssrc, std::uint16_t seq, std::uint32_t ts,
                                    std::uint16_t pid, std::uint8_t tl0) {
  return test::Vp8SimulcastSource({{ssrc, seq, ts, pid, tl0, 2}});
}

media::VideoSourceDesc video_desc(std::string_view source, std::string_view owner, std::uint32_t ssrc,
                                  std::string_view type = "CAMERA") {
  return media::VideoSourceDesc{source, owner, ssrc, type};
}

std::uint16_t u16(std::int64_t v) { return static_cast<std::uint16_t>(v); }
std::uint32_t u32(std::int64_t v) { return static_cast<std::uint32_t>(v); }

}  // namespace

TEST_CASE("200 audio sources on 50 slots keep every slot's seq +1 and ts +960 across remaps") {
  SsrcRewriter rw(SsrcRewriterConfig{}, 42);
  std::mt19937 rng(7);
  struct Source {
    std::uint32_t ssrc;
    std::uint16_t seq;
    std::uint32_t ts;
    std::string name;
    std::string owner;
  };
  std::vector<Source> sources;
  for (std::uint32_t i = 0; i < 200; ++i) {
    const std::string owner = "ep" + std::to_string(i);
    sources.push_back({0x10000 + i, static_cast<std::uint16_t>(rng()), static_cast<std::uint32_t>(rng()),
                       owner + "-a0", owner});
  }
  std::uniform_int_distribution<std::size_t> pick(0, sources.size() - 1);

  std::unordered_map<std::uint32_t, std::pair<std::uint16_t, std::uint32_t>> last;  // per output SSRC
  std::unordered_map<std::uint32_t, std::string> receiver_view;                     // from the announcements
  int not_forwarded = 0, seq_breaks = 0, ts_breaks = 0, mislabelled = 0, announcements = 0;
  for (int round = 0; round < 100000; ++round) {
    Source& s = sources[pick(rng)];
    const Sent out = send_audio(rw, audio_packet(s.ssrc, s.seq, s.ts), s.name, s.owner);
    ++s.seq;
    s.ts += 960;
    if (!out.result.forward()) {
      ++not_forwarded;
      continue;
    }
    if (out.result.mapping_changed) {
      for (const auto& m : rw.take_mapping_updates(SlotKind::kAudio)) {
        receiver_view[m.ssrc] = m.source;
        ++announcements;
      }
    }
    if (receiver_view[out.ssrc] != s.name) ++mislabelled;
    if (auto it = last.find(out.ssrc); it != last.end()) {
      if (out.seq != u16(it->second.first + 1)) ++seq_breaks;
      if (out.ts != u32(std::int64_t{it->second.second} + 960)) ++ts_breaks;
    }
    last[out.ssrc] = {out.seq, out.ts};
  }
  CHECK(not_forwarded == 0);
  CHECK(seq_breaks == 0);
  CHECK(ts_breaks == 0);
  CHECK(mislabelled == 0);
  CHECK(last.size() == 50);
  CHECK_FALSE(rw.has_mapping_updates(SlotKind::kAudio));
  CHECK(rw.counters().remaps > 1000);  // random speakers over 4x more sources than slots
  CHECK(static_cast<std::uint64_t>(announcements) == rw.counters().mappings);
  CHECK(rw.counters().forwarded == 100000);
  CHECK(rw.known_sources() == 200);
}

TEST_CASE("limit 2, sources 1001, 1002, 1003 get a0, a1, then a0 again with its SSRC") {
  SsrcRewriterConfig config;
  config.audio_slots = 2;
  config.mids = true;
  SsrcRewriter rw(config, 5);
  std::vector<std::vector<media::SourceMapping>> messages;
  for (std::uint32_t ssrc : {1001u, 1002u, 1003u}) {
    const std::string owner = "ep" + std::to_string(ssrc);
    const Sent out = send_audio(rw, audio_packet(ssrc, 10, 1000), owner + "-a0", owner);
    REQUIRE(out.result.forward());
    CHECK(out.result.mapping_changed);
    messages.push_back(rw.take_mapping_updates(SlotKind::kAudio));
  }
  REQUIRE(messages.size() == 3);
  for (const auto& m : messages) REQUIRE(m.size() == 1);
  const auto& a = messages[0][0];
  const auto& b = messages[1][0];
  const auto& c = messages[2][0];
  CHECK(a.mid == "a0");
  CHECK(a.source == "ep1001-a0");
  CHECK(a.owner == "ep1001");
  CHECK(a.kind == SlotKind::kAudio);
  CHECK(a.rtx == 0);
  CHECK(a.video_type.empty());
  CHECK(b.mid == "a1");
  CHECK(b.source == "ep1002-a0");
  CHECK(b.ssrc != a.ssrc);
  CHECK(c.mid == "a0");
  CHECK(c.ssrc == a.ssrc);
  CHECK(c.source == "ep1003-a0");
  CHECK(c.owner == "ep1003");
  CHECK_FALSE(rw.send_ssrc_of(1001));
  CHECK(rw.send_ssrc_of(1003) == a.ssrc);
  CHECK(rw.counters().remaps == 1);
  // A reconnect gets both current mappings.
  const auto all = rw.all_mappings(SlotKind::kAudio);
  REQUIRE(all.size() == 2);
  CHECK(all[0] == c);
  CHECK(all[1] == b);
  CHECK(rw.all_mappings(SlotKind::kVideo).empty());
}

TEST_CASE("a remap continues ts by the source's own step, or by one frame when it is unknown") {
  SsrcRewriterConfig config;
  config.audio_slots = 1;
  SsrcRewriter rw(config, 9);
  // X sends 40 ms packets (1920 ticks) and is displaced by Y, then comes back.
  std::uint16_t x_seq = 500;
  std::uint32_t x_ts = 100000;
  Sent out;
  for (int i = 0; i < 3; ++i, ++x_seq, x_ts += 1920)
    out = send_audio(rw, audio_packet(0x111, x_seq, x_ts), "x", "X");
  const Sent y = send_audio(rw, audio_packet(0x222, 7, 77), "y", "Y");  // never seen before
  REQUIRE(y.result.forward());
  CHECK(y.ssrc == out.ssrc);
  CHECK(y.seq == u16(out.seq + 1));
  CHECK(y.ts == out.ts + 960);
  // X skipped two packets while displaced: the ts keeps its real distance, the seq is +1.
  x_seq += 2;
  x_ts += 2 * 1920;
  const Sent x = send_audio(rw, audio_packet(0x111, x_seq, x_ts), "x", "X");
  REQUIRE(x.result.forward());
  CHECK(x.seq == u16(y.seq + 1));
  CHECK(x.ts == y.ts + 3 * 1920);
  // Inside one mapping an input gap stays a gap of the same size.
  const Sent x2 = send_audio(rw, audio_packet(0x111, u16(x_seq + 3), x_ts + 3 * 1920), "x", "X");
  CHECK(x2.seq == u16(x.seq + 3));
  CHECK(x2.ts == x.ts + 3 * 1920);
}

TEST_CASE("a video slot is announced, waits for a keyframe start and continues PictureID/TL0PICIDX") {
  SsrcRewriterConfig config;
  config.video_slots = 1;
  SsrcRewriter rw(config, 11);
  auto a = vp8_source(0xA000, 100, 5000, 1000, 50);
  auto b = vp8_source(0xB000, 65530, 0xFFFFF000u, 32760, 250);  // wraps seq, ts and PictureID soon

  const auto slot_ssrc = rw.activate(video_desc("a-v0", "alice", 0xA000));
  REQUIRE(slot_ssrc);
  auto updates = rw.take_mapping_updates(SlotKind::kVideo);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].kind == SlotKind::kVideo);
  CHECK(updates[0].source == "a-v0");
  CHECK(updates[0].owner == "alice");
  CHECK(updates[0].ssrc == *slot_ssrc);
  CHECK(updates[0].rtx != 0);
  CHECK(updates[0].rtx != *slot_ssrc);
  CHECK(updates[0].video_type == "CAMERA");
  CHECK(updates[0].mid.empty());

  // Delta frames before the first keyframe are dropped, each asking for a keyframe.
  for (int f = 0; f < 3; ++f) {
    for (const auto& p : a.frame(0, false)) {
      const Sent out = send_video(rw, p.bytes);
      CHECK(out.result.status == RewriteStatus::kWaitingForKeyframe);
      CHECK(out.result.request_keyframe);
    }
  }
  CHECK(rw.counters().dropped_waiting_keyframe == 6);
  CHECK_FALSE(rw.map_sender_report(0xA000, 5000));  // nothing sent yet: no timeline

  // The keyframe starts the slot; its first mapping keeps the source's own numbers.
  std::vector<Sent> a_out;
  std::vector<test::GeneratedPacket> a_in;
  for (int f = 0; f < 6; ++f) {
    for (const auto& p : a.frame(0, f == 0)) {
      const Sent out = send_video(rw, p.bytes);
      REQUIRE(out.result.forward());
      CHECK_FALSE(out.result.request_keyframe);
      a_out.push_back(out);
      a_in.push_back(p);
    }
  }
  CHECK(a_out.front().ssrc == *slot_ssrc);
  CHECK(a_out.front().seq == a_in.front().seq);
  CHECK(a_out.front().ts == a_in.front().ts);
  CHECK(a_out.front().picture_id == a_in.front().picture_id);
  CHECK(a_out.front().tl0 == a_in.front().tl0);
  for (std::size_t i = 1; i < a_out.size(); ++i) {
    CHECK(a_out[i].ssrc == *slot_ssrc);
    CHECK(a_out[i].seq == u16(a_out[i - 1].seq + 1));
  }
  const Sent a_last = a_out.back();

  // B displaces A (one slot, both active: the least recently used goes). Announced.
  CHECK(rw.activate(video_desc("b-v0", "bob", 0xB000, "DESKTOP")) == slot_ssrc);
  updates = rw.take_mapping_updates(SlotKind::kVideo);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].source == "b-v0");
  CHECK(updates[0].owner == "bob");
  CHECK(updates[0].video_type == "DESKTOP");
  CHECK(updates[0].ssrc == *slot_ssrc);
  const std::uint32_t rtx = updates[0].rtx;

  // A has no slot now; B waits for its keyframe.
  for (const auto& p : a.frame(0, false))
    CHECK(send_video(rw, p.bytes).result.status == RewriteStatus::kNoSlot);
  for (const auto& p : b.frame(0, false)) {
    CHECK(send_video(rw, p.bytes).result.status == RewriteStatus::kWaitingForKeyframe);
  }
  std::vector<Sent> b_out;
  std::vector<test::GeneratedPacket> b_in;
  for (int f = 0; f < 8; ++f) {
    const auto frame = b.frame(0, f == 0);
    for (std::size_t i = 0; i < frame.size(); ++i) {
      if (f == 5 && i == 0) continue;  // lost on the way in
      const Sent out = send_video(rw, frame[i].bytes);
      REQUIRE(out.result.forward());
      b_out.push_back(out);
      b_in.push_back(frame[i]);
    }
  }
  // Seq +1, ts one frame later (B's previous frame was seen while waiting), PictureID and
  // TL0PICIDX +1 from what A left on the slot.
  CHECK(b_out.front().ssrc == *slot_ssrc);
  CHECK(b_out.front().seq == u16(a_last.seq + 1));
  CHECK(b_out.front().ts == a_last.ts + 3000);
  CHECK(b_out.front().picture_id == ((*a_last.picture_id + 1) & 0x7FFF));
  CHECK(b_out.front().tl0 == static_cast<std::uint8_t>(*a_last.tl0 + 1));
  // Inside B's mapping the rewrite is a fixed translation (across B's own wraps); the lost
  // packet leaves a gap of one.
  for (std::size_t i = 1; i < b_out.size(); ++i) {
    INFO("packet " << i);
    CHECK(b_out[i].ssrc == *slot_ssrc);
    CHECK(u16(b_out[i].seq - b_out[0].seq) == u16(b_in[i].seq - b_in[0].seq));
    CHECK(u32(std::int64_t{b_out[i].ts} - b_out[0].ts) == u32(std::int64_t{b_in[i].ts} - b_in[0].ts));
    CHECK(((*b_out[i].picture_id - *b_out[0].picture_id) & 0x7FFF) ==
          ((b_in[i].picture_id - b_in[0].picture_id) & 0x7FFF));
    CHECK(static_cast<std::uint8_t>(*b_out[i].tl0 - *b_out[0].tl0) ==
          static_cast<std::uint8_t>(b_in[i].tl0 - b_in[0].tl0));
  }
  std::size_t gaps = 0;
  for (std::size_t i = 1; i < b_out.size(); ++i) gaps += b_out[i].seq != u16(b_out[i - 1].seq + 1);
  CHECK(gaps == 1);
  CHECK(b_in.back().seq < b_in.front().seq);  // B's input did wrap
  const Sent b_last = b_out.back();

  // A comes back (displacing B): it continues from its own last packet, seen while displaced.
  CHECK(rw.activate(video_desc("a-v0", "alice", 0xA000)) == slot_ssrc);
  CHECK(rw.take_mapping_updates(SlotKind::kVideo).size() == 1);
  const auto a_key = a.frame(0, true);
  const Sent a_again = send_video(rw, a_key[0].bytes);
  REQUIRE(a_again.result.forward());
  CHECK(a_again.seq == u16(b_last.seq + 1));
  CHECK(a_again.ts == b_last.ts + 3000);
  CHECK(a_again.picture_id == ((*b_last.picture_id + 1) & 0x7FFF));
  CHECK(a_again.tl0 == static_cast<std::uint8_t>(*b_last.tl0 + 1));
  CHECK(rw.rtx_ssrc_of(*slot_ssrc) == rtx);
  CHECK(rw.counters().remaps == 2);
}

TEST_CASE("video that is not VP8 starts at once and asks for one keyframe") {
  SsrcRewriter rw(SsrcRewriterConfig{}, 3);
  REQUIRE(rw.activate(video_desc("h-v0", "h", 0x4444)));
  const auto first = test::generic_packet(0x4444, 10, 9000, false, 0);
  const Sent out = send_video(rw, first.bytes);
  REQUIRE(out.result.forward());
  CHECK(out.result.request_keyframe);
  const Sent next = send_video(rw, test::generic_packet(0x4444, 11, 9000, true, 0).bytes);
  REQUIRE(next.result.forward());
  CHECK_FALSE(next.result.request_keyframe);
  CHECK(next.seq == u16(out.seq + 1));
}

TEST_CASE("an active source's slot is reused only when no idle slot exists") {
  SsrcRewriterConfig config;
  config.video_slots = 2;
  SsrcRewriter rw(config, 17);
  const auto b = rw.activate(video_desc("b", "B", 0xB));
  const auto a = rw.activate(video_desc("a", "A", 0xA));  // more recently used than B
  REQUIRE(a);
  REQUIRE(b);
  rw.deactivate(0xA);
  CHECK(rw.activate(video_desc("c", "C", 0xC)) == a);  // A's idle slot, not B's older active one
  CHECK_FALSE(rw.send_ssrc_of(0xA));
  CHECK(rw.send_ssrc_of(0xB) == b);
  // Both slots active now: the least recently used (B) goes.
  CHECK(rw.activate(video_desc("d", "D", 0xD)) == b);
  CHECK(rw.send_ssrc_of(0xC) == a);
  // A source of the other kind cannot be activated.
  SsrcRewriter mixed(SsrcRewriterConfig{}, 1);
  REQUIRE(send_audio(mixed, audio_packet(0x77, 1, 1), "x-a0", "x").result.forward());
  CHECK_FALSE(mixed.activate(video_desc("x-v0", "x", 0x77)));
  CHECK(send_video(mixed, audio_packet(0x77, 2, 961)).result.status == RewriteStatus::kWrongKind);
  CHECK(mixed.counters().dropped_wrong_kind == 1);
}

TEST_CASE("set_video_sources follows the allocation; premap uses free slots only") {
  SsrcRewriterConfig config;
  config.video_slots = 2;
  SsrcRewriter rw(config, 23);
  const std::vector<media::VideoSourceDesc> abc{video_desc("a", "A", 0xA), video_desc("b", "B", 0xB),
                                                video_desc("c", "C", 0xC)};
  rw.set_video_sources(abc);
  CHECK(rw.send_ssrc_of(0xA));
  CHECK(rw.send_ssrc_of(0xB));
  CHECK_FALSE(rw.send_ssrc_of(0xC));  // the tail of the priority list gets none
  CHECK(rw.take_mapping_updates(SlotKind::kVideo).size() == 2);
  const auto b_slot = rw.send_ssrc_of(0xB);

  const std::vector<media::VideoSourceDesc> ca{video_desc("c", "C", 0xC), video_desc("a", "A", 0xA)};
  rw.set_video_sources(ca);
  CHECK(rw.send_ssrc_of(0xC) == b_slot);  // B was no longer active
  auto updates = rw.take_mapping_updates(SlotKind::kVideo);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].source == "c");

  // No free slot: premap maps nothing. A leaves: its slot is free and premap takes it.
  CHECK_FALSE(rw.premap(video_desc("d", "D", 0xD)));
  const auto a_slot = rw.send_ssrc_of(0xA);
  rw.remove_owner("A");
  CHECK_FALSE(rw.send_ssrc_of(0xA));
  CHECK_FALSE(rw.find_send_ssrc(*a_slot));  // a free slot has no occupant
  CHECK(rw.premap(video_desc("d", "D", 0xD)) == a_slot);
  updates = rw.take_mapping_updates(SlotKind::kVideo);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].source == "d");
  CHECK(updates[0].ssrc == *a_slot);
  // The premapped slot is idle: a newly active source takes it before C's active one.
  CHECK(rw.activate(video_desc("e", "E", 0xE)) == a_slot);
  CHECK(rw.take_mapping_updates(SlotKind::kVideo).size() == 1);

  // A changed video type is re-announced on the same slot.
  CHECK(rw.activate(video_desc("c", "C", 0xC, "DESKTOP")) == b_slot);
  updates = rw.take_mapping_updates(SlotKind::kVideo);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].video_type == "DESKTOP");
}

TEST_CASE("slot SSRCs map back to the source's primary SSRC and owner") {
  SsrcRewriter rw(SsrcRewriterConfig{}, 31);
  const auto video = rw.activate(video_desc("alice-v0", "alice", 0xA11CE));
  REQUIRE(video);
  REQUIRE(send_audio(rw, audio_packet(0xB0B, 1, 1), "bob-a0", "bob").result.forward());
  const auto audio = rw.send_ssrc_of(0xB0B);
  REQUIRE(audio);

  auto v = rw.find_send_ssrc(*video);
  REQUIRE(v);
  CHECK(v->kind == SlotKind::kVideo);
  CHECK(v->original_ssrc == 0xA11CE);
  CHECK(v->owner == "alice");
  CHECK(v->source == "alice-v0");
  CHECK_FALSE(v->rtx);
  auto r = rw.find_send_ssrc(*rw.rtx_ssrc_of(*video));
  REQUIRE(r);
  CHECK(r->rtx);
  CHECK(r->original_ssrc == 0xA11CE);
  auto au = rw.find_send_ssrc(*audio);
  REQUIRE(au);
  CHECK(au->kind == SlotKind::kAudio);
  CHECK(au->original_ssrc == 0xB0B);
  CHECK(au->owner == "bob");
  CHECK_FALSE(rw.find_send_ssrc(0xA11CE));  // an original SSRC is not a slot SSRC

  // After a remap the same slot SSRC names its new occupant; after a leave, nobody.
  SsrcRewriterConfig one;
  one.video_slots = 1;
  SsrcRewriter small(one, 2);
  const auto slot = small.activate(video_desc("a", "A", 0xA));
  small.activate(video_desc("b", "B", 0xB));
  CHECK(small.find_send_ssrc(*slot)->original_ssrc == 0xB);
  CHECK(small.find_send_ssrc(*slot)->owner == "B");
  small.remove_source(0xB);
  CHECK_FALSE(small.find_send_ssrc(*slot));
  CHECK(small.known_sources() == 1);  // A is remembered, B is gone
}

TEST_CASE("the mid is stamped only when negotiated, and only on slot SSRCs") {
  SsrcRewriterConfig config;
  config.mids = true;
  SsrcRewriter rw(config, 37);
  const auto video = rw.activate(video_desc("a-v0", "a", 0xA));
  REQUIRE(video);
  CHECK(rw.take_mapping_updates(SlotKind::kVideo).at(0).mid == "v0");
  Sent out = send_audio(rw, audio_packet(0x1001, 1, 1), "b-a0", "b");
  REQUIRE(out.result.forward());
  CHECK(rw.mid_of(out.ssrc) == "a0");

  constexpr std::uint8_t kMidId = 10;
  auto stamp = [&](SsrcRewriter& r, Bytes packet, std::optional<std::uint8_t> id) {
    const std::size_t length = packet.size();
    packet.resize(length + 32);
    auto n = r.stamp_mid(packet, length, id);
    REQUIRE(n);
    packet.resize(*n);
    return packet;
  };
  auto mid_in = [](const Bytes& packet) -> std::optional<std::string> {
    auto p = rtp::RtpPacket::parse(packet);
    REQUIRE(p);
    auto e = p->find_extension(kMidId);
    if (!e) return std::nullopt;
    auto v = rtp::parse_sdes_value(e->data);
    REQUIRE(v);
    return std::string(*v);
  };

  CHECK(stamp(rw, out.bytes, std::nullopt) == out.bytes);  // not negotiated
  CHECK(mid_in(stamp(rw, out.bytes, kMidId)) == "a0");
  // Not a slot SSRC (the bridge's own, or an original one): untouched.
  const Bytes foreign = audio_packet(0x1001, 2, 961);
  CHECK(stamp(rw, foreign, kMidId) == foreign);
  // The RTX stream of a slot carries the slot's mid.
  const Bytes rtx_packet = test::rtp_header(96, false, 1, 3000, *rw.rtx_ssrc_of(*video));
  CHECK(mid_in(stamp(rw, rtx_packet, kMidId)) == "v0");
  CHECK(rw.counters().mids_stamped == 2);

  // Other extensions stay (an audio-level element, id 1).
  Bytes with_level = out.bytes;
  with_level[0] |= 0x10;  // X
  const Bytes block{0xBE, 0xDE, 0x00, 0x01, 0x10, 0x8A, 0x00, 0x00};
  with_level.insert(with_level.begin() + 12, block.begin(), block.end());
  const Bytes stamped = stamp(rw, with_level, kMidId);
  CHECK(mid_in(stamped) == "a0");
  auto p = rtp::RtpPacket::parse(stamped);
  REQUIRE(p);
  auto level = p->find_extension(1);
  REQUIRE(level);
  CHECK(level->data[0] == 0x8A);

  // Without mids nothing is stamped and no mapping carries a mid.
  SsrcRewriter plain(SsrcRewriterConfig{}, 37);
  const Sent o = send_audio(plain, audio_packet(0x1001, 1, 1), "b-a0", "b");
  CHECK(stamp(plain, o.bytes, kMidId) == o.bytes);
  CHECK_FALSE(plain.mid_of(o.ssrc));
  CHECK(plain.take_mapping_updates(SlotKind::kAudio).at(0).mid.empty());

  // No room to grow: an error, the packet unchanged.
  Bytes tight = out.bytes;
  auto n = rw.stamp_mid(tight, tight.size(), kMidId);
  REQUIRE_FALSE(n);
  CHECK(n.error() == rtp::RtpError::kBufferTooSmall);
  CHECK(tight == out.bytes);
  CHECK(rw.counters().mid_stamp_failures == 1);
}

TEST_CASE("slot SSRCs are unique, non-zero and avoid the reserved set") {
  SsrcRewriter rw(SsrcRewriterConfig{}, 99);
  for (std::uint32_t i = 0; i < 50; ++i) {
    REQUIRE(rw.activate(video_desc("v" + std::to_string(i), "o", 0x5000 + i)));
    REQUIRE(send_audio(rw, audio_packet(0x6000 + i, 1, 1), "a", "o").result.forward());
  }
  std::set<std::uint32_t> all;
  for (const auto& m : rw.all_mappings(SlotKind::kVideo)) {
    all.insert(m.ssrc);
    all.insert(m.rtx);
  }
  for (const auto& m : rw.all_mappings(SlotKind::kAudio)) all.insert(m.ssrc);
  CHECK(all.size() == 150);
  CHECK(all.count(0) == 0);

  // The same seed draws the same SSRCs: reserving the first two forces fresh ones.
  const auto first = rw.all_mappings(SlotKind::kVideo).at(0);
  const std::vector<std::uint32_t> reserved{first.ssrc, first.rtx};
  SsrcRewriter other(SsrcRewriterConfig{}, 99, reserved);
  const auto mine = other.activate(video_desc("v0", "o", 0x5000));
  REQUIRE(mine);
  const auto m = other.all_mappings(SlotKind::kVideo).at(0);
  CHECK(m.ssrc != first.ssrc);
  CHECK(m.rtx != first.rtx);
  CHECK(m.ssrc != first.rtx);
  CHECK(m.rtx != first.ssrc);
  CHECK(other.counters().ssrc_redraws == 2);
  CHECK_FALSE(other.reserve_ssrc(m.ssrc));  // already a slot's
  CHECK(other.reserve_ssrc(0x12345678));
}

TEST_CASE("sender reports map onto the slot's timeline; without a slot they are dropped") {
  SsrcRewriterConfig config;
  config.audio_slots = 1;
  SsrcRewriter rw(config, 41);
  Sent x;
  for (std::uint16_t i = 0; i < 3; ++i)
    x = send_audio(rw, audio_packet(0x111, 100 + i, 5000 + 960u * i), "x", "X");
  CHECK(rw.map_sender_report(0x111, 5000 + 960 * 2)->ssrc == x.ssrc);
  const Sent y = send_audio(rw, audio_packet(0x222, 9, 4'294'967'000u), "y", "Y");  // ts about to wrap
  REQUIRE(y.result.forward());
  auto sr = rw.map_sender_report(0x222, 4'294'967'000u);
  REQUIRE(sr);
  CHECK(sr->ssrc == y.ssrc);
  CHECK(sr->rtp_timestamp == y.ts);
  sr = rw.map_sender_report(0x222, 4'294'967'000u + 48000u);  // one second later, wrapped
  REQUIRE(sr);
  CHECK(sr->rtp_timestamp == y.ts + 48000);
  CHECK_FALSE(rw.map_sender_report(0x111, 5000));  // displaced
  CHECK_FALSE(rw.map_sender_report(0x333, 5000));  // unknown
}

TEST_CASE("RTX SSRC and sequence numbers per video slot") {
  SsrcRewriter rw(SsrcRewriterConfig{}, 43);
  const auto v = rw.activate(video_desc("a", "A", 0xA));
  REQUIRE(v);
  const auto rtx = rw.rtx_ssrc_of(*v);
  REQUIRE(rtx);
  auto t1 = rw.next_rtx(*v);
  auto t2 = rw.next_rtx(*v);
  REQUIRE(t1);
  REQUIRE(t2);
  CHECK(t1->ssrc == *rtx);
  CHECK(t1->sequence_number == 1);
  CHECK(t2->sequence_number == 2);
  CHECK_FALSE(rw.next_rtx(*rtx));  // not a primary slot SSRC
  CHECK_FALSE(rw.next_rtx(0xA));
  REQUIRE(send_audio(rw, audio_packet(0x1, 1, 1), "s", "o").result.forward());
  CHECK_FALSE(rw.rtx_ssrc_of(*rw.send_ssrc_of(0x1)));  // audio slots have no RTX
}

TEST_CASE("late packets, restarted senders and bad input") {
  SsrcRewriterConfig config;
  config.audio_slots = 1;
  SsrcRewriter rw(config, 47);
  Sent a;
  for (std::uint16_t i = 0; i < 3; ++i) a = send_audio(rw, audio_packet(0x111, 1000 + i, 960u * i), "a", "A");
  const Sent b = send_audio(rw, audio_packet(0x222, 500, 0), "b", "B");
  REQUIRE(b.result.forward());
  // Older than B's mapping start: its output seq would be A's.
  CHECK(send_audio(rw, audio_packet(0x222, 499, 0), "b", "B").result.status == RewriteStatus::kLate);
  CHECK(rw.counters().dropped_late == 1);
  // B restarts 20000 packets back: a new start on the same slot, seq +1.
  const Sent restarted = send_audio(rw, audio_packet(0x222, u16(500 - 20000), 123456), "b", "B");
  REQUIRE(restarted.result.forward());
  CHECK(restarted.seq == u16(b.seq + 1));
  CHECK(restarted.ts == b.ts + 960);
  CHECK(rw.counters().stream_resets == 1);
  const Sent after = send_audio(rw, audio_packet(0x222, u16(501 - 20000), 123456 + 960), "b", "B");
  CHECK(after.seq == u16(restarted.seq + 1));

  // A buffer that is not the parsed packet, and a VP8 payload without a descriptor.
  Bytes packet = audio_packet(0x222, 600, 0);
  auto parsed = rtp::RtpPacket::parse(packet);
  REQUIRE(parsed);
  Bytes shorter(packet.begin(), packet.end() - 1);
  CHECK(rw.rewrite_audio(shorter, *parsed, {"b", "B"}).status == RewriteStatus::kBadPacket);
  CHECK(rw.counters().dropped_bad_packet == 1);
  SsrcRewriter video(SsrcRewriterConfig{}, 1);
  REQUIRE(video.activate(video_desc("v", "V", 0x999)));
  const Bytes empty_vp8 = test::rtp_header(test::kVp8Pt, true, 1, 1, 0x999);
  CHECK(send_video(video, empty_vp8).result.status == RewriteStatus::kBadPacket);
  CHECK(video.counters().dropped_bad_payload == 1);
  // Video of a source that was never activated.
  CHECK(send_video(video, test::generic_packet(0x1234, 1, 1, true, 0).bytes).result.status ==
        RewriteStatus::kNoSlot);
  // No audio slots at all.
  SsrcRewriterConfig none;
  none.audio_slots = 0;
  SsrcRewriter mute(none, 1);
  CHECK(send_audio(mute, audio_packet(0x1, 1, 1), "s", "o").result.status == RewriteStatus::kNoSlot);
}

TEST_CASE("source state is bounded: the least recently used unslotted source is forgotten") {
  SsrcRewriterConfig config;
  config.audio_slots = 2;
  config.video_slots = 0;
  config.max_sources = 4;
  SsrcRewriter rw(config, 53);
  for (std::uint32_t i = 0; i < 10; ++i) {
    REQUIRE(send_audio(rw, audio_packet(0x100 + i, 1, 1), "s", "o").result.forward());
  }
  CHECK(rw.known_sources() == 4);
  CHECK(rw.counters().sources_forgotten == 6);
  // The slotted ones are the two most recent.
  CHECK(rw.send_ssrc_of(0x109));
  CHECK(rw.send_ssrc_of(0x108));
}

TEST_CASE("steady-state rewriting makes no heap allocation") {
  SsrcRewriterConfig config;
  config.audio_slots = 4;
  config.video_slots = 2;
  config.mids = true;
  SsrcRewriter rw(config, 59);
  REQUIRE(rw.activate(video_desc("v", "V", 0xABC)));
  auto src = vp8_source(0xABC, 1, 1, 1, 1);
  std::vector<Bytes> video_packets;
  for (int f = 0; f < 50; ++f) {
    for (const auto& p : src.frame(0, f == 0)) video_packets.push_back(p.bytes);
  }
  std::vector<Bytes> audio_packets;
  for (std::uint16_t i = 0; i < 200; ++i) audio_packets.push_back(audio_packet(0x10 + i % 3, i, 960u * i));
  // Warm up: the first packets create the mappings.
  Bytes work(1500);
  auto run = [&](const Bytes& packet, bool audio) {
    std::copy(packet.begin(), packet.end(), work.begin());
    const auto view = std::span(work).first(packet.size());
    auto parsed = rtp::RtpPacket::parse(view);
    const auto result = audio ? rw.rewrite_audio(view, *parsed, {"s", "o"}) : rw.rewrite_video(view, *parsed);
    auto n = rw.stamp_mid(work, packet.size(), std::uint8_t{3});
    return result.forward() && n && *n > packet.size();
  };
  REQUIRE(run(video_packets[0], false));
  for (int i = 0; i < 3; ++i) REQUIRE(run(audio_packets[static_cast<std::size_t>(i)], true));
  (void)rw.take_mapping_updates(SlotKind::kAudio);
  (void)rw.take_mapping_updates(SlotKind::kVideo);

  // The counter does see allocations.
  const std::uint64_t probe = g_allocations.load();
  void* volatile block = ::operator new(16);
  ::operator delete(block);
  REQUIRE(g_allocations.load() == probe + 1);

  const std::uint64_t before = g_allocations.load();
  int failures = 0;
  for (std::size_t i = 1; i < video_packets.size(); ++i) failures += !run(video_packets[i], false);
  for (std::size_t i = 3; i < audio_packets.size(); ++i) failures += !run(audio_packets[i], true);
  (void)rw.take_mapping_updates(SlotKind::kAudio);  // nothing changed: no vector allocated
  (void)rw.map_sender_report(0x10, 960);
  (void)rw.find_send_ssrc(*rw.send_ssrc_of(0xABC));
  (void)rw.next_rtx(*rw.send_ssrc_of(0xABC));
  const std::uint64_t allocations = g_allocations.load() - before;
  CHECK(failures == 0);
  CHECK(allocations == 0);
}
