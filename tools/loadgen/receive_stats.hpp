// What a synthetic receiver measures about the streams the bridge forwards to it:
//   - StreamReceiveStats, per remote SSRC: every arrival (packets, wire bytes), and loss from
//     sequence gaps after RTX repair (RFC 4588): a sequence number counts as received once,
//     whether it came as the original, late (reordered) or restored from an RTX packet; lost =
//     expected (highest - first + 1) - received; the loss before repair adds the repaired ones.
//     Sequence numbers are unwrapped to 64 bits once; a window of kWindow numbers tells
//     duplicates from late packets.
//   - LatencyHistogram: one-way added latency samples (receive time minus the send time the
//     sender put in the payload; generator and bridge share the machine's steady clock), in a
//     log-linear histogram (64 sub-buckets per power of two of microseconds, < 1.6% error), so
//     percentiles cost no per-sample memory.
//
// Pure: numbers in, numbers out. One owner (a synthetic endpoint); not thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "bridge/rtp/sequence_unwrapper.hpp"

namespace jvb::loadgen {

class LatencyHistogram {
 public:
  LatencyHistogram();

  // Negative samples (a clock step, or a send time from another machine) count as 0.
  void add(std::chrono::microseconds sample);
  void merge(const LatencyHistogram& other);
  void clear();

  std::uint64_t count() const { return count_; }
  // The smallest sample value v with at least p% of samples <= v (to bucket precision);
  // nullopt without samples. p in [0, 100].
  std::optional<std::chrono::microseconds> percentile(double p) const;
  std::optional<std::chrono::microseconds> mean() const;
  std::chrono::microseconds max() const { return std::chrono::microseconds(max_); }

  static std::size_t bucket_of(std::uint64_t us);
  static std::uint64_t bucket_value(std::size_t bucket);  // the middle of the bucket

 private:
  static constexpr std::size_t kSubBuckets = 64;
  static constexpr std::size_t kBuckets = kSubBuckets + (32 - 6) * (kSubBuckets / 2);
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  long double sum_ = 0;
  std::int64_t max_ = 0;
};

enum class Arrival : std::uint8_t {
  kNew,        // a sequence number above the highest so far
  kLate,       // below the highest, not received before: a reordered packet filling a gap
  kRepaired,   // restored from RTX, filling a gap
  kDuplicate,  // already received (a second copy, or an RTX for a packet that arrived)
  kTooOld,     // behind the window, or before the measurement started: not counted
};

class StreamReceiveStats {
 public:
  static constexpr std::size_t kWindow = 4096;  // a power of two

  StreamReceiveStats();

  // A packet of this stream arrived: `seq` is the original sequence number (for RTX, the one
  // it carried), `wire_bytes` the datagram size, `repaired` whether it came as RTX.
  Arrival on_packet(std::uint16_t seq, std::size_t wire_bytes, bool repaired);

  // Starts a new measurement: counts go to zero and only sequence numbers above the highest
  // one so far are expected from now on.
  void reset();

  std::uint64_t packets() const { return packets_; }  // every arrival, duplicates and RTX included
  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t received() const { return received_; }  // distinct sequence numbers
  std::uint64_t repaired() const { return repaired_; }
  std::uint64_t reordered() const { return reordered_; }
  std::uint64_t duplicates() const { return duplicates_; }
  std::uint64_t too_old() const { return too_old_; }
  std::int64_t expected() const;
  // Lost after RTX repair (never negative).
  std::int64_t lost() const;
  // Lost before repair: what RTX filled counts as lost.
  std::int64_t lost_before_repair() const { return lost() + static_cast<std::int64_t>(repaired_); }

 private:
  rtp::SequenceNumberUnwrapper unwrapper_;  // its reference is always the highest seq
  std::optional<std::int64_t> first_;       // the first seq of the measurement
  std::optional<std::int64_t> highest_;
  std::int64_t floor_ = std::numeric_limits<std::int64_t>::min();  // seqs at or below: before reset
  std::vector<std::int64_t> window_;                               // window_[seq % kWindow] == seq: received
  std::uint64_t packets_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t repaired_ = 0;
  std::uint64_t reordered_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t too_old_ = 0;
};

}  // namespace jvb::loadgen
