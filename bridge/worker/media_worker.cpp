// See media_worker.hpp.
#include "bridge/worker/media_worker.hpp"

#include <pthread.h>

#include <unordered_set>

#include "bridge/conference/debug_state.hpp"
#include "bridge/conference/router.hpp"
#include "bridge/core/heap_count.hpp"
#include "bridge/core/log.hpp"

namespace jvb::worker {
namespace {

constexpr log::Logger kLog{"MediaWorker"};
constexpr Duration kStatsInterval = std::chrono::seconds(1);

}  // namespace

// Built on the worker's thread, destroyed there: nothing in it is ever touched by another.
struct MediaWorker::State {
  State(MediaWorker& worker, std::vector<io::UdpSocket> sockets, const WorkerSetup& setup,
        io::MediaService::Handoff handoff)
      : media(std::move(sockets), first_endpoint_handle(worker.index_), std::move(handoff), setup.clock),
        router(media.port(),
               [this](const SocketAddress& to, std::span<const std::uint8_t> datagram) {
                 media.queue_send(to, datagram);
               },
               {[this] { return media.reserve_send(conference::Router::kSendSlotSize); },
                [this](const SocketAddress& to, std::size_t length) { media.commit_send(to, length); }}),
        forwarding(setup.forwarding, router,
                   [this, &worker](transport::EndpointHandle to, conference::ChannelTransport via,
                                   const std::string& message) {
                     auto on_ws = [&] {
                       if (!ws_open.contains(to)) return false;
                       worker.control_.send_ws(to, message);
                       ++messages.colibri_ws_messages_sent;
                       return true;
                     };
                     auto on_sctp = [&] {
                       if (!send_on_sctp(to, message, worker.now())) return false;
                       ++messages.data_channel_messages_sent;
                       return true;
                     };
                     // The transport that last received first, the other one when it is gone.
                     return via == conference::ChannelTransport::kWebSocket ? on_ws() || on_sctp()
                                                                            : on_sctp() || on_ws();
                   }),
        conferences(setup.conferences, media.port(), setup.certificate, &router, &forwarding),
        expire_interval(setup.expire_interval),
        next_expiry(setup.clock() + setup.expire_interval),
        next_stats(setup.clock()) {
    router.set_bwe_config(setup.bwe);
  }

  bool send_on_sctp(transport::EndpointHandle to, const std::string& message, Timestamp now) {
    transport::EndpointTransport* t = media.port().find(to);
    if (!t || !t->send_channel_message(message, now)) return false;
    // Queued now, ahead of media that follows (a new SSRC slot is announced before it is used).
    while (auto datagram = t->poll_transmit()) media.queue_send(datagram->destination, datagram->bytes);
    return true;
  }

  io::MediaService media;
  conference::Router router;
  std::unordered_set<transport::EndpointHandle> ws_open;  // endpoints with a colibri-ws socket
  conference::ForwardingController forwarding;
  conference::ConferenceManager conferences;
  Duration expire_interval;
  Timestamp next_expiry;
  Timestamp next_stats;
  // What only the worker sees: bridge-channel messages by transport, transport outcomes.
  stats::WorkerStats messages;
};

Result<std::unique_ptr<MediaWorker>, std::string> MediaWorker::start(
    WorkerIndex index, std::vector<io::UdpSocket> sockets, const WorkerSetup& setup,
    io::RouteDirectory& directory, Rings& rings, std::vector<MediaWorker*>& peers, ControlLink& control) {
  std::vector<int> fds;
  for (const auto& s : sockets) fds.push_back(s.fd());
  auto loop = io::WorkerLoop::create(fds);
  if (!loop) return unexpected(loop.error());
  std::unique_ptr<MediaWorker> worker(new MediaWorker(index, std::move(*loop), control, setup.clock));
  io::MediaService::Handoff handoff;
  if (rings.size() > 1) {
    handoff.self = index;
    handoff.directory = &directory;
    for (std::size_t j = 0; j < rings.size(); ++j) {
      handoff.inboxes.push_back(rings[j][index].get());
      handoff.outboxes.push_back(rings[index][j].get());
    }
    // `peers` is filled before any datagram can be handed over (the sockets are bound, but the
    // directory names no worker until an endpoint exists, which takes a command).
    handoff.wake = [&peers](WorkerIndex to) { peers[to]->wake(); };
  }
  auto started = std::make_shared<std::promise<void>>();
  auto ready = started->get_future();
  worker->thread_ = std::thread([w = worker.get(), sockets = std::move(sockets), setup,
                                 handoff = std::move(handoff), started]() mutable {
    std::string name = "media-" + std::to_string(w->index_);
    pthread_setname_np(pthread_self(), name.c_str());
    w->run(std::move(sockets), std::move(setup), std::move(handoff), *started);
  });
  ready.wait();
  return worker;
}

void MediaWorker::run(std::vector<io::UdpSocket> sockets, WorkerSetup setup,
                      io::MediaService::Handoff handoff, std::promise<void>& started) {
  State state(*this, std::move(sockets), setup, std::move(handoff));
  state_ = &state;
  state.media.set_media_handler([&state](Timestamp now, transport::EndpointHandle from,
                                         transport::PacketKind kind, std::span<std::uint8_t> packet,
                                         std::size_t length) {
    if (kind == transport::PacketKind::kRtp) {
      state.router.on_rtp(now, from, packet, length);
    } else {
      state.router.on_rtcp(now, from, packet, length);
    }
  });
  state.media.set_timer_handler([this, &state](Timestamp now) {
    auto next = state.router.on_timer(now);
    state.forwarding.handle_timeout(now);
    if (now >= state.next_stats) {
      state.next_stats = now + kStatsInterval;
      publish_statistics(now);
    }
    if (now >= state.next_expiry) {
      state.next_expiry = now + state.expire_interval;
      ++epoch_;
      state.conferences.expire_idle(now);
      publish();
    }
    // Nothing due: MediaService asks again within a second, which is also how often the
    // expiry above is looked at (and how the router learns of feedback a packet made due).
    auto f = state.forwarding.next_timeout();
    return f && (!next || *f < *next) ? f : next;
  });
  // Transport events after every round: the bridge channel opening, its messages.
  state.media.set_event_handler(
      [&state](Timestamp now, transport::EndpointHandle endpoint, transport::TransportEvent event) {
        switch (event.kind) {
          case transport::TransportEventKind::kStateChanged:
            if (event.state == transport::TransportState::kConnected) {
              ++state.messages.ice_succeeded;
              state.forwarding.on_transport_connected(endpoint, now);
              const transport::EndpointTransport* t = state.media.port().find(endpoint);
              if (t && t->ice().selected_remote_type() == ice::CandidateType::kRelayed)
                ++state.messages.ice_succeeded_relayed;
            } else if (event.state == transport::TransportState::kFailed) {
              ++(event.reason.starts_with("DTLS") ? state.messages.dtls_failed : state.messages.ice_failed);
            }
            break;
          case transport::TransportEventKind::kDataChannelOpen:
            state.forwarding.on_channel_open(endpoint, conference::ChannelTransport::kSctp, now);
            break;
          case transport::TransportEventKind::kDataChannelMessage:
            ++state.messages.data_channel_messages_received;
            state.forwarding.on_message(endpoint, conference::ChannelTransport::kSctp, event.reason, now);
            break;
          case transport::TransportEventKind::kDataChannelClosed:
            state.forwarding.on_channel_closed(endpoint, conference::ChannelTransport::kSctp);
            break;
          default:
            break;
        }
      });
  // Told even without a socket known here: the control thread may have one whose opening
  // has not reached this worker yet.
  state.conferences.set_endpoint_removed_hook([this, &state](transport::EndpointHandle id) {
    state.ws_open.erase(id);
    control_.close_ws(id);
  });
  state.conferences.set_conference_removed_hook(
      [this](const signaling::MeetingId& meeting) { control_.conference_gone(index_, meeting, epoch_); });
  started.set_value();
  loop_.run(*this);
  // Commands nobody will apply still get their answers.
  on_wake();
  state_ = nullptr;
}

MediaWorker::~MediaWorker() {
  loop_.stop();
  if (thread_.joinable()) thread_.join();
}

void MediaWorker::post(Command command) {
  {
    std::scoped_lock lock(commands_mutex_);
    commands_.push_back(std::move(command));
  }
  loop_.wake();
}

void MediaWorker::on_readable(std::size_t socket_index) {
  auto& sockets = state_->media.sockets();
  if (socket_index < sockets.size()) state_->media.on_readable(sockets[socket_index]);
  publish_counters();
}

void MediaWorker::on_wake() {
  {
    std::scoped_lock lock(commands_mutex_);
    while (!commands_.empty()) {
      applying_.push_back(std::move(commands_.front()));
      commands_.pop_front();
    }
  }
  for (auto& c : applying_) apply(c);
  applying_.clear();
  // More than a round's worth waiting: come back after the sockets had their turn.
  if (state_->media.on_handoff()) loop_.wake();
  publish_counters();
}

void MediaWorker::publish_counters() {
  const auto& k = state_->media.counters();
  snapshot_.datagrams.store(k.received + k.sent, std::memory_order_relaxed);
  snapshot_.handed_off.store(k.handed_off, std::memory_order_relaxed);
  snapshot_.taken_over.store(k.taken_over, std::memory_order_relaxed);
}

void MediaWorker::on_timer() {
  state_->media.on_timer();
  publish_counters();
}

std::optional<Timestamp> MediaWorker::next_wakeup() { return state_->media.next_wakeup(); }

void MediaWorker::publish() {
  snapshot_.conferences.store(state_->conferences.conference_count(), std::memory_order_relaxed);
  snapshot_.endpoints.store(state_->conferences.endpoint_count(), std::memory_order_relaxed);
}

void MediaWorker::publish_statistics(Timestamp now) {
  State& s = *state_;
  stats::WorkerStats out = s.messages;
  s.conferences.collect_stats(out);
  s.router.collect_stats(now, out);
  out.inactive_endpoints = s.forwarding.inactive_endpoints();
  out.endpoints_with_suspended_sources = s.forwarding.endpoints_with_suspended_sources();
  out.endpoints_oversending = s.forwarding.endpoints_oversending();
  const auto& f = s.forwarding.counters();
  out.dominant_speaker_changes = f.dominant_speaker_changes;
  out.endpoints_disconnected = f.endpoints_disconnected;
  out.endpoints_reconnected = f.endpoints_reconnected;
  out.endpoints_without_message_transport = f.endpoints_without_message_transport;
  {
    std::scoped_lock lock(snapshot_.stats_mutex);
    snapshot_.stats = std::move(out);
  }
  snapshot_.heartbeat.store(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count(),
      std::memory_order_release);
}

void MediaWorker::apply(Command& command) {
  State& s = *state_;
  ++epoch_;
  Timestamp now = clock_();
  std::visit(
      [&](auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, command::ModifyConference>) {
          ModifyOutcome outcome;
          outcome.result = s.conferences.handle(c.request, now);
          outcome.conference_exists = s.conferences.find(c.request.meeting_id) != nullptr;
          outcome.epoch = epoch_;
          publish();  // before the answer: the control thread places the next conference by it
          c.done.set_value(std::move(outcome));
        } else if constexpr (std::is_same_v<T, command::AuthenticateWs>) {
          c.done.set_value(s.conferences.authenticate_ws(c.conference_id, c.endpoint_id, c.password));
        } else if constexpr (std::is_same_v<T, command::ChannelOpened>) {
          s.ws_open.insert(c.endpoint);
          s.forwarding.on_channel_open(c.endpoint, conference::ChannelTransport::kWebSocket, now);
        } else if constexpr (std::is_same_v<T, command::ChannelMessage>) {
          ++s.messages.colibri_ws_messages_received;
          s.forwarding.on_message(c.endpoint, conference::ChannelTransport::kWebSocket, c.text, now);
        } else if constexpr (std::is_same_v<T, command::ChannelClosed>) {
          s.ws_open.erase(c.endpoint);
          s.forwarding.on_channel_closed(c.endpoint, conference::ChannelTransport::kWebSocket);
        } else if constexpr (std::is_same_v<T, command::SetGracefulShutdown>) {
          s.conferences.set_graceful_shutdown(c.on);
        } else if constexpr (std::is_same_v<T, command::DebugState>) {
          // Read before this snapshot allocates: two snapshots in a row then differ by nothing
          // but the first one's own allocations.
          auto heap = heap_allocations_on_this_thread();
          auto state =
              conference::debug_state(s.conferences, s.router, s.media.port(), s.forwarding, c.view, now);
          if (c.view == conference::DebugView::kFull) {
            const auto& k = s.media.counters();
            state["media_port"] = {{"received", k.received},
                                   {"sent", k.sent},
                                   {"handed_off", k.handed_off},
                                   {"taken_over", k.taken_over},
                                   {"handoff_dropped", k.handoff_dropped},
                                   {"sent_without_source", k.sent_without_source},
                                   {"foreign", s.media.port().demux_counters().foreign}};
            // This worker thread's heap allocations since it started (null where not counted).
            state["media_port"]["heap_allocations"] = heap ? nlohmann::json(*heap) : nlohmann::json();
          }
          c.done.set_value(std::move(state));
        } else if constexpr (std::is_same_v<T, command::Hold>) {
          c.release.wait();
        }
      },
      command);
}

}  // namespace jvb::worker
