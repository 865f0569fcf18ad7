// Tests of bridge/media/feedback/nack_generator.hpp (the behaviours of JVB's
// StreamPacketRequesterTest: a gap, 10 resends, a reset; RFC 4585 §6.2.1) on a fake clock: the
// first NACK at once after a gap, retries at RTT-based intervals, giving up after max tries or max
// age, cancellation by late or RTX-recovered packets, resets on large jumps, seq wrap, and NACKs
// split when the output is small.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <set>
#include <vector>

#include "bridge/media/feedback/nack_generator.hpp"
#include "bridge/rtcp/nack.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"

using namespace jvb;
using namespace jvb::media;
using namespace std::chrono_literals;
using Seqs = std::vector<std::uint16_t>;

namespace {

const Timestamp kT0 = Timestamp(50s);
constexpr std::uint32_t kSender = 0xB1D6E;
constexpr std::uint32_t kMedia = 0x5EED;

// build() at `now`, parsed back: the lost seqs (empty if nothing was written).
Seqs build_seqs(NackGenerator& gen, Timestamp now, std::size_t out_size = 1500) {
  std::vector<std::uint8_t> out(out_size);
  const auto n = gen.build(now, kSender, kMedia, out);
  if (n == 0) return {};
  REQUIRE(n <= out_size);
  auto v = rtcp::parse_rtcp_packet(std::span(out).first(n));
  REQUIRE(v);
  REQUIRE(v->packet.size() == n);
  auto nack = rtcp::Nack::parse(*v);
  REQUIRE(nack);
  CHECK(nack->sender_ssrc() == kSender);
  CHECK(nack->media_ssrc() == kMedia);
  return nack->lost_sequence_numbers();
}

// Runs the generator by its own deadlines until it has nothing left; returns the send times.
std::vector<Timestamp> run(NackGenerator& gen, Timestamp until, std::vector<Seqs>* sent = nullptr) {
  std::vector<Timestamp> times;
  while (auto due = gen.next_due()) {
    if (*due > until) break;
    auto seqs = build_seqs(gen, *due);
    if (!seqs.empty()) {
      times.push_back(*due);
      if (sent) sent->push_back(seqs);
    }
  }
  return times;
}

}  // namespace

TEST_CASE("a gap is NACKed at once, and nothing more once the packets arrive") {
  NackGenerator gen;
  CHECK_FALSE(gen.next_due());
  gen.on_packet(kT0, 1);
  gen.on_packet(kT0 + 10ms, 2);
  CHECK_FALSE(gen.next_due());
  gen.on_packet(kT0 + 20ms, 5);
  REQUIRE(gen.next_due());
  CHECK(*gen.next_due() == kT0 + 20ms);
  CHECK(gen.missing_count() == 2);
  CHECK(build_seqs(gen, kT0 + 20ms) == Seqs{3, 4});
  REQUIRE(gen.next_due());
  CHECK(*gen.next_due() == kT0 + 170ms);        // default RTT 100 ms -> 150 ms
  CHECK(build_seqs(gen, kT0 + 100ms).empty());  // not due yet

  gen.on_packet(kT0 + 30ms, 3);
  gen.on_packet(kT0 + 40ms, 4);  // e.g. recovered through RTX
  CHECK(gen.missing_count() == 0);
  CHECK_FALSE(gen.next_due());
  CHECK(build_seqs(gen, kT0 + 170ms).empty());
  CHECK(gen.counters().recovered == 2);
  CHECK(gen.counters().nacks_sent == 1);
}

TEST_CASE("a seq that never arrives is NACKed every 150 ms, exactly 10 times") {
  NackGenerator gen;
  gen.on_packet(kT0, 1);
  gen.on_packet(kT0, 2);
  gen.on_packet(kT0, 4);
  std::vector<Seqs> sent;
  const auto times = run(gen, kT0 + 10s, &sent);
  REQUIRE(times.size() == 10);
  for (std::size_t i = 0; i < times.size(); ++i) {
    CHECK(times[i] == kT0 + i * 150ms);
    CHECK(sent[i] == Seqs{3});
  }
  CHECK_FALSE(gen.next_due());
  CHECK(gen.counters().abandoned == 1);
  CHECK(gen.counters().requests_sent == 10);
}

TEST_CASE("a packet arriving between retries cancels the rest") {
  NackGenerator gen;
  gen.on_packet(kT0, 10);
  gen.on_packet(kT0, 13);  // 11, 12 missing
  CHECK(build_seqs(gen, kT0) == Seqs{11, 12});
  CHECK(build_seqs(gen, kT0 + 150ms) == Seqs{11, 12});
  gen.on_packet(kT0 + 200ms, 11);
  CHECK(build_seqs(gen, kT0 + 300ms) == Seqs{12});
  gen.on_packet(kT0 + 310ms, 12);
  CHECK_FALSE(gen.next_due());
}

TEST_CASE("the retry interval follows the RTT (1.5 x RTT, clamped)") {
  NackGenerator gen;
  CHECK(gen.retry_interval() == 150ms);
  gen.set_rtt(40ms);
  CHECK(gen.retry_interval() == 60ms);
  gen.set_rtt(0ms);  // ignored
  gen.set_rtt(-5ms);
  CHECK(gen.retry_interval() == 60ms);
  gen.set_rtt(1ms);
  CHECK(gen.retry_interval() == 20ms);  // min_interval
  gen.set_rtt(std::chrono::hours(1000000));
  CHECK(gen.retry_interval() == 1s);  // max_interval
  gen.set_rtt(40ms);

  gen.on_packet(kT0, 1);
  gen.on_packet(kT0, 3);
  const auto times = run(gen, kT0 + 10s);
  REQUIRE(times.size() == 10);
  CHECK(times[1] - times[0] == 60ms);
  CHECK(times[9] - times[0] == 540ms);
}

TEST_CASE("a missing seq is abandoned once older than max_age") {
  NackConfig config;
  config.max_age = 500ms;
  NackGenerator gen(config);
  gen.on_packet(kT0, 1);
  gen.on_packet(kT0, 3);
  const auto times = run(gen, kT0 + 10s);
  // 0, 150, 300, 450; a fifth at 600 would be past 500 ms.
  REQUIRE(times.size() == 4);
  CHECK(times.back() == kT0 + 450ms);
  CHECK_FALSE(gen.next_due());
  CHECK(gen.counters().abandoned == 1);

  NackConfig tries;
  tries.max_tries = 3;
  NackGenerator gen3(tries);
  gen3.on_packet(kT0, 1);
  gen3.on_packet(kT0, 3);
  CHECK(run(gen3, kT0 + 10s).size() == 3);
}

TEST_CASE("99 missing are NACKed; a jump leaving 100 or more missing resets") {
  NackGenerator gen;
  gen.on_packet(kT0, 1000);
  gen.on_packet(kT0, 1100);  // 1001..1099: 99 missing
  CHECK(gen.missing_count() == 99);
  auto seqs = build_seqs(gen, kT0);
  REQUIRE(seqs.size() == 99);
  CHECK(seqs.front() == 1001);
  CHECK(seqs.back() == 1099);

  gen.on_packet(kT0 + 10ms, 1201);  // 1101..1200: 100 missing -> reset, pending cleared
  CHECK(gen.missing_count() == 0);
  CHECK_FALSE(gen.next_due());
  CHECK(build_seqs(gen, kT0 + 1s).empty());
  CHECK(gen.counters().resets == 1);
  // Tracking goes on from the new highest.
  gen.on_packet(kT0 + 20ms, 1203);
  CHECK(build_seqs(gen, kT0 + 20ms) == Seqs{1202});
  // A packet from far behind is ignored; a huge jump ahead resets.
  gen.on_packet(kT0 + 30ms, static_cast<std::uint16_t>(1203 + 40000));  // 25536 behind
  CHECK(gen.missing_count() == 1);
  gen.on_packet(kT0 + 40ms, static_cast<std::uint16_t>(1203 + 30000));
  CHECK(gen.missing_count() == 0);
  CHECK(gen.counters().resets == 2);
}

TEST_CASE("seq wrap-around") {
  NackGenerator gen;
  gen.on_packet(kT0, 65533);
  gen.on_packet(kT0, 65535);
  gen.on_packet(kT0, 2);  // 65534, 0, 1 missing
  CHECK(build_seqs(gen, kT0) == Seqs{65534, 0, 1});
  gen.on_packet(kT0 + 5ms, 0);
  CHECK(build_seqs(gen, kT0 + 150ms) == Seqs{65534, 1});
  // Old packets from before the wrap are still recognised.
  gen.on_packet(kT0 + 160ms, 65534);
  CHECK(build_seqs(gen, kT0 + 300ms) == Seqs{1});
}

TEST_CASE("duplicates and packets too far behind change nothing") {
  NackGenerator gen;
  gen.on_packet(kT0, 100);
  gen.on_packet(kT0, 102);
  gen.on_packet(kT0, 102);
  gen.on_packet(kT0, 100);
  gen.on_packet(kT0, 50);
  CHECK(gen.missing_count() == 1);
  CHECK(build_seqs(gen, kT0) == Seqs{101});
}

TEST_CASE("an output too small for every item: the rest stay due") {
  NackGenerator gen;
  gen.on_packet(kT0, 0);
  gen.on_packet(kT0, 2);                         // 1
  gen.on_packet(kT0, 40);                        // 3..39: items at 1 (1..17), 18 (18..34), 35 (35..39)
  CHECK(build_seqs(gen, kT0, 16).size() == 16);  // one item: 1, 3..17
  REQUIRE(gen.next_due());
  CHECK(*gen.next_due() == kT0);
  CHECK(build_seqs(gen, kT0, 20).size() == 22);  // two items: 18..39
  CHECK(*gen.next_due() == kT0 + 150ms);
  CHECK(build_seqs(gen, kT0, 15).empty());  // below kMinOutSize
}

TEST_CASE("the ring evicts seqs still missing 1024 seqs later") {
  NackConfig config;
  config.max_age = std::chrono::hours(1);
  config.max_tries = 1000;
  NackGenerator gen(config);
  for (int s = 0; s <= 3000; s += 2) gen.on_packet(kT0, static_cast<std::uint16_t>(s));
  // Odd seqs missing; only those within 1024 of the highest (3000) are kept.
  CHECK(gen.missing_count() == 512);
  CHECK(gen.counters().abandoned == 1500 - 512);
  const auto seqs = build_seqs(gen, kT0, 1 << 14);
  REQUIRE(seqs.size() == 512);
  CHECK(seqs.front() == 3000 - 1023);
  CHECK(seqs.back() == 2999);
}

TEST_CASE("time going backwards does not crash or send early") {
  NackGenerator gen;
  gen.on_packet(kT0, 1);
  gen.on_packet(kT0, 3);
  CHECK(build_seqs(gen, kT0) == Seqs{2});
  CHECK(build_seqs(gen, kT0 - 10s).empty());
  CHECK(build_seqs(gen, kT0 + 150ms) == Seqs{2});
}
