// libsoup-3 binding of colibri_ws.hpp (JVB's ColibriWebSocketServlet and ColibriWebSocket).
//
// libsoup calls a websocket handler only after it has written the 101, so the JVB checks run
// in an early handler on the same path (called once the request headers are in): setting a
// status there makes libsoup answer with it and skip the handshake. The endpoint handle the
// owner returned travels to the websocket handler as data on the SoupServerMessage.
#include "bridge/http/colibri_ws.hpp"

#include <libsoup/soup.h>

#include <algorithm>
#include <random>
#include <vector>

#include "bridge/core/log.hpp"

namespace jvb::http {
namespace {

const log::Logger kLog{"ColibriWebSocketServer"};

// Registered with the trailing slash: libsoup matches handler paths as plain string prefixes,
// so "/colibri-ws" would also take "/colibri-wsfoo". "/colibri-ws" itself and the like stay
// with the HttpServer's own 404.
constexpr const char* kHandlerPath = "/colibri-ws/";
constexpr std::string_view kPrefix = "/colibri-ws/";
constexpr std::string_view kPwd = "pwd=";
constexpr const char* kEndpointKey = "jvb-colibri-ws-endpoint";

// libsoup's own per-frame limit. Above it libsoup drops the TCP connection without a close
// frame, so it is set well above max_text_message_bytes, which is enforced on whole messages
// with a proper 1009; this one only bounds the memory a single frame can claim.
constexpr guint64 kMaxFrameBytes = 1024 * 1024;

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

void append_encoded(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : text) {
    if (is_unreserved(c)) {
      out += c;
    } else {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
  }
}

// java.lang.String.split("/"): trailing empty segments are dropped, inner ones kept.
std::vector<std::string_view> java_split(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = text.find('/', start);
    parts.push_back(
        text.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  while (parts.size() > 1 && parts.back().empty()) parts.pop_back();
  return parts;
}

Unexpected<ColibriWsRejection> rejection(ColibriWsRejection::Kind kind) {
  switch (kind) {
    case ColibriWsRejection::Kind::kInvalidPath:
      return unexpected(ColibriWsRejection{kind, 404, "invalid path"});
    case ColibriWsRejection::Kind::kServerIdMismatch:
      return unexpected(ColibriWsRejection{kind, 404, "server ID mismatch"});
    case ColibriWsRejection::Kind::kNoPassword:
      break;
  }
  return unexpected(ColibriWsRejection{kind, 403, "authentication failed"});
}

void reject(SoupServerMessage* msg, int status, std::string_view reason) {
  std::string text(reason);
  soup_server_message_set_status(msg, static_cast<guint>(status), text.c_str());
  text += '\n';
  soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_COPY, text.data(), text.size());
}

// libsoup refuses to send (or turns into 1002) codes that are reserved or meant for clients.
gushort sendable_close_code(std::uint16_t code) {
  switch (code) {
    case SOUP_WEBSOCKET_CLOSE_NORMAL:
    case SOUP_WEBSOCKET_CLOSE_GOING_AWAY:
    case SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR:
    case SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA:
    case SOUP_WEBSOCKET_CLOSE_BAD_DATA:
    case SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION:
    case SOUP_WEBSOCKET_CLOSE_TOO_BIG:
    case SOUP_WEBSOCKET_CLOSE_SERVER_ERROR:
      return code;
    default:
      if (code >= 3000 && code < 5000) return code;
      return SOUP_WEBSOCKET_CLOSE_SERVER_ERROR;
  }
}

guint whole_seconds_at_least_one(Duration d) {
  auto s = std::chrono::ceil<std::chrono::seconds>(d).count();
  return static_cast<guint>(std::clamp<std::int64_t>(s, 1, 24 * 3600));
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int hi = hex_value(text[i + 1]);
    int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return std::nullopt;
    out += c;
    i += 2;
  }
  return out;
}

Result<ColibriWsTarget, ColibriWsRejection> parse_colibri_ws_request(std::string_view path,
                                                                     std::optional<std::string_view> query,
                                                                     std::string_view server_id) {
  using Kind = ColibriWsRejection::Kind;
  if (!path.starts_with(kPrefix)) return rejection(Kind::kInvalidPath);
  auto ids = java_split(path.substr(kPrefix.size()));
  if (ids.size() < 3) return rejection(Kind::kInvalidPath);
  if (ids[0] != server_id) return rejection(Kind::kServerIdMismatch);
  // Everything after "pwd=" is the password, further parameters included (JVB does the same).
  if (!query || !query->starts_with(kPwd)) return rejection(Kind::kNoPassword);
  auto password = percent_decode(query->substr(kPwd.size()));
  if (!password) return rejection(Kind::kNoPassword);
  return ColibriWsTarget{std::string(ids[1]), std::string(ids[2]), std::move(*password)};
}

std::string colibri_ws_url(bool tls, std::string_view domain, std::string_view server_id,
                           std::string_view conference_id, std::string_view endpoint_id,
                           std::string_view password) {
  std::string url = tls ? "wss://" : "ws://";
  url += domain;
  url += kPrefix;
  append_encoded(url, server_id);
  url += '/';
  append_encoded(url, conference_id);
  url += '/';
  append_encoded(url, endpoint_id);
  url += '?';
  url += kPwd;
  append_encoded(url, password);
  return url;
}

std::string make_colibri_ws_password(const std::function<std::uint32_t()>& random) {
  std::random_device device;
  std::string password;
  password.reserve(kColibriWsPasswordLength);
  for (std::size_t i = 0; i < kColibriWsPasswordLength; ++i) {
    std::uint32_t value = random ? random() : static_cast<std::uint32_t>(device());
    // The modulo bias over 2^32 values is below 1e-8: not worth rejection sampling.
    password += kAlphabet[value % kAlphabet.size()];
  }
  return password;
}

struct ColibriWebSocketServer::Socket {
  ColibriWebSocketServer* server = nullptr;
  SoupWebsocketConnection* conn = nullptr;  // our ref, dropped in forget()
  std::uint64_t endpoint = 0;
  bool attached = false;  // the endpoint's current socket, the one send() uses
  gint64 last_rx_us = 0;  // g_get_monotonic_time() of the last frame received (pongs included)
  GSource* idle_timer = nullptr;
};

struct ColibriWebSocketServer::Glue {
  static void early(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer data) {
    auto* self = static_cast<ColibriWebSocketServer*>(data);
    const char* query = g_uri_get_query(soup_server_message_get_uri(msg));
    auto target = parse_colibri_ws_request(path ? path : "",
                                           query ? std::optional<std::string_view>(query) : std::nullopt,
                                           self->options_.server_id);
    if (!target) {
      switch (target.error().kind) {
        case ColibriWsRejection::Kind::kInvalidPath:
          ++self->counters_.rejected_invalid_path;
          break;
        case ColibriWsRejection::Kind::kServerIdMismatch:
          ++self->counters_.rejected_server_id;
          break;
        case ColibriWsRejection::Kind::kNoPassword:
          ++self->counters_.rejected_no_password;
          break;
      }
      reject(msg, target.error().status, target.error().reason);
      return;
    }
    auto endpoint = self->owner_.authenticate(target->conference_id, target->endpoint_id, target->password);
    if (!endpoint) {
      ++self->counters_.rejected_auth;
      reject(msg, 403, "authentication failed");
      return;
    }
    auto* handle = g_new(guint64, 1);
    *handle = *endpoint;
    g_object_set_data_full(G_OBJECT(msg), kEndpointKey, handle, g_free);
  }

  static void websocket(SoupServer*, SoupServerMessage* msg, const char*, SoupWebsocketConnection* conn,
                        gpointer data) {
    auto* self = static_cast<ColibriWebSocketServer*>(data);
    auto* handle = static_cast<guint64*>(g_object_get_data(G_OBJECT(msg), kEndpointKey));
    if (!handle) {
      // The early handler runs for every request on this path, so this is a bug; libsoup
      // drops the connection when we return without a ref.
      kLog.warn("upgrade without an authenticated endpoint");
      return;
    }
    auto socket = std::make_unique<Socket>();
    socket->server = self;
    socket->conn = SOUP_WEBSOCKET_CONNECTION(g_object_ref(conn));
    socket->endpoint = *handle;
    soup_websocket_connection_set_max_incoming_payload_size(conn, kMaxFrameBytes);
    if (self->options_.send_pings) {
      soup_websocket_connection_set_keepalive_interval(
          conn, whole_seconds_at_least_one(self->options_.ping_interval));
    }
    Socket* raw = socket.get();
    g_signal_connect(conn, "message", G_CALLBACK(on_message), raw);
    g_signal_connect(conn, "pong", G_CALLBACK(on_pong), raw);
    g_signal_connect(conn, "error", G_CALLBACK(on_error), raw);
    g_signal_connect(conn, "closing", G_CALLBACK(on_closing), raw);
    g_signal_connect(conn, "closed", G_CALLBACK(on_closed), raw);
    self->attach(std::move(socket));
  }

  static void on_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
    auto* socket = static_cast<Socket*>(data);
    auto* self = socket->server;
    socket->last_rx_us = g_get_monotonic_time();
    if (!socket->attached) return;  // replaced or closed: the owner no longer listens to it
    if (type != SOUP_WEBSOCKET_DATA_TEXT) {
      ++self->counters_.binary_frames_ignored;
      return;
    }
    gsize size = 0;
    const auto* bytes = static_cast<const char*>(g_bytes_get_data(message, &size));
    std::uint64_t endpoint = socket->endpoint;
    if (size > self->options_.max_text_message_bytes) {
      ++self->counters_.oversized_messages;
      self->detach(*socket);
      close_socket(*socket, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "message too big");
      self->owner_.on_closed(endpoint);
      return;
    }
    ++self->counters_.messages_in;
    self->owner_.on_message(endpoint, std::string_view(bytes, size));
  }

  static void on_pong(SoupWebsocketConnection*, GBytes*, gpointer data) {
    auto* socket = static_cast<Socket*>(data);
    socket->last_rx_us = g_get_monotonic_time();
    ++socket->server->counters_.pongs_received;
  }

  // Fatal for the socket: libsoup either sends a close or drops the connection next.
  static void on_error(SoupWebsocketConnection*, GError* error, gpointer data) {
    auto* socket = static_cast<Socket*>(data);
    auto* self = socket->server;
    bool protocol = error && error->domain == SOUP_WEBSOCKET_ERROR;
    bool too_big = protocol && error->code == SOUP_WEBSOCKET_CLOSE_TOO_BIG;
    if (!socket->attached) return;
    if (too_big) {
      ++self->counters_.oversized_messages;
    } else if (protocol) {
      ++self->counters_.protocol_errors;
    } else {
      ++self->counters_.closed_by_peer;
    }
    kLog.fine("endpoint {:x}: socket error: {}", socket->endpoint, error ? error->message : "?");
    std::uint64_t endpoint = socket->endpoint;
    self->detach(*socket);
    self->owner_.on_closed(endpoint);
  }

  // Emitted when either side starts the close handshake; ours detach before closing, so an
  // attached socket here is one the peer is closing.
  static void on_closing(SoupWebsocketConnection*, gpointer data) {
    auto* socket = static_cast<Socket*>(data);
    if (!socket->attached) return;
    auto* self = socket->server;
    ++self->counters_.closed_by_peer;
    std::uint64_t endpoint = socket->endpoint;
    self->detach(*socket);
    self->owner_.on_closed(endpoint);
  }

  static void on_closed(SoupWebsocketConnection*, gpointer data) {
    auto* socket = static_cast<Socket*>(data);
    auto* self = socket->server;
    if (socket->attached) {  // dropped without a close handshake or an error
      ++self->counters_.closed_by_peer;
      std::uint64_t endpoint = socket->endpoint;
      self->detach(*socket);
      self->owner_.on_closed(endpoint);
    }
    self->forget(*socket);  // deletes `socket`
  }

  static gboolean on_idle_timer(gpointer data) {
    auto* socket = static_cast<Socket*>(data);
    auto* self = socket->server;
    // Returning G_SOURCE_REMOVE destroys the source; only our ref is left to drop.
    g_source_unref(socket->idle_timer);
    socket->idle_timer = nullptr;
    auto idle = std::chrono::microseconds(g_get_monotonic_time() - socket->last_rx_us);
    if (idle < self->options_.idle_timeout) {
      arm_idle_timer(*socket, self->options_.idle_timeout - idle);
      return G_SOURCE_REMOVE;
    }
    ++self->counters_.idle_timeouts;
    std::uint64_t endpoint = socket->endpoint;
    self->detach(*socket);
    // Jetty closes idle sockets with 1001 too.
    close_socket(*socket, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "idle timeout");
    self->owner_.on_closed(endpoint);
    return G_SOURCE_REMOVE;
  }

  static void arm_idle_timer(Socket& socket, Duration delay) {
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(delay).count();
    socket.idle_timer = g_timeout_source_new(static_cast<guint>(std::clamp<std::int64_t>(ms, 1, G_MAXINT32)));
    g_source_set_callback(socket.idle_timer, on_idle_timer, &socket, nullptr);
    g_source_attach(socket.idle_timer, static_cast<GMainContext*>(socket.server->main_context_));
  }

  static void stop_idle_timer(Socket& socket) {
    if (!socket.idle_timer) return;
    g_source_destroy(socket.idle_timer);
    g_source_unref(socket.idle_timer);
    socket.idle_timer = nullptr;
  }

  static void close_socket(Socket& socket, std::uint16_t code, std::string_view reason) {
    if (soup_websocket_connection_get_state(socket.conn) != SOUP_WEBSOCKET_STATE_OPEN) return;
    std::string text(reason);
    soup_websocket_connection_close(socket.conn, sendable_close_code(code), text.c_str());
  }

  // After the server is gone: let libsoup finish the close handshake, then drop our ref.
  static void unref_when_closed(SoupWebsocketConnection* conn, gpointer) { g_object_unref(conn); }
};

ColibriWebSocketServer::ColibriWebSocketServer(HttpServer& server, ColibriWsOptions options, Owner& owner)
    : soup_server_(server.soup_server()),
      main_context_(g_main_context_ref_thread_default()),
      options_(std::move(options)),
      owner_(owner) {
  auto* soup = static_cast<SoupServer*>(soup_server_);
  // The deflate extension is on by default in a SoupServer; this server is its only
  // WebSocket user, so the server-wide switch is ours to flip.
  if (!options_.compression)
    soup_server_remove_websocket_extension(soup, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  soup_server_add_early_handler(soup, kHandlerPath, Glue::early, this, nullptr);
  soup_server_add_websocket_handler(soup, kHandlerPath, nullptr, nullptr, Glue::websocket, this, nullptr);
}

ColibriWebSocketServer::~ColibriWebSocketServer() {
  soup_server_remove_handler(static_cast<SoupServer*>(soup_server_), kHandlerPath);
  for (auto& [raw, socket] : sockets_) {
    g_signal_handlers_disconnect_by_data(socket->conn, raw);
    Glue::stop_idle_timer(*socket);
    if (soup_websocket_connection_get_state(socket->conn) == SOUP_WEBSOCKET_STATE_CLOSED) {
      g_object_unref(socket->conn);
      continue;
    }
    Glue::close_socket(*socket, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "shutting down");
    g_signal_connect(socket->conn, "closed", G_CALLBACK(Glue::unref_when_closed), nullptr);
  }
  g_main_context_unref(static_cast<GMainContext*>(main_context_));
}

void ColibriWebSocketServer::attach(std::unique_ptr<Socket> socket) {
  Socket* raw = socket.get();
  sockets_.emplace(raw, std::move(socket));
  ++counters_.connections_accepted;
  if (auto it = by_endpoint_.find(raw->endpoint); it != by_endpoint_.end()) {
    Socket* old = it->second;
    detach(*old);
    ++counters_.replaced;
    Glue::close_socket(*old, SOUP_WEBSOCKET_CLOSE_NORMAL, "replaced");
  }
  by_endpoint_[raw->endpoint] = raw;
  raw->attached = true;
  raw->last_rx_us = g_get_monotonic_time();
  if (options_.idle_timeout > Duration::zero()) Glue::arm_idle_timer(*raw, options_.idle_timeout);
  kLog.fine("endpoint {:x}: socket open ({} open)", raw->endpoint, by_endpoint_.size());
  owner_.on_open(raw->endpoint);
}

void ColibriWebSocketServer::detach(Socket& socket) {
  if (!socket.attached) return;
  socket.attached = false;
  Glue::stop_idle_timer(socket);
  if (auto it = by_endpoint_.find(socket.endpoint); it != by_endpoint_.end() && it->second == &socket) {
    by_endpoint_.erase(it);
  }
}

void ColibriWebSocketServer::forget(Socket& socket) {
  detach(socket);
  Glue::stop_idle_timer(socket);
  g_signal_handlers_disconnect_by_data(socket.conn, &socket);
  g_object_unref(socket.conn);
  sockets_.erase(&socket);
}

bool ColibriWebSocketServer::send(std::uint64_t endpoint, std::string_view text) {
  auto it = by_endpoint_.find(endpoint);
  if (it == by_endpoint_.end() ||
      soup_websocket_connection_get_state(it->second->conn) != SOUP_WEBSOCKET_STATE_OPEN ||
      !g_utf8_validate_len(text.data(), text.size(), nullptr)) {
    ++counters_.send_failures;
    return false;
  }
  GBytes* bytes = g_bytes_new(text.data(), text.size());
  soup_websocket_connection_send_message(it->second->conn, SOUP_WEBSOCKET_DATA_TEXT, bytes);
  g_bytes_unref(bytes);
  ++counters_.messages_out;
  return true;
}

void ColibriWebSocketServer::close(std::uint64_t endpoint, std::uint16_t code, std::string_view reason) {
  auto it = by_endpoint_.find(endpoint);
  if (it == by_endpoint_.end()) return;
  Socket& socket = *it->second;
  detach(socket);
  ++counters_.closed_by_owner;
  Glue::close_socket(socket, code, reason);
}

bool ColibriWebSocketServer::is_open(std::uint64_t endpoint) const {
  return by_endpoint_.count(endpoint) > 0;
}

}  // namespace jvb::http
