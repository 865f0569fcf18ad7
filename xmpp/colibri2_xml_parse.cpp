// XML (gloox::Tag) -> Colibri2 model: conference-modify and conference-modified
// (the parser rules of colibri2_xml.hpp; endpoints, relays and their children as Jicofo writes them).
// Every attribute is type- and range-checked; the first problem becomes a bad-request naming the
// element path and attribute. Children are matched by local name AND effective namespace, which
// is tracked while descending because gloox's Tag::xmlns() does not inherit default namespaces.
#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/signaling/colibri2_json.hpp"  // the shared size limits (kMax*)
#include "xmpp/colibri2_xml.hpp"

#include "bridge/core/strings.hpp"

namespace jvb::xmpp {
namespace {

using namespace jvb::signaling;

// The decoding state: the first error found. Decoders return false once it is set.
struct Ctx {
  std::string error;
};

bool fail(Ctx& ctx, const std::string& path, std::string_view problem) {
  ctx.error = path;
  ctx.error += ": ";
  ctx.error += problem;
  return false;
}

// An element being decoded: the tag, its effective namespace and its path for messages.
struct Elem {
  const gloox::Tag* tag;
  std::string ns;
  std::string path;
};

std::string ns_of(const gloox::Tag& tag, const std::string& inherited) {
  std::string ns = tag.xmlns();
  return ns.empty() ? inherited : ns;
}

std::string attr_path(const Elem& e, std::string_view name) {
  std::string p = e.path;
  p += '@';
  p += name;
  return p;
}

// The children of `e` named `name` in namespace `ns`, at most `max` of them.
bool children(Ctx& ctx, const Elem& e, std::string_view name, std::string_view ns, std::size_t max,
              std::vector<Elem>& out) {
  out.clear();
  for (const gloox::Tag* child : e.tag->children()) {
    if (child->name() != name) continue;
    std::string child_ns = ns_of(*child, e.ns);
    if (child_ns != ns) continue;
    if (out.size() == max) {
      return fail(ctx, e.path,
                  "too many <" + std::string(name) + "> elements (at most " + std::to_string(max) + ")");
    }
    std::string path = e.path;
    path += '/';
    path += name;
    path += '[' + std::to_string(out.size()) + ']';
    out.push_back(Elem{child, std::move(child_ns), std::move(path)});
  }
  return true;
}

// The first child named `name` in namespace `ns`, or nullopt. Later duplicates are ignored,
// as Smack's getChildExtension does.
std::optional<Elem> first_child(const Elem& e, std::string_view name, std::string_view ns) {
  for (const gloox::Tag* child : e.tag->children()) {
    if (child->name() != name) continue;
    std::string child_ns = ns_of(*child, e.ns);
    if (child_ns != ns) continue;
    return Elem{child, std::move(child_ns), e.path + "/" + std::string(name)};
  }
  return std::nullopt;
}

// An unprefixed attribute's value, or null when absent.
const std::string* find_attr(const Elem& e, std::string_view name) {
  for (const gloox::Tag::Attribute* a : e.tag->attributes()) {
    if (a->name() == name && a->prefix().empty()) return &a->value();
  }
  return nullptr;
}

// Bytes gloox refuses to write (its util::checkValidXMLChars): C0 controls other than tab, LF
// and CR, and bytes that never occur in UTF-8. Rejecting them here keeps every parsed model
// serializable without loss.
bool valid_xml_chars(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0x09 || c == 0x0a || c == 0x0d) continue;
    if (c < 0x20 || c == 0xc0 || c == 0xc1 || c >= 0xf5) return false;
  }
  return true;
}

bool check_length(Ctx& ctx, const std::string& value, const std::string& path) {
  if (value.size() > kMaxStringBytes) return fail(ctx, path, "string too long");
  return valid_xml_chars(value) || fail(ctx, path, "invalid character");
}

// An optional string attribute; `out` is left alone when absent. An empty value counts as
// absent: gloox cannot write empty attributes, so "" and absent must mean the same.
bool get_string(Ctx& ctx, const Elem& e, std::string_view name, std::string& out) {
  const std::string* v = find_attr(e, name);
  if (!v || v->empty()) return true;
  if (!check_length(ctx, *v, attr_path(e, name))) return false;
  out = *v;
  return true;
}

bool get_string(Ctx& ctx, const Elem& e, std::string_view name, std::optional<std::string>& out) {
  const std::string* v = find_attr(e, name);
  if (!v || v->empty()) return true;
  if (!check_length(ctx, *v, attr_path(e, name))) return false;
  out = *v;
  return true;
}

bool get_required_string(Ctx& ctx, const Elem& e, std::string_view name, std::string& out) {
  const std::string* v = find_attr(e, name);
  if (!v) return fail(ctx, attr_path(e, name), "missing");
  if (v->empty()) return fail(ctx, attr_path(e, name), "must not be empty");
  if (!check_length(ctx, *v, attr_path(e, name))) return false;
  out = *v;
  return true;
}

// Booleans: true/false in any case (and the XML Schema forms 1/0); absent keeps the default.
bool get_bool(Ctx& ctx, const Elem& e, std::string_view name, bool& out) {
  const std::string* v = find_attr(e, name);
  if (!v) return true;
  if (iequals(*v, "true") || *v == "1") {
    out = true;
  } else if (iequals(*v, "false") || *v == "0") {
    out = false;
  } else {
    return fail(ctx, attr_path(e, name), "expected true or false");
  }
  return true;
}

// Strict unsigned decimal: digits only, no sign or spaces.
std::optional<std::uint64_t> parse_decimal(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

bool to_uint(Ctx& ctx, const std::string& text, const std::string& path, std::uint64_t min, std::uint64_t max,
             std::uint64_t& out) {
  const auto v = parse_decimal(text);
  if (!v || *v < min || *v > max) {
    return fail(ctx, path, "expected an integer " + std::to_string(min) + ".." + std::to_string(max));
  }
  out = *v;
  return true;
}

template <class T>
bool get_uint(Ctx& ctx, const Elem& e, std::string_view name, std::uint64_t min, std::uint64_t max,
              std::optional<T>& out) {
  const std::string* v = find_attr(e, name);
  if (!v) return true;
  std::uint64_t n = 0;
  if (!to_uint(ctx, *v, attr_path(e, name), min, max, n)) return false;
  out = static_cast<T>(n);
  return true;
}

template <class T>
bool get_required_uint(Ctx& ctx, const Elem& e, std::string_view name, std::uint64_t min, std::uint64_t max,
                       T& out) {
  const std::string* v = find_attr(e, name);
  if (!v) return fail(ctx, attr_path(e, name), "missing");
  std::uint64_t n = 0;
  if (!to_uint(ctx, *v, attr_path(e, name), min, max, n)) return false;
  out = static_cast<T>(n);
  return true;
}

template <class E>
bool get_enum(Ctx& ctx, const Elem& e, std::string_view name, bool required,
              std::optional<E> (*parse)(std::string_view), std::optional<E>& out) {
  const std::string* v = find_attr(e, name);
  if (!v) return !required || fail(ctx, attr_path(e, name), "missing");
  out = parse(*v);
  if (out) return true;
  return fail(ctx, attr_path(e, name), "unknown value '" + v->substr(0, 64) + "'");
}

template <class E>
bool get_required_enum(Ctx& ctx, const Elem& e, std::string_view name,
                       std::optional<E> (*parse)(std::string_view), E& out) {
  std::optional<E> v;
  if (!get_enum(ctx, e, name, true, parse, v)) return false;
  out = *v;
  return true;
}

// Decodes each child named `name` in `ns` with `decode(ctx, elem, T&)`.
template <class T, class F>
bool get_list(Ctx& ctx, const Elem& e, std::string_view name, std::string_view ns, std::size_t max,
              std::vector<T>& out, F decode) {
  std::vector<Elem> elems;
  if (!children(ctx, e, name, ns, max, elems)) return false;
  out.reserve(elems.size());
  for (const Elem& child : elems) {
    T item{};
    if (!decode(ctx, child, item)) return false;
    out.push_back(std::move(item));
  }
  return true;
}

// <parameter name value/>; JVB keeps nameless parameters (red's "111/111").
bool decode_parameter(Ctx& ctx, const Elem& e, Parameter& out) {
  return get_string(ctx, e, "name", out.name) && get_string(ctx, e, "value", out.value);
}

bool decode_rtcp_fb(Ctx& ctx, const Elem& e, RtcpFb& out) {
  return get_required_string(ctx, e, "type", out.type) && get_string(ctx, e, "subtype", out.subtype);
}

bool decode_payload_type(Ctx& ctx, const Elem& e, PayloadType& out) {
  std::uint8_t id = 0;
  if (!get_required_uint(ctx, e, "id", 0, 127, id)) return false;
  out.id = PayloadTypeId(id);
  return get_string(ctx, e, "name", out.name) &&
         get_uint(ctx, e, "clockrate", 0, std::numeric_limits<std::uint32_t>::max(), out.clockrate) &&
         get_uint(ctx, e, "channels", 0, 255, out.channels) &&
         get_list(ctx, e, "parameter", kNsJingleRtp, kMaxParameters, out.parameters, decode_parameter) &&
         get_list(ctx, e, "rtcp-fb", kNsRtcpFb, kMaxRtcpFbs, out.rtcp_fbs, decode_rtcp_fb);
}

bool decode_rtp_hdrext(Ctx& ctx, const Elem& e, RtpHdrExt& out) {
  return get_required_uint(ctx, e, "id", 1, 255, out.id) && get_required_string(ctx, e, "uri", out.uri) &&
         get_string(ctx, e, "senders", out.senders) && get_string(ctx, e, "attributes", out.attributes);
}

bool decode_media(Ctx& ctx, const Elem& e, Media& out) {
  if (!get_required_enum(ctx, e, "type", parse_media_type, out.type) ||
      !get_list(ctx, e, "payload-type", kNsJingleRtp, kMaxPayloadTypes, out.payload_types,
                decode_payload_type) ||
      !get_list(ctx, e, "rtp-hdrext", kNsRtpHdrExt, kMaxRtpHdrExts, out.rtp_hdrexts, decode_rtp_hdrext)) {
    return false;
  }
  out.extmap_allow_mixed = first_child(e, "extmap-allow-mixed", kNsRtpHdrExt).has_value();
  return true;
}

bool decode_fingerprint(Ctx& ctx, const Elem& e, Fingerprint& out) {
  const std::string text = e.tag->cdata();
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return fail(ctx, e.path, "empty fingerprint");
  out.value = text.substr(first, text.find_last_not_of(" \t\r\n") + 1 - first);
  return check_length(ctx, out.value, e.path) && get_required_string(ctx, e, "hash", out.hash) &&
         get_enum(ctx, e, "setup", false, parse_dtls_setup, out.setup) &&
         get_bool(ctx, e, "cryptex", out.cryptex);
}

bool decode_candidate(Ctx& ctx, const Elem& e, Candidate& out) {
  return get_required_string(ctx, e, "foundation", out.foundation) &&
         get_required_uint(ctx, e, "component", 1, 256, out.component) &&
         get_required_string(ctx, e, "protocol", out.protocol) &&
         get_required_uint(ctx, e, "priority", 0, 0xFFFFFFFFu, out.priority) &&
         get_required_string(ctx, e, "ip", out.ip) && get_required_uint(ctx, e, "port", 0, 65535, out.port) &&
         get_required_enum(ctx, e, "type", parse_candidate_type, out.type) &&
         get_uint(ctx, e, "generation", 0, 0xFFFFFFFFu, out.generation) &&
         get_string(ctx, e, "rel-addr", out.rel_addr) &&
         get_uint(ctx, e, "rel-port", 0, 65535, out.rel_port) &&
         get_uint(ctx, e, "network", 0, 0xFFFFFFFFu, out.network) && get_string(ctx, e, "id", out.id) &&
         get_string(ctx, e, "tcptype", out.tcptype);
}

// <web-socket url='...'/> (the bridge's URL) or <web-socket active='true'/> (relays).
bool decode_web_socket(Ctx& ctx, const Elem& e, WebSocket& out) {
  if (!get_bool(ctx, e, "active", out.active)) return false;
  if (out.active) return true;
  return get_required_string(ctx, e, "url", out.url);
}

bool decode_ice(Ctx& ctx, const Elem& e, IceUdpTransport& out) {
  if (!get_string(ctx, e, "ufrag", out.ufrag) || !get_string(ctx, e, "pwd", out.pwd) ||
      !get_uint(ctx, e, "ice-generation", 0, 0xFFFFFFFFu, out.ice_generation) ||
      !get_list(ctx, e, "fingerprint", kNsDtls, kMaxFingerprints, out.fingerprints, decode_fingerprint) ||
      !get_list(ctx, e, "candidate", kNsIceUdp, kMaxCandidates, out.candidates, decode_candidate) ||
      !get_list(ctx, e, "web-socket", kNsColibri, kMaxWebSockets, out.web_sockets, decode_web_socket)) {
    return false;
  }
  out.rtcp_mux = first_child(e, "rtcp-mux", kNsIceUdp).has_value();
  return true;
}

bool decode_sctp(Ctx& ctx, const Elem& e, Sctp& out) {
  return get_uint(ctx, e, "port", 0, 65535, out.port) &&
         get_enum(ctx, e, "role", false, parse_sctp_role, out.role);
}

// The colibri2 <transport>. An inner transport in another namespace than ICE-UDP is ignored,
// as JVB does.
bool decode_transport(Ctx& ctx, const Elem& e, Transport& out) {
  if (!get_bool(ctx, e, "ice-controlling", out.ice_controlling) ||
      !get_bool(ctx, e, "use-unique-port", out.use_unique_port) ||
      !get_bool(ctx, e, "ice-restart", out.ice_restart)) {
    return false;
  }
  if (auto ice = first_child(e, "transport", kNsIceUdp)) {
    out.ice.emplace();
    if (!decode_ice(ctx, *ice, *out.ice)) return false;
  }
  if (auto sctp = first_child(e, "sctp", kNsColibri2)) {
    out.sctp.emplace();
    if (!decode_sctp(ctx, *sctp, *out.sctp)) return false;
  }
  return true;
}

// Source parameters: XEP-0339 puts them in the ssma namespace; Jicofo's come in the RTP namespace.
// Both are accepted.
bool decode_source_parameters(Ctx& ctx, const Elem& e, std::vector<Parameter>& out) {
  std::vector<Parameter> other;
  if (!get_list(ctx, e, "parameter", kNsSsma, kMaxParameters, out, decode_parameter) ||
      !get_list(ctx, e, "parameter", kNsJingleRtp, kMaxParameters, other, decode_parameter)) {
    return false;
  }
  if (out.size() + other.size() > kMaxParameters) return fail(ctx, e.path, "too many <parameter> elements");
  for (auto& p : other) out.push_back(std::move(p));
  return true;
}

bool decode_source(Ctx& ctx, const Elem& e, Source& out) {
  std::uint32_t ssrc = 0;
  std::string name;
  if (!get_required_uint(ctx, e, "ssrc", 0, 0xFFFFFFFFu, ssrc) || !get_string(ctx, e, "name", name) ||
      !get_string(ctx, e, "videoType", out.video_type) || !get_string(ctx, e, "rid", out.rid) ||
      !decode_source_parameters(ctx, e, out.parameters)) {
    return false;
  }
  out.ssrc = Ssrc(ssrc);
  out.name = SourceName(std::move(name));
  return true;
}

bool decode_group_ssrc(Ctx& ctx, const Elem& e, Ssrc& out) {
  std::uint32_t ssrc = 0;
  if (!get_required_uint(ctx, e, "ssrc", 0, 0xFFFFFFFFu, ssrc)) return false;
  out = Ssrc(ssrc);
  return true;
}

bool decode_ssrc_group(Ctx& ctx, const Elem& e, SsrcGroup& out) {
  if (!get_required_string(ctx, e, "semantics", out.semantics) ||
      !get_list(ctx, e, "source", kNsSsma, kMaxSsrcsPerGroup, out.ssrcs, decode_group_ssrc)) {
    return false;
  }
  return !out.ssrcs.empty() || fail(ctx, e.path, "an ssrc-group needs sources");
}

bool decode_media_source(Ctx& ctx, const Elem& e, MediaSource& out) {
  std::string id;
  // The source name is the `id` attribute; `name` is accepted when there is no id.
  const char* id_attr = find_attr(e, "id") || !find_attr(e, "name") ? "id" : "name";
  if (!get_required_enum(ctx, e, "type", parse_media_type, out.type) ||
      !get_required_string(ctx, e, id_attr, id) || !get_bool(ctx, e, "synthetic", out.synthetic) ||
      !get_list(ctx, e, "source", kNsSsma, kMaxSourcesPerMediaSource, out.sources, decode_source) ||
      !get_list(ctx, e, "ssrc-group", kNsSsma, kMaxSsrcGroups, out.ssrc_groups, decode_ssrc_group)) {
    return false;
  }
  out.id = SourceName(std::move(id));
  return true;
}

// <sources>: absent stays nullopt, an empty element is an empty set.
bool get_sources(Ctx& ctx, const Elem& e, std::optional<std::vector<MediaSource>>& out) {
  auto sources = first_child(e, "sources", kNsColibri2);
  if (!sources) return true;
  out.emplace();
  return get_list(ctx, *sources, "media-source", kNsColibri2, kMaxMediaSources, *out, decode_media_source);
}

bool decode_capability(Ctx& ctx, const Elem& e, std::string& out) {
  return get_required_string(ctx, e, "name", out);
}

bool decode_initial_last_n(Ctx& ctx, const Elem& e, std::int32_t& out) {
  const std::string* v = find_attr(e, "value");
  const std::string p = attr_path(e, "value");
  if (!v) return fail(ctx, p, "missing");
  std::string_view digits = *v;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (negative) digits.remove_prefix(1);
  const auto n = parse_decimal(digits);
  const std::uint64_t limit = negative ? std::uint64_t{1} << 31 : std::numeric_limits<std::int32_t>::max();
  if (!n || *n > limit) return fail(ctx, p, "expected a 32-bit integer");
  out = negative ? static_cast<std::int32_t>(-static_cast<std::int64_t>(*n)) : static_cast<std::int32_t>(*n);
  return true;
}

// The attributes and children colibri2 endpoints and relays share.
template <class Entity, class IdType>
bool decode_entity_common(Ctx& ctx, const Elem& e, Entity& out) {
  std::string id;
  if (!get_required_string(ctx, e, "id", id) || !get_bool(ctx, e, "create", out.create) ||
      !get_bool(ctx, e, "expire", out.expire) ||
      !get_list(ctx, e, "media", kNsColibri2, kMaxMedias, out.medias, decode_media) ||
      !get_sources(ctx, e, out.sources)) {
    return false;
  }
  out.id = IdType(std::move(id));
  if (auto t = first_child(e, "transport", kNsColibri2)) {
    out.transport.emplace();
    if (!decode_transport(ctx, *t, *out.transport)) return false;
  }
  return true;
}

bool decode_endpoint(Ctx& ctx, const Elem& e, Endpoint& out) {
  if (!decode_entity_common<Endpoint, EndpointId>(ctx, e, out) ||
      !get_string(ctx, e, "stats-id", out.stats_id) ||
      !get_enum(ctx, e, "muc-role", false, parse_muc_role, out.muc_role) ||
      !get_bool(ctx, e, "diarize", out.diarize) ||
      !get_list(ctx, e, "capability", kNsColibri2, kMaxCapabilities, out.capabilities, decode_capability)) {
    return false;
  }
  if (auto fm = first_child(e, "force-mute", kNsColibri2)) {
    ForceMute mute;
    if (!get_bool(ctx, *fm, "audio", mute.audio) || !get_bool(ctx, *fm, "video", mute.video)) return false;
    out.force_mute = mute;
  }
  if (auto ln = first_child(e, "initial-last-n", kNsColibri2)) {
    std::int32_t n = 0;
    if (!decode_initial_last_n(ctx, *ln, n)) return false;
    out.initial_last_n = n;
  }
  return true;
}

bool decode_relay(Ctx& ctx, const Elem& e, Relay& out) {
  if (!decode_entity_common<Relay, RelayId>(ctx, e, out) || !get_string(ctx, e, "mesh-id", out.mesh_id)) {
    return false;
  }
  if (auto endpoints = first_child(e, "endpoints", kNsColibri2)) {
    out.endpoints.emplace();
    return get_list(ctx, *endpoints, "endpoint", kNsColibri2, kMaxEntities, *out.endpoints, decode_endpoint);
  }
  return true;
}

bool decode_http_header(Ctx& ctx, const Elem& e, std::pair<std::string, std::string>& out) {
  if (!get_required_string(ctx, e, "name", out.first) || !get_string(ctx, e, "value", out.second))
    return false;
  return is_http_header_name(out.first) || fail(ctx, attr_path(e, "name"), "invalid header name");
}

bool decode_named(Ctx& ctx, const Elem& e, std::string& out) {
  return get_required_string(ctx, e, "name", out);
}

// A list of <child name='...'/> inside an optional <container>.
bool get_name_list(Ctx& ctx, const Elem& e, std::string_view container, std::string_view child,
                   std::vector<std::string>& out) {
  auto c = first_child(e, container, kNsColibri2);
  return !c || get_list(ctx, *c, child, kNsColibri2, kMaxParameters, out, decode_named);
}

bool decode_connect(Ctx& ctx, const Elem& e, Connect& out) {
  if (!get_string(ctx, e, "id", out.id) || !get_bool(ctx, e, "create", out.create) ||
      !get_bool(ctx, e, "expire", out.expire) || !get_required_string(ctx, e, "url", out.url) ||
      !get_required_enum(ctx, e, "protocol", parse_connect_protocol, out.protocol) ||
      !get_required_enum(ctx, e, "type", parse_connect_type, out.type) ||
      !get_bool(ctx, e, "audio", out.audio) || !get_bool(ctx, e, "video", out.video) ||
      !get_list(ctx, e, "http-header", kNsColibri2, kMaxParameters, out.http_headers, decode_http_header) ||
      !get_name_list(ctx, e, "exports", "export", out.exports) ||
      !get_name_list(ctx, e, "requests", "request", out.requests)) {
    return false;
  }
  // Exporter connections (<connect>) take only WebSocket URLs.
  if (!is_websocket_url(out.url)) {
    return fail(ctx, attr_path(e, "url"), "expected a ws: or wss: URL");
  }
  if (auto ping = first_child(e, "ping", kNsColibri2)) {
    Connect::Ping v;
    if (!get_required_uint(ctx, *ping, "interval", 0, 0x7FFFFFFF, v.interval_ms) ||
        !get_required_uint(ctx, *ping, "timeout", 0, 0x7FFFFFFF, v.timeout_ms)) {
      return false;
    }
    out.ping = v;
  }
  return true;
}

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

bool decode_conference_modify(Ctx& ctx, const Elem& e, ConferenceModify& out) {
  std::string meeting_id;
  if (!get_string(ctx, e, "meeting-id", meeting_id) || !get_string(ctx, e, "name", out.name) ||
      !get_bool(ctx, e, "create", out.create) || !get_bool(ctx, e, "expire", out.expire) ||
      !get_bool(ctx, e, "rtcstats-enabled", out.rtcstats_enabled) ||
      !get_list(ctx, e, "endpoint", kNsColibri2, kMaxEntities, out.endpoints, decode_endpoint) ||
      !get_list(ctx, e, "relay", kNsColibri2, kMaxEntities, out.relays, decode_relay)) {
    return false;
  }
  if (is_blank(meeting_id)) return fail(ctx, attr_path(e, "meeting-id"), "missing or blank");
  out.meeting_id = MeetingId(std::move(meeting_id));
  if (auto connects = first_child(e, "connects", kNsColibri2)) {
    out.connects.emplace();
    return get_list(ctx, *connects, "connect", kNsColibri2, kMaxConnects, *out.connects, decode_connect);
  }
  return true;
}

bool decode_conference_modified(Ctx& ctx, const Elem& e, ConferenceModified& out) {
  return get_list(ctx, e, "endpoint", kNsColibri2, kMaxEntities, out.endpoints, decode_endpoint) &&
         get_list(ctx, e, "relay", kNsColibri2, kMaxEntities, out.relays, decode_relay) &&
         get_sources(ctx, e, out.sources);
}

Colibri2Error decode_error(std::string text) {
  Colibri2Error e = Colibri2Error::bad_request(std::move(text));
  e.stage = Colibri2ErrorStage::kDecode;
  return e;
}

template <class Message, class Decode>
Result<Message, Colibri2Error> decode_top(const gloox::Tag& tag, std::string_view name, Decode decode) {
  try {
    Elem root{&tag, effective_namespace(tag), std::string(name)};
    if (tag.name() != name || root.ns != kNsColibri2) {
      return unexpected(decode_error("expected <" + std::string(name) + " xmlns='" + kNsColibri2 + "'>"));
    }
    Ctx ctx;
    Message out;
    if (!decode(ctx, root, out)) return unexpected(decode_error(std::move(ctx.error)));
    return out;
  } catch (const std::exception& ex) {
    // Only reachable on allocation failure or a bug in the checks above.
    return unexpected(decode_error(std::string("unexpected decoder failure: ") + ex.what()));
  }
}

}  // namespace

std::string effective_namespace(const gloox::Tag& tag) {
  // gloox resolves a prefix through the declarations of the ancestors by itself; an unbound
  // prefix gives "" (no namespace), never the parent's.
  if (!tag.prefix().empty()) return tag.xmlns();
  // The default namespace is the nearest xmlns='...' declaration. An ancestor's own prefix does
  // not matter here, which is why its xmlns() (the namespace of that ancestor's name) is not used.
  for (const gloox::Tag* t = &tag; t; t = t->parent()) {
    if (t->hasAttribute("xmlns")) return t->findAttribute("xmlns");
  }
  return {};
}

Result<ConferenceModify, Colibri2Error> parse_conference_modify(const gloox::Tag& conference_modify) {
  return decode_top<ConferenceModify>(conference_modify, "conference-modify", decode_conference_modify);
}

Result<ConferenceModified, Colibri2Error> parse_conference_modified(const gloox::Tag& conference_modified) {
  return decode_top<ConferenceModified>(conference_modified, "conference-modified",
                                        decode_conference_modified);
}

}  // namespace jvb::xmpp
