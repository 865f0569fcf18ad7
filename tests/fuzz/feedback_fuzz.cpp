// libFuzzer target for bridge/media/feedback: the input is a script of operations on the
// receive statistics, RR generator, NACK generator and transport-cc feedback generator
// (arbitrary seqs, timestamps, arrival times going forwards and backwards, transport seqs,
// RTTs), plus the packet cache, RTX build/decapsulation, the duplicate filter and SR
// translation on arbitrary bytes. Every RTCP packet they emit is parsed back and checked:
//   - RRs: a valid compound of RRs, at most 31 blocks each, each stream reported at most once;
//   - NACKs: a valid NACK within the output, for seqs near the highest one delivered;
//   - feedback: a valid transport-cc feedback of at most 1200 bytes whose count increments by
//     one, reporting as received only transport seqs that were delivered;
//   - RTX: build then decapsulate gives back the original without its padding;
//   - the duplicate filter refuses a seq it has just accepted; the cache returns what it stored.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

#include "bridge/media/feedback/duplicate_filter.hpp"
#include "bridge/media/feedback/nack_generator.hpp"
#include "bridge/media/feedback/packet_cache.hpp"
#include "bridge/media/feedback/receive_statistics.hpp"
#include "bridge/media/feedback/rr_generator.hpp"
#include "bridge/media/feedback/rtx.hpp"
#include "bridge/media/feedback/sr_translator.hpp"
#include "bridge/media/feedback/tcc_feedback_generator.hpp"
#include "bridge/rtcp/nack.hpp"
#include "bridge/rtcp/receiver_report.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"
#include "bridge/rtcp/sender_report.hpp"
#include "bridge/rtcp/transport_cc.hpp"
#include "bridge/rtp/rtp_packet.hpp"
#include "bridge/rtp/sequence_unwrapper.hpp"

namespace {

using namespace jvb;
using namespace jvb::media;
using std::chrono::microseconds;

// Names the failed condition, so that a crash report says which invariant broke.
#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (false)

constexpr std::size_t kStreams = 3;
constexpr std::uint32_t kFeedbackSsrc = 0xF00D;

struct World {
  Timestamp now = Timestamp(std::chrono::seconds(1000));
  std::array<ReceiveStatistics, kStreams> stats{ReceiveStatistics(1, 90000), ReceiveStatistics(2, 48000),
                                                ReceiveStatistics(3, 0)};
  RrGenerator rr{std::chrono::milliseconds(500)};
  NackGenerator nack;
  rtp::SequenceNumberUnwrapper nack_unwrapper;  // the highest seq given to `nack`, unwrapped
  std::optional<std::int64_t> nack_highest;
  TransportCcFeedbackGenerator tcc;
  std::bitset<65536> tcc_delivered;
  std::optional<std::uint8_t> last_feedback_count;
  PacketCache cache{PacketCacheConfig{64, 1500, 2, std::chrono::seconds(1), std::chrono::seconds(15)}};
  DuplicateFilter dups;
  std::vector<std::uint8_t> out = std::vector<std::uint8_t>(4096);
};

void check_rr(World& w, std::size_t n) {
  if (n == 0) return;
  const auto bytes = std::span<const std::uint8_t>(w.out).first(n);
  FUZZ_CHECK(rtcp::validate_compound(bytes).has_value());
  rtcp::RtcpCompoundIterator it(bytes);
  std::array<int, kStreams + 1> seen{};
  while (auto v = it.next()) {
    auto rr = rtcp::ReceiverReport::parse(*v);
    FUZZ_CHECK(rr.has_value());
    FUZZ_CHECK(rr->sender_ssrc() == kFeedbackSsrc);
    const auto& blocks = rr->report_blocks();
    FUZZ_CHECK(!blocks.empty() && blocks.size() <= rtcp::kMaxReportBlocks);
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      const std::uint32_t ssrc = blocks[i].ssrc;
      FUZZ_CHECK(ssrc >= 1 && ssrc <= kStreams);
      FUZZ_CHECK(++seen[ssrc] == 1);
    }
  }
}

void check_nack(World& w, std::size_t n, std::size_t missing_before) {
  if (n == 0) return;
  FUZZ_CHECK(n <= w.out.size());
  auto v = rtcp::parse_rtcp_packet(std::span<const std::uint8_t>(w.out).first(n));
  FUZZ_CHECK(v.has_value() && v->packet.size() == n);
  auto nack = rtcp::Nack::parse(*v);
  FUZZ_CHECK(nack.has_value());
  FUZZ_CHECK(nack->sender_ssrc() == kFeedbackSsrc && nack->media_ssrc() == 1);
  std::size_t count = 0;
  nack->for_each_lost([&](std::uint16_t seq) {
    ++count;
    FUZZ_CHECK(w.nack_highest.has_value());
    // Missing seqs lie behind the highest delivered one, within the generator's ring.
    const std::int64_t ext = w.nack_unwrapper.peek(seq);
    FUZZ_CHECK(ext < *w.nack_highest &&
               *w.nack_highest - ext < static_cast<std::int64_t>(NackGenerator::kWindow));
  });
  FUZZ_CHECK(count >= 1 && count <= missing_before);
}

void check_feedback(World& w, std::size_t n, std::size_t limit) {
  if (n == 0) return;
  FUZZ_CHECK(n <= limit && n <= 1200);
  auto v = rtcp::parse_rtcp_packet(std::span<const std::uint8_t>(w.out).first(n));
  FUZZ_CHECK(v.has_value() && v->packet.size() == n);
  auto fb = rtcp::TransportFeedback::parse(*v);
  FUZZ_CHECK(fb.has_value());
  FUZZ_CHECK(fb->sender_ssrc() == kFeedbackSsrc && fb->status_count() >= 1);
  if (w.last_feedback_count)
    FUZZ_CHECK(fb->feedback_count() == static_cast<std::uint8_t>(*w.last_feedback_count + 1));
  w.last_feedback_count = fb->feedback_count();
  auto it = fb->packets();
  std::size_t statuses = 0;
  while (auto p = it.next()) {
    ++statuses;
    if (p->received()) FUZZ_CHECK(w.tcc_delivered.test(p->sequence_number));
  }
  FUZZ_CHECK(statuses == fb->status_count());
}

void rtx_round_trip(World& w, std::span<const std::uint8_t> bytes, std::uint16_t rtx_seq) {
  auto original = rtp::RtpPacket::parse(bytes);
  auto built = build_rtx_packet(bytes, 0xABCD, 96, rtx_seq, w.out);
  FUZZ_CHECK(built.has_value() == original.has_value());
  if (!built) {
    (void)rtx_error_name(built.error());
    return;
  }
  FUZZ_CHECK(*built == original->header_size() + original->payload_size() + kRtxHeaderSize);
  std::vector<std::uint8_t> rtx(w.out.begin(), w.out.begin() + static_cast<std::ptrdiff_t>(*built));
  auto restored = decapsulate_rtx(rtx, original->ssrc(), original->payload_type());
  FUZZ_CHECK(restored.has_value());
  // The original without padding, as rtp::remove_padding gives it.
  std::vector<std::uint8_t> expected(bytes.begin(), bytes.end());
  auto unpadded = rtp::remove_padding(expected);
  FUZZ_CHECK(unpadded.has_value());
  expected.resize(*unpadded);
  FUZZ_CHECK(*restored == expected.size());
  FUZZ_CHECK(std::equal(expected.begin(), expected.end(), rtx.begin()));
}

void translate_sr(World& w, std::span<const std::uint8_t> bytes, std::uint32_t delta) {
  auto v = rtcp::parse_rtcp_packet(bytes);
  if (!v) return;
  auto sr = rtcp::SenderReport::parse(*v);
  if (!sr) return;
  auto n = translate_sender_report(
      *sr, 0x5EED,
      [&](std::uint32_t ts) -> std::optional<std::uint32_t> {
        if (delta == 0) return std::nullopt;
        return ts + delta;
      },
      std::nullopt, w.out);
  if (!n) {
    FUZZ_CHECK(delta == 0);
    return;
  }
  auto again =
      rtcp::SenderReport::parse(*rtcp::parse_rtcp_packet(std::span<const std::uint8_t>(w.out).first(*n)));
  FUZZ_CHECK(again.has_value() && again->report_blocks().empty() && again->sender_ssrc() == 0x5EED);
  FUZZ_CHECK(again->sender_info().ntp_timestamp == sr->sender_info().ntp_timestamp);
  FUZZ_CHECK(again->sender_info().rtp_timestamp == sr->sender_info().rtp_timestamp + delta);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  World w;
  w.rr.start(w.now);
  while (in.remaining_bytes() > 0) {
    switch (in.ConsumeIntegralInRange<int>(0, 12)) {
      case 0: {  // time passes (mostly forwards)
        const auto us = in.ConsumeIntegralInRange<std::int64_t>(-2'000, 3'000'000);
        w.now += microseconds(us);
        break;
      }
      case 1: {  // an RTP packet on one of the streams
        auto& s = w.stats[in.ConsumeIntegralInRange<std::size_t>(0, kStreams - 1)];
        s.on_packet(w.now, in.ConsumeIntegral<std::uint16_t>(), in.ConsumeIntegral<std::uint32_t>(),
                    in.ConsumeIntegralInRange<std::size_t>(0, 1500));
        FUZZ_CHECK(s.packets() >= s.received());
        break;
      }
      case 2: {  // a short run of sequential packets
        auto& s = w.stats[in.ConsumeIntegralInRange<std::size_t>(0, kStreams - 1)];
        const auto seq = in.ConsumeIntegral<std::uint16_t>();
        const auto count = in.ConsumeIntegralInRange<int>(1, 50);
        for (int i = 0; i < count; ++i) {
          s.on_packet(w.now + std::chrono::milliseconds(i), static_cast<std::uint16_t>(seq + i),
                      static_cast<std::uint32_t>(i * 900), 100);
        }
        break;
      }
      case 3:
        w.stats[in.ConsumeIntegralInRange<std::size_t>(0, kStreams - 1)].on_sender_report(
            w.now, in.ConsumeIntegral<std::uint64_t>());
        break;
      case 4: {  // RRs
        std::array<ReceiveStatistics*, kStreams + 1> streams{&w.stats[0], nullptr, &w.stats[1], &w.stats[2]};
        const auto limit = in.ConsumeIntegralInRange<std::size_t>(0, w.out.size());
        const auto n = w.rr.build(w.now, streams, kFeedbackSsrc, std::span(w.out).first(limit));
        FUZZ_CHECK(n <= limit);
        check_rr(w, n);
        FUZZ_CHECK(w.rr.next_due().has_value());
        break;
      }
      case 5: {  // a video packet to the NACK generator (and the duplicate filter before it)
        const auto seq = in.ConsumeIntegral<std::uint16_t>();
        if (w.dups.accept(seq)) FUZZ_CHECK(!w.dups.accept(seq));
        w.nack.on_packet(w.now, seq);
        const std::int64_t ext = w.nack_unwrapper.peek(seq);
        if (!w.nack_highest || ext > *w.nack_highest) w.nack_highest = w.nack_unwrapper.unwrap(seq);
        break;
      }
      case 6:
        w.nack.set_rtt(microseconds(in.ConsumeIntegralInRange<std::int64_t>(-1'000'000, 20'000'000)));
        break;
      case 7: {  // NACK build, whether due or not
        const auto missing = w.nack.missing_count();
        const auto limit = in.ConsumeIntegralInRange<std::size_t>(0, 2000);
        const auto n = w.nack.build(w.now, kFeedbackSsrc, 1, std::span(w.out).first(limit));
        FUZZ_CHECK(n <= limit);
        check_nack(w, n, missing);
        FUZZ_CHECK(w.nack.missing_count() <= NackGenerator::kWindow);
        FUZZ_CHECK(w.nack.next_due().has_value() == (w.nack.missing_count() > 0));
        break;
      }
      case 8: {  // a packet with a transport-wide seq
        const auto seq = in.ConsumeIntegral<std::uint16_t>();
        w.tcc.on_packet(w.now, seq, in.ConsumeBool());
        w.tcc_delivered.set(seq);
        break;
      }
      case 9: {  // feedback, whether due or not
        const auto limit = in.ConsumeIntegralInRange<std::size_t>(0, 1500);
        const auto n = w.tcc.build(w.now, kFeedbackSsrc, 2, std::span(w.out).first(limit));
        check_feedback(w, n, limit);
        break;
      }
      case 10: {  // cache and RTX on arbitrary bytes
        const auto ssrc = in.ConsumeIntegralInRange<std::uint32_t>(0, 3);
        const auto seq = in.ConsumeIntegral<std::uint16_t>();
        const auto bytes = in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<std::size_t>(0, 1600));
        w.cache.store(ssrc, seq, w.now, bytes);
        auto found = w.cache.find(w.now, ssrc, seq);
        // A rejected packet leaves the slot's previous one in place, so only a stored one is known.
        if (!bytes.empty() && bytes.size() <= 1500) {
          FUZZ_CHECK(found.has_value());
          FUZZ_CHECK(std::equal(found->begin(), found->end(), bytes.begin(), bytes.end()));
        }
        (void)w.cache.take_for_resend(w.now, ssrc, static_cast<std::uint16_t>(seq - 1),
                                      microseconds(in.ConsumeIntegralInRange<std::int64_t>(-10, 1'000'000)));
        rtx_round_trip(w, bytes, seq);
        std::vector<std::uint8_t> copy = bytes;
        (void)decapsulate_rtx(copy, ssrc, static_cast<std::uint8_t>(seq & 0xFF));
        break;
      }
      case 11: {  // SR translation
        const auto delta = in.ConsumeIntegral<std::uint32_t>();
        const auto bytes = in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<std::size_t>(0, 300));
        translate_sr(w, bytes, delta);
        break;
      }
      default:
        w.cache.expire(w.now);
        break;
    }
  }
  return 0;
}
