// Incoming statistics of one RTP stream, as the bridge receives it from a sender
// (JVB's IncomingStatisticsTracker), and the report block the bridge's RRs carry about it:
//   - sequence tracking, probation and restart detection of RFC 3550 Appendix A.1
//     (2 sequential packets to validate a source; a jump of up to 3000 is a gap counted as loss;
//     a packet up to 100 behind the highest is late/duplicate and counted as received, so it
//     lowers the cumulative loss; anything else is "bad" until two of them arrive in sequence);
//   - expected / lost / fraction lost of RFC 3550 Appendix A.3 and §6.4.1;
//   - interarrival jitter of RFC 3550 Appendix A.8, in RTP timestamp units of the stream's clock
//     rate. JVB writes jitter in milliseconds (a quirk of its RtcpRrGenerator); we follow the RFC,
//     browsers only show the value in stats;
//   - LSR/DLSR from the last Sender Report received for this SSRC (RFC 3550 §6.4.1).
//
// One instance per incoming (non-RTX) SSRC, owned by the endpoint's receive side on its media
// worker thread; not thread-safe. No allocation; time is passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "bridge/core/time.hpp"
#include "bridge/rtcp/receiver_report.hpp"

namespace jvb::media {

class ReceiveStatistics {
 public:
  static constexpr int kMinSequential = 2;            // RFC 3550 A.1 MIN_SEQUENTIAL
  static constexpr std::uint32_t kMaxDropout = 3000;  // RFC 3550 A.1 MAX_DROPOUT
  static constexpr std::uint32_t kMaxMisorder = 100;  // RFC 3550 A.1 MAX_MISORDER

  // clock_rate: RTP timestamp units per second (90000 for video, 48000 for Opus); 0 disables
  // the jitter estimate.
  ReceiveStatistics(std::uint32_t ssrc, std::uint32_t clock_rate);

  // One RTP packet of this SSRC arrived at `now` (the socket receive time). `size` is counted
  // into bytes().
  void on_packet(Timestamp now, std::uint16_t seq, std::uint32_t rtp_timestamp, std::size_t size);

  // A Sender Report for this SSRC arrived at `now` carrying NTP time `ntp` (32.32 fixed point).
  void on_sender_report(Timestamp now, std::uint64_t ntp);

  // True if packets were counted since the last report_block() (the RR generator reports only
  // such streams, as JVB's RtcpRrGenerator does).
  bool has_new_packets() const { return received_ != received_prior_; }

  // The report block for an RR sent at `now`. Closes the current interval: the next block's
  // fraction lost covers what arrives after this call.
  rtcp::ReportBlock report_block(Timestamp now);

  std::uint32_t ssrc() const { return ssrc_; }
  std::uint32_t clock_rate() const { return clock_rate_; }
  // Every packet handed to on_packet(), valid or not, and their sizes.
  std::uint64_t packets() const { return packets_; }
  std::uint64_t bytes() const { return bytes_; }
  // Packets counted by the RFC 3550 A.1 rules (after probation, excluding "bad" ones).
  std::uint64_t received() const { return received_; }
  bool valid() const { return probation_ == 0 && started_; }
  // (cycles << 16) | highest seq, truncated to 32 bits as on the wire.
  std::uint32_t extended_highest_sequence() const;
  std::int64_t expected() const;
  std::int64_t cumulative_lost() const;
  // Jitter estimate in RTP timestamp units.
  std::uint32_t jitter() const;
  // Packets that were neither in order nor late: huge jumps and the packets before a restart.
  std::uint64_t bad_packets() const { return bad_packets_; }
  std::uint64_t restarts() const { return restarts_; }

 private:
  void init_sequence(std::uint16_t seq);
  bool update_sequence(std::uint16_t seq);
  void update_jitter(Timestamp now, std::uint32_t rtp_timestamp);

  std::uint32_t ssrc_;
  std::uint32_t clock_rate_;

  // RFC 3550 A.1 state.
  bool started_ = false;
  std::uint16_t max_seq_ = 0;
  std::int64_t cycles_ = 0;  // number of wraps (not shifted)
  std::int64_t base_seq_ = 0;
  std::uint32_t bad_seq_ = 0x10001;  // RTP_SEQ_MOD + 1: matches no seq
  int probation_ = kMinSequential;
  std::uint64_t received_ = 0;
  std::uint64_t received_prior_ = 0;
  std::int64_t expected_prior_ = 0;

  // RFC 3550 A.8 state: jitter in 1/16 timestamp units.
  std::optional<Timestamp> jitter_reference_;  // arrival times are measured from here
  std::optional<std::uint32_t> last_transit_;
  std::int64_t jitter_q4_ = 0;

  // Last Sender Report.
  std::uint32_t last_sr_ntp_ = 0;  // middle 32 bits
  std::optional<Timestamp> last_sr_time_;

  std::uint64_t packets_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t bad_packets_ = 0;
  std::uint64_t restarts_ = 0;
};

}  // namespace jvb::media
