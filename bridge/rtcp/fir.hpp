// Full Intra Request (RFC 5104 §4.3.1). Forwarded only to senders without PLI support, with the
// bridge's own sequence number, and sent by the bridge when PLI is not supported (as JVB's
// KeyframeRequester does). The media source SSRC of the common header is unused (0, RFC 5104
// §4.3.1.2); the FCI entries name the targets.
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |V=2|P|  FMT=4  |    PT=206     |          length               |
// |                  SSRC of packet sender                        |
// |                  SSRC of media source (0)                     |
// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
// |                              SSRC                             |  FCI entry,
// | Seq nr.       |    Reserved                                   |  repeated
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "bridge/rtcp/rtcp_compound.hpp"

namespace jvb::rtcp {

struct FirEntry {
  std::uint32_t ssrc = 0;
  std::uint8_t sequence_number = 0;
  bool operator==(const FirEntry&) const = default;
};

class Fir {
 public:
  // At least one FCI entry is required (RFC 5104 §4.3.1.2).
  static Result<Fir, RtcpError> parse(const RtcpPacketView& packet);

  std::uint32_t sender_ssrc() const { return sender_ssrc_; }
  std::uint32_t media_ssrc() const { return media_ssrc_; }
  std::size_t entry_count() const { return entries_.size() / 8; }
  FirEntry entry(std::size_t i) const;  // i < entry_count(); zero otherwise

 private:
  std::uint32_t sender_ssrc_ = 0;
  std::uint32_t media_ssrc_ = 0;
  std::span<const std::uint8_t> entries_;
};

// kInvalidArgument for no entries.
Result<std::size_t, RtcpError> write_fir(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                         std::span<const FirEntry> entries);

}  // namespace jvb::rtcp
