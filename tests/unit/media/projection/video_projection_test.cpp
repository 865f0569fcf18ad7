// Tests of bridge/media/projection/video_projection.hpp: projection of a 3-encoding VP8 simulcast
// source onto one SSRC on a fake clock (the scenarios of JVB's VP8AdaptiveSourceProjectionTest and
// of its generic context, as far as they apply without temporal-layer filtering).
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "tests/unit/media/projection/vp8_simulcast_stream.hpp"

using namespace jvb;
using namespace jvb::test;
using namespace std::chrono_literals;
using media::VideoProjection;

namespace {

constexpr std::uint32_t kSsrc = ProjectionHarness::kProjectedSsrc;

int pid_step(std::uint16_t from, std::uint16_t to) { return (to - from) & 0x7FFF; }
int tl0_step(std::uint8_t from, std::uint8_t to) { return static_cast<std::uint8_t>(to - from); }

// Every received packet follows the previous one by exactly one sequence number.
void check_strictly_continuous(const std::vector<Received>& r) {
  for (std::size_t i = 1; i < r.size(); ++i) {
    INFO("packet " << i);
    REQUIRE(r[i].seq == r[i - 1].seq + 1);
  }
}

// Inside one run of one encoding the rewrite is a fixed translation of seq, ts, PictureID and
// TL0PICIDX, and the SSRC is the projected one.
void check_translation(const std::vector<Received>& r, std::size_t from, std::size_t to) {
  rtp::SequenceNumberUnwrapper in_seq;
  rtp::TimestampUnwrapper in_ts;
  const std::int64_t seq_offset = r[from].seq - in_seq.unwrap(r[from].in.seq);
  const std::int64_t ts_offset = r[from].ts - in_ts.unwrap(r[from].in.ts);
  for (std::size_t i = from; i < to; ++i) {
    INFO("packet " << i);
    CHECK(r[i].ssrc == kSsrc);
    CHECK(r[i].in.encoding == r[from].in.encoding);
    REQUIRE(r[i].seq - in_seq.unwrap(r[i].in.seq) == seq_offset);
    REQUIRE(r[i].ts - in_ts.unwrap(r[i].in.ts) == ts_offset);
    REQUIRE(r[i].picture_id);
    CHECK(pid_step(r[from].in.picture_id, r[i].in.picture_id) ==
          pid_step(*r[from].picture_id, *r[i].picture_id));
    CHECK(tl0_step(r[from].in.tl0, r[i].in.tl0) == tl0_step(*r[from].tl0, *r[i].tl0));
    CHECK(r[i].payload_kept);
  }
}

std::size_t first_of_encoding(const std::vector<Received>& r, int e) {
  for (std::size_t i = 0; i < r.size(); ++i)
    if (r[i].in.encoding == e) return i;
  return r.size();
}

}  // namespace

TEST_CASE("the first keyframe starts forwarding at seq 2, ts 3001, own PictureID") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  h.projection.set_target(0);
  const auto kf = src.frame(0, true);
  const auto d = h.offer(kf[0]);
  CHECK(d.forward);
  CHECK_FALSE(d.request_keyframe);
  REQUIRE(h.received.size() == 1);
  const auto& r = h.received[0];
  CHECK(r.ssrc == kSsrc);
  CHECK(r.seq == 2);
  CHECK(r.ts == 3001);
  CHECK(r.picture_id == 300);
  CHECK(r.tl0 == 10);
  CHECK(r.payload_kept);
  CHECK(h.projection.current_encoding() == 0);
  CHECK(h.projection.counters().switches == 1);
}

TEST_CASE("nothing is forwarded before a keyframe of the target, which is requested") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  h.projection.set_target(2);
  int packets = 0, of_target = 0;
  for (int i = 0; i < 10; ++i) {
    for (const auto& p : src.instant(false)) {
      const auto d = h.offer(p);
      CHECK_FALSE(d.forward);
      CHECK(d.request_keyframe);
      CHECK(d.keyframe_encoding == 2);
      ++packets;
      if (p.encoding == 2) ++of_target;
    }
  }
  CHECK(h.received.empty());
  CHECK(h.projection.current_encoding() == -1);
  CHECK(h.projection.counters().dropped_before_keyframe == static_cast<std::uint64_t>(of_target));
  CHECK(h.projection.counters().dropped_not_current == static_cast<std::uint64_t>(packets - of_target));
  CHECK(h.projection.counters().keyframe_requests == static_cast<std::uint64_t>(packets));
  // A keyframe of another encoding does not start the target.
  h.offer_all(src.frame(0, true));
  CHECK(h.received.empty());
  h.offer_all(src.frame(2, true));
  CHECK(h.received.size() == 9);
  CHECK(h.projection.current_encoding() == 2);
}

TEST_CASE("steady forwarding of one encoding; other encodings dropped") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  h.projection.set_target(1);
  h.offer_all(src.instant(true));
  int expected = 6;
  for (int i = 0; i < 300; ++i) {
    h.advance(33ms);
    for (const auto& p : src.instant(false)) {
      const auto d = h.offer(p);
      CHECK(d.forward == (p.encoding == 1));
      CHECK_FALSE(d.request_keyframe);
    }
    expected += 2;
  }
  REQUIRE(h.received.size() == static_cast<std::size_t>(expected));
  check_strictly_continuous(h.received);
  check_translation(h.received, 0, h.received.size());
  // ts +3000 per frame, PictureID +1 per frame, TL0PICIDX +1 per TL0 frame.
  CHECK(h.received.back().ts - h.received.front().ts == 300 * 3000);
  CHECK(pid_step(*h.received.front().picture_id, *h.received.back().picture_id) == 300);
  CHECK(tl0_step(*h.received.front().tl0, *h.received.back().tl0) == 75);
  CHECK(h.projection.counters().dropped_not_current == 12u + 300u * 4);
  CHECK(h.projection.counters().forwarded == static_cast<std::uint64_t>(expected));
}

TEST_CASE("switches wait for a keyframe of the target and keep every field continuous") {
  const std::pair<int, int> cases[] = {{0, 2}, {2, 0}, {0, 1}, {1, 0}, {1, 2}};
  for (const auto& c : cases) {
    const int from = c.first;
    const int to = c.second;
    CAPTURE(from);
    CAPTURE(to);
    ProjectionHarness h;
    auto src = Vp8SimulcastSource::standard();
    h.projection.set_target(from);
    h.offer_all(src.instant(true));
    for (int i = 0; i < 20; ++i) {
      h.advance(33ms);
      h.offer_all(src.instant(false));
    }
    h.projection.set_target(to);
    // No keyframe yet: the old encoding keeps flowing and a keyframe of the target is asked for.
    for (int i = 0; i < 10; ++i) {
      h.advance(33ms);
      for (const auto& p : src.instant(false)) {
        const auto d = h.offer(p);
        CHECK(d.forward == (p.encoding == from));
        CHECK(d.request_keyframe);
        CHECK(d.keyframe_encoding == to);
      }
    }
    CHECK(h.projection.current_encoding() == from);
    h.advance(33ms);
    const std::size_t before = h.received.size();
    h.offer_all(src.instant(true));
    CHECK(h.projection.current_encoding() == to);
    for (int i = 0; i < 20; ++i) {
      h.advance(33ms);
      for (const auto& p : src.instant(false)) CHECK_FALSE(h.offer(p).request_keyframe);
    }
    // The receiver sees one gap-free stream.
    check_strictly_continuous(h.received);
    const std::size_t sw = first_of_encoding(h.received, to);
    REQUIRE(sw > before - 1);
    REQUIRE(sw < h.received.size());
    check_translation(h.received, 0, sw);
    check_translation(h.received, sw, h.received.size());
    const auto& last = h.received[sw - 1];
    const auto& first = h.received[sw];
    CHECK(first.in.keyframe);
    CHECK(first.in.start);
    CHECK(pid_step(*last.picture_id, *first.picture_id) == 1);
    CHECK(tl0_step(*last.tl0, *first.tl0) == 1);
    CHECK(first.ts > last.ts);
    CHECK(h.projection.counters().switches == 2);
  }
}

TEST_CASE("the timestamp step at a switch is the wall-clock time since the last frame") {
  SUBCASE("100 ms later: 9000 ticks") {
    ProjectionHarness h;
    auto src = Vp8SimulcastSource::standard();
    h.projection.set_target(0);
    h.offer_all(src.frame(0, true));
    h.advance(33ms);
    h.offer_all(src.frame(0, false));
    h.projection.set_target(1);
    h.advance(100ms);
    h.offer_all(src.frame(1, true));
    const std::size_t sw = first_of_encoding(h.received, 1);
    REQUIRE(sw == 4);
    CHECK(h.received[sw].ts - h.received[sw - 1].ts == 9000);
  }
  SUBCASE("at the same instant: at least one tick") {
    ProjectionHarness h;
    auto src = Vp8SimulcastSource::standard();
    h.projection.set_target(0);
    h.offer_all(src.frame(0, true));
    h.projection.set_target(1);
    h.offer_all(src.frame(1, true));
    const std::size_t sw = first_of_encoding(h.received, 1);
    REQUIRE(sw == 3);
    CHECK(h.received[sw].ts - h.received[sw - 1].ts == 1);
  }
}

TEST_CASE("an incomplete last frame leaves one sequence number out; its rest is dropped") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  h.projection.set_target(0);
  h.offer_all(src.frame(0, true));
  h.advance(33ms);
  h.offer_all(src.frame(0, false));
  h.projection.set_target(1);
  h.advance(33ms);
  const auto kf0 = src.frame(0, true);  // 3 packets
  const auto kf1 = src.frame(1, true);  // 6 packets
  CHECK(h.offer(kf0[0]).forward);
  const std::int64_t x = h.received.back().seq;
  const std::uint16_t pid = *h.received.back().picture_id;
  CHECK(h.offer(kf1[0]).forward);
  CHECK(h.received.back().seq == x + 2);
  CHECK(pid_step(pid, *h.received.back().picture_id) == 1);
  CHECK_FALSE(h.offer(kf0[1]).forward);
  CHECK_FALSE(h.offer(kf0[2]).forward);
  for (std::size_t i = 1; i < kf1.size(); ++i) CHECK(h.offer(kf1[i]).forward);
  CHECK(h.received.back().seq == x + 7);
}

TEST_CASE("loss on the input shows as a gap of the same size, never more") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  h.projection.set_target(2);
  h.offer_all(src.instant(true));
  int n = 0;
  for (int i = 0; i < 200; ++i) {
    h.advance(33ms);
    for (const auto& p : src.instant(false)) {
      ++n;
      const bool lost = n % 17 == 0 || (n > 300 && n < 306);
      if (!lost) h.offer(p);
    }
  }
  rtp::SequenceNumberUnwrapper in;
  std::int64_t prev_in = in.unwrap(h.received[0].in.seq);
  int gaps = 0;
  for (std::size_t i = 1; i < h.received.size(); ++i) {
    const std::int64_t cur_in = in.unwrap(h.received[i].in.seq);
    REQUIRE(h.received[i].seq - h.received[i - 1].seq == cur_in - prev_in);
    if (cur_in - prev_in > 1) ++gaps;
    prev_in = cur_in;
  }
  CHECK(gaps > 10);
}

TEST_CASE("reordering within the current encoding keeps every packet on its own slot") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  h.projection.set_target(2);
  h.offer_all(src.frame(2, true));
  std::vector<GeneratedPacket> stream;
  for (int i = 0; i < 400; ++i) {
    auto f = src.frame(2, false);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  std::mt19937 rng(7);
  for (std::size_t at = 0; at + 16 <= stream.size(); at += 16)
    std::shuffle(stream.begin() + static_cast<long>(at), stream.begin() + static_cast<long>(at + 16), rng);
  for (const auto& p : stream) CHECK(h.offer(p).forward);
  REQUIRE(h.received.size() == 9 + stream.size());
  check_translation(h.received, 0, h.received.size());
  std::set<std::int64_t> seqs;
  for (const auto& r : h.received) CHECK(seqs.insert(r.seq).second);
  CHECK(*seqs.rbegin() - *seqs.begin() + 1 == static_cast<std::int64_t>(seqs.size()));
}

TEST_CASE("packets older than the segment start are dropped, never renumbered") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  h.projection.set_target(0);
  const auto early = src.frame(0, false);
  const auto kf = src.frame(0, true);
  h.offer_all(kf);
  CHECK_FALSE(h.offer(early[0]).forward);
  CHECK(h.projection.counters().dropped_late == 1);

  // A second segment on the same encoding (after a suspension) starts above everything sent.
  for (int i = 0; i < 5; ++i) h.offer_all(src.frame(0, false));
  const auto held = src.frame(0, false);
  h.projection.set_target(-1);
  h.projection.set_target(0);
  h.offer_all(src.frame(0, true));
  const std::size_t count = h.received.size();
  CHECK_FALSE(h.offer(held[0]).forward);
  CHECK(h.received.size() == count);
  check_strictly_continuous(h.received);
}

TEST_CASE("a retransmitted keyframe that was already forwarded does not start a new segment") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  h.projection.set_target(0);
  const auto kf = src.frame(0, true);
  h.offer_all(kf);
  h.projection.set_target(-1);
  h.projection.set_target(0);
  for (const auto& p : kf) CHECK_FALSE(h.offer(p).forward);
  CHECK(h.received.size() == 3);
  h.offer_all(src.frame(0, true));
  CHECK(h.received.size() == 6);
  check_strictly_continuous(h.received);
}

TEST_CASE("suspension stops forwarding; resuming needs a keyframe and continues") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  h.projection.set_target(1);
  h.offer_all(src.instant(true));
  for (int i = 0; i < 10; ++i) {
    h.advance(33ms);
    h.offer_all(src.instant(false));
  }
  const std::size_t before = h.received.size();
  h.projection.set_target(-1);
  CHECK(h.projection.current_encoding() == -1);
  for (int i = 0; i < 10; ++i) {
    h.advance(33ms);
    for (const auto& p : src.instant(i == 3)) {
      const auto d = h.offer(p);
      CHECK_FALSE(d.forward);
      CHECK_FALSE(d.request_keyframe);
    }
  }
  CHECK(h.received.size() == before);
  CHECK(h.projection.counters().dropped_suspended == 9u * 6 + 18u);
  h.projection.set_target(1);
  for (int i = 0; i < 5; ++i) {
    h.advance(33ms);
    for (const auto& p : src.instant(false)) {
      const auto d = h.offer(p);
      CHECK_FALSE(d.forward);
      CHECK(d.request_keyframe);
    }
  }
  CHECK(h.received.size() == before);
  h.advance(33ms);
  h.offer_all(src.instant(true));
  REQUIRE(h.received.size() == before + 6);
  check_strictly_continuous(h.received);
  const auto& last = h.received[before - 1];
  const auto& first = h.received[before];
  CHECK(pid_step(*last.picture_id, *first.picture_id) == 1);
  CHECK(tl0_step(*last.tl0, *first.tl0) == 1);
  CHECK(first.ts - last.ts == 16 * 33 * 90);  // 16 frame intervals of wall-clock time
}

TEST_CASE("16-bit seq, 32-bit ts and 15-bit PictureID wrap on input and output") {
  ProjectionHarness h(2);
  Vp8SimulcastSource src(
      {{0x1111, 65500, 0xFFFF0000u, 0x7FF0, 250, 3}, {0x2222, 65530, 0xFFFFFFF0u, 0x7FFE, 255, 1}});
  h.projection.set_target(0);
  h.offer_all(src.frame(0, true));
  for (int i = 0; i < 24000; ++i) {
    h.advance(33ms);
    h.offer_all(src.frame(0, false));
    if (i == 100) h.projection.set_target(1);
    if (i == 101) h.offer_all(src.frame(1, true));
    if (i > 101) h.offer_all(src.frame(1, false));
    if (i == 200) h.projection.set_target(0);
    if (i == 201) h.offer_all(src.frame(0, true));
  }
  check_strictly_continuous(h.received);
  CHECK(h.received.back().seq > 65536 + 2);
  CHECK(h.projection.counters().switches == 3);
  const std::size_t a = first_of_encoding(h.received, 1);
  check_translation(h.received, 0, a);
  std::size_t b = a;
  while (b < h.received.size() && h.received[b].in.encoding == 1) ++b;
  check_translation(h.received, a, b);
  check_translation(h.received, b, h.received.size());
  for (std::size_t i = 1; i < h.received.size(); ++i) {
    const int step = pid_step(*h.received[i - 1].picture_id, *h.received[i].picture_id);
    REQUIRE((step == 0 || step == 1));
    REQUIRE(h.received[i].ts >= h.received[i - 1].ts);
  }
}

TEST_CASE("large dropouts continue linearly") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  h.projection.set_target(0);
  h.offer_all(src.frame(0, true));
  for (int gap = 64; gap <= 32768; gap *= 2) {
    CAPTURE(gap);
    const std::int64_t last = h.received.back().seq;
    const std::int64_t last_ts = h.received.back().ts;
    for (int i = 0; i < gap - 1; ++i) (void)src.frame(0, false);
    h.offer_all(src.frame(0, false));
    CHECK(h.received.back().seq == last + gap);
    CHECK(h.received.back().ts == last_ts + 3000LL * gap);
  }
  CHECK(h.projection.counters().stream_resets == 0);
}

TEST_CASE("a restarted sender (large backward jump or new SSRC) needs a new keyframe") {
  SUBCASE("backward jump") {
    ProjectionHarness h;
    Vp8SimulcastSource a({{0x1111, 30000, 5000, 100, 1, 1}});
    Vp8SimulcastSource b({{0x1111, 20000, 1000, 7000, 9, 1}});
    h.projection.set_target(0);
    h.offer_all(a.frame(0, true));
    for (int i = 0; i < 10; ++i) h.offer_all(a.frame(0, false));
    const auto d = h.offer(b.frame(0, false)[0]);
    CHECK_FALSE(d.forward);
    CHECK(d.request_keyframe);
    CHECK(h.projection.counters().stream_resets == 1);
    h.advance(40ms);
    h.offer_all(b.frame(0, true));
    h.offer_all(b.frame(0, false));
    check_strictly_continuous(h.received);
    CHECK(h.received.size() == 17);
    CHECK(pid_step(*h.received[12].picture_id, *h.received[13].picture_id) == 1);
  }
  SUBCASE("new SSRC for an encoding") {
    ProjectionHarness h;
    Vp8SimulcastSource a({{0x1111, 30000, 5000, 100, 1, 1}});
    Vp8SimulcastSource b({{0x9999, 31000, 1000, 7000, 9, 1}});
    h.projection.set_target(0);
    h.offer_all(a.frame(0, true));
    CHECK_FALSE(h.offer(b.frame(0, false)[0]).forward);
    CHECK(h.projection.counters().stream_resets == 1);
    h.offer_all(b.frame(0, true));
    check_strictly_continuous(h.received);
    CHECK(h.received.size() == 6);
  }
}

TEST_CASE("a keyframe arriving after later packets of its own frame still starts") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  h.projection.set_target(1);
  const auto kf = src.frame(1, true);  // 6 packets
  for (int i : {1, 2, 3}) CHECK_FALSE(h.offer(kf[static_cast<std::size_t>(i)]).forward);
  CHECK(h.projection.counters().dropped_before_keyframe == 3);
  CHECK(h.offer(kf[0]).forward);
  CHECK(h.offer(kf[4]).forward);
  CHECK(h.offer(kf[5]).forward);
  CHECK(h.received[1].seq == h.received[0].seq + 4);
  // A retransmission of a dropped one lands on its own slot.
  CHECK(h.offer(kf[2]).forward);
  CHECK(h.received.back().seq == h.received[0].seq + 2);
}

TEST_CASE("a keyframe arriving after a later frame was dropped is ignored") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  h.projection.set_target(0);
  const auto kf = src.frame(0, true);
  const auto next = src.frame(0, false);
  h.offer_all(next);
  h.offer_all(kf);
  CHECK(h.received.empty());
  CHECK(h.projection.counters().stale_keyframes == 1);
  h.offer_all(src.frame(0, false));
  CHECK(h.received.empty());
  h.offer_all(src.frame(0, true));
  CHECK(h.received.size() == 3);
}

TEST_CASE("generic (non-VP8) payloads: pass-through with continuous seq and ts") {
  ProjectionHarness h;
  h.projection.set_target(0);
  std::vector<GeneratedPacket> in;
  for (int i = 0; i < 50; ++i)
    in.push_back(
        generic_packet(0x1111, static_cast<std::uint16_t>(5000 + i), 123456u + 3000u * (i / 2), i % 2, 0));
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto d = h.offer(in[i]);
    CHECK(d.forward);
    CHECK(d.request_keyframe == (i == 0));  // no keyframe knowledge: asked for once at the start
  }
  REQUIRE(h.received.size() == 50);
  CHECK(h.received[0].seq == 2);
  CHECK(h.received[0].ts == 123456);  // the generic context keeps source timestamps
  for (const auto& r : h.received) {
    CHECK(r.payload_kept);
    CHECK(r.ssrc == kSsrc);
    CHECK_FALSE(r.picture_id);
  }
  check_strictly_continuous(h.received);
  // Switching encodings happens at the first packet of the target.
  h.projection.set_target(1);
  h.advance(50ms);
  CHECK(h.offer(generic_packet(0x2222, 100, 999, false, 1)).request_keyframe);
  CHECK(h.projection.current_encoding() == 1);
  CHECK_FALSE(h.offer(generic_packet(0x1111, 5050, 123456u + 3000u * 25, false, 0)).forward);
  CHECK_FALSE(h.offer(generic_packet(0x2222, 101, 999, true, 1)).request_keyframe);
  check_strictly_continuous(h.received);
  CHECK(h.received[50].ts - h.received[49].ts == 50 * 90);
}

TEST_CASE("codec change VP8 -> generic -> VP8 on one encoding stays continuous") {
  ProjectionHarness h(1);
  Vp8SimulcastSource src({{0x1111, 100, 5000, 10, 1, 1}});
  h.projection.set_target(0);
  h.offer_all(src.frame(0, true));
  h.offer_all(src.frame(0, false));
  // H264 on the same SSRC continues the same number spaces.
  CHECK(h.offer(generic_packet(0x1111, 104, 5000 + 6000, true, 0)).forward);
  CHECK(h.offer(generic_packet(0x1111, 105, 5000 + 9000, true, 0)).forward);
  Vp8SimulcastSource again({{0x1111, 106, 5000 + 12000, 12, 1, 1}});
  h.offer_all(again.frame(0, false));
  h.offer_all(again.frame(0, false));
  check_strictly_continuous(h.received);
  REQUIRE(h.received.size() == 8);
  CHECK(h.received[7].ts - h.received[0].ts == 15000);
  CHECK(pid_step(*h.received[3].picture_id, *h.received[6].picture_id) == 1);
}

TEST_CASE("SR timestamps translate for the forwarded encoding only") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  CHECK_FALSE(h.projection.projected_timestamp(src.ssrc(0), 1));
  h.projection.set_target(0);
  h.offer_all(src.instant(true));
  const Received r = h.received.back();
  CHECK(h.projection.projected_timestamp(src.ssrc(0), r.in.ts) == static_cast<std::uint32_t>(r.ts));
  CHECK(h.projection.projected_timestamp(src.ssrc(0), r.in.ts + 1500) ==
        static_cast<std::uint32_t>(r.ts + 1500));
  CHECK_FALSE(h.projection.projected_timestamp(src.ssrc(1), 1234));
  CHECK_FALSE(h.projection.projected_timestamp(0xDEAD, 1234));

  h.projection.set_target(1);
  h.advance(33ms);
  h.offer_all(src.instant(true));
  const Received r1 = h.received.back();
  REQUIRE(r1.in.encoding == 1);
  CHECK_FALSE(h.projection.projected_timestamp(src.ssrc(0), r.in.ts));
  // Encoding 1's timestamps are near the 32-bit wrap: the translation wraps with them.
  CHECK(h.projection.projected_timestamp(src.ssrc(1), r1.in.ts) == static_cast<std::uint32_t>(r1.ts));
  CHECK(h.projection.projected_timestamp(src.ssrc(1), r1.in.ts + 2000000000u) ==
        static_cast<std::uint32_t>(r1.ts + 2000000000));
  h.projection.set_target(-1);
  CHECK_FALSE(h.projection.projected_timestamp(src.ssrc(1), r1.in.ts));
}

TEST_CASE("bad input is dropped and counted") {
  ProjectionHarness h;
  auto src = Vp8SimulcastSource::standard();
  h.projection.set_target(0);
  auto kf = src.frame(0, true);
  auto parsed = rtp::RtpPacket::parse(kf[0].bytes);
  REQUIRE(parsed);
  std::vector<std::uint8_t> copy = kf[0].bytes;
  for (int e : {-5, -1, 3, 1000}) CHECK_FALSE(h.projection.on_packet(h.now, copy, *parsed, e).forward);
  CHECK(h.projection.counters().dropped_bad_encoding == 4);
  CHECK_FALSE(h.projection.on_packet(h.now, std::span(copy).first(20), *parsed, 0).forward);
  CHECK(h.projection.counters().dropped_bad_packet == 1);
  CHECK(copy == kf[0].bytes);

  // VP8 payload type with a truncated descriptor (X set, nothing after it).
  auto garbage = rtp_header(kVp8Pt, false, 1, 1, src.ssrc(0));
  garbage.push_back(0x80);
  auto gp = rtp::RtpPacket::parse(garbage);
  REQUIRE(gp);
  CHECK_FALSE(h.projection.on_packet(h.now, garbage, *gp, 0).forward);
  CHECK(h.projection.counters().dropped_bad_payload == 1);

  h.projection.set_target(7);
  CHECK(h.projection.target() == -1);
  CHECK(h.projection.counters().dropped_bad_encoding == 5);
  h.projection.set_target(0);
  h.offer_all(kf);
  CHECK(h.received.size() == 3);

  VideoProjection none(1, 0);
  none.set_target(0);
  CHECK_FALSE(none.on_packet(h.now, copy, *parsed, 0).forward);
}
