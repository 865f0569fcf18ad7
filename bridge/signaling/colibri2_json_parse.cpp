// JSON -> Colibri2 model (the mapping of jitsi-xmpp-extensions' Colibri2JSONDeserializer; field
// rules as for the XML form). Every field is type- and range-checked; the first problem becomes a
// bad-request naming the field's path. nlohmann exceptions are caught here and never leave the API.
#include <cstdint>
#include <exception>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "bridge/signaling/colibri2_json.hpp"

namespace jvb::signaling {
namespace {

using Json = nlohmann::ordered_json;

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

std::string child(const std::string& path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string p = path;
  p += '.';
  p += key;
  return p;
}

std::string index(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

const Json* find(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

bool expect_object(Ctx& ctx, const Json& j, const std::string& path) {
  return j.is_object() || fail(ctx, path, "expected an object");
}

bool check_string(Ctx& ctx, const Json& j, const std::string& path) {
  if (!j.is_string()) return fail(ctx, path, "expected a string");
  if (j.get_ref<const std::string&>().size() > kMaxStringBytes) return fail(ctx, path, "string too long");
  return true;
}

// An optional string member; `out` is left alone when absent.
bool get_string(Ctx& ctx, const Json& obj, const char* key, const std::string& path, std::string& out) {
  const Json* j = find(obj, key);
  if (!j) return true;
  if (!check_string(ctx, *j, child(path, key))) return false;
  out = j->get_ref<const std::string&>();
  return true;
}

bool get_string(Ctx& ctx, const Json& obj, const char* key, const std::string& path,
                std::optional<std::string>& out) {
  const Json* j = find(obj, key);
  if (!j) return true;
  if (!check_string(ctx, *j, child(path, key))) return false;
  out = j->get_ref<const std::string&>();
  return true;
}

bool get_required_string(Ctx& ctx, const Json& obj, const char* key, const std::string& path,
                         std::string& out) {
  if (!find(obj, key)) return fail(ctx, child(path, key), "missing");
  if (!get_string(ctx, obj, key, path, out)) return false;
  return !out.empty() || fail(ctx, child(path, key), "must not be empty");
}

bool get_bool(Ctx& ctx, const Json& obj, const char* key, const std::string& path, bool& out) {
  const Json* j = find(obj, key);
  if (!j) return true;
  if (!j->is_boolean()) return fail(ctx, child(path, key), "expected a boolean");
  out = j->get<bool>();
  return true;
}

// JVB reads rtcp-mux and cryptex as a boolean or the text "true"/"false".
bool get_lenient_bool(Ctx& ctx, const Json& obj, const char* key, const std::string& path, bool& out) {
  const Json* j = find(obj, key);
  if (!j) return true;
  if (j->is_string()) {
    const auto& s = j->get_ref<const std::string&>();
    if (s == "true" || s == "false") {
      out = s == "true";
      return true;
    }
  }
  return get_bool(ctx, obj, key, path, out);
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

// An unsigned integer in [min, max] from a JSON integer, or also from a decimal string when
// `allow_string` (XML attributes that JVB writes as JSON strings).
bool to_uint(Ctx& ctx, const Json& j, const std::string& path, std::uint64_t min, std::uint64_t max,
             bool allow_string, std::uint64_t& out) {
  std::optional<std::uint64_t> v;
  if (j.is_number_unsigned()) {
    v = j.get<std::uint64_t>();
  } else if (j.is_number_integer()) {
    const auto s = j.get<std::int64_t>();
    if (s >= 0) v = static_cast<std::uint64_t>(s);
  } else if (allow_string && j.is_string()) {
    v = parse_decimal(j.get_ref<const std::string&>());
  } else {
    return fail(ctx, path, allow_string ? "expected an integer or a decimal string" : "expected an integer");
  }
  if (!v || *v < min || *v > max) {
    return fail(ctx, path, "expected an integer " + std::to_string(min) + ".." + std::to_string(max));
  }
  out = *v;
  return true;
}

template <class T>
bool get_uint(Ctx& ctx, const Json& obj, const char* key, const std::string& path, std::uint64_t min,
              bool allow_string, std::optional<T>& out) {
  const Json* j = find(obj, key);
  if (!j) return true;
  std::uint64_t v = 0;
  if (!to_uint(ctx, *j, child(path, key), min, std::numeric_limits<T>::max(), allow_string, v)) return false;
  out = static_cast<T>(v);
  return true;
}

template <class T>
bool get_required_uint(Ctx& ctx, const Json& obj, const char* key, const std::string& path, std::uint64_t min,
                       std::uint64_t max, bool allow_string, T& out) {
  const Json* j = find(obj, key);
  if (!j) return fail(ctx, child(path, key), "missing");
  std::uint64_t v = 0;
  if (!to_uint(ctx, *j, child(path, key), min, max, allow_string, v)) return false;
  out = static_cast<T>(v);
  return true;
}

// An optional array member with at most `max` elements; `out` is null when absent.
bool get_array(Ctx& ctx, const Json& obj, const char* key, const std::string& path, std::size_t max,
               const Json*& out) {
  out = find(obj, key);
  if (!out) return true;
  if (!out->is_array()) return fail(ctx, child(path, key), "expected an array");
  if (out->size() > max) {
    return fail(ctx, child(path, key), "too many elements (at most " + std::to_string(max) + ")");
  }
  return true;
}

// Decodes each element of an optional array member with `decode(ctx, element, path, T&)`.
template <class T, class F>
bool get_list(Ctx& ctx, const Json& obj, const char* key, const std::string& path, std::size_t max,
              std::vector<T>& out, F decode) {
  const Json* arr = nullptr;
  if (!get_array(ctx, obj, key, path, max, arr)) return false;
  if (!arr) return true;
  out.reserve(arr->size());
  const std::string base = child(path, key);
  for (std::size_t i = 0; i < arr->size(); ++i) {
    T item{};
    if (!decode(ctx, (*arr)[i], index(base, i), item)) return false;
    out.push_back(std::move(item));
  }
  return true;
}

bool decode_string_item(Ctx& ctx, const Json& j, const std::string& path, std::string& out) {
  if (!check_string(ctx, j, path)) return false;
  out = j.get_ref<const std::string&>();
  return true;
}

// {"name": "value", ...}; the key "null" is the nameless parameter (as Colibri2JSONSerializer
// writes it). JVB reads values as text, so integers are accepted and null is an empty value.
bool get_parameters(Ctx& ctx, const Json& obj, const std::string& path, std::vector<Parameter>& out) {
  const Json* j = find(obj, "parameters");
  if (!j) return true;
  const std::string p = child(path, "parameters");
  if (!expect_object(ctx, *j, p)) return false;
  if (j->size() > kMaxParameters) return fail(ctx, p, "too many parameters");
  for (const auto& [key, value] : j->items()) {
    Parameter param;
    // "" would collide with the "null" key of the nameless parameter once written back.
    if (key.empty() || key.size() > kMaxStringBytes) return fail(ctx, p, "invalid parameter name");
    param.name = key == "null" ? std::string() : key;
    if (value.is_string()) {
      if (!check_string(ctx, value, child(p, key))) return false;
      param.value = value.get_ref<const std::string&>();
    } else if (value.is_number_integer()) {
      param.value = value.dump();
    } else if (!value.is_null()) {
      return fail(ctx, child(p, key), "expected a string");
    }
    out.push_back(std::move(param));
  }
  return true;
}

bool decode_rtcp_fb(Ctx& ctx, const Json& j, const std::string& path, RtcpFb& out) {
  return expect_object(ctx, j, path) && get_required_string(ctx, j, "type", path, out.type) &&
         get_string(ctx, j, "subtype", path, out.subtype);
}

bool decode_payload_type(Ctx& ctx, const Json& j, const std::string& path, PayloadType& out) {
  if (!expect_object(ctx, j, path)) return false;
  std::uint8_t id = 0;
  if (!get_required_uint(ctx, j, "id", path, 0, 127, true, id)) return false;
  out.id = PayloadTypeId(id);
  std::optional<std::uint8_t> channels;
  if (!get_string(ctx, j, "name", path, out.name) ||
      !get_uint(ctx, j, "clockrate", path, 0, true, out.clockrate) ||
      !get_uint(ctx, j, "channels", path, 0, true, channels) ||
      !get_parameters(ctx, j, path, out.parameters) ||
      !get_list(ctx, j, "rtcp-fbs", path, kMaxRtcpFbs, out.rtcp_fbs, decode_rtcp_fb)) {
    return false;
  }
  if (channels) out.channels = *channels;
  return true;
}

bool decode_rtp_hdrext(Ctx& ctx, const Json& j, const std::string& path, RtpHdrExt& out) {
  return expect_object(ctx, j, path) && get_required_uint(ctx, j, "id", path, 1, 255, false, out.id) &&
         get_required_string(ctx, j, "uri", path, out.uri) &&
         get_string(ctx, j, "senders", path, out.senders) &&
         get_string(ctx, j, "attributes", path, out.attributes);
}

template <class E>
bool get_enum(Ctx& ctx, const Json& obj, const char* key, const std::string& path, bool required,
              std::optional<E> (*parse)(std::string_view), std::optional<E>& out) {
  const Json* j = find(obj, key);
  if (!j) return !required || fail(ctx, child(path, key), "missing");
  if (!check_string(ctx, *j, child(path, key))) return false;
  out = parse(j->get_ref<const std::string&>());
  return out.has_value() || fail(ctx, child(path, key), "unknown value '" + j->get<std::string>() + "'");
}

template <class E>
bool get_required_enum(Ctx& ctx, const Json& obj, const char* key, const std::string& path,
                       std::optional<E> (*parse)(std::string_view), E& out) {
  std::optional<E> v;
  if (!get_enum(ctx, obj, key, path, true, parse, v)) return false;
  out = *v;
  return true;
}

bool decode_media(Ctx& ctx, const Json& j, const std::string& path, Media& out) {
  return expect_object(ctx, j, path) && get_required_enum(ctx, j, "type", path, parse_media_type, out.type) &&
         get_list(ctx, j, "payload-types", path, kMaxPayloadTypes, out.payload_types, decode_payload_type) &&
         get_list(ctx, j, "rtp-hdrexts", path, kMaxRtpHdrExts, out.rtp_hdrexts, decode_rtp_hdrext) &&
         get_bool(ctx, j, "extmap-allow-mixed", path, out.extmap_allow_mixed);
}

bool decode_fingerprint(Ctx& ctx, const Json& j, const std::string& path, Fingerprint& out) {
  return expect_object(ctx, j, path) && get_required_string(ctx, j, "fingerprint", path, out.value) &&
         get_required_string(ctx, j, "hash", path, out.hash) &&
         get_enum(ctx, j, "setup", path, false, parse_dtls_setup, out.setup) &&
         get_lenient_bool(ctx, j, "cryptex", path, out.cryptex);
}

bool decode_candidate(Ctx& ctx, const Json& j, const std::string& path, Candidate& out) {
  if (!expect_object(ctx, j, path)) return false;
  return get_required_string(ctx, j, "foundation", path, out.foundation) &&
         get_required_uint(ctx, j, "component", path, 1, 256, true, out.component) &&
         get_required_string(ctx, j, "protocol", path, out.protocol) &&
         get_required_uint(ctx, j, "priority", path, 0, 0xFFFFFFFFu, true, out.priority) &&
         get_required_string(ctx, j, "ip", path, out.ip) &&
         get_required_uint(ctx, j, "port", path, 0, 65535, true, out.port) &&
         get_required_enum(ctx, j, "type", path, parse_candidate_type, out.type) &&
         get_uint(ctx, j, "generation", path, 0, true, out.generation) &&
         get_string(ctx, j, "rel-addr", path, out.rel_addr) &&
         get_uint(ctx, j, "rel-port", path, 0, true, out.rel_port) &&
         get_uint(ctx, j, "network", path, 0, true, out.network) && get_string(ctx, j, "id", path, out.id) &&
         get_string(ctx, j, "tcptype", path, out.tcptype);
}

bool decode_web_socket(Ctx& ctx, const Json& j, const std::string& path, WebSocket& out) {
  if (!check_string(ctx, j, path)) return false;
  const auto& s = j.get_ref<const std::string&>();
  if (s.empty()) return fail(ctx, path, "must not be empty");
  if (s == "active") {
    out.active = true;
  } else {
    out.url = s;
  }
  return true;
}

constexpr std::string_view kIceUdpNamespace = "urn:xmpp:jingle:transports:ice-udp:1";

bool decode_ice(Ctx& ctx, const Json& j, const std::string& path, IceUdpTransport& out) {
  if (!expect_object(ctx, j, path)) return false;
  // JVB drops an ICE transport whose xmlns is not ice-udp. We accept a missing xmlns (it carries
  // no information here) but reject a different transport instead of silently ignoring it.
  std::string xmlns;
  if (!get_string(ctx, j, "xmlns", path, xmlns)) return false;
  if (find(j, "xmlns") && xmlns != kIceUdpNamespace) {
    return fail(ctx, child(path, "xmlns"), "expected " + std::string(kIceUdpNamespace));
  }
  return get_string(ctx, j, "ufrag", path, out.ufrag) && get_string(ctx, j, "pwd", path, out.pwd) &&
         get_uint(ctx, j, "ice-generation", path, 0, true, out.ice_generation) &&
         get_lenient_bool(ctx, j, "rtcp-mux", path, out.rtcp_mux) &&
         get_list(ctx, j, "fingerprints", path, kMaxFingerprints, out.fingerprints, decode_fingerprint) &&
         get_list(ctx, j, "candidates", path, kMaxCandidates, out.candidates, decode_candidate) &&
         get_list(ctx, j, "web-sockets", path, kMaxWebSockets, out.web_sockets, decode_web_socket);
}

bool decode_sctp(Ctx& ctx, const Json& j, const std::string& path, Sctp& out) {
  return expect_object(ctx, j, path) && get_uint(ctx, j, "port", path, 0, false, out.port) &&
         get_enum(ctx, j, "role", path, false, parse_sctp_role, out.role);
}

bool decode_transport(Ctx& ctx, const Json& j, const std::string& path, Transport& out) {
  if (!expect_object(ctx, j, path) || !get_bool(ctx, j, "ice-controlling", path, out.ice_controlling) ||
      !get_bool(ctx, j, "use-unique-port", path, out.use_unique_port) ||
      !get_bool(ctx, j, "ice-restart", path, out.ice_restart)) {
    return false;
  }
  if (const Json* ice = find(j, "transport")) {
    out.ice.emplace();
    if (!decode_ice(ctx, *ice, child(path, "transport"), *out.ice)) return false;
  }
  if (const Json* sctp = find(j, "sctp")) {
    out.sctp.emplace();
    if (!decode_sctp(ctx, *sctp, child(path, "sctp"), *out.sctp)) return false;
  }
  return true;
}

bool decode_ssrc(Ctx& ctx, const Json& j, const std::string& path, Ssrc& out) {
  std::uint64_t v = 0;
  if (!to_uint(ctx, j, path, 0, 0xFFFFFFFFu, true, v)) return false;
  out = Ssrc(static_cast<std::uint32_t>(v));
  return true;
}

// A bare SSRC (number or decimal string) or {"ssrc", "name", "videoType", "rid", "parameters"}.
bool decode_source(Ctx& ctx, const Json& j, const std::string& path, Source& out) {
  if (!j.is_object()) return decode_ssrc(ctx, j, path, out.ssrc);
  const Json* ssrc = find(j, "ssrc");
  if (!ssrc) return fail(ctx, child(path, "ssrc"), "missing");
  std::string name;
  if (!decode_ssrc(ctx, *ssrc, child(path, "ssrc"), out.ssrc) || !get_string(ctx, j, "name", path, name) ||
      !get_string(ctx, j, "videoType", path, out.video_type) || !get_string(ctx, j, "rid", path, out.rid) ||
      !get_parameters(ctx, j, path, out.parameters)) {
    return false;
  }
  out.name = SourceName(std::move(name));
  return true;
}

bool decode_group_ssrc(Ctx& ctx, const Json& j, const std::string& path, Ssrc& out) {
  Source source;
  if (!decode_source(ctx, j, path, source)) return false;
  out = source.ssrc;
  return true;
}

bool decode_ssrc_group(Ctx& ctx, const Json& j, const std::string& path, SsrcGroup& out) {
  if (!expect_object(ctx, j, path) || !get_required_string(ctx, j, "semantics", path, out.semantics) ||
      !get_list(ctx, j, "sources", path, kMaxSsrcsPerGroup, out.ssrcs, decode_group_ssrc)) {
    return false;
  }
  return !out.ssrcs.empty() || fail(ctx, child(path, "sources"), "an ssrc-group needs SSRCs");
}

bool decode_media_source(Ctx& ctx, const Json& j, const std::string& path, MediaSource& out) {
  std::string id;
  if (!expect_object(ctx, j, path) || !get_required_enum(ctx, j, "type", path, parse_media_type, out.type) ||
      !get_required_string(ctx, j, "id", path, id) || !get_bool(ctx, j, "synthetic", path, out.synthetic) ||
      !get_list(ctx, j, "sources", path, kMaxSourcesPerMediaSource, out.sources, decode_source) ||
      !get_list(ctx, j, "ssrc-groups", path, kMaxSsrcGroups, out.ssrc_groups, decode_ssrc_group)) {
    return false;
  }
  out.id = SourceName(std::move(id));
  return true;
}

// "sources": [media-source, ...]; absent stays nullopt, [] is an empty set.
bool get_sources(Ctx& ctx, const Json& obj, const std::string& path,
                 std::optional<std::vector<MediaSource>>& out) {
  if (!find(obj, "sources")) return true;
  out.emplace();
  return get_list(ctx, obj, "sources", path, kMaxMediaSources, *out, decode_media_source);
}

bool decode_force_mute(Ctx& ctx, const Json& j, const std::string& path, ForceMute& out) {
  return expect_object(ctx, j, path) && get_bool(ctx, j, "audio", path, out.audio) &&
         get_bool(ctx, j, "video", path, out.video);
}

bool decode_initial_last_n(Ctx& ctx, const Json& j, const std::string& path, std::int32_t& out) {
  if (!expect_object(ctx, j, path)) return false;
  const Json* v = find(j, "value");
  const std::string p = child(path, "value");
  if (!v) return fail(ctx, p, "missing");
  if (!v->is_number_integer()) return fail(ctx, p, "expected an integer");
  const bool in_range =
      v->is_number_unsigned()
          ? v->get<std::uint64_t>() <= std::uint64_t{std::numeric_limits<std::int32_t>::max()}
          : v->get<std::int64_t>() >= std::numeric_limits<std::int32_t>::min() &&
                v->get<std::int64_t>() <= std::numeric_limits<std::int32_t>::max();
  if (!in_range) return fail(ctx, p, "out of range");
  out = static_cast<std::int32_t>(v->get<std::int64_t>());
  return true;
}

// The attributes and children colibri2 endpoints and relays share.
template <class Entity, class IdType>
bool decode_entity_common(Ctx& ctx, const Json& j, const std::string& path, Entity& out) {
  std::string id;
  if (!expect_object(ctx, j, path) || !get_required_string(ctx, j, "id", path, id) ||
      !get_bool(ctx, j, "create", path, out.create) || !get_bool(ctx, j, "expire", path, out.expire) ||
      !get_list(ctx, j, "medias", path, kMaxMedias, out.medias, decode_media) ||
      !get_sources(ctx, j, path, out.sources)) {
    return false;
  }
  out.id = IdType(std::move(id));
  if (const Json* t = find(j, "transport")) {
    out.transport.emplace();
    if (!decode_transport(ctx, *t, child(path, "transport"), *out.transport)) return false;
  }
  return true;
}

bool decode_endpoint(Ctx& ctx, const Json& j, const std::string& path, Endpoint& out) {
  if (!decode_entity_common<Endpoint, EndpointId>(ctx, j, path, out) ||
      !get_string(ctx, j, "stats-id", path, out.stats_id) ||
      !get_enum(ctx, j, "muc-role", path, false, parse_muc_role, out.muc_role) ||
      !get_bool(ctx, j, "diarize", path, out.diarize) ||
      !get_list(ctx, j, "capabilities", path, kMaxCapabilities, out.capabilities, decode_string_item)) {
    return false;
  }
  if (const Json* fm = find(j, "force-mute")) {
    out.force_mute.emplace();
    if (!decode_force_mute(ctx, *fm, child(path, "force-mute"), *out.force_mute)) return false;
  }
  if (const Json* ln = find(j, "initial-last-n")) {
    out.initial_last_n.emplace();
    if (!decode_initial_last_n(ctx, *ln, child(path, "initial-last-n"), *out.initial_last_n)) return false;
  }
  return true;
}

bool decode_relay(Ctx& ctx, const Json& j, const std::string& path, Relay& out) {
  if (!decode_entity_common<Relay, RelayId>(ctx, j, path, out) ||
      !get_string(ctx, j, "mesh-id", path, out.mesh_id)) {
    return false;
  }
  if (find(j, "endpoints")) {
    out.endpoints.emplace();
    return get_list(ctx, j, "endpoints", path, kMaxEntities, *out.endpoints, decode_endpoint);
  }
  return true;
}

bool decode_connect(Ctx& ctx, const Json& j, const std::string& path, Connect& out) {
  if (!expect_object(ctx, j, path) || !get_string(ctx, j, "id", path, out.id) ||
      !get_bool(ctx, j, "create", path, out.create) || !get_bool(ctx, j, "expire", path, out.expire) ||
      !get_required_string(ctx, j, "url", path, out.url) ||
      !get_required_enum(ctx, j, "protocol", path, parse_connect_protocol, out.protocol) ||
      !get_required_enum(ctx, j, "type", path, parse_connect_type, out.type) ||
      !get_bool(ctx, j, "audio", path, out.audio) || !get_bool(ctx, j, "video", path, out.video) ||
      !get_list(ctx, j, "exports", path, kMaxParameters, out.exports, decode_string_item) ||
      !get_list(ctx, j, "requests", path, kMaxParameters, out.requests, decode_string_item)) {
    return false;
  }
  // Exporter connections (<connect>) take only WebSocket URLs.
  if (!is_websocket_url(out.url)) {
    return fail(ctx, child(path, "url"), "expected a ws: or wss: URL");
  }
  if (const Json* headers = find(j, "headers")) {
    const std::string p = child(path, "headers");
    if (!expect_object(ctx, *headers, p)) return false;
    if (headers->size() > kMaxParameters) return fail(ctx, p, "too many headers");
    for (const auto& [name, value] : headers->items()) {
      if (!is_http_header_name(name) || name.size() > kMaxStringBytes)
        return fail(ctx, p, "invalid header name");
      if (!check_string(ctx, value, child(p, name))) return false;
      out.http_headers.emplace_back(name, value.get<std::string>());
    }
  }
  if (const Json* ping = find(j, "ping")) {
    const std::string p = child(path, "ping");
    Connect::Ping v;
    if (!expect_object(ctx, *ping, p) ||
        !get_required_uint(ctx, *ping, "interval", p, 0, 0x7FFFFFFF, false, v.interval_ms) ||
        !get_required_uint(ctx, *ping, "timeout", p, 0, 0x7FFFFFFF, false, v.timeout_ms)) {
      return false;
    }
    out.ping = v;
  }
  return true;
}

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

bool decode_conference_modify(Ctx& ctx, const Json& j, const std::optional<MeetingId>& path_id,
                              ConferenceModify& out) {
  const std::string root;
  std::string meeting_id;
  if (!get_string(ctx, j, "meeting-id", root, meeting_id) || !get_string(ctx, j, "name", root, out.name) ||
      !get_bool(ctx, j, "create", root, out.create) || !get_bool(ctx, j, "expire", root, out.expire) ||
      !get_bool(ctx, j, "rtcstats-enabled", root, out.rtcstats_enabled) ||
      !get_list(ctx, j, "endpoints", root, kMaxEntities, out.endpoints, decode_endpoint) ||
      !get_list(ctx, j, "relays", root, kMaxEntities, out.relays, decode_relay)) {
    return false;
  }
  if (path_id) meeting_id = path_id->str();
  if (is_blank(meeting_id)) return fail(ctx, "meeting-id", "missing or blank");
  out.meeting_id = MeetingId(std::move(meeting_id));
  if (find(j, "connects")) {
    out.connects.emplace();
    return get_list(ctx, j, "connects", root, kMaxConnects, *out.connects, decode_connect);
  }
  return true;
}

bool decode_conference_modified(Ctx& ctx, const Json& j, ConferenceModified& out) {
  const std::string root;
  return get_list(ctx, j, "endpoints", root, kMaxEntities, out.endpoints, decode_endpoint) &&
         get_list(ctx, j, "relays", root, kMaxEntities, out.relays, decode_relay) &&
         get_sources(ctx, j, root, out.sources);
}

Colibri2Error syntax_error(std::string text) {
  Colibri2Error e = Colibri2Error::bad_request(std::move(text));
  e.stage = Colibri2ErrorStage::kJsonSyntax;
  return e;
}

Colibri2Error decode_error(std::string text) {
  Colibri2Error e = Colibri2Error::bad_request(std::move(text));
  e.stage = Colibri2ErrorStage::kDecode;
  return e;
}

// nlohmann's parser itself is iterative, but bounding the nesting up front keeps every later
// step (and any recursive walk someone adds) safe from stack exhaustion.
bool nesting_within_limit(std::string_view body) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return true;
}

// Parses `body` into a JSON object, or says why not.
std::optional<Json> parse_object(std::string_view body, Colibri2Error& error) {
  if (body.size() > kMaxJsonBytes) {
    error = syntax_error("body larger than " + std::to_string(kMaxJsonBytes) + " bytes");
    return std::nullopt;
  }
  if (!nesting_within_limit(body)) {
    error = syntax_error("nesting deeper than " + std::to_string(kMaxJsonDepth));
    return std::nullopt;
  }
  try {
    Json j = Json::parse(body.begin(), body.end());
    if (!j.is_object()) {
      error = syntax_error("not a JSON object");
      return std::nullopt;
    }
    return j;
  } catch (const Json::exception& e) {
    error = syntax_error(e.what());
    return std::nullopt;
  }
}

}  // namespace

Result<ConferenceModify, Colibri2Error> parse_conference_modify_json(
    std::string_view body, const std::optional<MeetingId>& path_meeting_id) {
  try {
    Colibri2Error error;
    std::optional<Json> j = parse_object(body, error);
    if (!j) return unexpected(std::move(error));
    Ctx ctx;
    ConferenceModify out;
    if (!decode_conference_modify(ctx, *j, path_meeting_id, out)) return unexpected(decode_error(ctx.error));
    return out;
  } catch (const std::exception& e) {
    // Only reachable on allocation failure or a bug in the checks above.
    return unexpected(decode_error(std::string("unexpected decoder failure: ") + e.what()));
  }
}

Result<ConferenceModified, Colibri2Error> parse_conference_modified_json(std::string_view body) {
  try {
    Colibri2Error error;
    std::optional<Json> j = parse_object(body, error);
    if (!j) return unexpected(std::move(error));
    Ctx ctx;
    ConferenceModified out;
    if (!decode_conference_modified(ctx, *j, out)) return unexpected(decode_error(ctx.error));
    return out;
  } catch (const std::exception& e) {
    return unexpected(decode_error(std::string("unexpected decoder failure: ") + e.what()));
  }
}

}  // namespace jvb::signaling
