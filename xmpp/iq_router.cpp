// See iq_router.hpp.
#include "xmpp/iq_router.hpp"

#include <gloox/disco.h>
#include <gloox/iq.h>
#include <gloox/stanzaextension.h>
#include <gloox/tag.h>

#include <memory>

#include "xmpp/raw_payload.hpp"

namespace jvb::xmpp {
namespace {

struct Route {
  int type;
  const char* filter;
};

// The payloads the bridge answers itself. Version is taken over from gloox's Disco so that it
// goes through the same access rule as everything else.
constexpr Route kRoutes[] = {
    {kExtColibri2Request, "/iq/conference-modify[@xmlns='jitsi:colibri2']"},
    {kExtHealthCheck, "/iq/healthcheck[@xmlns='http://jitsi.org/protocol/healthcheck']"},
    {kExtVersionRequest, "/iq/query[@xmlns='jabber:iq:version']"},
    // Any other payload: answered with service-unavailable as JVB does, unless gloox
    // handles it (disco, ping).
    {kExtOtherRequest, "/iq/*"},
};

bool answered_by_gloox(const gloox::Tag& payload) {
  const std::string ns = payload.xmlns();
  return ns == gloox::XMLNS_DISCO_INFO || ns == gloox::XMLNS_DISCO_ITEMS || ns == gloox::XMLNS_XMPP_PING;
}

}  // namespace

IqRouter::IqRouter(gloox::ClientBase& stream, const BridgeIqServices& services,
                   std::function<bool(const gloox::JID&)> allowed, std::string reply_from)
    : stream_(stream), services_(services), allowed_(std::move(allowed)), reply_from_(std::move(reply_from)) {
  stream_.removeIqHandler(stream_.disco(), gloox::ExtVersion);
  for (const Route& route : kRoutes) {
    stream_.registerStanzaExtension(new RawPayload(route.type, route.filter));
    stream_.registerIqHandler(this, route.type);
  }
  for (const char* feature :
       {kNsHealthCheck, "urn:xmpp:jingle:apps:dtls:0", "urn:xmpp:jingle:transports:ice-udp:1", kNsVersion}) {
    stream_.disco()->addFeature(feature);
  }
}

IqRouter::~IqRouter() {
  for (const Route& route : kRoutes) stream_.removeIqHandler(this, route.type);
}

bool IqRouter::handleIq(const gloox::IQ& iq) {
  const gloox::Tag* payload = nullptr;
  for (const Route& route : kRoutes) {
    if (const auto* ext = iq.findExtension<RawPayload>(route.type); ext && ext->payload()) {
      payload = ext->payload();
      break;
    }
  }
  if (payload == nullptr || answered_by_gloox(*payload)) return false;
  if (iq.subtype() != gloox::IQ::Get && iq.subtype() != gloox::IQ::Set) return false;
  gloox::Tag request("iq");
  request.addAttribute("type", iq.subtype() == gloox::IQ::Get ? "get" : "set");
  request.addAttribute("from", iq.from().full());
  request.addAttribute("id", iq.id());
  request.addChild(payload->clone());
  std::unique_ptr<gloox::Tag> reply = answer_iq(request, allowed_(iq.from()), services_);
  if (reply) {
    if (!reply_from_.empty()) reply->addAttribute("from", reply_from_);
    stream_.send(reply.release());
  }
  return true;
}

}  // namespace jvb::xmpp
