// Tests of bridge/signaling/colibri2.hpp: typed ids and the wire names of the model's
// enumerations (as jitsi-xmpp-extensions names them).
#include <doctest/doctest.h>

#include <type_traits>
#include <unordered_set>

#include "bridge/signaling/colibri2.hpp"

using namespace jvb::signaling;

TEST_CASE("colibri2 model: typed ids compare, order and hash by value") {
  static_assert(!std::is_convertible_v<std::string, EndpointId>, "ids are explicit");
  static_assert(!std::is_same_v<EndpointId, MeetingId>, "ids of different kinds are distinct types");
  static_assert(!std::is_convertible_v<std::uint32_t, Ssrc>, "SSRCs are explicit");
  CHECK(EndpointId("a") == EndpointId("a"));
  CHECK(EndpointId("a") != EndpointId("b"));
  CHECK(EndpointId("a") < EndpointId("b"));
  CHECK(EndpointId().empty());
  CHECK(Ssrc(4294967295u).value() == 4294967295u);
  CHECK(Ssrc(1) < Ssrc(2));
  std::unordered_set<EndpointId> eps{EndpointId("x"), EndpointId("x"), EndpointId("y")};
  CHECK(eps.size() == 2);
  std::unordered_set<Ssrc> ssrcs{Ssrc(1), Ssrc(1)};
  CHECK(ssrcs.size() == 1);
}

TEST_CASE("colibri2 model: enumeration names round-trip and parse in any case") {
  for (auto v : {MediaType::kAudio, MediaType::kVideo}) CHECK(parse_media_type(to_string(v)) == v);
  for (auto v : {MucRole::kModerator, MucRole::kParticipant, MucRole::kVisitor, MucRole::kNone}) {
    CHECK(parse_muc_role(to_string(v)) == v);
  }
  for (auto v : {DtlsSetup::kActive, DtlsSetup::kPassive, DtlsSetup::kActpass, DtlsSetup::kHoldconn}) {
    CHECK(parse_dtls_setup(to_string(v)) == v);
  }
  for (auto v : {CandidateType::kHost, CandidateType::kSrflx, CandidateType::kPrflx, CandidateType::kRelay}) {
    CHECK(parse_candidate_type(to_string(v)) == v);
  }
  for (auto v : {ConnectType::kRecorder, ConnectType::kTranscriber, ConnectType::kTranslator}) {
    CHECK(parse_connect_type(to_string(v)) == v);
  }
  CHECK(to_string(SctpRole::kServer) == "server");
  CHECK(parse_sctp_role("SERVER") == SctpRole::kServer);
  CHECK(parse_sctp_role("Client") == SctpRole::kClient);
  CHECK(to_string(DtlsSetup::kActpass) == "actpass");
  CHECK(parse_media_type("VIDEO") == MediaType::kVideo);
  CHECK_FALSE(parse_media_type("data").has_value());
  CHECK_FALSE(parse_media_type("").has_value());
  CHECK_FALSE(parse_dtls_setup("act").has_value());
  CHECK(parse_connect_protocol("MediaJSON") == ConnectProtocol::kMediaJson);
  CHECK(classify_ssrc_group_semantics("sim") == SsrcGroupSemantics::kSim);
  CHECK(classify_ssrc_group_semantics("SIMX") == SsrcGroupSemantics::kOther);
}

TEST_CASE("colibri2 model: capabilities") {
  Endpoint ep;
  CHECK_FALSE(ep.has_capability(kCapabilitySourceNames));
  ep.capabilities = {"ssrc-rewriting", "source-names"};
  CHECK(ep.has_capability(kCapabilitySourceNames));
  CHECK(ep.has_capability(kCapabilitySsrcRewriting));
  CHECK_FALSE(ep.has_capability(kCapabilityRtpMidDemux));
}
