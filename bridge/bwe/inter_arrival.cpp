// Send-time grouping and inter-group deltas for the delay-based estimator (libwebrtc
// goog_cc/inter_arrival_delta).
#include "bridge/bwe/inter_arrival.hpp"

#include <algorithm>

namespace jvb::bwe {

std::optional<InterArrivalDelta::Deltas> InterArrivalDelta::compute_deltas(Timestamp send_time,
                                                                           Timestamp arrival_time,
                                                                           Timestamp local_time,
                                                                           std::int64_t size_bytes) {
  std::optional<Deltas> out;
  if (!current_.started) {
    current_.started = true;
    current_.first_send = send_time;
    current_.send = send_time;
    current_.first_arrival = arrival_time;
  } else if (send_time < current_.first_send) {
    return std::nullopt;
  } else if (starts_new_group(arrival_time, send_time)) {
    if (previous_.started) {
      Deltas d;
      d.send = current_.send - previous_.send;
      d.arrival = current_.complete - previous_.complete;
      const Duration local_delta = current_.last_local - previous_.last_local;
      if (d.arrival - local_delta >= kArrivalTimeOffsetThreshold) {
        reset();
        return std::nullopt;
      }
      if (d.arrival < Duration::zero()) {
        if (++consecutive_reordered_ >= kReorderedResetThreshold) reset();
        return std::nullopt;
      }
      consecutive_reordered_ = 0;
      d.size_bytes = current_.size_bytes - previous_.size_bytes;
      out = d;
    }
    previous_ = current_;
    current_.first_send = send_time;
    current_.send = send_time;
    current_.first_arrival = arrival_time;
    current_.size_bytes = 0;
  } else {
    current_.send = std::max(current_.send, send_time);
  }
  current_.size_bytes += size_bytes;
  current_.complete = arrival_time;
  current_.last_local = local_time;
  return out;
}

bool InterArrivalDelta::starts_new_group(Timestamp arrival_time, Timestamp send_time) const {
  if (belongs_to_burst(arrival_time, send_time)) return false;
  return send_time - current_.first_send > group_length_;
}

bool InterArrivalDelta::belongs_to_burst(Timestamp arrival_time, Timestamp send_time) const {
  const Duration arrival_delta = arrival_time - current_.complete;
  const Duration send_delta = send_time - current_.send;
  if (send_delta == Duration::zero()) return true;
  const Duration propagation_delta = arrival_delta - send_delta;
  return propagation_delta < Duration::zero() && arrival_delta <= kBurstDeltaThreshold &&
         arrival_time - current_.first_arrival < kMaxBurstDuration;
}

void InterArrivalDelta::reset() {
  ++resets_;
  consecutive_reordered_ = 0;
  current_ = Group{};
  previous_ = Group{};
}

}  // namespace jvb::bwe
