// The media workers as the control thread sees them: starts them on the port's sockets, gives
// each new conference to the worker with the fewest endpoints, and turns what the signaling
// plugins, colibri-ws and /debug ask into commands to the worker that owns the conference or
// endpoint. A Colibri2 request is answered after its worker applied it: handle() posts it and
// waits for the answer, so a conference's requests are applied in the order they came, while
// the other workers go on forwarding. Counts (conferences, endpoints, datagrams) are read from
// the workers' snapshots without asking them.
//
// Control thread only (the default GLib main context): what workers post back (colibri-ws
// messages and closes, conferences gone) runs there too.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/worker/media_worker.hpp"

namespace jvb::worker {

class MediaWorkers {
 public:
  // `count` workers on `sockets` (io::bind_port_sockets for as many).
  static Result<std::unique_ptr<MediaWorkers>, std::string> start(io::PortSockets sockets,
                                                                  const WorkerSetup& setup);
  ~MediaWorkers();
  MediaWorkers(const MediaWorkers&) = delete;
  MediaWorkers& operator=(const MediaWorkers&) = delete;

  std::uint16_t port() const { return port_; }

  Result<signaling::ConferenceModified, signaling::Colibri2Error> handle(
      const signaling::ConferenceModify& request);
  bool has_conference(const signaling::MeetingId& meeting) const { return owners_.contains(meeting); }
  void set_graceful_shutdown(bool on);

  // colibri-ws (the ColibriWebSocketServer's owner calls these).
  std::optional<transport::EndpointHandle> authenticate_ws(std::string_view conference_id,
                                                           std::string_view endpoint_id,
                                                           std::string_view password);
  void channel_opened(transport::EndpointHandle endpoint);
  void channel_message(transport::EndpointHandle endpoint, std::string_view text);
  void channel_closed(transport::EndpointHandle endpoint);
  // How messages for colibri-ws sockets leave, and sockets of removed endpoints close.
  void set_websocket_output(std::function<bool(transport::EndpointHandle, const std::string&)> send,
                            std::function<void(transport::EndpointHandle)> close);

  // GET /debug: every worker's part, merged (conference::merge_debug_state), plus the workers.
  nlohmann::json debug_state(conference::DebugView view);

  // Posts to worker `index` directly (tests: command::Hold).
  void post(WorkerIndex index, Command command) { workers_.at(index)->post(std::move(command)); }

  // Each worker's latest media figures for the bridge's statistics (stats::StatsAggregator).
  std::vector<stats::WorkerStats> statistics() const;
  // A worker whose last heartbeat is older than `limit` at `now` (the workers' clock): it stopped
  // making progress. The first such worker's index.
  std::optional<WorkerIndex> stalled_worker(Timestamp now, Duration limit) const;

  std::size_t conference_count() const { return sum(&Snapshot::conferences); }
  std::size_t endpoint_count() const { return sum(&Snapshot::endpoints); }
  std::uint64_t datagrams() const { return sum(&Snapshot::datagrams); }
  std::uint64_t handed_off() const { return sum(&Snapshot::handed_off); }

 private:
  class Link;
  struct Owner {
    WorkerIndex worker;
    std::uint64_t epoch;
  };
  MediaWorkers() = default;
  WorkerIndex least_loaded() const;
  // colibri-ws commands go to the worker whose id range holds the endpoint.
  void post_to_owner(transport::EndpointHandle endpoint, Command command);
  std::uint64_t sum(std::atomic<std::uint64_t> Snapshot::*field) const;
  void conference_gone(WorkerIndex worker, const signaling::MeetingId& meeting, std::uint64_t epoch);

  std::uint16_t port_ = 0;
  io::RouteDirectory directory_;
  MediaWorker::Rings rings_;
  std::vector<MediaWorker*> peers_;
  std::unique_ptr<Link> link_;
  std::vector<std::unique_ptr<MediaWorker>> workers_;
  std::unordered_map<signaling::MeetingId, Owner> owners_;
  std::function<bool(transport::EndpointHandle, const std::string&)> ws_send_;
  std::function<void(transport::EndpointHandle)> ws_close_;
};

}  // namespace jvb::worker
