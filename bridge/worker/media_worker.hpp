// One media worker: a thread that owns, outright, the conferences it was given and everything
// of their packet path: its sockets of the media port and its MediaPort (io::MediaService), the
// Router, the ForwardingController and a ConferenceManager for those conferences. It is driven
// only by datagrams (its sockets, and datagrams other workers hand over), time, and the typed
// commands below, which the control thread posts (MediaWorkers). It never waits for the control
// thread: what it has for it (a colibri-ws message, a conference gone) is posted back.
//
// Commands are applied in the order they were posted, so one conference's Colibri2 requests are
// applied in order; one that wants an answer carries a promise the worker fulfils once applied.
// Counters the control thread reads at any time are published as atomics (Snapshot).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/conference/conference_manager.hpp"
#include "bridge/conference/debug_view.hpp"
#include "bridge/conference/forwarding_controller.hpp"
#include "bridge/io/handoff_ring.hpp"
#include "bridge/io/media_service.hpp"
#include "bridge/io/worker_loop.hpp"
#include "bridge/io/worker_routes.hpp"
#include "bridge/stats/bridge_stats.hpp"

namespace jvb::worker {

using io::WorkerIndex;

// What every worker is built from.
struct WorkerSetup {
  conference::ConferenceOptions conferences;
  conference::ForwardingOptions forwarding;
  bwe::BweConfig bwe;  // jmt.bwe.estimator
  std::shared_ptr<const dtls::DtlsCertificate> certificate;
  Duration expire_interval = std::chrono::minutes(1);  // entity-expiration.check-interval
  // The workers' time: the steady clock, or a fake one that a simulation moves.
  io::MediaService::TimeSource clock = [] { return Clock::now(); };
};

// What a worker tells the control thread. Called on the worker's thread: implementations only
// post to the control thread, never wait for it.
class ControlLink {
 public:
  virtual void send_ws(transport::EndpointHandle to, std::string message) = 0;
  virtual void close_ws(transport::EndpointHandle endpoint) = 0;
  // `epoch`: the worker's command count when it went (MediaWorkers orders it against answers).
  virtual void conference_gone(WorkerIndex worker, signaling::MeetingId meeting, std::uint64_t epoch) = 0;

 protected:
  ~ControlLink() = default;
};

// The typed commands.
struct ModifyOutcome {
  Result<signaling::ConferenceModified, signaling::Colibri2Error> result =
      unexpected(signaling::Colibri2Error{});
  bool conference_exists = false;  // after the request was applied
  std::uint64_t epoch = 0;
};
namespace command {
struct ModifyConference {
  signaling::ConferenceModify request;
  std::promise<ModifyOutcome> done;
};
struct AuthenticateWs {
  std::string conference_id, endpoint_id, password;
  std::promise<std::optional<transport::EndpointHandle>> done;
};
struct ChannelOpened {
  transport::EndpointHandle endpoint;
};
struct ChannelMessage {
  transport::EndpointHandle endpoint;
  std::string text;
};
struct ChannelClosed {
  transport::EndpointHandle endpoint;
};
struct SetGracefulShutdown {
  bool on;
};
struct DebugState {
  conference::DebugView view;
  std::promise<nlohmann::json> done;
};
// The worker does nothing else until `release` is ready: what a slow command or a long burst of
// datagrams does to it, for tests of what the other workers and the control thread do meanwhile.
struct Hold {
  std::shared_future<void> release;
};
}  // namespace command
using Command = std::variant<command::ModifyConference, command::AuthenticateWs, command::ChannelOpened,
                             command::ChannelMessage, command::ChannelClosed, command::SetGracefulShutdown,
                             command::DebugState, command::Hold>;

// Published by the worker, read by the control thread (stats presence, load, drain).
struct Snapshot {
  std::atomic<std::uint64_t> conferences{0}, endpoints{0};
  std::atomic<std::uint64_t> datagrams{0};  // both directions, through this worker's sockets
  std::atomic<std::uint64_t> handed_off{0}, taken_over{0};
  // The worker's time (nanoseconds of its clock) at its last timer run, at least once a second
  // while it makes progress: the health watchdog reads it.
  std::atomic<std::int64_t> heartbeat{0};
  // The bridge statistics' media figures, refreshed once a second (kStatsInterval) under the
  // lock: a copy, never touched by a packet.
  stats::WorkerStats statistics() const {
    std::scoped_lock lock(stats_mutex);
    return stats;
  }
  mutable std::mutex stats_mutex;
  stats::WorkerStats stats;
};

class MediaWorker final : io::WorkerLoop::Handler {
 public:
  // The rings between the workers of one process: rings[from][to] (null where from == to).
  using Rings = std::vector<std::vector<std::unique_ptr<io::HandoffRing>>>;

  // Starts the thread. `sockets`: this worker's sockets of the port.
  static Result<std::unique_ptr<MediaWorker>, std::string> start(
      WorkerIndex index, std::vector<io::UdpSocket> sockets, const WorkerSetup& setup,
      io::RouteDirectory& directory, Rings& rings, std::vector<MediaWorker*>& peers, ControlLink& control);
  // Stops and joins the thread; the worker's conferences end with it.
  ~MediaWorker();
  MediaWorker(const MediaWorker&) = delete;
  MediaWorker& operator=(const MediaWorker&) = delete;

  // From any thread.
  void post(Command command);
  // Datagrams are waiting in this worker's inbox rings.
  void wake() { loop_.wake(); }
  const Snapshot& snapshot() const { return snapshot_; }
  WorkerIndex index() const { return index_; }

  // The first endpoint handle of worker `index`: the handles of different workers never meet.
  static transport::EndpointHandle first_endpoint_handle(WorkerIndex index) {
    return (static_cast<transport::EndpointHandle>(index) << 48) + 1;
  }
  static WorkerIndex owner_of(transport::EndpointHandle endpoint) {
    return static_cast<WorkerIndex>(endpoint >> 48);
  }

 private:
  struct State;  // what lives on the worker's thread
  MediaWorker(WorkerIndex index, io::WorkerLoop loop, ControlLink& control,
              io::MediaService::TimeSource clock)
      : index_(index), loop_(std::move(loop)), control_(control), clock_(std::move(clock)) {}

  void run(std::vector<io::UdpSocket> sockets, WorkerSetup setup, io::MediaService::Handoff handoff,
           std::promise<void>& started);
  void on_readable(std::size_t socket_index) override;
  void on_wake() override;
  void on_timer() override;
  std::optional<Timestamp> next_wakeup() override;
  Timestamp now() override { return clock_(); }
  void apply(Command& command);
  void publish();
  void publish_counters();
  void publish_statistics(Timestamp now);

  WorkerIndex index_;
  io::WorkerLoop loop_;
  ControlLink& control_;
  io::MediaService::TimeSource clock_;
  std::mutex commands_mutex_;
  std::deque<Command> commands_;
  std::vector<Command> applying_;
  Snapshot snapshot_;
  State* state_ = nullptr;  // valid on the worker's thread while it runs
  std::uint64_t epoch_ = 0;
  std::thread thread_;
};

}  // namespace jvb::worker
