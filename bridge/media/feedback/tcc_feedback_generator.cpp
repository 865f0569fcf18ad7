// Transport-wide congestion control feedback generation (JVB's TccGeneratorNode,
// draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
#include "bridge/media/feedback/tcc_feedback_generator.hpp"

#include <algorithm>

namespace jvb::media {

TransportCcFeedbackGenerator::TransportCcFeedbackGenerator(const TccFeedbackConfig& config)
    : config_(config) {
  if (config_.period <= Duration::zero()) config_.period = std::chrono::milliseconds(100);
  if (config_.early_statuses == 0 || config_.early_statuses > kCapacity) config_.early_statuses = kCapacity;
}

void TransportCcFeedbackGenerator::make_urgent(Timestamp when) {
  urgent_ = urgent_ ? std::min(*urgent_, when) : when;
}

void TransportCcFeedbackGenerator::on_packet(Timestamp now, std::uint16_t transport_seq, bool marker) {
  // The unwrapper's reference stays the newest seq, so a very late packet cannot shift how
  // the following ones unwrap.
  const std::int64_t ext = unwrapper_.peek(transport_seq);
  if (!newest_ || ext > *newest_) unwrapper_.unwrap(transport_seq);
  if (!newest_) {
    // The first packet starts the period but never triggers feedback itself.
    newest_ = ext;
    window_start_ = ext;
    reported_end_ = ext;
    last_feedback_ = now;
    slot(ext) = Slot{ext, now};
    ++counters_.packets;
    return;
  }
  constexpr auto kSpan = static_cast<std::int64_t>(kCapacity);
  Slot& sl = slot(ext);
  if (sl.seq == ext) {
    ++counters_.duplicates;
    return;
  }
  if (ext > *newest_) {
    if (ext - *newest_ >= kSpan) {
      // Too far ahead for the ring to bridge the gap: treat it as a restart of the numbering.
      if (has_pending()) counters_.unreported += static_cast<std::uint64_t>(*newest_ - window_start_ + 1);
      window_start_ = ext;
      reported_end_ = ext;
    } else if (ext - window_start_ >= kSpan) {
      const std::int64_t start = ext - kSpan + 1;
      counters_.unreported += static_cast<std::uint64_t>(start - window_start_);
      window_start_ = start;
    }
    newest_ = ext;
  } else {
    if (*newest_ - ext >= kSpan) {
      ++counters_.too_old;
      return;
    }
    if (ext < reported_end_) ++counters_.late_after_lost;
    if (ext < window_start_) {
      // Reported lost already: restart the window here so the arrival gets reported (as JVB does).
      window_start_ = ext;
      ++counters_.window_restarts;
    }
  }
  sl = Slot{ext, now};
  ++counters_.packets;
  if (marker && now - last_feedback_ >= config_.marker_min_interval) make_urgent(now);
  if (static_cast<std::size_t>(*newest_ - window_start_ + 1) >= config_.early_statuses) make_urgent(now);
}

std::optional<Timestamp> TransportCcFeedbackGenerator::next_due() const {
  if (!has_pending()) return std::nullopt;
  const Timestamp due = last_feedback_ + config_.period;
  return urgent_ ? std::min(due, *urgent_) : due;
}

std::size_t TransportCcFeedbackGenerator::build(Timestamp now, std::uint32_t sender_ssrc,
                                                std::uint32_t media_ssrc, std::span<std::uint8_t> out) {
  if (!has_pending()) return 0;
  // The window start goes first even when it was not received (it is the base sequence); after
  // it only received packets are listed, since the writer reports skipped seqs as not received.
  std::size_t count = 0;
  for (std::int64_t s = window_start_; s <= *newest_ && count < kMaxPacketsPerFeedback; ++s) {
    const Slot& sl = slot(s);
    const bool received = sl.seq == s;
    if (s != window_start_ && !received) continue;
    scratch_[count].sequence_number = static_cast<std::uint16_t>(s);
    scratch_[count].arrival = received ? std::optional<Timestamp>(sl.arrival) : std::nullopt;
    ++count;
  }
  const std::size_t limit = std::min(out.size(), config_.max_feedback_size);
  auto written = rtcp::write_transport_feedback(out.first(limit), {sender_ssrc, media_ssrc, feedback_count_},
                                                std::span<const rtcp::TccPacket>(scratch_.data(), count));
  if (!written || written->packets == 0) return 0;
  // The last covered seq, unwrapped: the list spans less than kCapacity seqs from the start.
  const std::uint16_t last16 = scratch_[written->packets - 1].sequence_number;
  const std::int64_t last =
      window_start_ + static_cast<std::uint16_t>(last16 - static_cast<std::uint16_t>(window_start_));
  std::size_t received = 0;
  for (std::size_t i = 0; i < written->packets; ++i) received += scratch_[i].arrival ? 1 : 0;
  counters_.reported_lost += static_cast<std::uint64_t>(last - window_start_ + 1) - received;
  window_start_ = last + 1;
  reported_end_ = std::max(reported_end_, window_start_);
  ++feedback_count_;  // 8 bits, wraps by design
  ++counters_.feedbacks;
  last_feedback_ = now;
  // What did not fit is due at once; otherwise the next period starts now.
  urgent_.reset();
  if (has_pending()) urgent_ = now;
  return written->bytes;
}

}  // namespace jvb::media
