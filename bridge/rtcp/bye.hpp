// Goodbye (RFC 3550 §6.6). Terminated and ignored by the bridge (as JVB's RtcpTermination does);
// parsed so the compound walk can account for it, with a builder for tests and tools.
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |V=2|P|    SC   |   PT=BYE=203  |             length            |
// |                           SSRC/CSRC  (SC times)               |
// |     length    |               reason for leaving ...   (optional)
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "bridge/rtcp/rtcp_compound.hpp"

namespace jvb::rtcp {

class Bye {
 public:
  static Result<Bye, RtcpError> parse(const RtcpPacketView& packet);

  std::size_t ssrc_count() const { return count_; }
  std::uint32_t ssrc(std::size_t i) const;  // i < ssrc_count(); 0 otherwise
  std::string_view reason() const { return reason_; }

 private:
  std::span<const std::uint8_t> ssrcs_;
  std::size_t count_ = 0;
  std::string_view reason_;
};

// kInvalidArgument for more than 31 SSRCs or a reason over 255 bytes.
Result<std::size_t, RtcpError> write_bye(std::span<std::uint8_t> out, std::span<const std::uint32_t> ssrcs,
                                         std::string_view reason = {});

}  // namespace jvb::rtcp
