// Groups acknowledged packets into send-time bursts and yields, for each pair of consecutive
// groups, how far apart they were sent and how far apart they arrived (libwebrtc's
// InterArrivalDelta, goog_cc/inter_arrival_delta.h). The difference of the two is the change in
// queueing delay that the trendline estimator follows.
//
// A group holds the packets sent within 5 ms of its first one. A packet that arrives within
// 5 ms of the group's last one, sooner than its send-time distance (it queued behind the group),
// and less than 100 ms after the group's first arrival, joins the group whatever its send time
// (a burst). Packets sent before the current group's first one are ignored (reordered). The
// state resets when the remote arrival clock jumps by 3 s or more against the local clock, or
// after three groups in a row arrive out of order.
//
// Part of one receiver's estimator; not thread-safe; no allocation.
#pragma once

#include <cstdint>
#include <optional>

#include "bridge/core/time.hpp"

namespace jvb::bwe {

class InterArrivalDelta {
 public:
  static constexpr Duration kDefaultGroupLength = std::chrono::milliseconds(5);
  static constexpr Duration kBurstDeltaThreshold = std::chrono::milliseconds(5);
  static constexpr Duration kMaxBurstDuration = std::chrono::milliseconds(100);
  static constexpr Duration kArrivalTimeOffsetThreshold = std::chrono::seconds(3);
  static constexpr int kReorderedResetThreshold = 3;

  struct Deltas {
    Duration send{};
    Duration arrival{};
    std::int64_t size_bytes = 0;
  };

  explicit InterArrivalDelta(Duration group_length = kDefaultGroupLength) : group_length_(group_length) {}

  // One acknowledged packet, in receive-time order. `local_time` is when the bridge learnt of
  // it (the feedback's arrival). Returns the deltas between the two previous groups when this
  // packet starts a new group.
  std::optional<Deltas> compute_deltas(Timestamp send_time, Timestamp arrival_time, Timestamp local_time,
                                       std::int64_t size_bytes);

  void reset();

  std::uint64_t resets() const { return resets_; }

 private:
  struct Group {
    bool started = false;
    std::int64_t size_bytes = 0;
    Timestamp first_send{};
    Timestamp send{};  // the latest send time in the group
    Timestamp first_arrival{};
    Timestamp complete{};  // the latest arrival in the group
    Timestamp last_local{};
  };

  bool starts_new_group(Timestamp arrival_time, Timestamp send_time) const;
  bool belongs_to_burst(Timestamp arrival_time, Timestamp send_time) const;

  Duration group_length_;
  Group current_;
  Group previous_;
  int consecutive_reordered_ = 0;
  std::uint64_t resets_ = 0;
};

}  // namespace jvb::bwe
