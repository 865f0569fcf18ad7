// Tests of tools/loadgen/audio_source.hpp: Opus-shaped timing (RFC 7587), RFC 6464 levels, DTX.
#include <doctest/doctest.h>

#include <chrono>
#include <vector>

#include "tools/loadgen/audio_source.hpp"

using namespace jvb;
using namespace jvb::loadgen;
using namespace std::chrono_literals;

namespace {

const Timestamp kStart = Timestamp{} + 500s;

// Every frame from kStart to kStart + span, polling exactly when due.
std::vector<AudioFrame> run(AudioSource& source, Duration span) {
  std::vector<AudioFrame> out;
  while (auto due = source.next_due()) {
    if (*due >= kStart + span) break;
    auto frame = source.poll(*due);
    REQUIRE(frame);
    CHECK_FALSE(source.poll(*due));  // one frame per due time
    out.push_back(*frame);
  }
  return out;
}

}  // namespace

TEST_CASE("a speaker sends 50 frames a second, 960 timestamp units apart, with loud levels") {
  AudioSource source({.speaking = true}, 1);
  CHECK_FALSE(source.next_due());
  source.start(kStart, 0xFFFFF000u);
  auto frames = run(source, 1s);
  REQUIRE(frames.size() == 50);
  CHECK(frames.front().marker);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    CAPTURE(i);
    CHECK(frames[i].rtp_timestamp == static_cast<std::uint32_t>(0xFFFFF000u + 960 * i));  // wraps
    CHECK(frames[i].capture == kStart + 20ms * static_cast<int>(i));
    CHECK(frames[i].voice);
    CHECK(frames[i].level >= 20);
    CHECK(frames[i].level <= 40);
    CHECK(frames[i].payload_size >= 90);
    CHECK(frames[i].payload_size <= 120);
    if (i > 0) CHECK_FALSE(frames[i].marker);
  }
}

TEST_CASE("a silent participant sends silence (127) every 20 ms without DTX") {
  AudioSource source({}, 2);
  source.start(kStart, 0);
  auto frames = run(source, 1s);
  REQUIRE(frames.size() == 50);
  for (const auto& f : frames) {
    CHECK(f.level == 127);
    CHECK_FALSE(f.voice);
    CHECK(f.payload_size >= 60);
    CHECK(f.payload_size <= 70);
  }
}

TEST_CASE("with DTX a silent participant sends one frame every 400 ms, timestamps following the clock") {
  AudioSource source({.speaking = false, .dtx = true}, 3);
  source.start(kStart, 1000);
  CHECK(source.next_due() == kStart);
  auto frames = run(source, 2s);
  REQUIRE(frames.size() == 5);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    CHECK(frames[i].capture == kStart + 400ms * static_cast<int>(i));
    CHECK(frames[i].rtp_timestamp == 1000 + 19200 * i);  // 400 ms at 48 kHz
    CHECK(frames[i].level == 127);
  }
  // No wake-ups in between: the next due time is the next DTX frame.
  CHECK(source.next_due() == kStart + 2000ms);
  CHECK_FALSE(source.poll(kStart + 2000ms - 20ms));
}

TEST_CASE("DTX leaves speakers alone") {
  AudioSource source({.speaking = true, .dtx = true}, 4);
  source.start(kStart, 0);
  CHECK(run(source, 1s).size() == 50);
}

TEST_CASE("a late poll sends only the newest frame; the skipped ones are never numbered") {
  AudioSource source({.speaking = true}, 5);
  source.start(kStart, 0);
  REQUIRE(source.poll(kStart));
  auto late = source.poll(kStart + 105ms);  // ticks 1-5 due; 5 is the newest
  REQUIRE(late);
  CHECK(late->rtp_timestamp == 5 * 960);
  CHECK(source.frames_skipped() == 4);  // ticks 1-4
  CHECK(source.next_due() == kStart + 120ms);
  CHECK(source.frames_sent() == 2);
}

TEST_CASE("nothing before start or after stop") {
  AudioSource source({}, 6);
  CHECK_FALSE(source.poll(kStart));
  source.start(kStart, 0);
  CHECK_FALSE(source.poll(kStart - 1ms));
  source.stop();
  CHECK_FALSE(source.next_due());
  CHECK_FALSE(source.poll(kStart + 1s));
}
