// See xmpp_probe.hpp.
#include "bridge/doctor/xmpp_probe.hpp"

#include <glib.h>
#include <gloox/client.h>
#include <gloox/connectionlistener.h>
#include <gloox/error.h>
#include <gloox/presence.h>
#include <gloox/presencehandler.h>
#include <gloox/tag.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <set>

#include "bridge/core/strings.hpp"
#include "bridge/doctor/probes.hpp"
#include "xmpp/raw_payload.hpp"
#include "xmpp/stats_presence.hpp"
#include "xmpp/xmpp_session.hpp"

namespace jvb::doctor {
namespace {

using std::chrono::milliseconds;

constexpr const char* kNsMucUser = "http://jabber.org/protocol/muc#user";
constexpr const char* kNsColibriStats = "http://jitsi.org/protocol/colibri";

gloox::TLSPolicy tls_policy(const std::string& security_mode) {
  if (security_mode == "disabled") return gloox::TLSDisabled;
  if (security_mode == "ifpossible") return gloox::TLSOptional;
  return gloox::TLSRequired;
}

std::string sasl_condition(gloox::AuthenticationError error) {
  switch (error) {
    case gloox::SaslAborted:
      return "aborted";
    case gloox::SaslIncorrectEncoding:
      return "incorrect-encoding";
    case gloox::SaslInvalidAuthzid:
      return "invalid-authzid";
    case gloox::SaslInvalidMechanism:
      return "invalid-mechanism";
    case gloox::SaslMalformedRequest:
      return "malformed-request";
    case gloox::SaslMechanismTooWeak:
      return "mechanism-too-weak";
    case gloox::SaslNotAuthorized:
    case gloox::NonSaslNotAuthorized:
      return "not-authorized";
    case gloox::SaslTemporaryAuthFailure:
      return "temporary-auth-failure";
    default:
      return "";
  }
}

std::string stream_condition(gloox::StreamError error) {
  switch (error) {
    case gloox::StreamErrorHostUnknown:
      return "host-unknown";
    case gloox::StreamErrorHostGone:
      return "host-gone";
    case gloox::StreamErrorNotAuthorized:
      return "not-authorized";
    case gloox::StreamErrorPolicyViolation:
      return "policy-violation";
    case gloox::StreamErrorSystemShutdown:
      return "system-shutdown";
    case gloox::StreamErrorConflict:
      return "conflict";
    case gloox::StreamErrorSeeOtherHost:
      return "see-other-host";
    case gloox::StreamErrorInternalServerError:
      return "internal-server-error";
    default:
      return "";
  }
}

// The RFC 6120 condition of a stanza error, e.g. "forbidden", and its text.
std::pair<std::string, std::string> stanza_condition(const gloox::Error* error) {
  if (error == nullptr) return {"error", ""};
  std::unique_ptr<gloox::Tag> tag(error->tag());
  std::string name = "error";
  if (tag) {
    for (const gloox::Tag* child : tag->children()) {
      if (child->name() != "text") {
        name = child->name();
        break;
      }
    }
  }
  return {name, error->text()};
}

bool has_status(const gloox::Tag* muc_user, const char* code) {
  if (muc_user == nullptr) return false;
  for (const gloox::Tag* status : muc_user->findChildren("status")) {
    if (status->findAttribute("code") == code) return true;
  }
  return false;
}

// Runs the default main context until `done` or `timeout`; whether `done` held.
bool run_until(const std::function<bool()>& done, milliseconds timeout) {
  bool expired = false;
  guint timer = g_timeout_add(
      static_cast<guint>(std::max<std::int64_t>(timeout.count(), 1)),
      [](gpointer flag) -> gboolean {
        *static_cast<bool*>(flag) = true;
        return G_SOURCE_REMOVE;
      },
      &expired);
  while (!done() && !expired) g_main_context_iteration(nullptr, TRUE);
  if (!expired) g_source_remove(timer);
  return done();
}

// "JVB 2026-08-19 14:03:11.457 WARNING: [57] XmppSession: [shard] text" -> "XmppSession: [shard]
// text", for the warnings and errors worth showing; retry announcements are noise here.
std::vector<std::string> log_excerpt(const std::vector<std::string>& log, std::size_t from) {
  std::vector<std::string> out;
  for (std::size_t i = from; i < log.size(); ++i) {
    const std::string& line = log[i];
    if (line.find(" WARNING: ") == std::string::npos && line.find(" SEVERE: ") == std::string::npos) continue;
    if (line.find("retrying in") != std::string::npos) continue;
    auto start = line.find("] ");
    std::string text = start == std::string::npos ? line : line.substr(start + 2);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    out.push_back(std::move(text));
  }
  return out;
}

class Prober : gloox::ConnectionListener, gloox::PresenceHandler {
 public:
  Prober(const config::XmppAccount& account, const XmppProbeOptions& options)
      : account_(account), options_(options) {
    auto client = std::make_unique<gloox::Client>(gloox::JID(account.username + "@" + account.domain),
                                                  account.password);
    client->setTls(tls_policy(account.security_mode));
    client->disableRoster();
    client->registerStanzaExtension(
        new xmpp::RawPayload(xmpp::kExtMucUser, std::string("/presence/x[@xmlns='") + kNsMucUser + "']"));
    client->registerStanzaExtension(new xmpp::RawPayload(
        xmpp::kExtColibriStats, std::string("/presence/stats[@xmlns='") + kNsColibriStats + "']"));
    client->registerPresenceHandler(this);
    client_ = client.get();

    xmpp::SessionOptions session;
    session.name = account.id + " (doctor)";
    session.host = account.hostname;
    session.port = account.port;
    session.disable_certificate_verification = account.disable_certificate_verification;
    session.ping_target = account.domain;
    session.login_timeout = options.login_timeout;
    // One attempt: the doctor reports the first failure rather than retrying.
    session.first_retry = session.max_retry = std::chrono::minutes(10);
    session_ = std::make_unique<xmpp::XmppSession>(std::move(session), std::move(client));
    session_->on_online = [this] { online_ = true; };
    // After the session's own listener, so the session has handled the event first.
    client_->registerConnectionListener(this);
  }

  ~Prober() override {
    client_->removePresenceHandler(this);
    client_->removeConnectionListener(this);
    session_.reset();
  }
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  XmppLogin login() {
    XmppLogin out;
    session_->start();
    // The session's own login timer fires first and ends the attempt with a reason.
    run_until([this] { return online_ || failed_; }, options_.login_timeout + std::chrono::seconds(2));
    if (online_) {
      out.outcome = LoginOutcome::kOnline;
      return out;
    }
    if (!failed_) {
      out.outcome = LoginOutcome::kTimeout;
      out.detail = "no answer within " + std::to_string(options_.login_timeout.count()) + " ms";
      return out;
    }
    out.detail = xmpp::describe_connection_error(error_, *client_);
    switch (error_) {
      case gloox::ConnAuthenticationFailed:
        out.outcome = LoginOutcome::kAuthFailed;
        out.detail = sasl_condition(auth_error_);
        break;
      case gloox::ConnTlsFailed:  // the session logged why; the log lines say it
        out.outcome = LoginOutcome::kTlsFailed;
        out.detail.clear();
        break;
      case gloox::ConnTlsNotAvailable:
        out.outcome = LoginOutcome::kTlsNotOffered;
        break;
      case gloox::ConnNoSupportedAuth:
        out.outcome = LoginOutcome::kNoMechanism;
        break;
      case gloox::ConnStreamError: {
        out.outcome = LoginOutcome::kStreamError;
        std::string condition = stream_condition(stream_error_);
        if (!condition.empty())
          out.detail = condition + (stream_text_.empty() ? "" : " (" + stream_text_ + ")");
        break;
      }
      case gloox::ConnUserDisconnected:  // the session gave up waiting for the login
        out.outcome = LoginOutcome::kTimeout;
        out.detail = "the server accepted the connection but the login did not finish within " +
                     std::to_string(options_.login_timeout.count()) + " ms";
        break;
      default:
        out.outcome = LoginOutcome::kClosed;
        break;
    }
    return out;
  }

  BreweryVisit visit(const std::string& room_jid) {
    visit_ = BreweryVisit{};
    visit_.room = ascii_lowercase(room_jid);
    visit_.doctor_nickname = account_.muc_nickname + options_.nickname_suffix;
    others_.clear();
    answered_ = false;
    auto* presence = new gloox::Tag("presence");
    presence->addAttribute("to", visit_.room + "/" + visit_.doctor_nickname);
    new gloox::Tag(presence, "x", "xmlns", xmpp::kNsMuc);
    client_->send(presence);  // gloox takes the tag
    if (!run_until([this] { return answered_ || failed_; }, options_.join_timeout)) {
      visit_.error = failed_ ? "the connection ended: " + xmpp::describe_connection_error(error_, *client_)
                             : "no answer within " + std::to_string(options_.join_timeout.count()) + " ms";
    }
    if (visit_.joined) {
      gloox::Presence leave(gloox::Presence::Unavailable,
                            gloox::JID(visit_.room + "/" + visit_.doctor_nickname));
      client_->send(leave);
    }
    visit_.other_occupants = static_cast<int>(others_.size());
    BreweryVisit out = std::move(visit_);
    visit_ = BreweryVisit{};
    return out;
  }

  void close() {
    session_->stop();
    // Let the stream close go out before the socket does.
    for (int i = 0; i < 100 && g_main_context_iteration(nullptr, FALSE); ++i) {
    }
  }

 private:
  // gloox::ConnectionListener
  void onConnect() override {}
  void onDisconnect(gloox::ConnectionError error) override {
    if (failed_) return;
    failed_ = true;
    error_ = error;
    auth_error_ = client_->authError();
    stream_error_ = client_->streamError();
    stream_text_ = client_->streamErrorText();
  }
  bool onTLSConnect(const gloox::CertInfo&) override { return true; }  // the session has decided
  void onResourceBind(const std::string&) override {}
  void onResourceBindError(const gloox::Error*) override {}
  void onSessionCreateError(const gloox::Error*) override {}
  void onStreamEvent(gloox::StreamEvent) override {}

  // gloox::PresenceHandler
  void handlePresence(const gloox::Presence& presence) override {
    if (visit_.room.empty() || ascii_lowercase(presence.from().bare()) != visit_.room) return;
    const std::string nick = presence.from().resource();
    const bool gone = presence.subtype() == gloox::Presence::Unavailable;
    if (nick == visit_.doctor_nickname) {
      if (answered_) return;
      answered_ = true;
      if (presence.subtype() == gloox::Presence::Error) {
        std::tie(visit_.error, visit_.error_text) = stanza_condition(presence.error());
        return;
      }
      const auto* x = presence.findExtension<xmpp::RawPayload>(xmpp::kExtMucUser);
      visit_.joined = !gone;
      visit_.created = has_status(x ? x->payload() : nullptr, "201");
      return;
    }
    if (presence.subtype() == gloox::Presence::Error) return;
    if (nick == account_.muc_nickname) {
      visit_.bridge_present = !gone;
      visit_.bridge_stats.clear();
      const auto* stats = presence.findExtension<xmpp::RawPayload>(xmpp::kExtColibriStats);
      if (!gone && stats && stats->payload()) {
        for (const gloox::Tag* s : stats->payload()->findChildren("stat")) {
          visit_.bridge_stats[s->findAttribute("name")] = s->findAttribute("value");
        }
      }
    } else if (gone) {
      others_.erase(nick);
    } else {
      others_.insert(nick);
    }
  }

  config::XmppAccount account_;
  XmppProbeOptions options_;
  std::unique_ptr<xmpp::XmppSession> session_;
  gloox::Client* client_ = nullptr;  // owned by session_
  bool online_ = false;
  bool failed_ = false;
  gloox::ConnectionError error_ = gloox::ConnNoError;
  gloox::AuthenticationError auth_error_ = gloox::AuthErrorUndefined;
  gloox::StreamError stream_error_ = gloox::StreamErrorUndefined;
  std::string stream_text_;
  BreweryVisit visit_;
  bool answered_ = false;
  std::set<std::string> others_;
};

}  // namespace

XmppProbe probe_xmpp(const config::XmppAccount& account, const XmppProbeOptions& options,
                     const std::vector<std::string>& log) {
  XmppProbe out;
  out.tcp = probe_tcp_connect(account.hostname, account.port, options.connect_timeout);
  if (out.tcp.outcome != TcpOutcome::kConnected) return out;
  const std::size_t log_start = log.size();
  Prober prober(account, options);
  out.login = prober.login();
  if (out.login.outcome == LoginOutcome::kOnline) {
    for (const auto& room : account.muc_jids) out.rooms.push_back(prober.visit(room));
  }
  prober.close();
  if (out.login.outcome != LoginOutcome::kOnline) out.login.log = log_excerpt(log, log_start);
  return out;
}

}  // namespace jvb::doctor
