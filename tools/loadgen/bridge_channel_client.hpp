// The bridge channel of one synthetic endpoint over colibri-ws (JVB's ColibriWebSocket): a
// libsoup-3 WebSocket client dialling the URL the bridge advertised in its Colibri2 answer
// (with the endpoint's pwd), sending the receiver's messages once the socket is open and
// counting what the bridge sends (ServerHello, ForwardedSources, ...). We use colibri-ws rather
// than the SCTP data channel because sctp/ is the passive side only, as the bridge needs it,
// and a browser-like initiator would have to open the association and the DCEP channel itself.
//
// Control thread only (the thread-default GLib main context); callbacks come from the loop and
// never from inside the constructor or send().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

typedef struct _SoupSession SoupSession;

namespace jvb::loadgen {

class BridgeChannelClient {
 public:
  // `on_open` runs once the WebSocket is up (before any message is handled); `on_closed` when
  // the connect failed or the socket closed, with a reason.
  BridgeChannelClient(SoupSession* session, std::string url, std::function<void()> on_open,
                      std::function<void(const std::string&)> on_closed);
  ~BridgeChannelClient();
  BridgeChannelClient(const BridgeChannelClient&) = delete;
  BridgeChannelClient& operator=(const BridgeChannelClient&) = delete;

  // Sent now when open, else queued until it opens.
  void send(std::string text);
  bool open() const;
  // Messages received by colibriClass ("?" when the text did not parse).
  const std::map<std::string, std::uint64_t>& received() const { return received_; }

 private:
  struct Impl;
  static void on_connected(void* source, void* result, void* data);
  static void on_message(void* connection, int type, void* bytes, void* data);
  static void on_close(void* connection, void* data);

  std::unique_ptr<Impl> impl_;
  std::function<void()> on_open_;
  std::function<void(const std::string&)> on_closed_;
  std::vector<std::string> pending_;
  std::map<std::string, std::uint64_t> received_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace jvb::loadgen
