// Tests of bridge/conference/speech/dominant_speaker.hpp (the behaviours of jitsi-utils'
// DominantSpeakerIdentificationTest: a single speaker, a conversation trace; and the challenger
// rule). Everything runs on a fake clock in 20 ms audio frames.
#include <doctest/doctest.h>

#include <cmath>
#include <utility>
#include <vector>

#include "bridge/conference/speech/dominant_speaker.hpp"
#include "tests/unit/speech/level_trace.hpp"

using namespace jvb::speech;
using namespace speech_test;

namespace {

using Dsi = DominantSpeakerIdentification;

// One conference's identification, fed frame by frame.
struct Run {
  Dsi dsi;
  FakeClock<Dsi> clock;
  std::vector<DominantSpeakerChange> changes;

  explicit Run(DominantSpeakerConfig config = {}) : dsi(config), clock(dsi) {}

  Timestamp now() const { return clock.now(); }

  // One 20 ms frame: each listed speaker reports a level now (others send nothing), then the
  // clock moves to the next frame, running the deadlines in between.
  void frame(const std::vector<std::pair<SpeakerId, int>>& levels) {
    for (const auto& [id, level] : levels) dsi.on_level(id, level, clock.now());
    clock.advance(kFrame);
    REQUIRE_FALSE(clock.stuck());
    while (auto e = dsi.poll_event()) changes.push_back(*e);
  }

  std::vector<std::optional<SpeakerId>> sequence() const {
    std::vector<std::optional<SpeakerId>> ids;
    for (const auto& c : changes) ids.push_back(c.dominant);
    return ids;
  }
};

constexpr SpeakerId kA = 11;
constexpr SpeakerId kB = 12;
constexpr SpeakerId kC = 13;
constexpr int kFramesPerSecond = 50;

}  // namespace

TEST_CASE("speech activity scores follow the Volfin-Cohen formula with jitsi-utils' constants") {
  // ln C(13,10) + 13 ln 0.5 - ln 0.78 + 0.78 * 10
  CHECK(Dsi::speech_activity_score(10, 13, 0.78) ==
        doctest::Approx(std::log(286.0) + 13 * std::log(0.5) - std::log(0.78) + 7.8));
  CHECK(Dsi::speech_activity_score(10, 13, 0.78) == doctest::Approx(4.6935).epsilon(1e-4));
  CHECK(Dsi::speech_activity_score(5, 5, 24) == doctest::Approx(5 * std::log(0.5) - std::log(24.0) + 120));
  CHECK(Dsi::speech_activity_score(1, 10, 47) ==
        doctest::Approx(std::log(10.0) + 10 * std::log(0.5) - std::log(47.0) + 47));
  // Nothing active scores the floor on every time scale; so do the low immediates.
  CHECK(Dsi::speech_activity_score(0, 13, 0.78) == Dsi::kMinScore);
  CHECK(Dsi::speech_activity_score(3, 13, 0.78) == Dsi::kMinScore);
  CHECK(Dsi::speech_activity_score(4, 13, 0.78) > Dsi::kMinScore);
  CHECK(Dsi::speech_activity_score(0, 5, 24) == Dsi::kMinScore);
  CHECK(Dsi::speech_activity_score(0, 10, 47) == Dsi::kMinScore);
  for (int v = 1; v <= 10; ++v) {
    CHECK(Dsi::speech_activity_score(v, 10, 47) > Dsi::speech_activity_score(v - 1, 10, 47));
  }
}

TEST_CASE("a single speaker becomes dominant once") {
  Run run;
  Rng rng(1);
  for (int i = 0; i < kFramesPerSecond; ++i) run.frame({{kA, noise_level(rng)}});
  for (int i = 0; i < 10 * kFramesPerSecond; ++i) run.frame({{kA, speech_level(rng)}});
  for (int i = 0; i < 5 * kFramesPerSecond; ++i) run.frame({{kA, 127}});
  REQUIRE(run.changes.size() == 1);
  CHECK(run.changes[0].dominant == kA);
  CHECK_FALSE(run.changes[0].silence);
  CHECK(run.changes[0].at == kT0);  // the first decision runs with the first report
  CHECK(run.dsi.dominant() == kA);
  CHECK(run.dsi.counters().silence_events == 0);
}

TEST_CASE("with silence detection a single speaker alternates with silence") {
  Run run(DominantSpeakerConfig{.enable_silence_detection = true, .silence_timeout = 3s});
  Rng rng(2);
  std::vector<Timestamp> speech_ends;
  std::vector<Timestamp> speech_starts;
  for (int i = 0; i < kFramesPerSecond; ++i) run.frame({{kA, noise_level(rng)}});
  for (int round = 0; round < 2; ++round) {
    speech_starts.push_back(run.now());
    for (int i = 0; i < 2 * kFramesPerSecond; ++i) run.frame({{kA, speech_level(rng)}});
    speech_ends.push_back(run.now());
    for (int i = 0; i < 6 * kFramesPerSecond; ++i) run.frame({{kA, noise_level(rng)}});
  }
  REQUIRE(run.sequence() == std::vector<std::optional<SpeakerId>>{kA, std::nullopt, kA, std::nullopt});
  CHECK(run.changes[1].silence);
  CHECK(run.changes[3].silence);
  CHECK_FALSE(run.changes[2].silence);
  // Silence once the last loud block has left the 1 s history and the timeout has passed.
  for (int round = 0; round < 2; ++round) {
    const auto silent_after = ms_since(speech_ends[round], run.changes[1 + 2 * round].at);
    CHECK(silent_after > 3000);
    CHECK(silent_after <= 4400);
  }
  // Back once a full loud 100 ms block lines up at a decision.
  CHECK(ms_since(speech_starts[1], run.changes[2].at) <= 1000);
  CHECK(run.dsi.counters().silence_events == 2);
  CHECK(run.dsi.in_silence());
  CHECK_FALSE(run.dsi.dominant());
}

TEST_CASE("challenger rule: a speaker takes over from a dominant who went silent") {
  Run run;
  Rng rng(3);
  // B arrives first, so it is the nominee of the first decision; then A takes over by speaking.
  for (int i = 0; i < kFramesPerSecond; ++i) run.frame({{kB, noise_level(rng)}, {kA, noise_level(rng)}});
  for (int i = 0; i < 3 * kFramesPerSecond; ++i) run.frame({{kB, noise_level(rng)}, {kA, 20}});
  REQUIRE(run.sequence() == std::vector<std::optional<SpeakerId>>{kB, kA});

  // A falls silent (level 127) while B talks continuously at level 20.
  const Timestamp start = run.now();
  const auto decisions_before = run.dsi.counters().decisions;
  while (run.changes.size() < 3 && run.now() - start < 5s) run.frame({{kB, 20}, {kA, 127}});
  REQUIRE(run.changes.size() == 3);
  CHECK(run.changes[2].dominant == kB);
  const auto decisions = run.dsi.counters().decisions - decisions_before;
  MESSAGE("B took over after ", decisions, " decisions, ", ms_since(start, run.changes[2].at), " ms");
  CHECK(decisions >= 1);
  CHECK(decisions <= 4);
  // B needs more loud 100 ms blocks in the last second than A still has (c3 > 0): not at once.
  CHECK(ms_since(start, run.changes[2].at) >= 300);
  CHECK(ms_since(start, run.changes[2].at) <= 1200);
}

TEST_CASE("challenger rule: one loud packet does not switch") {
  // The packet is tried at every position in the 300 ms decision cycle, against a dominant who
  // keeps talking and against one who has been silent long enough to score the floor everywhere.
  bool beat_silent_on_short_scales = false;
  for (const bool dominant_keeps_talking : {true, false}) {
    for (int phase = 0; phase < 15; ++phase) {
      CAPTURE(dominant_keeps_talking);
      CAPTURE(phase);
      Run run;
      Rng rng(4);
      auto a_level = [&] { return dominant_keeps_talking ? speech_level(rng) : 127; };
      for (int i = 0; i < kFramesPerSecond; ++i) run.frame({{kA, noise_level(rng)}, {kB, noise_level(rng)}});
      for (int i = 0; i < 3 * kFramesPerSecond; ++i)
        run.frame({{kA, speech_level(rng)}, {kB, noise_level(rng)}});
      REQUIRE(run.sequence() == std::vector<std::optional<SpeakerId>>{kA});
      for (int i = 0; i < 75 + phase; ++i) run.frame({{kA, a_level()}, {kB, noise_level(rng)}});
      run.frame({{kA, a_level()}, {kB, 20}});  // B: one 20 ms packet at level 20
      for (int i = 0; i < 3 * kFramesPerSecond; ++i) {
        run.frame({{kA, a_level()}, {kB, noise_level(rng)}});
        const auto b = run.dsi.scores(kB);
        if (!dominant_keeps_talking && b->immediate > Dsi::kMinScore * std::exp(Dsi::kC1) &&
            b->medium > Dsi::kMinScore * std::exp(Dsi::kC2)) {
          beat_silent_on_short_scales = true;
        }
      }
      CHECK(run.changes.size() == 1);
      CHECK(run.dsi.dominant() == kA);
    }
  }
  // In some phase B passed c1 and c2 against the silent dominant: only c3 > 0 held it back.
  CHECK(beat_silent_on_short_scales);
}

TEST_CASE("challenger rule: among several winners the largest medium-term activity wins") {
  // B talks without a break; C (iterated after B) pauses every fifth packet after its first
  // 100 ms, so its newest five packets hold four loud ones at most: a smaller c2.
  for (int phase = 0; phase < 15; ++phase) {
    CAPTURE(phase);
    Run run;
    Rng rng(14);
    for (int i = 0; i < kFramesPerSecond; ++i) {
      run.frame({{kA, noise_level(rng)}, {kB, noise_level(rng)}, {kC, noise_level(rng)}});
    }
    for (int i = 0; i < 2 * kFramesPerSecond; ++i) {
      run.frame({{kA, 20}, {kB, noise_level(rng)}, {kC, noise_level(rng)}});
    }
    for (int i = 0; i < 75 + phase; ++i)
      run.frame({{kA, 127}, {kB, noise_level(rng)}, {kC, noise_level(rng)}});
    REQUIRE(run.sequence() == std::vector<std::optional<SpeakerId>>{kA});
    for (int i = 0; run.changes.size() < 2 && i < 2 * kFramesPerSecond; ++i) {
      const bool c_pauses = i >= 10 && i % 5 == 4;
      run.frame({{kA, 127}, {kB, 20}, {kC, c_pauses ? noise_level(rng) : 20}});
    }
    CHECK(run.sequence() == std::vector<std::optional<SpeakerId>>{kA, kB});
  }
}

TEST_CASE("a muted packet (level 127) does not reset the noise floor") {
  Run run;
  Rng rng(13);
  for (int i = 0; i < kFramesPerSecond; ++i) run.frame({{kA, noise_level(rng)}, {kB, noise_level(rng)}});
  for (int i = 0; i < 2 * kFramesPerSecond; ++i) run.frame({{kA, noise_level(rng)}, {kB, 127}});
  REQUIRE(run.sequence() == std::vector<std::optional<SpeakerId>>{kA});
  // B unmutes and talks at a steady level 20: its floor is still the room noise from before.
  for (int i = 0; i < 2 * kFramesPerSecond; ++i) run.frame({{kA, noise_level(rng)}, {kB, 20}});
  CHECK(run.sequence() == std::vector<std::optional<SpeakerId>>{kA, kB});
}

TEST_CASE("a level that never changes is the speaker's noise floor, not speech") {
  // B never sent anything quieter than its talking level, so its floor is that level.
  Run run;
  Rng rng(5);
  for (int i = 0; i < 3 * kFramesPerSecond; ++i) run.frame({{kA, speech_level(rng)}});
  for (int i = 0; i < 5 * kFramesPerSecond; ++i) run.frame({{kA, 127}, {kB, 20}});
  CHECK(run.sequence() == std::vector<std::optional<SpeakerId>>{kA});
  const auto b = run.dsi.scores(kB);
  REQUIRE(b);
  CHECK(b->immediate == Dsi::kMinScore);
  CHECK(b->long_term == Dsi::kMinScore);
}

TEST_CASE("three-party conversation trace yields exactly the expected changes") {
  // Everybody sits in a noisy room; A, B and C take 3 s turns after one second of noise. Others
  // make short noises during a turn ("mm-hm", a cough) that must not switch.
  struct Turn {
    SpeakerId who;
    int start_ms;
    int end_ms;
  };
  const std::vector<Turn> turns = {{kA, 1000, 4000},   {kB, 4000, 7000},   {kC, 7000, 10000},
                                   {kA, 10000, 13000}, {kB, 13000, 16000}, {kC, 16000, 19000}};
  struct Burst {
    SpeakerId who;
    int start_ms;
    int frames;
  };
  const std::vector<Burst> bursts = {
      {kA, 5000, 3}, {kB, 8500, 5}, {kC, 11200, 2}, {kA, 14600, 4}, {kB, 17300, 5}};
  const SpeakerId ids[] = {kA, kB, kC};
  std::vector<Rng> rngs = {Rng(101), Rng(202), Rng(303)};

  Run run;
  const int total_ms = 21000;
  for (int t = 0; t < total_ms; t += 20) {
    std::vector<std::pair<SpeakerId, int>> levels;
    for (int p = 0; p < 3; ++p) {
      bool talking = false;
      for (const auto& turn : turns) talking |= turn.who == ids[p] && t >= turn.start_ms && t < turn.end_ms;
      bool burst = false;
      for (const auto& b : bursts)
        burst |= b.who == ids[p] && t >= b.start_ms && t < b.start_ms + 20 * b.frames;
      levels.emplace_back(ids[p], burst     ? rngs[p].uniform(15, 25)
                                  : talking ? speech_level(rngs[p])
                                            : noise_level(rngs[p]));
    }
    run.frame(levels);
  }

  // The first decision nominates A (first to arrive); then one change per turn after A's first.
  REQUIRE(run.sequence() == std::vector<std::optional<SpeakerId>>{kA, kB, kC, kA, kB, kC});
  CHECK(run.changes[0].at == kT0);
  std::int64_t max_latency = 0;
  for (std::size_t i = 1; i < run.changes.size(); ++i) {
    const auto latency = ms_since(kT0, run.changes[i].at) - turns[i].start_ms;
    CAPTURE(i);
    CHECK(latency > 0);
    CHECK(latency <= 1000);
    max_latency = std::max(max_latency, latency);
  }
  MESSAGE("worst switch latency in the trace: ", max_latency, " ms");
  CHECK(run.dsi.counters().late_levels == 0);
}

TEST_CASE("a dominant speaker who stops sending fades out and loses to an active one") {
  Run run;
  Rng rng(6);
  for (int i = 0; i < kFramesPerSecond; ++i) run.frame({{kA, noise_level(rng)}, {kB, noise_level(rng)}});
  // A talks without pauses, so all ten of its 100 ms blocks are loud: only decay can let B win,
  // since B can at best tie that.
  for (int i = 0; i < 3 * kFramesPerSecond; ++i) run.frame({{kA, 20}, {kB, noise_level(rng)}});
  REQUIRE(run.sequence() == std::vector<std::optional<SpeakerId>>{kA});
  REQUIRE(run.dsi.scores(kA)->long_term == Dsi::speech_activity_score(10, 10, 47));
  const Timestamp start = run.now();
  while (run.changes.size() < 2 && run.now() - start < 5s) run.frame({{kB, 20}});
  REQUIRE(run.changes.size() == 2);
  CHECK(run.changes[1].dominant == kB);
  MESSAGE("B took over ", ms_since(start, run.changes[1].at), " ms after A stopped sending");
  // Decay pushes one silent level per 40 ms, half the packet rate, so this takes longer than
  // when A sends level-127 packets (about 0.6 s of B's speech against 0.5 s).
  CHECK(ms_since(start, run.changes[1].at) >= 600);
  CHECK(ms_since(start, run.changes[1].at) <= 1500);
  // Fifty decay ticks (2 s) after A stopped, its whole history is silence.
  const auto a_mid = run.dsi.scores(kA);
  REQUIRE(a_mid);
  CHECK(a_mid->long_term > Dsi::kMinScore);  // not yet: the oldest block is still loud
  while (run.now() - start < 2400ms) run.frame({{kB, speech_level(rng)}});  // + one decision
  const auto a = run.dsi.scores(kA);
  REQUIRE(a);
  CHECK(a->immediate == Dsi::kMinScore);
  CHECK(a->medium == Dsi::kMinScore);
  CHECK(a->long_term == Dsi::kMinScore);
}

TEST_CASE("late and malformed level reports are ignored and counted") {
  Dsi dsi;
  dsi.on_level(kA, 90, kT0 + 100ms);
  CHECK(dsi.counters().levels == 1);
  dsi.on_level(kA, 20, kT0 + 80ms);  // older than A's latest report
  CHECK(dsi.counters().late_levels == 1);
  CHECK(dsi.counters().levels == 1);
  dsi.on_level(kA, 90, kT0 + 100ms);  // same time is not late
  CHECK(dsi.counters().levels == 2);
  dsi.on_level(kA, 128, kT0 + 120ms);
  dsi.on_level(kA, -1, kT0 + 120ms);
  CHECK(dsi.counters().bad_levels == 2);
  CHECK(dsi.counters().levels == 2);

  // Late loud reports leave no trace in the history: B cannot win with them.
  Run run;
  Rng rng(7);
  for (int i = 0; i < kFramesPerSecond; ++i) run.frame({{kA, noise_level(rng)}, {kB, noise_level(rng)}});
  run.dsi.on_level(kB, noise_level(rng), run.now() + 10s);
  for (int i = 0; i < 2 * kFramesPerSecond; ++i) {
    run.dsi.on_level(kB, 20, run.now());
    run.frame({{kA, noise_level(rng)}});
  }
  CHECK(run.dsi.counters().late_levels == 2 * kFramesPerSecond);
  CHECK(run.sequence() == std::vector<std::optional<SpeakerId>>{kA});
  CHECK(run.dsi.scores(kB)->medium == Dsi::kMinScore);
}

TEST_CASE("the decision task stops 15 s after the last report and restarts with the next") {
  Dsi dsi;
  FakeClock<Dsi> clock(dsi);
  CHECK_FALSE(dsi.next_timeout());
  Rng rng(8);
  for (int i = 0; i < kFramesPerSecond; ++i) {
    dsi.on_level(kA, noise_level(rng), clock.now());
    REQUIRE(dsi.next_timeout());
    clock.advance(kFrame);
  }
  const Timestamp last_report = clock.now() - kFrame;
  const auto ticks_before = dsi.counters().decisions;
  while (dsi.next_timeout() && clock.now() - last_report < 20s) clock.advance(10ms);
  REQUIRE_FALSE(dsi.next_timeout());
  const auto stopped_after = ms_since(last_report, clock.now());
  CHECK(stopped_after >= 15000);
  CHECK(stopped_after <= 15300 + 10);
  CHECK(dsi.counters().decision_stops == 1);
  const auto decisions = dsi.counters().decisions;
  CHECK(decisions - ticks_before >= 50);  // it kept deciding every 300 ms until then

  // Nothing happens while stopped.
  clock.advance(30s);
  dsi.handle_timeout(clock.now());
  CHECK(dsi.counters().decisions == decisions);

  // The next report restarts it with an immediate decision.
  dsi.on_level(kA, noise_level(rng), clock.now());
  REQUIRE(dsi.next_timeout());
  CHECK(*dsi.next_timeout() == clock.now());
  clock.advance(1s);
  CHECK(dsi.counters().decisions == decisions + 4);  // at +0, +300, +600, +900 ms
  CHECK(dsi.next_timeout());
}

TEST_CASE("idle speakers are removed after an hour, except the dominant one") {
  Dsi dsi;
  FakeClock<Dsi> clock(dsi);
  dsi.add_speaker(kA, clock.now());
  dsi.add_speaker(kB, clock.now());
  Rng rng(9);
  const Timestamp start = clock.now();
  bool checked_before_hour = false;
  // Only C reports, quietly, every 10 s: enough to keep the decision task running.
  while (clock.now() - start < 61min) {
    dsi.on_level(kC, noise_level(rng), clock.now());
    clock.advance(10s);
    REQUIRE_FALSE(clock.stuck());
    if (!checked_before_hour && clock.now() - start >= 59min) {
      CHECK(dsi.speaker_count() == 3);
      checked_before_hour = true;
    }
  }
  CHECK(checked_before_hour);
  CHECK(dsi.dominant() == kA);  // the nominee of the first decision
  CHECK(dsi.has_speaker(kA));
  CHECK_FALSE(dsi.has_speaker(kB));
  CHECK(dsi.has_speaker(kC));
  CHECK(dsi.counters().expired_speakers == 1);
}

TEST_CASE("removing the dominant speaker lets the next decision elect another") {
  Run run;
  Rng rng(10);
  for (int i = 0; i < kFramesPerSecond; ++i) {
    run.frame({{kA, noise_level(rng)}, {kB, noise_level(rng)}, {kC, noise_level(rng)}});
  }
  REQUIRE(run.dsi.dominant() == kA);
  run.dsi.remove_speaker(kA);
  CHECK_FALSE(run.dsi.dominant());
  CHECK(run.dsi.speaker_count() == 2);
  CHECK_FALSE(run.dsi.poll_event());  // no event for the removal itself
  for (int i = 0; i < 20; ++i) run.frame({{kB, noise_level(rng)}, {kC, noise_level(rng)}});
  CHECK(run.sequence() == std::vector<std::optional<SpeakerId>>{kA, kB});
  run.dsi.remove_speaker(999);  // unknown: nothing happens
  CHECK(run.dsi.speaker_count() == 2);
}

TEST_CASE("with silence detection, the conference goes silent and the next talker ends it") {
  Run run(DominantSpeakerConfig{.enable_silence_detection = true, .silence_timeout = 3s});
  Rng rng(11);
  for (int i = 0; i < kFramesPerSecond; ++i) run.frame({{kA, noise_level(rng)}, {kB, noise_level(rng)}});
  for (int i = 0; i < 2 * kFramesPerSecond; ++i) run.frame({{kA, speech_level(rng)}, {kB, noise_level(rng)}});
  const Timestamp quiet = run.now();
  for (int i = 0; i < 6 * kFramesPerSecond; ++i) run.frame({{kA, noise_level(rng)}, {kB, noise_level(rng)}});
  REQUIRE(run.sequence() == std::vector<std::optional<SpeakerId>>{kA, std::nullopt});
  CHECK(ms_since(quiet, run.changes[1].at) > 3000);
  CHECK(run.dsi.in_silence());
  // Nobody is nominated during silence; B has to speak to end it.
  const Timestamp talk = run.now();
  for (int i = 0; i < 2 * kFramesPerSecond; ++i) run.frame({{kA, noise_level(rng)}, {kB, speech_level(rng)}});
  REQUIRE(run.sequence() == std::vector<std::optional<SpeakerId>>{kA, std::nullopt, kB});
  CHECK(ms_since(talk, run.changes[2].at) <= 700);
  CHECK_FALSE(run.dsi.in_silence());
}
