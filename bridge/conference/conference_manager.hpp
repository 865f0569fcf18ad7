// Conferences and their endpoints as Colibri2 shapes them (shared/docs/protocol/signaling.md
// §4.3-4.5, §7): applies one conference-modify at a time, in the order requests arrive, and
// answers with conference-modified or the typed error Jicofo expects. Creating an endpoint
// creates its transport on the media port and answers with its ICE credentials, candidates and
// DTLS fingerprint; updates feed the remote ICE and DTLS parameters to that transport; idle
// endpoints and empty conferences expire as JVB's do.
//
// Every signaling plugin (REST now, XMPP later) calls the same instance from the control thread.
// A request is answered only after it has been applied: handle() is synchronous.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

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
  std::vector<ice::Candidate> local_candidates;                      // what endpoints are told to connect to
  std::string ufrag_prefix;                                          // videobridge.ice.ufrag-prefix
  bool sctp_enabled = true;                                          // videobridge.sctp.enabled
  bool relays_enabled = false;                                       // videobridge.relay.enabled
  Duration endpoint_idle_timeout = std::chrono::minutes(1);          // entity-expiration.timeout
  Duration endpoint_first_packet_timeout = std::chrono::minutes(2);  // JVB's hard-coded limit
  Duration empty_conference_grace = std::chrono::seconds(20);
};

struct EndpointState {
  signaling::EndpointId id;
  transport::EndpointId transport = 0;
  std::optional<std::string> stats_id;
  std::optional<signaling::MucRole> muc_role;
  std::vector<signaling::Media> medias;
  std::vector<signaling::MediaSource> sources;
  signaling::ForceMute force_mute;
  std::optional<std::int32_t> initial_last_n;
  bool sctp = false;
  Timestamp created{};
};

struct Conference {
  signaling::MeetingId meeting_id;
  std::string id;  // the bridge's own conference id (16 hex digits), as JVB logs it
  std::optional<std::string> name;
  Timestamp created{};
  signaling::Ssrc audio_feedback_ssrc, video_feedback_ssrc;
  std::map<signaling::EndpointId, EndpointState> endpoints;
};

class ConferenceManager {
 public:
  // `router` (may be null in tests of signaling alone) is told about every endpoint's media.
  ConferenceManager(ConferenceOptions options, transport::MediaPort& port,
                    std::shared_ptr<const dtls::DtlsCertificate> certificate, Router* router = nullptr);

  Result<signaling::ConferenceModified, signaling::Colibri2Error> handle(
      const signaling::ConferenceModify& request, Timestamp now);

  // Expires endpoints that failed, never sent anything, or went silent, and conferences left
  // empty; JVB runs this every entity-expiration.check-interval.
  void expire_idle(Timestamp now);

  // New conferences are refused while shutting down gracefully.
  void set_graceful_shutdown(bool on) { graceful_shutdown_ = on; }

  const Conference* find(const signaling::MeetingId& id) const;
  const std::unordered_map<signaling::MeetingId, Conference>& conferences() const { return conferences_; }
  std::size_t conference_count() const { return conferences_.size(); }
  std::size_t endpoint_count() const;

  struct Counters {
    std::uint64_t conferences_created = 0, conferences_expired = 0;
    std::uint64_t endpoints_created = 0, endpoints_expired = 0;
    std::uint64_t requests = 0, errors = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  Result<signaling::Endpoint, signaling::Colibri2Error> create_endpoint(Conference& c,
                                                                        const signaling::Endpoint& request,
                                                                        Timestamp now);
  Result<signaling::Endpoint, signaling::Colibri2Error> update_endpoint(EndpointState& e,
                                                                        const signaling::Endpoint& request,
                                                                        Timestamp now);
  Result<bool, signaling::Colibri2Error> apply_sources(EndpointState& e, const signaling::Endpoint& request);
  signaling::Transport local_transport(const EndpointState& e);
  void expire_endpoint(Conference& c, const signaling::EndpointId& id);
  void sync_router(const Conference& c, const EndpointState& e);
  void expire_conference(const signaling::MeetingId& id);
  std::uint32_t random_u32();

  ConferenceOptions options_;
  transport::MediaPort& port_;
  std::shared_ptr<const dtls::DtlsCertificate> certificate_;
  Router* router_;
  std::unordered_map<signaling::MeetingId, Conference> conferences_;
  std::mt19937_64 random_;
  bool graceful_shutdown_ = false;
  Counters counters_;
};

}  // namespace jvb::conference
