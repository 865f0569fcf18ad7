// See xmpp_colibri_client.hpp.
#include "tools/focus/xmpp_colibri_client.hpp"

#include <glib.h>
#include <gloox/client.h>
#include <gloox/iq.h>
#include <gloox/presence.h>
#include <gloox/stanzaextension.h>

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "bridge/core/log.hpp"
#include "xmpp/colibri2_xml.hpp"
#include "xmpp/raw_payload.hpp"
#include "xmpp/xmpp_session.hpp"

namespace jvb::focus {
namespace {

const log::Logger kLog{"FocusXmpp"};

constexpr const char* kNsMuc = "http://jabber.org/protocol/muc";

// Extension types of this client's stanza extensions (gloox keys extensions by type).
enum : int {
  kExtBridgeStats = gloox::ExtUser + 1,
  kExtConferenceModified,
  kExtStanzaError,
  kExtPayload,  // outgoing only: never registered, so the filter is never used
};

// A stanza child kept as a copy of its Tag. gloox only hands handlers the children that a
// registered extension matched, so every child the focus reads needs one; and sending a custom
// child also goes through an extension.
const gloox::Tag* find_copy(const gloox::Stanza& stanza, int type) {
  const auto* copy = stanza.findExtension<xmpp::RawPayload>(type);
  return copy ? copy->payload() : nullptr;
}

ColibriFailure plain_failure(std::string text) {
  return ColibriFailure{std::move(text), "", signaling::Colibri2ErrorReason::kNone};
}

std::string random_suffix() { return fmt::format("{:04x}", g_random_int() & 0xffff); }

}  // namespace

ColibriFailure parse_stanza_error(const gloox::Tag& error) {
  ColibriFailure failure;
  std::string text, fallback_condition, reason_text, endpoint;
  for (const gloox::Tag* child : error.children()) {
    if (child == nullptr) continue;
    const std::string& name = child->name();
    const std::string ns = child->xmlns();
    if (ns == xmpp::kNsColibri2) {
      if (name == "error") reason_text = child->findAttribute("reason");
      if (name == "endpoint") endpoint = child->findAttribute("id");
    } else if (name == "text") {
      text = child->cdata();
    } else if (ns == xmpp::kNsStanzas) {
      if (failure.condition.empty()) failure.condition = name;
    } else if (fallback_condition.empty()) {
      // A server that forgot the namespace still names the condition.
      fallback_condition = name;
    }
  }
  if (failure.condition.empty()) failure.condition = fallback_condition;
  if (!reason_text.empty()) {
    failure.reason = signaling::parse_colibri2_error_reason(reason_text)
                         .value_or(signaling::Colibri2ErrorReason::kUnspecified);
  }
  failure.text = failure.condition.empty() ? "error" : failure.condition;
  if (!text.empty()) failure.text += ": " + text;
  if (!reason_text.empty()) failure.text += " (colibri2 reason " + reason_text + ")";
  if (!endpoint.empty()) failure.text += " (endpoint " + endpoint + ")";
  return failure;
}

XmppColibriClient::XmppColibriClient(XmppColibriOptions options)
    : options_(std::move(options)),
      brewery_(normalize_occupant_jid(options_.brewery)),
      nick_(options_.nick),
      queue_(brewery_, options_.request_timeout) {
  auto client = std::make_unique<gloox::Client>(
      gloox::JID(options_.user + "@" + options_.domain + "/" + options_.nick), options_.password);
  // No roster: the focus only lives in the brewery.
  client->disableRoster();
  client->registerStanzaExtension(new xmpp::RawPayload(
      kExtBridgeStats, std::string("/presence/stats[@xmlns='") + xmpp::kNsColibri + "']"));
  client->registerStanzaExtension(new xmpp::RawPayload(
      kExtConferenceModified, std::string("/iq/conference-modified[@xmlns='") + xmpp::kNsColibri2 + "']"));
  // gloox's own Error extension keeps only one application-specific child; the colibri2
  // <error reason> and <endpoint> are both needed (Jicofo re-invites the one endpoint named).
  client->registerStanzaExtension(new xmpp::RawPayload(kExtStanzaError, "/iq/error|/presence/error"));
  client->registerPresenceHandler(this);

  xmpp::SessionOptions session_options;
  session_options.name = "focus";
  session_options.host = options_.host;
  session_options.port = options_.port;
  session_options.disable_certificate_verification = options_.disable_certificate_verification;
  session_options.ping_target = options_.domain;
  session_ = std::make_unique<xmpp::XmppSession>(session_options, std::move(client));
  session_->on_online = [this] { on_online(); };
  session_->on_offline = [this](const std::string& reason) { on_offline(reason); };
}

XmppColibriClient::~XmppColibriClient() {
  if (deadline_timer_) g_source_remove(deadline_timer_);
  if (completion_idle_) g_source_remove(completion_idle_);
  session_.reset();  // before the handlers it calls into go away
}

void XmppColibriClient::start() { session_->start(); }

std::string XmppColibriClient::describe() const {
  return fmt::format("XMPP {}:{} as {}@{}, brewery {}", options_.host, options_.port, options_.user,
                     options_.domain, brewery_);
}

void XmppColibriClient::modify(const std::string& meeting_id, const signaling::ConferenceModify& request,
                               Callback done) {
  // Over XMPP every request names its conference in the element (meeting-id); REST has it in the
  // path, so FocusServer leaves it out of updates.
  signaling::ConferenceModify addressed = request;
  addressed.meeting_id = signaling::MeetingId(meeting_id);
  queue_.modify(meeting_id, std::move(addressed), std::move(done), ColibriRequestQueue::Clock::now());
  flush();
}

void XmppColibriClient::on_online() {
  nick_ = options_.nick;
  join_brewery();
}

void XmppColibriClient::on_offline(const std::string& reason) {
  kLog.warn("Out of the brewery {} ({}); forgetting {} bridge(s) until the re-join", brewery_, reason,
            queue_.brewery().size());
  queue_.set_ready(false);
  flush();
}

void XmppColibriClient::join_brewery() {
  // Only the join carries the MUC <x/>; no history: the room has nothing the focus needs.
  gloox::Presence join(gloox::Presence::Available, gloox::JID(brewery_ + "/" + nick_));
  auto* x = new gloox::Tag("x");
  x->setXmlns(kNsMuc);
  new gloox::Tag(x, "history", "maxstanzas", "0");
  join.addExtension(new xmpp::RawPayload(kExtPayload, "", std::unique_ptr<gloox::Tag>(x)));
  kLog.info("Joining the brewery {} as {}", brewery_, nick_);
  session_->stream().send(join);
}

void XmppColibriClient::handlePresence(const gloox::Presence& presence) {
  const gloox::JID& from = presence.from();
  if (normalize_occupant_jid(from.bare()) != brewery_) return;
  const std::string occupant = normalize_occupant_jid(from.full());
  const bool self = from.resource() == nick_;

  if (presence.subtype() == gloox::Presence::Error) {
    const gloox::Tag* error = find_copy(presence, kExtStanzaError);
    ColibriFailure why = error ? parse_stanza_error(*error) : plain_failure("no error details");
    kLog.warn("The brewery {} refused the join as {}: {}", brewery_, nick_, why.text);
    // The nick is taken, e.g. by a real Jicofo in the same room: try another one. Other
    // refusals (no such room, not allowed) would only repeat; requests time out meanwhile.
    if (why.condition == "conflict" && session_->online()) {
      nick_ = options_.nick + "-" + random_suffix();
      join_brewery();
    }
    return;
  }

  if (presence.subtype() == gloox::Presence::Unavailable) {
    if (self) {
      kLog.warn("Removed from the brewery {}; joining again", brewery_);
      queue_.set_ready(false);
      if (session_->online()) join_brewery();
    } else if (queue_.on_bridge_unavailable(occupant) == BreweryChange::kLeft) {
      kLog.info("Bridge {} left the brewery", occupant);
    }
    flush();
    return;
  }

  if (self) {
    // The room sends our own presence after every other occupant's (XEP-0045 §7.2.3), so the
    // bridges present at the join are known by now.
    if (!queue_.ready())
      kLog.info("In the brewery {} as {} with {} bridge(s)", brewery_, nick_, queue_.brewery().size());
    queue_.set_ready(true);
    flush();
    return;
  }
  const gloox::Tag* stats = find_copy(presence, kExtBridgeStats);
  if (stats == nullptr) return;  // not a bridge (or not yet: Jicofo waits for stats as well)
  BridgeStatsUpdate update = parse_bridge_stats(*stats);
  if (queue_.on_bridge_stats(occupant, update) == BreweryChange::kJoined) {
    const BridgeInfo* bridge = queue_.brewery().find(occupant);
    kLog.info("Bridge {} joined the brewery (stress {:.1f}{}{}{})", occupant, bridge->stress_level,
              bridge->drain ? ", draining" : "", bridge->graceful_shutdown ? ", graceful shutdown" : "",
              bridge->shutting_down ? ", shutting down" : "");
  }
  flush();
}

void XmppColibriClient::handleIqID(const gloox::IQ& iq, int context) {
  auto serial = static_cast<std::uint64_t>(context);
  if (iq.subtype() == gloox::IQ::Result) {
    const gloox::Tag* modified = find_copy(iq, kExtConferenceModified);
    if (modified == nullptr) {
      queue_.on_answer(serial,
                       unexpected(plain_failure("the bridge answered without a conference-modified")));
    } else if (auto parsed = xmpp::parse_conference_modified(*modified)) {
      queue_.on_answer(serial, std::move(*parsed));
    } else {
      queue_.on_answer(serial, unexpected(plain_failure("the bridge's conference-modified does not parse: " +
                                                        parsed.error().text)));
    }
  } else {
    const gloox::Tag* error = find_copy(iq, kExtStanzaError);
    queue_.on_answer(
        serial, unexpected(error ? parse_stanza_error(*error) : plain_failure("IQ error without <error>")));
  }
  flush();
}

void XmppColibriClient::flush() {
  for (auto& outgoing : queue_.take_outgoing()) {
    gloox::ClientBase& stream = session_->stream();
    // IQ type get, as Jicofo sends it (Smack's default type).
    gloox::IQ iq(gloox::IQ::Get, gloox::JID(outgoing.bridge), stream.getID());
    iq.addExtension(
        new xmpp::RawPayload(kExtPayload, "", xmpp::serialize_conference_modify(outgoing.request)));
    kLog.fine("conference-modify #{} for {} to {}", outgoing.serial, outgoing.request.meeting_id.str(),
              outgoing.bridge);
    // The context carries the queue's serial back to handleIqID; serials fit an int for the
    // first 2^31 requests, far beyond a focus's life.
    stream.send(iq, this, static_cast<int>(outgoing.serial));
  }

  for (auto& completion : queue_.take_completions()) completions_.push_back(std::move(completion));
  if (!completions_.empty() && completion_idle_ == 0) {
    completion_idle_ = g_idle_add(
        [](gpointer data) -> gboolean {
          auto* self = static_cast<XmppColibriClient*>(data);
          self->completion_idle_ = 0;
          self->run_completions();
          return G_SOURCE_REMOVE;
        },
        this);
  }

  if (deadline_timer_) g_source_remove(deadline_timer_);
  deadline_timer_ = 0;
  if (auto deadline = queue_.next_deadline()) {
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(*deadline - ColibriRequestQueue::Clock::now());
    deadline_timer_ = g_timeout_add(
        static_cast<guint>(std::max<std::int64_t>(wait.count(), 0)),
        [](gpointer data) -> gboolean {
          auto* self = static_cast<XmppColibriClient*>(data);
          self->deadline_timer_ = 0;
          self->queue_.on_timer(ColibriRequestQueue::Clock::now());
          self->flush();
          return G_SOURCE_REMOVE;
        },
        this);
  }
}

void XmppColibriClient::run_completions() {
  // A completion may call modify(), which adds to completions_: run a snapshot.
  auto batch = std::exchange(completions_, {});
  for (auto& completion : batch) {
    if (!completion.result.has_value())
      kLog.fine("Colibri2 request failed: {}", completion.result.error().text);
    completion.done(completion.result);
  }
}

}  // namespace jvb::focus
