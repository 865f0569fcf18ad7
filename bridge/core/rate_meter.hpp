// Bytes and packets per second over a sliding one-second window of 20 buckets, for bitrate
// stats and "is sending" decisions. Time is passed in; one instance per stream and direction.
// Not thread-safe: owned by the thread that counts.
#pragma once

#include <array>
#include <cstdint>

#include "bridge/core/time.hpp"

namespace jvb {

class RateMeter {
 public:
  void add(Timestamp now, std::uint64_t bytes) {
    advance(now);
    buckets_[index_].bytes += bytes;
    ++buckets_[index_].packets;
    total_bytes_ += bytes;
    ++total_packets_;
  }

  // Bits per second over the last window.
  std::uint64_t bits_per_second(Timestamp now) {
    advance(now);
    std::uint64_t bytes = 0;
    for (const auto& b : buckets_) bytes += b.bytes;
    return bytes * 8 * 1000 / kWindowMs;
  }

  std::uint64_t packets_per_second(Timestamp now) {
    advance(now);
    std::uint64_t packets = 0;
    for (const auto& b : buckets_) packets += b.packets;
    return packets * 1000 / kWindowMs;
  }

  std::uint64_t total_bytes() const { return total_bytes_; }
  std::uint64_t total_packets() const { return total_packets_; }

 private:
  static constexpr std::int64_t kBucketMs = 50;
  static constexpr std::size_t kBuckets = 20;
  static constexpr std::int64_t kWindowMs = kBucketMs * kBuckets;

  struct Bucket {
    std::uint64_t bytes = 0;
    std::uint64_t packets = 0;
  };

  // Clears the buckets the clock moved past since the last call.
  void advance(Timestamp now) {
    std::int64_t slot =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() / kBucketMs;
    if (!started_) {
      started_ = true;
      slot_ = slot;
      return;
    }
    if (slot <= slot_) return;  // same bucket, or time went backwards: keep counting here
    std::int64_t steps = slot - slot_;
    if (steps >= static_cast<std::int64_t>(kBuckets)) {
      buckets_.fill({});
    } else {
      for (std::int64_t i = 0; i < steps; ++i) {
        index_ = (index_ + 1) % kBuckets;
        buckets_[index_] = {};
      }
    }
    slot_ = slot;
  }

  std::array<Bucket, kBuckets> buckets_{};
  std::size_t index_ = 0;
  std::int64_t slot_ = 0;
  bool started_ = false;
  std::uint64_t total_bytes_ = 0;
  std::uint64_t total_packets_ = 0;
};

}  // namespace jvb
