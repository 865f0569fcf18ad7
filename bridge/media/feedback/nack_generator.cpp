// Generic NACK generation towards a video sender (JVB's RetransmissionRequester, RFC 4585 §6.2.1).
#include "bridge/media/feedback/nack_generator.hpp"

#include <algorithm>

#include "bridge/rtcp/nack.hpp"

namespace jvb::media {

namespace {

constexpr std::size_t kNackHeaderSize = 12;  // common header, sender and media SSRC
constexpr std::size_t kNackItemSize = 4;
constexpr std::int64_t kItemSpan = 16;  // BLP covers PID + 1 .. PID + 16

}  // namespace

NackGenerator::NackGenerator(const NackConfig& config) : config_(config) {
  if (config_.min_interval <= Duration::zero()) config_.min_interval = std::chrono::milliseconds(1);
  if (config_.max_interval < config_.min_interval) config_.max_interval = config_.min_interval;
  if (config_.max_tries < 1) config_.max_tries = 1;
  set_rtt(config_.default_rtt > Duration::zero() ? config_.default_rtt : std::chrono::milliseconds(100));
}

void NackGenerator::set_rtt(Duration rtt) {
  if (rtt <= Duration::zero()) return;
  // Clamp first so that 1.5 x RTT cannot overflow.
  rtt = std::min(rtt, config_.max_interval);
  interval_ = std::clamp(rtt + rtt / 2, config_.min_interval, config_.max_interval);
}

void NackGenerator::drop(Slot& s) {
  s.missing = false;
  --missing_count_;
}

void NackGenerator::reset() {
  if (missing_count_ > 0) {
    for (auto& s : ring_) s.missing = false;
  }
  missing_count_ = 0;
}

void NackGenerator::on_packet(Timestamp now, std::uint16_t seq) {
  // The unwrapper's reference stays the highest seq, so a very late packet cannot shift how
  // the following ones unwrap.
  const std::int64_t ext = unwrapper_.peek(seq);
  if (!highest_ || ext > *highest_) unwrapper_.unwrap(seq);
  if (!highest_ || ext - *highest_ - 1 >= kMaxGap) {
    // The first packet, or a jump too large to be loss worth repairing (a sender restart, a long
    // outage, or a very old packet that unwraps as new): forget everything.
    if (highest_) ++counters_.resets;
    reset();
    highest_ = ext;
    slot(ext) = Slot{ext};
    return;
  }
  if (ext > *highest_) {
    const bool had_missing = missing_count_ > 0;
    for (std::int64_t s = *highest_ + 1; s <= ext; ++s) {
      Slot& sl = slot(s);
      if (sl.missing) {
        // Still missing kWindow seqs later: make room.
        drop(sl);
        ++counters_.abandoned;
      }
      sl = Slot{s};
      if (s != ext) {
        sl.missing = true;
        sl.first_missing = now;
        sl.next_send = now;  // the first request goes out at once, as JVB's does
        ++missing_count_;
      }
    }
    if (ext - *highest_ > 1) next_due_ = had_missing ? std::min(next_due_, now) : now;
    highest_ = ext;
    return;
  }
  // Late, recovered through RTX, or a duplicate.
  Slot& sl = slot(ext);
  if (sl.seq == ext && sl.missing) {
    drop(sl);
    ++counters_.recovered;
  }
}

std::optional<Timestamp> NackGenerator::next_due() const {
  if (missing_count_ == 0) return std::nullopt;
  return next_due_;
}

std::size_t NackGenerator::build(Timestamp now, std::uint32_t sender_ssrc, std::uint32_t media_ssrc,
                                 std::span<std::uint8_t> out) {
  if (missing_count_ == 0 || !highest_ || out.size() < kMinOutSize) return 0;
  const std::size_t max_items = (out.size() - kNackHeaderSize) / kNackItemSize;
  std::size_t count = 0;
  std::size_t items = 0;
  std::int64_t item_pid = 0;
  bool full = false;
  std::optional<Timestamp> earliest;
  // Ascending order, which is what write_nack packs tightest; the item count is tracked the
  // same way so that the NACK is known to fit before a seq's try is spent on it.
  for (std::int64_t s = *highest_ - static_cast<std::int64_t>(kWindow) + 1; s <= *highest_; ++s) {
    Slot& sl = slot(s);
    if (!sl.missing || sl.seq != s) continue;
    if (now - sl.first_missing > config_.max_age) {
      drop(sl);
      ++counters_.abandoned;
      continue;
    }
    if (sl.next_send <= now && !full) {
      const bool new_item = items == 0 || s - item_pid > kItemSpan;
      if (new_item && items == max_items) {
        full = true;  // the rest stay due for another build()
      } else {
        if (new_item) {
          item_pid = s;
          ++items;
        }
        scratch_[count++] = static_cast<std::uint16_t>(s);
        ++sl.tries;
        sl.next_send = now + interval_;
        // Abandon now rather than wake up for a request that would never be sent.
        if (sl.tries >= config_.max_tries || sl.next_send - sl.first_missing > config_.max_age) {
          drop(sl);
          ++counters_.abandoned;
          continue;
        }
      }
    }
    earliest = earliest ? std::min(*earliest, sl.next_send) : sl.next_send;
  }
  if (earliest) next_due_ = *earliest;
  if (count == 0) return 0;
  auto n =
      rtcp::write_nack(out, sender_ssrc, media_ssrc, std::span<const std::uint16_t>(scratch_.data(), count));
  // Cannot fail: count > 0 and the item count was kept within `out`.
  if (!n) return 0;
  ++counters_.nacks_sent;
  counters_.requests_sent += count;
  return *n;
}

}  // namespace jvb::media
