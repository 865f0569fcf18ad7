// Receiver Report (RFC 3550 §6.4.2) and the report block shared with the Sender Report
// (RFC 3550 §6.4.1). The bridge terminates RRs (RTT, loss) and sends its own every 500 ms with
// at most 31 blocks (as JVB's RtcpRrGenerator does).
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |V=2|P|    RC   |   PT=RR=201   |             length            |
// |                     SSRC of packet sender                     |
// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
// |                 SSRC_1 (SSRC of first source)                 |  report
// | fraction lost |       cumulative number of packets lost       |  block,
// |           extended highest sequence number received           |  24 bytes
// |                      interarrival jitter                      |
// |                         last SR (LSR)                         |
// |                   delay since last SR (DLSR)                  |
// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
// |                  profile-specific extensions                  |
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "bridge/rtcp/rtcp_compound.hpp"

namespace jvb::rtcp {

inline constexpr std::size_t kReportBlockSize = 24;
inline constexpr std::size_t kMaxReportBlocks = 31;  // the 5-bit RC field

struct ReportBlock {
  std::uint32_t ssrc = 0;
  std::uint8_t fraction_lost = 0;    // 8-bit fixed point, lost/expected * 256
  std::int32_t cumulative_lost = 0;  // 24-bit signed on the wire (duplicates make it negative)
  std::uint32_t extended_highest_sequence = 0;
  std::uint32_t jitter = 0;
  std::uint32_t last_sr = 0;              // middle 32 bits of the SR's NTP time
  std::uint32_t delay_since_last_sr = 0;  // 1/65536 s
  bool operator==(const ReportBlock&) const = default;
};

// `count` report blocks laid out back to back; the bytes were checked by the parser.
class ReportBlockList {
 public:
  ReportBlockList() = default;
  ReportBlockList(std::span<const std::uint8_t> bytes, std::size_t count) : bytes_(bytes), count_(count) {}
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Block i < size() (an all-zero block otherwise).
  ReportBlock operator[](std::size_t i) const;

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t count_ = 0;
};

// Reads one block from 24 bytes; false if fewer.
bool read_report_block(std::span<const std::uint8_t> bytes, ReportBlock& out);
// Writes one block; cumulative_lost is clamped to the 24-bit signed range.
void write_report_block(ByteWriter& w, const ReportBlock& block);

class ReceiverReport {
 public:
  static Result<ReceiverReport, RtcpError> parse(const RtcpPacketView& packet);

  std::uint32_t sender_ssrc() const { return sender_ssrc_; }
  const ReportBlockList& report_blocks() const { return blocks_; }
  // Profile-specific extension bytes after the blocks (usually empty).
  std::span<const std::uint8_t> extension() const { return extension_; }

 private:
  std::uint32_t sender_ssrc_ = 0;
  ReportBlockList blocks_;
  std::span<const std::uint8_t> extension_;
};

std::size_t receiver_report_size(std::size_t block_count);
// kInvalidArgument for more than 31 blocks.
Result<std::size_t, RtcpError> write_receiver_report(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                                     std::span<const ReportBlock> blocks);

}  // namespace jvb::rtcp
