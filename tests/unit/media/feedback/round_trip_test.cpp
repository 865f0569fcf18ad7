// Tests of bridge/media/feedback/round_trip.hpp: the round trip from a relayed SR's send time and
// the receiver's LSR/DLSR (RFC 3550 §6.4.1), the SR before the one in flight still matched, and
// the samples refused as JVB's EndpointConnectionStats refuses them.
#include <doctest/doctest.h>

#include <chrono>

#include "bridge/media/feedback/round_trip.hpp"

using namespace jvb;
using namespace jvb::media;
using namespace std::chrono_literals;

namespace {

const Timestamp kT0 = Timestamp{} + 100s;

// A report block echoing `lsr`, held `delay` by the receiver.
rtcp::ReportBlock block(std::uint32_t ssrc, std::uint32_t lsr, std::chrono::microseconds delay) {
  rtcp::ReportBlock b;
  b.ssrc = ssrc;
  b.last_sr = lsr;
  b.delay_since_last_sr = static_cast<std::uint32_t>((delay.count() << 16) / 1'000'000);
  return b;
}

}  // namespace

TEST_CASE("the round trip is arrival minus the SR's send time minus the receiver's delay") {
  RoundTrip rt;
  rt.on_sender_report_sent(0x1111, 0xABCD0000, kT0);
  // The receiver held the SR 250 ms; its report arrives 290 ms after the SR left: 40 ms.
  auto sample = rt.on_report_block(block(0x1111, 0xABCD0000, 250ms), kT0 + 290ms);
  REQUIRE(sample);
  CHECK(std::chrono::duration_cast<std::chrono::microseconds>(*sample).count() ==
        doctest::Approx(40'000).epsilon(0.001));
  CHECK(rt.latest() == sample);
}

TEST_CASE("a report may answer the SR before the one still in flight") {
  RoundTrip rt;
  rt.on_sender_report_sent(0x1111, 0x1000, kT0);
  rt.on_sender_report_sent(0x1111, 0x2000, kT0 + 1s);
  auto sample = rt.on_report_block(block(0x1111, 0x1000, 980ms), kT0 + 1s + 30ms);
  REQUIRE(sample);
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(*sample).count() ==
        doctest::Approx(50).epsilon(0.02));
  // Two SRs later the first is forgotten.
  rt.on_sender_report_sent(0x1111, 0x3000, kT0 + 2s);
  CHECK_FALSE(rt.on_report_block(block(0x1111, 0x1000, 1980ms), kT0 + 2s + 30ms));
  CHECK(rt.unmatched() == 1);
}

TEST_CASE("the latest sample stands, per receiver across its SSRCs") {
  RoundTrip rt;
  rt.on_sender_report_sent(0x1111, 0x1000, kT0);
  rt.on_sender_report_sent(0x2222, 0x1000, kT0 + 10ms);  // another sender's SR, same NTP middle
  REQUIRE(rt.on_report_block(block(0x1111, 0x1000, 0ms), kT0 + 60ms));
  auto second = rt.on_report_block(block(0x2222, 0x1000, 0ms), kT0 + 30ms);
  REQUIRE(second);
  CHECK(*second == 20ms);
  CHECK(rt.latest() == 20ms);
}

TEST_CASE("a repeated SR counts from its later send") {
  RoundTrip rt;
  rt.on_sender_report_sent(0x1111, 0x1000, kT0);
  rt.on_sender_report_sent(0x1111, 0x1000, kT0 + 100ms);
  auto sample = rt.on_report_block(block(0x1111, 0x1000, 0ms), kT0 + 130ms);
  REQUIRE(sample);
  CHECK(*sample == 30ms);
}

TEST_CASE("samples that cannot be right are refused") {
  RoundTrip rt;
  rt.on_sender_report_sent(0x1111, 0x1000, kT0);
  // No SR received yet (LSR and DLSR zero), or an SSRC nobody sent SRs on.
  CHECK_FALSE(rt.on_report_block(block(0x1111, 0, 0ms), kT0 + 10ms));
  CHECK_FALSE(rt.on_report_block(block(0x9999, 0x1000, 0ms), kT0 + 10ms));
  CHECK(rt.unmatched() == 1);
  // A delay longer than the time since the SR left: negative.
  CHECK_FALSE(rt.on_report_block(block(0x1111, 0x1000, 500ms), kT0 + 100ms));
  // Over 7 s.
  CHECK_FALSE(rt.on_report_block(block(0x1111, 0x1000, 0ms), kT0 + 8s));
  // DLSR over 5 minutes.
  CHECK_FALSE(rt.on_report_block(block(0x1111, 0x1000, std::chrono::microseconds(301s)), kT0 + 302s));
  CHECK(rt.implausible() == 3);
  CHECK_FALSE(rt.latest());
}
