// See prepared_tcp_connection.hpp.
#include "xmpp/prepared_tcp_connection.hpp"

#include <glib-unix.h>
#include <glib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace jvb::xmpp {

PreparedTcpConnection::PreparedTcpConnection(gloox::ConnectionDataHandler* handler, const gloox::LogSink& log,
                                             const std::string& host, int port, int fd)
    : ConnectionTCPClient(handler, log, host, port), fd_(fd) {}

PreparedTcpConnection::~PreparedTcpConnection() {
  if (writable_watch_ != 0) g_source_remove(writable_watch_);
  if (fd_ >= 0) ::close(fd_);
}

gloox::ConnectionError PreparedTcpConnection::connect() {
  if (!m_handler) return gloox::ConnNotConnected;
  if (fd_ < 0) return gloox::ConnNotConnected;  // a socket is used for one stream only
  m_socket = fd_;
  fd_ = -1;
  m_state = gloox::StateConnected;
  m_cancel = false;
  m_handler->handleConnect(this);
  return gloox::ConnNoError;
}

bool PreparedTcpConnection::send(const std::string& data) {
  if (m_socket < 0 || broken_) return false;
  if (pending_.empty()) {
    std::size_t sent = write_some(data.data(), data.size());
    if (sent == data.size()) return true;
    if (broken_) return false;
    pending_.append(data, sent, std::string::npos);
  } else {
    pending_ += data;
  }
  if (pending_.size() > kMaxPendingBytes) {
    broken_ = true;
    ::shutdown(m_socket, SHUT_RDWR);
    pending_.clear();
    return false;
  }
  if (writable_watch_ == 0) {
    writable_watch_ = g_unix_fd_add(m_socket, G_IO_OUT, &on_writable, this);
  }
  return true;
}

gboolean PreparedTcpConnection::on_writable(gint, GIOCondition, gpointer data) {
  auto* self = static_cast<PreparedTcpConnection*>(data);
  std::size_t sent = self->write_some(self->pending_.data(), self->pending_.size());
  self->pending_.erase(0, sent);
  if (!self->pending_.empty() && !self->broken_) return G_SOURCE_CONTINUE;
  self->pending_.clear();
  self->writable_watch_ = 0;
  return G_SOURCE_REMOVE;
}

void PreparedTcpConnection::disconnect() {
  if (writable_watch_ != 0) g_source_remove(writable_watch_);
  writable_watch_ = 0;
  pending_.clear();
  ConnectionTCPClient::disconnect();
}

// Writes what the socket takes now; a hard error marks the connection broken and shuts the
// socket down, so the read side reports the loss. MSG_NOSIGNAL: a reset peer must not raise
// SIGPIPE.
std::size_t PreparedTcpConnection::write_some(const char* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size && !broken_) {
    ssize_t n = ::send(m_socket, data + done, size - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      m_totalBytesOut += n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      broken_ = true;
      ::shutdown(m_socket, SHUT_RDWR);
    }
  }
  return done;
}

}  // namespace jvb::xmpp
