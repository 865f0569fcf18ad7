// Bridge -> client (and bridge -> relay) message serialization (JVB's BridgeChannelMessage.kt,
// including the client classes the bridge forwards to relays). Compact JSON, member names and
// order as JVB writes them.
#include "bridge/channel/bridge_channel_message.hpp"
#include "bridge/channel/json_text.hpp"

namespace jvb::channel {
namespace {

using detail::JsonWriter;

// Starts `{"colibriClass":"<class>"`; the caller adds members and calls end_object().
template <class M>
JsonWriter begin_message() {
  JsonWriter w;
  w.begin_object();
  w.key("colibriClass");
  w.string(M::kColibriClass);
  return w;
}

void write_string_list(JsonWriter& w, std::string_view key, const std::vector<std::string>& list) {
  w.key(key);
  w.begin_array();
  for (const auto& s : list) w.string(s);
  w.end_array();
}

void write_optional_string_list(JsonWriter& w, std::string_view key,
                                const std::optional<std::vector<std::string>>& list) {
  if (list) write_string_list(w, key, *list);
}

void write_constraints(JsonWriter& w, const VideoConstraints& c) {
  w.begin_object();
  w.key("maxHeight");
  w.integer(c.max_height);
  if (c.max_frame_rate) {
    w.key("maxFrameRate");
    w.number(*c.max_frame_rate);
  }
  w.end_object();
}

void write_owner(JsonWriter& w, const std::optional<std::string>& owner) {
  w.key("owner");
  if (owner) {
    w.string(*owner);
  } else {
    w.null();
  }
}

std::string finish(JsonWriter& w) {
  w.end_object();
  return w.take();
}

}  // namespace

std::string serialize(const ServerHello& m) {
  auto w = begin_message<ServerHello>();
  if (m.version) {
    w.key("version");
    w.string(*m.version);
  }
  return finish(w);
}

std::string serialize(const ForwardedSources& m) {
  auto w = begin_message<ForwardedSources>();
  write_string_list(w, "forwardedSources", m.forwarded_sources);
  return finish(w);
}

std::string serialize(const DominantSpeakerEndpointChangeEvent& m) {
  auto w = begin_message<DominantSpeakerEndpointChangeEvent>();
  w.key("dominantSpeakerEndpoint");
  w.string(m.dominant_speaker_endpoint);
  write_string_list(w, "previousSpeakers", m.previous_speakers);
  w.key("silence");
  w.boolean(m.silence);
  return finish(w);
}

std::string serialize(const SenderSourceConstraints& m) {
  auto w = begin_message<SenderSourceConstraints>();
  w.key("sourceName");
  w.string(m.source_name);
  w.key("maxHeight");
  w.integer(m.max_height);
  return finish(w);
}

std::string serialize(const EndpointConnectivityStatusChangeEvent& m) {
  auto w = begin_message<EndpointConnectivityStatusChangeEvent>();
  w.key("endpoint");
  w.string(m.endpoint);
  w.key("active");
  w.string(m.active ? "true" : "false");  // a string on the wire, as the JVB sends it
  return finish(w);
}

std::string serialize(const ConnectionStats& m) {
  auto w = begin_message<ConnectionStats>();
  w.key("estimatedDownlinkBandwidth");
  w.integer(m.estimated_downlink_bandwidth);
  return finish(w);
}

std::string serialize(const VideoSourcesMap& m) {
  auto w = begin_message<VideoSourcesMap>();
  w.key("mappedSources");
  w.begin_array();
  for (const auto& s : m.mapped_sources) {
    w.begin_object();
    w.key("source");
    w.string(s.source);
    write_owner(w, s.owner);
    w.key("ssrc");
    w.unsigned_integer(s.ssrc);
    w.key("rtx");
    w.unsigned_integer(s.rtx);
    w.key("videoType");
    w.string(to_string(s.video_type));
    if (s.mid) {
      w.key("mid");
      w.string(*s.mid);
    }
    w.end_object();
  }
  w.end_array();
  return finish(w);
}

std::string serialize(const AudioSourcesMap& m) {
  auto w = begin_message<AudioSourcesMap>();
  w.key("mappedSources");
  w.begin_array();
  for (const auto& s : m.mapped_sources) {
    w.begin_object();
    w.key("source");
    w.string(s.source);
    write_owner(w, s.owner);
    w.key("ssrc");
    w.unsigned_integer(s.ssrc);
    if (s.mid) {
      w.key("mid");
      w.string(*s.mid);
    }
    w.end_object();
  }
  w.end_array();
  return finish(w);
}

std::string serialize(const SyntheticSourceSendingChangeEvent& m) {
  auto w = begin_message<SyntheticSourceSendingChangeEvent>();
  w.key("sourceName");
  w.string(m.source_name);
  w.key("sending");
  w.boolean(m.sending);
  w.key("timestamp");
  w.unsigned_integer(m.timestamp);
  return finish(w);
}

std::string serialize(const ReceiverVideoConstraints& m) {
  auto w = begin_message<ReceiverVideoConstraints>();
  if (m.last_n) {
    w.key("lastN");
    w.integer(*m.last_n);
  }
  write_optional_string_list(w, "onStageSources", m.on_stage_sources);
  write_optional_string_list(w, "selectedSources", m.selected_sources);
  if (m.default_constraints) {
    w.key("defaultConstraints");
    write_constraints(w, *m.default_constraints);
  }
  if (m.constraints) {
    w.key("constraints");
    w.begin_object();
    for (const auto& [source, c] : *m.constraints) {
      w.key(source);
      write_constraints(w, c);
    }
    w.end_object();
  }
  if (m.assumed_bandwidth_bps) {
    w.key("assumedBandwidthBps");
    w.integer(*m.assumed_bandwidth_bps);
  }
  write_optional_string_list(w, "onStageEndpoints", m.on_stage_endpoints);
  write_optional_string_list(w, "selectedEndpoints", m.selected_endpoints);
  return finish(w);
}

std::string serialize(const LastNChangedEvent& m) {
  auto w = begin_message<LastNChangedEvent>();
  w.key("lastN");
  w.integer(m.last_n);
  return finish(w);
}

std::string serialize(const SourceVideoTypeMessage& m) {
  auto w = begin_message<SourceVideoTypeMessage>();
  w.key("videoType");
  w.string(to_string(m.video_type));
  w.key("sourceName");
  w.string(m.source_name);
  if (m.endpoint_id) {
    w.key("endpointId");
    w.string(*m.endpoint_id);
  }
  return finish(w);
}

std::string serialize(const VideoTypeMessage& m) {
  auto w = begin_message<VideoTypeMessage>();
  w.key("videoType");
  w.string(to_string(m.video_type));
  if (m.endpoint_id) {
    w.key("endpointId");
    w.string(*m.endpoint_id);
  }
  return finish(w);
}

std::string serialize(const ReceiverAudioSubscription& m) {
  auto w = begin_message<ReceiverAudioSubscription>();
  w.key("all");
  w.boolean(m.all);
  write_string_list(w, "include", m.include);
  write_string_list(w, "exclude", m.exclude);
  return finish(w);
}

std::string serialize(const ClientHello&) {
  auto w = begin_message<ClientHello>();
  return finish(w);
}

}  // namespace jvb::channel
