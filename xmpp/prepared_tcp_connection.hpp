// The TCP connection under the bridge's gloox streams (xmpp_session.hpp): its socket is
// connected before gloox sees it (asynchronously, so gloox's own resolve-and-connect never
// blocks the control loop), and connect() only starts the XMPP stream on it. gloox closes the
// socket when the stream ends.
//
// Sending never blocks the loop either: gloox's own send() loops on a blocking socket, so a peer
// that reads slowly would hold the loop and the media on it. What the socket does not take at
// once is kept and written when it is writable again (a GLib fd watch on the default main
// context). A peer that lets more than kMaxPendingBytes pile up is cut off: the socket is shut
// down, which the read side reports as a lost stream.
//
// Control thread only.
#pragma once

#include <cstddef>
#include <string>

#include <glib.h>
#include <gloox/connectiontcpclient.h>

namespace jvb::xmpp {

class PreparedTcpConnection : public gloox::ConnectionTCPClient {
 public:
  static constexpr std::size_t kMaxPendingBytes = 4 << 20;

  // Takes `fd`, a connected stream socket; `host` and `port` are for gloox's logs.
  PreparedTcpConnection(gloox::ConnectionDataHandler* handler, const gloox::LogSink& log,
                        const std::string& host, int port, int fd);
  ~PreparedTcpConnection() override;
  PreparedTcpConnection(const PreparedTcpConnection&) = delete;
  PreparedTcpConnection& operator=(const PreparedTcpConnection&) = delete;

  gloox::ConnectionError connect() override;
  bool send(const std::string& data) override;
  void disconnect() override;

  // Bytes accepted by send() and not yet written to the socket.
  std::size_t pending_bytes() const { return pending_.size(); }

 private:
  std::size_t write_some(const char* data, std::size_t size);
  static gboolean on_writable(gint fd, GIOCondition condition, gpointer self);

  int fd_;  // until connect() hands it to gloox
  std::string pending_;
  unsigned writable_watch_ = 0;
  bool broken_ = false;
};

}  // namespace jvb::xmpp
