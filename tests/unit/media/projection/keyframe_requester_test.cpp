// Tests of bridge/media/projection/keyframe_requester.hpp on a fake clock: the per-receiver and
// source-wide limits of JVB's KeyframeRequester (and its KeyframeRequesterTest), in-flight
// suppression, FIR sequence numbers; and a projection whose keyframe requests go through it.
#include <doctest/doctest.h>

#include "bridge/media/projection/keyframe_requester.hpp"
#include "tests/unit/media/projection/vp8_simulcast_stream.hpp"

using namespace jvb;
using namespace jvb::media;
using namespace std::chrono_literals;

namespace {

const Timestamp kT0{std::chrono::seconds(5000)};

}  // namespace

TEST_CASE("min interval per receiver and source-wide") {
  KeyframeRequester kr(true);
  KeyframeRequestWindow b, c;
  CHECK(kr.kind() == KeyframeRequestKind::kPli);
  CHECK(kr.should_request(kT0, b));
  kr.on_keyframe_received(kT0 + 20ms);  // nothing in flight: only the intervals apply
  CHECK_FALSE(kr.should_request(kT0 + 50ms, b));
  CHECK_FALSE(kr.should_request(kT0 + 50ms, c));  // source-wide
  CHECK_FALSE(kr.should_request(kT0 + 199ms));
  CHECK(kr.counters().suppressed_min_interval == 3);
  CHECK(kr.should_request(kT0 + 1s, c));
  kr.on_keyframe_received(kT0 + 1s);
  CHECK(kr.should_request(kT0 + 1200ms, b));
  CHECK(kr.counters().sent == 3);
  CHECK(kr.counters().requests == 6);
}

TEST_CASE("at most 3 requests per receiver within 10 s") {
  KeyframeRequester kr(true);
  KeyframeRequestWindow b, c;
  int sent = 0;
  for (int i = 0; i < 4; ++i) {
    if (kr.should_request(kT0 + std::chrono::seconds(i), b)) ++sent;
    kr.on_keyframe_received(kT0 + std::chrono::seconds(i) + 100ms);
  }
  CHECK(sent == 3);
  CHECK(kr.counters().suppressed_rate == 1);
  // Another receiver is not limited by b's window.
  CHECK(kr.should_request(kT0 + 4s, c));
  kr.on_keyframe_received(kT0 + 4s + 100ms);
  CHECK_FALSE(kr.should_request(kT0 + 9999ms, b));
  kr.on_keyframe_received(kT0 + 9999ms);
  CHECK(kr.should_request(kT0 + 10s, b));
}

TEST_CASE("requests are dropped while a keyframe is in flight") {
  KeyframeRequester kr(true);
  CHECK_FALSE(kr.keyframe_in_flight(kT0));
  CHECK(kr.should_request(kT0));
  CHECK(kr.keyframe_in_flight(kT0 + 250ms));
  CHECK_FALSE(kr.should_request(kT0 + 250ms));
  CHECK(kr.counters().suppressed_in_flight == 1);
  SUBCASE("until the keyframe arrives") {
    kr.on_keyframe_received(kT0 + 260ms);
    CHECK_FALSE(kr.keyframe_in_flight(kT0 + 260ms));
    CHECK(kr.should_request(kT0 + 270ms));
    CHECK(kr.counters().keyframes_received == 1);
  }
  SUBCASE("or until the wait ran out (500 ms without an RTT), so a lost request is repeated") {
    CHECK_FALSE(kr.should_request(kT0 + 499ms));
    CHECK(kr.should_request(kT0 + 500ms));
  }
  SUBCASE("with an RTT: RTT + 100 ms") {
    kr.set_rtt(300ms);
    CHECK_FALSE(kr.should_request(kT0 + 399ms));
    CHECK(kr.should_request(kT0 + 400ms));
  }
}

TEST_CASE("a short RTT shortens the minimum interval W = min(200 ms, RTT + 10 ms)") {
  KeyframeRequestConfig config;
  config.source_wide_min_interval = 10ms;
  config.source_wide_max_request_interval = 10ms;
  KeyframeRequester kr(true, true, config);
  KeyframeRequestWindow b;
  CHECK(kr.should_request(kT0, b));
  kr.on_keyframe_received(kT0);
  CHECK_FALSE(kr.should_request(kT0 + 35ms, b));  // W = 200 ms without an RTT
  kr.set_rtt(20ms);
  CHECK_FALSE(kr.should_request(kT0 + 25ms, b));
  CHECK(kr.should_request(kT0 + 35ms, b));
}

TEST_CASE("request kind from the sender's capabilities; FIR sequence numbers") {
  KeyframeRequester fir_only(false, true);
  CHECK(fir_only.kind() == KeyframeRequestKind::kFir);
  CHECK(fir_only.should_request(kT0));
  for (int i = 0; i < 256; ++i) CHECK(fir_only.next_fir_sequence() == static_cast<std::uint8_t>(i));
  CHECK(fir_only.next_fir_sequence() == 0);  // mod 256
  CHECK(fir_only.counters().fir_sequence_numbers == 257);

  KeyframeRequester neither(false, false);
  CHECK(neither.kind() == KeyframeRequestKind::kNone);
  CHECK_FALSE(neither.should_request(kT0));
  CHECK_FALSE(neither.should_request(kT0 + 10s));
  CHECK(neither.counters().suppressed_unsupported == 2);
  CHECK(neither.counters().sent == 0);
}

TEST_CASE("a suppressed request consumes no budget") {
  KeyframeRequester kr(true);
  KeyframeRequestWindow b, c;
  CHECK(kr.should_request(kT0, c));
  // b is refused source-wide; its own window stays empty, so it may ask right after.
  CHECK_FALSE(kr.should_request(kT0 + 100ms, b));
  kr.on_keyframe_received(kT0 + 150ms);
  CHECK(kr.should_request(kT0 + 200ms, b));
}

TEST_CASE("a projection waiting for a keyframe asks on every packet; the requester throttles") {
  test::ProjectionHarness h;
  auto src = test::Vp8SimulcastSource::standard();
  KeyframeRequester kr(true);
  h.projection.set_target(0);
  h.offer_all(src.instant(true));
  h.projection.set_target(2);
  int asked = 0, sent = 0;
  for (int i = 0; i < 30; ++i) {  // one second, only delta frames
    h.advance(33ms);
    for (const auto& p : src.instant(false)) {
      const auto d = h.offer(p);
      if (!d.request_keyframe) continue;
      CHECK(d.keyframe_encoding == 2);
      ++asked;
      if (kr.should_request(h.now)) ++sent;
    }
  }
  CHECK(asked == 30 * 6);
  CHECK(sent == 2);  // at 33 ms and 33 + 500 ms: the first keyframe never came
  h.advance(33ms);
  for (const auto& p : src.instant(true)) {
    if (p.encoding == 2 && p.start) kr.on_keyframe_received(h.now);
    CHECK(h.offer(p).request_keyframe == (p.encoding < 2));  // until the target's keyframe
  }
  CHECK(h.projection.current_encoding() == 2);
}
