// See vp8_picture_id.hpp.
#include "bridge/codecs/vp8_picture_id.hpp"

namespace jvb::codecs {

std::int64_t Vp8PictureIdUnwrapper::unwrap(std::uint16_t value, bool fifteen_bit) {
  const std::int64_t range = fifteen_bit ? 0x8000 : 0x80;
  if (fifteen_bit != fifteen_bit_) {
    last_.reset();
    fifteen_bit_ = fifteen_bit;
  }
  std::int64_t out = value & (range - 1);
  if (last_) {
    const std::int64_t forward = (out - *last_) & (range - 1);  // in [0, range)
    out = *last_ + (forward > range / 2 ? forward - range : forward);
  }
  last_ = out;
  return out;
}

}  // namespace jvb::codecs
