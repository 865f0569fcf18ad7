// The conference manager's Colibri2 rules (those of JVB's Colibri2ConferenceHandler, and its
// expiry) on a fake clock.
#include "bridge/conference/conference_manager.hpp"

#include <doctest/doctest.h>

#include "tests/sim/colibri_requests.hpp"

namespace jvb::conference {
namespace {

using namespace std::chrono_literals;
using signaling::Colibri2ErrorReason;
using signaling::StanzaErrorCondition;

std::shared_ptr<const dtls::DtlsCertificate> certificate() {
  static auto cert = dtls::DtlsCertificate::generate();
  REQUIRE(cert);
  return *cert;
}

struct Fixture {
  transport::MediaPort port;
  ConferenceManager manager;
  Timestamp now{};

  Fixture() : manager(options(), port, certificate()) {}

  static ConferenceOptions options() {
    ConferenceOptions o;
    ice::Candidate c;
    c.foundation = "1";
    c.priority = ice::candidate_priority(ice::CandidateType::kHost, 65535, 1);
    c.address = *SocketAddress::parse("198.51.100.23", 10000);
    o.local_candidates = {c};
    return o;
  }

  // With a data channel, as Jitsi Meet asks for one.
  static signaling::Endpoint new_endpoint(const std::string& id) {
    auto e = test::new_endpoint(id);
    e.transport->sctp = signaling::Sctp{};
    return e;
  }

  auto create(const std::string& meeting, const std::string& endpoint) {
    auto r = test::create_conference(meeting, endpoint);
    r.endpoints[0] = new_endpoint(endpoint);
    return manager.handle(r, now);
  }

  auto modify(const std::string& meeting, std::vector<signaling::Endpoint> endpoints) {
    signaling::ConferenceModify r;
    r.meeting_id = signaling::MeetingId(meeting);
    r.endpoints = std::move(endpoints);
    return manager.handle(r, now);
  }
};

TEST_CASE("creating a conference with an endpoint answers its transport and the feedback sources") {
  Fixture f;
  auto r = f.create("m1", "ep1");
  REQUIRE(r);
  REQUIRE(r->endpoints.size() == 1);
  const auto& t = r->endpoints[0].transport;
  REQUIRE(t);
  REQUIRE(t->ice);
  CHECK(t->ice->ufrag.size() >= 4);
  CHECK(t->ice->pwd.size() >= 22);
  CHECK(t->ice->rtcp_mux);
  REQUIRE(t->ice->fingerprints.size() == 1);
  CHECK(t->ice->fingerprints[0].setup == signaling::DtlsSetup::kActpass);
  CHECK(t->ice->fingerprints[0].value == certificate()->fingerprint());
  REQUIRE(t->ice->candidates.size() == 1);
  CHECK(t->ice->candidates[0].ip == "198.51.100.23");
  REQUIRE(t->sctp);
  CHECK(t->sctp->port == 5000);
  REQUIRE(r->sources);
  REQUIRE(r->sources->size() == 2);
  CHECK((*r->sources)[0].id.str() == "jvb-a0");
  CHECK((*r->sources)[0].sources[0].name.str() == "jvb-a0");
  CHECK((*r->sources)[1].id.str() == "jvb-v0");
  CHECK((*r->sources)[1].sources[0].name.str() == "jvb-v0");
  CHECK(f.port.size() == 1);

  // A second endpoint: feedback sources again, the same SSRCs.
  auto second = f.modify("m1", {Fixture::new_endpoint("ep2")});
  REQUIRE(second);
  REQUIRE(second->sources);
  CHECK((*second->sources)[0].sources[0].ssrc == (*r->sources)[0].sources[0].ssrc);
  CHECK(f.manager.endpoint_count() == 2);
}

TEST_CASE("the errors Jicofo reacts to") {
  Fixture f;
  REQUIRE(f.create("m1", "ep1"));
  auto again = f.create("m1", "ep9");
  REQUIRE_FALSE(again);
  CHECK(again.error().condition == StanzaErrorCondition::kConflict);
  CHECK(again.error().reason == Colibri2ErrorReason::kConferenceAlreadyExists);

  auto missing = f.modify("nope", {});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().reason == Colibri2ErrorReason::kConferenceNotFound);

  signaling::Endpoint update;
  update.id = signaling::EndpointId("ghost");
  update.transport = signaling::Transport{};
  auto unknown = f.modify("m1", {update});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().reason == Colibri2ErrorReason::kUnknownEndpoint);
  CHECK(unknown.error().endpoint == signaling::EndpointId("ghost"));

  auto duplicate = f.modify("m1", {Fixture::new_endpoint("ep1")});
  REQUIRE_FALSE(duplicate);
  CHECK(duplicate.error().condition == StanzaErrorCondition::kConflict);

  auto no_transport = Fixture::new_endpoint("ep3");
  no_transport.transport.reset();
  auto r1 = f.modify("m1", {no_transport});
  REQUIRE_FALSE(r1);
  CHECK(r1.error().condition == StanzaErrorCondition::kBadRequest);

  auto no_source_names = Fixture::new_endpoint("ep4");
  no_source_names.capabilities.clear();
  auto r2 = f.modify("m1", {no_source_names});
  REQUIRE_FALSE(r2);
  CHECK(r2.error().text == "Source name support is mandatory.");

  auto two_creates = f.modify("m1", {Fixture::new_endpoint("a"), Fixture::new_endpoint("b")});
  REQUIRE_FALSE(two_creates);
  CHECK(two_creates.error().reason == Colibri2ErrorReason::kFeatureNotImplemented);

  // Relays are not built: refused, never silently accepted.
  signaling::ConferenceModify relay_create;
  relay_create.meeting_id = signaling::MeetingId("m1");
  relay_create.relays.emplace_back();
  relay_create.relays[0].id = signaling::RelayId("jvb-2");
  relay_create.relays[0].create = true;
  auto relay = f.manager.handle(relay_create, f.now);
  REQUIRE_FALSE(relay);
  CHECK(relay.error().condition == StanzaErrorCondition::kFeatureNotImplemented);

  f.manager.set_graceful_shutdown(true);
  auto shutdown = f.create("m2", "x");
  REQUIRE_FALSE(shutdown);
  CHECK(shutdown.error().reason == Colibri2ErrorReason::kGracefulShutdown);
}

TEST_CASE("sources replace the endpoint's set; visitors may not have any; groups must name sources") {
  Fixture f;
  REQUIRE(f.create("m1", "ep1"));
  signaling::Endpoint e;
  e.id = signaling::EndpointId("ep1");
  signaling::MediaSource video;
  video.type = signaling::MediaType::kVideo;
  video.id = signaling::SourceName("ep1-v0");
  for (std::uint32_t s : {1u, 2u, 3u, 11u, 12u, 13u})
    video.sources.push_back({signaling::Ssrc(s), {}, {}, {}, {}});
  video.ssrc_groups.push_back({"SIM", {signaling::Ssrc(1), signaling::Ssrc(2), signaling::Ssrc(3)}});
  video.ssrc_groups.push_back({"FID", {signaling::Ssrc(1), signaling::Ssrc(11)}});
  e.sources = std::vector<signaling::MediaSource>{video};
  REQUIRE(f.modify("m1", {e}));
  CHECK(f.manager.find(signaling::MeetingId("m1"))->endpoints.at(e.id).sources.size() == 1);

  e.sources->front().ssrc_groups.push_back({"FID", {signaling::Ssrc(2), signaling::Ssrc(99)}});
  auto bad = f.modify("m1", {e});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().condition == StanzaErrorCondition::kBadRequest);

  auto visitor = Fixture::new_endpoint("v1");
  visitor.muc_role = signaling::MucRole::kVisitor;
  visitor.sources = std::vector<signaling::MediaSource>{video};
  auto r = f.modify("m1", {visitor});
  REQUIRE_FALSE(r);
  CHECK(r.error().text.find("visitor") != std::string::npos);
}

TEST_CASE("expiring: endpoints, ignore-unknown batches, and the conference when it empties") {
  Fixture f;
  REQUIRE(f.create("m1", "ep1"));
  REQUIRE(f.modify("m1", {Fixture::new_endpoint("ep2")}));
  signaling::Endpoint expire_ghost, mute_ghost, expire_ep2;
  expire_ghost.id = signaling::EndpointId("ghost");
  expire_ghost.expire = true;
  mute_ghost.id = signaling::EndpointId("ghost2");
  mute_ghost.force_mute = signaling::ForceMute{true, true};
  auto batch = f.modify("m1", {expire_ghost, mute_ghost});
  REQUIRE(batch);
  CHECK(batch->endpoints.size() == 2);

  expire_ep2.id = signaling::EndpointId("ep2");
  expire_ep2.expire = true;
  REQUIRE(f.modify("m1", {expire_ep2}));
  CHECK(f.port.size() == 1);
  signaling::Endpoint expire_ep1 = expire_ep2;
  expire_ep1.id = signaling::EndpointId("ep1");
  REQUIRE(f.modify("m1", {expire_ep1}));
  CHECK(f.manager.conference_count() == 0);  // rule 7: empty after a non-create request
  CHECK(f.port.size() == 0);
}

TEST_CASE("a conference-level expire removes everything") {
  Fixture f;
  REQUIRE(f.create("m1", "ep1"));
  signaling::ConferenceModify r;
  r.meeting_id = signaling::MeetingId("m1");
  r.expire = true;
  auto answer = f.manager.handle(r, f.now);
  REQUIRE(answer);
  CHECK(answer->endpoints.empty());
  CHECK_FALSE(answer->sources);
  CHECK(f.manager.conference_count() == 0);
  CHECK(f.port.size() == 0);
}

TEST_CASE("silent endpoints expire after two minutes, and then their empty conference") {
  Fixture f;
  REQUIRE(f.create("m1", "ep1"));
  f.now += 90s;
  f.manager.expire_idle(f.now);
  CHECK(f.manager.endpoint_count() == 1);
  f.now += 31s;
  f.manager.expire_idle(f.now);
  CHECK(f.manager.endpoint_count() == 0);
  CHECK(f.manager.conference_count() == 0);
  CHECK(f.manager.counters().endpoints_expired == 1);
}

// The manager's record is the endpoint's one record: the router and the controller hang their
// parts on it, read what was signaled from it, and let go of it when the endpoint leaves.
TEST_CASE("the router and the controller keep their state on the manager's record of an endpoint") {
  transport::MediaPort port;
  Router router(port, [](const SocketAddress&, std::span<const std::uint8_t>) {});
  ForwardingController controller(
      {}, router, [](transport::EndpointHandle, ChannelTransport, const std::string&) { return true; });
  ConferenceManager manager(Fixture::options(), port, certificate(), &router, &controller);
  Timestamp now{};
  REQUIRE(manager.handle(test::create_conference("m1", "ep1"), now));
  const Endpoint& ep1 = manager.find(signaling::MeetingId("m1"))->endpoints.at(signaling::EndpointId("ep1"));
  const transport::EndpointHandle handle = ep1.handle;
  CHECK(ep1.routing);
  CHECK(ep1.forwarding);
  CHECK(controller.receiver_state(handle));
  CHECK(router.video_sources(handle, now).empty());

  // New sources reach the router through the record.
  signaling::Endpoint update;
  update.id = signaling::EndpointId("ep1");
  signaling::MediaSource video;
  video.type = signaling::MediaType::kVideo;
  video.id = signaling::SourceName("ep1-v0");
  video.sources.push_back({signaling::Ssrc(1234), signaling::SourceName("ep1-v0"), "camera", {}, {}});
  update.sources = std::vector<signaling::MediaSource>{video};
  signaling::ConferenceModify modify;
  modify.meeting_id = signaling::MeetingId("m1");
  modify.endpoints = {update};
  REQUIRE(manager.handle(modify, now));
  auto sources = router.video_sources(handle, now);
  REQUIRE(sources.size() == 1);
  CHECK(sources[0].name == "ep1-v0");

  // Expired: both parts are gone with the record, and neither index still knows the handle.
  update = {};
  update.id = signaling::EndpointId("ep1");
  update.expire = true;
  modify.endpoints = {update};
  REQUIRE(manager.handle(modify, now));
  CHECK(manager.endpoint_count() == 0);
  CHECK_FALSE(controller.receiver_state(handle));
  CHECK_FALSE(router.stats(handle, now));
  CHECK(router.video_sources(handle, now).empty());
}

}  // namespace
}  // namespace jvb::conference
