// The MUC-client signaling plugin, the way a stock Jicofo finds and uses bridges (Jicofo's
// BridgeMucDetector; jicoco's MucClient on JVB's side): one per XMPP account of
// videobridge.apis.xmpp-client.configs. It logs in to the server, joins every brewery room with
// the bridge's nickname (the join presence is built by hand: it carries the stats, which gloox's
// MUCRoom cannot), publishes the stats presence every presence interval, and answers the IQs
// that reach it through the rooms. IQs from anywhere else are refused with `forbidden`, as JVB does.
//
// A lost connection changes nothing but signaling: conferences keep running, the stream is
// re-established with backoff (xmpp_session.hpp), and the rooms are joined again.
//
// Control thread only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gloox/presencehandler.h>

#include "config/bridge_config.hpp"
#include "xmpp/bridge_iq.hpp"
#include "xmpp/stats_presence.hpp"

namespace jvb::xmpp {

class IqRouter;
class XmppSession;

class MucClient : gloox::PresenceHandler {
 public:
  // `services` and `stats` must outlive the client.
  MucClient(config::XmppAccount account, std::chrono::milliseconds presence_interval,
            const BridgeIqServices& services, std::function<BridgeStats()> stats);
  ~MucClient() override;
  MucClient(const MucClient&) = delete;
  MucClient& operator=(const MucClient&) = delete;

  void start();
  // Leaves the rooms and closes the stream (a clean exit, so Jicofo sees the bridge leave).
  void stop();

  // Sends the stats presence now rather than at the next interval (a drain or shutdown change
  // should reach Jicofo before it picks this bridge again, or before the bridge exits).
  void publish_now() { publish(); }

  bool online() const;
  int rooms_joined() const;
  const config::XmppAccount& account() const { return account_; }

 private:
  struct Room {
    std::string jid;  // lower case, as the server reports it
    bool joined = false;
    bool join_sent = false;
  };

  void on_online();
  void on_offline();
  void publish();
  void send_presence(Room& room, bool join);
  void submit_instant_room_form(const Room& room);
  void handlePresence(const gloox::Presence& presence) override;

  config::XmppAccount account_;
  std::chrono::milliseconds presence_interval_;
  std::function<BridgeStats()> stats_;
  std::unique_ptr<XmppSession> session_;
  std::unique_ptr<IqRouter> router_;
  std::vector<Room> rooms_;
  unsigned presence_timer_ = 0;
};

}  // namespace jvb::xmpp
