// A bounds-checked big-endian writer into a caller-provided byte span, for every wire-format
// serializer (each writes into its caller's buffer). A write that does not fit writes nothing and
// marks the writer overflowed ("sticky"): the caller checks ok() once at the end and learns how
// many bytes were written from offset(). Bytes before the failing write are left as written.
//
// Header-only and allocation-free.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace jvb {

class ByteWriter {
 public:
  constexpr ByteWriter() = default;
  constexpr explicit ByteWriter(std::span<std::uint8_t> out) : out_(out) {}

  // False once any write did not fit; stays false.
  [[nodiscard]] constexpr bool ok() const { return ok_; }
  constexpr std::size_t offset() const { return pos_; }
  constexpr std::size_t remaining() const { return out_.size() - pos_; }
  constexpr bool has(std::size_t n) const { return ok_ && n <= remaining(); }
  // Marks the writer failed, for a serializer that finds its output cannot be expressed.
  constexpr void set_failed() { ok_ = false; }
  // What has been written so far.
  constexpr std::span<std::uint8_t> written() const { return out_.first(pos_); }

  constexpr bool u8(std::uint8_t v) { return write_be(v, 1); }
  constexpr bool u16(std::uint16_t v) { return write_be(v, 2); }
  constexpr bool u24(std::uint32_t v) { return write_be(v & 0xFFFFFFu, 3); }
  constexpr bool u32(std::uint32_t v) { return write_be(v, 4); }
  constexpr bool u64(std::uint64_t v) { return write_be(v, 8); }

  constexpr bool bytes(std::span<const std::uint8_t> data) {
    if (!has(data.size())) return fail();
    std::copy(data.begin(), data.end(), out_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ += data.size();
    return true;
  }

  constexpr bool zeros(std::size_t n) {
    if (!has(n)) return fail();
    std::fill_n(out_.begin() + static_cast<std::ptrdiff_t>(pos_), n, std::uint8_t{0});
    pos_ += n;
    return true;
  }

  // Overwrites a field already written (a length filled in at the end); fails like a write if
  // [at, at + 2) is not inside what has been written.
  constexpr bool patch_u16(std::size_t at, std::uint16_t v) {
    if (!ok_ || at > pos_ || pos_ - at < 2) return fail();
    out_[at] = static_cast<std::uint8_t>(v >> 8);
    out_[at + 1] = static_cast<std::uint8_t>(v);
    return true;
  }
  constexpr bool patch_u8(std::size_t at, std::uint8_t v) {
    if (!ok_ || at >= pos_) return fail();
    out_[at] = v;
    return true;
  }

 private:
  constexpr bool fail() {
    ok_ = false;
    return false;
  }
  constexpr bool write_be(std::uint64_t v, std::size_t n) {
    if (!has(n)) return fail();
    for (std::size_t i = 0; i < n; ++i) out_[pos_ + i] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
    pos_ += n;
    return true;
  }

  std::span<std::uint8_t> out_{};
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace jvb
