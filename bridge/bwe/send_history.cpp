// The send-side history of transport-wide sequence numbers: sent packets in, transport-cc
// feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1) matched against them.
#include "bridge/bwe/send_history.hpp"

#include <algorithm>
#include <bit>

namespace jvb::bwe {

namespace {

// The reference time is a signed 24-bit count of 64 ms ticks.
constexpr std::chrono::microseconds kReferenceWrap = (std::int64_t{1} << 24) * rtcp::kTccReferenceTick;

std::chrono::microseconds wrap_corrected(std::chrono::microseconds delta) {
  // The shortest of delta, delta - wrap and delta + wrap.
  const auto magnitude = [](std::chrono::microseconds d) { return d < d.zero() ? -d : d; };
  if (magnitude(delta - kReferenceWrap) < magnitude(delta)) return delta - kReferenceWrap;
  if (magnitude(delta + kReferenceWrap) < magnitude(delta)) return delta + kReferenceWrap;
  return delta;
}

}  // namespace

SendHistory::SendHistory(std::size_t capacity)
    : slots_(std::bit_ceil(std::max<std::size_t>(capacity, 64))), results_(kMaxResultsPerFeedback) {
  mask_ = slots_.size() - 1;
}

SentPacket SendHistory::on_packet_sent(std::uint16_t transport_seq, std::int64_t size_bytes, Timestamp now,
                                       std::int32_t probe_cluster_id) {
  const std::int64_t seq = unwrapper_.unwrap(transport_seq);
  ++counters_.packets_sent;
  if (highest_sent_ && seq <= *highest_sent_) ++counters_.sent_out_of_order;
  highest_sent_ = std::max(seq, highest_sent_.value_or(seq));

  SentPacket sent;
  sent.sequence = seq;
  sent.send_time = now;
  sent.size_bytes = std::clamp<std::int64_t>(size_bytes, 0, 0xFFFF);
  sent.probe_cluster_id = probe_cluster_id;

  Slot& slot = slots_[static_cast<std::size_t>(seq) & mask_];
  // A late sequence number never displaces a newer packet sharing its slot.
  if (slot.sequence <= seq) {
    slot.sequence = seq;
    slot.send_time = now;
    slot.size_bytes = static_cast<std::uint16_t>(sent.size_bytes);
    slot.probe_cluster_id = probe_cluster_id;
    slot.received = false;
  }
  return sent;
}

void SendHistory::start_feedback(std::chrono::microseconds reference_time, Timestamp now) {
  ++counters_.feedbacks;
  feedback_now_ = now;
  if (!last_reference_) {
    anchor_ = now;
  } else {
    anchor_ += wrap_corrected(reference_time - *last_reference_);
    const Duration drift = anchor_ > now ? anchor_ - now : now - anchor_;
    if (drift > kMaxAnchorDrift) {
      anchor_ = now;
      ++counters_.reference_time_resets;
    }
  }
  last_reference_ = reference_time;
  result_count_ = 0;
  lost_ = 0;
  unmatched_ = 0;
}

void SendHistory::add_status(const rtcp::TccPacketStatus& status, std::chrono::microseconds reference_time) {
  ++counters_.reports;
  if (!unwrapper_.last()) {
    ++unmatched_;
    return;
  }
  const std::int64_t seq = unwrapper_.peek(status.sequence_number);
  Slot& slot = slots_[static_cast<std::size_t>(seq) & mask_];
  if (seq < 0 || slot.sequence != seq || slot.received || feedback_now_ - slot.send_time > kMaxAge) {
    ++unmatched_;
    return;
  }
  if (!status.received()) {
    ++lost_;
    return;
  }
  slot.received = true;
  if (result_count_ == results_.size()) {
    ++counters_.results_dropped;
    return;
  }
  PacketResult& r = results_[result_count_++];
  r.sent.sequence = seq;
  r.sent.send_time = slot.send_time;
  r.sent.size_bytes = slot.size_bytes;
  r.sent.probe_cluster_id = slot.probe_cluster_id;
  r.sent.probe_min_packets = 0;
  r.sent.probe_min_bytes = 0;
  r.receive_time = anchor_ + std::chrono::duration_cast<Duration>(status.arrival - reference_time);
}

FeedbackReport SendHistory::finish_feedback(Timestamp now) {
  counters_.reported_received += result_count_;
  counters_.reported_lost += lost_;
  counters_.unmatched += unmatched_;
  FeedbackReport report;
  report.feedback_time = now;
  report.received = std::span<PacketResult>(results_.data(), result_count_);
  report.lost = lost_;
  report.unmatched = unmatched_;
  return report;
}

FeedbackReport SendHistory::on_feedback(const rtcp::TransportFeedback& feedback, Timestamp now) {
  const std::chrono::microseconds reference = feedback.reference_time();
  start_feedback(reference, now);
  auto it = feedback.packets();
  while (auto status = it.next()) add_status(*status, reference);
  return finish_feedback(now);
}

FeedbackReport SendHistory::on_feedback(std::span<const rtcp::TccPacketStatus> statuses,
                                        std::chrono::microseconds reference_time, Timestamp now) {
  start_feedback(reference_time, now);
  for (const auto& status : statuses) add_status(status, reference_time);
  return finish_feedback(now);
}

}  // namespace jvb::bwe
