// See xmpp_session.hpp.
#include "xmpp/xmpp_session.hpp"

#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib.h>
#include <gloox/client.h>
#include <gloox/component.h>
#include <gloox/connectiontcpclient.h>
#include <gloox/event.h>
#include <gloox/loghandler.h>
#include <gloox/logsink.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <random>

#include <fmt/format.h>

#include "bridge/core/log.hpp"
#include "xmpp/prepared_tcp_connection.hpp"

namespace jvb::xmpp {
namespace {

constexpr log::Logger kLog{"XmppSession"};
constexpr int kDeadPeerS = 60;
constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

void remove_source(unsigned& id) {
  if (id != 0) g_source_remove(id);
  id = 0;
}

// gloox's log lines at fine level (every stanza is logged at debug, so only when asked for).
// SASL PLAIN sends the password in base64, and the component handshake a hash of the secret:
// logs get pasted into bug reports.
bool carries_credentials(const std::string& xml) {
  return xml.find("<auth ") != std::string::npos || xml.find("<response") != std::string::npos ||
         xml.find("<handshake") != std::string::npos;
}

class GlooxLog : public gloox::LogHandler {
 public:
  explicit GlooxLog(std::string name) : name_(std::move(name)) {}
  void handleLog(gloox::LogLevel level, gloox::LogArea, const std::string& message) override {
    if (level >= gloox::LogLevelError) {
      kLog.warn("[{}] gloox: {}", name_, message);
    } else if (carries_credentials(message)) {
      kLog.fine("[{}] (authentication exchange not logged)", name_);
    } else {
      kLog.fine("[{}] {}", name_, message);
    }
  }

 private:
  std::string name_;
};

guint add_timeout(std::chrono::milliseconds delay, GSourceFunc f, gpointer data) {
  return g_timeout_add(static_cast<guint>(std::max<std::int64_t>(delay.count(), 0)), f, data);
}

// gloox has no public disconnect on the common base class.
void disconnect_stream(gloox::ClientBase& stream) {
  if (auto* client = dynamic_cast<gloox::Client*>(&stream)) {
    client->disconnect();
  } else if (auto* component = dynamic_cast<gloox::Component*>(&stream)) {
    component->disconnect();
  }
}

}  // namespace

// The asynchronous TCP connect of one attempt. Cancelled (and its callback ignored) when the
// session stops or is destroyed first.
struct XmppSession::Connect {
  XmppSession* session;
  GCancellable* cancellable = g_cancellable_new();
  GSocketClient* client = g_socket_client_new();

  // Straight to the XMPP server: a bridge must not follow a desktop proxy setting, and looking one
  // up loads GIO's proxy resolver, which reads GSettings (dconf, which wants a writable home).
  explicit Connect(XmppSession* s) : session(s) { g_socket_client_set_enable_proxy(client, FALSE); }
  ~Connect() {
    g_object_unref(client);
    g_object_unref(cancellable);
  }
  Connect(const Connect&) = delete;
  Connect& operator=(const Connect&) = delete;

  // Owned by the GTask while in flight; `session` is cleared when the session gives up on it.
  static void finished(GObject* source, GAsyncResult* result, gpointer data) {
    auto* self = static_cast<Connect*>(data);
    GError* error = nullptr;
    GSocketConnection* connection = g_socket_client_connect_finish(G_SOCKET_CLIENT(source), result, &error);
    XmppSession* session = self->session;
    if (session == nullptr) {  // abandoned: the session is gone or stopped
      if (connection) g_object_unref(connection);
      if (error) g_error_free(error);
      delete self;
      return;
    }
    std::unique_ptr<Connect> owned(std::move(session->connect_));
    if (!connection) {
      std::string message = error ? error->message : "unknown error";
      if (error) g_error_free(error);
      session->on_tcp_failed(message);
      return;
    }
    // gloox wants a blocking socket of its own: dup it, and let GIO close the original.
    int fd = fcntl(g_socket_get_fd(g_socket_connection_get_socket(connection)), F_DUPFD_CLOEXEC, 0);
    g_object_unref(connection);
    if (fd < 0) {
      session->on_tcp_failed("dup of the connected socket failed");
      return;
    }
    // gloox reads only when the socket is readable; sends never wait (PreparedTcpConnection).
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    // A peer that vanished without a FIN: data unacknowledged for kDeadPeerS, or an idle link
    // whose keepalive probes go unanswered, ends the stream (XEP-0199 pings cover clients; a
    // component has only whitespace keepalives, which this turns into a check).
    int on = 1, idle = kDeadPeerS / 2, interval = kDeadPeerS / 6, probes = 3;
    unsigned user_timeout_ms = kDeadPeerS * 1000;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
    session->on_tcp_connected(fd);
  }
};

XmppSession::XmppSession(SessionOptions options, std::unique_ptr<gloox::ClientBase> stream)
    : options_(std::move(options)), stream_(std::move(stream)) {
  stream_->registerConnectionListener(this);
  log_bridge_ = std::make_unique<GlooxLog>(options_.name);
  stream_->logInstance().registerLogHandler(
      log::enabled(log::Level::kFine) ? gloox::LogLevelDebug : gloox::LogLevelError, gloox::LogAreaAll,
      log_bridge_.get());
  if (access(kSystemCaBundle, R_OK) == 0) stream_->setCACerts({kSystemCaBundle});
  next_delay_ = options_.first_retry;
}

XmppSession::~XmppSession() {
  running_ = false;
  abandon_connect();
  clear_sources();
  remove_source(cleanup_idle_);
  // Not listening any more: the disconnect must not schedule work on a dead session.
  stream_->removeConnectionListener(this);
  if (streaming_) disconnect_stream(*stream_);
  stream_->logInstance().removeLogHandler(log_bridge_.get());
}

// The connect in flight, if any, is cancelled; its callback still runs and frees it.
void XmppSession::abandon_connect() {
  if (!connect_) return;
  g_cancellable_cancel(connect_->cancellable);
  connect_->session = nullptr;
  connect_.release();
}

void XmppSession::start() {
  if (running_) return;
  running_ = true;
  next_delay_ = options_.first_retry;
  schedule_attempt(std::chrono::milliseconds(0));
}

void XmppSession::stop() {
  if (!running_) return;
  running_ = false;
  abandon_connect();
  remove_source(retry_timer_);
  if (streaming_) disconnect_stream(*stream_);  // reports through onDisconnect
}

void XmppSession::schedule_attempt(std::chrono::milliseconds delay) {
  remove_source(retry_timer_);
  retry_timer_ = add_timeout(
      delay,
      [](gpointer data) -> gboolean {
        auto* self = static_cast<XmppSession*>(data);
        self->retry_timer_ = 0;
        self->attempt();
        return G_SOURCE_REMOVE;
      },
      this);
}

void XmppSession::attempt() {
  if (cleanup_idle_ != 0) {        // a loss not yet cleaned up (stop() then start()): finish it, and
    remove_source(cleanup_idle_);  // it schedules the next attempt
    cleanup_after_loss();
    return;
  }
  if (!running_ || streaming_ || connect_) return;
  kLog.fine("[{}] connecting to {}:{}", options_.name, options_.host, options_.port);
  connect_ = std::make_unique<Connect>(this);
  g_socket_client_set_timeout(
      connect_->client, static_cast<guint>(std::max<std::int64_t>(
                            std::chrono::ceil<std::chrono::seconds>(options_.login_timeout).count(), 1)));
  GSocketConnectable* address =
      g_network_address_new(options_.host.c_str(), static_cast<guint16>(options_.port));
  g_socket_client_connect_async(connect_->client, address, connect_->cancellable, Connect::finished,
                                connect_.get());
  g_object_unref(address);
}

void XmppSession::on_tcp_failed(const std::string& error) {
  static thread_local std::minstd_rand random{std::random_device{}()};
  auto half = next_delay_.count() / 2;
  std::chrono::milliseconds delay(half +
                                  static_cast<std::int64_t>(random() % static_cast<unsigned>(half + 1)));
  next_delay_ = std::min(next_delay_ * 2, options_.max_retry);
  kLog.warn("[{}] cannot connect to {}:{}: {}; retrying in {} ms", options_.name, options_.host,
            options_.port, error, delay.count());
  schedule_attempt(delay);
}

void XmppSession::on_tcp_connected(int fd) {
  if (!running_) {
    ::close(fd);
    return;
  }
  streaming_ = true;
  stream_->setConnectionImpl(
      new PreparedTcpConnection(stream_.get(), stream_->logInstance(), options_.host, options_.port, fd));
  if (!stream_->connect(false)) {
    streaming_ = false;
    on_tcp_failed("the XMPP stream could not be started");
    return;
  }
  watch_ = g_unix_fd_add(
      fd, static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR),
      [](gint, GIOCondition, gpointer data) -> gboolean {
        auto* self = static_cast<XmppSession*>(data);
        gloox::ConnectionError error = self->stream_->recv(0);
        if (error == gloox::ConnNoError) return G_SOURCE_CONTINUE;
        self->watch_ = 0;
        // gloox has reported through onDisconnect already; make sure a loss is handled even
        // if it did not.
        self->lost(describe_connection_error(error, *self->stream_));
        return G_SOURCE_REMOVE;
      },
      this);
  login_timer_ = add_timeout(
      options_.login_timeout,
      [](gpointer data) -> gboolean {
        auto* self = static_cast<XmppSession*>(data);
        self->login_timer_ = 0;
        self->loss_reason_ =
            fmt::format("no XMPP session within {} ms of connecting", self->options_.login_timeout.count());
        disconnect_stream(*self->stream_);
        return G_SOURCE_REMOVE;
      },
      this);
}

void XmppSession::onConnect() {
  remove_source(login_timer_);
  online_ = true;
  ++connections_;
  unanswered_pings_ = 0;
  next_delay_ = options_.first_retry;
  kLog.info("[{}] connected to {}:{}", options_.name, options_.host, options_.port);
  remove_source(keepalive_timer_);
  keepalive_timer_ = add_timeout(
      options_.keepalive_interval,
      [](gpointer data) -> gboolean {
        static_cast<XmppSession*>(data)->keepalive();
        return G_SOURCE_CONTINUE;
      },
      this);
  if (on_online) on_online();
}

void XmppSession::onDisconnect(gloox::ConnectionError error) {
  lost(describe_connection_error(error, *stream_));
}

// gloox reports a loss from inside recv() or disconnect(); the clean-up (which replaces the
// connection object gloox is still using) runs from the loop afterwards.
void XmppSession::lost(const std::string& reason) {
  if (!streaming_) return;
  streaming_ = false;
  if (loss_reason_.empty()) loss_reason_ = reason;
  if (cleanup_idle_ == 0) {
    // At the media's priority: an idle source would starve behind a busy media socket and keep
    // the bridge out of the brewery for as long as the load lasts.
    cleanup_idle_ = g_timeout_add(
        0,
        [](gpointer data) -> gboolean {
          auto* self = static_cast<XmppSession*>(data);
          self->cleanup_idle_ = 0;
          self->cleanup_after_loss();
          return G_SOURCE_REMOVE;
        },
        this);
  }
}

void XmppSession::cleanup_after_loss() {
  clear_sources();
  std::string reason = std::move(loss_reason_);
  loss_reason_.clear();
  bool was_online = online_;
  online_ = false;
  if (was_online) {
    kLog.warn("[{}] XMPP connection lost: {}", options_.name, reason);
    if (on_offline) on_offline(reason);
  }
  if (!running_) return;
  if (was_online) {
    schedule_attempt(next_delay_);  // reconnect quickly after an established stream
  } else {
    on_tcp_failed(reason);
  }
}

void XmppSession::keepalive() {
  if (!online_) return;
  if (options_.ping_target.empty()) {
    stream_->whitespacePing();
    return;
  }
  if (unanswered_pings_ >= options_.keepalive_failures) {
    loss_reason_ = fmt::format("{} keepalive pings unanswered", unanswered_pings_);
    disconnect_stream(*stream_);
    return;
  }
  ++unanswered_pings_;
  stream_->xmppPing(gloox::JID(options_.ping_target), this);
}

void XmppSession::handleEvent(const gloox::Event& event) {
  // An error answer still proves the server is there.
  if (event.eventType() == gloox::Event::PingPong || event.eventType() == gloox::Event::PingError) {
    unanswered_pings_ = 0;
  }
}

bool XmppSession::onTLSConnect(const gloox::CertInfo& info) {
  if (info.status == gloox::CertOk) return true;
  if (options_.disable_certificate_verification) {
    kLog.fine("[{}] accepting the certificate of {} although it does not validate (flags {:#x})",
              options_.name, info.server, info.status);
    return true;
  }
  std::string problems;
  auto add = [&problems](bool set, const char* what) {
    if (!set) return;
    if (!problems.empty()) problems += ", ";
    problems += what;
  };
  add(info.status & gloox::CertSignerUnknown, "signer unknown");
  add(info.status & gloox::CertInvalid, "invalid");
  add(info.status & gloox::CertRevoked, "revoked");
  add(info.status & gloox::CertExpired, "expired");
  add(info.status & gloox::CertNotActive, "not yet valid");
  add(info.status & gloox::CertWrongPeer, "issued to another name");
  add(info.status & gloox::CertSignerNotCa, "signer is not a CA");
  kLog.severe(
      "[{}] rejecting the TLS certificate of {} ({}); trust its issuer or set "
      "DISABLE_CERTIFICATE_VERIFICATION",
      options_.name, info.server, problems.empty() ? "not valid" : problems);
  return false;
}

void XmppSession::clear_sources() {
  remove_source(watch_);
  remove_source(login_timer_);
  remove_source(keepalive_timer_);
  remove_source(retry_timer_);
}

std::string describe_connection_error(gloox::ConnectionError error, const gloox::ClientBase& stream) {
  switch (error) {
    case gloox::ConnNoError:
      return "no error";
    case gloox::ConnStreamError:
      return "stream error" + (stream.streamErrorText().empty() ? "" : ": " + stream.streamErrorText());
    case gloox::ConnStreamVersionError:
      return "unsupported stream version";
    case gloox::ConnStreamClosed:
      return "stream closed by the server";
    case gloox::ConnProxyAuthRequired:
    case gloox::ConnProxyAuthFailed:
    case gloox::ConnProxyNoSupportedAuth:
      return "proxy error";
    case gloox::ConnIoError:
      return "I/O error (connection closed)";
    case gloox::ConnParseError:
      return "XML parse error";
    case gloox::ConnConnectionRefused:
      return "connection refused";
    case gloox::ConnDnsError:
      return "host name not resolved";
    case gloox::ConnOutOfMemory:
      return "out of memory";
    case gloox::ConnNoSupportedAuth:
      return "no supported SASL mechanism";
    case gloox::ConnTlsFailed:
      return "TLS failed";
    case gloox::ConnTlsNotAvailable:
      return "TLS required but not offered by the server";
    case gloox::ConnCompressionFailed:
      return "compression failed";
    case gloox::ConnAuthenticationFailed:
      return "authentication failed (check USERNAME, PASSWORD and DOMAIN)";
    case gloox::ConnUserDisconnected:
      return "disconnected by the bridge";
    case gloox::ConnNotConnected:
      return "not connected";
  }
  return "unknown error " + std::to_string(static_cast<int>(error));
}

}  // namespace jvb::xmpp
