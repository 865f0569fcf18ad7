// Tests of bridge/codecs/bit_io.hpp: bit order, Exp-Golomb ue(v)/se(v) (H.264 §9.1), the
// non-symmetric ns(n) code (AV1 §4.10.7) both ways, and sticky failure at the ends.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "bridge/codecs/bit_io.hpp"

using namespace jvb::codecs;
using Bytes = std::vector<std::uint8_t>;

TEST_CASE("bits are read most significant first, across byte boundaries") {
  const Bytes data{0b10110011, 0b01011100};
  BitReader r(data);
  CHECK(r.bits(3) == 0b101);
  CHECK(r.bit());
  CHECK(r.bits(7) == 0b0011010);
  CHECK(r.bit_offset() == 11);
  CHECK(r.remaining_bits() == 5);
  CHECK(r.bits(5) == 0b11100);
  CHECK(r.ok());
  CHECK(r.bits(1) == 0);
  CHECK_FALSE(r.ok());
  CHECK(r.bits(0) == 0);  // stays failed
  CHECK_FALSE(r.ok());

  const Bytes four{0xDE, 0xAD, 0xBE, 0xEF, 0x80};
  BitReader w32(four);
  CHECK(w32.bits(32) == 0xDEADBEEFu);
  CHECK(w32.bits(33) == 0);
  CHECK_FALSE(w32.ok());
}

TEST_CASE("Exp-Golomb codes") {
  // 1 | 010 | 011 | 00100 | 00101 | 00111 | 0001000 : ue 0,1,2,3,4,6,7
  const Bytes data{0b10100110, 0b01000010, 0b10011100, 0b01000000};
  BitReader r(data);
  CHECK(r.ue() == 0);
  CHECK(r.ue() == 1);
  CHECK(r.ue() == 2);
  CHECK(r.ue() == 3);
  CHECK(r.ue() == 4);
  CHECK(r.ue() == 6);
  CHECK(r.ue() == 7);
  CHECK(r.ok());
  // se: 1, -1, 2, -2 are ue 1, 2, 3, 4.
  const Bytes signed_codes{0b01001100, 0b10000101, 0b00000000};
  BitReader s(signed_codes);
  CHECK(s.se() == 1);
  CHECK(s.se() == -1);
  CHECK(s.se() == 2);
  CHECK(s.se() == -2);
  CHECK(s.ok());
  // 31 leading zeros still fit; 32 do not.
  const Bytes max{0x00, 0x00, 0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xFE};
  BitReader m(max);
  CHECK(m.ue() == 0xFFFFFFFEu);
  CHECK(m.ok());
  const Bytes too_long{0x00, 0x00, 0x00, 0x00, 0x80};
  BitReader t(too_long);
  CHECK(t.ue() == 0);
  CHECK_FALSE(t.ok());
  const Bytes cut{0x01};  // 7 zeros, the 1, then 7 bits missing
  BitReader c(cut);
  CHECK(c.ue() == 0);
  CHECK_FALSE(c.ok());
}

TEST_CASE("ns(n) round trips for every value, and matches the AV1 code for n = 5") {
  for (std::uint32_t n = 1; n <= 40; ++n) {
    std::array<std::uint8_t, 64> buffer{};
    BitWriter w(buffer);
    for (std::uint32_t v = 0; v < n; ++v) CHECK(w.ns(v, n));
    CHECK(w.ok());
    BitReader r(std::span<const std::uint8_t>(buffer).first(w.bytes()));
    for (std::uint32_t v = 0; v < n; ++v) CHECK(r.ns(n) == v);
    CHECK(r.ok());
  }
  // n = 5: w = 3, m = 3: 0..2 in two bits, 3 and 4 as 110, 111.
  std::array<std::uint8_t, 2> out{};
  BitWriter w(out);
  w.ns(0, 5);
  w.ns(2, 5);
  w.ns(3, 5);
  w.ns(4, 5);
  CHECK(w.bit_offset() == 10);
  CHECK(out[0] == 0b00101101);
  CHECK(out[1] == 0b11000000);
  BitWriter bad(out);
  CHECK_FALSE(bad.ns(5, 5));
  CHECK_FALSE(bad.ok());
  BitWriter one(out);
  CHECK(one.ns(0, 1));
  CHECK(one.bit_offset() == 0);
}

TEST_CASE("the writer zeroes what it touches, pads, and fails without writing past the end") {
  std::array<std::uint8_t, 2> out{0xFF, 0xFF};
  BitWriter w(out);
  CHECK(w.bits(0b101, 3));
  CHECK(w.bytes() == 1);
  CHECK(out[0] == 0b10100000);
  CHECK(out[1] == 0xFF);  // not reached yet
  CHECK(w.pad_to_byte());
  CHECK(w.bit_offset() == 8);
  CHECK(w.pad_to_byte());  // already aligned
  CHECK(w.bit_offset() == 8);
  CHECK(w.bits(0xAB, 8));
  CHECK(out[1] == 0xAB);
  CHECK_FALSE(w.bit(true));
  CHECK_FALSE(w.ok());
  CHECK(w.bytes() == 2);
  std::array<std::uint8_t, 1> tiny{};
  BitWriter t(tiny);
  CHECK_FALSE(t.bits(0x1FF, 9));
  CHECK(t.bit_offset() == 0);
}
