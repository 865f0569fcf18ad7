// The focus: a small Jicofo stand-in for the demo and the browser tests. It serves the call page,
// talks to each browser over a WebSocket (JSON messages, described in focus_server.cpp), and
// allocates the browsers' endpoints on the bridge with Colibri2 the way Jicofo does (its
// Colibri2Session), through a ColibriClient (REST or XMPP): one conference per room, one endpoint
// per browser (with SCTP for the bridge channel, or none for a page that asks for colibri-ws; with
// the ssrc-rewriting capability for a page that asks for it, which is then offered no remote
// streams), the browser's transport and sources from its SDP answer, expire on leave.
//
// The focus is always the SDP offerer; each browser has at most one offer outstanding, and a
// change that needs renegotiation while one is outstanding is offered once the answer arrives.
//
// Control thread only: everything runs on the thread-default GLib main context.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "bridge/core/result.hpp"
#include "tools/focus/bridge_client.hpp"
#include "tools/focus/colibri_client.hpp"
#include "tools/focus/offer_layout.hpp"

namespace jvb::focus {

struct FocusOptions {
  // The bridge's private HTTP server, e.g. http://127.0.0.1:8080/, for the bitrate panel's
  // GET /debug; empty: the panel says stats are unavailable.
  std::string stats_url;
  std::string listen_host = "127.0.0.1";
  int listen_port = 0;  // 0: any free port
  std::string page_dir;
  // Ask the bridge for SCTP (the bridge channel's data channel) in every endpoint create, as
  // Jicofo does with jicofo.sctp.enabled; off: no data line, the pages run without a channel.
  bool sctp = true;
};

class FocusServer {
 public:
  // `colibri` carries every Colibri2 request to the bridge(s).
  static Result<std::unique_ptr<FocusServer>, std::string> start(FocusOptions options,
                                                                 std::unique_ptr<ColibriClient> colibri);
  ~FocusServer();
  FocusServer(const FocusServer&) = delete;
  FocusServer& operator=(const FocusServer&) = delete;

  // e.g. "http://127.0.0.1:40123/"
  const std::string& url() const { return url_; }

  // Closes every browser's WebSocket and expires every conference on the bridge; `done` runs
  // once the bridge has answered (or failed to: requests time out). Call once.
  void shutdown(std::function<void()> done);

 private:
  struct Impl;

  // One browser's place in a room.
  struct Participant {
    std::string endpoint;
    std::string name;
    std::uint64_t client = 0;
    bool created = false;  // the bridge answered the endpoint create
    signaling::IceUdpTransport bridge_transport;
    std::uint16_t sctp_port = kSctpPort;  // the bridge's, when its answer had SCTP
    bool web_socket_channel = false;      // the page asked for the bridge channel over colibri-ws
    // The page learns of remote sources from the bridge's source maps (ssrc-rewriting): its
    // offers carry no remote streams, as Jicofo's Jingle does not for such a client.
    bool ssrc_rewriting = false;
    std::string bridge_web_socket;  // the bridge's colibri-ws URL for it; empty: none advertised
    OfferLayout layout;
    std::uint64_t session_id = 0;
    std::uint64_t offer_version = 0;
    bool offer_in_flight = false;
    bool renegotiate = false;  // something changed while an offer was outstanding
    bool transport_signaled = false;
    std::vector<signaling::MediaSource> signaled_sources;  // last sent to the bridge
    std::vector<signaling::MediaSource> sources;           // accepted by the bridge: others receive these
  };

  struct Room {
    std::string name;
    std::string meeting_id;
    bool conference_requested = false;  // a create is queued or done on the bridge
    std::map<std::string, Participant> participants;
  };

  // One WebSocket connection.
  struct Client {
    std::uint64_t id = 0;
    void* connection = nullptr;  // SoupWebsocketConnection, referenced
    std::string room;            // empty until joined
    std::string endpoint;
  };

  FocusServer(FocusOptions options, std::unique_ptr<ColibriClient> colibri);

  // Page and WebSocket plumbing: Impl's libsoup callbacks land here.
  void serve_page(void* message, const std::string& path);
  void accept_websocket(void* connection);
  void websocket_closed(void* connection);
  void handle_text(Client& client, const std::string& text);
  void send(std::uint64_t client_id, const std::string& json_text);
  void send_error(std::uint64_t client_id, const std::string& message);

  // The call.
  struct JoinOptions {
    bool web_socket_channel = false;  // the bridge channel over colibri-ws, so no SCTP
    bool ssrc_rewriting = false;      // the capability ssrc-rewriting
    bool rtp_mid_demux = false;       // and rtp-mid-demux with it
  };
  void join(Client& client, const std::string& room_name, const std::string& display_name,
            JoinOptions options);
  void on_endpoint_created(const std::string& room_name, const std::string& meeting_id,
                           const std::string& endpoint, bool was_create, const ColibriResult& reply);
  void on_answer(Client& client, const std::string& sdp);
  void on_endpoint_updated(const std::string& room_name, const std::string& meeting_id,
                           const std::string& endpoint, std::vector<signaling::MediaSource> sources,
                           const ColibriResult& reply);
  void leave(Client& client);
  void remove_failed(Room& room, const std::string& endpoint, const std::string& why);
  void send_offer(Room& room, Participant& participant);
  void renegotiate_others(Room& room, const std::string& except);
  void broadcast_participants(const Room& room);

  // Stats for the pages, from the bridge's /debug.
  void fetch_stats();
  // `error` empty: `body` is the bridge's /debug answer.
  void on_stats(const std::string& error, const std::string& body);

  Room* find_room(const std::string& name, const std::string& meeting_id);
  void expire_conference(const Room& room);

  FocusOptions options_;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<ColibriClient> colibri_;
  std::unique_ptr<BridgeClient> stats_http_;  // null without options_.stats_url
  std::string url_;
  std::map<std::string, Room> rooms_;
  std::map<std::uint64_t, Client> clients_;
  std::uint64_t next_client_id_ = 1;
  bool stats_in_flight_ = false;
  bool stats_failing_ = false;  // logged once per failure streak
  bool shutting_down_ = false;
  int pending_expires_ = 0;
  std::function<void()> shutdown_done_;
};

}  // namespace jvb::focus
