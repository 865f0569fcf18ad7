// Colibri WebSocket server (as JVB's ColibriWebSocketServlet): the pure URL/pwd helpers, then a
// real HttpServer on 127.0.0.1:0 driven by libsoup's own WebSocket client on the same GLib main
// context. The context is iterated until the awaited event happens, bounded by a deadline.
#include "bridge/http/colibri_ws.hpp"

#include <doctest/doctest.h>
#include <libsoup/soup.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace jvb::http {
namespace {

using namespace std::chrono_literals;
using Kind = ColibriWsRejection::Kind;

// ---------------------------------------------------------------------------------------------
// Pure helpers

TEST_CASE("parse_colibri_ws_request: the checks in JVB's order") {
  auto ok = parse_colibri_ws_request("/colibri-ws/default-id/7e441eda3701676e/79f0273d",
                                     "pwd=Xb3kQ9pLm2Zt7Rv4Yw1Nc8Ds", "default-id");
  REQUIRE(ok);
  CHECK(ok->conference_id == "7e441eda3701676e");
  CHECK(ok->endpoint_id == "79f0273d");
  CHECK(ok->password == "Xb3kQ9pLm2Zt7Rv4Yw1Nc8Ds");

  auto kind = [](std::string_view path, std::optional<std::string_view> query,
                 std::string_view id = "default-id") {
    auto r = parse_colibri_ws_request(path, query, id);
    REQUIRE_FALSE(r);
    return r.error();
  };
  CHECK(kind("/colibri-relay-ws/default-id/c/r", "pwd=x").kind == Kind::kInvalidPath);
  CHECK(kind("/colibri-ws/default-id/c", "pwd=x").kind == Kind::kInvalidPath);
  CHECK(kind("/colibri-ws/default-id/c/", "pwd=x").kind == Kind::kInvalidPath);  // trailing empty dropped
  CHECK(kind("/colibri-ws/", "pwd=x").kind == Kind::kInvalidPath);
  CHECK(kind("/colibri-ws", "pwd=x").kind == Kind::kInvalidPath);
  auto invalid = kind("/colibri-ws/a", "pwd=x");
  CHECK(invalid.status == 404);
  CHECK(invalid.reason == "invalid path");

  // The path is checked before the server id, the server id before the password.
  auto mismatch = kind("/colibri-ws/other-id/c/e", std::nullopt);
  CHECK(mismatch.kind == Kind::kServerIdMismatch);
  CHECK(mismatch.status == 404);
  CHECK(mismatch.reason == "server ID mismatch");
  CHECK(kind("/colibri-ws/jvb-2/c/e", "pwd=x", "jvb-1").kind == Kind::kServerIdMismatch);

  auto missing = kind("/colibri-ws/default-id/c/e", std::nullopt);
  CHECK(missing.kind == Kind::kNoPassword);
  CHECK(missing.status == 403);
  CHECK(missing.reason == "authentication failed");
  CHECK(kind("/colibri-ws/default-id/c/e", "").kind == Kind::kNoPassword);
  CHECK(kind("/colibri-ws/default-id/c/e", "x=1&pwd=abc").kind == Kind::kNoPassword);
  CHECK(kind("/colibri-ws/default-id/c/e", "PWD=abc").kind == Kind::kNoPassword);
  CHECK(kind("/colibri-ws/default-id/c/e", "pwd=ab%zz").kind == Kind::kNoPassword);
}

TEST_CASE("parse_colibri_ws_request: password and segment details") {
  // Everything after pwd= is the password, further parameters included; %XX decoded, '+' kept.
  auto r = parse_colibri_ws_request("/colibri-ws/default-id/c/e", "pwd=a%2Bb+c&x=1", "default-id");
  REQUIRE(r);
  CHECK(r->password == "a+b+c&x=1");
  auto empty = parse_colibri_ws_request("/colibri-ws/default-id/c/e", "pwd=", "default-id");
  REQUIRE(empty);
  CHECK(empty->password.empty());
  // Segments after the third are ignored; inner empty segments are kept (and fail auth later).
  auto extra = parse_colibri_ws_request("/colibri-ws/default-id/c/e/more/stuff", "pwd=p", "default-id");
  REQUIRE(extra);
  CHECK(extra->endpoint_id == "e");
  auto inner = parse_colibri_ws_request("/colibri-ws/default-id//e", "pwd=p", "default-id");
  REQUIRE(inner);
  CHECK(inner->conference_id.empty());
  CHECK(inner->endpoint_id == "e");
}

TEST_CASE("percent_decode") {
  CHECK(percent_decode("") == "");
  CHECK(percent_decode("abc") == "abc");
  CHECK(percent_decode("%41%62%2f") == "Ab/");
  CHECK(percent_decode("a+b") == "a+b");
  CHECK(percent_decode("%C3%A9") == "\xC3\xA9");
  CHECK_FALSE(percent_decode("%"));
  CHECK_FALSE(percent_decode("%4"));
  CHECK_FALSE(percent_decode("a%4"));
  CHECK_FALSE(percent_decode("%g1"));
  CHECK_FALSE(percent_decode("%00"));
}

TEST_CASE("colibri_ws_url") {
  CHECK(colibri_ws_url(true, "meet.example.com:443", "default-id", "7e441eda3701676e", "79f0273d",
                       "Xb3kQ9pLm2Zt7Rv4Yw1Nc8Ds") ==
        "wss://meet.example.com:443/colibri-ws/default-id/7e441eda3701676e/"
        "79f0273d?pwd=Xb3kQ9pLm2Zt7Rv4Yw1Nc8Ds");
  CHECK(colibri_ws_url(false, "10.0.0.1:9090", "jvb-1", "1", "ep", "pw") ==
        "ws://10.0.0.1:9090/colibri-ws/jvb-1/1/ep?pwd=pw");
  // Not expected for real ids, but must survive the round trip through the parser.
  std::string url = colibri_ws_url(false, "h", "id", "c/1", "e p", "a&b=%");
  CHECK(url == "ws://h/colibri-ws/id/c%2F1/e%20p?pwd=a%26b%3D%25");
  auto query = url.substr(url.find('?') + 1);
  auto parsed = parse_colibri_ws_request("/colibri-ws/id/x/e p", query, "id");
  REQUIRE(parsed);
  CHECK(parsed->password == "a&b=%");
}

TEST_CASE("make_colibri_ws_password") {
  std::uint32_t next = 0;
  auto counting = [&next] { return next++; };
  CHECK(make_colibri_ws_password(counting) == "ABCDEFGHIJKLMNOPQRSTUVWX");
  next = 50;
  CHECK(make_colibri_ws_password(counting) == "yz0123456789ABCDEFGHIJKL");  // wraps at 62
  CHECK(make_colibri_ws_password([] { return 0xFFFFFFFFu; }).size() == 24);

  auto a = make_colibri_ws_password();
  auto b = make_colibri_ws_password();
  CHECK(a.size() == kColibriWsPasswordLength);
  CHECK(a != b);
  for (char c : a + b) CHECK(((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')));
}

// ---------------------------------------------------------------------------------------------
// Live server

class FakeOwner : public ColibriWebSocketServer::Owner {
 public:
  struct Entry {
    std::string password;
    std::uint64_t handle;
  };
  std::map<std::pair<std::string, std::string>, Entry> endpoints;
  ColibriWebSocketServer* server = nullptr;
  bool echo = true;  // answer every message with "echo:<text>"

  std::vector<std::string> auth_calls;  // "conf/ep/pwd"
  std::vector<std::uint64_t> opened;
  std::vector<std::pair<std::uint64_t, std::string>> messages;
  std::vector<std::uint64_t> closed;

  void add(std::string conf, std::string ep, std::string pwd, std::uint64_t handle) {
    endpoints[{std::move(conf), std::move(ep)}] = {std::move(pwd), handle};
  }

  std::optional<std::uint64_t> authenticate(std::string_view conf, std::string_view ep,
                                            std::string_view pwd) override {
    auth_calls.push_back(std::string(conf) + "/" + std::string(ep) + "/" + std::string(pwd));
    auto it = endpoints.find({std::string(conf), std::string(ep)});
    if (it == endpoints.end() || it->second.password != pwd) return std::nullopt;
    return it->second.handle;
  }
  void on_open(std::uint64_t endpoint) override {
    opened.push_back(endpoint);
    CHECK(server->is_open(endpoint));
    CHECK(server->send(endpoint, R"({"colibriClass":"ServerHello"})"));
  }
  void on_message(std::uint64_t endpoint, std::string_view text) override {
    messages.emplace_back(endpoint, std::string(text));
    if (echo) server->send(endpoint, "echo:" + std::string(text));
  }
  void on_closed(std::uint64_t endpoint) override {
    CHECK_FALSE(server->is_open(endpoint));
    closed.push_back(endpoint);
  }
};

// One libsoup WebSocket client connection and everything it observed.
struct Client {
  SoupMessage* msg = nullptr;
  SoupWebsocketConnection* conn = nullptr;
  bool done = false;  // the connect attempt finished (either way)
  guint status = 0;
  std::string reason;
  std::vector<std::string> texts;
  bool closed = false;
  int close_code = 0;
  std::string close_reason;

  Client() = default;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() {
    if (conn) {
      g_signal_handlers_disconnect_by_data(conn, this);
      if (soup_websocket_connection_get_state(conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
      g_object_unref(conn);
    }
    if (msg) g_object_unref(msg);
  }

  bool open() const { return conn && !closed; }
  void send(const std::string& text) { soup_websocket_connection_send_text(conn, text.c_str()); }

  static void on_connected(GObject* source, GAsyncResult* result, gpointer data) {
    auto* self = static_cast<Client*>(data);
    GError* error = nullptr;
    self->conn = soup_session_websocket_connect_finish(SOUP_SESSION(source), result, &error);
    self->status = soup_message_get_status(self->msg);
    if (const char* r = soup_message_get_reason_phrase(self->msg)) self->reason = r;
    if (error) g_error_free(error);
    if (self->conn) {
      g_signal_connect(self->conn, "message", G_CALLBACK(on_message), self);
      g_signal_connect(self->conn, "closed", G_CALLBACK(on_closed), self);
    }
    self->done = true;
  }
  static void on_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
    gsize size = 0;
    const auto* bytes = static_cast<const char*>(g_bytes_get_data(message, &size));
    if (type == SOUP_WEBSOCKET_DATA_TEXT) static_cast<Client*>(data)->texts.emplace_back(bytes, size);
  }
  static void on_closed(SoupWebsocketConnection* conn, gpointer data) {
    auto* self = static_cast<Client*>(data);
    self->closed = true;
    self->close_code = soup_websocket_connection_get_close_code(conn);
    if (const char* r = soup_websocket_connection_get_close_data(conn)) self->close_reason = r;
  }
};

// A private main context with a real server, the WebSocket server and a client session on it.
class Fixture {
 public:
  explicit Fixture(ColibriWsOptions options = {}) : context_(g_main_context_new()) {
    g_main_context_push_thread_default(context_);
    auto started = HttpServer::start({"public", "127.0.0.1", 0, false, "", false});
    REQUIRE(started);
    http_ = std::move(*started);
    owner.add("7e441eda3701676e", "79f0273d", "Xb3kQ9pLm2Zt7Rv4Yw1Nc8Ds", 1);
    owner.add("7e441eda3701676e", "aaaa0002", "pw2", 2);
    ws_ = std::make_unique<ColibriWebSocketServer>(*http_, std::move(options), owner);
    owner.server = ws_.get();
    session_ = soup_session_new();
    // Offer permessage-deflate as browsers do (a SoupSession does not by default).
    soup_session_add_feature_by_type(session_, SOUP_TYPE_WEBSOCKET_EXTENSION_MANAGER);
  }
  ~Fixture() {
    clients_.clear();
    g_object_unref(session_);
    ws_.reset();
    http_.reset();
    g_main_context_pop_thread_default(context_);
    g_main_context_unref(context_);
  }

  ColibriWebSocketServer& ws() { return *ws_; }
  const ColibriWsCounters& counters() { return ws_->counters(); }
  std::string base() { return "ws://127.0.0.1:" + std::to_string(http_->port()); }
  std::string url(std::string_view ep = "79f0273d", std::string_view pwd = "Xb3kQ9pLm2Zt7Rv4Yw1Nc8Ds") {
    return base() + "/colibri-ws/default-id/7e441eda3701676e/" + std::string(ep) + "?pwd=" + std::string(pwd);
  }

  // Iterates the context until `done()` holds or `limit` passes; returns done().
  template <class Pred>
  bool run_until(Pred done, std::chrono::milliseconds limit = 10000ms) {
    bool expired = false;
    GSource* deadline = g_timeout_source_new(static_cast<guint>(limit.count()));
    g_source_set_callback(
        deadline,
        [](gpointer flag) -> gboolean {
          *static_cast<bool*>(flag) = true;
          return G_SOURCE_REMOVE;
        },
        &expired, nullptr);
    g_source_attach(deadline, context_);
    while (!done() && !expired) g_main_context_iteration(context_, TRUE);
    g_source_destroy(deadline);
    g_source_unref(deadline);
    return done();
  }
  // Runs the loop for `span` whatever happens (to show that something does NOT happen).
  void run_for(std::chrono::milliseconds span) {
    run_until([] { return false; }, span);
  }

  Client& start_connect(const std::string& url) {
    clients_.push_back(std::make_unique<Client>());
    Client& c = *clients_.back();
    c.msg = soup_message_new("GET", url.c_str());
    REQUIRE(c.msg);
    soup_session_websocket_connect_async(session_, c.msg, nullptr, nullptr, G_PRIORITY_DEFAULT, nullptr,
                                         Client::on_connected, &c);
    return c;
  }
  Client& connect(const std::string& url) {
    Client& c = start_connect(url);
    REQUIRE(run_until([&] { return c.done; }));
    return c;
  }
  // Connects and waits for the ServerHello the fake owner sends from on_open.
  Client& connect_open(const std::string& url) {
    Client& c = connect(url);
    REQUIRE(c.conn);
    REQUIRE(run_until([&] { return !c.texts.empty(); }));
    CHECK(c.texts.front() == R"({"colibriClass":"ServerHello"})");
    return c;
  }

  FakeOwner owner;

 private:
  GMainContext* context_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<ColibriWebSocketServer> ws_;
  SoupSession* session_ = nullptr;
  std::vector<std::unique_ptr<Client>> clients_;
};

TEST_CASE("upgrade refused before the handshake with JVB's status codes") {
  Fixture f;
  struct Case {
    std::string path;
    guint status;
    std::string reason;
  };
  std::vector<Case> cases = {
      {"/colibri-ws/default-id/7e441eda3701676e?pwd=x", 404, "invalid path"},
      {"/colibri-ws/", 404, "invalid path"},
      {"/colibri-ws/other-id/7e441eda3701676e/79f0273d?pwd=Xb3kQ9pLm2Zt7Rv4Yw1Nc8Ds", 404,
       "server ID mismatch"},
      {"/colibri-ws/default-id/7e441eda3701676e/79f0273d", 403, "authentication failed"},
      {"/colibri-ws/default-id/7e441eda3701676e/79f0273d?x=1&pwd=Xb3kQ9pLm2Zt7Rv4Yw1Nc8Ds", 403,
       "authentication failed"},
      {"/colibri-ws/default-id/7e441eda3701676e/79f0273d?pwd=wrong", 403, "authentication failed"},
      {"/colibri-ws/default-id/ffff/79f0273d?pwd=Xb3kQ9pLm2Zt7Rv4Yw1Nc8Ds", 403, "authentication failed"},
      {"/colibri-ws/default-id/7e441eda3701676e/unknown?pwd=Xb3kQ9pLm2Zt7Rv4Yw1Nc8Ds", 403,
       "authentication failed"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.path);
    Client& client = f.connect(f.base() + c.path);
    CHECK_FALSE(client.conn);
    CHECK(client.status == c.status);
    CHECK(client.reason == c.reason);
  }
  // Outside the /colibri-ws/ prefix the HttpServer's own 404 answers.
  Client& other = f.connect(f.base() + "/colibri-wsx/default-id/7e441eda3701676e/79f0273d?pwd=x");
  CHECK_FALSE(other.conn);
  CHECK(other.status == 404);

  CHECK(f.counters().rejected_invalid_path == 2);
  CHECK(f.counters().rejected_server_id == 1);
  CHECK(f.counters().rejected_no_password == 2);
  CHECK(f.counters().rejected_auth == 3);
  CHECK(f.counters().connections_accepted == 0);
  // The owner was asked only for the requests that passed the owner-free checks.
  CHECK(f.owner.auth_calls.size() == 3);
  CHECK(f.owner.opened.empty());
}

TEST_CASE("good pwd: upgrade, on_open, text both ways, binary ignored, peer close") {
  Fixture f;
  // The password arrives percent-decoded.
  Client& c = f.connect_open(f.url("79f0273d", "Xb3kQ9pLm2Zt7Rv4Yw1Nc8D%73"));
  CHECK(f.owner.auth_calls.back() == "7e441eda3701676e/79f0273d/Xb3kQ9pLm2Zt7Rv4Yw1Nc8Ds");
  REQUIRE(f.owner.opened == std::vector<std::uint64_t>{1});
  CHECK(f.ws().is_open(1));
  CHECK_FALSE(f.ws().is_open(2));
  CHECK(f.ws().open_count() == 1);
  CHECK(f.counters().connections_accepted == 1);

  c.send(R"({"colibriClass":"EndpointStats"})");
  REQUIRE(f.run_until([&] { return c.texts.size() == 2; }));
  REQUIRE(f.owner.messages.size() == 1);
  CHECK(f.owner.messages[0] ==
        std::make_pair(std::uint64_t{1}, std::string(R"({"colibriClass":"EndpointStats"})")));
  CHECK(c.texts[1] == R"(echo:{"colibriClass":"EndpointStats"})");

  // A binary frame is counted and dropped; the text after it still arrives.
  const char blob[] = {1, 2, 3};
  soup_websocket_connection_send_binary(c.conn, blob, sizeof blob);
  c.send("after-binary");
  REQUIRE(f.run_until([&] { return f.owner.messages.size() == 2; }));
  CHECK(f.owner.messages[1].second == "after-binary");
  CHECK(f.counters().binary_frames_ignored == 1);
  CHECK(f.counters().messages_in == 2);
  CHECK(f.counters().messages_out == 3);  // hello + 2 echoes

  // Invalid UTF-8 is not sent; an unknown endpoint has no socket.
  CHECK_FALSE(f.ws().send(1, "\xff\xfe"));
  CHECK_FALSE(f.ws().send(2, "{}"));
  CHECK(f.counters().send_failures == 2);

  // Deflate was negotiated (enable-compression defaults to true).
  CHECK(soup_websocket_connection_get_extensions(c.conn) != nullptr);

  soup_websocket_connection_close(c.conn, SOUP_WEBSOCKET_CLOSE_NORMAL, "bye");
  REQUIRE(f.run_until([&] { return !f.owner.closed.empty(); }));
  CHECK(f.owner.closed == std::vector<std::uint64_t>{1});
  CHECK_FALSE(f.ws().is_open(1));
  CHECK(f.counters().closed_by_peer == 1);
  REQUIRE(f.run_until([&] { return c.closed; }));
  CHECK(c.close_code == SOUP_WEBSOCKET_CLOSE_NORMAL);
}

TEST_CASE("a second socket for the endpoint replaces the first with 1000 replaced") {
  Fixture f;
  Client& first = f.connect_open(f.url());
  Client& second = f.connect_open(f.url());
  CHECK(f.owner.opened == std::vector<std::uint64_t>{1, 1});
  REQUIRE(f.run_until([&] { return first.closed; }));
  CHECK(first.close_code == SOUP_WEBSOCKET_CLOSE_NORMAL);
  CHECK(first.close_reason == "replaced");
  CHECK(f.owner.closed.empty());  // the endpoint still has a socket
  CHECK(f.ws().is_open(1));
  CHECK(f.ws().open_count() == 1);
  CHECK(f.counters().replaced == 1);

  CHECK(f.ws().send(1, "to-second"));
  REQUIRE(f.run_until([&] { return second.texts.size() == 2; }));
  CHECK(second.texts[1] == "to-second");
  CHECK(first.texts.size() == 1);  // only its ServerHello
}

TEST_CASE("close(endpoint) gives the client 1001 endpoint closed") {
  Fixture f;
  Client& c = f.connect_open(f.url());
  f.ws().close(1);
  CHECK_FALSE(f.ws().is_open(1));
  CHECK_FALSE(f.ws().send(1, "late"));
  REQUIRE(f.run_until([&] { return c.closed; }));
  CHECK(c.close_code == SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  CHECK(c.close_reason == "endpoint closed");
  CHECK(f.owner.closed.empty());  // the owner asked for it
  CHECK(f.counters().closed_by_owner == 1);
  f.ws().close(1);  // no socket: nothing happens
  CHECK(f.counters().closed_by_owner == 1);
}

TEST_CASE("a message above 64 KiB closes the socket with 1009") {
  Fixture f;
  Client& c = f.connect_open(f.url());
  c.send(std::string(64 * 1024, 'a'));  // at the limit: delivered
  REQUIRE(f.run_until([&] { return f.owner.messages.size() == 1; }));
  CHECK(f.owner.messages[0].second.size() == 64 * 1024);
  c.send(std::string(64 * 1024 + 1, 'b'));
  REQUIRE(f.run_until([&] { return c.closed; }));
  CHECK(c.close_code == SOUP_WEBSOCKET_CLOSE_TOO_BIG);
  CHECK(f.owner.messages.size() == 1);
  CHECK(f.owner.closed == std::vector<std::uint64_t>{1});
  CHECK(f.counters().oversized_messages == 1);
}

TEST_CASE("a frame above libsoup's hard limit drops the connection") {
  ColibriWsOptions options;
  options.compression = false;  // so the frame on the wire really is that big
  Fixture f(options);
  Client& c = f.connect_open(f.url());
  CHECK(soup_websocket_connection_get_extensions(c.conn) == nullptr);
  c.send(std::string(1536 * 1024, 'x'));
  REQUIRE(f.run_until([&] { return c.closed && !f.owner.closed.empty(); }));
  CHECK(f.owner.messages.empty());
  CHECK(f.owner.closed == std::vector<std::uint64_t>{1});
  CHECK(f.counters().oversized_messages == 1);
  CHECK_FALSE(f.ws().is_open(1));
}

TEST_CASE("many sockets at once") {
  Fixture f;
  constexpr int kCount = 40;
  std::vector<Client*> clients;
  for (int i = 0; i < kCount; ++i) {
    std::string ep = "ep" + std::to_string(i);
    f.owner.add("7e441eda3701676e", ep, "pw" + std::to_string(i), 100 + i);
    clients.push_back(&f.start_connect(f.url(ep, "pw" + std::to_string(i))));
  }
  REQUIRE(f.run_until([&] { return f.owner.opened.size() == kCount; }));
  CHECK(f.ws().open_count() == kCount);
  for (int i = 0; i < kCount; ++i) CHECK(f.ws().send(100 + i, "for-" + std::to_string(i)));
  REQUIRE(f.run_until([&] {
    for (auto* c : clients)
      if (c->texts.size() < 2) return false;
    return true;
  }));
  for (int i = 0; i < kCount; ++i) {
    CHECK(clients[i]->texts[1] == "for-" + std::to_string(i));
    clients[i]->send("from-" + std::to_string(i));
  }
  REQUIRE(f.run_until([&] { return f.owner.messages.size() == kCount; }));
  for (const auto& [endpoint, text] : f.owner.messages)
    CHECK(text == "from-" + std::to_string(endpoint - 100));
  for (int i = 0; i < kCount; i += 2) f.ws().close(100 + i);
  REQUIRE(f.run_until([&] {
    for (int i = 0; i < kCount; i += 2)
      if (!clients[i]->closed) return false;
    return true;
  }));
  CHECK(f.ws().open_count() == kCount / 2);
  for (int i = 1; i < kCount; i += 2) CHECK(clients[i]->open());
}

TEST_CASE("idle timeout: nothing received closes with 1001, traffic keeps the socket") {
  ColibriWsOptions options;
  options.send_pings = false;
  options.idle_timeout = 300ms;
  Fixture f(options);
  f.owner.echo = false;

  Client& busy = f.connect_open(f.url("aaaa0002", "pw2"));
  auto started = std::chrono::steady_clock::now();
  Client& idle = f.connect_open(f.url());
  // `busy` talks every 60 ms for 3.5 idle periods; `idle` stays silent.
  auto talk_until = started + 1050ms;
  while (std::chrono::steady_clock::now() < talk_until) {
    busy.send("tick");
    f.run_for(60ms);
  }
  CHECK(idle.closed);
  CHECK(idle.close_code == SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  CHECK(idle.close_reason == "idle timeout");
  CHECK(f.owner.closed == std::vector<std::uint64_t>{1});
  CHECK(f.counters().idle_timeouts == 1);
  CHECK(busy.open());
  CHECK(f.ws().is_open(2));
}

TEST_CASE("the idle timer does not fire early") {
  ColibriWsOptions options;
  options.send_pings = false;
  options.idle_timeout = 250ms;
  Fixture f(options);
  auto start = std::chrono::steady_clock::now();
  Client& c = f.connect_open(f.url());
  REQUIRE(f.run_until([&] { return c.closed; }));
  CHECK(std::chrono::steady_clock::now() - start >= 250ms);
  CHECK(f.counters().idle_timeouts == 1);
}

TEST_CASE("keepalive pings go out and the client answers them") {
  ColibriWsOptions options;
  options.ping_interval = 1s;  // libsoup's keepalive has whole-second resolution
  options.idle_timeout = 10s;
  Fixture f(options);
  f.connect_open(f.url());
  REQUIRE(f.run_until([&] { return f.counters().pongs_received >= 1; }));
  CHECK(f.ws().is_open(1));
}

}  // namespace
}  // namespace jvb::http
