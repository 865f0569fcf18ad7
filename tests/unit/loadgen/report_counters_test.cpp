// Tests of the helpers the two load generators share with the rest of tools/loadgen:
// add_sender_counters (report.hpp), which the Janus generator uses for its publishers and
// make_report for every endpoint, and parse_number (bridge/core/strings.hpp).
#include <doctest/doctest.h>

#include <cstdint>

#include "bridge/core/strings.hpp"
#include "tools/loadgen/report.hpp"

using namespace jvb::loadgen;
using jvb::parse_number;

namespace {

using Counter = std::uint64_t EndpointCounters::*;
using Total = std::uint64_t Report::*;
using E = EndpointCounters;
using R = Report;

struct Field {
  Counter counter;
  Total total;
  // A publisher-only PeerConnection adds its sending and the RTCP and feedback it got, but not
  // the media it received nor the feedback it sent about that.
  bool added;
};
const Field kFields[] = {
    {&E::rtp_sent, &R::rtp_sent, true},
    {&E::rtp_bytes_sent, &R::rtp_bytes_sent, true},
    {&E::audio_sent, &R::audio_sent, true},
    {&E::video_sent, &R::video_sent, true},
    {&E::rtx_sent, &R::rtx_sent, true},
    {&E::rtcp_sent, &R::rtcp_sent, true},
    {&E::rtcp_received, &R::rtcp_received, true},
    {&E::plis_received, &R::plis_received, true},
    {&E::firs_received, &R::firs_received, true},
    {&E::nacks_received, &R::nacks_received, true},
    {&E::rtx_unavailable, &R::rtx_unavailable, true},
    {&E::tcc_feedback_received, &R::tcc_feedback_received, true},
    {&E::audio_frames_late, &R::audio_frames_late, true},
    {&E::video_frames_late, &R::video_frames_late, true},
    {&E::unknown_ssrc, &R::unknown_ssrc, true},
    {&E::malformed, &R::malformed, true},
    {&E::rtp_received, &R::rtp_received, false},
    {&E::rtp_bytes_received, &R::rtp_bytes_received, false},
    {&E::decrypted, &R::decrypted, false},
    {&E::nacks_sent, &R::nacks_sent, false},
    {&E::keyframes_received, &R::keyframes_received, false},
    {&E::tcc_feedback_sent, &R::tcc_feedback_sent, false},
};

}  // namespace

TEST_CASE("add_sender_counters adds the sending side and received feedback, not received media") {
  EndpointCounters c;
  std::uint64_t value = 1;
  for (const Field& f : kFields) c.*f.counter = value++;
  Report r;
  r.rtp_sent = 100;  // adds to what is there
  add_sender_counters(r, c);
  add_sender_counters(r, c);
  for (const Field& f : kFields) {
    std::uint64_t before = f.total == &R::rtp_sent ? 100 : 0;
    CHECK(r.*f.total == (f.added ? before + 2 * (c.*f.counter) : before));
  }
}

TEST_CASE("parse_number takes the whole text as one number that fits") {
  CHECK(parse_number<int>("42") == 42);
  CHECK(parse_number<int>("-3") == -3);
  CHECK(parse_number<double>("2.5") == 2.5);
  CHECK(parse_number<std::uint16_t>("65535") == 65535);
  CHECK_FALSE(parse_number<std::uint16_t>("65536"));  // does not fit
  CHECK_FALSE(parse_number<std::uint8_t>("-1"));
  CHECK_FALSE(parse_number<int>("12x"));  // trailing text
  CHECK_FALSE(parse_number<int>(" 12"));  // leading space
  CHECK_FALSE(parse_number<int>("+12"));
  CHECK_FALSE(parse_number<int>(""));
}
