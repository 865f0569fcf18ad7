// See janus_api.hpp.
#include "tools/loadgen/janus_api.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace jvb::loadgen {
namespace {

using nlohmann::json;

json request(std::string_view janus, std::string_view transaction) {
  return json{{"janus", janus}, {"transaction", transaction}};
}

json message(std::string_view transaction, json body) {
  json m = request("message", transaction);
  m["body"] = std::move(body);
  return m;
}

// Janus writes ids as JSON numbers; a string of digits is accepted too.
std::uint64_t id_of(const json& value) {
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(value.get<std::int64_t>());
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::stoull(s);
  }
  return 0;
}

std::string text_of(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

JanusMessage read_message(const json& j) {
  JanusMessage m;
  m.janus = text_of(j, "janus");
  m.transaction = text_of(j, "transaction");
  if (auto it = j.find("session_id"); it != j.end()) m.session_id = id_of(*it);
  if (auto it = j.find("sender"); it != j.end()) m.sender = id_of(*it);
  if (auto data = j.find("data"); data != j.end() && data->is_object())
    if (auto id = data->find("id"); id != data->end()) m.data_id = id_of(*id);
  if (auto error = j.find("error"); error != j.end() && error->is_object()) {
    int code = error->value("code", 0);
    m.error = "Janus error " + std::to_string(code) + ": " + text_of(*error, "reason");
  }
  if (auto plugin = j.find("plugindata"); plugin != j.end() && plugin->is_object()) {
    if (auto data = plugin->find("data"); data != plugin->end() && data->is_object()) {
      m.videoroom = text_of(*data, "videoroom");
      if (auto code = data->find("error_code"); code != data->end())
        m.error = "VideoRoom error " + std::to_string(code->is_number() ? code->get<int>() : 0) + ": " +
                  text_of(*data, "error");
      if (m.videoroom == "joined")
        if (auto id = data->find("id"); id != data->end()) m.publisher_id = id_of(*id);
      if (auto streams = data->find("streams"); streams != data->end() && streams->is_array()) {
        for (const auto& s : *streams) {
          if (!s.is_object()) continue;
          JanusStream stream;
          stream.mid = text_of(s, "mid");
          stream.type = text_of(s, "type");
          if (auto feed = s.find("feed_id"); feed != s.end()) stream.feed_id = id_of(*feed);
          m.streams.push_back(std::move(stream));
        }
      }
    }
  }
  if (auto jsep = j.find("jsep"); jsep != j.end() && jsep->is_object()) {
    m.jsep_type = text_of(*jsep, "type");
    m.jsep_sdp = text_of(*jsep, "sdp");
  }
  return m;
}

}  // namespace

std::string janus_create_session(std::string_view transaction) {
  return request("create", transaction).dump();
}

std::string janus_attach(std::string_view transaction) {
  json m = request("attach", transaction);
  m["plugin"] = kVideoRoomPlugin;
  return m.dump();
}

std::string janus_keepalive(std::string_view transaction) { return request("keepalive", transaction).dump(); }

std::string janus_destroy_session(std::string_view transaction) {
  return request("destroy", transaction).dump();
}

std::string janus_create_room(std::string_view transaction, std::uint64_t room, int publishers) {
  // No periodic keyframe requests and no bitrate cap: the room forwards what it gets, as the
  // bridge does; transport-cc and audio-level are Janus's defaults, named for clarity.
  return message(transaction, {{"request", "create"},
                               {"room", room},
                               {"publishers", publishers},
                               {"audiocodec", "opus"},
                               {"videocodec", "vp8"},
                               {"bitrate", 0},
                               {"fir_freq", 0},
                               {"notify_joining", false},
                               {"transport_wide_cc_ext", true},
                               {"audiolevel_ext", true},
                               {"permanent", false}})
      .dump();
}

std::string janus_join_publisher(std::string_view transaction, std::uint64_t room, std::uint64_t id,
                                 std::string_view display, std::string_view offer_sdp) {
  json m = message(transaction, {{"request", "joinandconfigure"},
                                 {"ptype", "publisher"},
                                 {"room", room},
                                 {"id", id},
                                 {"display", display},
                                 {"audio", true},
                                 {"video", true}});
  m["jsep"] = {{"type", "offer"}, {"sdp", offer_sdp}, {"trickle", false}};
  return m.dump();
}

std::string janus_join_subscriber(std::string_view transaction, std::uint64_t room,
                                  std::span<const std::uint64_t> feeds, int substream) {
  json streams = json::array();
  for (std::uint64_t feed : feeds) streams.push_back({{"feed", feed}, {"substream", substream}});
  return message(transaction, {{"request", "join"},
                               {"ptype", "subscriber"},
                               {"room", room},
                               {"use_msid", false},
                               {"streams", std::move(streams)}})
      .dump();
}

std::string janus_start(std::string_view transaction, std::uint64_t room, std::string_view answer_sdp) {
  json m = message(transaction, {{"request", "start"}, {"room", room}});
  m["jsep"] = {{"type", "answer"}, {"sdp", answer_sdp}, {"trickle", false}};
  return m.dump();
}

Result<std::vector<JanusMessage>, std::string> parse_janus_messages(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) return unexpected(std::string("not JSON: ") + std::string(body.substr(0, 200)));
  std::vector<JanusMessage> out;
  if (j.is_array()) {
    for (const auto& item : j)
      if (item.is_object()) out.push_back(read_message(item));
  } else if (j.is_object()) {
    out.push_back(read_message(j));
  } else {
    return unexpected(std::string("neither a JSON object nor an array"));
  }
  for (const auto& m : out)
    if (m.janus.empty()) return unexpected(std::string("a message without \"janus\""));
  return out;
}

std::vector<SubscribedSsrc> subscribed_ssrcs(const SessionDescription& offer,
                                             std::span<const JanusStream> streams,
                                             std::span<const std::string> accepted_mids) {
  std::vector<SubscribedSsrc> out;
  for (const auto& m : offer.media) {
    if (std::find(accepted_mids.begin(), accepted_mids.end(), m.mid) == accepted_mids.end()) continue;
    auto stream =
        std::find_if(streams.begin(), streams.end(), [&](const JanusStream& s) { return s.mid == m.mid; });
    auto ssrc = m.primary_ssrc();
    if (stream == streams.end() || stream->feed_id == 0 || !ssrc) continue;
    out.push_back({*ssrc, stream->feed_id, m.kind == "video"});
  }
  return out;
}

int substream_for_height(int max_height) {
  if (max_height < 0 || max_height >= 720) return 2;
  if (max_height >= 360) return 1;
  return 0;
}

}  // namespace jvb::loadgen
