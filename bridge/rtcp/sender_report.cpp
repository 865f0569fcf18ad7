// Sender Report (RFC 3550 §6.4.1).
#include "bridge/rtcp/sender_report.hpp"

#include "bridge/core/byte_reader.hpp"

namespace jvb::rtcp {

Result<SenderReport, RtcpError> SenderReport::parse(const RtcpPacketView& packet) {
  if (packet.packet_type != kPtSenderReport) return unexpected(RtcpError::kWrongType);
  ByteReader r(packet.body);
  SenderReport sr;
  sr.sender_ssrc_ = r.u32();
  sr.info_.ntp_timestamp = r.u64();
  sr.info_.rtp_timestamp = r.u32();
  sr.info_.packet_count = r.u32();
  sr.info_.octet_count = r.u32();
  if (!r.ok()) return unexpected(RtcpError::kBadLength);
  auto blocks = r.bytes(packet.count * kReportBlockSize);
  if (!r.ok()) return unexpected(RtcpError::kBadCount);
  sr.blocks_ = ReportBlockList(blocks, packet.count);
  sr.extension_ = r.rest();
  return sr;
}

std::size_t sender_report_size(std::size_t block_count) {
  return kHeaderSize + 24 + block_count * kReportBlockSize;
}

Result<std::size_t, RtcpError> write_sender_report(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                                   const SenderInfo& info,
                                                   std::span<const ReportBlock> blocks) {
  if (blocks.size() > kMaxReportBlocks) return unexpected(RtcpError::kInvalidArgument);
  ByteWriter w(out);
  const auto start = begin_packet(w, static_cast<std::uint8_t>(blocks.size()), kPtSenderReport);
  w.u32(sender_ssrc);
  w.u64(info.ntp_timestamp);
  w.u32(info.rtp_timestamp);
  w.u32(info.packet_count);
  w.u32(info.octet_count);
  for (const auto& b : blocks) write_report_block(w, b);
  end_packet(w, start);
  if (!w.ok()) return unexpected(RtcpError::kBufferTooSmall);
  return w.offset();
}

}  // namespace jvb::rtcp
