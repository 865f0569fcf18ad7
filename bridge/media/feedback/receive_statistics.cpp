// Incoming statistics of one RTP stream (RFC 3550 Appendix A.1, A.3, A.8, §6.4.1).
#include "bridge/media/feedback/receive_statistics.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

namespace jvb::media {

namespace {

constexpr std::int64_t kSeqMod = 1 << 16;  // RTP_SEQ_MOD

// Middle 32 bits of a 64-bit NTP time (RFC 3550 §4), as echoed in LSR.
std::uint32_t compact_ntp(std::uint64_t ntp) { return static_cast<std::uint32_t>(ntp >> 16); }

}  // namespace

ReceiveStatistics::ReceiveStatistics(std::uint32_t ssrc, std::uint32_t clock_rate)
    : ssrc_(ssrc), clock_rate_(clock_rate) {}

void ReceiveStatistics::init_sequence(std::uint16_t seq) {
  base_seq_ = seq;
  max_seq_ = seq;
  bad_seq_ = kSeqMod + 1;
  cycles_ = 0;
  received_ = 0;
  received_prior_ = 0;
  expected_prior_ = 0;
}

// RFC 3550 A.1 update_seq(): true if the packet is counted.
bool ReceiveStatistics::update_sequence(std::uint16_t seq) {
  const std::uint16_t udelta = static_cast<std::uint16_t>(seq - max_seq_);
  if (probation_ > 0) {
    // A source is valid once kMinSequential packets arrived in sequence.
    if (seq == static_cast<std::uint16_t>(max_seq_ + 1)) {
      --probation_;
      max_seq_ = seq;
      if (probation_ == 0) {
        init_sequence(seq);
        ++received_;
        return true;
      }
    } else {
      probation_ = kMinSequential - 1;
      max_seq_ = seq;
    }
    return false;
  }
  if (udelta < kMaxDropout) {
    // In order, possibly with a permissible gap (counted as loss through `expected`).
    if (seq < max_seq_) ++cycles_;
    max_seq_ = seq;
  } else if (udelta <= kSeqMod - kMaxMisorder) {
    // A very large jump. Two sequential such packets mean the sender restarted its numbering
    // (or we lost sync): start over from here. A single one is dropped from the statistics.
    if (seq == bad_seq_) {
      ++restarts_;
      init_sequence(seq);
    } else {
      bad_seq_ = static_cast<std::uint32_t>((seq + 1) & (kSeqMod - 1));
      ++bad_packets_;
      return false;
    }
  }
  // else: a duplicate or a packet up to kMaxMisorder late. It counts as received, which is what
  // makes a late packet lower the cumulative loss it had been counted in.
  ++received_;
  return true;
}

void ReceiveStatistics::update_jitter(Timestamp now, std::uint32_t rtp_timestamp) {
  if (clock_rate_ == 0) return;
  if (!jitter_reference_) jitter_reference_ = now;
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::microseconds>(now - *jitter_reference_).count();
  // Time going backwards says nothing about network jitter; skip the sample.
  if (elapsed < 0) return;
  // The arrival time in timestamp units, modulo 2^32 like the RTP timestamp itself. Split into
  // whole seconds and the rest so the products cannot overflow.
  const auto us = static_cast<std::uint64_t>(elapsed);
  const std::uint64_t seconds = us / 1'000'000;
  const std::uint64_t rest_us = us % 1'000'000;
  const auto arrival = static_cast<std::uint32_t>(seconds * clock_rate_ + rest_us * clock_rate_ / 1'000'000);
  const std::uint32_t transit = arrival - rtp_timestamp;
  if (last_transit_) {
    // RFC 3550 A.8: J += (|D| - J) / 16, kept scaled by 16 to stay in integers.
    const std::int64_t d = static_cast<std::int32_t>(transit - *last_transit_);
    const std::int64_t abs_d = d < 0 ? -d : d;
    jitter_q4_ += abs_d - ((jitter_q4_ + 8) >> 4);
  }
  last_transit_ = transit;
}

void ReceiveStatistics::on_packet(Timestamp now, std::uint16_t seq, std::uint32_t rtp_timestamp,
                                  std::size_t size) {
  ++packets_;
  bytes_ += size;
  if (!started_) {
    // RFC 3550 A.1: the first packet starts probation with max_seq one before it.
    started_ = true;
    init_sequence(seq);
    max_seq_ = static_cast<std::uint16_t>(seq - 1);
    probation_ = kMinSequential;
  }
  if (!update_sequence(seq)) return;
  update_jitter(now, rtp_timestamp);
}

void ReceiveStatistics::on_sender_report(Timestamp now, std::uint64_t ntp) {
  last_sr_ntp_ = compact_ntp(ntp);
  last_sr_time_ = now;
}

std::uint32_t ReceiveStatistics::extended_highest_sequence() const {
  return static_cast<std::uint32_t>(cycles_ * kSeqMod + max_seq_);
}

std::int64_t ReceiveStatistics::expected() const {
  if (!valid()) return 0;
  return cycles_ * kSeqMod + max_seq_ - base_seq_ + 1;
}

std::int64_t ReceiveStatistics::cumulative_lost() const {
  return expected() - static_cast<std::int64_t>(received_);
}

std::uint32_t ReceiveStatistics::jitter() const {
  const std::int64_t j = jitter_q4_ >> 4;
  return static_cast<std::uint32_t>(std::min<std::int64_t>(j, std::numeric_limits<std::uint32_t>::max()));
}

rtcp::ReportBlock ReceiveStatistics::report_block(Timestamp now) {
  rtcp::ReportBlock block;
  block.ssrc = ssrc_;
  // RFC 3550 A.3: loss over the interval since the previous report.
  const std::int64_t expected_now = expected();
  const std::int64_t expected_interval = expected_now - expected_prior_;
  const std::int64_t received_interval =
      static_cast<std::int64_t>(received_) - static_cast<std::int64_t>(received_prior_);
  const std::int64_t lost_interval = expected_interval - received_interval;
  expected_prior_ = expected_now;
  received_prior_ = received_;
  if (expected_interval > 0 && lost_interval > 0) {
    block.fraction_lost =
        static_cast<std::uint8_t>(std::min<std::int64_t>((lost_interval << 8) / expected_interval, 255));
  }
  // The writer clamps to the 24-bit signed field; clamp here to the 32-bit carrier.
  block.cumulative_lost = static_cast<std::int32_t>(std::clamp<std::int64_t>(
      cumulative_lost(), std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()));
  block.extended_highest_sequence = extended_highest_sequence();
  block.jitter = jitter();
  if (last_sr_time_) {
    block.last_sr = last_sr_ntp_;
    if (now > *last_sr_time_) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - *last_sr_time_).count();
      // 1/65536 s units; a delay too long for 32 bits (18 h) saturates.
      // Capped before scaling so the product cannot overflow.
      const auto capped = std::min<std::uint64_t>(static_cast<std::uint64_t>(us), 70'000'000'000ull);
      const std::uint64_t units = capped * 65536 / 1'000'000;
      block.delay_since_last_sr = static_cast<std::uint32_t>(
          std::min<std::uint64_t>(units, std::numeric_limits<std::uint32_t>::max()));
    }
  }
  return block;
}

}  // namespace jvb::media
