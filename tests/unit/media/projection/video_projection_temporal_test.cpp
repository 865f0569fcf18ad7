// Tests of bridge/media/projection/video_projection.hpp inside one segment: VP8 temporal-layer
// filtering (RFC 7741 §4.2 TID and Y) and padding-only packets (RFC 3550 §5.1) dropped with
// the sequence numbers and PictureIDs closed up (JVB's PaddingTermination, DiscardableDiscarder
// and VP8 temporal filtering). Forwarded frames are checked against a model of libwebrtc's
// default L1T3 reference structure, so "decodable" means what a receiver's decoder needs.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "tests/unit/media/projection/vp8_simulcast_stream.hpp"

using namespace jvb;
using namespace jvb::test;
using namespace std::chrono_literals;

namespace {

int pid_step(std::uint16_t from, std::uint16_t to) { return (to - from) & 0x7FFF; }

// libwebrtc's default 3-layer pattern (modules/video_coding/codecs/vp8/default_temporal_layers.cc):
// per frame of the 8-frame cycle, the buffers it references and updates (bit 0 'last', bit 1
// 'golden'). TL0 frames reference and update 'last', TL1 frames update 'golden', the second TL1
// frame of a cycle references the first one's 'golden' across a TL0 frame.
constexpr int kRefs[8] = {1, 1, 1, 3, 1, 3, 3, 3};
constexpr int kUpdates[8] = {1, 0, 2, 0, 1, 0, 2, 0};

// One generated frame of one encoding, in coding order.
struct FrameInfo {
  int encoding = 0;
  std::uint16_t picture_id = 0;
  int pattern_index = 0;
  bool keyframe = false;
  int tid = 0;
};

// Every forwarded frame of `encoding` can be decoded: each buffer it references was last
// updated, at the sender, by a frame the receiver got and could decode.
void check_decodable(const std::vector<FrameInfo>& frames, const std::vector<Received>& received,
                     int encoding) {
  std::set<std::uint16_t> forwarded;
  for (const auto& r : received)
    if (r.in.encoding == encoding && !r.in.padding) forwarded.insert(r.in.picture_id);
  std::optional<std::uint16_t> updater[2];
  std::set<std::uint16_t> decoded;
  for (const auto& f : frames) {
    if (f.encoding != encoding) continue;
    const int refs = f.keyframe ? 0 : kRefs[f.pattern_index];
    const int updates = f.keyframe ? 3 : kUpdates[f.pattern_index];
    if (forwarded.count(f.picture_id)) {
      bool ok = true;
      for (int b = 0; b < 2; ++b)
        if ((refs >> b) & 1) ok = ok && updater[b] && decoded.count(*updater[b]);
      INFO("frame " << f.picture_id << " pattern index " << f.pattern_index << " tid " << f.tid);
      CHECK(ok);
      if (ok) decoded.insert(f.picture_id);
    }
    for (int b = 0; b < 2; ++b)
      if ((updates >> b) & 1) updater[b] = f.picture_id;
  }
}

// What the receiver sees, in sequence-number order: no two packets on one number; one PictureID
// per input frame, rising with the timestamps; with `contiguous`, no gap in either numbering.
std::vector<Received> check_receiver(std::vector<Received> r, bool contiguous = true) {
  std::sort(r.begin(), r.end(), [](const Received& a, const Received& b) { return a.seq < b.seq; });
  const Received* prev_media = nullptr;
  for (std::size_t i = 0; i < r.size(); ++i) {
    INFO("packet " << i << " out seq " << r[i].seq);
    CHECK(r[i].ssrc == ProjectionHarness::kProjectedSsrc);
    if (i > 0) {
      REQUIRE(r[i].seq > r[i - 1].seq);
      if (contiguous) REQUIRE(r[i].seq == r[i - 1].seq + 1);
    }
    if (r[i].in.padding) {
      CHECK_FALSE(r[i].picture_id);
      continue;
    }
    REQUIRE(r[i].picture_id);
    CHECK(r[i].payload_kept);
    if (prev_media) {
      const bool same_frame =
          prev_media->in.encoding == r[i].in.encoding && prev_media->in.picture_id == r[i].in.picture_id;
      const int step = pid_step(*prev_media->picture_id, *r[i].picture_id);
      if (same_frame || contiguous) {
        CHECK(step == (same_frame ? 0 : 1));
      } else {
        CHECK((step >= 1 && step < 100));
      }
      if (same_frame) {
        CHECK(r[i].ts == prev_media->ts);
      } else {
        CHECK(r[i].ts > prev_media->ts);
      }
    }
    prev_media = &r[i];
  }
  return r;
}

// The standard 3-encoding source with libwebrtc's layer-sync bits, remembering every frame
// generated for check_decodable.
struct Stream {
  Stream() : src(Vp8SimulcastSource::standard()) { src.set_libwebrtc_layer_sync(true); }

  std::vector<GeneratedPacket> frame(int e, bool keyframe = false) {
    auto f = src.frame(e, keyframe);
    frames.push_back({e, f[0].picture_id, f[0].pattern_index, keyframe, f[0].tid});
    return f;
  }
  void offer_frame(int e, bool keyframe = false) {
    h.advance(33ms);
    h.offer_all(frame(e, keyframe));
  }

  ProjectionHarness h;
  Vp8SimulcastSource src;
  std::vector<FrameInfo> frames;
};

void set_seq(GeneratedPacket& p, std::uint16_t seq) {
  p.seq = seq;
  p.bytes[2] = static_cast<std::uint8_t>(seq >> 8);
  p.bytes[3] = static_cast<std::uint8_t>(seq);
}

// The same packet without the descriptor's T/K byte and with T cleared: no TID.
GeneratedPacket without_tid(GeneratedPacket p) {
  p.bytes[13] &= 0xDF;
  p.bytes.erase(p.bytes.begin() + 17);
  return p;
}

std::size_t count_of_encoding(const std::vector<Received>& r, int e) {
  return static_cast<std::size_t>(
      std::count_if(r.begin(), r.end(), [e](const Received& x) { return x.in.encoding == e; }));
}

}  // namespace

TEST_CASE("a maximum temporal layer forwards only its TIDs, with seq and PictureID closed up") {
  for (const int max : {-1, 0, 1, 2, 3}) {
    CAPTURE(max);
    Stream s;
    s.h.projection.set_target(2);
    s.h.projection.set_max_temporal_layer(max);
    CHECK(s.h.projection.max_temporal_layer() == max);
    s.h.offer_all(s.frame(2, true));
    int expected_frames = 1, dropped_packets = 0;
    for (int i = 0; i < 400; ++i) {  // PictureID (from 32000) and seq (from 65000) wrap
      s.h.advance(33ms);
      const auto f = s.frame(2);
      const bool allowed = max < 0 || f[0].tid <= max;
      for (const auto& p : f) CHECK(s.h.offer(p).forward == allowed);
      if (allowed) {
        ++expected_frames;
      } else {
        dropped_packets += static_cast<int>(f.size());
      }
    }
    CHECK(expected_frames == (max < 0 || max >= 2 ? 401 : max == 1 ? 201 : 101));
    const auto r = check_receiver(s.h.received);
    REQUIRE(r.size() == 9 + 3 * static_cast<std::size_t>(expected_frames - 1));
    for (const auto& p : r) {
      CHECK((max < 0 || p.in.tid <= max));
      CHECK(p.tl0 == p.in.tl0);  // base-layer frames are never dropped: TL0PICIDX as sent
    }
    CHECK(pid_step(*r.front().picture_id, *r.back().picture_id) == expected_frames - 1);
    CHECK(r.back().ts - r.front().ts == 400 * 3000);
    check_decodable(s.frames, r, 2);
    const auto& c = s.h.projection.counters();
    CHECK(c.dropped_temporal == static_cast<std::uint64_t>(dropped_packets));
    CHECK(c.forwarded == r.size());
    CHECK(c.seq_gaps_left == 0);
    CHECK(c.picture_id_gaps_left == 0);
    CHECK(c.dropped_no_slot == 0);
  }
  media::VideoProjection negative(1, 1);
  negative.set_max_temporal_layer(-7);
  CHECK(negative.max_temporal_layer() == -1);
}

TEST_CASE("lowering the maximum is immediate; raising it waits for frames that can be decoded") {
  Stream s;
  s.h.projection.set_target(2);
  s.h.offer_all(s.frame(2, true));  // pattern index 0
  for (int i = 1; i <= 11; ++i) s.offer_frame(2);
  CHECK(s.h.received.size() == 9 + 11 * 3);
  // Next frame: index 4 of the second cycle (a TL0). Everything above TL0 goes at once.
  s.h.projection.set_max_temporal_layer(0);
  std::vector<std::pair<int, bool>> seen;  // (pattern index, forwarded) per frame
  auto run = [&](int frames) {
    for (int i = 0; i < frames; ++i) {
      s.h.advance(33ms);
      const auto f = s.frame(2);
      const std::size_t before = s.h.received.size();
      s.h.offer_all(f);
      const std::size_t got = s.h.received.size() - before;
      CHECK((got == 0 || got == f.size()));  // whole frames only
      seen.emplace_back(f[0].pattern_index, got > 0);
    }
  };
  run(4);  // indices 4-7
  CHECK(seen == std::vector<std::pair<int, bool>>{{4, true}, {5, false}, {6, false}, {7, false}});
  run(4);  // 0-3: TL1 and TL2 still dropped
  CHECK(seen[4] == std::pair{0, true});
  CHECK_FALSE(seen[5].second);
  CHECK_FALSE(seen[6].second);
  CHECK_FALSE(seen[7].second);
  // Raised at a TL0 frame (index 4): 5, 6 and 7 reference 'golden', last written by the dropped
  // index 2, so they stay dropped; the next cycle's sync frames (1: TL2, 2: TL1) bring both back.
  s.h.projection.set_max_temporal_layer(2);
  seen.clear();
  run(12);
  const std::vector<std::pair<int, bool>> expected = {{4, true}, {5, false}, {6, false}, {7, false},
                                                      {0, true}, {1, true},  {2, true},  {3, true},
                                                      {4, true}, {5, true},  {6, true},  {7, true}};
  CHECK(seen == expected);
  // Down to 1 and up again to 2 right after a TL1 sync frame: layer 1 stayed in sync, layer 2
  // waits for its own sync frame (index 1).
  s.h.projection.set_max_temporal_layer(1);
  seen.clear();
  run(3);  // 0, 1, 2
  CHECK(seen == std::vector<std::pair<int, bool>>{{0, true}, {1, false}, {2, true}});
  s.h.projection.set_max_temporal_layer(2);
  seen.clear();
  run(8);  // 3..7, 0, 1, 2
  CHECK(seen ==
        std::vector<std::pair<int, bool>>{
            {3, false}, {4, true}, {5, false}, {6, true}, {7, false}, {0, true}, {1, true}, {2, true}});
  check_receiver(s.h.received);
  check_decodable(s.frames, s.h.received, 2);
  CHECK(s.h.projection.counters().seq_gaps_left == 0);
  CHECK(s.h.projection.counters().picture_id_gaps_left == 0);
}

TEST_CASE("a new maximum takes effect at a frame boundary, not inside a frame") {
  Stream s;
  s.h.projection.set_target(2);
  s.h.offer_all(s.frame(2, true));
  // Index 1 (TL2): its first packet is forwarded, then the maximum drops to 0; the frame stays whole.
  s.h.advance(33ms);
  auto f = s.frame(2);
  REQUIRE(f[0].tid == 2);
  CHECK(s.h.offer(f[0]).forward);
  s.h.projection.set_max_temporal_layer(0);
  CHECK(s.h.offer(f[1]).forward);
  CHECK(s.h.offer(f[2]).forward);
  // Index 2 (TL1, sync): its first packet is dropped, then the maximum rises; it stays dropped.
  s.h.advance(33ms);
  f = s.frame(2);
  REQUIRE(f[0].tid == 1);
  CHECK_FALSE(s.h.offer(f[0]).forward);
  s.h.projection.set_max_temporal_layer(-1);
  CHECK_FALSE(s.h.offer(f[1]).forward);
  CHECK_FALSE(s.h.offer(f[2]).forward);
  // Index 3 (TL2, not sync) references the dropped TL1 frame: dropped too. Index 4 (TL0) flows.
  s.h.advance(33ms);
  for (const auto& p : s.frame(2)) CHECK_FALSE(s.h.offer(p).forward);
  s.offer_frame(2);
  check_receiver(s.h.received);
  check_decodable(s.frames, s.h.received, 2);
  CHECK(s.h.received.size() == 9 + 3 + 3);
}

TEST_CASE("a sender that marks every upper-layer frame as sync is raised at the next one") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();  // Y on every TID > 0 frame
  h.projection.set_target(0);
  h.projection.set_max_temporal_layer(0);
  h.offer_all(src.frame(0, true));
  for (int i = 0; i < 6; ++i) h.offer_all(src.frame(0, false));  // 2 1 2 0 2 1 dropped / kept
  CHECK(h.received.size() == 3 + 1);
  h.projection.set_max_temporal_layer(2);
  const auto next = src.frame(0, false);  // TID 2, Y
  REQUIRE(next[0].tid == 2);
  CHECK(h.offer(next[0]).forward);
  check_receiver(h.received);
}

TEST_CASE("VP8 frames without a TID are never dropped") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  h.projection.set_target(1);
  h.projection.set_max_temporal_layer(0);
  std::size_t n = 0;
  for (const auto& p : src.frame(1, true)) {
    CHECK(h.offer(without_tid(p)).forward);
    ++n;
  }
  for (int i = 0; i < 20; ++i) {
    for (const auto& p : src.frame(1, false)) {
      CHECK(h.offer(without_tid(p)).forward);
      ++n;
    }
  }
  CHECK(h.received.size() == n);
  check_receiver(h.received);
  CHECK(h.projection.counters().dropped_temporal == 0);
}

TEST_CASE("a maximum temporal layer across simulcast switches: continuous, consecutive, decodable") {
  Stream s;
  auto& h = s.h;
  auto instant = [&](bool keyframe) {
    h.advance(33ms);
    for (int e = 0; e < 3; ++e) h.offer_all(s.frame(e, keyframe));
  };
  h.projection.set_target(0);
  h.projection.set_max_temporal_layer(1);
  instant(true);
  for (int i = 0; i < 13; ++i) instant(false);
  REQUIRE(h.projection.current_encoding() == 0);
  h.projection.set_target(2);
  for (int i = 0; i < 3; ++i) instant(false);
  CHECK(h.projection.current_encoding() == 0);
  instant(true);
  CHECK(h.projection.current_encoding() == 2);
  for (int i = 0; i < 21; ++i) instant(false);
  // Now all layers, then a switch down with TL0 only.
  const std::size_t all_layers_from = h.received.size();
  h.projection.set_max_temporal_layer(-1);
  for (int i = 0; i < 10; ++i) instant(false);
  const std::size_t tl0_from = h.received.size();
  h.projection.set_max_temporal_layer(0);
  h.projection.set_target(1);
  instant(false);
  instant(true);
  CHECK(h.projection.current_encoding() == 1);
  for (int i = 0; i < 10; ++i) instant(false);

  // One stream in arrival order: strictly continuous seq, one PictureID step per frame.
  check_receiver(h.received);
  const auto& r = h.received;
  for (std::size_t i = 1; i < r.size(); ++i) CHECK(r[i].seq == r[i - 1].seq + 1);
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (i < all_layers_from) CHECK(r[i].in.tid <= 1);
    if (i >= tl0_from) CHECK(r[i].in.tid == 0);
  }
  CHECK(std::any_of(r.begin() + static_cast<long>(all_layers_from), r.begin() + static_cast<long>(tl0_from),
                    [](const Received& p) { return p.in.tid == 2; }));
  // Encoding 0: its keyframe, the 8 TL0/TL1 frames of the next 16, and its keyframe of the
  // switching instant (offered before encoding 2's).
  CHECK(count_of_encoding(r, 0) == 3 + 8 + 3);
  for (int e = 0; e < 3; ++e) check_decodable(s.frames, h.received, e);
  CHECK(h.projection.counters().switches == 3);
  CHECK(h.projection.counters().seq_gaps_left == 0);
}

TEST_CASE("padding-only packets between and inside frames are dropped and closed up") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  h.projection.set_target(2);
  std::vector<GeneratedPacket> stream;
  auto add_frame = [&](bool keyframe, int pad_inside, int pad_after) {
    auto f = src.frame(2, keyframe);
    for (std::size_t i = 0; i < f.size(); ++i) {
      stream.push_back(f[i]);
      if (i == 0) {
        for (int k = 0; k < pad_inside; ++k) stream.push_back(src.padding(2));
      }
    }
    for (int k = 0; k < pad_after; ++k) stream.push_back(src.padding(2));
  };
  add_frame(true, 1, 2);
  for (int i = 0; i < 60; ++i) add_frame(false, i % 3 == 0 ? 1 : 0, i % 4 == 1 ? 3 : 0);
  // Renumber in sending order: padding goes out between a frame's packets, as a pacer does.
  std::uint16_t seq = 64000;
  int padding = 0, media = 0;
  for (auto& p : stream) {
    set_seq(p, seq++);
    (p.padding ? padding : media)++;
  }
  REQUIRE(padding > 30);
  for (const auto& p : stream) CHECK(h.offer(p).forward == !p.padding);
  const auto r = check_receiver(h.received);
  CHECK(r.size() == static_cast<std::size_t>(media));
  const auto& c = h.projection.counters();
  CHECK(c.dropped_padding == static_cast<std::uint64_t>(padding));
  CHECK(c.seq_gaps_left == 0);
  CHECK(c.dropped_bad_payload == 0);
  // Padding on the target before its keyframe starts nothing.
  ProjectionHarness h2;
  h2.projection.set_target(0);
  CHECK_FALSE(h2.offer(src.padding(0)).forward);
  CHECK(h2.projection.current_encoding() == -1);
  CHECK(h2.projection.counters().dropped_before_keyframe == 1);
}

TEST_CASE("padding that arrives late fills its slot; padding before an older packet closes up") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  h.projection.set_target(2);
  h.offer_all(src.frame(2, true));
  // Frame A (3 packets), padding p1 inside it after packet 0, padding p2 after it, frame B.
  auto a = src.frame(2, false);
  auto p1 = src.padding(2);
  auto p2 = src.padding(2);
  auto b = src.frame(2, false);
  std::uint16_t seq = a[0].seq;
  for (auto* p : {&a[0], &p1, &a[1], &a[2], &p2, &b[0], &b[1], &b[2]}) set_seq(*p, seq++);
  // a1 and p2 arrive before p1 and a0... p1 lands after a1 was forwarded: its slot was kept.
  CHECK(h.offer(a[0]).forward);
  CHECK(h.offer(a[1]).forward);
  CHECK(h.offer(p1).forward);        // late: forwarded as padding, so the frame is complete for the receiver
  CHECK_FALSE(h.offer(p2).forward);  // newest: closed up
  CHECK(h.offer(b[1]).forward);
  CHECK(h.offer(a[2]).forward);  // older than the closed p2: still its own slot
  CHECK(h.offer(b[0]).forward);
  CHECK(h.offer(b[2]).forward);
  CHECK_FALSE(h.offer(p2).forward);  // a repeat stays dropped
  const auto r = check_receiver(h.received);
  CHECK(r.size() == 9 + 7);
  CHECK(std::count_if(r.begin(), r.end(), [](const Received& x) { return x.in.padding; }) == 1);
  CHECK(h.projection.counters().dropped_padding == 2);
  CHECK(h.projection.counters().seq_gaps_left == 0);
}

TEST_CASE("padding on a generic (H.264) stream is closed up too") {
  ProjectionHarness h;
  h.projection.set_target(0);
  std::uint16_t seq = 100;
  std::size_t media = 0;
  for (int i = 0; i < 30; ++i) {
    CHECK(h.offer(generic_packet(0x1111, seq++, 9000u * static_cast<std::uint32_t>(i), true, 0)).forward);
    ++media;
    if (i % 3 == 1) {
      auto pad = generic_packet(0x1111, seq++, 9000u * static_cast<std::uint32_t>(i), false, 0);
      pad.bytes.resize(12);
      pad.bytes[0] |= 0x20;
      pad.bytes.insert(pad.bytes.end(), {0, 0, 0, 4});
      pad.padding = true;
      CHECK_FALSE(h.offer(pad).forward);
    }
  }
  REQUIRE(h.received.size() == media);
  for (std::size_t i = 1; i < h.received.size(); ++i) CHECK(h.received[i].seq == h.received[i - 1].seq + 1);
  CHECK(h.projection.counters().dropped_padding == 10);
}

TEST_CASE("reordering around a dropped frame keeps the receiver's numbering closed") {
  // Encoding 1: 2 packets per delta frame; Y on every upper-layer frame; maximum TL1.
  // F1 (index 4, TL0) | D (index 5, TL2, dropped) | F2 (index 6, TL1).
  struct Case {
    const char* name;
    std::vector<int> order;  // 0,1: F1; 2,3: D; 4,5: F2
    std::size_t forwarded;
    std::uint64_t seq_gaps;
    std::uint64_t picture_id_gaps;
  };
  const Case cases[] = {
      {"in order", {0, 1, 2, 3, 4, 5}, 4, 0, 0},
      {"F1's tail after D's head", {0, 2, 1, 3, 4, 5}, 4, 0, 0},
      {"D's tail after F2's head (the newest packet seen is D's)", {0, 1, 2, 4, 3, 5}, 4, 0, 0},
      {"D's head after F2's head (F1 ended, D known dropped)", {0, 1, 3, 4, 2, 5}, 4, 0, 0},
      {"F2 before F1's tail and D", {0, 2, 4, 1, 3, 5}, 4, 0, 0},
      {"all of D after F2: forwarded late, it can be decoded", {0, 1, 4, 5, 2, 3}, 6, 0, 0},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    ProjectionHarness h;
    auto src = Vp8SimulcastSource::standard();
    h.projection.set_target(1);
    h.projection.set_max_temporal_layer(1);
    h.offer_all(src.frame(1, true));
    for (int i = 0; i < 3; ++i) h.offer_all(src.frame(1, false));  // indices 1-3
    std::vector<GeneratedPacket> p;
    for (int i = 0; i < 3; ++i) {
      auto f = src.frame(1, false);
      p.insert(p.end(), f.begin(), f.end());
    }
    REQUIRE(p[2].tid == 2);
    REQUIRE(p[4].tid == 1);
    const std::size_t before = h.received.size();
    for (const int i : c.order) h.offer(p[static_cast<std::size_t>(i)]);
    h.offer_all(src.frame(1, false));  // index 7 (TL2): dropped
    h.offer_all(src.frame(1, false));  // index 0 (TL0)
    CHECK(h.received.size() - before == c.forwarded + 2);
    check_receiver(h.received);
    CHECK(h.projection.counters().seq_gaps_left == c.seq_gaps);
    CHECK(h.projection.counters().picture_id_gaps_left == c.picture_id_gaps);
    CHECK(h.projection.counters().dropped_no_slot == 0);
  }
}

TEST_CASE("a late frame that cannot be decoded is dropped, and the gap it leaves is counted") {
  // libwebrtc's sync bits, maximum TL1: layer 2 is out of sync. Index 3 (TL2, not sync) arrives
  // after index 4 (TL0) was forwarded: its numbers are out already, but it cannot be decoded.
  Stream s;
  auto& h = s.h;
  h.projection.set_target(1);
  h.projection.set_max_temporal_layer(1);
  h.offer_all(s.frame(1, true));
  for (int i = 0; i < 2; ++i) s.offer_frame(1);  // 1 (dropped), 2
  const auto d = s.frame(1);                     // 3
  const auto f = s.frame(1);                     // 4
  REQUIRE(d[0].pattern_index == 3);
  h.offer_all(f);
  for (const auto& p : d) CHECK_FALSE(h.offer(p).forward);
  s.offer_frame(1);
  const auto r = check_receiver(h.received, false);
  const auto& c = h.projection.counters();
  CHECK(c.seq_gaps_left == d.size());
  CHECK(c.picture_id_gaps_left == 1);
  // The receiver sees exactly those gaps: one hole of d.size() numbers, one missing PictureID.
  std::int64_t holes = 0;
  for (std::size_t i = 1; i < r.size(); ++i) holes += r[i].seq - r[i - 1].seq - 1;
  CHECK(holes == static_cast<std::int64_t>(d.size()));
  check_decodable(s.frames, h.received, 1);
}

TEST_CASE("retransmissions and old packets: their own slot, or dropped and counted") {
  SUBCASE("no drops at all: a packet far behind still gets its slot") {
    ProjectionHarness h;
    auto src = Vp8SimulcastSource::standard();
    h.projection.set_target(0);
    h.offer_all(src.frame(0, true));
    const auto old = src.frame(0, false);
    h.offer_all(old);
    for (int i = 0; i < 1500; ++i) h.offer_all(src.frame(0, false));
    const std::int64_t first = h.received[3].seq;
    CHECK(h.offer(old[0]).forward);
    CHECK(h.received.back().seq == first);
  }
  SUBCASE("drops beyond the history: an old packet cannot be placed") {
    ProjectionHarness h;
    auto src = Vp8SimulcastSource::standard();
    h.projection.set_target(0);
    h.projection.set_max_temporal_layer(0);
    h.offer_all(src.frame(0, true));
    for (int i = 0; i < 3; ++i) h.offer_all(src.frame(0, false));  // indices 1-3: dropped
    const auto tl0 = src.frame(0, false);
    const auto tl2 = src.frame(0, false);
    REQUIRE(tl0[0].tid == 0);
    REQUIRE(tl2[0].tid == 2);
    h.offer_all(tl0);
    h.offer_all(tl2);
    const std::size_t n = h.received.size();
    // Recent ones: a TL0 retransmission lands on its slot; a dropped frame's stays dropped.
    CHECK(h.offer(tl0[0]).forward);
    CHECK(h.received.back().seq == h.received[n - 1].seq);
    CHECK_FALSE(h.offer(tl2[0]).forward);
    for (int i = 0; i < 1100; ++i) h.offer_all(src.frame(0, false));
    CHECK_FALSE(h.offer(tl0[0]).forward);
    CHECK(h.projection.counters().dropped_no_slot == 1);
  }
}

TEST_CASE("random reordering with padding and a changing maximum: order kept, every gap counted") {
  // Heavy: every packet moves up to 5 places later. Light: one packet in 20 does.
  for (const bool heavy : {true, false}) {
    for (const unsigned seed : {1u, 2u, 3u, 4u, 5u, 6u}) {
      CAPTURE(heavy);
      CAPTURE(seed);
      std::mt19937 rng(seed);
      Stream s;
      auto& h = s.h;
      h.projection.set_target(2);
      // Sending order: frames with padding inside and between, renumbered as sent.
      std::vector<GeneratedPacket> stream;
      for (int i = 0; i < 600; ++i) {
        auto f = s.frame(2, i == 0 || i == 300);
        for (std::size_t k = 0; k < f.size(); ++k) {
          stream.push_back(f[k]);
          if (rng() % 5 == 0) stream.push_back(s.src.padding(2));
        }
      }
      std::uint16_t seq = 65500;
      for (auto& p : stream) set_seq(p, seq++);
      std::vector<std::pair<double, std::size_t>> keyed;
      for (std::size_t i = 0; i < stream.size(); ++i) {
        const bool moved = i >= 9 && (heavy || rng() % 20 == 0);
        keyed.emplace_back(static_cast<double>(i) + (moved ? (rng() % 600) / 100.0 : 0), i);
      }
      std::stable_sort(keyed.begin(), keyed.end());
      const int maxima[] = {2, 0, 1, -1, 0, 2, 1, 0};
      for (std::size_t i = 0; i < keyed.size(); ++i) {
        if (i % 400 == 0) h.projection.set_max_temporal_layer(maxima[(i / 400) % 8]);
        h.offer(stream[keyed[i].second]);
      }
      const auto r = check_receiver(h.received, false);
      const auto& c = h.projection.counters();
      // Input order is kept: sequence numbers map monotonically (PictureIDs: check_receiver).
      rtp::SequenceNumberUnwrapper in_seq;
      std::map<std::int64_t, std::int64_t> by_input;
      for (const auto& p : r) by_input[in_seq.unwrap(p.in.seq)] = p.seq;
      std::optional<std::int64_t> last;
      for (const auto& [in, out] : by_input) {
        if (last) CHECK(out > *last);
        last = out;
      }
      // Every gap the receiver sees was counted, and there are few: they come from a dropped
      // frame's packet arriving after a packet of the next forwarded frame that is not its first.
      std::int64_t holes = 0, pid_holes = 0;
      const Received* prev = nullptr;
      for (std::size_t i = 1; i < r.size(); ++i) holes += r[i].seq - r[i - 1].seq - 1;
      for (const auto& p : r) {
        if (p.in.padding) continue;
        if (prev) pid_holes += std::max(0, pid_step(*prev->picture_id, *p.picture_id) - 1);
        prev = &p;
      }
      CHECK(holes == static_cast<std::int64_t>(c.seq_gaps_left));
      CHECK(pid_holes == static_cast<std::int64_t>(c.picture_id_gaps_left));
      CHECK(c.seq_gaps_left * (heavy ? 25 : 200) < stream.size());
      CHECK(c.dropped_no_slot == 0);
      CHECK(c.dropped_temporal > 100);
      CHECK(c.dropped_padding > 50);
      CHECK(c.forwarded + c.dropped_temporal + c.dropped_padding == stream.size());
      check_decodable(s.frames, h.received, 2);
    }
  }
}
