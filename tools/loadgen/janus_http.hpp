// The load generator's HTTP client towards Janus's REST transport (janus.transport.http): POSTs
// of Janus API requests and the GET long polls that bring a session's events and keep it alive.
// libsoup-3 (through tools/focus's send_http), asynchronous on the thread-default GLib main
// context, with no per-host connection cap: every Janus session keeps one long poll open for the
// whole run, and a capped pool would queue the requests behind them.
//
// Control thread only; callbacks come from the loop, never from inside post() or get().
#pragma once

#include <functional>
#include <memory>
#include <string>

typedef struct _SoupSession SoupSession;
typedef struct _GCancellable GCancellable;

namespace jvb::loadgen {

struct JanusHttpReply {
  unsigned status = 0;  // 0: no HTTP answer (then `error` says why)
  std::string body;
  std::string error;
  bool ok() const { return status == 200; }
  std::string describe() const;  // "HTTP 500: ..." or the transport error
};

class JanusHttp {
 public:
  using Callback = std::function<void(const JanusHttpReply&)>;

  // `base_url` e.g. "http://127.0.0.1:8088/janus"; a trailing slash is removed. Requests longer
  // than `timeout_s` fail (a long poll lasts at most 30 s on Janus's side).
  JanusHttp(std::string base_url, unsigned timeout_s);
  ~JanusHttp();
  JanusHttp(const JanusHttp&) = delete;
  JanusHttp& operator=(const JanusHttp&) = delete;

  // `path` is appended to the base URL ("", "/<session>", "/<session>/<handle>", "?maxev=...").
  void post(const std::string& path, std::string body, Callback done);
  void get(const std::string& path, Callback done);
  // Fails every request in flight (their callbacks do not run).
  void cancel_all();

  const std::string& base_url() const { return base_url_; }

 private:
  void send(const char* method, const std::string& path, std::string body, Callback done);

  std::string base_url_;
  SoupSession* session_ = nullptr;
  GCancellable* cancellable_ = nullptr;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jvb::loadgen
