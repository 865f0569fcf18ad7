// Tests of bridge/conference/speech/speech_activity.hpp (JVB's ConferenceSpeechActivity; the
// behaviours of its SpeechActivityTest and RecentSpeakersListTest; the
// DominantSpeakerEndpointChangeEvent it broadcasts).
#include <doctest/doctest.h>

#include <optional>
#include <vector>

#include "bridge/conference/speech/speech_activity.hpp"
#include "tests/unit/speech/level_trace.hpp"

using namespace jvb::speech;
using namespace speech_test;

namespace {

using Ids = std::vector<SpeakerId>;

Ids ids(std::span<const SpeakerId> s) { return Ids(s.begin(), s.end()); }

DominantSpeakerChange elect(SpeakerId id) { return DominantSpeakerChange{id, false, kT0}; }
DominantSpeakerChange silence() { return DominantSpeakerChange{std::nullopt, true, kT0}; }

std::vector<DominantSpeakerMessage> drain(ConferenceSpeechActivity& a) {
  std::vector<DominantSpeakerMessage> out;
  while (auto m = a.poll_broadcast()) out.push_back(*m);
  return out;
}

}  // namespace

TEST_CASE("recent speakers list: add, promote, remove") {
  RecentSpeakers r(3);
  CHECK(r.visible().empty());
  CHECK(r.promote(1));
  CHECK(r.promote(2));
  CHECK(r.promote(3));
  CHECK(ids(r.visible()) == Ids{3, 2, 1});
  CHECK_FALSE(r.promote(3));  // already first: nothing changes
  CHECK(r.promote(1));        // moves to the front
  CHECK(ids(r.visible()) == Ids{1, 3, 2});
  CHECK(r.promote(4));  // the visible window holds three; 2 is kept behind it
  CHECK(ids(r.visible()) == Ids{4, 1, 3});
  CHECK_FALSE(r.is_recent(2));
  CHECK(r.is_recent(3));
  CHECK(r.promote(2));  // from behind the window to the front
  CHECK(ids(r.visible()) == Ids{2, 4, 1});
  CHECK(r.promote(5));
  CHECK(ids(r.visible()) == Ids{5, 2, 4});
  // Removing a visible one lets the next one in, in its old order.
  CHECK(r.remove(2));
  CHECK(ids(r.visible()) == Ids{5, 4, 1});
  CHECK_FALSE(r.remove(3));  // behind the window: the visible list is unchanged
  CHECK(ids(r.visible()) == Ids{5, 4, 1});
  CHECK_FALSE(r.remove(42));
  CHECK(r.remove(5));
  CHECK(r.remove(4));
  CHECK(r.remove(1));
  CHECK(r.visible().empty());
  CHECK(RecentSpeakers(0).visible_count() == 1);
}

TEST_CASE("speech order: dominant first, then recent speakers by recency, then join order") {
  ConferenceSpeechActivity a;
  for (SpeakerId id = 1; id <= 5; ++id) a.add_endpoint(id);
  CHECK(ids(a.endpoints_by_speech_activity()) == Ids{1, 2, 3, 4, 5});
  CHECK_FALSE(a.dominant());
  a.apply(elect(3));
  a.apply(elect(5));
  a.apply(elect(2));
  CHECK(ids(a.endpoints_by_speech_activity()) == Ids{2, 5, 3, 1, 4});
  CHECK(a.dominant() == 2);
  CHECK(ids(a.recent_speakers()) == Ids{2, 5, 3});
  a.add_endpoint(6);
  CHECK(ids(a.endpoints_by_speech_activity()) == Ids{2, 5, 3, 1, 4, 6});
  a.remove_endpoint(5);
  CHECK(ids(a.endpoints_by_speech_activity()) == Ids{2, 3, 1, 4, 6});
  CHECK(ids(a.recent_speakers()) == Ids{2, 3});
}

TEST_CASE("endpoints with video come first, and the order follows video changes") {
  ConferenceSpeechActivity a;
  a.add_endpoint(1, true);
  a.add_endpoint(2, true);
  a.add_endpoint(3, false);
  a.add_endpoint(4, false);
  CHECK(ids(a.ordered_endpoints()) == Ids{1, 2, 3, 4});
  CHECK(a.take_order_changed());
  CHECK_FALSE(a.take_order_changed());

  a.apply(elect(4));
  CHECK(ids(a.endpoints_by_speech_activity()) == Ids{4, 1, 2, 3});
  CHECK(ids(a.ordered_endpoints()) == Ids{1, 2, 4, 3});  // 4 leads the endpoints without video
  CHECK(a.take_order_changed());
  const auto version = a.order_version();

  a.set_has_video(4, true);
  CHECK(ids(a.ordered_endpoints()) == Ids{4, 1, 2, 3});
  CHECK(a.order_version() == version + 1);
  a.set_has_video(4, true);  // no change, no new version
  CHECK(a.order_version() == version + 1);
  a.set_has_video(1, false);
  CHECK(ids(a.ordered_endpoints()) == Ids{4, 2, 1, 3});
  CHECK(a.order_version() == version + 2);
  CHECK(a.take_order_changed());

  a.apply(elect(2));
  CHECK(ids(a.ordered_endpoints()) == Ids{2, 4, 1, 3});
  a.apply(elect(4));
  CHECK(ids(a.ordered_endpoints()) == Ids{4, 2, 1, 3});
  CHECK(a.take_order_changed());
  // Electing an endpoint without video reorders only its own group.
  a.apply(elect(3));
  CHECK(ids(a.ordered_endpoints()) == Ids{4, 2, 3, 1});
  CHECK(a.take_order_changed());
  // Electing 4 reorders the speech list but not the last-N order: no re-allocation cue.
  a.apply(elect(4));
  CHECK(ids(a.endpoints_by_speech_activity()) == Ids{4, 3, 2, 1});
  CHECK(ids(a.ordered_endpoints()) == Ids{4, 2, 3, 1});
  CHECK_FALSE(a.take_order_changed());
  a.set_has_video(9, true);  // unknown endpoint: ignored
  CHECK(a.ordered_endpoints().size() == 4);
  a.remove_endpoint(4);
  CHECK(ids(a.ordered_endpoints()) == Ids{2, 3, 1});
}

TEST_CASE("broadcasts list previous speakers newest first, at most count - 1") {
  ConferenceSpeechActivity a(SpeechActivityConfig{.recent_speakers_count = 4});
  for (SpeakerId id = 1; id <= 6; ++id) a.add_endpoint(id, true);
  CHECK(drain(a).empty());  // joins alone say nothing: nobody has spoken
  CHECK_FALSE(a.current_message());

  for (SpeakerId id = 1; id <= 6; ++id) a.apply(elect(id));
  const auto messages = drain(a);
  REQUIRE(messages.size() == 6);
  CHECK(messages[0] == DominantSpeakerMessage{1, {}, false, true});
  CHECK(messages[1] == DominantSpeakerMessage{2, {1}, false, true});
  CHECK(messages[2] == DominantSpeakerMessage{3, {2, 1}, false, true});
  CHECK(messages[3] == DominantSpeakerMessage{4, {3, 2, 1}, false, true});
  CHECK(messages[4] == DominantSpeakerMessage{5, {4, 3, 2}, false, true});
  CHECK(messages[5] == DominantSpeakerMessage{6, {5, 4, 3}, false, true});
  CHECK(a.counters().dominant_speaker_changes == 6);

  // An earlier speaker comes back: it moves to the front, the rest keep their order.
  a.apply(elect(3));
  auto back = drain(a);
  REQUIRE(back.size() == 1);
  CHECK(back[0] == DominantSpeakerMessage{3, {6, 5, 4}, false, true});
  CHECK(a.current_message() == DominantSpeakerMessage{3, {6, 5, 4}, false, false});

  // The default configuration lists nine previous speakers.
  ConferenceSpeechActivity d;
  for (SpeakerId id = 1; id <= 12; ++id) {
    d.add_endpoint(id);
    d.apply(elect(id));
  }
  const auto last = drain(d).back();
  CHECK(last.dominant == 12);
  CHECK(last.previous == Ids{11, 10, 9, 8, 7, 6, 5, 4, 3});
}

TEST_CASE("silence toggles the broadcast flag but keeps the head") {
  ConferenceSpeechActivity a;
  a.add_endpoint(1);
  a.add_endpoint(2);
  a.apply(silence());  // nobody spoke yet: nothing to say
  CHECK(drain(a).empty());
  CHECK(a.in_silence());
  a.apply(elect(1));
  a.apply(silence());
  a.apply(silence());  // repeated: no new message
  a.apply(elect(1));   // the same speaker again after silence
  a.apply(elect(2));
  const auto m = drain(a);
  REQUIRE(m.size() == 4);
  CHECK(m[0] == DominantSpeakerMessage{1, {}, false, true});
  CHECK(m[1] == DominantSpeakerMessage{1, {}, true, false});
  CHECK(m[2] == DominantSpeakerMessage{1, {}, false, false});
  CHECK(m[3] == DominantSpeakerMessage{2, {1}, false, true});
  CHECK(a.counters().dominant_speaker_changes == 2);
  CHECK(a.dominant() == 2);
  a.apply(elect(2));  // a repeat of the current dominant changes nothing
  CHECK(drain(a).empty());
}

TEST_CASE("leaving endpoints update the recent speakers and the broadcast head") {
  ConferenceSpeechActivity a;
  for (SpeakerId id = 1; id <= 4; ++id) a.add_endpoint(id);
  a.apply(elect(1));
  a.apply(elect(2));
  a.apply(elect(3));
  drain(a);
  a.remove_endpoint(3);  // the dominant leaves: the previous speaker is at the head again
  auto m = drain(a);
  REQUIRE(m.size() == 1);
  CHECK(m[0] == DominantSpeakerMessage{2, {1}, false, true});
  a.remove_endpoint(1);  // a previous speaker leaves
  m = drain(a);
  REQUIRE(m.size() == 1);
  CHECK(m[0] == DominantSpeakerMessage{2, {}, false, false});
  a.remove_endpoint(4);  // never spoke
  CHECK(drain(a).empty());
  a.remove_endpoint(4);  // unknown now
  a.remove_endpoint(2);  // the list is empty: nothing to announce
  CHECK(drain(a).empty());
  CHECK_FALSE(a.dominant());
  CHECK(a.ordered_endpoints().empty());
}

TEST_CASE("levels and decisions for unknown endpoints are dropped and counted") {
  ConferenceSpeechActivity a;
  a.add_endpoint(1);
  a.on_level(7, 20, kT0);
  CHECK(a.counters().levels_unknown_endpoint == 1);
  CHECK_FALSE(a.next_timeout());  // it never reached the identification
  a.apply(elect(7));
  CHECK(a.counters().events_unknown_endpoint == 1);
  CHECK(drain(a).empty());
}

TEST_CASE("levels drive the owned identification through to broadcasts") {
  ConferenceSpeechActivity a;
  FakeClock<ConferenceSpeechActivity> clock(a);
  constexpr SpeakerId kA = 100;
  constexpr SpeakerId kB = 200;
  a.add_endpoint(kA, true);
  a.add_endpoint(kB, true);
  Rng rng(12);
  auto frames = [&](int n, bool a_talks, bool b_talks) {
    for (int i = 0; i < n; ++i) {
      a.on_level(kA, a_talks ? speech_level(rng) : noise_level(rng), clock.now());
      a.on_level(kB, b_talks ? speech_level(rng) : noise_level(rng), clock.now());
      clock.advance(kFrame);
      REQUIRE_FALSE(clock.stuck());
    }
  };
  frames(50, false, false);
  frames(150, true, false);
  frames(150, false, true);
  const auto m = drain(a);
  REQUIRE(m.size() == 2);
  CHECK(m[0] == DominantSpeakerMessage{kA, {}, false, true});
  CHECK(m[1] == DominantSpeakerMessage{kB, {kA}, false, true});
  CHECK(ids(a.ordered_endpoints()) == Ids{kB, kA});
  CHECK(a.identification().dominant() == kB);
  // The endpoint leaving also leaves the identification.
  a.remove_endpoint(kA);
  CHECK_FALSE(a.identification().has_speaker(kA));
}

TEST_CASE("preemptive keyframe after a dominant change") {
  using Kind = PreemptiveKeyframe::Kind;
  // Three endpoints, one receiver has a camera on stage: ask after max RTT - speaker RTT + 10 ms.
  auto p = plan_preemptive_keyframe(3, true, 30ms, 120ms);
  CHECK(p.kind == Kind::kRequest);
  CHECK(p.delay == 100ms);
  // The speaker's own path is the slowest: no waiting.
  p = plan_preemptive_keyframe(3, true, 200ms, 50ms);
  CHECK(p.kind == Kind::kRequest);
  CHECK(p.delay == jvb::Duration::zero());
  // Everybody in tile view: suppressed (and counted as such by the caller).
  CHECK(plan_preemptive_keyframe(3, false, 30ms, 120ms).kind == Kind::kSuppressed);
  // Two endpoints: not applicable.
  CHECK(plan_preemptive_keyframe(2, true, 30ms, 120ms).kind == Kind::kNone);
}
