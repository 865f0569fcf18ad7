// Client -> bridge message parsing (JVB's BridgeChannelMessage.kt: a message that does not parse
// is dropped; the client classes and their required fields; the ReceiverVideoConstraints legacy
// form). Leniency rules are listed in bridge_channel_message.hpp.
#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <utility>

#include "bridge/channel/bridge_channel_message.hpp"
#include "bridge/channel/json_dom.hpp"
#include "bridge/channel/json_text.hpp"
#include "bridge/core/strings.hpp"

namespace jvb::channel {
namespace {

using Json = nlohmann::json;
using enum ParseErrorCategory;

// Where a value sits in the message, for error reasons; rendered only when something fails.
struct Path {
  std::string_view prefix;
  std::string_view key;
  std::string str() const {
    std::string s(prefix);
    if (!s.empty()) s += '.';
    s += key;
    return s;
  }
};

class Decoder {
 public:
  std::optional<ParseError> error;

  bool fail(ParseErrorCategory category, const std::string& path, std::string_view problem) {
    error = ParseError{category, path + ": " + std::string(problem)};
    return false;
  }
  bool fail(ParseErrorCategory category, const Path& path, std::string_view problem) {
    return fail(category, path.str(), problem);
  }

  // A member's value, or nullptr when it is absent or null (null counts as absent).
  static const Json* member(const Json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return nullptr;
    return &*it;
  }

  template <class T>
  bool integer(const Json& j, const Path& path, T& out) {
    if (const auto* u = j.get_ptr<const Json::number_unsigned_t*>()) {
      if (!std::in_range<T>(*u)) return fail(kInvalidValue, path, "integer out of range");
      out = static_cast<T>(*u);
      return true;
    }
    if (const auto* s = j.get_ptr<const Json::number_integer_t*>()) {
      if (!std::in_range<T>(*s)) return fail(kInvalidValue, path, "integer out of range");
      out = static_cast<T>(*s);
      return true;
    }
    return fail(kWrongType, path, "expected an integer");
  }

  bool number(const Json& j, const Path& path, double& out) {
    if (const auto* f = j.get_ptr<const Json::number_float_t*>()) {
      out = *f;  // always finite: the parser rejects numbers outside the double range
    } else if (const auto* u = j.get_ptr<const Json::number_unsigned_t*>()) {
      out = static_cast<double>(*u);
    } else if (const auto* s = j.get_ptr<const Json::number_integer_t*>()) {
      out = static_cast<double>(*s);
    } else {
      return fail(kWrongType, path, "expected a number");
    }
    return true;
  }

  bool boolean(const Json& j, const Path& path, bool& out) {
    const auto* b = j.get_ptr<const Json::boolean_t*>();
    if (!b) return fail(kWrongType, path, "expected a boolean");
    out = *b;
    return true;
  }

  bool string(const Json& j, const Path& path, std::string& out) {
    const auto* s = j.get_ptr<const Json::string_t*>();
    if (!s) return fail(kWrongType, path, "expected a string");
    out = *s;
    return true;
  }

  bool string_list(const Json& j, const Path& path, std::vector<std::string>& out) {
    const auto* a = j.get_ptr<const Json::array_t*>();
    if (!a) return fail(kWrongType, path, "expected an array of strings");
    out.clear();
    out.reserve(a->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
      const auto* s = (*a)[i].get_ptr<const Json::string_t*>();
      if (!s) return fail(kWrongType, path.str() + "[" + std::to_string(i) + "]", "expected a string");
      out.push_back(*s);
    }
    return true;
  }

  bool video_type(const Json& j, const Path& path, VideoType& out) {
    const auto* s = j.get_ptr<const Json::string_t*>();
    if (!s) return fail(kWrongType, path, "expected a string");
    const auto type = video_type_from_string(*s);
    if (!type) return fail(kInvalidValue, path, "unknown video type \"" + detail::log_safe(*s) + "\"");
    out = *type;
    return true;
  }

  // {maxHeight: int (required), maxFrameRate?: number}; other members are ignored.
  bool video_constraints(const Json& j, const Path& path, VideoConstraints& out) {
    if (!j.is_object()) return fail(kWrongType, path, "expected an object");
    const std::string prefix = path.str();
    return required(j, "maxHeight", prefix, out.max_height, &Decoder::integer<std::int32_t>) &&
           optional(j, "maxFrameRate", prefix, out.max_frame_rate, &Decoder::number);
  }

  bool constraints_map(const Json& j, const Path& path,
                       std::map<std::string, VideoConstraints, std::less<>>& out) {
    const auto* members = j.get_ptr<const Json::object_t*>();
    if (!members) return fail(kWrongType, path, "expected an object");
    const std::string prefix = path.str();
    for (const auto& [source, value] : *members) {
      VideoConstraints c;
      const std::string entry = detail::log_safe(source);
      if (!video_constraints(value, Path{prefix, entry}, c)) return false;
      out.emplace(source, c);
    }
    return true;
  }

  template <class T>
  using Reader = bool (Decoder::*)(const Json&, const Path&, T&);

  template <class T>
  bool optional(const Json& object, const char* key, std::string_view prefix, std::optional<T>& out,
                Reader<T> read) {
    const Json* j = member(object, key);
    if (!j) return true;
    T value{};
    if (!(this->*read)(*j, Path{prefix, key}, value)) return false;
    out = std::move(value);
    return true;
  }

  // Like optional(), but `out` keeps its default when the member is absent.
  template <class T>
  bool defaulted(const Json& object, const char* key, std::string_view prefix, T& out, Reader<T> read) {
    const Json* j = member(object, key);
    return !j || (this->*read)(*j, Path{prefix, key}, out);
  }

  template <class T>
  bool required(const Json& object, const char* key, std::string_view prefix, T& out, Reader<T> read) {
    const Json* j = member(object, key);
    if (!j) return fail(kMissingField, Path{prefix, key}, "missing");
    return (this->*read)(*j, Path{prefix, key}, out);
  }
};

bool decode(Decoder& d, const Json& j, ReceiverVideoConstraints& m) {
  return d.optional(j, "lastN", "", m.last_n, &Decoder::integer<std::int32_t>) &&
         d.optional(j, "onStageSources", "", m.on_stage_sources, &Decoder::string_list) &&
         d.optional(j, "selectedSources", "", m.selected_sources, &Decoder::string_list) &&
         d.optional(j, "defaultConstraints", "", m.default_constraints, &Decoder::video_constraints) &&
         d.optional(j, "constraints", "", m.constraints, &Decoder::constraints_map) &&
         d.optional(j, "assumedBandwidthBps", "", m.assumed_bandwidth_bps, &Decoder::integer<std::int64_t>) &&
         d.optional(j, "onStageEndpoints", "", m.on_stage_endpoints, &Decoder::string_list) &&
         d.optional(j, "selectedEndpoints", "", m.selected_endpoints, &Decoder::string_list);
}

bool decode(Decoder& d, const Json& j, LastNChangedEvent& m) {
  return d.required(j, "lastN", "", m.last_n, &Decoder::integer<std::int32_t>);
}

bool decode(Decoder& d, const Json& j, EndpointMessage& m) {
  return d.required(j, "to", "", m.to, &Decoder::string);
}

bool decode(Decoder&, const Json&, EndpointStats&) { return true; }

bool decode(Decoder& d, const Json& j, SourceVideoTypeMessage& m) {
  return d.required(j, "sourceName", "", m.source_name, &Decoder::string) &&
         d.required(j, "videoType", "", m.video_type, &Decoder::video_type) &&
         d.optional(j, "endpointId", "", m.endpoint_id, &Decoder::string);
}

bool decode(Decoder& d, const Json& j, VideoTypeMessage& m) {
  return d.required(j, "videoType", "", m.video_type, &Decoder::video_type) &&
         d.optional(j, "endpointId", "", m.endpoint_id, &Decoder::string);
}

bool decode(Decoder& d, const Json& j, ReceiverAudioSubscription& m) {
  // The legacy form is recognised by `mode`; when a client sends both forms, `all` wins.
  const Json* mode = Decoder::member(j, "mode");
  if (!mode || Decoder::member(j, "all")) {
    return d.defaulted(j, "all", "", m.all, &Decoder::boolean) &&
           d.defaulted(j, "include", "", m.include, &Decoder::string_list) &&
           d.defaulted(j, "exclude", "", m.exclude, &Decoder::string_list);
  }
  std::string name;
  std::vector<std::string> list;
  if (!d.string(*mode, Path{"", "mode"}, name) || !d.defaulted(j, "list", "", list, &Decoder::string_list)) {
    return false;
  }
  if (iequals(name, "All")) {
    m.all = true;
  } else if (iequals(name, "None")) {
    m.all = false;
  } else if (iequals(name, "Include")) {
    m.all = false;
    m.include = std::move(list);
  } else if (iequals(name, "Exclude")) {
    m.all = true;
    m.exclude = std::move(list);
  } else if (iequals(name, "Custom")) {
    m.all = false;
    return d.defaulted(j, "include", "", m.include, &Decoder::string_list) &&
           d.defaulted(j, "exclude", "", m.exclude, &Decoder::string_list);
  } else {
    return d.fail(kInvalidValue, std::string("mode"), "unknown mode \"" + detail::log_safe(name) + "\"");
  }
  return true;
}

bool decode(Decoder&, const Json&, ClientHello&) { return true; }

// Classes a client has no business sending: bridge -> client and bridge <-> bridge (relay) ones.
constexpr std::string_view kBridgeOnlyClasses[] = {
    "ServerHello",
    "ForwardedSources",
    "DominantSpeakerEndpointChangeEvent",
    "SenderSourceConstraints",
    "EndpointConnectivityStatusChangeEvent",
    "ConnectionStats",
    "VideoSourcesMap",
    "AudioSourcesMap",
    "SyntheticSourceSendingChangeEvent",
    "AddReceiver",
    "RemoveReceiver",
};

template <class M>
Result<ClientMessage, ParseError> decode_as(const Json& j) {
  Decoder d;
  M m;
  if (!decode(d, j, m)) return unexpected(std::move(*d.error));
  return ClientMessage(std::move(m));
}

// EndpointMessage and EndpointStats also keep their text for the verbatim relay.
template <class M>
Result<ClientMessage, ParseError> decode_relayable(const Json& j, std::string_view text) {
  Decoder d;
  M m;
  if (!decode(d, j, m)) return unexpected(std::move(*d.error));
  auto raw = detail::RawJsonObjectFactory::from_validated(text);
  // Unreachable for text the parser accepted as an object; reported rather than assumed.
  if (!raw) return unexpected(ParseError{kInvalidJson, "object not recognised"});
  m.raw = std::move(*raw);
  return ClientMessage(std::move(m));
}

Result<ClientMessage, ParseError> decode_message(const Json& j, std::string_view text) {
  const Json* cls = Decoder::member(j, "colibriClass");
  if (!cls) return unexpected(ParseError{kMissingClass, "colibriClass: missing"});
  const auto* name_ptr = cls->get_ptr<const Json::string_t*>();
  if (!name_ptr) return unexpected(ParseError{kWrongType, "colibriClass: expected a string"});
  const std::string_view name = *name_ptr;

  if (name == ReceiverVideoConstraints::kColibriClass) return decode_as<ReceiverVideoConstraints>(j);
  if (name == LastNChangedEvent::kColibriClass) return decode_as<LastNChangedEvent>(j);
  if (name == EndpointMessage::kColibriClass) return decode_relayable<EndpointMessage>(j, text);
  if (name == EndpointStats::kColibriClass) return decode_relayable<EndpointStats>(j, text);
  if (name == SourceVideoTypeMessage::kColibriClass) return decode_as<SourceVideoTypeMessage>(j);
  if (name == VideoTypeMessage::kColibriClass) return decode_as<VideoTypeMessage>(j);
  if (name == ReceiverAudioSubscription::kColibriClass) return decode_as<ReceiverAudioSubscription>(j);
  if (name == ClientHello::kColibriClass) return decode_as<ClientHello>(j);
  for (std::string_view bridge_only : kBridgeOnlyClasses) {
    if (name == bridge_only) {
      return unexpected(
          ParseError{kUnexpectedClass, "colibriClass: " + std::string(name) + " is not sent by clients"});
    }
  }
  return unexpected(ParseError{kUnknownClass, "colibriClass: unknown \"" + detail::log_safe(name) + "\""});
}

}  // namespace

Result<ClientMessage, ParseError> parse_client_message(std::string_view json) {
  try {
    auto tree = detail::parse_json_bounded(json);
    if (!tree) return unexpected(std::move(tree.error()));
    if (!tree->is_object()) return unexpected(ParseError{kNotAnObject, "not a JSON object"});
    return decode_message(*tree, json);
  } catch (const std::exception&) {
    // Only allocation failure: every nlohmann call above is a non-throwing accessor.
    return unexpected(ParseError{kInvalidJson, "out of memory while decoding"});
  }
}

}  // namespace jvb::channel
