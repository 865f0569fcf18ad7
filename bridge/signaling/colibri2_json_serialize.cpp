// Colibri2 model -> JSON, in the shape JVB's Colibri2JSONSerializer writes.
// Keys are written in a fixed order (nlohmann::ordered_json) so output is stable and readable;
// optional fields are left out when absent, booleans only when they differ from the default.
#include <string>

#include <nlohmann/json.hpp>

#include "bridge/signaling/colibri2_json.hpp"

namespace jvb::signaling {
namespace {

using Json = nlohmann::ordered_json;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

Json to_json(const std::vector<Parameter>& parameters) {
  Json j = Json::object();
  for (const auto& p : parameters) j[p.name.empty() ? std::string("null") : p.name] = p.value;
  return j;
}

Json to_json(const PayloadType& pt) {
  Json j = Json::object();
  // XML attributes are JSON strings in JVB's form.
  j["id"] = std::to_string(pt.id.value());
  if (!pt.name.empty()) j["name"] = pt.name;
  if (pt.clockrate) j["clockrate"] = std::to_string(*pt.clockrate);
  if (pt.channels) j["channels"] = std::to_string(*pt.channels);
  if (!pt.parameters.empty()) j["parameters"] = to_json(pt.parameters);
  if (!pt.rtcp_fbs.empty()) {
    Json fbs = Json::array();
    for (const auto& fb : pt.rtcp_fbs) {
      Json f = {{"type", fb.type}};
      if (!fb.subtype.empty()) f["subtype"] = fb.subtype;
      fbs.push_back(std::move(f));
    }
    j["rtcp-fbs"] = std::move(fbs);
  }
  return j;
}

Json to_json(const RtpHdrExt& ext) {
  Json j = {{"id", ext.id}, {"uri", ext.uri}};
  if (!ext.senders.empty()) j["senders"] = ext.senders;
  if (!ext.attributes.empty()) j["attributes"] = ext.attributes;
  return j;
}

Json to_json(const Media& media) {
  Json j = {{"type", to_string(media.type)}};
  if (!media.payload_types.empty()) {
    Json pts = Json::array();
    for (const auto& pt : media.payload_types) pts.push_back(to_json(pt));
    j["payload-types"] = std::move(pts);
  }
  if (!media.rtp_hdrexts.empty()) {
    Json exts = Json::array();
    for (const auto& ext : media.rtp_hdrexts) exts.push_back(to_json(ext));
    j["rtp-hdrexts"] = std::move(exts);
  }
  if (media.extmap_allow_mixed) j["extmap-allow-mixed"] = true;
  return j;
}

Json to_json(const Fingerprint& fp) {
  Json j = {{"fingerprint", fp.value}, {"hash", fp.hash}};
  if (fp.setup) j["setup"] = to_string(*fp.setup);
  if (fp.cryptex) j["cryptex"] = true;
  return j;
}

Json to_json(const Candidate& c) {
  // All XEP-0176 attributes as strings, like the XML attributes they come from.
  Json j = Json::object();
  j["component"] = std::to_string(c.component);
  j["foundation"] = c.foundation;
  if (c.generation) j["generation"] = std::to_string(*c.generation);
  if (!c.id.empty()) j["id"] = c.id;
  if (c.network) j["network"] = std::to_string(*c.network);
  j["priority"] = std::to_string(c.priority);
  j["protocol"] = c.protocol;
  j["type"] = to_string(c.type);
  j["ip"] = c.ip;
  j["port"] = std::to_string(c.port);
  if (c.rel_addr) j["rel-addr"] = *c.rel_addr;
  if (c.rel_port) j["rel-port"] = std::to_string(*c.rel_port);
  if (!c.tcptype.empty()) j["tcptype"] = c.tcptype;
  return j;
}

Json to_json(const IceUdpTransport& ice) {
  Json j = {{"xmlns", "urn:xmpp:jingle:transports:ice-udp:1"}};
  if (!ice.ufrag.empty()) j["ufrag"] = ice.ufrag;
  if (!ice.pwd.empty()) j["pwd"] = ice.pwd;
  if (ice.ice_generation) j["ice-generation"] = std::to_string(*ice.ice_generation);
  if (!ice.fingerprints.empty()) {
    Json fps = Json::array();
    for (const auto& fp : ice.fingerprints) fps.push_back(to_json(fp));
    j["fingerprints"] = std::move(fps);
  }
  if (!ice.candidates.empty()) {
    Json cs = Json::array();
    for (const auto& c : ice.candidates) cs.push_back(to_json(c));
    j["candidates"] = std::move(cs);
  }
  if (!ice.web_sockets.empty()) {
    Json ws = Json::array();
    for (const auto& w : ice.web_sockets) ws.push_back(w.active ? std::string("active") : w.url);
    j["web-sockets"] = std::move(ws);
  }
  if (ice.rtcp_mux) j["rtcp-mux"] = true;
  return j;
}

Json to_json(const Transport& t) {
  Json j = Json::object();
  if (t.ice_controlling) j["ice-controlling"] = true;
  if (t.use_unique_port) j["use-unique-port"] = true;
  if (t.ice_restart) j["ice-restart"] = true;
  if (t.ice) j["transport"] = to_json(*t.ice);
  if (t.sctp) {
    Json s = Json::object();
    if (t.sctp->port) s["port"] = *t.sctp->port;
    // JVB's serializer writes the enum name, i.e. upper case.
    if (t.sctp->role) s["role"] = upper(to_string(*t.sctp->role));
    j["sctp"] = std::move(s);
  }
  return j;
}

Json to_json(const Source& s) {
  // A source with nothing but an SSRC is a bare number (JVB's backward-compatible form). JVB
  // also drops a lone videoType this way; we keep it, so the form depends on it too.
  if (s.name.empty() && s.video_type.empty() && s.rid.empty() && s.parameters.empty()) {
    return Json(s.ssrc.value());
  }
  Json j = {{"ssrc", s.ssrc.value()}};
  if (!s.name.empty()) j["name"] = s.name.str();
  if (!s.video_type.empty()) j["videoType"] = s.video_type;
  if (!s.rid.empty()) j["rid"] = s.rid;
  if (!s.parameters.empty()) j["parameters"] = to_json(s.parameters);
  return j;
}

Json to_json(const MediaSource& ms) {
  Json j = {{"type", to_string(ms.type)}, {"id", ms.id.str()}};
  if (ms.synthetic) j["synthetic"] = true;
  if (!ms.sources.empty()) {
    Json ss = Json::array();
    for (const auto& s : ms.sources) ss.push_back(to_json(s));
    j["sources"] = std::move(ss);
  }
  if (!ms.ssrc_groups.empty()) {
    Json gs = Json::array();
    for (const auto& g : ms.ssrc_groups) {
      Json ssrcs = Json::array();
      for (const auto& ssrc : g.ssrcs) ssrcs.push_back(ssrc.value());
      gs.push_back({{"semantics", g.semantics}, {"sources", std::move(ssrcs)}});
    }
    j["ssrc-groups"] = std::move(gs);
  }
  return j;
}

Json to_json(const std::vector<MediaSource>& sources) {
  Json j = Json::array();
  for (const auto& ms : sources) j.push_back(to_json(ms));
  return j;
}

template <class Entity>
void put_entity_common(const Entity& e, Json& j) {
  j["id"] = e.id.str();
  if (e.create) j["create"] = true;
  if (e.expire) j["expire"] = true;
}

template <class Entity>
void put_entity_children(const Entity& e, Json& j) {
  if (!e.medias.empty()) {
    Json ms = Json::array();
    for (const auto& m : e.medias) ms.push_back(to_json(m));
    j["medias"] = std::move(ms);
  }
  if (e.transport) j["transport"] = to_json(*e.transport);
  if (e.sources) j["sources"] = to_json(*e.sources);
}

Json to_json(const Endpoint& ep) {
  Json j = Json::object();
  put_entity_common(ep, j);
  if (ep.stats_id) j["stats-id"] = *ep.stats_id;
  if (ep.muc_role) j["muc-role"] = to_string(*ep.muc_role);
  if (ep.diarize) j["diarize"] = true;
  put_entity_children(ep, j);
  if (ep.force_mute) j["force-mute"] = {{"audio", ep.force_mute->audio}, {"video", ep.force_mute->video}};
  if (ep.initial_last_n) j["initial-last-n"] = {{"value", *ep.initial_last_n}};
  if (!ep.capabilities.empty()) j["capabilities"] = ep.capabilities;
  return j;
}

Json to_json(const std::vector<Endpoint>& endpoints) {
  Json j = Json::array();
  for (const auto& ep : endpoints) j.push_back(to_json(ep));
  return j;
}

Json to_json(const Relay& r) {
  Json j = Json::object();
  put_entity_common(r, j);
  if (r.mesh_id) j["mesh-id"] = *r.mesh_id;
  put_entity_children(r, j);
  if (r.endpoints) j["endpoints"] = to_json(*r.endpoints);
  return j;
}

Json to_json(const std::vector<Relay>& relays) {
  Json j = Json::array();
  for (const auto& r : relays) j.push_back(to_json(r));
  return j;
}

Json to_json(const Connect& c) {
  Json j = Json::object();
  if (c.id) j["id"] = *c.id;
  if (c.create) j["create"] = true;
  if (c.expire) j["expire"] = true;
  j["url"] = c.url;
  j["protocol"] = to_string(c.protocol);
  j["type"] = to_string(c.type);
  if (c.audio) j["audio"] = true;
  if (c.video) j["video"] = true;
  if (!c.http_headers.empty()) {
    Json h = Json::object();
    for (const auto& [name, value] : c.http_headers) h[name] = value;
    j["headers"] = std::move(h);
  }
  if (c.ping) j["ping"] = {{"interval", c.ping->interval_ms}, {"timeout", c.ping->timeout_ms}};
  if (!c.exports.empty()) j["exports"] = c.exports;
  if (!c.requests.empty()) j["requests"] = c.requests;
  return j;
}

// Model strings may hold anything (e.g. built from XML by hand); replace invalid UTF-8 rather
// than throw, so serialization cannot fail.
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

std::string serialize_conference_modify_json(const ConferenceModify& request) {
  Json j = Json::object();
  if (!request.meeting_id.empty()) j["meeting-id"] = request.meeting_id.str();
  if (request.name) j["name"] = *request.name;
  if (request.create) j["create"] = true;
  if (request.expire) j["expire"] = true;
  if (!request.rtcstats_enabled) j["rtcstats-enabled"] = false;
  if (!request.endpoints.empty()) j["endpoints"] = to_json(request.endpoints);
  if (!request.relays.empty()) j["relays"] = to_json(request.relays);
  if (request.connects) {
    Json cs = Json::array();
    for (const auto& c : *request.connects) cs.push_back(to_json(c));
    j["connects"] = std::move(cs);
  }
  return dump(j);
}

std::string serialize_conference_modified_json(const ConferenceModified& response) {
  Json j = Json::object();
  if (!response.endpoints.empty()) j["endpoints"] = to_json(response.endpoints);
  if (!response.relays.empty()) j["relays"] = to_json(response.relays);
  if (response.sources) j["sources"] = to_json(*response.sources);
  return dump(j);
}

}  // namespace jvb::signaling
