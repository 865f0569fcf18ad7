// See receive_stats.hpp.
#include "tools/loadgen/receive_stats.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace jvb::loadgen {

// ---- LatencyHistogram ----

LatencyHistogram::LatencyHistogram() : buckets_(kBuckets, 0) {}

std::size_t LatencyHistogram::bucket_of(std::uint64_t us) {
  us = std::min<std::uint64_t>(us, 0xFFFFFFFFu);
  if (us < kSubBuckets) return static_cast<std::size_t>(us);
  auto msb = static_cast<std::size_t>(std::bit_width(us) - 1);  // >= 6
  auto sub = static_cast<std::size_t>(us >> (msb - 5));         // 32..63
  return kSubBuckets + (msb - 6) * (kSubBuckets / 2) + (sub - kSubBuckets / 2);
}

std::uint64_t LatencyHistogram::bucket_value(std::size_t bucket) {
  if (bucket < kSubBuckets) return bucket;
  std::size_t msb = (bucket - kSubBuckets) / (kSubBuckets / 2) + 6;
  std::uint64_t sub = (bucket - kSubBuckets) % (kSubBuckets / 2) + kSubBuckets / 2;
  std::uint64_t width = std::uint64_t{1} << (msb - 5);
  return sub * width + width / 2;
}

void LatencyHistogram::add(std::chrono::microseconds sample) {
  std::int64_t us = std::max<std::int64_t>(0, sample.count());
  ++buckets_[bucket_of(static_cast<std::uint64_t>(us))];
  ++count_;
  sum_ += static_cast<long double>(us);
  max_ = std::max(max_, us);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::clear() {
  std::fill(buckets_.begin(), buckets_.end(), 0);
  count_ = 0;
  sum_ = 0;
  max_ = 0;
}

std::optional<std::chrono::microseconds> LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return std::nullopt;
  p = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      // Never above the largest sample (the top bucket's middle may be).
      auto value = static_cast<std::int64_t>(bucket_value(i));
      return std::chrono::microseconds(std::min(value, max_));
    }
  }
  return std::chrono::microseconds(max_);
}

std::optional<std::chrono::microseconds> LatencyHistogram::mean() const {
  if (count_ == 0) return std::nullopt;
  return std::chrono::microseconds(static_cast<std::int64_t>(sum_ / static_cast<long double>(count_)));
}

// ---- StreamReceiveStats ----

StreamReceiveStats::StreamReceiveStats() : window_(kWindow, std::numeric_limits<std::int64_t>::min()) {}

Arrival StreamReceiveStats::on_packet(std::uint16_t seq, std::size_t wire_bytes, bool repaired) {
  ++packets_;
  bytes_ += wire_bytes;
  std::int64_t u = unwrapper_.peek(seq);
  if (u <= floor_ || (highest_ && u + static_cast<std::int64_t>(kWindow) <= *highest_)) {
    ++too_old_;
    return Arrival::kTooOld;
  }
  std::int64_t& slot = window_[static_cast<std::size_t>(u) & (kWindow - 1)];
  if (slot == u) {
    ++duplicates_;
    return Arrival::kDuplicate;
  }
  slot = u;
  ++received_;
  if (repaired) ++repaired_;
  if (!highest_ || u > *highest_) {
    unwrapper_.unwrap(seq);
    highest_ = u;
    if (!first_) first_ = u;
    return repaired ? Arrival::kRepaired : Arrival::kNew;
  }
  if (first_ && u < *first_) first_ = u;  // reordered across the first packet of the measurement
  if (repaired) return Arrival::kRepaired;
  ++reordered_;
  return Arrival::kLate;
}

void StreamReceiveStats::reset() {
  // Numbers above the highest so far are expected, even if the next one to arrive skips some.
  if (highest_) {
    floor_ = *highest_;
    first_ = *highest_ + 1;
  } else {
    first_.reset();
  }
  packets_ = bytes_ = received_ = repaired_ = reordered_ = duplicates_ = too_old_ = 0;
}

std::int64_t StreamReceiveStats::expected() const {
  if (!first_ || !highest_) return 0;
  return *highest_ - *first_ + 1;
}

std::int64_t StreamReceiveStats::lost() const {
  return std::max<std::int64_t>(0, expected() - static_cast<std::int64_t>(received_));
}

}  // namespace jvb::loadgen
