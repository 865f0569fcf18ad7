// libsoup-3 binding of http_server.hpp.
#include "bridge/http/http_server.hpp"

#include <libsoup/soup.h>

namespace jvb::http {

struct HttpServer::Impl {
  SoupServer* server = nullptr;
  ~Impl() {
    if (server) {
      soup_server_disconnect(server);
      g_object_unref(server);
    }
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;

void* HttpServer::soup_server() const { return impl_->server; }

Result<std::unique_ptr<HttpServer>, std::string> HttpServer::start(const ServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  // libsoup appends its own name to a server-header that ends in a space; without a
  // header it sends none.
  std::string header = options.send_server_version ? options.server_header : std::string();
  impl->server = header.empty() ? soup_server_new("server-header", nullptr, nullptr)
                                : soup_server_new("server-header", header.c_str(), nullptr);
  std::unique_ptr<HttpServer> self(new HttpServer(std::move(impl)));
  self->options_ = options;

  GError* error = nullptr;
  gboolean ok;
  if (options.host.empty()) {
    ok = soup_server_listen_all(self->impl_->server, static_cast<guint>(options.port),
                                static_cast<SoupServerListenOptions>(0), &error);
  } else {
    GInetAddress* address = g_inet_address_new_from_string(options.host.c_str());
    if (!address) return unexpected("'" + options.host + "' is not an IP address");
    GSocketAddress* sa = g_inet_socket_address_new(address, static_cast<guint16>(options.port));
    ok = soup_server_listen(self->impl_->server, sa, static_cast<SoupServerListenOptions>(0), &error);
    g_object_unref(sa);
    g_object_unref(address);
  }
  if (!ok) {
    std::string why = error ? error->message : "unknown error";
    if (error) g_error_free(error);
    return unexpected("cannot listen on " + (options.host.empty() ? std::string("*") : options.host) + ":" +
                      std::to_string(options.port) + ": " + why);
  }
  GSList* uris = soup_server_get_uris(self->impl_->server);
  if (uris) {
    auto* uri = static_cast<GUri*>(uris->data);
    self->port_ = g_uri_get_port(uri);
    std::string host = options.host.empty() ? "0.0.0.0" : options.host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    self->url_ = "http://" + host + ":" + std::to_string(self->port_) + "/";
  }
  g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
  soup_server_add_handler(
      self->impl_->server, nullptr,
      [](SoupServer* s, SoupServerMessage* m, const char* p, GHashTable* q, gpointer d) {
        handle(s, m, p, q, d);
      },
      self.get(), nullptr);
  return self;
}

void HttpServer::route(std::string_view method, std::string_view path, Handler handler) {
  routes_.add(method, path, std::move(handler));
}

void HttpServer::handle(void*, void* message, const char* path, void* query, void* data) {
  auto* self = static_cast<HttpServer*>(data);
  auto* msg = static_cast<SoupServerMessage*>(message);
  Request request;
  request.method = soup_server_message_get_method(msg);
  request.path = path ? path : "/";
  if (auto* table = static_cast<GHashTable*>(query)) {
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &k, &v)) {
      request.query[static_cast<const char*>(k)] = v ? static_cast<const char*>(v) : "";
    }
  }
  SoupMessageBody* body = soup_server_message_get_request_body(msg);
  if (body && body->length > 0) request.body.assign(body->data, static_cast<size_t>(body->length));
  SoupMessageHeaders* in_headers = soup_server_message_get_request_headers(msg);
  if (const char* ct = soup_message_headers_get_content_type(in_headers, nullptr)) request.content_type = ct;
  if (const char* accept = soup_message_headers_get_list(in_headers, "Accept")) request.accept = accept;

  Response response;
  RouteTable::Match route = self->routes_.match(request.path);
  request.params = std::move(route.params);
  if (request.method == "TRACE") {
    response = {405, "text/plain", "Method Not Allowed\n", {}};
  } else if (!route.handlers) {
    response = {404, "text/plain", "Not Found\n", {}};
  } else {
    auto handler = route.handlers->find(request.method);
    if (handler == route.handlers->end() && request.method == "HEAD") handler = route.handlers->find("GET");
    if (handler == route.handlers->end()) {
      std::string allow;
      for (const auto& [m, h] : *route.handlers) allow += (allow.empty() ? "" : ", ") + m;
      response = {405, "text/plain", "Method Not Allowed\n", {{"Allow", allow}}};
    } else {
      response = handler->second(request);
    }
  }

  SoupMessageHeaders* out = soup_server_message_get_response_headers(msg);
  for (const auto& [name, value] : response.headers)
    soup_message_headers_replace(out, name.c_str(), value.c_str());
  if (self->options_.cors) {
    soup_message_headers_replace(out, "Access-Control-Allow-Origin", "*");
    soup_message_headers_replace(out, "Access-Control-Allow-Methods", "GET,POST");
    soup_message_headers_replace(out, "Access-Control-Allow-Headers",
                                 "X-Requested-With,Content-Type,Accept,Origin");
  }
  soup_server_message_set_status(msg, static_cast<guint>(response.status), nullptr);
  soup_server_message_set_response(msg, response.content_type.c_str(), SOUP_MEMORY_COPY, response.body.data(),
                                   response.body.size());
}

}  // namespace jvb::http
