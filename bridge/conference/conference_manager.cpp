// See conference_manager.hpp. The rules are those of JVB's Videobridge.handleColibriRequest and
// Colibri2ConferenceHandler.kt.
#include "bridge/conference/conference_manager.hpp"

#include <algorithm>
#include <cstdio>

#include "bridge/core/log.hpp"
#include "bridge/core/strings.hpp"
#include "ice/credentials.hpp"

namespace jvb::conference {
namespace {

using signaling::Colibri2Error;
using signaling::ConferenceModified;
using signaling::ConferenceModify;

constexpr log::Logger kLog{"ConferenceManager"};
constexpr std::uint16_t kSctpPort = 5000;

// JVB parses the name as a bare JID (localpart@domain); anything else is refused (bad-request).
bool valid_conference_name(const std::string& name) {
  std::size_t at = name.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == name.size()) return false;
  if (name.find('@', at + 1) != std::string::npos || name.size() > 3071) return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '<' || c == '>';
  });
}

bool is_update(const signaling::Endpoint& e) {
  return e.create || !e.medias.empty() || e.transport || e.sources;
}

// The request shapes JVB accepts: endpoints or relays, not both; at most one relay; several
// endpoints only when none is a create or carries media, transport or sources.
std::optional<Colibri2Error> check_shape(const ConferenceModify& r) {
  if (!r.endpoints.empty() && !r.relays.empty()) {
    return Colibri2Error::unsupported_request("Requests with both endpoints and relays are not supported");
  }
  if (r.relays.size() > 1)
    return Colibri2Error::unsupported_request("Requests with more than one relay are not supported");
  if (r.endpoints.size() > 1 && std::any_of(r.endpoints.begin(), r.endpoints.end(), is_update)) {
    return Colibri2Error::unsupported_request(
        "Requests with more than one endpoint are supported only for expire and force-mute");
  }
  return std::nullopt;
}

ice::Candidate to_ice(const signaling::Candidate& c) {
  ice::Candidate out;
  out.foundation = c.foundation;
  out.component = c.component;
  out.transport = c.protocol;
  out.priority = c.priority;
  if (auto a = SocketAddress::parse(c.ip, c.port)) out.address = *a;
  switch (c.type) {
    case signaling::CandidateType::kHost:
      out.type = ice::CandidateType::kHost;
      break;
    case signaling::CandidateType::kSrflx:
      out.type = ice::CandidateType::kServerReflexive;
      break;
    case signaling::CandidateType::kPrflx:
      out.type = ice::CandidateType::kPeerReflexive;
      break;
    case signaling::CandidateType::kRelay:
      out.type = ice::CandidateType::kRelayed;
      break;
  }
  out.generation = c.generation.value_or(0);
  return out;
}

signaling::Candidate to_signaling(const ice::Candidate& c, std::string id) {
  signaling::Candidate out;
  out.foundation = c.foundation;
  out.component = c.component;
  out.protocol = c.transport;
  out.priority = c.priority;
  out.ip = c.address.ip();
  out.port = c.address.port();
  switch (c.type) {
    case ice::CandidateType::kHost:
      out.type = signaling::CandidateType::kHost;
      break;
    case ice::CandidateType::kServerReflexive:
      out.type = signaling::CandidateType::kSrflx;
      break;
    case ice::CandidateType::kPeerReflexive:
      out.type = signaling::CandidateType::kPrflx;
      break;
    case ice::CandidateType::kRelayed:
      out.type = signaling::CandidateType::kRelay;
      break;
  }
  out.generation = c.generation;
  out.network = 0;
  if (c.related) {
    out.rel_addr = c.related->ip();
    out.rel_port = c.related->port();
  }
  out.id = std::move(id);
  return out;
}

// Feeds the remote side's ICE and DTLS parameters (session-accept / transport-info) to the
// endpoint's transport.
void apply_remote_transport(transport::EndpointTransport& t, const signaling::Transport& remote,
                            Timestamp now) {
  if (!remote.ice) return;
  const signaling::IceUdpTransport& ice = *remote.ice;
  std::vector<ice::Candidate> candidates;
  for (const auto& c : ice.candidates) {
    ice::Candidate converted = to_ice(c);
    if (converted.address.is_set() && converted.transport == "udp") candidates.push_back(converted);
  }
  if (!ice.ufrag.empty() && !ice.pwd.empty()) {
    t.set_remote_ice({ice.ufrag, ice.pwd}, candidates);
  } else {
    for (const auto& c : candidates) t.add_remote_candidate(c);
  }
  // A transport without fingerprints must not wipe the ones already signaled.
  if (ice.fingerprints.empty()) return;
  std::vector<dtls::DtlsFingerprint> fingerprints;
  for (const auto& f : ice.fingerprints) fingerprints.push_back({f.hash, f.value});
  // Remote active: we are the DTLS server. Remote passive: we are the client. actpass or no
  // setup: we wait for the ClientHello, which is what browsers answering `active` expect.
  auto setup = ice.fingerprints.front().setup;
  transport::DtlsSetup remote_setup = setup == signaling::DtlsSetup::kPassive ? transport::DtlsSetup::kPassive
                                                                              : transport::DtlsSetup::kActive;
  t.set_remote_dtls(std::move(fingerprints), remote_setup, now);
}

}  // namespace

ConferenceManager::ConferenceManager(ConferenceOptions options, transport::MediaPort& port,
                                     std::shared_ptr<const dtls::DtlsCertificate> certificate, Router* router,
                                     ForwardingController* controller)
    : options_(std::move(options)),
      port_(port),
      certificate_(std::move(certificate)),
      router_(router),
      controller_(controller),
      random_(std::random_device{}()) {}

std::uint32_t ConferenceManager::random_u32() { return static_cast<std::uint32_t>(random_()); }

std::size_t ConferenceManager::endpoint_count() const {
  std::size_t n = 0;
  for (const auto& [id, c] : conferences_) n += c.endpoints.size();
  return n;
}

const Conference* ConferenceManager::find(const signaling::MeetingId& id) const {
  auto it = conferences_.find(id);
  return it == conferences_.end() ? nullptr : &it->second;
}

Result<ConferenceModified, Colibri2Error> ConferenceManager::handle(const ConferenceModify& request,
                                                                    Timestamp now) {
  ++counters_.requests;
  auto fail = [this](Colibri2Error e) -> Result<ConferenceModified, Colibri2Error> {
    ++counters_.errors;
    return unexpected(std::move(e));
  };
  if (auto e = check_shape(request)) return fail(std::move(*e));

  auto it = conferences_.find(request.meeting_id);
  if (request.create) {
    if (it != conferences_.end()) return fail(Colibri2Error::conference_already_exists(request.meeting_id));
    if (graceful_shutdown_) return fail(Colibri2Error::graceful_shutdown());
    if (request.name && !valid_conference_name(*request.name))
      return fail(Colibri2Error::invalid_conference_name());
    Conference c;
    c.meeting_id = request.meeting_id;
    char id[17];
    std::snprintf(id, sizeof id, "%08x%08x", random_u32(), random_u32());
    c.id = id;
    c.name = request.name;
    c.rtcstats_enabled = request.rtcstats_enabled;
    c.created = now;
    c.audio_feedback_ssrc = signaling::Ssrc(random_u32());
    c.video_feedback_ssrc = signaling::Ssrc(random_u32());
    it = conferences_.emplace(request.meeting_id, std::move(c)).first;
    ++counters_.conferences_created;
    kLog.info("Created conference {} (meeting {}, {})", it->second.id, request.meeting_id.str(),
              request.name.value_or("no name"));
  } else if (it == conferences_.end()) {
    return fail(Colibri2Error::conference_not_found(request.meeting_id));
  }
  Conference& conference = it->second;

  if (!request.relays.empty()) {
    // Relays (Octo) are not built yet: refusing is what Jicofo handles, where an
    // empty answer would make it wait for a relay transport that never comes.
    return fail(Colibri2Error::feature_not_implemented(
        options_.relays_enabled ? "Relays (Octo) are not supported by this bridge yet."
                                : "Octo is disabled in configuration."));
  }

  // Requests that only expire or force-mute skip unknown ids (JVB's "ignore unknown" mode).
  bool ignore_unknown = std::none_of(request.endpoints.begin(), request.endpoints.end(), is_update) &&
                        std::all_of(request.relays.begin(), request.relays.end(),
                                    [](const signaling::Relay& r) { return r.expire; });

  ConferenceModified response;
  bool created_endpoint = false;
  for (const signaling::Endpoint& e : request.endpoints) {
    if (e.create) {
      auto created = create_endpoint(conference, e, now);
      if (!created) return fail(std::move(created).error());
      response.endpoints.push_back(std::move(*created));
      created_endpoint = true;
      continue;
    }
    auto found = conference.endpoints.find(e.id);
    if (e.expire) {
      if (found != conference.endpoints.end()) expire_endpoint(conference, e.id, now);
      signaling::Endpoint echo;
      echo.id = e.id;
      echo.expire = true;
      response.endpoints.push_back(std::move(echo));
      continue;
    }
    if (found == conference.endpoints.end()) {
      if (ignore_unknown) {
        signaling::Endpoint echo;
        echo.id = e.id;
        response.endpoints.push_back(std::move(echo));
        continue;
      }
      return fail(Colibri2Error::unknown_endpoint(e.id));
    }
    auto updated = update_endpoint(found->second, e, now);
    if (!updated) return fail(std::move(updated).error());
    sync_router(conference, found->second, now);
    response.endpoints.push_back(std::move(*updated));
  }

  if (request.create || created_endpoint) {
    signaling::MediaSource audio, video;
    audio.type = signaling::MediaType::kAudio;
    audio.id = signaling::SourceName("jvb-a0");
    audio.sources.push_back({conference.audio_feedback_ssrc, signaling::SourceName("jvb-a0"), {}, {}, {}});
    video.type = signaling::MediaType::kVideo;
    video.id = signaling::SourceName("jvb-v0");
    video.sources.push_back({conference.video_feedback_ssrc, signaling::SourceName("jvb-v0"), {}, {}, {}});
    response.sources = std::vector<signaling::MediaSource>{std::move(audio), std::move(video)};
  }

  // Expire the conference after answering when asked to, or when a request other than a create
  // left it without endpoints, as JVB does.
  if (request.expire || (!request.create && conference.endpoints.empty()))
    expire_conference(request.meeting_id, now);
  return response;
}

Result<signaling::Endpoint, Colibri2Error> ConferenceManager::create_endpoint(
    Conference& c, const signaling::Endpoint& request, Timestamp now) {
  if (c.endpoints.count(request.id)) return unexpected(Colibri2Error::endpoint_already_exists(request.id));
  if (!request.transport) {
    return unexpected(Colibri2Error::bad_request("Attempt to create endpoint " + request.id.str() +
                                                 " with no <transport>"));
  }
  if (!request.has_capability(signaling::kCapabilitySourceNames)) {
    return unexpected(Colibri2Error::bad_request("Source name support is mandatory."));
  }
  bool sctp = request.transport->sctp.has_value();
  if (sctp) {
    if (!options_.sctp_enabled)
      return unexpected(Colibri2Error::feature_not_implemented("SCTP support is not configured"));
    const signaling::Sctp& s = *request.transport->sctp;
    if (s.role && *s.role != signaling::SctpRole::kServer) {
      return unexpected(Colibri2Error::feature_not_implemented("Unsupported SCTP role"));
    }
    if (s.port && *s.port != kSctpPort)
      return unexpected(Colibri2Error::bad_request("Unsupported SCTP port"));
  }

  Endpoint e;
  e.id = request.id;
  e.conference = c.id;
  e.stats_id = request.stats_id;
  e.muc_role = request.muc_role;
  e.medias = request.medias;
  e.force_mute = request.force_mute.value_or(signaling::ForceMute{});
  e.initial_last_n = request.initial_last_n;
  e.capabilities = request.capabilities;
  e.sctp = sctp;
  if (options_.colibri_ws) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < 24; ++i) e.ws_password.push_back(kAlphabet[random_u32() % kAlphabet.size()]);
  }
  e.created = now;
  if (auto applied = apply_sources(e, request); !applied) return unexpected(std::move(applied).error());

  ice::IceRole role =
      request.transport->ice_controlling ? ice::IceRole::kControlling : ice::IceRole::kControlled;
  std::uint64_t tie_breaker = (std::uint64_t{random_u32()} << 32) | random_u32();
  auto transport = std::make_unique<transport::EndpointTransport>(
      options_.transport, certificate_, role, ice::generate_credentials(options_.ufrag_prefix), tie_breaker,
      ice::candidate_priority(ice::CandidateType::kPeerReflexive, 65535, 1));
  apply_remote_transport(*transport, *request.transport, now);
  if (sctp) transport->enable_data_channels(options_.sctp_max_channels);
  e.handle = port_.add(std::move(transport));

  signaling::Endpoint response;
  response.id = request.id;
  response.transport = local_transport(e);
  Endpoint& stored = c.endpoints.emplace(request.id, std::move(e)).first->second;
  sync_router(c, stored, now);
  ++counters_.endpoints_created;
  if (stored.muc_role == signaling::MucRole::kVisitor) ++counters_.visitors_created;
  kLog.info("Created endpoint {} in conference {}", request.id.str(), c.id);
  return response;
}

Result<signaling::Endpoint, Colibri2Error> ConferenceManager::update_endpoint(
    Endpoint& e, const signaling::Endpoint& request, Timestamp now) {
  if (auto applied = apply_sources(e, request); !applied) return unexpected(std::move(applied).error());
  if (request.stats_id) e.stats_id = request.stats_id;
  if (request.force_mute) e.force_mute = *request.force_mute;
  if (request.initial_last_n) e.initial_last_n = request.initial_last_n;
  signaling::Endpoint response;
  response.id = request.id;
  transport::EndpointTransport* t = port_.find(e.handle);
  if (request.transport && t) {
    if (request.transport->ice_restart) {
      port_.restart_ice(e.handle, ice::generate_credentials(options_.ufrag_prefix));
      apply_remote_transport(*t, *request.transport, now);
      response.transport = local_transport(e);  // new credentials go back to the client
    } else {
      apply_remote_transport(*t, *request.transport, now);
    }
  }
  return response;
}

Result<bool, Colibri2Error> ConferenceManager::apply_sources(Endpoint& e,
                                                             const signaling::Endpoint& request) {
  if (!request.sources) return true;
  bool visitor = e.muc_role == signaling::MucRole::kVisitor;
  if (visitor && !request.sources->empty()) {
    return unexpected(
        Colibri2Error::bad_request("Attempt to set sources for visitor endpoint " + e.id.str()));
  }
  // Every SSRC in a group must be one of the source's SSRCs, or forwarding would have nothing
  // to map the group onto.
  for (const auto& ms : *request.sources) {
    for (const auto& g : ms.ssrc_groups) {
      for (auto ssrc : g.ssrcs) {
        bool known = std::any_of(ms.sources.begin(), ms.sources.end(),
                                 [&](const signaling::Source& s) { return s.ssrc == ssrc; });
        if (!known) {
          return unexpected(Colibri2Error::bad_request("ssrc-group of " + ms.id.str() + " names SSRC " +
                                                       std::to_string(ssrc.value()) +
                                                       " that is not a source"));
        }
      }
    }
  }
  e.sources = *request.sources;
  return true;
}

signaling::Transport ConferenceManager::local_transport(const Endpoint& e) {
  const transport::EndpointTransport* t = port_.find(e.handle);
  signaling::Transport out;
  signaling::IceUdpTransport ice;
  if (t) {
    ice.ufrag = t->local_credentials().ufrag;
    ice.pwd = t->local_credentials().pwd;
  }
  ice.rtcp_mux = true;
  signaling::Fingerprint fp;
  fp.value = certificate_->fingerprint();
  fp.hash = std::string(dtls::DtlsCertificate::kFingerprintHash);
  fp.setup = signaling::DtlsSetup::kActpass;
  ice.fingerprints.push_back(std::move(fp));
  for (const auto& c : options_.local_candidates) {
    char id[24];
    std::snprintf(id, sizeof id, "%08x%08x", random_u32(), random_u32());
    ice.candidates.push_back(to_signaling(c, id));
  }
  if (options_.colibri_ws) {
    const auto& ws = *options_.colibri_ws;
    for (const auto& domain : ws.domains) {
      // {ws|wss}://{domain}/colibri-ws/{server-id}/{conference-id}/{endpoint-id}?pwd={password}
      ice.web_sockets.push_back({false, std::string(ws.tls ? "wss://" : "ws://") + domain + "/colibri-ws/" +
                                            ws.server_id + "/" + e.conference + "/" + e.id.str() +
                                            "?pwd=" + e.ws_password});
    }
  }
  out.ice = std::move(ice);
  if (e.sctp) out.sctp = signaling::Sctp{kSctpPort, signaling::SctpRole::kServer};
  return out;
}

void ConferenceManager::expire_endpoint(Conference& c, const signaling::EndpointId& id, Timestamp now) {
  auto it = c.endpoints.find(id);
  if (it == c.endpoints.end()) return;
  remove_media(it->second, now);
  c.endpoints.erase(it);
  ++counters_.endpoints_expired;
  kLog.info("Expired endpoint {} of conference {}", id.str(), c.id);
}

void ConferenceManager::expire_conference(const signaling::MeetingId& id, Timestamp now) {
  auto it = conferences_.find(id);
  if (it == conferences_.end()) return;
  for (auto& [endpoint_id, e] : it->second.endpoints) {
    remove_media(e, now);
    ++counters_.endpoints_expired;
  }
  kLog.info("Expired conference {} (meeting {})", it->second.id, id.str());
  counters_.conference_seconds += static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(now - it->second.created).count());
  conferences_.erase(it);
  ++counters_.conferences_expired;
  if (conference_removed_) conference_removed_(id);
}

// The router and the controller let go of the endpoint before its transport leaves the port.
void ConferenceManager::remove_media(Endpoint& e, Timestamp now) {
  if (controller_) controller_->remove_endpoint(e, now);
  if (router_) router_->remove_endpoint(e);
  if (endpoint_removed_) endpoint_removed_(e.handle);
  port_.remove(e.handle);
}

std::optional<transport::EndpointHandle> ConferenceManager::authenticate_ws(std::string_view conference_id,
                                                                            std::string_view endpoint_id,
                                                                            std::string_view password) const {
  for (const auto& [meeting, c] : conferences_) {
    if (c.id != conference_id) continue;
    auto it = c.endpoints.find(signaling::EndpointId(std::string(endpoint_id)));
    if (it == c.endpoints.end() || it->second.ws_password.empty() || it->second.ws_password != password)
      return std::nullopt;
    return it->second.handle;
  }
  return std::nullopt;
}

void ConferenceManager::sync_router(const Conference& c, Endpoint& e, Timestamp now) {
  if (router_) {
    router_->set_endpoint(e, c.audio_feedback_ssrc.value(), c.video_feedback_ssrc.value());
    if (e.has_capability(signaling::kCapabilitySsrcRewriting)) {
      media::SsrcRewriterConfig config;
      config.video_slots = options_.ssrc_limit_video;
      config.audio_slots = options_.ssrc_limit_audio;
      config.mids = e.has_capability(signaling::kCapabilityRtpMidDemux);
      router_->enable_ssrc_rewriting(e.handle, config, random_());
    }
  }
  if (controller_) controller_->set_endpoint(e, now);
}

void ConferenceManager::expire_idle(Timestamp now) {
  std::vector<signaling::MeetingId> empty;
  for (auto& [meeting_id, c] : conferences_) {
    std::vector<signaling::EndpointId> idle;
    for (const auto& [id, e] : c.endpoints) {
      const transport::EndpointTransport* t = port_.find(e.handle);
      bool expired;
      if (!t || t->state() == transport::TransportState::kFailed) {
        expired = true;
      } else if (auto last = t->last_received()) {
        expired = now - *last > options_.endpoint_idle_timeout;
      } else {
        expired = now - e.created > options_.endpoint_first_packet_timeout;
      }
      if (expired) idle.push_back(id);
    }
    for (const auto& id : idle) expire_endpoint(c, id, now);
    if (c.endpoints.empty() && now - c.created > options_.empty_conference_grace) empty.push_back(meeting_id);
  }
  for (const auto& id : empty) expire_conference(id, now);
}

void ConferenceManager::collect_stats(stats::WorkerStats& out) const {
  for (const auto& [meeting, c] : conferences_) {
    out.conference_sizes.push_back(static_cast<std::uint32_t>(c.endpoints.size()));
    out.largest_conference = std::max<std::uint64_t>(out.largest_conference, c.endpoints.size());
    out.endpoints += c.endpoints.size();
    for (const auto& [id, e] : c.endpoints)
      out.visitors += e.muc_role == signaling::MucRole::kVisitor ? 1 : 0;
  }
  out.conferences += conferences_.size();
  out.conferences_created += counters_.conferences_created;
  out.conferences_completed += counters_.conferences_expired;
  out.conference_seconds += counters_.conference_seconds;
  out.endpoints_created += counters_.endpoints_created;
  out.visitors_created += counters_.visitors_created;
}

}  // namespace jvb::conference
