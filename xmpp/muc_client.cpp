// See muc_client.hpp.
#include "xmpp/muc_client.hpp"

#include <glib.h>
#include <gloox/client.h>
#include <gloox/error.h>
#include <gloox/presence.h>
#include <gloox/tag.h>

#include <algorithm>

#include "bridge/core/log.hpp"
#include "bridge/core/strings.hpp"
#include "xmpp/iq_router.hpp"
#include "xmpp/raw_payload.hpp"
#include "xmpp/xmpp_session.hpp"

namespace jvb::xmpp {
namespace {

constexpr log::Logger kLog{"MucClient"};
constexpr const char* kNsMucUser = "http://jabber.org/protocol/muc#user";

gloox::TLSPolicy tls_policy(const std::string& security_mode) {
  if (security_mode == "disabled") return gloox::TLSDisabled;
  if (security_mode == "ifpossible") return gloox::TLSOptional;
  return gloox::TLSRequired;
}

// The RFC 6120 condition of a stanza error, e.g. "conflict".
std::string condition_name(const gloox::Error* error) {
  if (error == nullptr) return "error";
  std::unique_ptr<gloox::Tag> tag(error->tag());
  if (tag) {
    for (const gloox::Tag* child : tag->children()) {
      if (child->name() != "text") return child->name();
    }
  }
  return "error";
}

bool has_status(const gloox::Tag* muc_user, const char* code) {
  if (muc_user == nullptr) return false;
  for (const gloox::Tag* status : muc_user->findChildren("status")) {
    if (status->findAttribute("code") == code) return true;
  }
  return false;
}

}  // namespace

MucClient::MucClient(config::XmppAccount account, std::chrono::milliseconds presence_interval,
                     const BridgeIqServices& services, std::function<BridgeStats()> stats)
    : account_(std::move(account)), presence_interval_(presence_interval), stats_(std::move(stats)) {
  for (const auto& jid : account_.muc_jids) rooms_.push_back({ascii_lowercase(jid)});
  auto client = std::make_unique<gloox::Client>(gloox::JID(account_.username + "@" + account_.domain),
                                                account_.password);
  client->setTls(tls_policy(account_.security_mode));
  // No roster: the bridge only talks to the rooms.
  client->disableRoster();
  client->registerStanzaExtension(
      new RawPayload(kExtMucUser, std::string("/presence/x[@xmlns='") + kNsMucUser + "']"));
  client->registerPresenceHandler(this);

  SessionOptions options;
  options.name = account_.id;
  options.host = account_.hostname;
  options.port = account_.port;
  options.disable_certificate_verification = account_.disable_certificate_verification;
  options.ping_target = account_.domain;
  session_ = std::make_unique<XmppSession>(std::move(options), std::move(client));
  session_->on_online = [this] { on_online(); };
  session_->on_offline = [this](const std::string&) { on_offline(); };

  std::vector<std::string> room_jids;
  for (const auto& room : rooms_) room_jids.push_back(room.jid);
  router_ = std::make_unique<IqRouter>(session_->stream(), services, [room_jids](const gloox::JID& sender) {
    std::string bare = ascii_lowercase(sender.bare());
    return std::find(room_jids.begin(), room_jids.end(), bare) != room_jids.end();
  });
}

MucClient::~MucClient() {
  if (presence_timer_ != 0) g_source_remove(presence_timer_);
  router_.reset();
  session_->stream().removePresenceHandler(this);
}

void MucClient::start() {
  session_->start();
  if (presence_timer_ != 0) return;
  auto interval = static_cast<guint>(std::max<std::int64_t>(presence_interval_.count(), 100));
  presence_timer_ = g_timeout_add(
      interval,
      [](gpointer data) -> gboolean {
        static_cast<MucClient*>(data)->publish();
        return G_SOURCE_CONTINUE;
      },
      this);
}

void MucClient::stop() {
  if (presence_timer_ != 0) g_source_remove(presence_timer_);
  presence_timer_ = 0;
  if (session_->online()) {
    for (auto& room : rooms_) {
      if (!room.join_sent) continue;
      gloox::Presence leave(gloox::Presence::Unavailable, gloox::JID(room.jid + "/" + account_.muc_nickname));
      session_->stream().send(leave);
      room.joined = room.join_sent = false;
    }
  }
  session_->stop();
}

bool MucClient::online() const { return session_->online(); }

int MucClient::rooms_joined() const {
  return static_cast<int>(
      std::count_if(rooms_.begin(), rooms_.end(), [](const Room& r) { return r.joined; }));
}

void MucClient::on_online() {
  for (auto& room : rooms_) send_presence(room, true);
}

void MucClient::on_offline() {
  for (auto& room : rooms_) room.joined = room.join_sent = false;
}

// The periodic stats presence; also retries a join that the server refused.
void MucClient::publish() {
  if (!session_->online()) return;
  for (auto& room : rooms_) send_presence(room, !room.join_sent);
}

void MucClient::send_presence(Room& room, bool join) {
  std::unique_ptr<gloox::Tag> presence =
      brewery_presence(room.jid + "/" + account_.muc_nickname, stats_(), join);
  if (join) room.join_sent = true;
  session_->stream().send(presence.release());
}

// JVB submits the owner form of a room it created (MUC status 201), so the room is never left locked.
void MucClient::submit_instant_room_form(const Room& room) {
  auto* iq = new gloox::Tag("iq");
  iq->addAttribute("type", "set");
  iq->addAttribute("to", room.jid);
  iq->addAttribute("id", session_->stream().getID());
  auto* query = new gloox::Tag(iq, "query");
  query->setXmlns("http://jabber.org/protocol/muc#owner");
  auto* form = new gloox::Tag(query, "x");
  form->setXmlns("jabber:x:data");
  form->addAttribute("type", "submit");
  auto field = [form](const char* var, const char* value) {
    auto* f = new gloox::Tag(form, "field");
    f->addAttribute("var", var);
    new gloox::Tag(f, "value", value);
  };
  field("FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig");
  field("muc#roomconfig_whois", "anyone");
  session_->stream().send(iq);
}

void MucClient::handlePresence(const gloox::Presence& presence) {
  if (presence.from().resource() != account_.muc_nickname) return;
  std::string bare = ascii_lowercase(presence.from().bare());
  auto room = std::find_if(rooms_.begin(), rooms_.end(), [&bare](const Room& r) { return r.jid == bare; });
  if (room == rooms_.end()) return;
  if (presence.subtype() == gloox::Presence::Error) {
    const gloox::Error* error = presence.error();
    kLog.severe("[{}] cannot join {} as {}: {}{}", account_.id, room->jid, account_.muc_nickname,
                condition_name(error), error && !error->text().empty() ? " (" + error->text() + ")" : "");
    // Retried with the next periodic presence.
    room->joined = room->join_sent = false;
    return;
  }
  const auto* muc_user = presence.findExtension<RawPayload>(kExtMucUser);
  const gloox::Tag* x = muc_user ? muc_user->payload() : nullptr;
  if (presence.subtype() == gloox::Presence::Unavailable) {
    if (room->joined) kLog.warn("[{}] removed from {}; joining again", account_.id, room->jid);
    room->joined = room->join_sent = false;
    return;
  }
  if (!room->joined) {
    room->joined = true;
    kLog.info("[{}] joined the brewery {} as {}", account_.id, room->jid, account_.muc_nickname);
    if (has_status(x, "201")) submit_instant_room_form(*room);
    // The join carried the stats as they were before it (this room not yet joined).
    send_presence(*room, false);
  }
}

}  // namespace jvb::xmpp
