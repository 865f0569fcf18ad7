// RTP header extension values: audio level (RFC 6464), transport-wide sequence number,
// abs-send-time, MID/RID (RFC 8843, RFC 8852).
#include "bridge/rtp/rtp_extensions.hpp"

#include "bridge/core/byte_reader.hpp"
#include "bridge/core/byte_writer.hpp"

namespace jvb::rtp {

Result<AudioLevel, RtpError> parse_audio_level(std::span<const std::uint8_t> data) {
  if (data.empty()) return unexpected(RtpError::kBadExtensionValue);
  ByteReader r(data);
  const std::uint8_t b = r.u8();
  return AudioLevel{(b & 0x80) != 0, static_cast<std::uint8_t>(b & 0x7F)};
}

Result<std::size_t, RtpError> write_audio_level(std::span<std::uint8_t> out, AudioLevel value) {
  ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>((value.voice_activity ? 0x80 : 0) | (value.level & 0x7F)));
  if (!w.ok()) return unexpected(RtpError::kBufferTooSmall);
  return w.offset();
}

Result<std::uint16_t, RtpError> parse_transport_sequence_number(std::span<const std::uint8_t> data) {
  if (data.size() != 2 && data.size() != 4) return unexpected(RtpError::kBadExtensionValue);
  ByteReader r(data);
  return r.u16();
}

Result<std::size_t, RtpError> write_transport_sequence_number(std::span<std::uint8_t> out,
                                                              std::uint16_t seq) {
  ByteWriter w(out);
  w.u16(seq);
  if (!w.ok()) return unexpected(RtpError::kBufferTooSmall);
  return w.offset();
}

Result<std::uint32_t, RtpError> parse_abs_send_time(std::span<const std::uint8_t> data) {
  if (data.size() != kAbsSendTimeSize) return unexpected(RtpError::kBadExtensionValue);
  ByteReader r(data);
  return r.u24();
}

Result<std::size_t, RtpError> write_abs_send_time(std::span<std::uint8_t> out, std::uint32_t value) {
  ByteWriter w(out);
  w.u24(value);
  if (!w.ok()) return unexpected(RtpError::kBufferTooSmall);
  return w.offset();
}

std::uint32_t abs_send_time_from(std::chrono::microseconds time) {
  // 64 s = 2^24 units of 2^-18 s; reduce first so the shift cannot overflow.
  constexpr std::int64_t kWrapUs = 64'000'000;
  std::int64_t us = time.count() % kWrapUs;
  if (us < 0) us += kWrapUs;
  return static_cast<std::uint32_t>(((us << 18) + 500'000) / 1'000'000) & 0xFFFFFF;
}

std::chrono::microseconds abs_send_time_to_duration(std::uint32_t value) {
  const std::int64_t v = value & 0xFFFFFF;
  return std::chrono::microseconds((v * 1'000'000 + (1 << 17)) >> 18);
}

Result<std::string_view, RtpError> parse_sdes_value(std::span<const std::uint8_t> data) {
  if (data.empty() || data.size() > kMaxSdesValueSize) return unexpected(RtpError::kBadExtensionValue);
  for (auto c : data) {
    if (c < 0x21 || c > 0x7E) return unexpected(RtpError::kBadExtensionValue);
  }
  return std::string_view(reinterpret_cast<const char*>(data.data()), data.size());
}

Result<std::size_t, RtpError> write_sdes_value(std::span<std::uint8_t> out, std::string_view value) {
  if (value.empty() || value.size() > kMaxSdesValueSize) return unexpected(RtpError::kBadExtensionValue);
  for (unsigned char c : value) {
    if (c < 0x21 || c > 0x7E) return unexpected(RtpError::kBadExtensionValue);
  }
  ByteWriter w(out);
  w.bytes(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(value.data()), value.size()));
  if (!w.ok()) return unexpected(RtpError::kBufferTooSmall);
  return w.offset();
}

}  // namespace jvb::rtp
