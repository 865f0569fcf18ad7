// See round_trip.hpp.
#include "bridge/media/feedback/round_trip.hpp"

namespace jvb::media {

void RoundTrip::on_sender_report_sent(std::uint32_t ssrc, std::uint32_t compact_ntp, Timestamp now) {
  auto& slots = sent_[ssrc];
  if (slots[0].valid && slots[0].compact_ntp == compact_ntp) {
    slots[0].at = now;  // the same SR again (a sender's repeat): the later send is what is answered
    return;
  }
  slots[1] = slots[0];
  slots[0] = {compact_ntp, now, true};
}

std::optional<Duration> RoundTrip::on_report_block(const rtcp::ReportBlock& block, Timestamp now) {
  // No SR received yet on that SSRC: nothing to measure.
  if (block.last_sr == 0 && block.delay_since_last_sr == 0) return std::nullopt;
  auto it = sent_.find(block.ssrc);
  const Sent* match = nullptr;
  if (it != sent_.end()) {
    for (const Sent& s : it->second) {
      if (s.valid && s.compact_ntp == block.last_sr) match = &s;
    }
  }
  if (!match) {
    ++unmatched_;
    return std::nullopt;
  }
  // DLSR is in 1/65536 s.
  const auto delay = std::chrono::duration_cast<Duration>(
      std::chrono::microseconds((static_cast<std::uint64_t>(block.delay_since_last_sr) * 1'000'000) >> 16));
  const Duration rtt = now - match->at - delay;
  if (delay > kMaxDelaySinceLastSr || rtt < Duration::zero() || rtt > kMaxRoundTrip) {
    ++implausible_;
    return std::nullopt;
  }
  latest_ = rtt;
  return rtt;
}

}  // namespace jvb::media
