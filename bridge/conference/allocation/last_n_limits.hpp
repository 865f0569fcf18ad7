// The last-N caps of phase 2 (effective constraints): the conference-size table
// `videobridge.load-management.conference-last-n-limits` (JVB's reference.conf) and the rule
// that combines the receiver's lastN with the bridge-wide caps.
//
// Pure values; copy freely.
#pragma once

#include <iterator>
#include <map>
#include <utility>

namespace jvb::allocation {

// conference-last-n-limits, e.g. { 20 = 20, 30 = 15, 50 = 10 }. JVB's rule
// (ConferenceSizeLastNLimits: TreeMap.floorEntry): the limit of the largest size key that is
// <= the conference size; no such key (or an empty table, the default) means no limit (-1).
// So with the table above a conference of 19 is unlimited, 20..29 get 20, 30..49 get 15, and
// 50 or more get 10.
//
// The "conference size" JVB passes is the number of video sources the receiver could get
// (the other endpoints' sources, enabled or not) plus one for the receiver itself, not the
// number of endpoints (Prioritize.kt, marked FIXME there).
class LastNLimits {
 public:
  LastNLimits() = default;
  explicit LastNLimits(std::map<int, int> limits) : limits_(std::move(limits)) {}

  int limit_for(int conference_size) const {
    auto it = limits_.upper_bound(conference_size);
    if (it == limits_.begin()) return -1;
    return std::prev(it)->second;
  }

  bool empty() const { return limits_.empty(); }

 private:
  std::map<int, int> limits_;
};

// The bridge-side caps that phase 2 combines with the receiver's lastN. -1 = no cap.
struct LastNCaps {
  int jvb_last_n = -1;             // cc.jvb-last-n (the load reducer lowers it at run time)
  int conference_size_limit = -1;  // LastNLimits::limit_for(conference size), see above
  int ssrc_limit_video = 50;       // ssrc-limit.video; JVB applies it whether or not SSRC
                                   // rewriting is used
};

// The smallest of the receiver's lastN and the caps, ignoring "no limit" values; -1 when none
// limits. JVB (calculateLastN) ignores only exactly -1, so another negative value would make it
// drop every cap; here any negative value just means "no limit from this one" so that the
// bridge-wide caps always hold.
inline int effective_last_n(int receiver_last_n, const LastNCaps& caps) {
  int result = -1;
  for (int v : {receiver_last_n, caps.jvb_last_n, caps.conference_size_limit, caps.ssrc_limit_video}) {
    if (v >= 0 && (result < 0 || v < result)) result = v;
  }
  return result;
}

}  // namespace jvb::allocation
