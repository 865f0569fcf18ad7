// Sender Report (RFC 3550 §6.4.1). The bridge never originates SRs; it forwards a sender's SR
// info to receivers with the report blocks stripped and SSRC/RTP time rewritten, keeps the NTP
// time for its RRs' LSR/DLSR, and reads the blocks like an RR's (JVB's RtcpTermination and
// RtcpSrUpdater).
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |V=2|P|    RC   |   PT=SR=200   |             length            |
// |                         SSRC of sender                        |
// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
// |              NTP timestamp, most significant word             |
// |             NTP timestamp, least significant word             |
// |                         RTP timestamp                         |
// |                     sender's packet count                     |
// |                      sender's octet count                     |
// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
// |                 report blocks (RC x 24 bytes)                 |
// |                  profile-specific extensions                  |
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "bridge/rtcp/receiver_report.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"

namespace jvb::rtcp {

struct SenderInfo {
  std::uint64_t ntp_timestamp = 0;  // 32.32 fixed-point seconds since 1900
  std::uint32_t rtp_timestamp = 0;
  std::uint32_t packet_count = 0;
  std::uint32_t octet_count = 0;
  // The middle 32 bits of the NTP time, as echoed in a report block's LSR.
  std::uint32_t compact_ntp() const { return static_cast<std::uint32_t>(ntp_timestamp >> 16); }
  bool operator==(const SenderInfo&) const = default;
};

class SenderReport {
 public:
  static Result<SenderReport, RtcpError> parse(const RtcpPacketView& packet);

  std::uint32_t sender_ssrc() const { return sender_ssrc_; }
  const SenderInfo& sender_info() const { return info_; }
  const ReportBlockList& report_blocks() const { return blocks_; }
  std::span<const std::uint8_t> extension() const { return extension_; }

 private:
  std::uint32_t sender_ssrc_ = 0;
  SenderInfo info_;
  ReportBlockList blocks_;
  std::span<const std::uint8_t> extension_;
};

std::size_t sender_report_size(std::size_t block_count);
// kInvalidArgument for more than 31 blocks.
Result<std::size_t, RtcpError> write_sender_report(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                                   const SenderInfo& info,
                                                   std::span<const ReportBlock> blocks = {});

}  // namespace jvb::rtcp
