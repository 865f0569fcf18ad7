// Conferences and their endpoints as Colibri2 shapes them (JVB's Colibri2ConferenceHandler.kt;
// expiry as its VideobridgeExpireThread): applies one conference-modify at a time, in the order
// requests arrive, and answers with conference-modified or the typed error Jicofo expects. Creating
// an endpoint creates its transport on the media port and answers with its ICE credentials,
// candidates and DTLS fingerprint; updates feed the remote ICE and DTLS parameters to that
// transport; idle endpoints and empty conferences expire as JVB's do.
//
// Each media worker has its own instance for the conferences it owns, called on the worker's
// thread; a request is answered only after it has been applied: handle() is synchronous.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/conference/endpoint.hpp"
#include "bridge/conference/forwarding_controller.hpp"
#include "bridge/conference/router.hpp"
#include "bridge/core/result.hpp"
#include "bridge/core/time.hpp"
#include "bridge/dtls/dtls_certificate.hpp"
#include "bridge/signaling/colibri2.hpp"
#include "bridge/signaling/colibri2_error.hpp"
#include "bridge/transport/media_port.hpp"
#include "ice/candidate.hpp"

namespace jvb::conference {

struct ConferenceOptions {
  transport::TransportConfig transport;
  std::vector<ice::Candidate> local_candidates;              // what endpoints are told to connect to
  std::string ufrag_prefix;                                  // videobridge.ice.ufrag-prefix
  bool sctp_enabled = true;                                  // videobridge.sctp.enabled
  std::size_t sctp_max_channels = 1;                         // videobridge.sctp.max-channels
  std::size_t ssrc_limit_video = 50, ssrc_limit_audio = 50;  // videobridge.ssrc-limit
  // colibri-ws (JVB's doc/web-sockets.md): one URL per domain in every endpoint's transport, when
  // websockets are enabled and the public HTTP server runs.
  struct ColibriWs {
    std::vector<std::string> domains;
    bool tls = false;
    std::string server_id = "default-id";
  };
  std::optional<ColibriWs> colibri_ws;
  bool relays_enabled = false;                                       // videobridge.relay.enabled
  Duration endpoint_idle_timeout = std::chrono::minutes(1);          // entity-expiration.timeout
  Duration endpoint_first_packet_timeout = std::chrono::minutes(2);  // JVB's hard-coded limit
  Duration empty_conference_grace = std::chrono::seconds(20);
};

struct Conference {
  signaling::MeetingId meeting_id;
  std::string id;  // the bridge's own conference id (16 hex digits), as JVB logs it
  std::optional<std::string> name;
  // Colibri2's rtcstats-enabled, given at creation: whether GET /stats lists the conference.
  bool rtcstats_enabled = true;
  Timestamp created{};
  signaling::Ssrc audio_feedback_ssrc, video_feedback_ssrc;
  std::map<signaling::EndpointId, Endpoint>
      endpoints;  // a node per record: router and controller point at it
};

class ConferenceManager {
 public:
  // `router` and `controller` (null in tests of signaling alone) are told about every
  // endpoint and its media.
  ConferenceManager(ConferenceOptions options, transport::MediaPort& port,
                    std::shared_ptr<const dtls::DtlsCertificate> certificate, Router* router = nullptr,
                    ForwardingController* controller = nullptr);

  Result<signaling::ConferenceModified, signaling::Colibri2Error> handle(
      const signaling::ConferenceModify& request, Timestamp now);

  // Expires endpoints that failed, never sent anything, or went silent, and conferences left
  // empty; JVB runs this every entity-expiration.check-interval.
  void expire_idle(Timestamp now);

  // The endpoint a colibri-ws connection may attach to: bridge conference id, endpoint id and
  // pwd must match (as JVB's ColibriWebSocketServlet checks).
  std::optional<transport::EndpointHandle> authenticate_ws(std::string_view conference_id,
                                                           std::string_view endpoint_id,
                                                           std::string_view password) const;
  // Told of every endpoint that goes away (after the router and the controller).
  void set_endpoint_removed_hook(std::function<void(transport::EndpointHandle)> hook) {
    endpoint_removed_ = std::move(hook);
  }

  // Told of every conference that goes away (expired, or ended by a request).
  void set_conference_removed_hook(std::function<void(const signaling::MeetingId&)> hook) {
    conference_removed_ = std::move(hook);
  }

  // New conferences are refused while shutting down gracefully.
  void set_graceful_shutdown(bool on) { graceful_shutdown_ = on; }

  const Conference* find(const signaling::MeetingId& id) const;
  const std::unordered_map<signaling::MeetingId, Conference>& conferences() const { return conferences_; }
  std::size_t conference_count() const { return conferences_.size(); }
  std::size_t endpoint_count() const;
  // Conferences, their sizes and the counters above, for the bridge's statistics.
  void collect_stats(stats::WorkerStats& out) const;

  struct Counters {
    std::uint64_t conferences_created = 0, conferences_expired = 0;
    std::uint64_t endpoints_created = 0, endpoints_expired = 0, visitors_created = 0;
    std::uint64_t requests = 0, errors = 0;
    std::uint64_t conference_seconds = 0;  // the lifetimes of the expired conferences
  };
  const Counters& counters() const { return counters_; }

 private:
  Result<signaling::Endpoint, signaling::Colibri2Error> create_endpoint(Conference& c,
                                                                        const signaling::Endpoint& request,
                                                                        Timestamp now);
  Result<signaling::Endpoint, signaling::Colibri2Error> update_endpoint(Endpoint& e,
                                                                        const signaling::Endpoint& request,
                                                                        Timestamp now);
  Result<bool, signaling::Colibri2Error> apply_sources(Endpoint& e, const signaling::Endpoint& request);
  signaling::Transport local_transport(const Endpoint& e);
  void expire_endpoint(Conference& c, const signaling::EndpointId& id, Timestamp now);
  void sync_router(const Conference& c, Endpoint& e, Timestamp now);
  void remove_media(Endpoint& e, Timestamp now);
  void expire_conference(const signaling::MeetingId& id, Timestamp now);
  std::uint32_t random_u32();

  ConferenceOptions options_;
  transport::MediaPort& port_;
  std::shared_ptr<const dtls::DtlsCertificate> certificate_;
  Router* router_;
  ForwardingController* controller_;
  std::function<void(transport::EndpointHandle)> endpoint_removed_;
  std::function<void(const signaling::MeetingId&)> conference_removed_;
  std::unordered_map<signaling::MeetingId, Conference> conferences_;
  std::mt19937_64 random_;
  bool graceful_shutdown_ = false;
  Counters counters_;
};

}  // namespace jvb::conference
