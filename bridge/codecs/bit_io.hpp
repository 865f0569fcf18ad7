// Bit-level reading and writing, most significant bit first, for the bit-packed formats in
// bridge/codecs: H.264 parameter sets (ITU-T H.264 §7.2: u(n), ue(v), se(v) of §9.1) and the
// AV1 dependency descriptor (AV1 RTP specification Appendix A: f(n), ns(n) of AV1 §4.10.7).
// Like ByteReader and ByteWriter, failure is sticky: reading past the end returns zeros and a
// write that does not fit writes nothing, and the caller checks ok() once at the end.
//
// Header-only and allocation-free; value types over caller spans.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace jvb::codecs {

class BitReader {
 public:
  constexpr explicit BitReader(std::span<const std::uint8_t> data) : data_(data) {}

  [[nodiscard]] constexpr bool ok() const { return ok_; }
  constexpr std::size_t bit_offset() const { return pos_; }
  constexpr std::size_t remaining_bits() const { return data_.size() * 8 - pos_; }

  // f(n) / u(n), n <= 32.
  constexpr std::uint32_t bits(unsigned n) {
    if (n > 32 || !ok_ || n > remaining_bits()) return fail();
    std::uint32_t v = 0;
    for (unsigned i = 0; i < n; ++i) {
      v = (v << 1) | ((data_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1u);
      ++pos_;
    }
    return v;
  }
  constexpr bool bit() { return bits(1) != 0; }
  constexpr bool skip(std::size_t n) {
    if (!ok_ || n > remaining_bits()) return fail() != 0;
    pos_ += n;
    return true;
  }

  // ue(v): Exp-Golomb. More than 31 leading zeros would not fit 32 bits, so it fails.
  constexpr std::uint32_t ue() {
    unsigned zeros = 0;
    while (ok_ && !bit()) {
      if (++zeros > 31) return fail();
    }
    if (!ok_) return 0;
    const std::uint64_t v = ((std::uint64_t{1} << zeros) - 1) + bits(zeros);
    return ok_ ? static_cast<std::uint32_t>(v) : 0;
  }
  // se(v): signed Exp-Golomb, mapped 1, -1, 2, -2, ...
  constexpr std::int32_t se() {
    const std::uint32_t k = ue();
    const std::int64_t magnitude = (static_cast<std::int64_t>(k) + 1) / 2;
    return static_cast<std::int32_t>((k & 1) ? magnitude : -magnitude);
  }
  // ns(n): a value in [0, n) in the non-symmetric code; n = 0 or 1 reads nothing.
  constexpr std::uint32_t ns(std::uint32_t n) {
    if (n <= 1) return 0;
    unsigned w = 0;
    for (std::uint32_t x = n; x != 0; x >>= 1) ++w;
    const std::uint32_t m = (std::uint32_t{1} << w) - n;
    const std::uint32_t v = bits(w - 1);
    if (v < m) return v;
    const std::uint32_t extra = bits(1);
    return (v << 1) - m + extra;
  }

 private:
  constexpr std::uint32_t fail() {
    ok_ = false;
    pos_ = data_.size() * 8;
    return 0;
  }

  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

class BitWriter {
 public:
  constexpr explicit BitWriter(std::span<std::uint8_t> out) : out_(out) {}

  [[nodiscard]] constexpr bool ok() const { return ok_; }
  constexpr std::size_t bit_offset() const { return pos_; }
  // Bytes touched so far (a partly written last byte counts; its unwritten bits are zero).
  constexpr std::size_t bytes() const { return (pos_ + 7) / 8; }

  // The low n bits of v, n <= 32.
  constexpr bool bits(std::uint32_t v, unsigned n) {
    if (n > 32 || !ok_ || pos_ + n > out_.size() * 8) {
      ok_ = false;
      return false;
    }
    for (unsigned i = n; i > 0; --i) {
      const std::size_t byte = pos_ >> 3;
      const unsigned shift = 7 - (pos_ & 7);
      if (shift == 7) out_[byte] = 0;
      if ((v >> (i - 1)) & 1u) out_[byte] = static_cast<std::uint8_t>(out_[byte] | (1u << shift));
      ++pos_;
    }
    return true;
  }
  constexpr bool bit(bool b) { return bits(b ? 1 : 0, 1); }
  // The inverse of BitReader::ns; v must be below n.
  constexpr bool ns(std::uint32_t v, std::uint32_t n) {
    if (n <= 1) {
      if (v != 0) ok_ = false;
      return ok_;
    }
    if (v >= n) {
      ok_ = false;
      return false;
    }
    unsigned w = 0;
    for (std::uint32_t x = n; x != 0; x >>= 1) ++w;
    const std::uint32_t m = (std::uint32_t{1} << w) - n;
    if (v < m) return bits(v, w - 1);
    const std::uint32_t t = v + m;
    return bits(t >> 1, w - 1) && bits(t & 1, 1);
  }
  // Zero bits up to the next byte boundary.
  constexpr bool pad_to_byte() { return bits(0, static_cast<unsigned>((8 - (pos_ & 7)) & 7)); }

 private:
  std::span<std::uint8_t> out_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace jvb::codecs
