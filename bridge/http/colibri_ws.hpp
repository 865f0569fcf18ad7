// The Colibri WebSocket server: the bridge channel's WebSocket transport (the fallback used when
// the SCTP data channel is not available), served at /colibri-ws/<server-id>/<conf-id>/<ep-id>?pwd=
// on the public HTTP server. Follows JVB's ColibriWebSocketServlet, ColibriWebSocket and
// doc/web-sockets.md (URL, pwd, the checks and their status codes, replacement, 1001 on expiry,
// keepalive, idle timeout, deflate) and its WebsocketServiceConfig.kt (videobridge.websockets).
//
// The server knows nothing about conferences: it asks its Owner to authenticate a request and
// reports opened sockets, text messages and closes by an opaque endpoint handle. The JSON inside
// the messages (ServerHello included) is the owner's business.
//
// Threading: everything runs on the control thread's GLib main context (the one that was
// thread-default when the HttpServer was started). Owner callbacks are called from that loop and
// may call back into send()/close()/is_open(); they must not destroy the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bridge/core/result.hpp"
#include "bridge/core/time.hpp"
#include "bridge/http/http_server.hpp"

namespace jvb::http {

// videobridge.websockets (JVB's WebsocketServiceConfig.kt), minus what only the URL needs.
struct ColibriWsOptions {
  std::string server_id = "default-id";
  Duration ping_interval = std::chrono::seconds(15);  // sent to idle and busy sockets alike
  bool send_pings = true;
  Duration idle_timeout = std::chrono::seconds(60);  // nothing received (pongs count); <= 0: never
  bool compression = true;                           // permessage-deflate (RFC 7692)
  // A text message above this is answered with close 1009, as Jetty's default limit does.
  std::size_t max_text_message_bytes = 64 * 1024;
};

struct ColibriWsCounters {
  std::uint64_t connections_accepted = 0;
  std::uint64_t rejected_invalid_path = 0;  // 404 invalid path
  std::uint64_t rejected_server_id = 0;     // 404 server ID mismatch
  std::uint64_t rejected_no_password = 0;   // 403: query does not start with pwd= (or bad escapes)
  std::uint64_t rejected_auth = 0;          // 403: the owner refused conference/endpoint/pwd
  std::uint64_t replaced = 0;               // old socket closed 1000 "replaced"
  std::uint64_t closed_by_owner = 0;        // close(): 1001 "endpoint closed"
  std::uint64_t closed_by_peer = 0;         // the client closed or the connection dropped
  std::uint64_t idle_timeouts = 0;
  std::uint64_t oversized_messages = 0;  // closed 1009
  std::uint64_t protocol_errors = 0;     // libsoup gave up on the socket (bad frame, frame too big, ...)
  std::uint64_t pongs_received = 0;      // answers to the keepalive pings
  std::uint64_t messages_in = 0;
  std::uint64_t messages_out = 0;
  std::uint64_t binary_frames_ignored = 0;
  std::uint64_t send_failures = 0;  // send() with no open socket, or text that is not UTF-8
};

// Why a WebSocket upgrade request is refused, with JVB's status and reason phrase.
struct ColibriWsRejection {
  enum class Kind { kInvalidPath, kServerIdMismatch, kNoPassword };
  Kind kind;
  int status;
  std::string_view reason;
};

struct ColibriWsTarget {
  std::string conference_id;
  std::string endpoint_id;
  std::string password;
};

// The checks that need no owner, in JVB's order: path prefix and segments (404 "invalid path"),
// server-id (404 "server ID mismatch"). `path` is the decoded request path, `query` the raw (still
// percent-encoded) query or nullopt when there is none. Pure.
Result<ColibriWsTarget, ColibriWsRejection> parse_colibri_ws_request(std::string_view path,
                                                                     std::optional<std::string_view> query,
                                                                     std::string_view server_id);

// Percent-decoding as java.net.URI.getQuery does it: %XX only, '+' stays '+'. nullopt for a
// malformed escape or an escaped NUL.
std::optional<std::string> percent_decode(std::string_view text);

// The URL advertised in Colibri2 for one endpoint:
// {ws|wss}://{domain}/colibri-ws/{server-id}/{conference-id}/{endpoint-id}?pwd={password}.
// Characters outside RFC 3986's unreserved set are percent-encoded (none are, for real ids).
std::string colibri_ws_url(bool tls, std::string_view domain, std::string_view server_id,
                           std::string_view conference_id, std::string_view endpoint_id,
                           std::string_view password);

// A fresh 24-character [A-Za-z0-9] pwd (as JVB's ColibriWebSocketPassword.kt makes it), stable for
// the endpoint's lifetime. `random` returns uniformly distributed 32-bit values; the default draws
// from std::random_device.
inline constexpr std::size_t kColibriWsPasswordLength = 24;
std::string make_colibri_ws_password(const std::function<std::uint32_t()>& random = {});

class ColibriWebSocketServer {
 public:
  // Implemented by the daemon. Called on the control thread.
  struct Owner {
    virtual ~Owner() = default;
    // Before the upgrade. nullopt answers 403 "authentication failed" (unknown conference,
    // unknown endpoint or wrong password); otherwise an opaque handle for the endpoint.
    virtual std::optional<std::uint64_t> authenticate(std::string_view conference_id,
                                                      std::string_view endpoint_id,
                                                      std::string_view password) = 0;
    // After the upgrade. Also called when a second socket replaces the first (no on_closed
    // in between).
    virtual void on_open(std::uint64_t endpoint) = 0;
    virtual void on_message(std::uint64_t endpoint, std::string_view text) = 0;
    // The endpoint's socket went away (peer close, error, idle timeout, oversized message).
    // Not called for close() nor for a replaced socket.
    virtual void on_closed(std::uint64_t endpoint) = 0;
  };

  // Registers the handlers on `server`, which must outlive this object.
  ColibriWebSocketServer(HttpServer& server, ColibriWsOptions options, Owner& owner);
  ~ColibriWebSocketServer();
  ColibriWebSocketServer(const ColibriWebSocketServer&) = delete;
  ColibriWebSocketServer& operator=(const ColibriWebSocketServer&) = delete;

  // Queues one text message. false (and counted) when the endpoint has no open socket or the
  // text is not valid UTF-8.
  bool send(std::uint64_t endpoint, std::string_view text);
  // Closes the endpoint's socket, by default with 1001 "endpoint closed" (the endpoint
  // expired). The endpoint has no socket from here on; on_closed is not called.
  void close(std::uint64_t endpoint, std::uint16_t code = 1001, std::string_view reason = "endpoint closed");
  bool is_open(std::uint64_t endpoint) const;

  std::size_t open_count() const { return by_endpoint_.size(); }
  const ColibriWsCounters& counters() const { return counters_; }
  const ColibriWsOptions& options() const { return options_; }

 private:
  struct Socket;
  struct Glue;  // the libsoup callbacks

  void attach(std::unique_ptr<Socket> socket);
  void detach(Socket& socket);
  void forget(Socket& socket);

  void* soup_server_;   // SoupServer*, owned by the HttpServer
  void* main_context_;  // GMainContext*, ref held
  ColibriWsOptions options_;
  Owner& owner_;
  ColibriWsCounters counters_;
  // Every socket until its "closed" signal; replaced and closed ones linger for the close handshake.
  std::unordered_map<Socket*, std::unique_ptr<Socket>> sockets_;
  std::unordered_map<std::uint64_t, Socket*> by_endpoint_;  // the endpoint's current socket
};

}  // namespace jvb::http
