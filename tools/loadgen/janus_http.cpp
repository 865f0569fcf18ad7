// See janus_http.hpp.
#include "tools/loadgen/janus_http.hpp"

#include <libsoup/soup.h>

#include <algorithm>

namespace jvb::loadgen {
namespace {

// What one exchange needs when it completes; `alive` tells whether the client still exists and
// has not cancelled (a cancelled exchange still completes, possibly after the client is gone).
struct Exchange {
  std::weak_ptr<bool> alive;
  JanusHttp::Callback done;
  SoupMessage* message = nullptr;
};

void on_sent(GObject* source, GAsyncResult* result, gpointer data) {
  std::unique_ptr<Exchange> exchange(static_cast<Exchange*>(data));
  JanusHttpReply reply;
  GError* error = nullptr;
  GBytes* bytes = soup_session_send_and_read_finish(SOUP_SESSION(source), result, &error);
  if (bytes) {
    reply.status = soup_message_get_status(exchange->message);
    gsize size = 0;
    const char* text = static_cast<const char*>(g_bytes_get_data(bytes, &size));
    reply.body.assign(text ? text : "", size);
    g_bytes_unref(bytes);
  } else {
    reply.error = error ? error->message : "unknown error";
    g_clear_error(&error);
  }
  g_object_unref(exchange->message);
  auto alive = exchange->alive.lock();
  if (alive && *alive) exchange->done(reply);
}

}  // namespace

std::string JanusHttpReply::describe() const {
  if (status == 0) return "Janus unreachable: " + error;
  std::string text = "HTTP " + std::to_string(status);
  if (!body.empty()) text += ": " + body.substr(0, std::min<std::size_t>(body.size(), 300));
  return text;
}

JanusHttp::JanusHttp(std::string base_url, unsigned timeout_s) : base_url_(std::move(base_url)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  session_ = soup_session_new_with_options("max-conns", 65535, "max-conns-per-host", 65535, "timeout",
                                           timeout_s, nullptr);
  cancellable_ = g_cancellable_new();
}

JanusHttp::~JanusHttp() {
  *alive_ = false;
  g_cancellable_cancel(cancellable_);
  g_object_unref(cancellable_);
  g_object_unref(session_);
}

void JanusHttp::post(const std::string& path, std::string body, Callback done) {
  send("POST", path, std::move(body), std::move(done));
}

void JanusHttp::get(const std::string& path, Callback done) { send("GET", path, "", std::move(done)); }

void JanusHttp::cancel_all() {
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  g_cancellable_cancel(cancellable_);
  g_object_unref(cancellable_);
  cancellable_ = g_cancellable_new();
}

void JanusHttp::send(const char* method, const std::string& path, std::string body, Callback done) {
  std::string url = base_url_ + path;
  SoupMessage* message = soup_message_new(method, url.c_str());
  if (!message) {
    // Only a malformed URL gets here; answer through the loop like any other failure.
    auto* call =
        new std::pair<std::weak_ptr<bool>, std::function<void()>>(alive_, [done = std::move(done), url] {
          done(JanusHttpReply{0, "", "invalid URL " + url});
        });
    g_idle_add(
        [](gpointer data) -> gboolean {
          std::unique_ptr<std::pair<std::weak_ptr<bool>, std::function<void()>>> f(
              static_cast<std::pair<std::weak_ptr<bool>, std::function<void()>>*>(data));
          auto alive = f->first.lock();
          if (alive && *alive) f->second();
          return G_SOURCE_REMOVE;
        },
        call);
    return;
  }
  if (std::string_view(method) == "POST") {
    GBytes* bytes = g_bytes_new(body.data(), body.size());
    soup_message_set_request_body_from_bytes(message, "application/json", bytes);
    g_bytes_unref(bytes);
  }
  auto* exchange = new Exchange{alive_, std::move(done), message};
  soup_session_send_and_read_async(session_, message, G_PRIORITY_DEFAULT, cancellable_, on_sent, exchange);
}

}  // namespace jvb::loadgen
