// Router simulation tests of media forwarding: audio fan-out, simulcast projection and
// switching, force-mute, RTX from senders (JVB's receive pipeline and fan-out).
#include "tests/sim/router_sim.hpp"

namespace jvb::conference {
namespace {

using namespace router_sim;
using namespace std::chrono_literals;

TEST_CASE("audio reaches the other endpoints of the conference only, with only audio-level kept") {
  Sim s;
  Timestamp start = s.now;
  s.start_media();
  s.run(1s);
  auto& a = s.a();

  std::set<std::uint16_t> sent_seqs;
  for (const auto& [key, sent] : a.history)
    if (key.first == a.audio_ssrc) sent_seqs.insert(key.second);
  REQUIRE(sent_seqs.size() >= 49);

  for (Browser* r : {&s.b(), &s.c()}) {
    CAPTURE(r->name);
    std::set<std::uint16_t> got_seqs;
    for (const auto& g : r->got_rtp) {
      auto p = rtp::RtpPacket::parse(g.bytes);
      REQUIRE(p);
      if (p->ssrc() != a.audio_ssrc) continue;
      got_seqs.insert(p->sequence_number());
      auto original = rtp::RtpPacket::parse(a.sent(a.audio_ssrc, p->sequence_number()).bytes);
      REQUIRE(original);
      CHECK(p->payload_type() == kOpusPt);
      CHECK(p->timestamp() == original->timestamp());
      CHECK(p->marker() == original->marker());
      CHECK(std::ranges::equal(p->payload(), original->payload()));
      // Exactly one extension element: the audio level, value untouched.
      std::vector<rtp::HeaderExtension> elements;
      auto it = p->extensions();
      while (auto e = it.next()) elements.push_back(*e);
      REQUIRE(elements.size() == 1);
      CHECK(elements[0].id == kAudioLevelId);
      auto level = rtp::parse_audio_level(elements[0].data);
      REQUIRE(level);
      CHECK(level->level == p->sequence_number() % 128);
      CHECK(level->voice_activity == ((p->sequence_number() & 1) != 0));
      CHECK(g.at >= start);
    }
    CHECK(got_seqs == sent_seqs);
  }
  CHECK(count_rtp_from(a, a.audio_ssrc) == 0);  // no echo
  // The other conference hears nothing of this one, and D's own media goes nowhere.
  for (Browser* r : {&s.a(), &s.b(), &s.c()}) {
    CHECK(count_rtp_from(s.d(), r->audio_ssrc) == 0);
    CHECK(count_rtp_from(*r, s.d().audio_ssrc) == 0);
    for (auto ssrc : r->video) CHECK(count_rtp_from(s.d(), ssrc) == 0);
  }
  CHECK(s.d().got_rtp.empty());
}

TEST_CASE("force-mute stops an endpoint's audio (or video) for everyone, and un-muting resumes it") {
  Sim s;
  s.start_media();
  s.run(500ms);
  auto& a = s.a();
  REQUIRE(count_rtp_from(s.b(), a.audio_ssrc) >= 20);

  SUBCASE("audio") {
    auto muted_before = s.router.counters().dropped_muted;
    s.signal(a, {true, false});
    Timestamp muted_at = s.now + 1ms;  // (what went out at s.now was delivered before the change)
    s.run(500ms);
    CHECK(count_rtp_from(s.b(), a.audio_ssrc, muted_at) == 0);
    CHECK(count_rtp_from(s.c(), a.audio_ssrc, muted_at) == 0);
    CHECK(s.router.counters().dropped_muted - muted_before >= 24);
    CHECK(count_rtp_from(s.b(), a.video[0], muted_at) > 20);         // video still flows
    CHECK(count_rtp_from(s.b(), s.c().audio_ssrc, muted_at) >= 24);  // others unaffected

    s.signal(a, {});
    Timestamp unmuted_at = s.now;
    s.run(200ms);
    CHECK(count_rtp_from(s.b(), a.audio_ssrc, unmuted_at) >= 9);
  }
  SUBCASE("video") {
    s.signal(a, {false, true});
    Timestamp muted_at = s.now + 1ms;
    s.run(500ms);
    CHECK(count_rtp_from(s.b(), a.video[0], muted_at) == 0);
    CHECK(count_rtp_from(s.b(), a.audio_ssrc, muted_at) >= 24);
    s.signal(a, {});
    Timestamp unmuted_at = s.now;
    s.run(1500ms);
    CHECK(count_rtp_from(s.b(), a.video[0], unmuted_at) > 0);
  }
}

// ================================================================================================
// 2. VP8 simulcast
// ================================================================================================

TEST_CASE("simulcast: each receiver gets one continuous stream on s1 from the best encoding sent") {
  Sim s;
  s.start_media();
  s.run(2s);
  auto& a = s.a();
  for (Browser* r : {&s.b(), &s.c()}) {
    CAPTURE(r->name);
    // Nothing on the other encodings' SSRCs or RTX SSRCs.
    for (std::size_t i = 1; i < 3; ++i) CHECK(count_rtp_from(*r, a.video[i]) == 0);
    for (auto ssrc : a.rtx) CHECK(count_rtp_from(*r, ssrc) == 0);
    auto v = video_received(*r, a.video[0]);
    REQUIRE(v.size() > 100);
    check_continuous(v);
    // The first packet starts a keyframe; after the start-up switches only the top encoding.
    CHECK(v.front().keyframe);
    for (const auto& p : v) {
      CHECK(p.pt == kVp8Pt);
      CHECK(same_vp8_payload(p.payload, original_payload(a, p.tag)));
      if (p.at > v.front().at) CHECK(p.tag.ssrc == a.video[2]);
    }
    // Every packet of the top encoding after the first one forwarded reached the receiver.
    std::size_t top = static_cast<std::size_t>(
        std::count_if(v.begin(), v.end(), [&](const VideoOut& p) { return p.tag.ssrc == a.video[2]; }));
    std::size_t sent_top = 0;
    for (const auto& [key, sent] : a.history) sent_top += key.first == a.video[2];
    CHECK(top == sent_top);
    auto info = projection_of(s.router.projections(r->id), a.id);
    REQUIRE(info);
    CHECK(info->current == 2);
    CHECK(info->target == 2);
  }
  // No keyframe requests were needed: every encoding started with a keyframe.
  CHECK(a.plis.empty());
}

TEST_CASE(
    "simulcast: an encoding that is not sent is not waited for; a new top encoding is taken at its "
    "keyframe") {
  Sim s;
  s.a().set_encoding(2, false);
  s.start_media();
  s.run(1500ms);
  auto& a = s.a();
  auto& b = s.b();
  auto v = video_received(b, a.video[0]);
  REQUIRE(v.size() > 50);
  CHECK(v.back().tag.ssrc == a.video[1]);
  auto info = projection_of(s.router.projections(b.id), a.id);
  REQUIRE(info);
  CHECK(info->current == 1);

  Timestamp on_at = s.now;
  a.set_encoding(2, true);  // starts with a keyframe, as a browser does
  s.run(500ms);
  v = video_received(b, a.video[0]);
  check_continuous(v);
  auto first_top =
      std::find_if(v.begin(), v.end(), [&](const VideoOut& p) { return p.tag.ssrc == a.video[2]; });
  REQUIRE(first_top != v.end());
  CHECK(first_top->keyframe);
  CHECK(first_top->start);
  CHECK(first_top->at - on_at < 50ms);
  CHECK(std::all_of(first_top, v.end(), [&](const VideoOut& p) { return p.tag.ssrc == a.video[2]; }));
}

TEST_CASE("simulcast: when the top encoding stops, receivers switch down at a keyframe the bridge asks for") {
  Sim s;
  s.start_media();
  s.run(2s);
  auto& a = s.a();
  auto& b = s.b();
  REQUIRE(video_received(b, a.video[0]).back().tag.ssrc == a.video[2]);

  bool pad = false;
  SUBCASE("the sender stops sending it") {}
  SUBCASE("the sender only pads it: padding does not keep an encoding active") { pad = true; }
  Timestamp stopped_at = s.now;
  a.set_encoding(2, false);
  Timestamp last_top = a.sent(a.video[2], a.highest_sent(a.video[2])).at;
  Timestamp end = s.now + 2500ms;
  while (s.now < end) {
    if (pad && (s.now - stopped_at) % 10ms == 0ms) s.send_padding(a, 2);
    s.step();
  }
  CAPTURE(pad);

  // The bridge asked A for a keyframe of the second encoding, about a second after the last
  // media packet of the top one (the "active in the last second" rule) and not before.
  std::vector<Browser::Request> for_s2;
  for (const auto& p : a.plis)
    if (p.media_ssrc == a.video[1]) for_s2.push_back(p);
  REQUIRE_FALSE(for_s2.empty());
  CHECK(for_s2.front().at >= last_top + 1s);
  CHECK(for_s2.front().at <= last_top + 1s + 50ms);
  CHECK(for_s2.front().sender_ssrc == Sim::kFeedbackVideo1);
  // B and C both needed it: one request served both (A answered it at once).
  CHECK(for_s2.size() == 1);
  for (const auto& p : a.plis) CHECK(p.media_ssrc != a.video[2]);

  for (Browser* r : {&s.b(), &s.c()}) {
    CAPTURE(r->name);
    auto v = video_received(*r, a.video[0]);
    check_continuous(v);
    auto first_low = std::find_if(
        v.begin(), v.end(), [&](const VideoOut& p) { return p.at > stopped_at && p.tag.ssrc == a.video[1]; });
    REQUIRE(first_low != v.end());
    REQUIRE(first_low != v.begin());
    CHECK(std::prev(first_low)->tag.ssrc == a.video[2]);
    CHECK(first_low->keyframe);
    CHECK(first_low->start);
    CHECK(first_low->at >= for_s2.front().at);
    CHECK(first_low->at - for_s2.front().at <= 40ms);
    CHECK(std::all_of(first_low, v.end(), [&](const VideoOut& p) { return p.tag.ssrc == a.video[1]; }));
    for (auto it = first_low; it != v.end(); ++it)
      CHECK(same_vp8_payload(it->payload, original_payload(a, it->tag)));
    auto info = projection_of(s.router.projections(r->id), a.id);
    REQUIRE(info);
    CHECK(info->current == 1);
    CHECK(info->target == 1);
  }
}

TEST_CASE("simulcast: keyframe requests for a switch repeat while none comes, within the throttle") {
  Sim s;
  s.start_media();
  s.run(2s);
  auto& a = s.a();
  a.answer_pli = false;
  a.set_encoding(2, false);
  Timestamp stopped_at = s.now;
  s.run(4s);
  std::vector<Timestamp> times;
  for (const auto& p : a.plis) {
    if (p.at < stopped_at) continue;
    CHECK(p.media_ssrc == a.video[1]);
    times.push_back(p.at);
  }
  // A lost (here: ignored) request is repeated, but never more than once per 200 ms
  // (JVB's KeyframeRequester, source-wide limit).
  CHECK(times.size() >= 3);
  CHECK(times.size() <= 16);
  for (std::size_t i = 1; i < times.size(); ++i) CHECK(times[i] - times[i - 1] >= 200ms);
  // B still waits on the second encoding: nothing new reached it.
  CHECK(count_rtp_from(s.b(), a.video[0], stopped_at + 100ms) == 0);

  a.answer_pli = true;
  Timestamp answering = s.now;
  s.run(1500ms);
  auto v = video_received(s.b(), a.video[0], answering);
  REQUIRE_FALSE(v.empty());
  CHECK(v.front().keyframe);
  CHECK(v.front().tag.ssrc == a.video[1]);
  check_continuous(video_received(s.b(), a.video[0]));
}

TEST_CASE("simulcast: a receiver that joins mid-stream starts at a keyframe the bridge asks for") {
  Sim s;
  auto& a = s.a();
  auto& c = s.c();
  c.conference = "lobby";  // C is somewhere else at first
  s.signal(c);
  s.start_media();
  s.run(2s);
  REQUIRE(count_rtp_from(c, a.video[0]) == 0);
  REQUIRE(a.plis.empty());

  c.conference = "conf1";
  s.signal(c);
  Timestamp joined = s.now;
  s.run(1s);
  // A is asked for a keyframe of its top encoding with its next frame.
  REQUIRE_FALSE(a.plis.empty());
  CHECK(a.plis[0].media_ssrc == a.video[2]);
  CHECK(a.plis[0].at - joined <= 40ms);
  auto v = video_received(c, a.video[0]);
  REQUIRE_FALSE(v.empty());
  CHECK(v.front().keyframe);
  CHECK(v.front().tag.ssrc == a.video[2]);
  CHECK(v.front().at - a.plis[0].at <= 40ms);
  check_continuous(v);
  // B, which had it all along, sees one continuous stream with the extra keyframe in it.
  check_continuous(video_received(s.b(), a.video[0]));
  CHECK(count_rtp_from(c, a.audio_ssrc, joined) >= 49);
}

// As JVB's PaddingTermination and DiscardableDiscarder: padding-only packets are dropped and the
// sequence numbers after them are closed up, so receivers see no loss.
TEST_CASE("simulcast: padding-only packets on a forwarded SSRC leave no hole in the receiver's stream") {
  Sim s;
  s.start_media();
  s.run(1500ms);
  auto& a = s.a();
  Timestamp from = s.now;
  for (int i = 0; i < 100; ++i) {
    if (i % 5 == 2) s.send_padding(a, 2);
    s.run(10ms);
  }
  auto v = video_received(s.b(), a.video[0], from);
  REQUIRE(v.size() > 80);
  CHECK(std::all_of(v.begin(), v.end(), [&](const VideoOut& p) { return p.tag.ssrc == a.video[2]; }));
  check_continuous(v);
}

// As in JVB's receive pipeline (VideoMuteNode, RetransmissionRequester, DiscardableDiscarder):
// force-muted video is marked "discard" but still seen by the retransmission requester, then
// dropped with its sequence numbers closed up. So the bridge never asks for it again, nothing sent
// while muted ever reaches a receiver, and the receiver's sequence numbers have no hole.
TEST_CASE("video force-mute: nothing sent while muted reaches receivers, later or by RTX" *
          doctest::should_fail()) {
  Sim s;
  s.start_media();
  s.run(1500ms);
  auto& a = s.a();
  auto& b = s.b();
  s.signal(a, {false, true});
  Timestamp muted = s.now + 1ms;
  s.run(300ms);
  s.signal(a, {});
  Timestamp unmuted = s.now + 1ms;
  s.run(500ms);
  for (const auto& n : a.nacks) {
    for (auto seq : n.lost) {
      auto it = a.history.find({n.media_ssrc, seq});
      REQUIRE(it != a.history.end());
      CHECK_FALSE((it->second.at >= muted && it->second.at < unmuted));
    }
  }
  auto v = video_received(b, a.video[0]);
  REQUIRE(v.size() > 100);
  for (const auto& p : v) {
    Timestamp sent = a.sent(p.tag.ssrc, p.tag.seq).at;
    CHECK_FALSE((sent >= muted && sent < unmuted));
  }
  for (std::size_t i = 1; i < v.size(); ++i) CHECK(static_cast<std::uint16_t>(v[i].seq - v[i - 1].seq) == 1);
}

// As in JVB's receive pipeline: audio marked "discard" still goes through the incoming statistics
// before it is dropped, so the RRs to the sender do not report it as lost (which would make the
// sender's loss-based rate control back off).
TEST_CASE("audio force-mute is not reported as loss in the receiver reports to the sender") {
  Sim s;
  s.start_media();
  s.run(1s);
  auto& a = s.a();
  s.signal(a, {true, false});
  s.run(1s);
  s.signal(a, {});
  Timestamp unmuted = s.now;
  s.run(1s);
  auto rrs = rtcp_received(a, rtcp::kPtReceiverReport, unmuted + 10ms);
  REQUIRE_FALSE(rrs.empty());
  auto rr = rtcp::ReceiverReport::parse(rrs.back().view());
  REQUIRE(rr);
  bool found = false;
  for (std::size_t i = 0; i < rr->report_blocks().size(); ++i) {
    if (rr->report_blocks()[i].ssrc != a.audio_ssrc) continue;
    found = true;
    CHECK(rr->report_blocks()[i].cumulative_lost == 0);
  }
  CHECK(found);
}

// ================================================================================================
// 3. RTX from a sender
// ================================================================================================

TEST_CASE(
    "RTX from the sender restores a lost packet in the receiver's stream; padding-only RTX is dropped") {
  Sim s;
  s.start_media();
  s.run(1500ms);
  auto& a = s.a();
  auto& b = s.b();
  a.answer_nack = false;
  std::optional<std::uint16_t> lost;
  a.lose = [&](const rtp::RtpPacket& p) {
    // The second packet of the next top-encoding frame that has more than one.
    if (lost || p.ssrc() != a.video[2] || p.marker()) return false;
    auto d = codecs::parse_vp8_descriptor(p.payload());
    if (!d || d->is_start_of_frame()) return false;
    lost = p.sequence_number();
    return true;
  };
  s.run(100ms);
  REQUIRE(lost);
  a.lose = nullptr;
  // The bridge asked for it.
  bool nacked = false;
  for (const auto& n : a.nacks) {
    nacked |= n.media_ssrc == a.video[2] && std::find(n.lost.begin(), n.lost.end(), *lost) != n.lost.end();
  }
  CHECK(nacked);

  auto before = s.router.counters();
  Timestamp rtx_at = s.now;
  s.transmit(a, s.make_rtx(a, 2, *lost));
  s.flush();
  auto v = video_received(b, a.video[0]);
  auto prev = std::find_if(v.begin(), v.end(), [&](const VideoOut& p) {
    return p.tag == Tag{a.video[2], static_cast<std::uint16_t>(*lost - 1)};
  });
  auto next = std::find_if(v.begin(), v.end(), [&](const VideoOut& p) {
    return p.tag == Tag{a.video[2], static_cast<std::uint16_t>(*lost + 1)};
  });
  auto restored = std::find_if(v.begin(), v.end(), [&](const VideoOut& p) {
    return p.tag == Tag{a.video[2], *lost};
  });
  REQUIRE(prev != v.end());
  REQUIRE(next != v.end());
  REQUIRE(restored != v.end());
  CHECK(restored->at == rtx_at);
  CHECK(restored->ssrc == a.video[0]);
  CHECK(restored->pt == kVp8Pt);
  CHECK_FALSE(restored->osn);
  CHECK(static_cast<std::uint16_t>(restored->seq - prev->seq) == 1);
  CHECK(static_cast<std::uint16_t>(next->seq - restored->seq) == 1);
  CHECK(restored->ts == prev->ts);
  CHECK(restored->picture_id == prev->picture_id);
  CHECK(same_vp8_payload(restored->payload, original_payload(a, restored->tag)));
  CHECK(std::count_if(v.begin(), v.end(), [&](const VideoOut& p) { return p.tag == restored->tag; }) == 1);
  CHECK(s.router.counters().dropped_rtx_padding == before.dropped_rtx_padding);
  CHECK(s.router.counters().dropped_duplicate == before.dropped_duplicate);

  // With A's video stopped: a padding-only RTX probe and a repeat of the same RTX both end at
  // the bridge.
  a.send_video = false;
  s.run(50ms);
  std::size_t got = video_received(b, a.video[0]).size();
  before = s.router.counters();
  {
    auto tcc = s.next_transport_seq(a);
    const rtp::ExtensionElement ext[] = {{kTccId, tcc}};
    s.transmit(a, build_rtp({false, kRtxPt, a.rtx_seq[2]++, 12345, a.rtx[2], {}}, ext, {}, 224));
  }
  s.transmit(a, s.make_rtx(a, 2, *lost));
  s.run(50ms);
  CHECK(s.router.counters().dropped_rtx_padding == before.dropped_rtx_padding + 1);
  CHECK(s.router.counters().dropped_duplicate == before.dropped_duplicate + 1);
  CHECK(video_received(b, a.video[0]).size() == got);
  CHECK(count_rtp_from(b, a.rtx[2]) == 0);
}

// ================================================================================================
// 4. NACKs from a receiver
// ================================================================================================

}  // namespace
}  // namespace jvb::conference
