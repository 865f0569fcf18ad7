// See media_service.hpp.
#include "bridge/io/media_service.hpp"

#include <array>
#include <cstring>

#include "bridge/core/log.hpp"

namespace jvb::io {
namespace {

constexpr log::Logger kLog{"MediaService"};
constexpr std::size_t kSlot = 1500 + srtp::SrtpSession::kMaxTrailer;
static_assert(HandoffRing::kSlotBytes >= kSlot,
              "a datagram one worker received fits the hand-off to another");
constexpr std::size_t kBatch = 32;
// Receive rounds per wake-up: a flood on one socket must not starve the worker's other work.
constexpr int kRoundsPerWakeup = 8;
constexpr std::size_t kMaxReplySources = 1 << 16;
constexpr auto kReplySourceIdle = std::chrono::seconds(60);
constexpr auto kReplySweepInterval = std::chrono::seconds(10);

}  // namespace

Result<PortSockets, std::string> bind_port_sockets(std::uint16_t port, bool ipv6, int receive_buffer,
                                                   std::size_t workers) {
  PortSockets out;
  out.per_worker.resize(workers);
  const bool share = workers > 1;
  for (std::size_t w = 0; w < workers; ++w) {
    auto v4 = UdpSocket::bind(*SocketAddress::parse("0.0.0.0", port), receive_buffer, share);
    if (!v4) return unexpected(v4.error());
    // An ephemeral port (0, for tests) is shared by both families and every worker.
    port = v4->local_address().port();
    out.per_worker[w].push_back(std::move(*v4));
  }
  if (ipv6) {
    for (std::size_t w = 0; w < workers; ++w) {
      auto v6 = UdpSocket::bind(*SocketAddress::parse("::", port), receive_buffer, share);
      if (!v6) {
        // Hosts without IPv6 are common; JVB carries on with IPv4 alone too.
        kLog.info("IPv6 media port not bound: {}", v6.error());
        for (auto& sockets : out.per_worker) sockets.erase(sockets.begin() + 1, sockets.end());
        break;
      }
      out.per_worker[w].push_back(std::move(*v6));
    }
  }
  out.port = port;
  return out;
}

MediaService::MediaService(std::vector<UdpSocket> sockets, transport::EndpointHandle first_endpoint_handle,
                           Handoff handoff, TimeSource clock)
    : sockets_(std::move(sockets)),
      clock_(std::move(clock)),
      port_(first_endpoint_handle),
      handoff_(std::move(handoff)) {
  buffers_.resize(kBatch * kSlot);
  if (handoff_.directory) {
    routes_ = std::make_unique<WorkerRoutes>(*handoff_.directory, handoff_.self);
    port_.set_shared_routes(routes_.get());
    wake_pending_.assign(handoff_.outboxes.size(), false);
  }
}

void MediaService::deliver(Timestamp now, ReceivedDatagram& datagram) {
  auto delivery = port_.handle_datagram(now, datagram.from, datagram.data);
  if (!delivery) {
    if (routes_ && port_.last_route().reason == ice::DropReason::kForeign) {
      WorkerIndex to = routes_->claimed_by();
      HandoffRing* ring = to < handoff_.outboxes.size() ? handoff_.outboxes[to] : nullptr;
      if (ring && ring->push(datagram.from, datagram.local, datagram.data)) {
        ++counters_.handed_off;
        wake_pending_[to] = true;
      } else {
        ++counters_.handoff_dropped;
      }
    }
    return;
  }
  if (datagram.local.is_set()) remember_reply_source(datagram.from, datagram.local, now);
  if (delivery->received.kind != transport::PacketKind::kNone && media_handler_) {
    std::span<std::uint8_t> slot(datagram.data.data(), kSlot);
    media_handler_(now, delivery->endpoint, delivery->received.kind, slot, delivery->received.length);
  }
}

void MediaService::on_readable(UdpSocket& socket) {
  std::array<ReceivedDatagram, kBatch> received{};
  for (int round = 0; round < kRoundsPerWakeup; ++round) {
    std::size_t n = socket.receive_batch(buffers_, kSlot, received);
    counters_.received += n;
    Timestamp now = clock_();
    for (std::size_t i = 0; i < n; ++i) deliver(now, received[i]);
    if (n < kBatch) break;
  }
  flush();
}

bool MediaService::on_handoff() {
  // What another worker's socket received for this worker's endpoints, processed as if received
  // here, in the receive buffer (its tail has the room in-place re-encryption needs).
  if (routes_) routes_->set_handing_over(true);
  Timestamp now = clock_();
  for (HandoffRing* ring : handoff_.inboxes) {
    if (!ring) continue;
    for (std::size_t n = 0; n < kBatch * kRoundsPerWakeup; ++n) {
      HandoffRing::Slot* slot = ring->front();
      if (!slot) break;
      std::memcpy(buffers_.data(), slot->bytes.data(), slot->length);
      ReceivedDatagram datagram{slot->from, std::span<std::uint8_t>(buffers_.data(), slot->length),
                                slot->local};
      ring->pop();
      ++counters_.taken_over;
      deliver(now, datagram);
    }
  }
  if (routes_) routes_->set_handing_over(false);
  flush();
  for (HandoffRing* ring : handoff_.inboxes) {
    if (ring && ring->front()) return true;
  }
  return false;
}

void MediaService::remember_reply_source(const SocketAddress& remote, const SocketAddress& local,
                                         Timestamp now) {
  auto it = reply_sources_.find(remote);
  if (it != reply_sources_.end()) {
    it->second = {local, now};
  } else if (reply_sources_.size() < kMaxReplySources) {
    reply_sources_.emplace(remote, ReplySource{local, now});
  }
}

void MediaService::forget_stale_reply_sources(Timestamp now) {
  if (now < next_reply_sweep_) return;
  next_reply_sweep_ = now + kReplySweepInterval;
  std::erase_if(reply_sources_,
                [&](const auto& entry) { return now - entry.second.seen > kReplySourceIdle; });
}

SocketAddress MediaService::reply_source(const SocketAddress& remote) const {
  auto it = reply_sources_.find(remote);
  return it != reply_sources_.end() ? it->second.local : SocketAddress{};
}

std::span<std::uint8_t> MediaService::reserve_send(std::size_t size) {
  // Grows during the first busy rounds only: the buffer keeps its size from then on.
  if (out_bytes_.size() < out_used_ + size)
    out_bytes_.resize(std::max(out_used_ + size, out_bytes_.size() * 2));
  slot_reserved_ = true;
  return std::span<std::uint8_t>(out_bytes_).subspan(out_used_, size);
}

void MediaService::commit_send(const SocketAddress& to, std::size_t length) {
  slot_reserved_ = false;
  out_queue_.push_back({to, reply_source(to), out_used_, length, false});
  out_used_ += length;
}

void MediaService::queue_send(const SocketAddress& to, std::span<const std::uint8_t> data) {
  if (slot_reserved_) {
    out_queue_.push_back({to, reply_source(to), aside_bytes_.size(), data.size(), true});
    aside_bytes_.insert(aside_bytes_.end(), data.begin(), data.end());
    return;
  }
  std::memcpy(reserve_send(data.size()).data(), data.data(), data.size());
  commit_send(to, data.size());
}

void MediaService::flush() {
  // Events first: handling them may queue datagrams (bridge-channel messages) for this round.
  Timestamp now = clock_();
  while (auto event = port_.poll_event()) {
    if (event_handler_) event_handler_(now, event->first, std::move(event->second));
  }
  port_.drain_transmits([&](const ice::Transmit& t) { queue_send(t.destination, t.bytes); });
  // One wake-up per worker handed datagrams this round, not one per datagram.
  for (std::size_t w = 0; w < wake_pending_.size(); ++w) {
    if (!wake_pending_[w]) continue;
    wake_pending_[w] = false;
    if (handoff_.wake) handoff_.wake(static_cast<WorkerIndex>(w));
  }
  if (out_queue_.empty()) return;
  counters_.sent += out_queue_.size();
  // One batch per socket; a destination of a family with no socket is dropped.
  for (auto& socket : sockets_) {
    out_batch_.clear();
    for (const auto& q : out_queue_) {
      if (q.to.is_ipv6() != socket.local_address().is_ipv6()) continue;
      if (!q.from.is_set() && socket.wildcard()) ++counters_.sent_without_source;
      out_batch_.push_back(
          {q.to,
           std::span<const std::uint8_t>(q.aside ? aside_bytes_ : out_bytes_).subspan(q.offset, q.length),
           q.from});
    }
    if (!out_batch_.empty()) socket.send_batch(out_batch_);
  }
  out_used_ = 0;
  slot_reserved_ = false;  // a slot reserved and never committed is given up
  aside_bytes_.clear();
  out_queue_.clear();
}

void MediaService::on_timer() {
  Timestamp now = clock_();
  port_.handle_timeout(now);
  forget_stale_reply_sources(now);
  if (timer_handler_ && (!media_timer_due_ || *media_timer_due_ <= now)) {
    // Nothing due (no endpoints): look again in a second rather than at once.
    media_timer_due_ = timer_handler_(now).value_or(now + std::chrono::seconds(1));
  }
  flush();
}

std::optional<Timestamp> MediaService::next_wakeup() {
  auto next = port_.next_timeout();
  if (timer_handler_) {
    // Ask for the packet path's own due time on the first round.
    if (!media_timer_due_) media_timer_due_ = clock_();
    if (!next || *media_timer_due_ < *next) next = media_timer_due_;
  }
  return next;
}

}  // namespace jvb::io
