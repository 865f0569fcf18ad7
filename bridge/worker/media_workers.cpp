// See media_workers.hpp.
#include "bridge/worker/media_workers.hpp"

#include <glib.h>

#include <limits>

#include "bridge/conference/debug_state.hpp"
#include "bridge/core/log.hpp"

namespace jvb::worker {
namespace {

constexpr log::Logger kLog{"MediaWorkers"};
// Per ordered pair of workers: about 1.5 MB, some 10 ms of a busy worker's hand-offs.
constexpr std::size_t kRingSlots = 1024;

// Runs `fn` on the control thread (the default main context) unless `alive` is gone by then.
void post_to_control(std::weak_ptr<void> alive, std::function<void()> fn) {
  struct Posted {
    std::weak_ptr<void> alive;
    std::function<void()> fn;
  };
  g_idle_add_full(
      G_PRIORITY_DEFAULT,
      [](gpointer data) -> gboolean {
        auto* p = static_cast<Posted*>(data);
        if (!p->alive.expired()) p->fn();
        return G_SOURCE_REMOVE;
      },
      new Posted{std::move(alive), std::move(fn)}, [](gpointer data) { delete static_cast<Posted*>(data); });
}

}  // namespace

// The workers' way back to the control thread.
class MediaWorkers::Link final : public ControlLink {
 public:
  explicit Link(MediaWorkers& owner) : owner_(owner) {}
  void send_ws(transport::EndpointHandle to, std::string message) override {
    post_to_control(alive_, [this, to, message = std::move(message)] {
      if (owner_.ws_send_) owner_.ws_send_(to, message);
    });
  }
  void close_ws(transport::EndpointHandle endpoint) override {
    post_to_control(alive_, [this, endpoint] {
      if (owner_.ws_close_) owner_.ws_close_(endpoint);
    });
  }
  void conference_gone(WorkerIndex worker, signaling::MeetingId meeting, std::uint64_t epoch) override {
    post_to_control(alive_, [this, worker, meeting = std::move(meeting), epoch] {
      owner_.conference_gone(worker, meeting, epoch);
    });
  }

 private:
  MediaWorkers& owner_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

Result<std::unique_ptr<MediaWorkers>, std::string> MediaWorkers::start(io::PortSockets sockets,
                                                                       const WorkerSetup& setup) {
  std::unique_ptr<MediaWorkers> self(new MediaWorkers());
  const std::size_t n = sockets.per_worker.size();
  self->port_ = sockets.port;
  self->link_ = std::make_unique<Link>(*self);
  // A ring per ordered pair of workers; a single worker hands nothing over.
  self->rings_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    self->rings_[i].resize(n);
    for (std::size_t j = 0; j < n; ++j) {
      if (i != j) self->rings_[i][j] = std::make_unique<io::HandoffRing>(kRingSlots);
    }
  }
  self->peers_.assign(n, nullptr);
  for (std::size_t i = 0; i < n; ++i) {
    auto w = MediaWorker::start(static_cast<WorkerIndex>(i), std::move(sockets.per_worker[i]), setup,
                                self->directory_, self->rings_, self->peers_, *self->link_);
    if (!w) return unexpected("media worker " + std::to_string(i) + ": " + w.error());
    self->peers_[i] = w->get();
    self->workers_.push_back(std::move(*w));
  }
  kLog.info("{} media worker{} on UDP port {}", n, n == 1 ? "" : "s", self->port_);
  return self;
}

MediaWorkers::~MediaWorkers() {
  // Joined before the rings, the directory and the link they use go.
  workers_.clear();
}

WorkerIndex MediaWorkers::least_loaded() const {
  WorkerIndex best = 0;
  auto fewest = std::numeric_limits<std::uint64_t>::max();
  for (const auto& w : workers_) {
    // A conference just given to a worker has no endpoints yet: count conferences too, so that
    // a burst of new conferences spreads.
    const auto& s = w->snapshot();
    auto load = s.endpoints.load(std::memory_order_relaxed) + s.conferences.load(std::memory_order_relaxed);
    if (load < fewest) {
      fewest = load;
      best = w->index();
    }
  }
  return best;
}

Result<signaling::ConferenceModified, signaling::Colibri2Error> MediaWorkers::handle(
    const signaling::ConferenceModify& request) {
  auto known = owners_.find(request.meeting_id);
  WorkerIndex worker = known != owners_.end() ? known->second.worker : least_loaded();
  command::ModifyConference c{request, {}};
  auto answer = c.done.get_future();
  workers_[worker]->post(std::move(c));
  ModifyOutcome outcome = answer.get();
  if (outcome.conference_exists) {
    // A worker's epochs only grow, and its answers arrive in order: this one is the newest.
    owners_[request.meeting_id] = {worker, outcome.epoch};
  } else if (known != owners_.end()) {
    owners_.erase(request.meeting_id);
  }
  return std::move(outcome.result);
}

void MediaWorkers::conference_gone(WorkerIndex worker, const signaling::MeetingId& meeting,
                                   std::uint64_t epoch) {
  auto it = owners_.find(meeting);
  // An answer the worker gave after it went (the conference made again) is newer than this.
  if (it != owners_.end() && it->second.worker == worker && it->second.epoch < epoch) owners_.erase(it);
}

void MediaWorkers::set_graceful_shutdown(bool on) {
  for (auto& w : workers_) w->post(command::SetGracefulShutdown{on});
}

std::optional<transport::EndpointHandle> MediaWorkers::authenticate_ws(std::string_view conference_id,
                                                                       std::string_view endpoint_id,
                                                                       std::string_view password) {
  // colibri-ws URLs name the bridge's own conference id, which only its worker knows.
  for (auto& w : workers_) {
    command::AuthenticateWs c{
        std::string(conference_id), std::string(endpoint_id), std::string(password), {}};
    auto answer = c.done.get_future();
    w->post(std::move(c));
    if (auto endpoint = answer.get()) return endpoint;
  }
  return std::nullopt;
}

void MediaWorkers::post_to_owner(transport::EndpointHandle endpoint, Command command) {
  auto w = MediaWorker::owner_of(endpoint);
  if (w < workers_.size()) workers_[w]->post(std::move(command));
}

void MediaWorkers::channel_opened(transport::EndpointHandle endpoint) {
  post_to_owner(endpoint, command::ChannelOpened{endpoint});
}

void MediaWorkers::channel_message(transport::EndpointHandle endpoint, std::string_view text) {
  post_to_owner(endpoint, command::ChannelMessage{endpoint, std::string(text)});
}

void MediaWorkers::channel_closed(transport::EndpointHandle endpoint) {
  post_to_owner(endpoint, command::ChannelClosed{endpoint});
}

void MediaWorkers::set_websocket_output(
    std::function<bool(transport::EndpointHandle, const std::string&)> send,
    std::function<void(transport::EndpointHandle)> close) {
  ws_send_ = std::move(send);
  ws_close_ = std::move(close);
}

nlohmann::json MediaWorkers::debug_state(conference::DebugView view) {
  const bool full = view == conference::DebugView::kFull;
  std::vector<std::future<nlohmann::json>> answers;
  for (auto& w : workers_) {
    command::DebugState c{view, {}};
    answers.push_back(c.done.get_future());
    w->post(std::move(c));
  }
  nlohmann::json total = {{"conferences", nlohmann::json::object()}};
  nlohmann::json per_worker = nlohmann::json::array();
  for (std::size_t i = 0; i < answers.size(); ++i) {
    nlohmann::json part = answers[i].get();
    if (full) {
      per_worker.push_back(
          {{"worker", i}, {"conferences", part["conferences"].size()}, {"media_port", part["media_port"]}});
    }
    conference::merge_debug_state(total, part);
  }
  if (full) total["media_workers"] = std::move(per_worker);
  return total;
}

std::uint64_t MediaWorkers::sum(std::atomic<std::uint64_t> Snapshot::*field) const {
  std::uint64_t n = 0;
  for (const auto& w : workers_) n += (w->snapshot().*field).load(std::memory_order_relaxed);
  return n;
}

std::vector<stats::WorkerStats> MediaWorkers::statistics() const {
  std::vector<stats::WorkerStats> out;
  for (const auto& w : workers_) out.push_back(w->snapshot().statistics());
  return out;
}

std::optional<WorkerIndex> MediaWorkers::stalled_worker(Timestamp now, Duration limit) const {
  for (const auto& w : workers_) {
    const Timestamp beat{std::chrono::nanoseconds(w->snapshot().heartbeat.load(std::memory_order_acquire))};
    // A worker that has not run its first timer yet counts from when it started: never 0.
    if (beat.time_since_epoch().count() != 0 && now - beat > limit) return w->index();
  }
  return std::nullopt;
}

}  // namespace jvb::worker
