// Receiver Report generation towards one sending endpoint (JVB's RtcpRrGenerator, RFC 3550
// §6.4.2): on a fixed period (500 ms by default, no RFC 3550 randomisation, as JVB does), one
// report block per incoming SSRC of that endpoint that received packets since the previous RR
// (RTX streams are never given to it), at most 31 blocks per RR and as many RRs as needed,
// packed back to back into one compound. Sent non-compound in the RFC 5506 sense (no SDES),
// with the conference's local video SSRC as sender SSRC (as all of JVB's own RTCP).
//
// One instance per sending endpoint, on its media worker thread; not thread-safe. No allocation.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "bridge/core/time.hpp"
#include "bridge/media/feedback/receive_statistics.hpp"

namespace jvb::media {

class RrGenerator {
 public:
  static constexpr Duration kDefaultPeriod = std::chrono::milliseconds(500);

  // A period of zero or less is replaced by the default.
  explicit RrGenerator(Duration period = kDefaultPeriod);

  // Starts the schedule: the first RR is due one period after `now`. Until then next_due() is
  // empty (an endpoint that sends nothing needs no RRs). Calling it again does nothing.
  void start(Timestamp now);

  // When build() should be called next; may be in the past (then: now).
  std::optional<Timestamp> next_due() const;

  // Writes RRs about every stream in `streams` with new packets (null pointers are skipped),
  // and closes those streams' loss intervals. Returns the bytes written, 0 if no stream had new
  // packets. If `out` cannot hold every block, the streams left out keep their interval and
  // next_due() stays due so that another call (with a fresh buffer) reports them. The schedule
  // advances by whole periods from its start, so late calls do not make it drift.
  std::size_t build(Timestamp now, std::span<ReceiveStatistics* const> streams, std::uint32_t sender_ssrc,
                    std::span<std::uint8_t> out);

  Duration period() const { return period_; }
  std::uint64_t reports_sent() const { return reports_sent_; }

 private:
  Duration period_;
  std::optional<Timestamp> next_;
  std::uint64_t reports_sent_ = 0;
};

}  // namespace jvb::media
