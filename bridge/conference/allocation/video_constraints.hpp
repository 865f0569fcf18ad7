// A receiver's wish for one video source: the largest height and frame rate it wants
// (ReceiverVideoConstraints; JVB's VideoConstraints.kt).
//
// -1 means unlimited, 0 means "send nothing" (a hard limit), a positive height is soft: the
// allocator still uses a source's lowest layer when no layer satisfies it (as JVB's allocator).
// `max_height` means the smaller video dimension, so portrait video works. `max_frame_rate` only
// matters as "0 = disabled"; JVB does not filter layers on non-zero values.
#pragma once

#include <map>
#include <string>

namespace jvb::allocation {

inline constexpr int kUnlimitedHeight = -1;
inline constexpr double kUnlimitedFrameRate = -1;

struct VideoConstraints {
  int max_height = kUnlimitedHeight;
  double max_frame_rate = kUnlimitedFrameRate;

  bool height_is_limited() const { return max_height != kUnlimitedHeight; }
  bool is_disabled() const { return max_height == 0 || max_frame_rate == 0; }

  // What JVB's message parser accepts: heights -1 or >= 0, frame rates -1 or >= 0 (NaN is not).
  // The bridge-channel parser rejects anything else before it reaches the allocator.
  bool is_valid() const {
    return (max_height == kUnlimitedHeight || max_height >= 0) &&
           (max_frame_rate == kUnlimitedFrameRate || max_frame_rate >= 0);
  }

  friend bool operator==(const VideoConstraints&, const VideoConstraints&) = default;
};

// "Forward nothing": the effective constraints of sources outside last-N or with video disabled.
inline constexpr VideoConstraints kNothing{0, kUnlimitedFrameRate};

// Per source name. std::less<> so that lookups by string_view do not allocate.
using ConstraintsMap = std::map<std::string, VideoConstraints, std::less<>>;

}  // namespace jvb::allocation
