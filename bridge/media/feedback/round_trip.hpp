// The round trip to one receiver, from the sender reports the bridge sends it and the report
// blocks it answers with (RFC 3550 §6.4.1: RTT = arrival - LSR - DLSR, where LSR is the middle of
// the NTP time of the last SR the receiver got on that SSRC). The bridge relays each sender's NTP
// time, so the LSR echoes a time the bridge did not make: it is matched against the SRs the
// bridge sent on that SSRC, and the round trip is measured on the bridge's own clock from when
// that SR left. As JVB's EndpointConnectionStats: the latest sample stands, and samples that
// cannot be right are refused (no LSR, DLSR over 5 minutes, negative or over 7 s).
//
// One per receiver, on its media worker; not thread-safe. A node per SSRC the receiver is sent
// SRs on (allocated once), nothing per packet.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "bridge/core/time.hpp"
#include "bridge/rtcp/receiver_report.hpp"

namespace jvb::media {

class RoundTrip {
 public:
  static constexpr Duration kMaxDelaySinceLastSr = std::chrono::minutes(5);
  static constexpr Duration kMaxRoundTrip = std::chrono::seconds(7);

  // An SR with this NTP time's middle 32 bits went to the receiver on `ssrc` at `now`.
  void on_sender_report_sent(std::uint32_t ssrc, std::uint32_t compact_ntp, Timestamp now);

  // A report block from the receiver, arrived at `now`: the round trip it measures, if it
  // echoes an SR this knows and the figure is plausible. The sample becomes latest().
  std::optional<Duration> on_report_block(const rtcp::ReportBlock& block, Timestamp now);

  std::optional<Duration> latest() const { return latest_; }
  std::uint64_t unmatched() const { return unmatched_; }      // LSR of no SR sent on that SSRC
  std::uint64_t implausible() const { return implausible_; }  // refused by the limits above

 private:
  // The last two SRs per SSRC: a report may answer the one before the SR still in flight.
  struct Sent {
    std::uint32_t compact_ntp = 0;
    Timestamp at{};
    bool valid = false;
  };
  std::unordered_map<std::uint32_t, std::array<Sent, 2>> sent_;
  std::optional<Duration> latest_;
  std::uint64_t unmatched_ = 0, implausible_ = 0;
};

}  // namespace jvb::media
