// Transport-wide congestion control feedback generation towards one endpoint
// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): records the arrival time of every
// incoming packet carrying the transport-wide sequence number (audio, video, RTX and padding alike)
// and reports them back in transport-cc feedback packets.
//
// Behaviour (that of JVB's TccGeneratorNode, with the additions noted):
//   - Timing: the first packet never triggers feedback; the period starts there. Feedback is due
//     kPeriod (100 ms) after the previous one, or at once when a packet with the RTP marker bit
//     arrives at least kMarkerMinInterval (20 ms) after it. Our own addition: it is
//     also due at once when early_statuses or more statuses are pending, so the fixed ring can
//     never overflow under a high packet rate.
//   - A feedback covers every seq from the window start (the first seq not yet reported) to the
//     newest; gaps are reported not received. It is at most max_feedback_size (1200) bytes and
//     0xFFFF statuses; what does not fit stays due and goes into the next feedback (call build()
//     again while next_due() is not later than now). The feedback packet count increments per
//     feedback packet.
//   - Each seq is reported once, except that a packet arriving for a seq at or behind the window
//     start that was not received before (reordered after being reported lost) restarts the
//     next window at that seq, so its arrival gets reported (and the seqs after it again).
//     Duplicates are ignored.
//   - Seqs are unwrapped to 64 bits. Arrivals are kept in a fixed ring of kCapacity slots: a
//     packet further than that behind the newest is dropped; a forward jump of kCapacity or more
//     is a restart (pending unreported packets are discarded, counted), and a pending window
//     that would grow past kCapacity loses its oldest seqs (counted).
//
// One instance per endpoint (transport-wide), on its media worker thread; not thread-safe. No
// allocation after construction; time is passed in.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>

#include "bridge/core/time.hpp"
#include "bridge/rtcp/transport_cc.hpp"
#include "bridge/rtp/sequence_unwrapper.hpp"

namespace jvb::media {

struct TccFeedbackConfig {
  Duration period = std::chrono::milliseconds(100);
  Duration marker_min_interval = std::chrono::milliseconds(20);
  std::size_t max_feedback_size = 1200;  // bytes per feedback packet
  std::size_t early_statuses = 1024;     // pending statuses that make feedback due at once
};

class TransportCcFeedbackGenerator {
 public:
  static constexpr std::size_t kCapacity = 4096;               // ring slots; a power of two
  static constexpr std::size_t kMaxPacketsPerFeedback = 1024;  // received packets per feedback

  explicit TransportCcFeedbackGenerator(const TccFeedbackConfig& config = {});

  // A packet with transport-wide seq `transport_seq` arrived at `now` (socket receive time).
  // `marker`: the packet's RTP marker bit (end of a video frame), which can bring feedback forward.
  void on_packet(Timestamp now, std::uint16_t transport_seq, bool marker = false);

  // When build() should be called; empty when nothing is pending. May be in the past.
  std::optional<Timestamp> next_due() const;

  // Writes one feedback packet (at most max_feedback_size bytes, and at most out.size()) for the
  // pending window, or nothing (0) when nothing is pending or `out` cannot hold even one status.
  // media_ssrc: the SSRC of a media stream of the endpoint (JVB uses the triggering packet's).
  std::size_t build(Timestamp now, std::uint32_t sender_ssrc, std::uint32_t media_ssrc,
                    std::span<std::uint8_t> out);

  std::uint8_t feedback_count() const { return feedback_count_; }
  struct Counters {
    std::uint64_t packets = 0;          // recorded arrivals
    std::uint64_t duplicates = 0;       // a seq already recorded
    std::uint64_t too_old = 0;          // behind the ring
    std::uint64_t window_restarts = 0;  // late arrivals that restarted the window
    std::uint64_t unreported = 0;       // pending seqs dropped by jumps or window overflow
    std::uint64_t feedbacks = 0;        // feedback packets written
    std::uint64_t reported_lost = 0;    // "not received" statuses written
    std::uint64_t late_after_lost = 0;  // arrivals of seqs that had been reported lost
  };
  const Counters& counters() const { return counters_; }

 private:
  struct Slot {
    std::int64_t seq = std::numeric_limits<std::int64_t>::min();
    Timestamp arrival{};
  };
  Slot& slot(std::int64_t seq) { return ring_[static_cast<std::size_t>(seq) & (kCapacity - 1)]; }
  const Slot& slot(std::int64_t seq) const { return ring_[static_cast<std::size_t>(seq) & (kCapacity - 1)]; }
  bool has_pending() const { return newest_ && window_start_ <= *newest_; }
  void make_urgent(Timestamp when);

  TccFeedbackConfig config_;
  rtp::SequenceNumberUnwrapper unwrapper_;  // its reference is always the newest seq
  std::optional<std::int64_t> newest_;
  std::int64_t window_start_ = 0;
  std::int64_t reported_end_ = 0;  // one past the highest seq ever reported
  Timestamp last_feedback_{};
  std::optional<Timestamp> urgent_;  // due earlier than the period
  std::uint8_t feedback_count_ = 0;
  std::array<Slot, kCapacity> ring_{};
  std::array<rtcp::TccPacket, kMaxPacketsPerFeedback> scratch_{};
  Counters counters_;
};

}  // namespace jvb::media
