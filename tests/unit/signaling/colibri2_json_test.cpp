// Tests of bridge/signaling/colibri2_json.hpp: the REST vectors of
// shared/docs/protocol/vectors/json/ parse into the expected model and are written back in
// JVB's form (signaling.md §6); hand-built models round-trip; malformed input is a bad-request
// that names the field. Vector cases are skipped (with a message) without JVB_SHARED_DIR.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "bridge/signaling/colibri2_json.hpp"
#include "tests/unit/test_util.hpp"

using namespace jvb::signaling;
using nlohmann::json;

namespace {

std::optional<std::filesystem::path> json_vectors() {
  auto shared = jvb::test::shared_dir();
  if (!shared) return std::nullopt;
  auto dir = *shared / "docs" / "protocol" / "vectors" / "json";
  if (!std::filesystem::is_directory(dir)) return std::nullopt;
  return dir;
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The error text of a failed parse, for messages (doctest evaluates them even on success).
template <class R>
std::string why(const R& r) {
  return r.has_value() ? std::string() : r.error().text;
}

const MeetingId kPathId{"51139d97-ee93-44ec-90a5-18d0f2d00bf4"};

// The vectors' REST requests; PATCH bodies take the meeting-id from the path.
struct RequestVector {
  const char* file;
  bool patch;
};
constexpr RequestVector kRequests[] = {
    {"rest-01-create.request.json", false},
    {"rest-02-patch-session-accept.request.json", true},
    {"rest-03-patch-force-mute.request.json", true},
    {"rest-04-patch-expire.request.json", true},
    {"pair-relay-update.json", false},
};

ConferenceModify parse_vector(const std::filesystem::path& dir, const RequestVector& v) {
  auto r = parse_conference_modify_json(read(dir / v.file), v.patch ? std::optional(kPathId) : std::nullopt);
  REQUIRE_MESSAGE(r.has_value(), v.file << ": " << why(r));
  return std::move(r).value();
}

const PayloadType* find_pt(const Media& m, int id) {
  for (const auto& pt : m.payload_types) {
    if (pt.id.value() == id) return &pt;
  }
  return nullptr;
}

std::string param(const std::vector<Parameter>& params, const std::string& name) {
  for (const auto& p : params) {
    if (p.name == name) return p.value;
  }
  return "<absent>";
}

// Removes what the vectors README calls VARIABLE from a response: ICE ufrag/pwd, candidates,
// the fingerprint text, web-socket URLs and the feedback SSRC values.
void strip_variable(json& j) {
  if (j.contains("endpoints")) {
    for (auto& ep : j["endpoints"]) {
      if (!ep.contains("transport") || !ep["transport"].contains("transport")) continue;
      auto& ice = ep["transport"]["transport"];
      ice.erase("ufrag");
      ice.erase("pwd");
      ice.erase("candidates");
      ice.erase("web-sockets");
      if (ice.contains("fingerprints")) {
        for (auto& fp : ice["fingerprints"]) fp.erase("fingerprint");
      }
    }
  }
  if (j.contains("sources")) {
    for (auto& ms : j["sources"]) {
      for (auto& s : ms["sources"]) {
        if (s.is_object()) {
          s.erase("ssrc");
        } else {
          s = nullptr;
        }
      }
    }
  }
}

Fingerprint bridge_fingerprint() { return Fingerprint{"AA:BB:CC:DD", "sha-256", DtlsSetup::kActpass, false}; }

// What the bridge answers to rest-01 (its own credentials, candidates and feedback SSRCs).
ConferenceModified bridge_create_response() {
  Endpoint ep;
  ep.id = EndpointId("663b85ee");
  ep.transport.emplace();
  IceUdpTransport ice;
  ice.ufrag = "localufrag";
  ice.pwd = "localpasswordlocalpassword";
  ice.rtcp_mux = true;
  ice.fingerprints.push_back(bridge_fingerprint());
  Candidate c;
  c.foundation = "1";
  c.component = 1;
  c.protocol = "udp";
  c.priority = 2130706431u;
  c.ip = "192.0.2.10";
  c.port = 10000;
  c.type = CandidateType::kHost;
  c.generation = 0;
  c.network = 0;
  c.id = "abc";
  ice.candidates.push_back(c);
  ep.transport->ice = ice;
  ep.transport->sctp = Sctp{5000, SctpRole::kServer};
  ConferenceModified resp;
  resp.endpoints.push_back(ep);
  std::vector<MediaSource> feedback(2);
  feedback[0].type = MediaType::kAudio;
  feedback[0].id = SourceName("jvb-a0");
  feedback[0].sources.push_back(Source{Ssrc(11), SourceName("jvb-a0"), "", "", {}});
  feedback[1].type = MediaType::kVideo;
  feedback[1].id = SourceName("jvb-v0");
  feedback[1].sources.push_back(Source{Ssrc(22), SourceName("jvb-v0"), "", "", {}});
  resp.sources = feedback;
  return resp;
}

ConferenceModified endpoint_echo(const char* id) {
  ConferenceModified resp;
  Endpoint ep;
  ep.id = EndpointId(id);
  resp.endpoints.push_back(ep);
  return resp;
}

}  // namespace

TEST_CASE("colibri2 json: rest-01 create request parses into the model") {
  auto dir = json_vectors();
  if (!dir) {
    MESSAGE("skipped: JVB_SHARED_DIR is not set or has no docs/protocol/vectors/json");
    return;
  }
  const ConferenceModify req = parse_vector(*dir, kRequests[0]);
  CHECK(req.meeting_id == MeetingId("51139d97-ee93-44ec-90a5-18d0f2d00bf4"));
  CHECK(req.name == std::optional<std::string>("boardroom@conference.meet.example.org"));
  CHECK(req.create);
  CHECK_FALSE(req.expire);
  CHECK(req.rtcstats_enabled);
  CHECK(req.relays.empty());
  REQUIRE(req.endpoints.size() == 1);
  const Endpoint& ep = req.endpoints[0];
  CHECK(ep.id == EndpointId("663b85ee"));
  CHECK(ep.create);
  CHECK_FALSE(ep.expire);
  CHECK(ep.stats_id == std::optional<std::string>("Harlan-7dx"));
  CHECK(ep.has_capability(kCapabilitySourceNames));
  CHECK_FALSE(ep.has_capability(kCapabilitySsrcRewriting));
  REQUIRE(ep.sources.has_value());
  CHECK(ep.sources->empty());  // present and empty: a fresh join
  CHECK_FALSE(ep.force_mute.has_value());

  REQUIRE(ep.medias.size() == 2);
  const Media& audio = ep.medias[0];
  CHECK(audio.type == MediaType::kAudio);
  CHECK(audio.extmap_allow_mixed);
  REQUIRE(audio.payload_types.size() == 2);
  const PayloadType* opus = find_pt(audio, 111);
  REQUIRE(opus);
  CHECK(opus->name == "opus");
  CHECK(opus->clockrate == std::optional<std::uint32_t>(48000));
  CHECK(opus->channels == std::optional<std::uint32_t>(2));
  CHECK(param(opus->parameters, "minptime") == "10");
  CHECK(param(opus->parameters, "useinbandfec") == "1");
  REQUIRE(opus->rtcp_fbs.size() == 1);
  CHECK(opus->rtcp_fbs[0] == RtcpFb{"transport-cc", ""});
  const PayloadType* dtmf = find_pt(audio, 126);
  REQUIRE(dtmf);
  CHECK(dtmf->clockrate == std::optional<std::uint32_t>(8000));
  CHECK_FALSE(dtmf->channels.has_value());
  REQUIRE(audio.rtp_hdrexts.size() == 3);
  CHECK(audio.rtp_hdrexts[0].id == 1);
  CHECK(audio.rtp_hdrexts[0].uri == "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  CHECK(audio.rtp_hdrexts[1].id == 10);
  CHECK(audio.rtp_hdrexts[2].id == 5);

  const Media& video = ep.medias[1];
  CHECK(video.type == MediaType::kVideo);
  REQUIRE(video.payload_types.size() == 4);
  const PayloadType* vp8 = find_pt(video, 100);
  REQUIRE(vp8);
  CHECK(vp8->name == "VP8");
  REQUIRE(vp8->rtcp_fbs.size() == 4);
  CHECK(vp8->rtcp_fbs[0] == RtcpFb{"ccm", "fir"});
  CHECK(vp8->rtcp_fbs[2] == RtcpFb{"nack", "pli"});
  const PayloadType* rtx = find_pt(video, 96);
  REQUIRE(rtx);
  CHECK(rtx->name == "rtx");
  CHECK(param(rtx->parameters, "apt") == "100");
  CHECK(param(find_pt(video, 97)->parameters, "apt") == "101");
  REQUIRE(video.rtp_hdrexts.size() == 2);
  CHECK(video.rtp_hdrexts[0] ==
        RtpHdrExt{3, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", "", ""});

  REQUIRE(ep.transport.has_value());
  CHECK(ep.transport->ice_controlling);
  CHECK_FALSE(ep.transport->use_unique_port);
  CHECK_FALSE(ep.transport->ice.has_value());
  REQUIRE(ep.transport->sctp.has_value());
  CHECK(*ep.transport->sctp == Sctp{});  // <sctp/>: no port, no role
}

TEST_CASE("colibri2 json: rest-02 session-accept carries ICE, fingerprint, sources, last-N") {
  auto dir = json_vectors();
  if (!dir) {
    MESSAGE("skipped: JVB_SHARED_DIR is not set or has no docs/protocol/vectors/json");
    return;
  }
  const ConferenceModify req = parse_vector(*dir, kRequests[1]);
  CHECK(req.meeting_id == kPathId);
  CHECK_FALSE(req.create);
  REQUIRE(req.endpoints.size() == 1);
  const Endpoint& ep = req.endpoints[0];
  CHECK(ep.id == EndpointId("663b85ee"));
  CHECK_FALSE(ep.create);
  CHECK(ep.medias.empty());
  REQUIRE(ep.transport.has_value());
  CHECK_FALSE(ep.transport->ice_controlling);
  CHECK_FALSE(ep.transport->sctp.has_value());
  REQUIRE(ep.transport->ice.has_value());
  const IceUdpTransport& ice = *ep.transport->ice;
  CHECK(ice.ufrag == "SKXW");
  CHECK(ice.pwd == "8O618bt6lh9eLNCZj5xgbEFq");
  CHECK(ice.rtcp_mux);
  CHECK(ice.candidates.empty());
  REQUIRE(ice.fingerprints.size() == 1);
  CHECK(ice.fingerprints[0].hash == "sha-256");
  CHECK(ice.fingerprints[0].setup == std::optional(DtlsSetup::kActive));
  CHECK(ice.fingerprints[0].value.rfind("0A:1A:EC:64", 0) == 0);
  CHECK_FALSE(ice.fingerprints[0].cryptex);

  REQUIRE(ep.sources.has_value());
  REQUIRE(ep.sources->size() == 2);
  const MediaSource& a = (*ep.sources)[0];
  CHECK(a.type == MediaType::kAudio);
  CHECK(a.id == SourceName("663b85ee-a0"));
  REQUIRE(a.sources.size() == 1);
  CHECK(a.sources[0].ssrc == Ssrc(1440186240u));
  CHECK(a.sources[0].name == SourceName("663b85ee-a0"));
  const MediaSource& v = (*ep.sources)[1];
  CHECK(v.type == MediaType::kVideo);
  REQUIRE(v.sources.size() == 2);
  CHECK(v.sources[0].ssrc == Ssrc(3322632425u));  // above 2^31
  CHECK(v.sources[0].video_type == "camera");
  REQUIRE(v.ssrc_groups.size() == 1);
  CHECK(v.ssrc_groups[0].kind() == SsrcGroupSemantics::kFid);
  CHECK(v.ssrc_groups[0].ssrcs == std::vector<Ssrc>{Ssrc(3322632425u), Ssrc(1927712650u)});
  CHECK(ep.initial_last_n == std::optional<std::int32_t>(20));
}

TEST_CASE("colibri2 json: rest-03 force-mute, rest-04 expire, and the relay pair") {
  auto dir = json_vectors();
  if (!dir) {
    MESSAGE("skipped: JVB_SHARED_DIR is not set or has no docs/protocol/vectors/json");
    return;
  }
  const ConferenceModify mute = parse_vector(*dir, kRequests[2]);
  REQUIRE(mute.endpoints.size() == 1);
  CHECK(mute.endpoints[0].force_mute == std::optional(ForceMute{true, false}));
  CHECK_FALSE(mute.endpoints[0].transport.has_value());
  CHECK_FALSE(mute.endpoints[0].sources.has_value());  // absent: sources unchanged

  const ConferenceModify expire = parse_vector(*dir, kRequests[3]);
  CHECK(expire.expire);
  CHECK(expire.endpoints.empty());
  CHECK(expire.meeting_id == kPathId);

  const ConferenceModify relay = parse_vector(*dir, kRequests[4]);
  CHECK(relay.meeting_id == MeetingId("4340a148-a8cb-40a2-b0cb-2654e57ee90c"));
  CHECK(relay.endpoints.empty());
  REQUIRE(relay.relays.size() == 1);
  const Relay& r = relay.relays[0];
  CHECK(r.id == RelayId("jvb-euc1-03"));
  CHECK(r.mesh_id == std::optional<std::string>("0"));
  CHECK_FALSE(r.create);
  REQUIRE(r.endpoints.has_value());
  REQUIRE(r.endpoints->size() == 1);
  const Endpoint& remote = (*r.endpoints)[0];
  CHECK(remote.id == EndpointId("b170e48d"));
  CHECK(remote.stats_id == std::optional<std::string>("Corin-5tm"));
  REQUIRE(remote.sources.has_value());
  REQUIRE(remote.sources->size() == 2);
  // A bare number is a source with only an SSRC.
  CHECK((*remote.sources)[0].sources == std::vector<Source>{Source{Ssrc(1546645582u), {}, "", "", {}}});
  CHECK((*remote.sources)[1].sources[1].ssrc == Ssrc(4023349064u));
  CHECK((*remote.sources)[1].ssrc_groups[0].semantics == "FID");
}

TEST_CASE("colibri2 json: every request vector is written back exactly and round-trips") {
  auto dir = json_vectors();
  if (!dir) {
    MESSAGE("skipped: JVB_SHARED_DIR is not set or has no docs/protocol/vectors/json");
    return;
  }
  for (const auto& v : kRequests) {
    CAPTURE(v.file);
    const ConferenceModify req = parse_vector(*dir, v);
    std::string out = serialize_conference_modify_json(req);
    json expected = json::parse(read(*dir / v.file));
    if (v.patch) expected["meeting-id"] = kPathId.str();
    CHECK(json::parse(out) == expected);
    auto again = parse_conference_modify_json(out);
    REQUIRE(again.has_value());
    CHECK(*again == req);
  }
}

TEST_CASE("colibri2 json: response vectors parse, round-trip, and match the bridge's answers") {
  auto dir = json_vectors();
  if (!dir) {
    MESSAGE("skipped: JVB_SHARED_DIR is not set or has no docs/protocol/vectors/json");
    return;
  }
  SUBCASE("rest-01 response as Jicofo reads it") {
    const std::string text = read(*dir / "rest-01-create.response.json");
    auto r = parse_conference_modified_json(text);
    REQUIRE_MESSAGE(r.has_value(), why(r));
    REQUIRE(r->endpoints.size() == 1);
    const Transport& t = *r->endpoints[0].transport;
    REQUIRE(t.ice.has_value());
    CHECK(t.ice->ufrag == "pojg980c9c5e97");
    CHECK(t.ice->rtcp_mux);
    REQUIRE(t.ice->fingerprints.size() == 1);
    CHECK(t.ice->fingerprints[0].setup == std::optional(DtlsSetup::kActpass));
    REQUIRE(t.ice->candidates.size() == 2);
    const Candidate& host = t.ice->candidates[0];
    CHECK(host.type == CandidateType::kHost);
    CHECK(host.ip == "10.20.0.14");
    CHECK(host.port == 10000);
    CHECK(host.priority == 2130706431u);
    CHECK(host.generation == std::optional<std::uint32_t>(0));
    CHECK_FALSE(host.rel_addr.has_value());
    const Candidate& srflx = t.ice->candidates[1];
    CHECK(srflx.type == CandidateType::kSrflx);
    CHECK(srflx.rel_addr == std::optional<std::string>("10.20.0.14"));
    CHECK(srflx.rel_port == std::optional<std::uint16_t>(10000));
    REQUIRE(t.ice->web_sockets.size() == 1);
    CHECK_FALSE(t.ice->web_sockets[0].active);
    CHECK(t.sctp == std::optional(Sctp{5000, SctpRole::kServer}));
    REQUIRE(r->sources.has_value());
    REQUIRE(r->sources->size() == 2);
    CHECK((*r->sources)[0].id == SourceName("jvb-a0"));
    CHECK((*r->sources)[0].sources[0].ssrc == Ssrc(937472770u));
    CHECK((*r->sources)[1].id == SourceName("jvb-v0"));
    CHECK((*r->sources)[1].type == MediaType::kVideo);
    // Written back exactly.
    CHECK(json::parse(serialize_conference_modified_json(*r)) == json::parse(text));
  }
  SUBCASE("every response file round-trips") {
    for (const char* f : {"rest-01-create.response.json", "rest-02-patch-session-accept.response.json",
                          "rest-03-patch-force-mute.response.json", "rest-04-patch-expire.response.json"}) {
      CAPTURE(f);
      const std::string text = read(*dir / f);
      auto r = parse_conference_modified_json(text);
      REQUIRE_MESSAGE(r.has_value(), why(r));
      const std::string out = serialize_conference_modified_json(*r);
      CHECK(json::parse(out) == json::parse(text));
      auto again = parse_conference_modified_json(out);
      REQUIRE(again.has_value());
      CHECK(*again == *r);
    }
  }
  SUBCASE("the bridge's own responses match structurally, variable fields aside") {
    struct Case {
      const char* file;
      ConferenceModified model;
    };
    const Case cases[] = {
        {"rest-01-create.response.json", bridge_create_response()},
        {"rest-02-patch-session-accept.response.json", endpoint_echo("663b85ee")},
        {"rest-03-patch-force-mute.response.json", endpoint_echo("663b85ee")},
        {"rest-04-patch-expire.response.json", ConferenceModified{}},
    };
    for (const auto& c : cases) {
      CAPTURE(c.file);
      json expected = json::parse(read(*dir / c.file));
      json actual = json::parse(serialize_conference_modified_json(c.model));
      strip_variable(expected);
      strip_variable(actual);
      CHECK(actual == expected);
    }
  }
}

TEST_CASE("colibri2 json: a session-accept with simulcast keeps SIM and FID groups in order") {
  // The JSON form of vectors/colibri2/03-session-accept-update.req.xml.
  const char* body = R"({
    "meeting-id": "4340a148-a8cb-40a2-b0cb-2654e57ee90c",
    "endpoints": [{"id": "0ebd8a2c", "stats-id": "Odessa-3kq",
      "sources": [
        {"type": "audio", "id": "0ebd8a2c-a0", "sources": [{"ssrc": 1703393409, "name": "0ebd8a2c-a0"}]},
        {"type": "video", "id": "0ebd8a2c-v0",
         "sources": [709802312, 2098363017, 565323132, 4026763729, 597971659, 3751608523],
         "ssrc-groups": [
           {"semantics": "SIM", "sources": [709802312, 2098363017, 565323132]},
           {"semantics": "FID", "sources": [709802312, 4026763729]},
           {"semantics": "fid", "sources": ["2098363017", "597971659"]},
           {"semantics": "FID", "sources": [565323132, {"ssrc": 3751608523}]}]}],
      "initial-last-n": {"value": 25}}]})";
  auto r = parse_conference_modify_json(body);
  REQUIRE_MESSAGE(r.has_value(), why(r));
  const auto& video = (*r->endpoints[0].sources)[1];
  REQUIRE(video.ssrc_groups.size() == 4);
  CHECK(video.ssrc_groups[0].kind() == SsrcGroupSemantics::kSim);
  CHECK(video.ssrc_groups[0].ssrcs ==
        std::vector<Ssrc>{Ssrc(709802312u), Ssrc(2098363017u), Ssrc(565323132u)});
  CHECK(video.ssrc_groups[2].kind() == SsrcGroupSemantics::kFid);  // case-insensitive
  CHECK(video.ssrc_groups[2].ssrcs[1] == Ssrc(597971659u));        // decimal strings accepted
  CHECK(video.ssrc_groups[3].ssrcs[1] == Ssrc(3751608523u));       // {"ssrc"} objects accepted
  CHECK(video.sources.size() == 6);
  CHECK(r->endpoints[0].initial_last_n == std::optional<std::int32_t>(25));
  CHECK(classify_ssrc_group_semantics("FEC-FR") == SsrcGroupSemantics::kFecFr);
  CHECK(classify_ssrc_group_semantics("FEC") == SsrcGroupSemantics::kOther);
}

TEST_CASE("colibri2 json: lenient where JVB is lenient") {
  const char* body = R"({"meeting-id": "m", "unknown-top": {"x": 1},
    "endpoints": [{"id": "e", "muc-role": "VISITOR", "future-thing": [1, 2],
      "medias": [{"type": "Audio", "payload-types": [
        {"id": 112, "name": "red", "clockrate": 48000, "channels": "2",
         "parameters": {"null": "111/111", "x": 5, "y": null}, "ptime": "20"}]}],
      "transport": {"transport": {"ufrag": "u", "rtcp-mux": "true",
        "fingerprints": [{"fingerprint": "AB", "hash": "sha-256", "setup": "ACTPASS", "cryptex": "true"}],
        "candidates": [{"foundation": "1", "component": 1, "protocol": "udp", "priority": 1,
                        "ip": "192.0.2.1", "port": 9, "type": "host"}]},
        "sctp": {"role": "server", "port": 5000}}}]})";
  auto r = parse_conference_modify_json(body);
  REQUIRE_MESSAGE(r.has_value(), why(r));
  const Endpoint& ep = r->endpoints[0];
  CHECK(ep.muc_role == std::optional(MucRole::kVisitor));
  const PayloadType& red = ep.medias[0].payload_types[0];
  CHECK(red.id == PayloadTypeId(112));
  CHECK(red.clockrate == std::optional<std::uint32_t>(48000));
  REQUIRE(red.parameters.size() == 3);
  CHECK(red.parameters[0] == Parameter{"", "111/111"});  // the nameless parameter
  CHECK(red.parameters[1] == Parameter{"x", "5"});
  CHECK(red.parameters[2] == Parameter{"y", ""});
  const IceUdpTransport& ice = *ep.transport->ice;  // no xmlns: still ICE-UDP
  CHECK(ice.rtcp_mux);
  CHECK(ice.fingerprints[0].setup == std::optional(DtlsSetup::kActpass));
  CHECK(ice.fingerprints[0].cryptex);
  CHECK(ice.candidates[0].port == 9);
  CHECK(ep.transport->sctp == std::optional(Sctp{5000, SctpRole::kServer}));

  // Written back in JVB's form.
  json out = json::parse(serialize_conference_modify_json(*r));
  const json& pt = out["endpoints"][0]["medias"][0]["payload-types"][0];
  CHECK(pt["id"] == "112");
  CHECK(pt["clockrate"] == "48000");
  CHECK(pt["parameters"]["null"] == "111/111");
  CHECK(out["endpoints"][0]["transport"]["sctp"]["role"] == "SERVER");
  CHECK(out["endpoints"][0]["transport"]["transport"]["xmlns"] == "urn:xmpp:jingle:transports:ice-udp:1");
  CHECK(out["endpoints"][0]["transport"]["transport"]["candidates"][0]["port"] == "9");
  CHECK(out["endpoints"][0]["muc-role"] == "visitor");
  CHECK(out["endpoints"][0]["transport"]["transport"]["fingerprints"][0]["cryptex"] == true);
}

TEST_CASE("colibri2 json: serializer details of §6") {
  ConferenceModified resp;
  MediaSource ms;
  ms.type = MediaType::kVideo;
  ms.id = SourceName("x-v0");
  ms.sources.push_back(Source{Ssrc(4294967295u), {}, "", "", {}});
  ms.sources.push_back(Source{Ssrc(7), {}, "desktop", "", {}});  // JVB would drop a lone videoType
  ms.sources.push_back(Source{Ssrc(8), {}, "", "", {{"msid", "a b"}}});
  resp.sources = std::vector<MediaSource>{ms};
  json j = json::parse(serialize_conference_modified_json(resp));
  CHECK(j["sources"][0]["sources"][0] == 4294967295u);
  CHECK(j["sources"][0]["sources"][1] == json{{"ssrc", 7}, {"videoType", "desktop"}});
  CHECK(j["sources"][0]["sources"][2] == json{{"ssrc", 8}, {"parameters", {{"msid", "a b"}}}});
  CHECK_FALSE(j.contains("endpoints"));

  CHECK(serialize_conference_modified_json(ConferenceModified{}) == "{}");

  ConferenceModify patch;
  patch.rtcstats_enabled = false;
  Endpoint ep;
  ep.id = EndpointId("e");
  ep.force_mute = ForceMute{};
  ep.transport = Transport{};
  ep.transport->sctp = Sctp{std::nullopt, SctpRole::kClient};
  Media m;
  m.type = MediaType::kVideo;
  m.rtp_hdrexts.push_back(RtpHdrExt{11, "uri", "", ""});
  ep.medias.push_back(m);
  patch.endpoints.push_back(ep);
  json p = json::parse(serialize_conference_modify_json(patch));
  CHECK_FALSE(p.contains("meeting-id"));  // a PATCH body
  CHECK(p["rtcstats-enabled"] == false);
  CHECK_FALSE(p.contains("create"));
  CHECK(p["endpoints"][0]["force-mute"] == json{{"audio", false}, {"video", false}});
  CHECK(p["endpoints"][0]["transport"]["sctp"] == json{{"role", "CLIENT"}});
  CHECK(p["endpoints"][0]["medias"][0]["rtp-hdrexts"][0]["id"] == 11);  // a number
  CHECK_FALSE(p["endpoints"][0].contains("sources"));
}

TEST_CASE("colibri2 json: hand-built messages with every field round-trip") {
  ConferenceModify req;
  req.meeting_id = MeetingId("m-1");
  req.name = "room@conference.example.org";
  req.create = true;
  req.rtcstats_enabled = false;
  Endpoint ep;
  ep.id = EndpointId("ep1");
  ep.create = true;
  ep.stats_id = "Stats-1";
  ep.muc_role = MucRole::kModerator;
  ep.diarize = true;
  ep.capabilities = {"source-names", "ssrc-rewriting"};
  ep.initial_last_n = -1;
  ep.force_mute = ForceMute{true, true};
  Media audio;
  audio.extmap_allow_mixed = true;
  audio.payload_types.push_back(
      PayloadType{PayloadTypeId(111), "opus", 48000, 2, {{"minptime", "10"}, {"", "x"}}, {{"nack", "pli"}}});
  audio.rtp_hdrexts.push_back(RtpHdrExt{255, "urn:x", "sendrecv", "a"});
  ep.medias.push_back(audio);
  Transport t;
  t.ice_controlling = true;
  t.use_unique_port = true;
  t.ice_restart = true;
  IceUdpTransport ice;
  ice.ufrag = "u";
  ice.pwd = "p";
  ice.ice_generation = 3;
  ice.rtcp_mux = true;
  ice.fingerprints.push_back(Fingerprint{"AA", "sha-256", DtlsSetup::kPassive, true});
  Candidate c;
  c.foundation = "2";
  c.component = 1;
  c.protocol = "tcp";
  c.priority = 0xFFFFFFFFu;
  c.ip = "2001:db8::1";
  c.port = 65535;
  c.type = CandidateType::kRelay;
  c.rel_addr = "0.0.0.0";
  c.rel_port = 9;
  c.tcptype = "passive";
  ice.candidates.push_back(c);
  ice.web_sockets = {WebSocket{true, ""}, WebSocket{false, "wss://x/colibri-ws/a/b/c?pwd=d"}};
  t.ice = ice;
  t.sctp = Sctp{5000, SctpRole::kClient};
  ep.transport = t;
  MediaSource ms;
  ms.type = MediaType::kVideo;
  ms.id = SourceName("ep1-v0");
  ms.synthetic = true;
  ms.sources.push_back(Source{Ssrc(0), SourceName("ep1-v0"), "camera", "r0", {{"msid", "s t"}}});
  ms.ssrc_groups.push_back(SsrcGroup{"SIM", {Ssrc(0), Ssrc(1), Ssrc(2)}});
  ep.sources = std::vector<MediaSource>{ms};
  req.endpoints.push_back(ep);
  Relay relay;
  relay.id = RelayId("jvb-2");
  relay.expire = true;
  relay.mesh_id = "1";
  relay.endpoints = std::vector<Endpoint>{};
  relay.sources = std::vector<MediaSource>{};
  req.relays.push_back(relay);
  Connect conn;
  conn.id = "transcriber";
  conn.create = true;
  conn.url = "wss://t.example.org/ws";
  conn.type = ConnectType::kTranslator;
  conn.audio = true;
  conn.http_headers = {{"Authorization", "Bearer x"}};
  conn.ping = Connect::Ping{10000, 3000};
  conn.exports = {"ep1-a0"};
  conn.requests = {"ep1-a0.en"};
  req.connects = std::vector<Connect>{conn};

  auto back = parse_conference_modify_json(serialize_conference_modify_json(req));
  REQUIRE_MESSAGE(back.has_value(), why(back));
  CHECK(*back == req);

  ConferenceModify empty_connects;
  empty_connects.meeting_id = MeetingId("m");
  empty_connects.connects = std::vector<Connect>{};
  auto back2 = parse_conference_modify_json(serialize_conference_modify_json(empty_connects));
  REQUIRE(back2.has_value());
  CHECK(back2->connects == std::optional<std::vector<Connect>>(std::vector<Connect>{}));

  ConferenceModified resp = bridge_create_response();
  Endpoint gone;
  gone.id = EndpointId("old");
  gone.expire = true;
  resp.endpoints.push_back(gone);
  Relay r;
  r.id = RelayId("jvb-3");
  resp.relays.push_back(r);
  auto back3 = parse_conference_modified_json(serialize_conference_modified_json(resp));
  REQUIRE_MESSAGE(back3.has_value(), why(back3));
  CHECK(*back3 == resp);
}

TEST_CASE("colibri2 json: malformed requests are bad-request errors naming the field") {
  struct Bad {
    std::string body;
    const char* text;  // expected substring of the error text
    Colibri2ErrorStage stage;
  };
  const auto D = Colibri2ErrorStage::kDecode;
  const auto S = Colibri2ErrorStage::kJsonSyntax;
  const std::string ep = R"({"meeting-id": "m", "endpoints": [{"id": "e", )";
  const std::string media = ep + R"("medias": [{"type": "audio", )";
  const std::string ice = ep + R"("transport": {"transport": {)";
  const std::string src = ep + R"("sources": [{"type": "video", "id": "e-v0", )";
  std::vector<Bad> cases = {
      {"", "", S},
      {"{", "", S},
      {"[]", "not a JSON object", S},
      {"42", "not a JSON object", S},
      {"{\"meeting-id\": \"m\"} trailing", "", S},
      {"{\"meeting-id\": \"\xff\xfe\"}", "", S},
      {std::string(40, '[') + std::string(40, ']'), "nesting", S},
      {R"({"endpoints": []})", "meeting-id: missing or blank", D},
      {R"({"meeting-id": "  "})", "meeting-id: missing or blank", D},
      {R"({"meeting-id": 5})", "meeting-id: expected a string", D},
      {R"({"meeting-id": "m", "create": "true"})", "create: expected a boolean", D},
      {R"({"meeting-id": "m", "endpoints": {}})", "endpoints: expected an array", D},
      {R"({"meeting-id": "m", "endpoints": [7]})", "endpoints[0]: expected an object", D},
      {R"({"meeting-id": "m", "endpoints": [{"create": true}]})", "endpoints[0].id: missing", D},
      {R"({"meeting-id": "m", "endpoints": [{"id": ""}]})", "endpoints[0].id: must not be empty", D},
      {ep + R"("muc-role": "king"}]})", "endpoints[0].muc-role: unknown value 'king'", D},
      {ep + R"("capabilities": [1]}]})", "endpoints[0].capabilities[0]: expected a string", D},
      {ep + R"("force-mute": {"audio": 1}}]})", "endpoints[0].force-mute.audio: expected a boolean", D},
      {ep + R"("initial-last-n": {"value": "20"}}]})", "initial-last-n.value: expected an integer", D},
      {ep + R"("initial-last-n": {}}]})", "initial-last-n.value: missing", D},
      {ep + R"("initial-last-n": {"value": 4294967296}}]})", "initial-last-n.value: out of range", D},
      {ep + R"("medias": [{"type": "data"}]}]})", "endpoints[0].medias[0].type: unknown value 'data'", D},
      {ep + R"("medias": [{}]}]})", "endpoints[0].medias[0].type: missing", D},
      {media + R"("payload-types": [{"id": "128"}]}]}]})",
       "medias[0].payload-types[0].id: expected an integer 0..127", D},
      {media + R"("payload-types": [{"id": "1x"}]}]}]})", "payload-types[0].id", D},
      {media + R"("payload-types": [{"id": -1}]}]}]})", "payload-types[0].id", D},
      {media + R"("payload-types": [{"id": 1.5}]}]}]})", "payload-types[0].id", D},
      {media + R"("payload-types": [{"name": "opus"}]}]}]})", "payload-types[0].id: missing", D},
      {media + R"("payload-types": [{"id": "1", "channels": "256"}]}]}]})", "payload-types[0].channels", D},
      {media + R"("payload-types": [{"id": "1", "clockrate": "4294967296"}]}]}]})", "clockrate", D},
      {media + R"("payload-types": [{"id": "1", "parameters": []}]}]}]})", "parameters: expected an object",
       D},
      {media + R"("payload-types": [{"id": "1", "parameters": {"a": [1]}}]}]}]})",
       "parameters.a: expected a string", D},
      {media + R"("payload-types": [{"id": "1", "rtcp-fbs": [{"subtype": "pli"}]}]}]}]})",
       "rtcp-fbs[0].type: missing", D},
      {media + R"("rtp-hdrexts": [{"id": "1", "uri": "u"}]}]}]})", "rtp-hdrexts[0].id: expected an integer",
       D},
      {media + R"("rtp-hdrexts": [{"id": 0, "uri": "u"}]}]}]})",
       "rtp-hdrexts[0].id: expected an integer 1..255", D},
      {media + R"("rtp-hdrexts": [{"id": 256, "uri": "u"}]}]}]})", "rtp-hdrexts[0].id", D},
      {media + R"("rtp-hdrexts": [{"id": 1}]}]}]})", "rtp-hdrexts[0].uri: missing", D},
      {media + R"("extmap-allow-mixed": "yes"}]}]})", "extmap-allow-mixed: expected a boolean", D},
      {ep + R"("transport": []}]})", "endpoints[0].transport: expected an object", D},
      {ep + R"("transport": {"sctp": {"port": 70000}}}]})",
       "transport.sctp.port: expected an integer 0..65535", D},
      {ep + R"("transport": {"sctp": {"port": "5000"}}}]})", "transport.sctp.port: expected an integer", D},
      {ep + R"("transport": {"sctp": {"role": "peer"}}}]})", "transport.sctp.role: unknown value 'peer'", D},
      {ep + R"("transport": {"ice-controlling": "true"}}]})", "transport.ice-controlling: expected a boolean",
       D},
      {ice + R"("xmlns": "urn:xmpp:jingle:transports:raw-udp:1"}}}]})", "transport.transport.xmlns", D},
      {ice + R"("ufrag": 5}}}]})", "transport.transport.ufrag: expected a string", D},
      {ice + R"("fingerprints": [{"fingerprint": "AB", "hash": "sha-256", "setup": "sideways"}]}}}]})",
       "fingerprints[0].setup: unknown value 'sideways'", D},
      {ice + R"("fingerprints": [{"fingerprint": "AB"}]}}}]})", "fingerprints[0].hash: missing", D},
      {ice + R"("candidates": [{"foundation": "1", "component": "1", "protocol": "udp", "priority": "1",
                 "ip": "192.0.2.1", "port": "70000", "type": "host"}]}}}]})",
       "candidates[0].port: expected an integer 0..65535", D},
      {ice + R"("candidates": [{"foundation": "1", "component": "1", "protocol": "udp", "priority": "1",
                 "ip": "192.0.2.1", "port": "1", "type": "bogus"}]}}}]})",
       "candidates[0].type: unknown value 'bogus'", D},
      {ice + R"("candidates": [{"foundation": "1", "component": "1", "protocol": "udp", "priority": "1",
                 "port": "1", "type": "host"}]}}}]})",
       "candidates[0].ip: missing", D},
      {ice + R"("candidates": [{"foundation": "1", "component": "1", "protocol": "udp", "priority": "-1",
                 "ip": "192.0.2.1", "port": "1", "type": "host"}]}}}]})",
       "candidates[0].priority", D},
      {ice + R"("web-sockets": [5]}}}]})", "web-sockets[0]: expected a string", D},
      {ep + R"("sources": {}}]})", "endpoints[0].sources: expected an array", D},
      {ep + R"("sources": [{"id": "x"}]}]})", "endpoints[0].sources[0].type: missing", D},
      {ep + R"("sources": [{"type": "audio"}]}]})", "endpoints[0].sources[0].id: missing", D},
      {src + R"("sources": [4294967296]}]}]})", "sources[0].sources[0]: expected an integer 0..4294967295",
       D},
      {src + R"("sources": [-1]}]}]})", "sources[0].sources[0]", D},
      {src + R"("sources": [1.5]}]}]})", "sources[0].sources[0]", D},
      {src + R"("sources": ["12x"]}]}]})", "sources[0].sources[0]", D},
      {src + R"("sources": [true]}]}]})", "sources[0].sources[0]", D},
      {src + R"("sources": [{"name": "n"}]}]}]})", "sources[0].sources[0].ssrc: missing", D},
      {src + R"("sources": [{"ssrc": 1, "name": 2}]}]}]})", "sources[0].sources[0].name: expected a string",
       D},
      {src + R"("ssrc-groups": [{"sources": [1, 2]}]}]}]})", "ssrc-groups[0].semantics: missing", D},
      {src + R"("ssrc-groups": [{"semantics": "FID", "sources": []}]}]}]})", "ssrc-groups[0].sources", D},
      {src + R"("ssrc-groups": [{"semantics": "FID"}]}]}]})", "ssrc-groups[0].sources", D},
      {R"({"meeting-id": "m", "relays": [{"id": "r", "endpoints": [{}]}]})",
       "relays[0].endpoints[0].id: missing", D},
      {R"({"meeting-id": "m", "relays": [{"id": "r", "mesh-id": 0}]})",
       "relays[0].mesh-id: expected a string", D},
      {R"({"meeting-id": "m", "connects": [{"url": "http://x", "protocol": "mediajson", "type": "recorder"}]})",
       "connects[0].url: expected a ws: or wss: URL", D},
      {R"({"meeting-id": "m", "connects": [{"url": "wss://x", "protocol": "rtp", "type": "recorder"}]})",
       "connects[0].protocol: unknown value 'rtp'", D},
      {R"({"meeting-id": "m", "connects": [{"url": "wss://x", "protocol": "mediajson", "type": "recorder",
           "headers": {"bad name": "v"}}]})",
       "connects[0].headers: invalid header name", D},
      {R"({"meeting-id": "m", "connects": [{"url": "wss://x", "protocol": "mediajson", "type": "recorder",
           "ping": {"interval": 1}}]})",
       "connects[0].ping.timeout: missing", D},
      {R"({"meeting-id": ")" + std::string(kMaxStringBytes + 1, 'a') + R"("})", "meeting-id: string too long",
       D},
  };
  // Arrays beyond the limits.
  std::string many = R"({"meeting-id": "m", "endpoints": [)";
  for (std::size_t i = 0; i <= kMaxEntities; ++i) many += (i ? ",{}" : "{}");
  cases.push_back({many + "]}", "endpoints: too many elements (at most 1024)", D});
  std::string ssrcs = src + R"("ssrc-groups": [{"semantics": "SIM", "sources": [)";
  for (std::size_t i = 0; i <= kMaxSsrcsPerGroup; ++i) ssrcs += (i ? ",1" : "1");
  cases.push_back({ssrcs + "]}]}]}]}", "ssrc-groups[0].sources: too many elements", D});
  cases.push_back({"{\"meeting-id\": \"" + std::string(kMaxJsonBytes, 'a') + "\"}", "body larger", S});

  for (const auto& c : cases) {
    CAPTURE(c.body.substr(0, 200));
    auto r = parse_conference_modify_json(c.body);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().condition == StanzaErrorCondition::kBadRequest);
    CHECK(r.error().reason == Colibri2ErrorReason::kNone);
    CHECK(r.error().stage == c.stage);
    CHECK_FALSE(r.error().text.empty());
    CHECK_MESSAGE(r.error().text.find(c.text) != std::string::npos, r.error().text);
  }
}

TEST_CASE("colibri2 json: malformed responses are errors too") {
  CHECK_FALSE(parse_conference_modified_json("[]").has_value());
  auto r =
      parse_conference_modified_json(R"({"sources": [{"type": "audio", "id": "jvb-a0", "sources": [-5]}]})");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().text.find("sources[0].sources[0]") != std::string::npos);
  auto ok = parse_conference_modified_json("{}");
  REQUIRE(ok.has_value());
  CHECK(*ok == ConferenceModified{});
}

TEST_CASE("colibri2 json: the path meeting-id of a PATCH replaces the body's") {
  auto r = parse_conference_modify_json(R"({"meeting-id": "body-id", "expire": true})", MeetingId("path-id"));
  REQUIRE(r.has_value());
  CHECK(r->meeting_id == MeetingId("path-id"));
  CHECK(r->expire);
  auto none = parse_conference_modify_json(R"({"expire": true})");
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().text == "meeting-id: missing or blank");
}
