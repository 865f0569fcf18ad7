// See focus_server.hpp. The browser protocol: JSON text messages over the WebSocket at /ws.
//
// page -> focus
//   {"type": "join", "room": "demo", "name": "Alice", "channel"?: "ws"|"sctp",
//    "ssrcRewriting"?: "ssrc"|"mid"}                       once per connection
//     ("channel": "ws" asks for the bridge channel over colibri-ws: no SCTP, no data line;
//     "ssrcRewriting" asks the bridge for SSRC rewriting, "mid" with rtp-mid-demux too: the
//     page's offers then carry no remote streams, it learns of them from the bridge's
//     VideoSourcesMap/AudioSourcesMap and adds them to its session itself)
//   {"type": "answer", "sdp": "..."}                     to the last offer
//   {"type": "leave"}                                     (closing the socket does the same)
//   {"type": "stats"}                                     ask for a stats message now
// focus -> page
//   {"type": "joined", "endpoint": "1a2b3c4d", "room": "demo"}
//   {"type": "offer", "sdp": "...", "version": n,
//    "streams": [{"mid": "2", "endpoint": "...", "kind": "audio"|"video", "ssrc": n, "rtx_ssrc"?: n}]}
//     (the SDP has the data line, mid "data", when the bridge allocated SCTP: the page opens the
//     bridge channel on it and talks to the bridge directly, as lib-jitsi-meet's BridgeChannel does)
//    "bridgeWebSocket"?: "ws://..."
//     (the bridge's colibri-ws URL for this endpoint, when it advertised one: a page without the
//     data line opens the bridge channel there, lib-jitsi-meet's colibri-ws fallback)
//   {"type": "participants", "participants": [{"endpoint": "...", "name": "...", "sending": bool}]}
//   {"type": "stats", "available": bool, "error"?: "...",
//    "endpoints": {"<ep>": {"incoming_bps": n, "outgoing_bps": n} | null}}
//   {"type": "error", "message": "..."}
#include "tools/focus/focus_server.hpp"

#include <libsoup/soup.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

#include "bridge/core/log.hpp"

namespace jvb::focus {
namespace {

using Json = nlohmann::json;

const log::Logger kLog{"Focus"};
constexpr guint kStatsIntervalS = 2;

bool valid_room_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

std::string random_uuid() {
  gchar* text = g_uuid_string_random();
  std::string out(text);
  g_free(text);
  return out;
}

}  // namespace

struct FocusServer::Impl {
  SoupServer* server = nullptr;
  guint stats_timer = 0;

  static void on_http(SoupServer*, SoupServerMessage* message, const char* path, GHashTable*, gpointer self) {
    static_cast<FocusServer*>(self)->serve_page(message, path);
  }
  static void on_websocket(SoupServer*, SoupServerMessage*, const char*, SoupWebsocketConnection* connection,
                           gpointer self) {
    static_cast<FocusServer*>(self)->accept_websocket(connection);
  }
  static void on_message(SoupWebsocketConnection* connection, gint type, GBytes* bytes, gpointer data) {
    auto* self = static_cast<FocusServer*>(data);
    if (type != SOUP_WEBSOCKET_DATA_TEXT) return;
    gsize size = 0;
    const char* text = static_cast<const char*>(g_bytes_get_data(bytes, &size));
    for (auto& [id, client] : self->clients_) {
      if (client.connection == connection) {
        self->handle_text(client, std::string(text ? text : "", size));
        return;
      }
    }
  }
  static void on_closed(SoupWebsocketConnection* connection, gpointer self) {
    static_cast<FocusServer*>(self)->websocket_closed(connection);
  }
  static gboolean on_stats_timer(gpointer self) {
    static_cast<FocusServer*>(self)->fetch_stats();
    return G_SOURCE_CONTINUE;
  }
};

FocusServer::FocusServer(FocusOptions options, std::unique_ptr<ColibriClient> colibri)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()), colibri_(std::move(colibri)) {
  if (!options_.stats_url.empty()) stats_http_ = std::make_unique<BridgeClient>(options_.stats_url);
}

FocusServer::~FocusServer() {
  if (impl_->stats_timer) g_source_remove(impl_->stats_timer);
  for (auto& [id, client] : clients_) {
    auto* ws = static_cast<SoupWebsocketConnection*>(client.connection);
    g_signal_handlers_disconnect_by_data(ws, this);
    g_object_unref(ws);
  }
  if (impl_->server) {
    soup_server_disconnect(impl_->server);
    g_object_unref(impl_->server);
  }
}

Result<std::unique_ptr<FocusServer>, std::string> FocusServer::start(FocusOptions options,
                                                                     std::unique_ptr<ColibriClient> colibri) {
  std::unique_ptr<FocusServer> self(new FocusServer(std::move(options), std::move(colibri)));
  Impl& impl = *self->impl_;
  impl.server = soup_server_new("server-header", "jvb-focus ", nullptr);
  soup_server_add_handler(impl.server, "/", Impl::on_http, self.get(), nullptr);
  soup_server_add_websocket_handler(impl.server, "/ws", nullptr, nullptr, Impl::on_websocket, self.get(),
                                    nullptr);
  GInetAddress* address = g_inet_address_new_from_string(self->options_.listen_host.c_str());
  if (!address) return unexpected("not an IP address: " + self->options_.listen_host);
  GSocketAddress* socket_address =
      g_inet_socket_address_new(address, static_cast<guint16>(self->options_.listen_port));
  g_object_unref(address);
  GError* error = nullptr;
  gboolean ok =
      soup_server_listen(impl.server, socket_address, static_cast<SoupServerListenOptions>(0), &error);
  g_object_unref(socket_address);
  if (!ok) {
    std::string why = error ? error->message : "unknown error";
    g_clear_error(&error);
    return unexpected(fmt::format("cannot listen on {}:{}: {}", self->options_.listen_host,
                                  self->options_.listen_port, why));
  }
  GSList* uris = soup_server_get_uris(impl.server);
  if (uris) {
    auto* uri = static_cast<GUri*>(uris->data);
    self->url_ = fmt::format("http://{}:{}/", self->options_.listen_host, g_uri_get_port(uri));
  }
  g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
  impl.stats_timer = g_timeout_add_seconds(kStatsIntervalS, Impl::on_stats_timer, self.get());
  return self;
}

// ---- Page and WebSocket plumbing ----

void FocusServer::serve_page(void* message, const std::string& path) {
  auto* msg = static_cast<SoupServerMessage*>(message);
  std::string method = soup_server_message_get_method(msg);
  if (method != "GET" && method != "HEAD") {
    soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
    return;
  }
  // Only the page's own files: no path from the request ever reaches the file system.
  std::string file, type;
  if (path == "/" || path == "/index.html") {
    file = "index.html";
    type = "text/html; charset=utf-8";
  } else if (path == "/app.js") {
    file = "app.js";
    type = "text/javascript; charset=utf-8";
  } else {
    soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
    return;
  }
  gchar* contents = nullptr;
  gsize size = 0;
  std::string full = options_.page_dir + "/" + file;
  if (!g_file_get_contents(full.c_str(), &contents, &size, nullptr)) {
    kLog.warn("Cannot read {}", full);
    soup_server_message_set_status(msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, nullptr);
    return;
  }
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control", "no-store");
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  soup_server_message_set_response(msg, type.c_str(), SOUP_MEMORY_TAKE, contents, size);
}

void FocusServer::accept_websocket(void* connection) {
  auto* ws = static_cast<SoupWebsocketConnection*>(connection);
  if (shutting_down_) {
    soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "focus stopping");
    return;
  }
  g_object_ref(ws);
  // Offers and answers grow with the room (about 1 kB per participant); libsoup's default
  // limit of 128 kB would cut off large rooms.
  soup_websocket_connection_set_max_incoming_payload_size(ws, 1 << 20);
  Client client;
  client.id = next_client_id_++;
  client.connection = ws;
  clients_.emplace(client.id, client);
  g_signal_connect(ws, "message", G_CALLBACK(Impl::on_message), this);
  g_signal_connect(ws, "closed", G_CALLBACK(Impl::on_closed), this);
}

void FocusServer::websocket_closed(void* connection) {
  auto it = std::find_if(clients_.begin(), clients_.end(),
                         [&](const auto& entry) { return entry.second.connection == connection; });
  if (it == clients_.end()) return;
  if (!it->second.room.empty() && !shutting_down_) leave(it->second);
  auto* ws = static_cast<SoupWebsocketConnection*>(connection);
  g_signal_handlers_disconnect_by_data(ws, this);
  clients_.erase(it);
  g_object_unref(ws);
}

void FocusServer::send(std::uint64_t client_id, const std::string& json_text) {
  auto it = clients_.find(client_id);
  if (it == clients_.end()) return;
  auto* ws = static_cast<SoupWebsocketConnection*>(it->second.connection);
  if (soup_websocket_connection_get_state(ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text(ws, json_text.c_str());
}

void FocusServer::send_error(std::uint64_t client_id, const std::string& message) {
  send(client_id, Json{{"type", "error"}, {"message", message}}.dump());
}

void FocusServer::handle_text(Client& client, const std::string& text) {
  Json message = Json::parse(text, nullptr, false);
  if (!message.is_object() || !message.contains("type") || !message["type"].is_string()) {
    send_error(client.id, "expected a JSON object with a \"type\"");
    return;
  }
  auto string_field = [&](const char* key, const std::string& fallback) {
    auto it = message.find(key);
    return it != message.end() && it->is_string() ? it->get<std::string>() : fallback;
  };
  const std::string type = message["type"].get<std::string>();
  if (type == "join") {
    const std::string rewriting = string_field("ssrcRewriting", "");
    JoinOptions options;
    options.web_socket_channel = string_field("channel", "") == "ws";
    options.ssrc_rewriting = rewriting == "ssrc" || rewriting == "mid";
    options.rtp_mid_demux = rewriting == "mid";
    join(client, string_field("room", "demo"), string_field("name", ""), options);
  } else if (type == "answer") {
    on_answer(client, string_field("sdp", ""));
  } else if (type == "leave") {
    if (!client.room.empty()) leave(client);
  } else if (type == "stats") {
    fetch_stats();
  } else {
    send_error(client.id, "unknown message type " + type);
  }
}

// ---- The call ----

FocusServer::Room* FocusServer::find_room(const std::string& name, const std::string& meeting_id) {
  auto it = rooms_.find(name);
  // A room that emptied and filled again has a new conference; answers about the old one are stale.
  if (it == rooms_.end() || it->second.meeting_id != meeting_id) return nullptr;
  return &it->second;
}

void FocusServer::join(Client& client, const std::string& room_name, const std::string& display_name,
                       JoinOptions options) {
  if (!client.room.empty()) return send_error(client.id, "already joined room " + client.room);
  if (!valid_room_name(room_name)) return send_error(client.id, "invalid room name");
  if (shutting_down_) return send_error(client.id, "the focus is stopping");
  Room& room = rooms_[room_name];
  if (room.meeting_id.empty()) {
    room.name = room_name;
    room.meeting_id = random_uuid();
  }
  std::string endpoint;
  do {
    endpoint = fmt::format("{:08x}", g_random_int());
  } while (room.participants.count(endpoint));

  Participant& p = room.participants[endpoint];
  p.endpoint = endpoint;
  p.name = display_name.empty() ? endpoint : display_name.substr(0, 64);
  p.client = client.id;
  p.web_socket_channel = options.web_socket_channel;
  p.ssrc_rewriting = options.ssrc_rewriting;
  p.session_id = (static_cast<std::uint64_t>(g_random_int()) << 30) ^ g_random_int();
  client.room = room_name;
  client.endpoint = endpoint;

  // The endpoint create as Jicofo sends it (Colibri2Session.sendAllocationRequest): <sctp/> with
  // neither port nor role, which the bridge answers with its own (port 5000, role server). Without
  // it (a colibri-ws page), as for a participant without SCTP support, the offer has no data line
  // and the page uses the bridge's web-socket instead.
  signaling::ConferenceModify request;
  signaling::Endpoint e;
  e.id = signaling::EndpointId(endpoint);
  e.create = true;
  e.stats_id = p.name;
  e.medias = endpoint_medias();
  e.transport = signaling::Transport{};
  e.transport->ice_controlling = true;
  if (options_.sctp && !options.web_socket_channel) e.transport->sctp = signaling::Sctp{};
  e.capabilities = {std::string(signaling::kCapabilitySourceNames)};
  if (options.ssrc_rewriting) e.capabilities.emplace_back(signaling::kCapabilitySsrcRewriting);
  if (options.rtp_mid_demux) e.capabilities.emplace_back(signaling::kCapabilityRtpMidDemux);
  request.endpoints.push_back(std::move(e));
  bool create = !room.conference_requested;
  if (create) {
    request.meeting_id = signaling::MeetingId(room.meeting_id);
    request.name = room_name + "@conference.local";
    request.create = true;
    room.conference_requested = true;
  }
  kLog.info("{} joins room {} as {}{}", p.name, room_name, endpoint,
            options.ssrc_rewriting
                ? (options.rtp_mid_demux ? " (SSRC rewriting, mid demux)" : " (SSRC rewriting)")
                : "");
  // The endpoint id first, so the page never mistakes itself for a remote participant; the
  // offer follows once the bridge has allocated the endpoint.
  send(client.id, Json{{"type", "joined"}, {"endpoint", endpoint}, {"room", room_name}}.dump());
  colibri_->modify(
      room.meeting_id, request,
      [this, room_name, meeting = room.meeting_id, endpoint, create](const ColibriResult& reply) {
        on_endpoint_created(room_name, meeting, endpoint, create, reply);
      });
  broadcast_participants(room);
}

void FocusServer::on_endpoint_created(const std::string& room_name, const std::string& meeting_id,
                                      const std::string& endpoint, bool was_create,
                                      const ColibriResult& reply) {
  Room* room = find_room(room_name, meeting_id);
  if (!reply)
    kLog.warn("Creating endpoint {} in room {} failed: {}", endpoint, room_name, reply.error().text);
  // Gone already: leave() queued its expire behind this create.
  if (!room || !room->participants.count(endpoint)) return;
  if (!reply) {
    if (was_create) room->conference_requested = false;
    return remove_failed(*room, endpoint, "the bridge did not create the endpoint: " + reply.error().text);
  }
  const signaling::Transport* transport = nullptr;
  for (const auto& e : reply->endpoints)
    if (e.id.str() == endpoint && e.transport && e.transport->ice) transport = &*e.transport;
  if (!transport || transport->ice->candidates.empty() || transport->ice->fingerprints.empty())
    return remove_failed(*room, endpoint, "the bridge's answer has no usable transport for " + endpoint);
  Participant& p = room->participants[endpoint];
  p.created = true;
  p.bridge_transport = *transport->ice;
  p.bridge_web_socket = bridge_websocket_url(p.bridge_transport).value_or("");
  if (p.web_socket_channel && p.bridge_web_socket.empty())
    kLog.warn("{} asked for colibri-ws but the bridge advertised no web-socket: no bridge channel", endpoint);
  if (transport->sctp) {
    p.sctp_port = transport->sctp->port.value_or(kSctpPort);
    p.layout.add_data_line();  // before the first offer, so it stays right after the local lines
  } else if (options_.sctp && !p.web_socket_channel) {
    kLog.warn("The bridge allocated no SCTP for {}: its page runs without a bridge channel", endpoint);
  }
  send_offer(*room, p);
}

void FocusServer::remove_failed(Room& room, const std::string& endpoint, const std::string& why) {
  auto it = room.participants.find(endpoint);
  std::uint64_t client_id = it->second.client;
  room.participants.erase(it);
  if (auto c = clients_.find(client_id); c != clients_.end()) {
    c->second.room.clear();
    c->second.endpoint.clear();
  }
  send_error(client_id, why);
  if (room.participants.empty()) {
    expire_conference(room);
    std::string name = room.name;  // erase() must not read a key that lives in the erased node
    rooms_.erase(name);
  } else {
    broadcast_participants(room);
  }
}

void FocusServer::send_offer(Room& room, Participant& p) {
  if (!p.created) return;
  if (p.offer_in_flight) {
    p.renegotiate = true;
    return;
  }
  std::vector<RemoteStream> streams;
  for (const auto& [id, other] : room.participants) {
    if (p.ssrc_rewriting || id == p.endpoint || !other.created) continue;
    for (const auto& source : other.sources)
      if (auto stream = receive_stream(id, source)) streams.push_back(std::move(*stream));
  }
  p.layout.update(streams);
  Json listed = Json::array();
  for (const auto& line : p.layout.lines()) {
    if (!line.stream) continue;
    Json s{{"mid", line.mid},
           {"endpoint", line.stream->endpoint},
           {"kind", signaling::to_string(line.type)},
           {"ssrc", line.stream->ssrc}};
    if (line.stream->rtx_ssrc) s["rtx_ssrc"] = *line.stream->rtx_ssrc;
    listed.push_back(std::move(s));
  }
  OfferParams params{p.bridge_transport, p.session_id, ++p.offer_version, p.sctp_port};
  p.offer_in_flight = true;
  p.renegotiate = false;
  Json offer{{"type", "offer"},
             {"sdp", build_offer(params, p.layout.lines())},
             {"version", p.offer_version},
             {"streams", std::move(listed)}};
  if (!p.bridge_web_socket.empty()) offer["bridgeWebSocket"] = p.bridge_web_socket;
  send(p.client, offer.dump());
}

void FocusServer::on_answer(Client& client, const std::string& sdp) {
  auto room_it = rooms_.find(client.room);
  if (room_it == rooms_.end() || !room_it->second.participants.count(client.endpoint))
    return send_error(client.id, "answer without a call");
  Room& room = room_it->second;
  Participant& p = room.participants[client.endpoint];
  if (!p.offer_in_flight) return send_error(client.id, "answer without an offer");
  p.offer_in_flight = false;

  auto answer = parse_answer(sdp, p.endpoint);
  if (!answer) {
    kLog.warn("Bad answer from {}: {}", p.endpoint, answer.error());
    send_error(client.id, "bad answer: " + answer.error());
  } else {
    if (p.layout.has_data_line() && !answer->data && !p.transport_signaled)
      kLog.warn("{} rejected the data line: no bridge channel for it", p.endpoint);
    // session-accept: transport and sources once; later answers only when sources change
    // (source-add / source-remove), as Jicofo does.
    signaling::Endpoint e;
    e.id = signaling::EndpointId(p.endpoint);
    if (!p.transport_signaled) {
      e.transport = signaling::Transport{};
      e.transport->ice = answer->transport;
      p.transport_signaled = true;
    }
    if (answer->sources != p.signaled_sources || e.transport) {
      e.sources = answer->sources;
      p.signaled_sources = answer->sources;
    }
    if (e.transport || e.sources) {
      signaling::ConferenceModify request;
      request.endpoints.push_back(std::move(e));
      colibri_->modify(room.meeting_id, request,
                       [this, room_name = room.name, meeting = room.meeting_id, endpoint = p.endpoint,
                        sources = answer->sources](const ColibriResult& reply) {
                         on_endpoint_updated(room_name, meeting, endpoint, sources, reply);
                       });
    }
  }
  if (p.renegotiate) send_offer(room, p);
}

void FocusServer::on_endpoint_updated(const std::string& room_name, const std::string& meeting_id,
                                      const std::string& endpoint,
                                      std::vector<signaling::MediaSource> sources,
                                      const ColibriResult& reply) {
  Room* room = find_room(room_name, meeting_id);
  if (!room || !room->participants.count(endpoint)) return;
  Participant& p = room->participants[endpoint];
  if (!reply) {
    kLog.warn("Updating endpoint {} failed: {}", endpoint, reply.error().text);
    return send_error(p.client, "the bridge refused the transport/sources: " + reply.error().text);
  }
  if (sources == p.sources) return;
  kLog.info("Endpoint {} in room {} now sends {} source(s)", endpoint, room_name, sources.size());
  p.sources = std::move(sources);
  renegotiate_others(*room, endpoint);
  broadcast_participants(*room);
}

void FocusServer::leave(Client& client) {
  std::string room_name = std::exchange(client.room, "");
  std::string endpoint = std::exchange(client.endpoint, "");
  auto it = rooms_.find(room_name);
  if (it == rooms_.end()) return;
  Room& room = it->second;
  room.participants.erase(endpoint);
  kLog.info("{} leaves room {}", endpoint, room_name);
  if (room.participants.empty()) {
    // Jicofo expires the conference when its last participant leaves.
    expire_conference(room);
    rooms_.erase(it);
    return;
  }
  signaling::ConferenceModify request;
  signaling::Endpoint e;
  e.id = signaling::EndpointId(endpoint);
  e.expire = true;
  request.endpoints.push_back(std::move(e));
  colibri_->modify(room.meeting_id, request, [endpoint](const ColibriResult& reply) {
    if (!reply) kLog.warn("Expiring endpoint {} failed: {}", endpoint, reply.error().text);
  });
  renegotiate_others(room, endpoint);
  broadcast_participants(room);
}

void FocusServer::expire_conference(const Room& room) {
  if (!room.conference_requested) return;
  signaling::ConferenceModify request;
  request.expire = true;
  ++pending_expires_;
  colibri_->modify(room.meeting_id, request, [this, meeting = room.meeting_id](const ColibriResult& reply) {
    if (!reply) kLog.warn("Expiring conference {} failed: {}", meeting, reply.error().text);
    if (--pending_expires_ == 0 && shutdown_done_) std::exchange(shutdown_done_, nullptr)();
  });
}

void FocusServer::renegotiate_others(Room& room, const std::string& except) {
  // A page with SSRC rewriting is offered no remote streams: nothing to renegotiate.
  for (auto& [id, p] : room.participants)
    if (id != except && !p.ssrc_rewriting) send_offer(room, p);
}

void FocusServer::broadcast_participants(const Room& room) {
  Json list = Json::array();
  for (const auto& [id, p] : room.participants)
    list.push_back({{"endpoint", id}, {"name", p.name}, {"sending", !p.sources.empty()}});
  std::string text = Json{{"type", "participants"}, {"participants", std::move(list)}}.dump();
  for (const auto& [id, p] : room.participants) send(p.client, text);
}

// ---- Stats ----

void FocusServer::fetch_stats() {
  if (stats_in_flight_ || rooms_.empty() || shutting_down_) return;
  if (!stats_http_) return on_stats("stats unavailable: the focus has no --bridge-http URL", "");
  stats_in_flight_ = true;
  stats_http_->get("debug?full=true", [this](const BridgeReply& reply) {
    stats_in_flight_ = false;
    on_stats(reply.ok() ? "" : "bridge /debug: " + reply.describe(), reply.body);
  });
}

void FocusServer::on_stats(const std::string& fetch_error, const std::string& body) {
  Json debug = fetch_error.empty() ? Json::parse(body, nullptr, false) : Json();
  std::string error = fetch_error;
  if (error.empty() && !debug.is_object()) error = "bridge /debug: not a JSON object";
  if (!error.empty() && !stats_failing_) kLog.info("No stats for the pages: {}", error.substr(0, 200));
  stats_failing_ = !error.empty();

  for (const auto& [name, room] : rooms_) {
    // The bridge keys conferences by its own id; the meeting id is inside.
    const Json* endpoints = nullptr;
    if (error.empty() && debug.contains("conferences") && debug["conferences"].is_object()) {
      for (const auto& [conf_id, conf] : debug["conferences"].items()) {
        if (conf.is_object() && conf.value("meeting_id", "") == room.meeting_id &&
            conf.contains("endpoints") && conf["endpoints"].is_object())
          endpoints = &conf["endpoints"];
      }
    }
    Json per_endpoint = Json::object();
    for (const auto& [id, p] : room.participants) {
      Json bitrates;  // null: the bridge does not report this endpoint
      if (endpoints && endpoints->contains(id)) {
        const Json& e = (*endpoints)[id];
        if (e.is_object() && e.contains("bitrates") && e["bitrates"].is_object()) {
          const Json& b = e["bitrates"];
          bitrates = {{"incoming_bps", b.value("incoming_bps", Json())},
                      {"outgoing_bps", b.value("outgoing_bps", Json())}};
        }
      }
      per_endpoint[id] = std::move(bitrates);
    }
    Json message{
        {"type", "stats"}, {"available", endpoints != nullptr}, {"endpoints", std::move(per_endpoint)}};
    if (!error.empty()) message["error"] = error.substr(0, 200);
    std::string text = message.dump();
    for (const auto& [id, p] : room.participants) send(p.client, text);
  }
}

// ---- Shutdown ----

void FocusServer::shutdown(std::function<void()> done) {
  shutting_down_ = true;
  shutdown_done_ = std::move(done);
  for (const auto& [name, room] : rooms_) expire_conference(room);
  rooms_.clear();
  // Closing may report "closed" at once, which erases the client: collect first.
  std::vector<SoupWebsocketConnection*> open;
  for (auto& [id, client] : clients_)
    open.push_back(static_cast<SoupWebsocketConnection*>(client.connection));
  for (auto* ws : open) {
    g_object_ref(ws);
    if (soup_websocket_connection_get_state(ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "focus stopping");
    g_object_unref(ws);
  }
  if (pending_expires_ == 0 && shutdown_done_) std::exchange(shutdown_done_, nullptr)();
}

}  // namespace jvb::focus
