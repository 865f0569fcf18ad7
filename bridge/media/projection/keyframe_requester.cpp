// Keyframe-request throttling (JVB's KeyframeRequester). See the header for the rules.
#include "bridge/media/projection/keyframe_requester.hpp"

#include <algorithm>

namespace jvb::media {

namespace {

using std::chrono::milliseconds;

// RTT + this is how long a requested keyframe may take: the sender needs about a frame
// interval to encode it on top of the round trip.
constexpr Duration kKeyframeEncodeAllowance = milliseconds(100);
constexpr Duration kInFlightTimeoutUnknownRtt = milliseconds(500);
// W = min(min-interval, RTT + this), as in JVB's KeyframeRequester.
constexpr Duration kRttMargin = milliseconds(10);

}  // namespace

bool KeyframeRequestWindow::too_soon(Timestamp now, Duration min_interval) const {
  if (size_ == 0) return false;
  const Timestamp last = sent_[static_cast<std::size_t>((next_ + kMaxTracked - 1) % kMaxTracked)];
  return now - last < min_interval;
}

bool KeyframeRequestWindow::window_full(Timestamp now, int max_requests, Duration window) const {
  const int limit = std::clamp(max_requests, 0, kMaxTracked);
  if (limit == 0) return true;
  int in_window = 0;
  for (int i = 0; i < size_; ++i) {
    if (now - sent_[static_cast<std::size_t>(i)] < window) ++in_window;
  }
  return in_window >= limit;
}

void KeyframeRequestWindow::record(Timestamp now) {
  sent_[static_cast<std::size_t>(next_)] = now;
  next_ = (next_ + 1) % kMaxTracked;
  size_ = std::min(size_ + 1, kMaxTracked);
}

KeyframeRequester::KeyframeRequester(bool pli_supported, bool fir_supported, KeyframeRequestConfig config)
    : pli_supported_(pli_supported), fir_supported_(fir_supported), config_(config) {}

void KeyframeRequester::set_rtt(Duration rtt) { rtt_ = std::max(rtt, Duration::zero()); }

KeyframeRequestKind KeyframeRequester::kind() const {
  if (pli_supported_) return KeyframeRequestKind::kPli;
  if (fir_supported_) return KeyframeRequestKind::kFir;
  return KeyframeRequestKind::kNone;
}

Duration KeyframeRequester::wait_interval() const {
  return rtt_ ? std::min(config_.min_interval, *rtt_ + kRttMargin) : config_.min_interval;
}

Duration KeyframeRequester::in_flight_timeout() const {
  return rtt_ ? *rtt_ + kKeyframeEncodeAllowance : kInFlightTimeoutUnknownRtt;
}

bool KeyframeRequester::keyframe_in_flight(Timestamp now) const {
  // A time before the request (a caller's clock mix-up) also counts as in flight.
  return in_flight_since_ && now - *in_flight_since_ < in_flight_timeout();
}

bool KeyframeRequester::allowed(Timestamp now, KeyframeRequestWindow* receiver_window) {
  ++counters_.requests;
  if (kind() == KeyframeRequestKind::kNone) {
    ++counters_.suppressed_unsupported;
    return false;
  }
  if (keyframe_in_flight(now)) {
    ++counters_.suppressed_in_flight;
    return false;
  }
  const Duration w = wait_interval();
  const Duration source_w = std::min(w, config_.source_wide_min_interval);
  if ((receiver_window && receiver_window->too_soon(now, w)) || source_window_.too_soon(now, source_w)) {
    ++counters_.suppressed_min_interval;
    return false;
  }
  if ((receiver_window &&
       receiver_window->window_full(now, config_.max_requests, config_.max_request_interval)) ||
      source_window_.window_full(now, config_.source_wide_max_requests,
                                 config_.source_wide_max_request_interval)) {
    ++counters_.suppressed_rate;
    return false;
  }
  if (receiver_window) receiver_window->record(now);
  source_window_.record(now);
  in_flight_since_ = now;
  ++counters_.sent;
  return true;
}

bool KeyframeRequester::should_request(Timestamp now) { return allowed(now, nullptr); }

bool KeyframeRequester::should_request(Timestamp now, KeyframeRequestWindow& receiver_window) {
  return allowed(now, &receiver_window);
}

void KeyframeRequester::on_keyframe_received(Timestamp /*now*/) {
  in_flight_since_.reset();
  ++counters_.keyframes_received;
}

std::uint8_t KeyframeRequester::next_fir_sequence() {
  ++counters_.fir_sequence_numbers;
  return fir_sequence_++;
}

}  // namespace jvb::media
