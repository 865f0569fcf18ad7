// Picture Loss Indication (RFC 4585 §6.3.1): a payload-specific feedback message with no FCI.
// Receivers' PLIs are forwarded to the media owner; the bridge also makes its own
// (JVB's KeyframeRequester).
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |V=2|P|  FMT=1  |    PT=206     |          length=2             |
// |                  SSRC of packet sender                        |
// |                  SSRC of media source                         |
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "bridge/rtcp/rtcp_compound.hpp"

namespace jvb::rtcp {

inline constexpr std::size_t kPliSize = 12;

struct Pli {
  std::uint32_t sender_ssrc = 0;
  std::uint32_t media_ssrc = 0;
  bool operator==(const Pli&) const = default;

  static Result<Pli, RtcpError> parse(const RtcpPacketView& packet);
};

Result<std::size_t, RtcpError> write_pli(std::span<std::uint8_t> out, const Pli& pli);

}  // namespace jvb::rtcp
