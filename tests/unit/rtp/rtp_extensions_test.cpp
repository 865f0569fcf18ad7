// Tests of bridge/rtp/rtp_extensions.hpp: audio level (RFC 6464), transport-wide sequence
// number, abs-send-time, MID/RID values.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

#include "bridge/rtp/rtp_extensions.hpp"

using namespace jvb::rtp;
using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

TEST_CASE("audio level values (RFC 6464 §3)") {
  auto silent = parse_audio_level(Bytes{0x7F});
  REQUIRE(silent);
  CHECK_FALSE(silent->voice_activity);
  CHECK(silent->level == 127);
  auto loud = parse_audio_level(Bytes{0x85});
  REQUIRE(loud);
  CHECK(loud->voice_activity);
  CHECK(loud->level == 5);
  auto padded = parse_audio_level(Bytes{0x80, 0, 0, 0});
  REQUIRE(padded);
  CHECK(padded->voice_activity);
  CHECK(padded->level == 0);
  CHECK(parse_audio_level(Bytes{}).error() == RtpError::kBadExtensionValue);
}

TEST_CASE("audio level write round-trips and masks the level to 7 bits") {
  std::array<std::uint8_t, 1> out{};
  REQUIRE(*write_audio_level(out, AudioLevel{true, 5}) == 1);
  CHECK(out[0] == 0x85);
  REQUIRE(write_audio_level(out, AudioLevel{false, 0xFF}));
  CHECK(out[0] == 0x7F);
  CHECK(*parse_audio_level(out) == AudioLevel{false, 127});
  CHECK(write_audio_level(std::span<std::uint8_t>{}, AudioLevel{}).error() == RtpError::kBufferTooSmall);
}

TEST_CASE("transport-wide sequence number") {
  CHECK(*parse_transport_sequence_number(Bytes{0xAB, 0xCD}) == 0xABCD);
  CHECK(*parse_transport_sequence_number(Bytes{0x00, 0x01, 0x80, 0x05}) == 1);  // -02 form
  CHECK(parse_transport_sequence_number(Bytes{0x01}).error() == RtpError::kBadExtensionValue);
  CHECK(parse_transport_sequence_number(Bytes{1, 2, 3}).error() == RtpError::kBadExtensionValue);
  std::array<std::uint8_t, 2> out{};
  REQUIRE(*write_transport_sequence_number(out, 0xFFFE) == 2);
  CHECK(out == std::array<std::uint8_t, 2>{0xFF, 0xFE});
  std::array<std::uint8_t, 1> small{};
  CHECK(write_transport_sequence_number(small, 1).error() == RtpError::kBufferTooSmall);
}

TEST_CASE("abs-send-time") {
  CHECK(*parse_abs_send_time(Bytes{0x12, 0x34, 0x56}) == 0x123456u);
  CHECK(parse_abs_send_time(Bytes{0x12, 0x34}).error() == RtpError::kBadExtensionValue);
  std::array<std::uint8_t, 3> out{};
  REQUIRE(*write_abs_send_time(out, 0xFF123456) == 3);
  CHECK(out == std::array<std::uint8_t, 3>{0x12, 0x34, 0x56});
  // 1 s = 1 << 18; 0.5 s = 1 << 17; 64 s wraps to 0.
  CHECK(abs_send_time_from(1s) == (1u << 18));
  CHECK(abs_send_time_from(500ms) == (1u << 17));
  CHECK(abs_send_time_from(64s) == 0);
  CHECK(abs_send_time_from(65s) == (1u << 18));
  CHECK(abs_send_time_from(-1s) == (63u << 18));
  CHECK(abs_send_time_to_duration(1u << 18) == 1s);
  CHECK(abs_send_time_to_duration(0xFFFFFF) < 64s);
  // Resolution is about 3.8 us: a round trip stays within 2 us.
  const auto t = 12'345'678us;
  const auto back = abs_send_time_to_duration(abs_send_time_from(t));
  CHECK((back - t).count() <= 2);
  CHECK((t - back).count() <= 2);
}

TEST_CASE("MID and RID values") {
  const Bytes mid_bytes{'0'};
  auto mid = parse_sdes_value(mid_bytes);
  REQUIRE(mid);
  CHECK(*mid == "0");
  const Bytes rid_bytes{'h', 'i', '-', '_'};
  auto rid = parse_sdes_value(rid_bytes);
  REQUIRE(rid);
  CHECK(*rid == "hi-_");
  CHECK(rid->data() == reinterpret_cast<const char*>(rid_bytes.data()));  // a view, not a copy
  CHECK(parse_sdes_value(Bytes{}).error() == RtpError::kBadExtensionValue);
  CHECK(parse_sdes_value(Bytes{'a', 0}).error() == RtpError::kBadExtensionValue);
  CHECK(parse_sdes_value(Bytes{'a', ' '}).error() == RtpError::kBadExtensionValue);
  CHECK(parse_sdes_value(Bytes(256, 'a')).error() == RtpError::kBadExtensionValue);
  CHECK(parse_sdes_value(Bytes(255, 'a')));
  std::array<std::uint8_t, 4> out{};
  REQUIRE(*write_sdes_value(out, "q") == 1);
  CHECK(out[0] == 'q');
  CHECK(write_sdes_value(out, "").error() == RtpError::kBadExtensionValue);
  CHECK(write_sdes_value(out, "a b").error() == RtpError::kBadExtensionValue);
  CHECK(write_sdes_value(out, "abcde").error() == RtpError::kBufferTooSmall);
}
