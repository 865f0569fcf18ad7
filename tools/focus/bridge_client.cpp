// See bridge_client.hpp. libsoup-3's SoupSession, asynchronous on the thread-default context.
#include "tools/focus/bridge_client.hpp"

#include <libsoup/soup.h>

#include <algorithm>
#include <utility>

#include "bridge/core/log.hpp"

namespace jvb::focus {

struct BridgeClient::Impl {
  SoupSession* session = nullptr;
  GCancellable* cancellable = nullptr;
};

namespace {

const log::Logger kLog{"BridgeClient"};

// What one asynchronous exchange needs when it finishes.
struct Exchange {
  std::function<void(BridgeReply)> finish;
  SoupMessage* message = nullptr;
};

void on_sent(GObject* source, GAsyncResult* result, gpointer data) {
  std::unique_ptr<Exchange> exchange(static_cast<Exchange*>(data));
  BridgeReply reply;
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
  exchange->finish(std::move(reply));
}

}  // namespace

void send_http(SoupSession* session, GCancellable* cancellable, const std::string& method,
               const std::string& url, std::string body, std::function<void(BridgeReply)> done) {
  SoupMessage* message = soup_message_new(method.c_str(), url.c_str());
  if (!message) {
    // Only a malformed URL gets here; answer through the loop like any other failure.
    BridgeReply reply;
    reply.error = "invalid URL " + url;
    auto* call = new std::function<void()>([reply, done = std::move(done)] { done(reply); });
    g_idle_add_full(
        G_PRIORITY_DEFAULT,
        [](gpointer data) -> gboolean {
          std::unique_ptr<std::function<void()>> f(static_cast<std::function<void()>*>(data));
          (*f)();
          return G_SOURCE_REMOVE;
        },
        call, nullptr);
    return;
  }
  if (!body.empty() || method != "GET") {
    GBytes* bytes = g_bytes_new(body.data(), body.size());
    soup_message_set_request_body_from_bytes(message, "application/json", bytes);
    g_bytes_unref(bytes);
  }
  auto* exchange = new Exchange{std::move(done), message};
  soup_session_send_and_read_async(session, message, G_PRIORITY_DEFAULT, cancellable, on_sent, exchange);
}

std::string BridgeReply::describe() const {
  if (status == 0) return "bridge unreachable: " + error;
  std::string text = "HTTP " + std::to_string(status);
  auto end = body.find_last_not_of(" \r\n\t");
  if (end != std::string::npos) text += ": " + body.substr(0, std::min<std::size_t>(end + 1, 300));
  return text;
}

BridgeClient::BridgeClient(std::string base_url)
    : base_url_(std::move(base_url)), impl_(std::make_unique<Impl>()) {
  if (base_url_.empty() || base_url_.back() != '/') base_url_ += '/';
  // A bounded wait: a hung bridge must turn into an error the page can show, not a stuck join.
  impl_->session = soup_session_new_with_options("timeout", 10u, "idle-timeout", 30u, nullptr);
  impl_->cancellable = g_cancellable_new();
}

BridgeClient::~BridgeClient() {
  g_cancellable_cancel(impl_->cancellable);
  g_object_unref(impl_->cancellable);
  g_object_unref(impl_->session);
}

void BridgeClient::send(const std::string& queue, std::string method, std::string path, std::string body,
                        Callback done) {
  auto& q = queues_[queue];
  q.push_back({queue, std::move(method), std::move(path), std::move(body), std::move(done)});
  if (q.size() == 1) start(q.front());
}

void BridgeClient::get(std::string path, Callback done) {
  start({"", "GET", std::move(path), "", std::move(done)});
}

void BridgeClient::start(Request request) {
  std::string url = base_url_ + request.path;
  kLog.fine("{} {} {}", request.method, url, request.body);
  // `alive`: a cancelled request still completes, possibly after the client is gone.
  send_http(impl_->session, impl_->cancellable, request.method, url, std::move(request.body),
            [this, alive = std::weak_ptr<bool>(alive_), queue = request.queue, done = request.done,
             method = request.method, path = request.path](BridgeReply reply) {
              if (alive.expired()) return;
              if (path.rfind("debug", 0) != 0) kLog.fine("{} {} -> {}", method, path, reply.describe());
              if (!queue.empty()) finished(queue);
              done(reply);
            });
}

void BridgeClient::finished(const std::string& queue) {
  auto it = queues_.find(queue);
  if (it == queues_.end() || it->second.empty()) return;
  it->second.pop_front();
  if (it->second.empty()) {
    queues_.erase(it);
  } else {
    start(it->second.front());
  }
}

}  // namespace jvb::focus
