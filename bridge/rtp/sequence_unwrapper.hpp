// Unwraps the 16-bit RTP sequence number and the 32-bit RTP timestamp (RFC 3550 §5.1) to 64 bits,
// once, on the way in; nothing after that does wrap-around arithmetic by hand. The same idea
// extends the transport-wide sequence number.
//
// Each value is placed at the unwrapped position closest to the previous value given to
// unwrap(): a forward step of less than half the range counts as newer (crossing a wrap adds
// 2^N), a larger one as older (a reordered or late packet, possibly from before a wrap). A step
// of exactly half the range counts as newer. The first value unwraps to itself, so values older
// than the first one are negative.
//
// One instance per stream; not thread-safe. Header-only, no allocation.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

namespace jvb::rtp {

template <class T>
class Unwrapper {
  static_assert(std::is_unsigned_v<T> && sizeof(T) < sizeof(std::int64_t));

 public:
  static constexpr std::int64_t kRange = std::int64_t{1} << std::numeric_limits<T>::digits;

  // The unwrapped value of `value`; it becomes the reference for the next call.
  constexpr std::int64_t unwrap(T value) {
    const std::int64_t out = peek(value);
    last_ = out;
    return out;
  }

  // What unwrap(value) would return, without changing the reference.
  constexpr std::int64_t peek(T value) const {
    if (!last_) return value;
    const T last_low = static_cast<T>(*last_);
    const std::int64_t forward = static_cast<T>(value - last_low);  // in [0, kRange)
    const std::int64_t step = forward > kRange / 2 ? forward - kRange : forward;
    return *last_ + step;
  }

  constexpr std::optional<std::int64_t> last() const { return last_; }
  constexpr void reset() { last_.reset(); }

 private:
  std::optional<std::int64_t> last_;
};

using SequenceNumberUnwrapper = Unwrapper<std::uint16_t>;
using TimestampUnwrapper = Unwrapper<std::uint32_t>;

}  // namespace jvb::rtp
