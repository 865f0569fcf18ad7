// Tests of bridge/core/byte_reader.hpp and byte_writer.hpp: big-endian fields, bounds, sticky
// failure.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "bridge/core/byte_reader.hpp"
#include "bridge/core/byte_writer.hpp"

using jvb::ByteReader;
using jvb::ByteWriter;

TEST_CASE("ByteReader reads big-endian fields in order") {
  const std::array<std::uint8_t, 18> data{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                          0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12};
  ByteReader r(data);
  CHECK(r.u8() == 0x01);
  CHECK(r.u16() == 0x0203);
  CHECK(r.u24() == 0x040506);
  CHECK(r.u32() == 0x0708090Au);
  CHECK(r.offset() == 10);
  CHECK(r.remaining() == 8);
  CHECK(r.u64() == 0x0B0C0D0E0F101112ull);
  CHECK(r.ok());
  CHECK(r.remaining() == 0);
}

TEST_CASE("ByteReader bytes, skip, peek and rest are views of the input") {
  const std::array<std::uint8_t, 6> data{1, 2, 3, 4, 5, 6};
  ByteReader r(data);
  CHECK(r.peek_u8() == 1);
  CHECK(r.offset() == 0);
  CHECK(r.skip(1));
  auto b = r.bytes(2);
  REQUIRE(b.size() == 2);
  CHECK(b.data() == data.data() + 1);
  CHECK(r.rest().size() == 3);
  CHECK(r.rest().data() == data.data() + 3);
  CHECK(r.has(3));
  CHECK_FALSE(r.has(4));
  CHECK(r.ok());
}

TEST_CASE("ByteReader fails on reads past the end, returns zero and stays failed") {
  const std::array<std::uint8_t, 3> data{0xFF, 0xFF, 0xFF};
  ByteReader r(data);
  CHECK(r.u16() == 0xFFFF);
  CHECK(r.u16() == 0);  // only one byte left
  CHECK_FALSE(r.ok());
  CHECK(r.remaining() == 0);
  CHECK(r.u8() == 0);  // the remaining byte is not readable after a failure
  CHECK(r.bytes(0).empty());
  CHECK_FALSE(r.ok());
  CHECK(r.rest().empty());
}

TEST_CASE("ByteReader skip and bytes past the end fail without moving into memory") {
  const std::array<std::uint8_t, 4> data{1, 2, 3, 4};
  ByteReader r(data);
  CHECK_FALSE(r.skip(5));
  CHECK_FALSE(r.ok());
  ByteReader r2(data);
  CHECK(r2.bytes(5).empty());
  CHECK_FALSE(r2.ok());
  ByteReader r3(data);
  CHECK(r3.bytes(static_cast<std::size_t>(-1)).empty());  // no overflow in the bound check
  CHECK_FALSE(r3.ok());
}

TEST_CASE("ByteReader over an empty span") {
  ByteReader r(std::span<const std::uint8_t>{});
  CHECK(r.remaining() == 0);
  CHECK(r.peek_u8() == 0);
  CHECK_FALSE(r.ok());
  ByteReader d;
  CHECK(d.ok());
  CHECK(d.u64() == 0);
  CHECK_FALSE(d.ok());
}

TEST_CASE("ByteWriter writes big-endian fields and reports its size") {
  std::array<std::uint8_t, 18> out{};
  ByteWriter w(out);
  CHECK(w.u8(0x01));
  CHECK(w.u16(0x0203));
  CHECK(w.u24(0xFF040506));  // the top byte is dropped
  CHECK(w.u32(0x0708090A));
  CHECK(w.u64(0x0B0C0D0E0F101112ull));
  CHECK(w.ok());
  CHECK(w.offset() == 18);
  CHECK(w.remaining() == 0);
  const std::array<std::uint8_t, 18> expected{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                              0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12};
  CHECK(out == expected);
}

TEST_CASE("ByteWriter overflow writes nothing and is sticky") {
  std::array<std::uint8_t, 5> out{};
  out.fill(0xAA);
  ByteWriter w(out);
  CHECK(w.u32(0x01020304));
  CHECK_FALSE(w.u16(0xFFFF));
  CHECK_FALSE(w.ok());
  CHECK(out[4] == 0xAA);  // the failed write left the byte alone
  CHECK_FALSE(w.u8(0));   // even though one byte would fit
  CHECK(out[4] == 0xAA);
  CHECK(w.offset() == 4);
  CHECK(w.written().size() == 4);
}

TEST_CASE("ByteWriter bytes, zeros and patches") {
  std::array<std::uint8_t, 8> out{};
  out.fill(0xEE);
  ByteWriter w(out);
  const std::array<std::uint8_t, 2> two{9, 8};
  CHECK(w.u16(0));
  CHECK(w.bytes(two));
  CHECK(w.zeros(2));
  CHECK(w.patch_u16(0, 0xBEEF));
  CHECK(w.patch_u8(2, 7));
  CHECK(w.ok());
  CHECK(out[0] == 0xBE);
  CHECK(out[1] == 0xEF);
  CHECK(out[2] == 7);
  CHECK(out[3] == 8);
  CHECK(out[4] == 0);
  CHECK(out[5] == 0);
  CHECK(out[6] == 0xEE);
  SUBCASE("a patch outside what was written fails") {
    CHECK_FALSE(w.patch_u16(5, 1));
    CHECK_FALSE(w.ok());
    CHECK(out[6] == 0xEE);
  }
  SUBCASE("set_failed marks the writer failed") {
    w.set_failed();
    CHECK_FALSE(w.ok());
  }
}

TEST_CASE("ByteWriter into an empty span") {
  ByteWriter w(std::span<std::uint8_t>{});
  CHECK_FALSE(w.u8(1));
  CHECK(w.offset() == 0);
  CHECK_FALSE(w.ok());
  ByteWriter w2(std::span<std::uint8_t>{});
  CHECK(w2.zeros(0));
  CHECK(w2.ok());
}
