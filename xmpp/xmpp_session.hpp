// One XMPP stream (RFC 6120 client or XEP-0114 component) kept up on the GLib main loop: the TCP
// connect is asynchronous (GSocketClient, bounded), the connected socket is handed to gloox,
// gloox is driven by an fd watch calling recv(0) (it has no threads of its own), and a lost
// stream is re-established with capped exponential backoff for as long as the session runs.
// XEP-0199 pings every keepalive interval detect a peer that stopped answering.
//
// gloox's own connect() would resolve and connect synchronously, which could stall the control
// loop (and the media on it) for a TCP timeout; so does its send(), which is why the socket gets a
// send timeout. The TLS certificate is checked against the stream's domain, not the host name
// connected to, as an XMPP client must (RFC 6120 §13.7.2).
//
// Control thread only: construct, use and destroy on the thread that runs the default GLib main
// context; every callback runs from that loop, never from inside start() or stop().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <gloox/clientbase.h>
#include <gloox/connectionlistener.h>
#include <gloox/eventhandler.h>

namespace jvb::xmpp {

struct SessionOptions {
  std::string name;  // in every log line, e.g. the account id "shard"
  std::string host;  // TCP target; an IP literal or a name resolved asynchronously
  int port = 5222;
  // Accept a certificate that does not validate (self-signed, other name).
  bool disable_certificate_verification = false;
  // Where XEP-0199 pings go; empty sends whitespace keepalives instead (a component has no
  // server JID of its own to ping).
  std::string ping_target;
  std::chrono::milliseconds keepalive_interval{30'000};
  int keepalive_failures = 2;  // unanswered pings in a row before the stream is dropped
  // Bounds the TCP connect (per address tried, in whole seconds) and, once connected, the
  // stream negotiation and authentication.
  std::chrono::milliseconds login_timeout{10'000};
  // Reconnect delays: the first retry after `first_retry`, doubling up to `max_retry`, each
  // drawn from [delay/2, delay] so a fleet of bridges does not reconnect in lockstep.
  std::chrono::milliseconds first_retry{250};
  std::chrono::milliseconds max_retry{3'000};
};

class XmppSession : gloox::ConnectionListener, gloox::EventHandler {
 public:
  // `stream` is a configured gloox::Client or gloox::Component that has not connected; the
  // session owns it. Nothing happens before start().
  XmppSession(SessionOptions options, std::unique_ptr<gloox::ClientBase> stream);
  ~XmppSession() override;
  XmppSession(const XmppSession&) = delete;
  XmppSession& operator=(const XmppSession&) = delete;

  // Runs when the stream is authenticated (and, for a client, bound): send the presences.
  std::function<void()> on_online;
  // Runs once per online period when it ends; `reason` is for the log.
  std::function<void(const std::string& reason)> on_offline;

  void start();  // connect now, then keep connected
  void stop();   // close the stream politely; no more reconnects until start()

  bool online() const { return online_; }
  gloox::ClientBase& stream() { return *stream_; }
  const SessionOptions& options() const { return options_; }
  // Streams established since start(), the first included.
  int connections() const { return connections_; }

 private:
  struct Connect;

  void abandon_connect();
  void schedule_attempt(std::chrono::milliseconds delay);
  void attempt();
  void on_tcp_connected(int fd);
  void on_tcp_failed(const std::string& error);
  void lost(const std::string& reason);
  void cleanup_after_loss();
  void keepalive();
  void clear_sources();

  // gloox::ConnectionListener
  void onConnect() override;
  void onDisconnect(gloox::ConnectionError error) override;
  bool onTLSConnect(const gloox::CertInfo& info) override;
  void onResourceBind(const std::string&) override {}
  void onResourceBindError(const gloox::Error*) override {}
  void onSessionCreateError(const gloox::Error*) override {}
  void onStreamEvent(gloox::StreamEvent) override {}
  // gloox::EventHandler (XEP-0199 answers)
  void handleEvent(const gloox::Event& event) override;

  SessionOptions options_;
  std::unique_ptr<gloox::ClientBase> stream_;
  std::unique_ptr<gloox::LogHandler> log_bridge_;
  std::unique_ptr<Connect> connect_;  // the TCP connect in flight
  bool running_ = false;
  bool online_ = false;
  bool streaming_ = false;  // gloox owns a socket (from TCP connect to loss)
  std::string loss_reason_;
  int connections_ = 0;
  int unanswered_pings_ = 0;
  std::chrono::milliseconds next_delay_{0};
  unsigned watch_ = 0;        // fd watch feeding recv(0)
  unsigned retry_timer_ = 0;  // next attempt
  unsigned login_timer_ = 0;  // stream must be online by then
  unsigned keepalive_timer_ = 0;
  unsigned cleanup_idle_ = 0;
};

// A readable description of a gloox stream error, e.g. "authentication failed (not-authorized)".
std::string describe_connection_error(gloox::ConnectionError error, const gloox::ClientBase& stream);

}  // namespace jvb::xmpp
