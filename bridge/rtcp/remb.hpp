// Receiver Estimated Maximum Bitrate (draft-alvestrand-rmcat-remb-03 §2.2), an application
// layer feedback message (RFC 4585 §6.4). Used as a receiver's estimate only when it did not
// negotiate transport-cc; appended by the bridge to its RRs in REMB mode (JVB's RembHandler and
// RemoteBandwidthEstimator).
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |V=2|P| FMT=15  |   PT=206      |             length            |
// |                  SSRC of packet sender                        |
// |                  SSRC of media source (0)                     |
// |  Unique identifier 'R' 'E' 'M' 'B'                            |
// |  Num SSRC     | BR Exp    |  BR Mantissa (18 bits)            |
// |   SSRC feedback (Num SSRC times)                              |
//
// Bitrate = mantissa * 2^exp bits per second.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "bridge/rtcp/rtcp_compound.hpp"

namespace jvb::rtcp {

class Remb {
 public:
  // kWrongType for another PT/FMT or an application-layer message that is not a REMB.
  static Result<Remb, RtcpError> parse(const RtcpPacketView& packet);

  std::uint32_t sender_ssrc() const { return sender_ssrc_; }
  std::uint32_t media_ssrc() const { return media_ssrc_; }
  // Saturates at UINT64_MAX for exponents that would overflow.
  std::uint64_t bitrate_bps() const { return bitrate_bps_; }
  std::size_t ssrc_count() const { return ssrcs_.size() / 4; }
  std::uint32_t ssrc(std::size_t i) const;  // i < ssrc_count(); 0 otherwise

 private:
  std::uint32_t sender_ssrc_ = 0;
  std::uint32_t media_ssrc_ = 0;
  std::uint64_t bitrate_bps_ = 0;
  std::span<const std::uint8_t> ssrcs_;
};

// The bitrate is rounded down to what an 18-bit mantissa can express. kInvalidArgument for more
// than 255 SSRCs.
Result<std::size_t, RtcpError> write_remb(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                          std::uint64_t bitrate_bps, std::span<const std::uint32_t> ssrcs);

}  // namespace jvb::rtcp
