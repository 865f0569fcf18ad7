// Generic NACK generation towards a video sender (RFC 4585 §6.2.1): the bridge's "retransmission
// requester" for one incoming video SSRC. It sees original sequence numbers after RTX recovery and
// duplicate termination (where JVB's receive pipeline runs it), so a packet recovered through RTX
// cancels its request like a late original.
//
// Behaviour (that of JVB's RetransmissionRequester, with the differences noted):
//   - A packet that leaves fewer than kMaxGap (100) seqs missing after the highest seq adds each
//     of them to the request set and makes a NACK due at once. A larger forward jump (or a
//     backward one of more than half the seq space, which unwraps as forward) resets the state:
//     nothing is requested and pending requests are cleared.
//   - Each missing seq is requested again every retry interval, at most max_tries times, and not
//     once it is older than max_age; then it is abandoned. The interval is 1.5 x RTT, clamped
//     to [min_interval, max_interval]: with the default RTT of 100 ms (used until set_rtt()) it
//     is JVB's fixed 150 ms (10 requests, 150 ms apart, as in JVB's tests). 1.5 x RTT leaves the
//     retransmission one RTT to come back plus some slack before we ask again.
//   - All seqs due at the same time go into one NACK (PID/BLP packed), as many as fit `out`.
//   - The set is a fixed ring of kWindow (1024) slots indexed by unwrapped seq: a missing seq
//     further than that behind the highest seq is abandoned (evicted) to make room.
//
// One instance per incoming video SSRC, on the owning endpoint's media worker thread; not
// thread-safe. No allocation after construction; time is passed in.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>

#include "bridge/core/time.hpp"
#include "bridge/rtp/sequence_unwrapper.hpp"

namespace jvb::media {

struct NackConfig {
  Duration default_rtt = std::chrono::milliseconds(100);
  Duration min_interval = std::chrono::milliseconds(20);
  Duration max_interval = std::chrono::seconds(1);
  int max_tries = 10;
  Duration max_age = std::chrono::seconds(3);
};

class NackGenerator {
 public:
  static constexpr std::int64_t kMaxGap = 100;    // missing seqs; more is a reset (JVB)
  static constexpr std::size_t kWindow = 1024;    // ring slots; a power of two
  static constexpr std::size_t kMinOutSize = 16;  // a NACK with one item

  explicit NackGenerator(const NackConfig& config = {});

  // A packet of this SSRC arrived (an original, or one recovered from RTX).
  void on_packet(Timestamp now, std::uint16_t seq);

  // When build() has something to send; empty when nothing is missing. It may be early (a
  // request cancelled since), in which case build() writes nothing.
  std::optional<Timestamp> next_due() const;

  // Writes one NACK for the seqs due at `now`, or nothing (0). If not all of them fit in `out`
  // (at least kMinOutSize bytes), the rest stay due.
  std::size_t build(Timestamp now, std::uint32_t sender_ssrc, std::uint32_t media_ssrc,
                    std::span<std::uint8_t> out);

  // The latest RTT to this sender; zero or negative values are ignored.
  void set_rtt(Duration rtt);
  Duration retry_interval() const { return interval_; }

  std::size_t missing_count() const { return missing_count_; }
  struct Counters {
    std::uint64_t nacks_sent = 0;
    std::uint64_t requests_sent = 0;  // seqs over all NACKs, counting repeats
    std::uint64_t recovered = 0;      // missing seqs that arrived later
    std::uint64_t abandoned = 0;      // missing seqs given up (tries, age or eviction)
    std::uint64_t resets = 0;         // jumps that cleared the state
  };
  const Counters& counters() const { return counters_; }

 private:
  struct Slot {
    std::int64_t seq = std::numeric_limits<std::int64_t>::min();
    bool missing = false;
    int tries = 0;
    Timestamp first_missing{};
    Timestamp next_send{};
  };
  Slot& slot(std::int64_t seq) { return ring_[static_cast<std::size_t>(seq) & (kWindow - 1)]; }
  void drop(Slot& s);
  void reset();

  NackConfig config_;
  Duration interval_;
  rtp::SequenceNumberUnwrapper unwrapper_;  // its reference is always the highest seq
  std::optional<std::int64_t> highest_;
  std::array<Slot, kWindow> ring_{};
  std::size_t missing_count_ = 0;
  Timestamp next_due_{};  // a lower bound of the earliest next_send while missing_count_ > 0
  std::array<std::uint16_t, kWindow> scratch_{};
  Counters counters_;
};

}  // namespace jvb::media
