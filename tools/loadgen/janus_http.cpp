// See janus_http.hpp.
#include "tools/loadgen/janus_http.hpp"

#include <libsoup/soup.h>

#include <algorithm>

#include "tools/focus/bridge_client.hpp"

namespace jvb::loadgen {

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
  // `alive` tells whether this client still exists and has not cancelled (a cancelled exchange
  // still completes, possibly after the client is gone).
  focus::send_http(session_, cancellable_, method, base_url_ + path, std::move(body),
                   [alive = std::weak_ptr<bool>(alive_), done = std::move(done)](focus::BridgeReply reply) {
                     auto still = alive.lock();
                     if (still && *still)
                       done(JanusHttpReply{reply.status, std::move(reply.body), std::move(reply.error)});
                   });
}

}  // namespace jvb::loadgen
