// A bounds-checked big-endian reader over a read-only byte span, for every wire-format parser
// (parsers read fields through it, never by casting bytes to structs). Reading past the end never
// touches memory outside the span: it returns zero (or an empty span), and the reader stays failed
// from then on ("sticky"), so a parser can read a run of fields and check ok() once at the end.
//
// Header-only and allocation-free; a value type, cheap to copy (a span and two integers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace jvb {

class ByteReader {
 public:
  constexpr ByteReader() = default;
  constexpr explicit ByteReader(std::span<const std::uint8_t> data) : data_(data) {}

  // False once any read or skip ran past the end; stays false.
  [[nodiscard]] constexpr bool ok() const { return ok_; }
  constexpr std::size_t offset() const { return pos_; }
  constexpr std::size_t remaining() const { return data_.size() - pos_; }
  constexpr bool has(std::size_t n) const { return ok_ && n <= remaining(); }
  constexpr std::span<const std::uint8_t> data() const { return data_; }
  // The unread bytes (empty after a failure).
  constexpr std::span<const std::uint8_t> rest() const {
    return ok_ ? data_.subspan(pos_) : std::span<const std::uint8_t>{};
  }

  constexpr std::uint8_t u8() { return static_cast<std::uint8_t>(read_be(1)); }
  constexpr std::uint16_t u16() { return static_cast<std::uint16_t>(read_be(2)); }
  constexpr std::uint32_t u24() { return static_cast<std::uint32_t>(read_be(3)); }
  constexpr std::uint32_t u32() { return static_cast<std::uint32_t>(read_be(4)); }
  constexpr std::uint64_t u64() { return read_be(8); }

  // The next n bytes as a view into the underlying span (empty and failed if fewer remain).
  constexpr std::span<const std::uint8_t> bytes(std::size_t n) {
    if (!has(n)) {
      fail();
      return {};
    }
    auto out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

  constexpr bool skip(std::size_t n) {
    if (!has(n)) {
      fail();
      return false;
    }
    pos_ += n;
    return true;
  }

  // The next byte without consuming it (0 and failed if none).
  constexpr std::uint8_t peek_u8() {
    if (!has(1)) {
      fail();
      return 0;
    }
    return data_[pos_];
  }

 private:
  constexpr void fail() {
    ok_ = false;
    pos_ = data_.size();
  }
  constexpr std::uint64_t read_be(std::size_t n) {
    if (!has(n)) {
      fail();
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | data_[pos_ + i];
    pos_ += n;
    return v;
  }

  std::span<const std::uint8_t> data_{};
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace jvb
