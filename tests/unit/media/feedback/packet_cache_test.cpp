// Tests of bridge/media/feedback/packet_cache.hpp (JVB's packet cache and NackHandler): hit, miss,
// overwrite by a later seq in the same slot, age, oversize packets, seq wrap, the NACK RTT guard,
// the per-SSRC ring limit and expiry.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "bridge/media/feedback/packet_cache.hpp"

using namespace jvb;
using namespace jvb::media;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

namespace {

const Timestamp kT0 = Timestamp(1000s);

Bytes packet(std::uint16_t seq, std::size_t size = 100) {
  Bytes p(size);
  for (std::size_t i = 0; i < size; ++i) p[i] = static_cast<std::uint8_t>(seq + i);
  return p;
}

Bytes as_bytes(std::optional<std::span<const std::uint8_t>> s) {
  REQUIRE(s);
  return Bytes(s->begin(), s->end());
}

}  // namespace

TEST_CASE("store and find: hit, miss, other SSRC") {
  PacketCache cache;
  CHECK(cache.slots_per_ssrc() == 512);  // 500 rounded up to a power of two
  CHECK_FALSE(cache.find(kT0, 1, 10));
  cache.store(1, 10, kT0, packet(10));
  cache.store(1, 11, kT0, packet(11, 1500));
  CHECK(as_bytes(cache.find(kT0, 1, 10)) == packet(10));
  CHECK(as_bytes(cache.find(kT0 + 10ms, 1, 11)) == packet(11, 1500));
  CHECK_FALSE(cache.find(kT0, 1, 12));
  CHECK_FALSE(cache.find(kT0, 2, 10));
  CHECK(cache.ssrc_count() == 1);
  CHECK(cache.counters().stored == 2);
}

TEST_CASE("a later seq in the same slot overwrites; a re-store replaces the bytes") {
  PacketCache cache;
  cache.store(7, 5, kT0, packet(5));
  cache.store(7, 5 + 512, kT0, packet(5 + 512, 60));
  CHECK_FALSE(cache.find(kT0, 7, 5));
  CHECK(as_bytes(cache.find(kT0, 7, 5 + 512)) == packet(5 + 512, 60));
  cache.store(7, 5 + 512, kT0, packet(1, 30));
  CHECK(as_bytes(cache.find(kT0, 7, 5 + 512)) == packet(1, 30));
}

TEST_CASE("seq wrap keeps neighbours in distinct slots") {
  PacketCache cache;
  for (std::uint32_t s = 65000; s < 65536 + 100; ++s) {
    cache.store(3, static_cast<std::uint16_t>(s), kT0, packet(static_cast<std::uint16_t>(s), 20));
  }
  // The last 512 are all there.
  for (std::uint32_t s = 65536 + 100 - 512; s < 65536 + 100; ++s) {
    CHECK(cache.find(kT0, 3, static_cast<std::uint16_t>(s)));
  }
  CHECK_FALSE(cache.find(kT0, 3, static_cast<std::uint16_t>(65536 + 100 - 513)));
}

TEST_CASE("packets older than max_age are not returned") {
  PacketCache cache;
  cache.store(1, 1, kT0, packet(1));
  CHECK(cache.find(kT0 + 1s, 1, 1));
  CHECK_FALSE(cache.find(kT0 + 1001ms, 1, 1));
  PacketCacheConfig config;
  config.max_age = 100ms;
  PacketCache short_lived(config);
  short_lived.store(1, 1, kT0, packet(1));
  CHECK_FALSE(short_lived.find(kT0 + 101ms, 1, 1));
}

TEST_CASE("empty and oversize packets are rejected") {
  PacketCache cache;
  cache.store(1, 1, kT0, packet(1, 1501));
  cache.store(1, 2, kT0, {});
  CHECK(cache.counters().rejected == 2);
  CHECK_FALSE(cache.find(kT0, 1, 1));
  CHECK(cache.ssrc_count() == 0);
  // A rejected packet does not clobber the slot's previous one.
  cache.store(1, 3, kT0, packet(3));
  cache.store(1, 3, kT0, packet(3, 4000));
  CHECK(as_bytes(cache.find(kT0, 1, 3)) == packet(3));
}

TEST_CASE("NACK RTT guard") {
  PacketCache cache;
  cache.store(1, 100, kT0, packet(100));
  // RTT 100 ms: the guard is min(90 ms, 95 ms) = 90 ms since the last (re)send.
  CHECK_FALSE(cache.take_for_resend(kT0 + 50ms, 1, 100, 100ms));
  CHECK(cache.counters().suppressed == 1);
  CHECK(as_bytes(cache.take_for_resend(kT0 + 95ms, 1, 100, 100ms)) == packet(100));
  CHECK_FALSE(cache.take_for_resend(kT0 + 150ms, 1, 100, 100ms));  // 55 ms after the resend
  CHECK(cache.take_for_resend(kT0 + 185ms, 1, 100, 100ms));
  // Unknown RTT: always.
  CHECK(cache.take_for_resend(kT0 + 186ms, 1, 100, std::nullopt));
  // Small RTT: RTT - 5 ms is the smaller.
  cache.store(1, 101, kT0, packet(101));
  CHECK_FALSE(cache.take_for_resend(kT0 + 4ms, 1, 101, 10ms));
  CHECK(cache.take_for_resend(kT0 + 5ms, 1, 101, 10ms));
  // Not in cache: a counted miss.
  CHECK_FALSE(cache.take_for_resend(kT0, 1, 999, 100ms));
  CHECK_FALSE(cache.take_for_resend(kT0, 42, 100, 100ms));
  CHECK(cache.counters().misses == 2);
  CHECK(cache.counters().hits == 4);
}

TEST_CASE("at most max_ssrcs rings; the least recently used is reused") {
  PacketCacheConfig config;
  config.max_ssrcs = 2;
  config.packets_per_ssrc = 16;
  PacketCache cache(config);
  CHECK(cache.slots_per_ssrc() == 16);
  cache.store(1, 1, kT0, packet(1));
  cache.store(2, 1, kT0 + 1ms, packet(2));
  cache.store(1, 2, kT0 + 2ms, packet(3));  // 1 used more recently than 2
  cache.store(3, 1, kT0 + 3ms, packet(4));
  CHECK(cache.ssrc_count() == 2);
  CHECK(cache.counters().evicted_rings == 1);
  CHECK_FALSE(cache.find(kT0 + 3ms, 2, 1));
  CHECK(as_bytes(cache.find(kT0 + 3ms, 3, 1)) == packet(4));
  CHECK(as_bytes(cache.find(kT0 + 3ms, 1, 1)) == packet(1));
  // The reused ring's old content does not answer for the new SSRC.
  CHECK_FALSE(cache.find(kT0 + 3ms, 3, 2));
}

TEST_CASE("expire frees rings unused for 15 s") {
  PacketCache cache;
  cache.store(1, 1, kT0, packet(1));
  cache.store(2, 1, kT0 + 10s, packet(2));
  cache.expire(kT0 + 14s);
  CHECK(cache.ssrc_count() == 2);
  cache.expire(kT0 + 15s);
  CHECK(cache.ssrc_count() == 1);
  CHECK_FALSE(cache.find(kT0 + 15s, 1, 1));
  cache.expire(kT0 + 25s);
  CHECK(cache.ssrc_count() == 0);
}

// All SSRCs share one arena of real-sized packets: what it holds is the last arena_bytes written,
// whole packets only; anything older is a miss even when its slot still names its seq.
TEST_CASE("the arena holds the most recent bytes of every SSRC, and nothing written over") {
  PacketCacheConfig config;
  config.arena_bytes = 10'000;
  PacketCache cache(config);
  // 3 SSRCs, 1000-byte packets in turn: 30 packets written, only the last 10 fit.
  for (std::uint16_t seq = 0; seq < 10; ++seq) {
    for (std::uint32_t ssrc = 1; ssrc <= 3; ++ssrc) cache.store(ssrc, seq, kT0, packet(seq + ssrc, 1000));
  }
  int found = 0;
  for (std::uint16_t seq = 0; seq < 10; ++seq) {
    for (std::uint32_t ssrc = 1; ssrc <= 3; ++ssrc) {
      auto hit = cache.find(kT0, ssrc, seq);
      if (!hit) continue;
      ++found;
      CHECK(as_bytes(hit) == packet(seq + ssrc, 1000));  // never a mix of two packets
      CHECK(seq >= 6);                                   // only the newest (the last 10 of 30 stores) survive
    }
  }
  CHECK(found == 10);
  // A packet that does not fit before the arena's end starts at its beginning, whole.
  cache.store(4, 1, kT0, packet(77, 1500));
  CHECK(as_bytes(cache.find(kT0, 4, 1)) == packet(77, 1500));
  CHECK_FALSE(cache.find(kT0, 3, 6));  // the oldest survivor above, written over by it
  CHECK_FALSE(cache.find(kT0, 1, 7));  // its first 500 bytes too
  CHECK(cache.find(kT0, 2, 7));        // the next one is still whole
  // Larger than the arena: rejected, nothing else lost.
  PacketCacheConfig tiny;
  tiny.arena_bytes = 100;  // raised to max_packet_size
  PacketCache small(tiny);
  small.store(1, 1, kT0, packet(1, 1500));
  CHECK(as_bytes(small.find(kT0, 1, 1)) == packet(1, 1500));
}
