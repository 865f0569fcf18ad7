// A simulated network for the sctp/ tests: in-process SCTP endpoints (SctpAssociation,
// DataChannelSession, or anything with the same poll/handle shape) joined pairwise by links that
// delay, drop, reorder and duplicate packets, on a fake clock advanced by hand. Every step runs
// the due timeouts, delivers the packets that are due and collects what the endpoints emit;
// usrsctp's own timers move only through the endpoints' handle_timeout() calls.
//
// The fake clock never goes backwards across networks in one process: usrsctp's clock is global
// and would stall if a later test started earlier than the previous one ended.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "bridge/core/time.hpp"

namespace jvb::sctp::test {

using namespace std::chrono_literals;

struct LinkConfig {
  double loss = 0;       // probability that a packet is dropped
  double duplicate = 0;  // probability that a packet arrives twice
  double reorder = 0;    // probability that a packet is held back up to reorder_delay extra
  Duration delay = 5ms;
  Duration reorder_delay = 40ms;
};

class NodeBase {
 public:
  virtual ~NodeBase() = default;
  virtual bool attached() const = 0;
  virtual void deliver(Timestamp now, std::span<const std::uint8_t> packet) = 0;
  virtual void timeout(Timestamp now) = 0;
  virtual std::optional<Timestamp> next_timeout() const = 0;
  virtual std::optional<std::vector<std::uint8_t>> poll_packet() = 0;
  virtual void poll_events() = 0;

  int peer = -1;         // index of the node at the other end of its link
  LinkConfig link;       // for packets leaving this node
  bool capture = false;  // keep a copy of every packet this node sends in `sent`
  std::vector<std::vector<std::uint8_t>> sent;
  std::uint64_t dropped = 0;  // packets from this node the link lost
};

template <class T>
class Node final : public NodeBase {
 public:
  using Event = typename decltype(std::declval<T&>().poll_event())::value_type;

  explicit Node(T& endpoint) : endpoint_(&endpoint) {}
  T& operator*() { return *endpoint_; }
  T* operator->() { return endpoint_; }
  // Call before destroying the endpoint: packets for it are dropped from then on.
  void detach() { endpoint_ = nullptr; }

  bool attached() const override { return endpoint_ != nullptr; }
  void deliver(Timestamp now, std::span<const std::uint8_t> packet) override {
    if (endpoint_) endpoint_->handle_packet(now, packet);
  }
  void timeout(Timestamp now) override {
    if (endpoint_) endpoint_->handle_timeout(now);
  }
  std::optional<Timestamp> next_timeout() const override {
    return endpoint_ ? endpoint_->next_timeout() : std::nullopt;
  }
  std::optional<std::vector<std::uint8_t>> poll_packet() override {
    return endpoint_ ? endpoint_->poll_packet() : std::nullopt;
  }
  void poll_events() override {
    if (!endpoint_) return;
    while (auto e = endpoint_->poll_event()) events.push_back(std::move(*e));
  }

  std::vector<Event> events;

 private:
  T* endpoint_;
};

class SimNetwork {
 public:
  explicit SimNetwork(std::uint32_t seed = 1) : rng_(seed), now_(clock_base()) {}
  ~SimNetwork() { clock_base() = now_ + 1h; }
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  Timestamp now() const { return now_; }

  template <class T>
  Node<T>& add(T& endpoint) {
    auto node = std::make_unique<Node<T>>(endpoint);
    Node<T>& ref = *node;
    nodes_.push_back(std::move(node));
    return ref;
  }

  // Joins two nodes; `config` applies in both directions (change node.link for one).
  void link(NodeBase& a, NodeBase& b, LinkConfig config = {}) {
    a.peer = index_of(b);
    b.peer = index_of(a);
    a.link = config;
    b.link = config;
  }

  // Collects what the endpoints emitted after the test called them directly.
  void collect() {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      NodeBase& n = *nodes_[i];
      while (auto p = n.poll_packet()) send(n, std::move(*p));
      n.poll_events();
    }
  }

  void step(Duration dt = 5ms) {
    now_ += dt;
    for (auto& n : nodes_) {
      const auto t = n->next_timeout();
      if (t && *t <= now_) n->timeout(now_);
    }
    collect();
    while (!in_flight_.empty() && in_flight_.begin()->first.first <= now_) {
      auto node = in_flight_.extract(in_flight_.begin());
      nodes_[static_cast<std::size_t>(node.mapped().to)]->deliver(now_, node.mapped().bytes);
    }
    collect();
  }

  // Steps until `done` holds (true) or `limit` of fake time passed (false).
  bool run_until(const std::function<bool()>& done, Duration limit, Duration dt = 5ms) {
    const Timestamp end = now_ + limit;
    collect();
    while (!done()) {
      if (now_ >= end) return false;
      step(dt);
    }
    return true;
  }
  void run_for(Duration d, Duration dt = 5ms) {
    run_until([] { return false; }, d, dt);
  }

  std::size_t in_flight() const { return in_flight_.size(); }

 private:
  struct Packet {
    int to;
    std::vector<std::uint8_t> bytes;
  };

  static Timestamp& clock_base() {
    static Timestamp base = Timestamp{} + 1000h;
    return base;
  }

  int index_of(const NodeBase& n) const {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].get() == &n) return static_cast<int>(i);
    }
    return -1;
  }

  void send(NodeBase& from, std::vector<std::uint8_t> bytes) {
    if (from.capture) from.sent.push_back(bytes);
    if (from.peer < 0) return;
    std::uniform_real_distribution<double> u(0, 1);
    if (u(rng_) < from.link.loss) {
      ++from.dropped;
      return;
    }
    const int copies = u(rng_) < from.link.duplicate ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
      Duration delay = from.link.delay;
      if (u(rng_) < from.link.reorder) {
        delay += std::chrono::duration_cast<Duration>(from.link.reorder_delay * u(rng_));
      }
      in_flight_.emplace(std::make_pair(now_ + delay, seq_++), Packet{from.peer, bytes});
    }
  }

  std::mt19937 rng_;
  Timestamp now_;
  std::uint64_t seq_ = 0;
  std::vector<std::unique_ptr<NodeBase>> nodes_;
  std::map<std::pair<Timestamp, std::uint64_t>, Packet> in_flight_;
};

// Chunk type of the first chunk of an SCTP packet (RFC 9260 §3.2), or -1.
inline int first_chunk_type(std::span<const std::uint8_t> packet) {
  return packet.size() > 12 ? packet[12] : -1;
}

}  // namespace jvb::sctp::test
