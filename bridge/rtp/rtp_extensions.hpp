// Values of the RTP header extensions the bridge reads or writes (those Jicofo offers by default):
//   ssrc-audio-level (RFC 6464 §3): V flag + 7-bit level in -dBov;
//   transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2);
//   abs-send-time (webrtc.org experiments): 24-bit 6.18 fixed-point seconds;
//   sdes:mid (RFC 8843 §15) and sdes:rtp-stream-id / repaired-rtp-stream-id (RFC 8852 §3).
// They parse the `data` of a HeaderExtension (rtp_packet.hpp) and write into a caller buffer,
// returning the value length. Pure functions; no allocation.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "bridge/core/result.hpp"
#include "bridge/rtp/rtp_packet.hpp"

namespace jvb::rtp {

struct AudioLevel {
  bool voice_activity = false;
  std::uint8_t level = 127;  // -dBov, 0 loudest, 127 silence (RFC 6464 §3)
  bool operator==(const AudioLevel&) const = default;
};
inline constexpr std::size_t kAudioLevelSize = 1;
// Accepts the 1-byte value, and longer (zero-padded) ones that old senders used, reading byte 0.
Result<AudioLevel, RtpError> parse_audio_level(std::span<const std::uint8_t> data);
Result<std::size_t, RtpError> write_audio_level(std::span<std::uint8_t> out, AudioLevel value);

inline constexpr std::size_t kTransportSequenceNumberSize = 2;
// Accepts 2 bytes, or the 4-byte transport-wide-cc-02 form (its feedback request is ignored).
Result<std::uint16_t, RtpError> parse_transport_sequence_number(std::span<const std::uint8_t> data);
Result<std::size_t, RtpError> write_transport_sequence_number(std::span<std::uint8_t> out, std::uint16_t seq);

inline constexpr std::size_t kAbsSendTimeSize = 3;
// The raw 24-bit value: seconds in 6.18 fixed point, wrapping every 64 s.
Result<std::uint32_t, RtpError> parse_abs_send_time(std::span<const std::uint8_t> data);
Result<std::size_t, RtpError> write_abs_send_time(std::span<std::uint8_t> out, std::uint32_t value);
// Conversions between a time (on any clock, modulo 64 s) and the 24-bit value.
std::uint32_t abs_send_time_from(std::chrono::microseconds time);
std::chrono::microseconds abs_send_time_to_duration(std::uint32_t value);  // in [0, 64 s)

// MID and RID values: 1-255 bytes of visible ASCII (0x21-0x7E). The result views `data`.
inline constexpr std::size_t kMaxSdesValueSize = 255;
Result<std::string_view, RtpError> parse_sdes_value(std::span<const std::uint8_t> data);
Result<std::size_t, RtpError> write_sdes_value(std::span<std::uint8_t> out, std::string_view value);

}  // namespace jvb::rtp
