// Keyframe-request throttling for one sender's video source (JVB's KeyframeRequester; its
// jmt.keyframe settings: min-interval, max-requests, max-request-interval): decides whether a PLI
// (RFC 4585 §6.3.1), or an FIR (RFC 5104 §4.3.1) when the sender supports no PLI, may go to the
// sender now.
//
// Rules, with W = min(min-interval, RTT + 10 ms):
//  * per (requesting receiver, media SSRC): at least W between requests and at most
//    max-requests (3) within max-request-interval (10 s). The caller keeps one
//    KeyframeRequestWindow per receiver and passes it in;
//  * per media SSRC, all receivers and the bridge's own projections together: at least W
//    between requests and at most source-wide-max-requests (1) within
//    source-wide-max-request-interval (200 ms);
//  * while a requested keyframe is "in flight" (a request went out and no keyframe has arrived
//    since) further requests are dropped: the one coming answers them all, since the sender
//    makes keyframes on every simulcast encoding for one request. The wait ends after
//    RTT + 100 ms (500 ms while the RTT is unknown), so a lost request is repeated.
// A request that is suppressed consumes nothing; each suppression is counted by reason.
//
// FIR command sequence numbers (RFC 5104 §4.3.1.1) are the bridge's own, one per new request.
// Requests without a requester (dominant-speaker preemptive ones) are not modelled here.
//
// One instance per sender video source, owned and called by the sender's media worker thread.
// No clock reads, no allocation.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

#include "bridge/core/time.hpp"

namespace jvb::media {

struct KeyframeRequestConfig {
  Duration min_interval = std::chrono::milliseconds(200);    // jmt.keyframe.min-interval
  int max_requests = 3;                                      // jmt.keyframe.max-requests
  Duration max_request_interval = std::chrono::seconds(10);  // .max-request-interval
  Duration source_wide_min_interval = std::chrono::milliseconds(200);
  int source_wide_max_requests = 1;
  Duration source_wide_max_request_interval = std::chrono::milliseconds(200);
};

enum class KeyframeRequestKind : std::uint8_t { kPli, kFir, kNone };

// The recent requests of one limit: when the last went out and how many fell in the window.
class KeyframeRequestWindow {
 public:
  // At most this many requests per window are tracked; larger limits are clamped to it.
  static constexpr int kMaxTracked = 16;

  bool too_soon(Timestamp now, Duration min_interval) const;
  bool window_full(Timestamp now, int max_requests, Duration window) const;
  void record(Timestamp now);

 private:
  std::array<Timestamp, kMaxTracked> sent_{};  // ring, newest at next_ - 1
  int size_ = 0;
  int next_ = 0;
};

struct KeyframeRequesterCounters {
  std::uint64_t requests = 0;  // asked
  std::uint64_t sent = 0;      // allowed
  std::uint64_t suppressed_unsupported = 0;
  std::uint64_t suppressed_in_flight = 0;
  std::uint64_t suppressed_min_interval = 0;  // per receiver or source-wide
  std::uint64_t suppressed_rate = 0;          // window full, per receiver or source-wide
  std::uint64_t keyframes_received = 0;
  std::uint64_t fir_sequence_numbers = 0;
};

class KeyframeRequester {
 public:
  // Capabilities from the sender's rtcp-fb (as JVB decides them): PLI iff some PT lists
  // "nack pli"; FIR is normally assumed.
  explicit KeyframeRequester(bool pli_supported, bool fir_supported = true,
                             KeyframeRequestConfig config = {});

  void set_rtt(Duration rtt);
  // What an allowed request becomes.
  KeyframeRequestKind kind() const;

  // A request of the bridge itself (a projection needs a keyframe): the source-wide limits.
  // True means send one now (kind() says which); it is then recorded as in flight.
  bool should_request(Timestamp now);
  // A receiver's PLI/FIR: its own window (per receiver and media SSRC) and the source-wide
  // limits.
  bool should_request(Timestamp now, KeyframeRequestWindow& receiver_window);

  // A keyframe of this source arrived: nothing is in flight any more.
  void on_keyframe_received(Timestamp now);
  bool keyframe_in_flight(Timestamp now) const;

  // The command sequence number for the next FIR the bridge sends (mod 256).
  std::uint8_t next_fir_sequence();

  const KeyframeRequesterCounters& counters() const { return counters_; }

 private:
  Duration wait_interval() const;  // W
  Duration in_flight_timeout() const;
  bool allowed(Timestamp now, KeyframeRequestWindow* receiver_window);

  bool pli_supported_;
  bool fir_supported_;
  KeyframeRequestConfig config_;
  std::optional<Duration> rtt_;
  KeyframeRequestWindow source_window_;
  std::optional<Timestamp> in_flight_since_;
  std::uint8_t fir_sequence_ = 0;
  KeyframeRequesterCounters counters_;
};

}  // namespace jvb::media
