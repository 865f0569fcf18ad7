// Router simulation tests of RTCP: receivers' NACKs and PLIs, sender reports, the bridge's own
// receiver reports, NACKs and transport-cc feedback, and bad input (JVB's RTCP handling:
// RtcpTermination, NackHandler, KeyframeRequester, RtcpRrGenerator, TccGeneratorNode).
#include "tests/sim/router_sim.hpp"

namespace jvb::conference {
namespace {

using namespace router_sim;
using namespace std::chrono_literals;

TEST_CASE("a receiver's NACK is answered with RTX on s1's FID partner; unknown and old packets are misses") {
  Sim s;
  s.start_media();
  s.run(2s);
  auto& a = s.a();
  auto& b = s.b();
  auto v = video_received(b, a.video[0]);
  REQUIRE(v.size() > 10);
  const VideoOut& missed = v[v.size() - 6];
  auto before = s.router.counters();

  SUBCASE("one packet") {
    s.transmit_rtcp(b, nack_packet(b.video[0], a.video[0], {missed.seq}));
    s.flush();
    auto rtx = video_received(b, a.rtx[0], s.now);
    REQUIRE(rtx.size() == 1);
    CHECK(rtx[0].pt == kRtxPt);
    CHECK(rtx[0].osn == missed.seq);
    CHECK(rtx[0].payload == missed.payload);
    CHECK(rtx[0].ts == missed.ts);
    CHECK(rtx[0].marker == missed.marker);
    CHECK(s.router.counters().nacks_received == before.nacks_received + 1);
    CHECK(s.router.counters().retransmissions == before.retransmissions + 1);
    CHECK(s.router.counters().retransmission_misses == before.retransmission_misses);
    // Only B gets it.
    CHECK(count_rtp_from(s.c(), a.rtx[0]) == 0);

    // A second NACK later: the RTX stream's own sequence numbers continue.
    s.run(100ms);
    s.transmit_rtcp(b, nack_packet(b.video[0], a.video[0],
                                   {static_cast<std::uint16_t>(missed.seq + 1),
                                    static_cast<std::uint16_t>(missed.seq + 2)}));
    s.flush();
    auto all = video_received(b, a.rtx[0]);
    REQUIRE(all.size() == 3);
    CHECK(static_cast<std::uint16_t>(all[1].seq - all[0].seq) == 1);
    CHECK(static_cast<std::uint16_t>(all[2].seq - all[1].seq) == 1);
    CHECK(all[1].osn == static_cast<std::uint16_t>(missed.seq + 1));
    CHECK(all[2].osn == static_cast<std::uint16_t>(missed.seq + 2));
    CHECK(all[1].payload == v[v.size() - 5].payload);
  }
  SUBCASE("a packet never sent, a packet too old, audio and an unknown SSRC are misses") {
    const VideoOut& old = v[0];  // ~2 s ago
    s.transmit_rtcp(b,
                    nack_packet(b.video[0], a.video[0], {static_cast<std::uint16_t>(v.back().seq + 1000)}));
    s.transmit_rtcp(b, nack_packet(b.video[0], a.video[0], {old.seq}));
    s.transmit_rtcp(b, nack_packet(b.video[0], a.audio_ssrc, {a.audio_seq}));
    s.transmit_rtcp(b, nack_packet(b.video[0], 0x12345678, {1}));
    s.flush();
    CHECK(s.router.counters().nacks_received == before.nacks_received + 4);
    CHECK(s.router.counters().retransmission_misses == before.retransmission_misses + 4);
    CHECK(s.router.counters().retransmissions == before.retransmissions);
    CHECK(count_rtp_from(b, a.rtx[0]) == 0);
  }
}

// ================================================================================================
// 5. PLI/FIR from a receiver
// ================================================================================================

TEST_CASE("a receiver's PLI on s1 reaches the sender for the encoding it gets") {
  Sim s;
  s.start_media();
  s.run(2s);
  auto& a = s.a();
  auto& b = s.b();
  REQUIRE(a.plis.empty());

  SUBCASE("PLI, while the top encoding is forwarded") {
    s.transmit_rtcp(b, pli_packet(b.video[0], a.video[0]));
    s.flush();
    REQUIRE(a.plis.size() == 1);
    CHECK(a.plis[0].media_ssrc == a.video[2]);
    CHECK(a.plis[0].sender_ssrc == Sim::kFeedbackVideo1);
    CHECK(s.c().plis.empty());
    CHECK(s.d().plis.empty());
    // The keyframe it caused reaches B.
    Timestamp asked = s.now;
    s.run(100ms);
    auto v = video_received(b, a.video[0], asked);
    CHECK(std::any_of(v.begin(), v.end(), [](const VideoOut& p) { return p.keyframe; }));
  }
  SUBCASE("FIR becomes a PLI (the sender supports PLI)") {
    std::vector<std::uint8_t> fir(20);
    const rtcp::FirEntry entry[] = {{a.video[0], 7}};
    auto n = rtcp::write_fir(fir, b.video[0], entry);
    REQUIRE(n);
    fir.resize(*n);
    s.transmit_rtcp(b, fir);
    s.flush();
    REQUIRE(a.plis.size() == 1);
    CHECK(a.plis[0].media_ssrc == a.video[2]);
    CHECK(a.firs.empty());
  }
  SUBCASE("PLI while a lower encoding is forwarded") {
    a.set_encoding(2, false);
    s.run(1500ms);
    REQUIRE(video_received(b, a.video[0]).back().tag.ssrc == a.video[1]);
    auto n = a.plis.size();
    s.run(300ms);
    s.transmit_rtcp(b, pli_packet(b.video[0], a.video[0]));
    s.flush();
    REQUIRE(a.plis.size() == n + 1);
    CHECK(a.plis.back().media_ssrc == a.video[1]);
  }
  SUBCASE("PLI for an SSRC the receiver does not get goes nowhere") {
    s.transmit_rtcp(b, pli_packet(b.video[0], a.video[2]));
    s.transmit_rtcp(b, pli_packet(b.video[0], 0x0BADCAFE));
    s.transmit_rtcp(b, pli_packet(b.video[0], s.d().video[0]));
    s.flush();
    CHECK(a.plis.empty());
    CHECK(s.d().plis.empty());
  }
}

TEST_CASE("a receiver's PLIs are throttled: at least 200 ms apart at the sender") {
  Sim s;
  s.start_media();
  s.run(2s);
  auto& a = s.a();
  auto& b = s.b();
  Timestamp from = s.now;
  for (int i = 0; i < 50; ++i) {  // one every 20 ms for a second; A answers each with a keyframe
    s.transmit_rtcp(b, pli_packet(b.video[0], a.video[0]));
    s.run(20ms);
  }
  std::vector<Timestamp> times;
  for (const auto& p : a.plis)
    if (p.at >= from) times.push_back(p.at);
  REQUIRE_FALSE(times.empty());
  CHECK(times.size() <= 6);
  for (std::size_t i = 1; i < times.size(); ++i) CHECK(times[i] - times[i - 1] >= 200ms);
}

// JVB's KeyframeRequester: per (requesting receiver, media SSRC) at most 3 requests per 10 s.
TEST_CASE("a receiver's PLIs are limited to 3 per 10 s") {
  Sim s;
  s.start_media();
  s.run(2s);
  auto& a = s.a();
  auto& b = s.b();
  Timestamp from = s.now;
  for (int i = 0; i < 20; ++i) {  // one every 250 ms for 5 s; A answers each with a keyframe
    s.transmit_rtcp(b, pli_packet(b.video[0], a.video[0]));
    s.run(250ms);
  }
  std::size_t n = 0;
  for (const auto& p : a.plis) n += p.at >= from;
  CHECK(n <= 3);
}

// ================================================================================================
// 6. Sender reports
// ================================================================================================

TEST_CASE("sender reports reach the other endpoints without report blocks, video ones translated") {
  Sim s;
  s.start_media();
  s.run(2s);
  auto& a = s.a();
  auto& b = s.b();
  auto& c = s.c();

  const rtcp::ReportBlock block{b.audio_ssrc, 12, 3, 5000, 7, 0, 0};
  auto make_sr = [&](std::uint32_t ssrc, std::uint64_t ntp, std::uint32_t ts) {
    std::vector<std::uint8_t> out(200);
    auto n = rtcp::write_sender_report(out, ssrc, {ntp, ts, 1234, 567890}, std::span(&block, 1));
    REQUIRE(n);
    auto m = rtcp::write_sdes_cname(std::span(out).subspan(*n), ssrc, "a-cname");
    REQUIRE(m);
    out.resize(*n + *m);
    return out;
  };
  std::uint32_t top_ts =
      rtp::RtpPacket::parse(a.sent(a.video[2], a.highest_sent(a.video[2])).bytes)->timestamp();
  std::uint32_t low_ts =
      rtp::RtpPacket::parse(a.sent(a.video[0], a.highest_sent(a.video[0])).bytes)->timestamp();
  Timestamp from = s.now;
  s.transmit_rtcp(a, make_sr(a.audio_ssrc, 0xE1234567'89ABCDEFull, a.audio_ts - 480));
  s.transmit_rtcp(a, make_sr(a.video[2], 0xE1234567'89ABCDF0ull, top_ts + 90));
  s.transmit_rtcp(a, make_sr(a.video[0], 0xE1234567'89ABCDF1ull, low_ts + 90));  // not forwarded to anyone
  s.flush();

  // The translation B's RTP shows for the top encoding.
  auto v = video_received(b, a.video[0]);
  REQUIRE(v.back().tag.ssrc == a.video[2]);
  std::uint32_t offset =
      v.back().ts - rtp::RtpPacket::parse(a.sent(v.back().tag.ssrc, v.back().tag.seq).bytes)->timestamp();

  for (Browser* r : {&b, &c}) {
    CAPTURE(r->name);
    auto srs = rtcp_received(*r, rtcp::kPtSenderReport, from);
    std::vector<rtcp::SenderReport> from_a;
    for (const auto& seen : srs) {
      auto view = seen.view();
      auto sr = rtcp::SenderReport::parse(view);
      REQUIRE(sr);
      if (sr->sender_ssrc() == a.audio_ssrc || std::count(a.video.begin(), a.video.end(), sr->sender_ssrc()))
        from_a.push_back(*sr);
    }
    REQUIRE(from_a.size() == 2);
    const auto& audio = from_a[0];
    CHECK(audio.sender_ssrc() == a.audio_ssrc);
    CHECK(audio.sender_info().ntp_timestamp == 0xE1234567'89ABCDEFull);
    CHECK(audio.sender_info().rtp_timestamp == a.audio_ts - 480);
    CHECK(audio.report_blocks().empty());
    const auto& video = from_a[1];
    CHECK(video.sender_ssrc() == a.video[0]);
    CHECK(video.sender_info().ntp_timestamp == 0xE1234567'89ABCDF0ull);
    CHECK(video.sender_info().rtp_timestamp == top_ts + 90 + offset);
    CHECK(video.report_blocks().empty());
  }
  // Neither to A itself nor to the other conference.
  CHECK(rtcp_received(a, rtcp::kPtSenderReport, from).empty());
  CHECK(rtcp_received(s.d(), rtcp::kPtSenderReport, from).empty());
}

// JVB's RtcpSrUpdater: the packet and octet counts of a forwarded SR are what the bridge sent on
// that SSRC to this receiver.
TEST_CASE("a forwarded video sender report counts what the bridge sent to that receiver") {
  Sim s;
  s.start_media();
  s.run(2s);
  auto& a = s.a();
  auto& b = s.b();
  std::uint32_t top_ts =
      rtp::RtpPacket::parse(a.sent(a.video[2], a.highest_sent(a.video[2])).bytes)->timestamp();
  std::vector<std::uint8_t> sr(28);
  REQUIRE(rtcp::write_sender_report(sr, a.video[2], {0xE0000000'00000000ull, top_ts, 99999, 9999999}));
  Timestamp from = s.now;
  s.transmit_rtcp(a, sr);
  s.flush();
  auto srs = rtcp_received(b, rtcp::kPtSenderReport, from);
  REQUIRE(srs.size() == 1);
  auto parsed = rtcp::SenderReport::parse(srs[0].view());
  REQUIRE(parsed);
  auto v = video_received(b, a.video[0]);
  std::uint32_t octets = 0;
  for (const auto& p : v) octets += static_cast<std::uint32_t>(p.payload.size());
  CHECK(parsed->sender_info().packet_count == v.size());
  CHECK(parsed->sender_info().octet_count == octets);
}

// The round trip to a receiver: from when the bridge sent it a (relayed) SR to the report that
// echoes it, less the receiver's delay; and what its reports say it lost of what it was sent.
TEST_CASE("a receiver's reports give its round trip and its loss, in RRs and in SRs alike") {
  Sim s;
  s.start_media();
  s.run(2s);
  auto& a = s.a();
  auto& b = s.b();
  auto& c = s.c();
  const std::uint64_t ntp = 0xE2000000'40000000ull;
  std::vector<std::uint8_t> sr(28);
  REQUIRE(rtcp::write_sender_report(sr, a.audio_ssrc, {ntp, a.audio_ts, 10, 1000}));
  s.transmit_rtcp(a, sr);
  s.flush();
  const Timestamp sent_at = s.now;
  REQUIRE(s.router.stats(b.id, s.now)->rtt == std::nullopt);

  // B answers 70 ms later in an RR, having held the SR 40 ms: 30 ms. It lost a quarter.
  const std::uint32_t lsr = static_cast<std::uint32_t>(ntp >> 16);
  const std::uint32_t dlsr_40ms = 40 * 65536 / 1000;
  s.now = sent_at + 70ms;
  std::vector<std::uint8_t> rr(32);
  const rtcp::ReportBlock from_b{a.audio_ssrc, 64, 10, 5000, 3, lsr, dlsr_40ms};
  REQUIRE(rtcp::write_receiver_report(rr, b.audio_ssrc, std::span(&from_b, 1)));
  s.transmit_rtcp(b, rr);
  // C answers at the same time in its own SR's report block (as libwebrtc does when it also
  // sends), having held the SR 20 ms: 50 ms.
  const rtcp::ReportBlock from_c{a.audio_ssrc, 0, 0, 5000, 3, lsr, 20 * 65536 / 1000};
  std::vector<std::uint8_t> c_sr(rtcp::sender_report_size(1));
  REQUIRE(
      rtcp::write_sender_report(c_sr, c.audio_ssrc, {ntp + 1, c.audio_ts, 5, 500}, std::span(&from_c, 1)));
  s.transmit_rtcp(c, c_sr);
  s.flush();

  auto ms = [](std::optional<Duration> d) {
    REQUIRE(d);
    return std::chrono::duration<double, std::milli>(*d).count();
  };
  CHECK(ms(s.router.stats(b.id, s.now)->rtt) == doctest::Approx(30).epsilon(0.01));
  CHECK(ms(s.router.stats(c.id, s.now)->rtt) == doctest::Approx(50).epsilon(0.01));
  CHECK_FALSE(s.router.stats(a.id, s.now)->rtt);  // nothing relayed to A answered yet

  // A report echoing an SR the bridge never sent measures nothing.
  const rtcp::ReportBlock stray{a.audio_ssrc, 0, 0, 5000, 3, lsr + 1, 0};
  REQUIRE(rtcp::write_receiver_report(rr, b.audio_ssrc, std::span(&stray, 1)));
  s.transmit_rtcp(b, rr);
  s.flush();
  CHECK(s.router.counters().round_trip_unmatched == 1);
  CHECK(ms(s.router.stats(b.id, s.now)->rtt) == doctest::Approx(30).epsilon(0.01));

  stats::WorkerStats out;
  s.router.collect_stats(s.now, out);
  CHECK(out.endpoints_with_rtt == 2);
  CHECK(out.rtt_sum_ms == doctest::Approx(80).epsilon(0.01));
  // B's two reports this interval say a quarter and nothing: an eighth, over 10 %.
  CHECK(s.router.stats(b.id, s.now)->outgoing_loss == doctest::Approx(0.125));
  CHECK(s.router.stats(c.id, s.now)->outgoing_loss == 0);
  CHECK(out.endpoints_with_high_outgoing_loss == 1);
}

// What a receiver's feedback is built on (JVB's TccSeqNumTagger): every video packet to it
// carries its own transport-wide sequence number, consecutive across senders, sources and
// retransmissions; the senders' numbers never leak; audio carries none. A receiver without
// transport-cc gets the bridge's abs-send-time instead (JVB's AbsSendTime node).
TEST_CASE("video goes out with the receiver's own transport-wide numbers, or abs-send-time without them") {
  constexpr std::uint8_t kAbsSendTimeId = 3;
  Sim s;
  // C negotiated abs-send-time and no transport-cc.
  auto& c = s.c();
  describe(c);
  c.record.medias[0].rtp_hdrexts.pop_back();
  c.record.medias[1].rtp_hdrexts = {
      {kAbsSendTimeId, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", "", ""}};
  s.router.set_endpoint(c.record, Sim::kFeedbackAudio1, Sim::kFeedbackVideo1);
  s.start_media();
  const Timestamp from = s.now;
  s.run(2s);
  // A NACK from B for a packet it got from A: the retransmission takes the next number.
  auto& a = s.a();
  auto& b = s.b();
  auto got = video_received(b, a.video[0], from);
  REQUIRE(got.size() > 10);
  s.transmit_rtcp(b, nack_packet(b.video[0], a.video[0], {got[got.size() - 6].seq}));
  s.flush();
  CHECK(s.router.counters().retransmissions == 1);

  std::vector<std::uint16_t> numbers;
  std::size_t video_packets = 0, rtx_packets = 0;
  for (const auto& g : b.got_rtp) {
    if (g.at < from) continue;
    auto p = rtp::RtpPacket::parse(g.bytes);
    REQUIRE(p);
    auto tcc = p->find_extension(kTccId);
    if (p->payload_type() == kOpusPt) {
      CHECK_FALSE(tcc);
      continue;
    }
    ++video_packets;
    rtx_packets += p->payload_type() == kRtxPt ? 1 : 0;
    REQUIRE(tcc);
    numbers.push_back(*rtp::parse_transport_sequence_number(tcc->data));
  }
  CHECK(rtx_packets >= 1);
  REQUIRE(video_packets == numbers.size());
  for (std::size_t i = 1; i < numbers.size(); ++i) {
    INFO(i);
    CHECK(static_cast<std::uint16_t>(numbers[i] - numbers[i - 1]) == 1);
  }
  // C: no transport-wide numbers at all, the bridge's abs-send-time on its video.
  std::size_t c_video = 0;
  for (const auto& g : c.got_rtp) {
    if (g.at < from) continue;
    auto p = rtp::RtpPacket::parse(g.bytes);
    REQUIRE(p);
    CHECK_FALSE(p->find_extension(kTccId));
    if (p->payload_type() != kVp8Pt) continue;
    ++c_video;
    auto abs = p->find_extension(kAbsSendTimeId);
    REQUIRE(abs);
    const auto sent = rtp::abs_send_time_to_duration(*rtp::parse_abs_send_time(abs->data));
    const auto expected = std::chrono::duration_cast<std::chrono::microseconds>(g.at.time_since_epoch()) %
                          std::chrono::seconds(64);
    CHECK(std::abs((sent - expected).count()) < 10);
  }
  CHECK(c_video > 10);
}

// The bridge's own estimate of a receiver's link (send-side, GoogCC): B's transport-cc feedback
// on what the bridge sent it gives B an estimate; C, which sends no feedback, has none.
TEST_CASE("a receiver's transport-cc feedback gives the bridge its estimate of the link") {
  Sim s;
  s.start_media();
  s.run(1s);
  auto& b = s.b();
  CHECK_FALSE(s.router.bandwidth_estimate(b.id));
  // B reports every video packet it got, on arrival, every 100 ms for 3 s.
  std::size_t reported = 0;
  for (int round = 0; round < 30; ++round) {
    s.run(100ms);
    std::vector<rtcp::TccPacket> packets;
    for (std::size_t i = reported; i < b.got_rtp.size(); ++i) {
      auto p = rtp::RtpPacket::parse(b.got_rtp[i].bytes);
      REQUIRE(p);
      auto ext = p->find_extension(kTccId);
      if (!ext) continue;
      auto seq = rtp::parse_transport_sequence_number(ext->data);
      REQUIRE(seq);
      if (!packets.empty() && static_cast<std::uint16_t>(*seq - packets.back().sequence_number) != 1)
        continue;
      packets.push_back({*seq, b.got_rtp[i].at});
    }
    reported = b.got_rtp.size();
    if (packets.empty()) continue;
    std::vector<std::uint8_t> feedback(1200);
    auto n =
        rtcp::write_transport_feedback(feedback, {b.video[0], 0, static_cast<std::uint8_t>(round)}, packets);
    REQUIRE(n);
    feedback.resize(n->bytes);
    s.transmit_rtcp(b, feedback);
    s.flush();
  }
  auto estimate = s.router.bandwidth_estimate(b.id);
  REQUIRE(estimate);
  // A clean link: at least the start value, nothing unmatched.
  CHECK(*estimate >= 2'500'000);
  auto snapshot = s.router.bwe_snapshot(b.id);
  REQUIRE(snapshot);
  CHECK(snapshot->target_bps == static_cast<std::int64_t>(*estimate));
  // No feedback from C: no estimate.
  CHECK_FALSE(s.router.bandwidth_estimate(s.c().id));
}

// ================================================================================================
// 7. Feedback towards a sender
// ================================================================================================

TEST_CASE("receiver reports go to a sender every 500 ms about its media SSRCs") {
  Sim s;
  s.start_media();
  s.run(300ms);
  auto& a = s.a();
  // An SR for A's audio, for LSR/DLSR.
  std::vector<std::uint8_t> sr(28);
  const std::uint64_t ntp = 0xE1000000'12345678ull;
  REQUIRE(rtcp::write_sender_report(sr, a.audio_ssrc, {ntp, a.audio_ts, 10, 1000}));
  s.transmit_rtcp(a, sr);
  Timestamp sr_at = s.now;
  // One lost packet on the lowest encoding, never repaired.
  a.answer_nack = false;
  std::optional<std::uint16_t> lost;
  a.lose = [&](const rtp::RtpPacket& p) {
    if (lost || p.ssrc() != a.video[0]) return false;
    lost = p.sequence_number();
    return true;
  };
  s.run(3s);
  REQUIRE(lost);

  auto rrs = rtcp_received(a, rtcp::kPtReceiverReport);
  REQUIRE(rrs.size() >= 5);
  for (std::size_t i = 1; i < rrs.size(); ++i) {
    auto gap = rrs[i].at - rrs[i - 1].at;
    CHECK(gap >= 490ms);
    CHECK(gap <= 510ms);
  }
  // The last one: a block for each of A's media SSRCs, none for RTX, with what A sent.
  auto view = rrs.back().view();
  auto rr = rtcp::ReceiverReport::parse(view);
  REQUIRE(rr);
  CHECK(rr->sender_ssrc() == Sim::kFeedbackVideo1);
  std::map<std::uint32_t, rtcp::ReportBlock> blocks;
  for (std::size_t i = 0; i < rr->report_blocks().size(); ++i)
    blocks[rr->report_blocks()[i].ssrc] = rr->report_blocks()[i];
  CHECK(blocks.size() == 4);
  for (std::uint32_t ssrc : {a.audio_ssrc, a.video[0], a.video[1], a.video[2]}) {
    CAPTURE(ssrc);
    REQUIRE(blocks.count(ssrc) == 1);
    const auto& blk = blocks[ssrc];
    CHECK((blk.extended_highest_sequence & 0xFFFF) == a.highest_sent(ssrc, rrs.back().at));
    CHECK(blk.cumulative_lost == (ssrc == a.video[0] ? 1 : 0));
  }
  CHECK(blocks[a.audio_ssrc].jitter <= 1);  // perfectly paced audio on a zero-jitter network
  CHECK(blocks[a.audio_ssrc].last_sr == static_cast<std::uint32_t>(ntp >> 16));
  auto dlsr =
      std::chrono::duration_cast<std::chrono::microseconds>(rrs.back().at - sr_at).count() * 65536 / 1000000;
  CHECK(std::abs(static_cast<std::int64_t>(blocks[a.audio_ssrc].delay_since_last_sr) - dlsr) <= 70);
  // D, alone in its conference, gets RRs from that conference's SSRC.
  auto d_rrs = rtcp_received(s.d(), rtcp::kPtReceiverReport);
  REQUIRE_FALSE(d_rrs.empty());
  CHECK(rtcp::ReceiverReport::parse(d_rrs.back().view())->sender_ssrc() == Sim::kFeedbackVideo2);
}

TEST_CASE("the bridge NACKs a gap in a sender's video until it is repaired") {
  Sim s;
  s.start_media();
  s.run(1s);
  auto& a = s.a();
  std::optional<std::uint16_t> lost;
  Timestamp lost_at{};
  a.lose = [&](const rtp::RtpPacket& p) {
    if (lost || p.ssrc() != a.video[1]) return false;
    lost = p.sequence_number();
    lost_at = s.now;
    return true;
  };

  SUBCASE("the sender does not answer: requests every 150 ms, 10 at most") {
    a.answer_nack = false;
    s.run(3s);
    REQUIRE(lost);
    std::vector<Timestamp> times;
    for (const auto& n : a.nacks) {
      CHECK(n.sender_ssrc == Sim::kFeedbackVideo1);
      CHECK(n.media_ssrc == a.video[1]);
      CHECK(n.lost == std::vector<std::uint16_t>{*lost});
      times.push_back(n.at);
    }
    REQUIRE(times.size() == 10);
    CHECK(times[0] - lost_at <= 40ms);  // with the next packet (at most a frame later)
    for (std::size_t i = 1; i < times.size(); ++i) {
      CHECK(times[i] - times[i - 1] >= 145ms);
      CHECK(times[i] - times[i - 1] <= 155ms);
    }
  }
  SUBCASE("the sender answers with RTX: one request") {
    s.run(2s);
    REQUIRE(lost);
    REQUIRE(a.nacks.size() == 1);
    CHECK(a.nacks[0].lost == std::vector<std::uint16_t>{*lost});
    // Nothing else of A's video was NACKed: no false gaps across the three SSRCs.
  }
}

TEST_CASE("transport-cc feedback reports the sender's transport-wide sequence numbers and arrival times") {
  Sim s;
  s.start_media();
  s.run(500ms);
  auto& a = s.a();
  // Lose two packets in the network (one audio, one video), not repaired.
  a.answer_nack = false;
  int to_lose = 0;
  a.lose = [&](const rtp::RtpPacket& p) {
    if (to_lose >= 2) return false;
    if ((to_lose == 0 && p.ssrc() == a.audio_ssrc) || (to_lose == 1 && p.ssrc() == a.video[2])) {
      ++to_lose;
      return true;
    }
    return false;
  };
  Timestamp from = s.now;
  s.run(1s);
  REQUIRE(a.transport_lost.size() == 2);
  // Give the last packets their feedback.
  a.send_audio = a.send_video = false;
  s.run(300ms);

  auto fbs = rtcp_received(a, rtcp::kPtRtpFeedback);
  std::map<std::uint16_t, bool> reported;  // seq -> received
  std::vector<Timestamp> times;
  for (const auto& seen : fbs) {
    if (seen.count != rtcp::kFmtTransportFeedback) continue;
    auto view = seen.view();
    auto fb = rtcp::TransportFeedback::parse(view);
    REQUIRE(fb);
    CHECK(fb->sender_ssrc() == Sim::kFeedbackVideo1);
    if (seen.at >= from) times.push_back(seen.at);
    std::optional<std::pair<std::uint16_t, std::chrono::microseconds>> first;
    for (const auto& st : fb->all_packets()) {
      reported[st.sequence_number] = reported[st.sequence_number] || st.received();
      if (!st.received()) continue;
      REQUIRE(a.transport_sent.count(st.sequence_number));
      // Arrival times: zero latency, so they differ exactly as the send times do (250 us units).
      if (!first) {
        first = {st.sequence_number, st.arrival};
        continue;
      }
      auto sent_delta = std::chrono::duration_cast<std::chrono::microseconds>(
          a.transport_sent[st.sequence_number] - a.transport_sent[first->first]);
      auto arrival_delta = st.arrival - first->second;
      CHECK(std::chrono::abs(arrival_delta - sent_delta) < 250us);
    }
  }
  // Every seq A sent is reported, the lost ones as not received, all others as received.
  for (const auto& entry : a.transport_sent) {
    const std::uint16_t seq = entry.first;
    CAPTURE(seq);
    REQUIRE(reported.count(seq));
    CHECK(reported[seq] == (a.transport_lost.count(seq) == 0));
  }
  // Feedback at least every 100 ms while packets arrive.
  REQUIRE(times.size() >= 9);
  for (std::size_t i = 1; i < times.size(); ++i) CHECK(times[i] - times[i - 1] <= 101ms);
  // The other senders get their own.
  CHECK_FALSE(rtcp_received(s.b(), rtcp::kPtRtpFeedback, from).empty());
  CHECK_FALSE(rtcp_received(s.d(), rtcp::kPtRtpFeedback, from).empty());
}

// JVB's TccGeneratorNode: feedback is also sent when a packet with the RTP marker bit arrives 20 ms
// or more after the previous feedback, so with 30 fps video it comes about once per frame.
TEST_CASE("transport-cc feedback comes early at the end of a video frame") {
  Sim s;
  s.start_media();
  s.run(1s);
  Timestamp from = s.now;
  s.run(1s);
  std::vector<Timestamp> times;
  for (const auto& seen : rtcp_received(s.a(), rtcp::kPtRtpFeedback, from))
    if (seen.count == rtcp::kFmtTransportFeedback) times.push_back(seen.at);
  REQUIRE(times.size() >= 2);
  for (std::size_t i = 1; i < times.size(); ++i) CHECK(times[i] - times[i - 1] <= 40ms);
}

// ================================================================================================
// 8. Bad input
// ================================================================================================

TEST_CASE("bad input after decryption is dropped and counted; nothing else is disturbed") {
  Sim s;
  s.start_media();
  s.run(1s);
  auto& a = s.a();
  auto& b = s.b();
  auto& c = s.c();
  auto before = s.router.counters();
  std::size_t b_packets_before = b.got_rtp.size();
  std::vector<std::uint8_t> junk_payload(40, 0x5A);

  // The browser corrupts the next packet of its top encoding that neither starts nor ends a
  // frame, in place (so the stream's sequence numbers stay its own).
  std::optional<std::uint16_t> corrupted;
  auto corrupt_next_top = [&](std::function<void(std::vector<std::uint8_t>&)> how) {
    a.corrupt = [&, how](std::vector<std::uint8_t>& plain) {
      auto p = rtp::RtpPacket::parse(plain);
      if (corrupted || !p || p->ssrc() != a.video[2] || p->marker()) return;
      auto d = codecs::parse_vp8_descriptor(p->payload());
      if (!d || d->is_start_of_frame()) return;
      corrupted = p->sequence_number();
      how(plain);
    };
  };

  SUBCASE("an unknown SSRC") {
    auto t = s.next_transport_seq(a);
    const rtp::ExtensionElement ext[] = {{kTccId, t}};
    s.transmit(a, build_rtp({false, kOpusPt, 1, 1, 0xDEADBEEF, {}}, ext, junk_payload));
    s.transmit(
        a, build_rtp({false, kVp8Pt, 1, 1, s.d().video[0], {}}, ext, junk_payload));  // D's, other conference
    s.flush();
    CHECK(s.router.counters().dropped_unknown_ssrc == before.dropped_unknown_ssrc + 2);
    CHECK(count_rtp_from(b, 0xDEADBEEF) == 0);
    CHECK(count_rtp_from(b, s.d().video[0]) == 0);
  }
  SUBCASE("an unknown payload type on a video SSRC") {
    corrupt_next_top([](std::vector<std::uint8_t>& p) { REQUIRE(rtp::set_payload_type(p, 127)); });
    s.run(100ms);
    REQUIRE(corrupted);
    CHECK(s.router.counters().dropped_unknown_pt == before.dropped_unknown_pt + 1);
    // Never forwarded as such; the bridge NACKed it and A's RTX repaired the stream.
    for (const auto& p : video_received(b, a.video[0])) CHECK(p.pt == kVp8Pt);
    CHECK(std::any_of(a.nacks.begin(), a.nacks.end(), [&](const Browser::NackSeen& n) {
      return n.media_ssrc == a.video[2] && n.lost == std::vector<std::uint16_t>{*corrupted};
    }));
  }
  SUBCASE("a non-RTX payload type on an RTX SSRC") {
    s.transmit(a, build_rtp({false, kVp8Pt, a.rtx_seq[1]++, 1, a.rtx[1], {}}, {}, junk_payload));
    s.flush();
    CHECK(s.router.counters().dropped_unknown_pt == before.dropped_unknown_pt + 1);
    CHECK(count_rtp_from(b, a.rtx[1]) == 0);
  }
  SUBCASE("an RTX packet with a one-byte payload") {
    const std::uint8_t one[] = {0x42};
    s.transmit(a, build_rtp({false, kRtxPt, a.rtx_seq[2]++, 1, a.rtx[2], {}}, {}, one));
    s.flush();
    CHECK(s.router.counters().dropped_rtx_padding == before.dropped_rtx_padding + 1);
  }
  SUBCASE("RTP that does not parse: bad padding, extension element id 0 running past its block") {
    auto bad_padding =
        build_rtp({false, kOpusPt, a.audio_seq++, a.audio_ts, a.audio_ssrc, {}}, {}, junk_payload);
    bad_padding[0] |= 0x20;
    bad_padding.back() = 0xFF;
    auto id_zero = build_rtp({false, kOpusPt, a.audio_seq++, a.audio_ts, a.audio_ssrc, {}}, {}, junk_payload);
    id_zero[0] |= 0x10;
    const std::uint8_t ext_block[] = {0xBE, 0xDE, 0x00, 0x01, 0x05, 0x00, 0x00, 0x00};  // id 0, length 6
    id_zero.insert(id_zero.begin() + 12, std::begin(ext_block), std::end(ext_block));
    REQUIRE_FALSE(rtp::RtpPacket::parse(bad_padding));
    REQUIRE_FALSE(rtp::RtpPacket::parse(id_zero));
    REQUIRE(s.transmit_unchecked(a, bad_padding));
    REQUIRE(s.transmit_unchecked(a, id_zero));
    s.flush();
    CHECK(s.router.counters().dropped_unparsable == before.dropped_unparsable + 2);
    for (const auto& g : b.got_rtp) {
      auto p = rtp::RtpPacket::parse(g.bytes);
      CHECK(p);
    }
  }
  SUBCASE("a VP8 payload whose descriptor does not parse") {
    corrupt_next_top([](std::vector<std::uint8_t>& p) {
      auto parsed = rtp::RtpPacket::parse(p);
      p.resize(parsed->header_size() + 1);
      p.back() = 0x80;  // X set, nothing after
    });
    s.run(100ms);
    REQUIRE(corrupted);
    auto info = projection_of(s.router.projections(b.id), a.id);
    REQUIRE(info);
    CHECK(info->counters.dropped_bad_payload == 1);
    // B sees a hole of exactly that packet.
    auto v = video_received(b, a.video[0]);
    auto next = std::find_if(v.begin(), v.end(), [&](const VideoOut& p) {
      return p.tag == Tag{a.video[2], static_cast<std::uint16_t>(*corrupted + 1)};
    });
    REQUIRE(next != v.end());
    REQUIRE(next != v.begin());
    CHECK(std::prev(next)->tag == Tag{a.video[2], static_cast<std::uint16_t>(*corrupted - 1)});
    CHECK(static_cast<std::uint16_t>(next->seq - std::prev(next)->seq) == 2);
  }
  SUBCASE("garbage RTCP") {
    std::vector<std::vector<std::uint8_t>> junk = {
        {0x80, 200, 0xFF, 0xFF, 1, 2, 3, 4},                    // length past the end
        {0x81, 200, 0x00, 0x01, 1, 2, 3, 4},                    // SR claiming a block it lacks
        {0x81, 205, 0x00, 0x02, 0, 0, 0, 1, 0xA0, 0, 0, 0x11},  // NACK without items
        {0x81, 206, 0x00, 0x01, 0, 0, 0, 1},                    // PLI without media SSRC
        {0x84, 206, 0x00, 0x02, 0, 0, 0, 1, 0xA0, 0, 0, 0x11},  // FIR without entries
        {0x8F, 205,  0x00, 0x04, 0,    0,    0, 1, 0xA0, 0,
         0,    0x11, 0,    5,    0xFF, 0xFF, 0, 0, 0,    0},  // TCC, too many statuses
        {0x80, 210, 0x00, 0x01, 1, 2, 3, 4},                  // unknown packet type
        {0x80, 200, 0x00, 0x06, 0xA0, 0, 0, 0x13, 0, 0, 0, 0, 0,    0,   0, 0,
         0,    0,   0,    0,    0,    0, 0, 0,    0, 0, 0, 0, 0xBF, 0xFF},  // an SR followed by a truncated
                                                                            // header
    };
    for (const auto& j : junk) s.transmit_rtcp(a, j);
    for (const auto& j : junk) s.transmit_rtcp(b, j);
    s.flush();
    CHECK(s.router.counters().rtcp_in >= before.rtcp_in + 2 * junk.size());
    CHECK(s.router.counters().nacks_received == before.nacks_received);
    CHECK(a.plis.empty());
  }
  // The conference carries on: audio and video still flow everywhere.
  Timestamp after = s.now;
  s.run(500ms);
  CHECK(count_rtp_from(b, a.audio_ssrc, after) >= 24);
  CHECK(count_rtp_from(c, a.audio_ssrc, after) >= 24);
  CHECK(count_rtp_from(a, b.audio_ssrc, after) >= 24);
  CHECK(count_rtp_from(b, a.video[0], after) >= 40);  // 15 frames of 3 packets
  check_continuous(video_received(b, a.video[0], after + 100ms));
  CHECK(b.got_rtp.size() > b_packets_before);
  for (Browser* r : {&a, &b, &c}) CHECK(s.port.find(r->id)->state() == transport::TransportState::kConnected);
}

// As in JVB's receive pipeline: an unknown payload type is dropped, audio included.
TEST_CASE("an unknown payload type on an audio SSRC is dropped") {
  Sim s;
  s.start_media();
  s.run(500ms);
  auto& a = s.a();
  auto before = s.router.counters();
  std::vector<std::uint8_t> payload(40, 0x5A);
  append_tag(payload, a.audio_ssrc, 4242);
  Timestamp from = s.now;
  s.transmit(a, build_rtp({false, 77, 4242, 1, a.audio_ssrc, {}}, {}, payload));
  s.flush();
  CHECK(s.router.counters().dropped_unknown_pt == before.dropped_unknown_pt + 1);
  std::size_t n = 0;
  for (const auto& g : s.b().got_rtp) {
    auto p = rtp::RtpPacket::parse(g.bytes);
    if (g.at >= from && p && p->ssrc() == a.audio_ssrc && p->payload_type() == 77) ++n;
  }
  CHECK(n == 0);
}

}  // namespace
}  // namespace jvb::conference
