// Receiver Report generation (JVB's RtcpRrGenerator, RFC 3550 §6.4.2).
#include "bridge/media/feedback/rr_generator.hpp"

#include <algorithm>
#include <array>

#include "bridge/rtcp/receiver_report.hpp"

namespace jvb::media {

RrGenerator::RrGenerator(Duration period) : period_(period > Duration::zero() ? period : kDefaultPeriod) {}

void RrGenerator::start(Timestamp now) {
  if (!next_) next_ = now + period_;
}

std::optional<Timestamp> RrGenerator::next_due() const { return next_; }

std::size_t RrGenerator::build(Timestamp now, std::span<ReceiveStatistics* const> streams,
                               std::uint32_t sender_ssrc, std::span<std::uint8_t> out) {
  std::array<rtcp::ReportBlock, rtcp::kMaxReportBlocks> blocks;
  std::size_t written = 0;
  std::size_t next_stream = 0;
  bool complete = true;
  while (true) {
    // How many blocks fit in the next RR.
    const std::size_t room = out.size() - written;
    if (room < rtcp::receiver_report_size(1)) {
      complete = false;
      break;
    }
    const std::size_t fit =
        std::min(rtcp::kMaxReportBlocks, (room - rtcp::receiver_report_size(0)) / rtcp::kReportBlockSize);
    std::size_t count = 0;
    // report_block() closes a stream's interval, so take it only once the block has room.
    while (next_stream < streams.size() && count < fit) {
      ReceiveStatistics* s = streams[next_stream++];
      if (s == nullptr || !s->has_new_packets()) continue;
      blocks[count++] = s->report_block(now);
    }
    if (count == 0) break;
    auto n = rtcp::write_receiver_report(out.subspan(written), sender_ssrc,
                                         std::span<const rtcp::ReportBlock>(blocks.data(), count));
    // Cannot fail: at most 31 blocks and the size was checked above.
    if (!n) break;
    written += *n;
    ++reports_sent_;
  }
  if (!complete) {
    // Did a stream with new packets miss out?
    for (std::size_t i = next_stream; i < streams.size(); ++i) {
      if (streams[i] != nullptr && streams[i]->has_new_packets()) {
        // Due again at once, for the rest.
        if (!next_ || *next_ > now) next_ = now;
        return written;
      }
    }
  }
  // Whole periods from the schedule's start; a call that comes very late (or before start())
  // restarts it from now.
  if (next_ && now >= *next_ && now - *next_ < period_) {
    *next_ += period_;
  } else {
    next_ = now + period_;
  }
  return written;
}

}  // namespace jvb::media
