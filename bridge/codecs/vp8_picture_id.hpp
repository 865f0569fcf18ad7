// Unwrapping of the VP8 PictureID (RFC 7741 §4.2) to 64 bits, for the code that rewrites it
// (the simulcast projection, SSRC rewriting): the field comes in a 7-bit or a 15-bit form, and a
// change of form restarts the unwrapped space. Pure; one instance per stream.
#pragma once

#include <cstdint>
#include <optional>

namespace jvb::codecs {

class Vp8PictureIdUnwrapper {
 public:
  // The value nearest to the previous one (a step of at most half the range either way).
  std::int64_t unwrap(std::uint16_t value, bool fifteen_bit);
  // True if a value of this form would restart the unwrapped space.
  bool form_differs(bool fifteen_bit) const { return last_ && fifteen_bit != fifteen_bit_; }
  void reset() { last_.reset(); }

 private:
  std::optional<std::int64_t> last_;
  bool fifteen_bit_ = true;
};

}  // namespace jvb::codecs
