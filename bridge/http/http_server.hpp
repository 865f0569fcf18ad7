// An HTTP/1.1 server on the control thread's GLib main loop (libsoup-3), with the generic
// behaviour JVB's Jetty/Jersey stack gives every API (jicoco's JettyHelpers.kt): exact-path
// routes, 404 for unknown paths, 405 for a known path with another method (and for TRACE
// everywhere), optional CORS headers, and no Server header unless asked for.
//
// Handlers run on the control thread, inside the main loop, and must not block.
// This file is the only place libsoup's headers are included from.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/http/route_table.hpp"

namespace jvb::http {

struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> params;  // {name} segments of the route's path
  std::string body;
  std::string content_type;
  std::map<std::string, std::string> query;
  std::optional<std::string> accept;  // the Accept header, when there is one
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
};

struct ServerOptions {
  std::string name;  // for logs, e.g. "private"
  std::string host;  // empty: every address
  int port = 0;      // 0: any free port
  bool send_server_version = false;
  std::string server_header;  // e.g. "jitsi-native-bridge/0.1.0"
  bool cors = false;
};

class HttpServer {
 public:
  // Binds and starts serving on the thread-default GLib main context.
  static Result<std::unique_ptr<HttpServer>, std::string> start(const ServerOptions& options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Registers `handler` for `method` on `path`, matched segment by segment; a segment
  // written `{name}` matches any one non-empty segment, passed in Request::params.
  void route(std::string_view method, std::string_view path, Handler handler);

  int port() const { return port_; }
  // e.g. "http://127.0.0.1:8080/"
  const std::string& url() const { return url_; }

  // The SoupServer* behind this server, for the other libsoup bindings in bridge/http/.
  void* soup_server() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  static void handle(void* server, void* message, const char* path, void* query, void* self);

  std::unique_ptr<Impl> impl_;
  RouteTable routes_;
  ServerOptions options_;
  int port_ = 0;
  std::string url_;
};

}  // namespace jvb::http
