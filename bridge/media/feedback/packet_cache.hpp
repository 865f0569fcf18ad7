// Retransmission history of one receiver (JVB's packet cache, read by its NackHandler): the
// last packets sent to that receiver on each outgoing video SSRC, as plaintext RTP after all
// rewriting, so that a NACK from the receiver can be answered with the very bytes it missed.
//
// Per SSRC a fixed ring of slots indexed by sequence number (seq & mask): packets_per_ssrc
// (default 500, as JVB) rounded up to a power of two so the index stays contiguous across the
// 16-bit wrap. The bytes of all SSRCs go, at their real size, into one circular arena per
// receiver (arena_bytes, 1 MiB: a second of 8 Mbit/s); a slot answers only for the seq it
// holds, only while its bytes have not been written over, and only while that packet is younger
// than max_age (1 s: a retransmission older than that arrives too late for any jitter buffer,
// and a slow stream would otherwise resend stale packets). A fixed 1500-byte buffer per slot
// made a receiver of 25 videos hold 19 MB (2 GB for a room of 100); the arena holds what
// max_age can use. The arena is allocated at the first store, a ring's slots when an SSRC is
// first stored (not per packet); at most max_ssrcs rings exist (a new SSRC beyond that reuses
// the least recently used ring, without allocating), and expire() frees rings unused for
// idle_timeout (15 s, as JVB).
//
// One instance per receiving endpoint, on its media worker thread; not thread-safe. Views
// returned by find() are valid until the next store() or expire().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "bridge/core/time.hpp"

namespace jvb::media {

struct PacketCacheConfig {
  std::size_t packets_per_ssrc = 500;
  std::size_t max_packet_size = 1500;
  std::size_t max_ssrcs = 32;
  Duration max_age = std::chrono::seconds(1);
  Duration idle_timeout = std::chrono::seconds(15);
  std::size_t arena_bytes = std::size_t{1} << 20;
};

class PacketCache {
 public:
  explicit PacketCache(const PacketCacheConfig& config = {});

  // Copies `packet` (sent at `now` as (ssrc, seq)) into its slot, replacing what was there.
  // A packet larger than max_packet_size, or empty, is not stored (counted).
  void store(std::uint32_t ssrc, std::uint16_t seq, Timestamp now, std::span<const std::uint8_t> packet);

  // The stored packet, if its slot still holds that seq and it is younger than max_age at `now`.
  std::optional<std::span<const std::uint8_t>> find(Timestamp now, std::uint32_t ssrc,
                                                    std::uint16_t seq) const;

  // For a NACK (as JVB's NackHandler guards resends): the packet if found and either the RTT is
  // unknown or at least min(0.9 x RTT, RTT - 5 ms) passed since it was last (re)sent; then its send
  // time is refreshed. Misses and suppressed resends are counted.
  std::optional<std::span<const std::uint8_t>> take_for_resend(Timestamp now, std::uint32_t ssrc,
                                                               std::uint16_t seq,
                                                               std::optional<Duration> rtt);

  // Frees the rings of SSRCs that stored nothing for idle_timeout.
  void expire(Timestamp now);

  std::size_t ssrc_count() const { return rings_.size(); }
  std::size_t slots_per_ssrc() const { return slots_; }
  struct Counters {
    std::uint64_t stored = 0;
    std::uint64_t rejected = 0;       // empty or too large to store
    std::uint64_t evicted_rings = 0;  // rings reused for another SSRC
    std::uint64_t hits = 0;           // take_for_resend() found and returned
    std::uint64_t misses = 0;         // not stored, overwritten or too old
    std::uint64_t suppressed = 0;     // found but resent too recently
  };
  const Counters& counters() const { return counters_; }

 private:
  struct SlotMeta {
    bool used = false;
    std::uint16_t seq = 0;
    std::uint16_t size = 0;
    Timestamp stored{};
    Timestamp last_sent{};
    std::uint64_t position = 0;  // where its bytes start, counted over all the arena's writes
  };
  struct Ring {
    std::vector<SlotMeta> meta;
    Timestamp last_used{};
  };
  // The slot of `seq` in `ring` if it holds that seq, its bytes are intact and it is not older
  // than max_age.
  std::optional<std::size_t> slot_index(Timestamp now, const Ring& ring, std::uint16_t seq) const;
  std::span<const std::uint8_t> bytes_of(const SlotMeta& m) const;

  PacketCacheConfig config_;
  std::size_t slots_;
  std::unordered_map<std::uint32_t, Ring> rings_;
  std::vector<std::uint8_t> arena_;
  std::uint64_t written_ = 0;  // the end of the last packet, counted over all writes
  Counters counters_;
};

}  // namespace jvb::media
