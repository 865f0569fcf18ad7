// Sender Reports forwarded to a receiver (JVB's RtcpTermination and RtcpSrUpdater, RFC 3550
// §6.4.1): the sender info of a sender's SR, re-issued as the SR of the stream the receiver
// actually gets:
//   - report blocks stripped (they describe what the sender receives, not our business);
//   - SSRC replaced by the projected (output) SSRC;
//   - RTP timestamp translated into the output timeline by the projection's mapping, so that it
//     still pairs with the NTP time (lip sync). We translate the SR of the encoding actually
//     projected, the recommended behaviour rather than JVB's quirk of forwarding it unmodified;
//   - NTP time kept (the original sender's clock keeps A/V sync);
//   - packet and octet counts replaced by what the bridge sent on that SSRC to this receiver,
//     when given; an SR for an SSRC on which nothing was sent is dropped (kNothingSent).
// The result is a lone SR (reduced-size RTCP, RFC 5506; JVB never sends compound RTCP either).
//
// Pure functions, any thread, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "bridge/core/result.hpp"
#include "bridge/rtcp/sender_report.hpp"

namespace jvb::media {

enum class SrTranslateError : std::uint8_t {
  kNoMapping,       // the projection has no timestamp mapping (yet): do not forward
  kNothingSent,     // nothing was sent on the projected SSRC to this receiver: do not forward
  kBufferTooSmall,  // `out` is shorter than rtcp::sender_report_size(0) (28 bytes)
};
const char* sr_translate_error_name(SrTranslateError error);

// What the bridge sent on the projected SSRC to this receiver (RFC 3550 §6.4.1 sender's
// packet and octet counts, wrapping modulo 2^32).
struct SentCounts {
  std::uint32_t packets = 0;
  std::uint32_t octets = 0;
};

// Writes the translated SR with the already translated `rtp_timestamp`.
Result<std::size_t, SrTranslateError> write_translated_sender_report(const rtcp::SenderReport& sr,
                                                                     std::uint32_t projected_ssrc,
                                                                     std::uint32_t rtp_timestamp,
                                                                     std::optional<SentCounts> sent,
                                                                     std::span<std::uint8_t> out);

// The same, with the RTP timestamp mapped by `map_timestamp`, a callable
// std::optional<std::uint32_t>(std::uint32_t) (empty: no mapping, kNoMapping). Called once,
// before anything is written; it must not call back into the caller's state being updated.
template <class MapTimestamp>
Result<std::size_t, SrTranslateError> translate_sender_report(const rtcp::SenderReport& sr,
                                                              std::uint32_t projected_ssrc,
                                                              MapTimestamp&& map_timestamp,
                                                              std::optional<SentCounts> sent,
                                                              std::span<std::uint8_t> out) {
  const std::optional<std::uint32_t> ts = map_timestamp(sr.sender_info().rtp_timestamp);
  if (!ts) return unexpected(SrTranslateError::kNoMapping);
  return write_translated_sender_report(sr, projected_ssrc, *ts, sent, out);
}

}  // namespace jvb::media
