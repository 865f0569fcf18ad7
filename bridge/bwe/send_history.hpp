// The send-side history of transport-wide sequence numbers (libwebrtc's TransportFeedbackAdapter):
// remembers when each packet to one receiver left and how big it was, and turns that receiver's
// transport-cc feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1) into
// (send time, size, receive time) results for the estimators.
//
// Sequence numbers are unwrapped to 64 bits on the way in, with the unwrapper of
// bridge/rtp/sequence_unwrapper.hpp; feedback sequence numbers are placed next to the last one
// sent. The history is a ring of a fixed power-of-two size allocated once: a packet is forgotten
// when its slot is reused or after 60 s. A reported packet that is not in the history (never
// sent, forgotten, or already reported received) is counted as unmatched (JVB's
// tcc_unmatched_feedback) and skipped. Packets reported lost stay, since a later feedback may
// still report them received.
//
// Receive times: the feedback's reference time (24-bit, 64 ms ticks, wrapping every ~12 days)
// is tracked from one feedback to the next, wrap-corrected, and anchored to the bridge's clock at
// the first feedback. A jump that would put the anchor more than a minute away from the local
// time re-anchors it (counted).
//
// One instance per receiver, owned by that receiver's media worker; not thread-safe. No
// allocation after construction: results go into a buffer of kMaxResultsPerFeedback entries;
// received packets beyond it in one feedback are matched but not reported (counted).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bridge/bwe/bwe_types.hpp"
#include "bridge/core/time.hpp"
#include "bridge/rtcp/transport_cc.hpp"
#include "bridge/rtp/sequence_unwrapper.hpp"

namespace jvb::bwe {

struct SendHistoryCounters {
  std::uint64_t packets_sent = 0;
  std::uint64_t sent_out_of_order = 0;  // a sequence number not after the previous one
  std::uint64_t feedbacks = 0;
  std::uint64_t reports = 0;            // packet statuses read from feedback
  std::uint64_t reported_received = 0;  // matched and received
  std::uint64_t reported_lost = 0;      // matched and reported not received
  std::uint64_t unmatched = 0;          // JVB's tcc_unmatched_feedback
  std::uint64_t results_dropped = 0;    // received beyond the per-feedback buffer
  std::uint64_t reference_time_resets = 0;
};

// What one feedback said, once matched against the history.
struct FeedbackReport {
  Timestamp feedback_time{};
  // The received packets in the order the feedback lists them (sequence order). Points into the
  // history's buffer: valid until its next on_feedback().
  std::span<PacketResult> received;
  std::size_t lost = 0;       // matched packets reported not received
  std::size_t unmatched = 0;  // reported packets not found in the history
};

class SendHistory {
 public:
  static constexpr std::size_t kDefaultCapacity = 8192;
  static constexpr std::size_t kMaxResultsPerFeedback = 2048;
  static constexpr Duration kMaxAge = std::chrono::seconds(60);
  static constexpr Duration kMaxAnchorDrift = std::chrono::seconds(60);

  // `capacity` is rounded up to a power of two (at least 64).
  explicit SendHistory(std::size_t capacity = kDefaultCapacity);

  // A packet with this transport-wide sequence number left at `now`. Returns it as stored.
  SentPacket on_packet_sent(std::uint16_t transport_seq, std::int64_t size_bytes, Timestamp now,
                            std::int32_t probe_cluster_id = kNotAProbe);

  // Matches one parsed feedback, received at `now`.
  FeedbackReport on_feedback(const rtcp::TransportFeedback& feedback, Timestamp now);

  // The same from a list of statuses (what TransportFeedback::packets() yields) and the
  // feedback's reference time; for callers and tests that did not parse a packet.
  FeedbackReport on_feedback(std::span<const rtcp::TccPacketStatus> statuses,
                             std::chrono::microseconds reference_time, Timestamp now);

  std::optional<std::int64_t> last_sent_sequence() const { return unwrapper_.last(); }
  std::size_t capacity() const { return slots_.size(); }
  const SendHistoryCounters& counters() const { return counters_; }

 private:
  // 24 bytes: the ring is the estimator's largest part.
  struct Slot {
    std::int64_t sequence = -1;  // -1: empty
    Timestamp send_time{};
    std::int32_t probe_cluster_id = kNotAProbe;
    std::uint16_t size_bytes = 0;  // a UDP payload never exceeds it
    bool received = false;
  };

  void start_feedback(std::chrono::microseconds reference_time, Timestamp now);
  void add_status(const rtcp::TccPacketStatus& status, std::chrono::microseconds reference_time);
  FeedbackReport finish_feedback(Timestamp now);

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  rtp::SequenceNumberUnwrapper unwrapper_;
  std::optional<std::int64_t> highest_sent_;

  std::optional<std::chrono::microseconds> last_reference_;
  Timestamp anchor_{};  // local time of the current feedback's reference time
  Timestamp feedback_now_{};

  std::vector<PacketResult> results_;
  std::size_t result_count_ = 0;
  std::size_t lost_ = 0;
  std::size_t unmatched_ = 0;

  SendHistoryCounters counters_;
};

}  // namespace jvb::bwe
