// The focus's HTTP client towards the bridge's private server: Colibri2 over REST (JVB's
// /colibri/v2/conferences) and the debug stats. Requests of one conference are sent one at a time,
// in the order they were made, because Colibri2 requests must be applied in order (as JVB's
// Videobridge.handleColibriRequest applies them) and separate HTTP connections could reorder them.
//
// Control thread only (the thread-default GLib main context); callbacks run from the main loop,
// never from inside send(), and may call send() again.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

typedef struct _SoupSession SoupSession;
typedef struct _GCancellable GCancellable;

namespace jvb::focus {

struct BridgeReply {
  unsigned status = 0;  // 0: no HTTP answer at all (then `error` says why)
  std::string body;
  std::string error;
  bool ok() const { return status == 200; }
  // "HTTP 404: body" or the transport error, for logs and the page.
  std::string describe() const;
};

// One asynchronous libsoup-3 exchange (BridgeClient's, and tools/loadgen's Janus client's):
// `method` on `url`, with `body` as application/json unless it is an empty GET. `done` runs from
// the loop, never from inside this call, with the answer or (status 0) why there was none, a
// malformed URL included; after `cancellable` is cancelled it still runs, with the error.
void send_http(SoupSession* session, GCancellable* cancellable, const std::string& method,
               const std::string& url, std::string body, std::function<void(BridgeReply)> done);

class BridgeClient {
 public:
  using Callback = std::function<void(const BridgeReply&)>;

  // `base_url` e.g. "http://127.0.0.1:8080/"; a missing trailing slash is added.
  explicit BridgeClient(std::string base_url);
  ~BridgeClient();
  BridgeClient(const BridgeClient&) = delete;
  BridgeClient& operator=(const BridgeClient&) = delete;

  // Sends after every earlier request with the same `queue` key has been answered.
  void send(const std::string& queue, std::string method, std::string path, std::string body, Callback done);
  // Sends right away (reads that need no ordering).
  void get(std::string path, Callback done);

  const std::string& base_url() const { return base_url_; }

 private:
  struct Request {
    std::string queue;  // empty: not queued
    std::string method, path, body;
    Callback done;
  };
  struct Impl;

  void start(Request request);
  void finished(const std::string& queue);

  std::string base_url_;
  std::unique_ptr<Impl> impl_;
  std::map<std::string, std::deque<Request>> queues_;  // front = in flight
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jvb::focus
