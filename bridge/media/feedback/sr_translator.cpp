// Sender Reports forwarded to a receiver (JVB's RtcpSrUpdater, RFC 3550 §6.4.1).
#include "bridge/media/feedback/sr_translator.hpp"

namespace jvb::media {

const char* sr_translate_error_name(SrTranslateError error) {
  switch (error) {
    case SrTranslateError::kNoMapping:
      return "no_mapping";
    case SrTranslateError::kNothingSent:
      return "nothing_sent";
    case SrTranslateError::kBufferTooSmall:
      return "buffer_too_small";
  }
  return "unknown";
}

Result<std::size_t, SrTranslateError> write_translated_sender_report(const rtcp::SenderReport& sr,
                                                                     std::uint32_t projected_ssrc,
                                                                     std::uint32_t rtp_timestamp,
                                                                     std::optional<SentCounts> sent,
                                                                     std::span<std::uint8_t> out) {
  if (sent && sent->packets == 0) return unexpected(SrTranslateError::kNothingSent);
  rtcp::SenderInfo info = sr.sender_info();
  info.rtp_timestamp = rtp_timestamp;
  if (sent) {
    info.packet_count = sent->packets;
    info.octet_count = sent->octets;
  }
  // No report blocks: only a buffer too small can fail.
  auto n = rtcp::write_sender_report(out, projected_ssrc, info);
  if (!n) return unexpected(SrTranslateError::kBufferTooSmall);
  return *n;
}

}  // namespace jvb::media
