// RTP retransmission payload format (RFC 4588 §4) as the bridge uses it in both directions:
//   - build_rtx_packet: a NACKed packet from the packet cache, resent to a receiver on its RTX
//     stream (as JVB's RetransmissionSender): same header (marker, timestamp, CSRCs, extensions)
//     but the RTX SSRC, RTX payload type and the RTX stream's own seq; the payload is the original
//     seq (OSN, 2 bytes, network order) followed by the original payload. Padding is not carried
//     over (the P bit is cleared), as RFC 4588 §4 lets the retransmission pad on its own.
//   - decapsulate_rtx: an RTX packet from a sender turned back into the original in place
//     (as JVB's RtxHandler): seq from the OSN, the 2 bytes removed, the original SSRC
//     (the FID partner) and payload type (`apt`) restored, padding removed. A packet whose
//     payload (without padding) is shorter than 2 bytes is a padding-only probe: refused with
//     kNoOriginalSequence for the caller to drop and count as padding.
//
//      0                   1                   2                   3
//      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//     |                         RTP Header (RTX SSRC, PT, seq)        |
//     |            OSN                |                               |
//     |                  Original RTP Packet Payload                  |
//
// Pure functions, any thread, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "bridge/core/result.hpp"

namespace jvb::media {

enum class RtxError : std::uint8_t {
  kMalformed,           // not a valid RTP packet (rtp::RtpPacket::parse refused it)
  kNoOriginalSequence,  // payload shorter than the 2-byte OSN: padding-only / probe
  kBufferTooSmall,      // `out` cannot hold the RTX packet
  kInvalidArgument,     // a payload type above 127
};
const char* rtx_error_name(RtxError error);

inline constexpr std::size_t kRtxHeaderSize = 2;  // the OSN

// Writes the RTX form of `original` into `out` (which must not overlap it) and returns its
// size: original size - padding + 2.
Result<std::size_t, RtxError> build_rtx_packet(std::span<const std::uint8_t> original, std::uint32_t rtx_ssrc,
                                               std::uint8_t rtx_pt, std::uint16_t rtx_seq,
                                               std::span<std::uint8_t> out);

// Rewrites the RTX packet in `packet` into the original packet in place and returns its new
// size. The packet is unchanged on error.
Result<std::size_t, RtxError> decapsulate_rtx(std::span<std::uint8_t> packet, std::uint32_t original_ssrc,
                                              std::uint8_t original_pt);

}  // namespace jvb::media
