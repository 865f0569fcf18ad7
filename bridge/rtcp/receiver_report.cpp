// Receiver Report and report blocks (RFC 3550 §6.4.1, §6.4.2).
#include "bridge/rtcp/receiver_report.hpp"

#include <algorithm>

#include "bridge/core/byte_reader.hpp"

namespace jvb::rtcp {

bool read_report_block(std::span<const std::uint8_t> bytes, ReportBlock& out) {
  ByteReader r(bytes);
  ReportBlock b;
  b.ssrc = r.u32();
  b.fraction_lost = r.u8();
  const std::uint32_t lost = r.u24();
  // Sign-extend the 24-bit two's complement value.
  b.cumulative_lost = static_cast<std::int32_t>(lost & 0x800000 ? lost | 0xFF000000u : lost);
  b.extended_highest_sequence = r.u32();
  b.jitter = r.u32();
  b.last_sr = r.u32();
  b.delay_since_last_sr = r.u32();
  if (!r.ok()) return false;
  out = b;
  return true;
}

void write_report_block(ByteWriter& w, const ReportBlock& block) {
  const std::int32_t lost = std::clamp<std::int32_t>(block.cumulative_lost, -0x800000, 0x7FFFFF);
  w.u32(block.ssrc);
  w.u8(block.fraction_lost);
  w.u24(static_cast<std::uint32_t>(lost) & 0xFFFFFF);
  w.u32(block.extended_highest_sequence);
  w.u32(block.jitter);
  w.u32(block.last_sr);
  w.u32(block.delay_since_last_sr);
}

ReportBlock ReportBlockList::operator[](std::size_t i) const {
  ReportBlock b;
  if (i < count_) (void)read_report_block(bytes_.subspan(i * kReportBlockSize, kReportBlockSize), b);
  return b;
}

Result<ReceiverReport, RtcpError> ReceiverReport::parse(const RtcpPacketView& packet) {
  if (packet.packet_type != kPtReceiverReport) return unexpected(RtcpError::kWrongType);
  ByteReader r(packet.body);
  ReceiverReport rr;
  rr.sender_ssrc_ = r.u32();
  if (!r.ok()) return unexpected(RtcpError::kBadLength);
  auto blocks = r.bytes(packet.count * kReportBlockSize);
  if (!r.ok()) return unexpected(RtcpError::kBadCount);
  rr.blocks_ = ReportBlockList(blocks, packet.count);
  rr.extension_ = r.rest();
  return rr;
}

std::size_t receiver_report_size(std::size_t block_count) {
  return kHeaderSize + 4 + block_count * kReportBlockSize;
}

Result<std::size_t, RtcpError> write_receiver_report(std::span<std::uint8_t> out, std::uint32_t sender_ssrc,
                                                     std::span<const ReportBlock> blocks) {
  if (blocks.size() > kMaxReportBlocks) return unexpected(RtcpError::kInvalidArgument);
  ByteWriter w(out);
  const auto start = begin_packet(w, static_cast<std::uint8_t>(blocks.size()), kPtReceiverReport);
  w.u32(sender_ssrc);
  for (const auto& b : blocks) write_report_block(w, b);
  end_packet(w, start);
  if (!w.ok()) return unexpected(RtcpError::kBufferTooSmall);
  return w.offset();
}

}  // namespace jvb::rtcp
