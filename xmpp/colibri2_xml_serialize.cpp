// Colibri2 model -> XML (gloox::Tag): conference-modified as JVB writes it (vectors/colibri2/
// *.resp.xml), conference-modify as Jicofo writes it, and the IQ <error> child (condition, text,
// colibri2 reason). Namespaces are declared only where they change (children inherit the colibri2
// default namespace); optional attributes are left out when absent or empty, booleans only when
// they differ from the default. Element order follows the vectors: candidates, rtcp-mux,
// fingerprints, web-sockets inside the ICE transport; media, transport, sources, force-mute,
// capabilities, initial-last-n inside an endpoint.
#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/colibri2_xml.hpp"

namespace jvb::xmpp {
namespace {

using namespace jvb::signaling;

// A child element of `parent` (owned by it), with an xmlns declaration when `ns` is not null.
gloox::Tag* add(gloox::Tag* parent, const std::string& name, const char* ns = nullptr) {
  auto* tag = new gloox::Tag(parent, name);
  if (ns) tag->setXmlns(ns);
  return tag;
}

void attr(gloox::Tag* tag, const char* name, std::string_view value) {
  // gloox drops empty values (and values with characters XML cannot carry) by itself.
  tag->addAttribute(name, std::string(value));
}

void attr_uint(gloox::Tag* tag, const char* name, std::uint64_t value) {
  attr(tag, name, std::to_string(value));
}

void attr_true(gloox::Tag* tag, const char* name, bool value) {
  if (value) attr(tag, name, "true");
}

void write_parameters(gloox::Tag* parent, const std::vector<Parameter>& parameters, const char* ns) {
  for (const auto& p : parameters) {
    gloox::Tag* t = add(parent, "parameter", ns);
    attr(t, "name", p.name);
    attr(t, "value", p.value);
  }
}

void write_payload_type(gloox::Tag* media, const PayloadType& pt) {
  gloox::Tag* t = add(media, "payload-type", kNsJingleRtp);
  attr_uint(t, "id", pt.id.value());
  attr(t, "name", pt.name);
  if (pt.clockrate) attr_uint(t, "clockrate", *pt.clockrate);
  if (pt.channels) attr_uint(t, "channels", *pt.channels);
  write_parameters(t, pt.parameters, nullptr);  // inherits the RTP namespace
  for (const auto& fb : pt.rtcp_fbs) {
    gloox::Tag* f = add(t, "rtcp-fb", kNsRtcpFb);
    attr(f, "type", fb.type);
    attr(f, "subtype", fb.subtype);
  }
}

void write_media(gloox::Tag* parent, const Media& media) {
  gloox::Tag* t = add(parent, "media");
  attr(t, "type", to_string(media.type));
  for (const auto& pt : media.payload_types) write_payload_type(t, pt);
  for (const auto& ext : media.rtp_hdrexts) {
    gloox::Tag* e = add(t, "rtp-hdrext", kNsRtpHdrExt);
    attr_uint(e, "id", ext.id);
    attr(e, "uri", ext.uri);
    attr(e, "senders", ext.senders);
    attr(e, "attributes", ext.attributes);
  }
  if (media.extmap_allow_mixed) add(t, "extmap-allow-mixed", kNsRtpHdrExt);
}

void write_candidate(gloox::Tag* ice, const Candidate& c) {
  gloox::Tag* t = add(ice, "candidate");  // inherits the ICE-UDP namespace
  attr_uint(t, "component", c.component);
  attr(t, "foundation", c.foundation);
  if (c.generation) attr_uint(t, "generation", *c.generation);
  attr(t, "id", c.id);
  if (c.network) attr_uint(t, "network", *c.network);
  attr_uint(t, "priority", c.priority);
  attr(t, "protocol", c.protocol);
  attr(t, "type", to_string(c.type));
  attr(t, "ip", c.ip);
  attr_uint(t, "port", c.port);
  if (c.rel_addr) attr(t, "rel-addr", *c.rel_addr);
  if (c.rel_port) attr_uint(t, "rel-port", *c.rel_port);
  attr(t, "tcptype", c.tcptype);
}

void write_ice(gloox::Tag* parent, const IceUdpTransport& ice) {
  gloox::Tag* t = add(parent, "transport", kNsIceUdp);
  attr(t, "ufrag", ice.ufrag);
  attr(t, "pwd", ice.pwd);
  if (ice.ice_generation) attr_uint(t, "ice-generation", *ice.ice_generation);
  for (const auto& c : ice.candidates) write_candidate(t, c);
  if (ice.rtcp_mux) add(t, "rtcp-mux");
  for (const auto& fp : ice.fingerprints) {
    gloox::Tag* f = add(t, "fingerprint", kNsDtls);
    attr(f, "hash", fp.hash);
    if (fp.setup) attr(f, "setup", to_string(*fp.setup));
    attr_true(f, "cryptex", fp.cryptex);
    f->setCData(fp.value);
  }
  for (const auto& ws : ice.web_sockets) {
    gloox::Tag* w = add(t, "web-socket", kNsColibri);
    if (ws.active) {
      attr(w, "active", "true");
    } else {
      attr(w, "url", ws.url);
    }
  }
}

void write_transport(gloox::Tag* parent, const Transport& transport) {
  gloox::Tag* t = add(parent, "transport");
  attr_true(t, "ice-controlling", transport.ice_controlling);
  attr_true(t, "use-unique-port", transport.use_unique_port);
  attr_true(t, "ice-restart", transport.ice_restart);
  if (transport.ice) write_ice(t, *transport.ice);
  if (transport.sctp) {
    gloox::Tag* s = add(t, "sctp");
    if (transport.sctp->port) attr_uint(s, "port", *transport.sctp->port);
    if (transport.sctp->role) attr(s, "role", to_string(*transport.sctp->role));
  }
}

void write_media_source(gloox::Tag* parent, const MediaSource& ms) {
  gloox::Tag* t = add(parent, "media-source");
  attr(t, "type", to_string(ms.type));
  attr(t, "id", ms.id.str());
  attr_true(t, "synthetic", ms.synthetic);
  for (const auto& s : ms.sources) {
    gloox::Tag* src = add(t, "source", kNsSsma);
    attr_uint(src, "ssrc", s.ssrc.value());
    attr(src, "name", s.name.str());
    attr(src, "videoType", s.video_type);
    attr(src, "rid", s.rid);
    write_parameters(src, s.parameters, nullptr);  // XEP-0339: inherits the ssma namespace
  }
  for (const auto& g : ms.ssrc_groups) {
    gloox::Tag* group = add(t, "ssrc-group", kNsSsma);
    attr(group, "semantics", g.semantics);
    for (const auto& ssrc : g.ssrcs) attr_uint(add(group, "source"), "ssrc", ssrc.value());
  }
}

void write_sources(gloox::Tag* parent, const std::optional<std::vector<MediaSource>>& sources) {
  if (!sources) return;
  gloox::Tag* t = add(parent, "sources");
  for (const auto& ms : *sources) write_media_source(t, ms);
}

void write_endpoint(gloox::Tag* parent, const Endpoint& ep) {
  gloox::Tag* t = add(parent, "endpoint");
  attr(t, "id", ep.id.str());
  attr_true(t, "create", ep.create);
  attr_true(t, "expire", ep.expire);
  if (ep.stats_id) attr(t, "stats-id", *ep.stats_id);
  if (ep.muc_role) attr(t, "muc-role", to_string(*ep.muc_role));
  attr_true(t, "diarize", ep.diarize);
  for (const auto& m : ep.medias) write_media(t, m);
  if (ep.transport) write_transport(t, *ep.transport);
  write_sources(t, ep.sources);
  if (ep.force_mute) {
    gloox::Tag* fm = add(t, "force-mute");
    attr_true(fm, "audio", ep.force_mute->audio);
    attr_true(fm, "video", ep.force_mute->video);
  }
  for (const auto& cap : ep.capabilities) attr(add(t, "capability"), "name", cap);
  if (ep.initial_last_n) attr(add(t, "initial-last-n"), "value", std::to_string(*ep.initial_last_n));
}

void write_relay(gloox::Tag* parent, const Relay& relay) {
  gloox::Tag* t = add(parent, "relay");
  attr(t, "id", relay.id.str());
  attr_true(t, "create", relay.create);
  attr_true(t, "expire", relay.expire);
  if (relay.mesh_id) attr(t, "mesh-id", *relay.mesh_id);
  for (const auto& m : relay.medias) write_media(t, m);
  if (relay.transport) write_transport(t, *relay.transport);
  write_sources(t, relay.sources);
  if (relay.endpoints) {
    gloox::Tag* eps = add(t, "endpoints");
    for (const auto& ep : *relay.endpoints) write_endpoint(eps, ep);
  }
}

void write_connect(gloox::Tag* parent, const Connect& c) {
  gloox::Tag* t = add(parent, "connect");
  if (c.id) attr(t, "id", *c.id);
  attr(t, "url", c.url);
  attr(t, "protocol", to_string(c.protocol));
  attr(t, "type", to_string(c.type));
  attr_true(t, "audio", c.audio);
  attr_true(t, "video", c.video);
  attr_true(t, "create", c.create);
  attr_true(t, "expire", c.expire);
  for (const auto& [name, value] : c.http_headers) {
    gloox::Tag* h = add(t, "http-header");
    attr(h, "name", name);
    attr(h, "value", value);
  }
  if (c.ping) {
    gloox::Tag* p = add(t, "ping");
    attr_uint(p, "interval", c.ping->interval_ms);
    attr_uint(p, "timeout", c.ping->timeout_ms);
  }
  if (!c.exports.empty()) {
    gloox::Tag* e = add(t, "exports");
    for (const auto& name : c.exports) attr(add(e, "export"), "name", name);
  }
  if (!c.requests.empty()) {
    gloox::Tag* r = add(t, "requests");
    for (const auto& name : c.requests) attr(add(r, "request"), "name", name);
  }
}

// `text` with the bytes gloox would refuse (control characters, non-UTF-8 lead bytes) replaced,
// so that an error text that quotes bad input is still sent.
std::string xml_safe(std::string_view text) {
  std::string out(text);
  for (char& ch : out) {
    const auto c = static_cast<unsigned char>(ch);
    const bool ok = c == 0x09 || c == 0x0a || c == 0x0d || (c >= 0x20 && c != 0xc0 && c != 0xc1 && c < 0xf5);
    if (!ok) ch = '?';
  }
  return out;
}

std::unique_ptr<gloox::Tag> top(const char* name) {
  auto tag = std::make_unique<gloox::Tag>(name);
  tag->setXmlns(kNsColibri2);
  return tag;
}

}  // namespace

std::unique_ptr<gloox::Tag> serialize_conference_modified(const ConferenceModified& response) {
  auto tag = top("conference-modified");
  for (const auto& ep : response.endpoints) write_endpoint(tag.get(), ep);
  for (const auto& relay : response.relays) write_relay(tag.get(), relay);
  write_sources(tag.get(), response.sources);
  return tag;
}

std::unique_ptr<gloox::Tag> serialize_conference_modify(const ConferenceModify& request) {
  auto tag = top("conference-modify");
  attr(tag.get(), "meeting-id", request.meeting_id.str());
  if (request.name) attr(tag.get(), "name", *request.name);
  attr_true(tag.get(), "create", request.create);
  attr_true(tag.get(), "expire", request.expire);
  if (!request.rtcstats_enabled) attr(tag.get(), "rtcstats-enabled", "false");
  for (const auto& ep : request.endpoints) write_endpoint(tag.get(), ep);
  for (const auto& relay : request.relays) write_relay(tag.get(), relay);
  if (request.connects) {
    gloox::Tag* c = add(tag.get(), "connects");
    for (const auto& connect : *request.connects) write_connect(c, connect);
  }
  return tag;
}

std::unique_ptr<gloox::Tag> serialize_error(const Colibri2Error& error) {
  auto tag = std::make_unique<gloox::Tag>("error");
  attr(tag.get(), "type", to_string(default_error_type(error.condition)));
  add(tag.get(), std::string(to_string(error.condition)), kNsStanzas);
  if (!error.text.empty()) {
    gloox::Tag* text = add(tag.get(), "text", kNsStanzas);
    attr(text, "xml:lang", "en");
    text->setCData(xml_safe(error.text));
  }
  if (error.reason != Colibri2ErrorReason::kNone) {
    attr(add(tag.get(), "error", kNsColibri2), "reason", to_string(error.reason));
  }
  if (error.endpoint) attr(add(tag.get(), "endpoint", kNsColibri2), "id", error.endpoint->str());
  return tag;
}

}  // namespace jvb::xmpp
