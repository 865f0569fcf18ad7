// PreparedTcpConnection: gloox's stream starts on a socket connected beforehand, and sending
// never blocks the loop: what the peer does not take yet is kept, written in order once it
// reads, and a peer that lets too much pile up is cut off.
#include "xmpp/prepared_tcp_connection.hpp"

#include <doctest/doctest.h>
#include <glib.h>
#include <gloox/connectiondatahandler.h>
#include <gloox/logsink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace jvb::xmpp {
namespace {

struct Handler : gloox::ConnectionDataHandler {
  int connects = 0;
  void handleReceivedData(const gloox::ConnectionBase*, const std::string&) override {}
  void handleConnect(const gloox::ConnectionBase*) override { ++connects; }
  void handleDisconnect(const gloox::ConnectionBase*, gloox::ConnectionError) override {}
};

// A connected pair with small buffers, so that a few hundred kilobytes fill them.
struct SocketPair {
  int ours = -1, peer = -1;
  SocketPair() {
    int fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    ours = fds[0];
    peer = fds[1];
    int small = 16 * 1024;
    setsockopt(ours, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  }
  ~SocketPair() {
    if (peer >= 0) close(peer);
  }
  // Reads what is there without waiting.
  std::string drain() {
    std::string got;
    char buffer[65536];
    ssize_t n;
    while ((n = recv(peer, buffer, sizeof buffer, MSG_DONTWAIT)) > 0)
      got.append(buffer, static_cast<std::size_t>(n));
    return got;
  }
};

std::string pattern(std::size_t size, char seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>(seed + i % 23);
  return s;
}

TEST_CASE("connect() starts the stream on the given socket, once") {
  SocketPair pair;
  Handler handler;
  gloox::LogSink log;
  PreparedTcpConnection connection(&handler, log, "127.0.0.1", 5222, pair.ours);
  CHECK(connection.connect() == gloox::ConnNoError);
  CHECK(handler.connects == 1);
  CHECK(connection.socket() == pair.ours);
  CHECK(connection.send("<stream>"));
  CHECK(pair.drain() == "<stream>");
}

TEST_CASE("a peer that does not read: send() returns at once, and everything arrives in order later") {
  SocketPair pair;
  Handler handler;
  gloox::LogSink log;
  PreparedTcpConnection connection(&handler, log, "127.0.0.1", 5222, pair.ours);
  REQUIRE(connection.connect() == gloox::ConnNoError);
  std::string expected;
  for (char seed : {'a', 'b', 'c', 'd'}) {
    std::string chunk = pattern(200 * 1024, seed);
    CHECK(connection.send(chunk));  // would block on gloox's own send(): nobody reads yet
    expected += chunk;
  }
  CHECK(connection.pending_bytes() > 0);
  std::string got;
  for (int round = 0; round < 100000 && got.size() < expected.size(); ++round) {
    got += pair.drain();
    g_main_context_iteration(nullptr, FALSE);  // the writable watch flushes
  }
  CHECK(got.size() == expected.size());
  CHECK(got == expected);
  CHECK(connection.pending_bytes() == 0);
}

TEST_CASE("more than kMaxPendingBytes waiting: the connection is cut off") {
  SocketPair pair;
  Handler handler;
  gloox::LogSink log;
  PreparedTcpConnection connection(&handler, log, "127.0.0.1", 5222, pair.ours);
  REQUIRE(connection.connect() == gloox::ConnNoError);
  std::string chunk = pattern(1024 * 1024, 'x');
  bool accepted = true;
  for (int i = 0; i < 8 && accepted; ++i) accepted = connection.send(chunk);
  CHECK_FALSE(accepted);
  CHECK(connection.pending_bytes() == 0);
  CHECK_FALSE(connection.send("<presence/>"));
  // The peer sees the end of the stream after what had been written.
  pair.drain();
  char byte;
  CHECK(recv(pair.peer, &byte, 1, MSG_DONTWAIT) == 0);
}

TEST_CASE("a reset peer: send() fails, no SIGPIPE") {
  SocketPair pair;
  Handler handler;
  gloox::LogSink log;
  PreparedTcpConnection connection(&handler, log, "127.0.0.1", 5222, pair.ours);
  REQUIRE(connection.connect() == gloox::ConnNoError);
  close(pair.peer);
  pair.peer = -1;
  CHECK_FALSE(connection.send("<presence/>"));  // EPIPE; the process would die on SIGPIPE
}

}  // namespace
}  // namespace jvb::xmpp
