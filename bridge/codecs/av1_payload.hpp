// The AV1 RTP payload's aggregation header (AV1 RTP Payload Format specification §4.4): the one
// byte in front of every AV1 payload, Z|Y|W W|N|0 0 0. What the bridge needs of it is N: set on
// the first packet of a coded video sequence, which starts with a sequence header and a key
// frame. The OBUs after it are not read.
#pragma once

#include <cstdint>
#include <span>

namespace jvb::codecs {

inline constexpr std::uint8_t kAv1NewCodedVideoSequence = 0x08;

// True for the first packet of a keyframe (a new coded video sequence).
inline bool is_av1_keyframe_start(std::span<const std::uint8_t> payload) {
  return !payload.empty() && (payload[0] & kAv1NewCodedVideoSequence) != 0;
}

}  // namespace jvb::codecs
