// A simulated path for the send-side estimator's tests: a sender that sends at the estimate in
// 5 ms bursts (and probe clusters when asked), a bottleneck link (rate, one-way propagation
// delay, drop-tail queue with a byte limit, seeded random loss), and a receiver that sends
// transport-cc feedback every 50-100 ms (written with bridge/rtcp's builder and parsed back, so
// the estimator sees the real wire path) and loss reports every second, all on a fake clock
// advanced in 250 us steps. Deterministic for a given seed.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <vector>

#include "bridge/bwe/send_side_bwe.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"
#include "bridge/rtcp/transport_cc.hpp"

namespace jvb::bwe::sim {

using namespace std::chrono_literals;

inline Timestamp at(Duration d) { return Timestamp(d); }

struct LinkConfig {
  std::int64_t rate_bps = 2'000'000;
  Duration propagation = 20ms;   // one way
  std::int64_t queue_bytes = 0;  // 0: 300 ms at the link rate
  double loss = 0;               // random loss before the queue
};

// A FIFO bottleneck: serialisation at rate_bps, drop-tail when the bytes waiting exceed the
// limit, then a fixed propagation delay.
class Link {
 public:
  struct Delivery {
    Timestamp arrival;
    std::uint16_t seq;
    std::int64_t size;
  };

  Link(const LinkConfig& config, std::uint32_t seed) : config_(config), rng_(seed) {}

  void set_rate(std::int64_t bps) { config_.rate_bps = bps; }
  void set_loss(double loss) { config_.loss = loss; }
  const LinkConfig& config() const { return config_; }

  void send(Timestamp now, std::uint16_t seq, std::int64_t size) {
    while (!in_queue_.empty() && in_queue_.front().first <= now) {
      queued_bytes_ -= in_queue_.front().second;
      in_queue_.pop_front();
    }
    if (config_.loss > 0 && uniform_(rng_) < config_.loss) {
      ++random_drops_;
      return;
    }
    if (queued_bytes_ + size > queue_limit()) {
      ++queue_drops_;
      return;
    }
    const Timestamp start = std::max(now, last_departure_);
    const auto serialisation = std::chrono::duration_cast<Duration>(
        std::chrono::duration<double>(static_cast<double>(size) * 8 / static_cast<double>(config_.rate_bps)));
    last_departure_ = start + serialisation;
    in_queue_.emplace_back(last_departure_, size);
    queued_bytes_ += size;
    deliveries_.push_back({last_departure_ + config_.propagation, seq, size});
  }

  // Deliveries due by `now`, in order.
  template <class F>
  void deliver(Timestamp now, F&& f) {
    while (!deliveries_.empty() && deliveries_.front().arrival <= now) {
      f(deliveries_.front());
      deliveries_.pop_front();
    }
  }

  Duration queue_delay(Timestamp now) const {
    return last_departure_ > now ? last_departure_ - now : Duration{};
  }
  std::uint64_t queue_drops() const { return queue_drops_; }
  std::uint64_t random_drops() const { return random_drops_; }

 private:
  std::int64_t queue_limit() const {
    return config_.queue_bytes > 0 ? config_.queue_bytes
                                   : std::max<std::int64_t>(config_.rate_bps * 3 / 80, 15'000);
  }

  LinkConfig config_;
  std::mt19937 rng_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  Timestamp last_departure_{};
  std::deque<std::pair<Timestamp, std::int64_t>> in_queue_;
  std::int64_t queued_bytes_ = 0;
  std::deque<Delivery> deliveries_;
  std::uint64_t queue_drops_ = 0;
  std::uint64_t random_drops_ = 0;
};

struct PathConfig {
  LinkConfig link;
  std::uint32_t seed = 1;
  std::uint16_t first_seq = 65'000;  // wraps within the first second or so
  Duration receiver_clock_offset = 12345678us;
  Duration min_feedback_interval = 50ms;
  Duration max_feedback_interval = 100ms;
  Duration report_interval = 1s;
  Duration rtt_interval = 1s;
  std::int64_t max_packet = 1200;
  BweConfig bwe;
  std::int64_t desired_bps = 0;    // set_desired_bitrate, when non-zero
  std::int64_t app_limit_bps = 0;  // the sender never sends media faster (0: no limit)
};

struct Sample {
  Duration t;
  std::int64_t target_bps;
};

class Path {
 public:
  static constexpr Duration kStep = 250us;

  explicit Path(const PathConfig& config)
      : config_(config),
        link_(config.link, config.seed),
        rng_(config.seed * 7919u + 1),
        est_(config.bwe),
        seq_(config.first_seq) {}

  SendSideBandwidthEstimator& estimator() { return est_; }
  PathConfig& config() { return config_; }
  Link& link() { return link_; }
  Duration now() const { return now_; }
  const std::vector<Sample>& samples() const { return samples_; }
  std::uint64_t feedbacks_sent() const { return feedbacks_sent_; }
  std::uint64_t probe_clusters_sent() const { return probe_clusters_sent_; }

  // Runs the path until `until`, sampling the estimate every 100 ms.
  void run_until(Duration until) {
    while (now_ < until) {
      step();
      now_ += kStep;
    }
  }

  // The first sample time after which the estimate stayed within [lo, hi] until `end`; none if
  // it never settled.
  std::optional<Duration> settled_within(double lo_bps, double hi_bps, Duration from, Duration end) const {
    std::optional<Duration> settled;
    for (const Sample& s : samples_) {
      if (s.t < from || s.t > end) continue;
      const bool inside = s.target_bps >= lo_bps && s.target_bps <= hi_bps;
      if (!inside) {
        settled.reset();
      } else if (!settled) {
        settled = s.t;
      }
    }
    return settled;
  }

  // The first sample time at or after `from` with the estimate at most `hi`.
  std::optional<Duration> first_at_most(double hi_bps, Duration from) const {
    for (const Sample& s : samples_) {
      if (s.t >= from && s.target_bps <= hi_bps) return s.t;
    }
    return std::nullopt;
  }

  std::int64_t min_between(Duration a, Duration b) const {
    std::int64_t m = INT64_MAX;
    for (const Sample& s : samples_)
      if (s.t >= a && s.t <= b) m = std::min(m, s.target_bps);
    return m;
  }
  std::int64_t max_between(Duration a, Duration b) const {
    std::int64_t m = 0;
    for (const Sample& s : samples_)
      if (s.t >= a && s.t <= b) m = std::max(m, s.target_bps);
    return m;
  }
  double mean_between(Duration a, Duration b) const {
    double sum = 0;
    int n = 0;
    for (const Sample& s : samples_) {
      if (s.t >= a && s.t <= b) {
        sum += static_cast<double>(s.target_bps);
        ++n;
      }
    }
    return n ? sum / n : 0;
  }

 private:
  struct Received {
    std::uint16_t seq;
    Timestamp arrival;  // receiver clock
  };
  struct InFlightFeedback {
    Timestamp arrival;
    std::vector<std::uint8_t> bytes;
  };
  struct InFlightReport {
    Timestamp arrival;
    std::int64_t lost;
    std::int64_t expected;
  };
  struct ActiveProbe {
    ProbeCluster cluster;
    std::int64_t sent_bytes = 0;
    int sent_packets = 0;
    Timestamp next{};
  };

  void step() {
    const Timestamp t = at(now_);
    if (config_.desired_bps > 0 && now_ >= next_process_) est_.set_desired_bitrate(config_.desired_bps, t);
    send_media(t);
    send_probes(t);
    link_.deliver(t, [&](const Link::Delivery& d) { receive(d); });
    maybe_send_feedback(t);
    maybe_send_report(t);
    while (!feedback_in_flight_.empty() && feedback_in_flight_.front().arrival <= t) {
      const auto& bytes = feedback_in_flight_.front().bytes;
      auto packet = rtcp::parse_rtcp_packet(bytes);
      if (packet) {
        auto feedback = rtcp::TransportFeedback::parse(*packet);
        if (feedback) est_.on_feedback(*feedback, t);
      }
      feedback_in_flight_.pop_front();
    }
    while (!reports_in_flight_.empty() && reports_in_flight_.front().arrival <= t) {
      est_.on_receiver_loss(reports_in_flight_.front().lost, reports_in_flight_.front().expected, t);
      reports_in_flight_.pop_front();
    }
    if (now_ >= next_rtt_) {
      next_rtt_ = now_ + config_.rtt_interval;
      est_.on_rtt(2 * config_.link.propagation + link_.queue_delay(t), t);
    }
    if (now_ >= next_process_) {
      next_process_ = now_ + SendSideBandwidthEstimator::kProcessInterval;
      est_.on_process(t);
    }
    if (now_ >= next_sample_) {
      next_sample_ = now_ + 100ms;
      samples_.push_back({now_, est_.target_bitrate()});
    }
  }

  void send_one(Timestamp t, std::int64_t size, std::int32_t cluster) {
    const std::uint16_t seq = seq_++;
    est_.on_packet_sent(seq, size, t, cluster);
    link_.send(t, seq, size);
  }

  void send_media(Timestamp t) {
    if (now_ < next_burst_) return;
    next_burst_ = now_ + 5ms;
    // A video sender's 5 ms pacing burst at the current estimate; fractions carry over.
    std::int64_t rate = est_.target_bitrate();
    if (config_.app_limit_bps > 0) rate = std::min(rate, config_.app_limit_bps);
    budget_bytes_ += static_cast<double>(rate) * 0.005 / 8;
    while (budget_bytes_ >= 100) {
      const auto size =
          static_cast<std::int64_t>(std::min<double>(budget_bytes_, static_cast<double>(config_.max_packet)));
      send_one(t, size, kNotAProbe);
      budget_bytes_ -= static_cast<double>(size);
    }
  }

  void send_probes(Timestamp t) {
    while (auto c = est_.take_probe_request()) {
      ActiveProbe p;
      p.cluster = *c;
      p.next = t;
      probes_.push_back(p);
      ++probe_clusters_sent_;
    }
    if (probes_.empty()) return;
    ActiveProbe& p = probes_.front();
    // Packets spaced so the cluster goes out at its rate, until both of its minimums are met.
    while (p.next <= t) {
      const std::int64_t size = std::clamp<std::int64_t>(
          p.cluster.bitrate_bps *
              std::chrono::duration_cast<std::chrono::microseconds>(p.cluster.min_probe_delta).count() /
              8'000'000,
          200, config_.max_packet);
      send_one(t, size, p.cluster.id);
      p.sent_bytes += size;
      ++p.sent_packets;
      p.next += std::chrono::duration_cast<Duration>(std::chrono::duration<double>(
          static_cast<double>(size) * 8 / static_cast<double>(p.cluster.bitrate_bps)));
      if (p.sent_bytes >= p.cluster.min_bytes() && p.sent_packets >= p.cluster.min_packets) {
        probes_.pop_front();
        if (probes_.empty()) return;
        probes_.front().next = std::max(probes_.front().next, p.next);
        break;
      }
    }
  }

  void receive(const Link::Delivery& d) {
    received_.push_back({d.seq, d.arrival + config_.receiver_clock_offset});
    ++received_in_period_;
    const std::int64_t unwrapped = rx_unwrap(d.seq);
    highest_ = std::max(highest_.value_or(unwrapped), unwrapped);
  }

  std::int64_t rx_unwrap(std::uint16_t seq) {
    if (!rx_last_) {
      rx_last_ = seq;
      return seq;
    }
    const std::int64_t step =
        static_cast<std::int16_t>(static_cast<std::uint16_t>(seq - static_cast<std::uint16_t>(*rx_last_)));
    *rx_last_ += step;
    return *rx_last_;
  }

  void maybe_send_feedback(Timestamp t) {
    if (now_ < next_feedback_) return;
    std::uniform_int_distribution<std::int64_t> interval(
        std::chrono::duration_cast<std::chrono::microseconds>(config_.min_feedback_interval).count(),
        std::chrono::duration_cast<std::chrono::microseconds>(config_.max_feedback_interval).count());
    next_feedback_ = now_ + std::chrono::microseconds(interval(rng_));
    if (received_.empty()) return;
    std::sort(received_.begin(), received_.end(), [this](const Received& a, const Received& b) {
      return static_cast<std::int16_t>(static_cast<std::uint16_t>(a.seq - b.seq)) < 0;
    });
    // As a browser does: from the first packet not yet reported, to the newest received.
    std::vector<rtcp::TccPacket> packets;
    std::uint16_t first = next_report_seq_.value_or(received_.front().seq);
    if (static_cast<std::int16_t>(static_cast<std::uint16_t>(received_.front().seq - first)) < 0)
      first = received_.front().seq;
    std::size_t i = 0;
    for (std::uint16_t s = first;; ++s) {
      if (i < received_.size() && received_[i].seq == s) {
        packets.push_back({s, received_[i].arrival});
        ++i;
      } else {
        packets.push_back({s, std::nullopt});
      }
      if (i == received_.size()) break;
    }
    next_report_seq_ = static_cast<std::uint16_t>(packets.back().sequence_number + 1);
    received_.clear();
    std::span<const rtcp::TccPacket> rest(packets);
    while (!rest.empty()) {
      std::vector<std::uint8_t> out(1500);
      auto written = rtcp::write_transport_feedback(out, {1, 2, feedback_count_++}, rest);
      if (!written) break;
      out.resize(written->bytes);
      feedback_in_flight_.push_back({t + config_.link.propagation, std::move(out)});
      ++feedbacks_sent_;
      rest = rest.subspan(written->packets);
    }
  }

  void maybe_send_report(Timestamp t) {
    if (now_ < next_report_) return;
    next_report_ = now_ + config_.report_interval;
    if (!highest_) return;
    const std::int64_t expected =
        *highest_ - report_highest_.value_or(*highest_ - static_cast<std::int64_t>(received_in_period_));
    const std::int64_t lost = expected - static_cast<std::int64_t>(received_in_period_);
    report_highest_ = highest_;
    received_in_period_ = 0;
    if (expected > 0) reports_in_flight_.push_back({t + config_.link.propagation, lost, expected});
  }

  PathConfig config_;
  Link link_;

  std::mt19937 rng_;
  SendSideBandwidthEstimator est_;
  Duration now_{1s};  // starts away from the clock's epoch
  std::uint16_t seq_;
  double budget_bytes_ = 0;
  Duration next_burst_{};
  Duration next_process_{};
  Duration next_sample_{};
  Duration next_feedback_{};
  Duration next_report_{1s};
  Duration next_rtt_{};
  std::deque<ActiveProbe> probes_;
  std::vector<Received> received_;
  std::optional<std::uint16_t> next_report_seq_;
  std::optional<std::int64_t> rx_last_;
  std::optional<std::int64_t> highest_;
  std::optional<std::int64_t> report_highest_;
  std::uint64_t received_in_period_ = 0;
  std::uint8_t feedback_count_ = 0;
  std::deque<InFlightFeedback> feedback_in_flight_;
  std::deque<InFlightReport> reports_in_flight_;
  std::vector<Sample> samples_;
  std::uint64_t feedbacks_sent_ = 0;
  std::uint64_t probe_clusters_sent_ = 0;
};

}  // namespace jvb::bwe::sim
