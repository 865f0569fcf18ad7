// The IQ dispatcher of xmpp/bridge_iq.hpp (the rules are listed there): picks the payload by
// local name and effective namespace, calls the service
// and wraps its answer in the reply <iq>.
#include "xmpp/bridge_iq.hpp"

#include <exception>
#include <string>
#include <utility>

#include "xmpp/colibri2_xml.hpp"

namespace jvb::xmpp {
namespace {

using namespace jvb::signaling;

// The <iq> around a reply. gloox leaves out attributes with empty values, so a request without
// from (sent by the server itself) gets a reply without to, which is what RFC 6120 §8.1.1 asks.
std::unique_ptr<gloox::Tag> reply(const gloox::Tag& iq, const char* type) {
  auto out = std::make_unique<gloox::Tag>("iq");
  out->addAttribute("type", type);
  out->addAttribute("to", iq.findAttribute("from"));
  out->addAttribute("id", iq.findAttribute("id"));
  return out;
}

// The first child element: an IQ get/set carries exactly one payload (RFC 6120 §8.2.3); extra
// children are ignored as Smack does.
const gloox::Tag* payload(const gloox::Tag& iq) {
  const gloox::TagList& children = iq.children();
  return children.empty() ? nullptr : children.front();
}

bool is(const gloox::Tag& tag, const char* name, const char* ns) {
  return tag.name() == name && effective_namespace(tag) == ns;
}

Colibri2Error condition_only(StanzaErrorCondition condition, std::string text) {
  Colibri2Error e;
  e.condition = condition;
  e.text = std::move(text);
  return e;
}

// JVB's answer to a request no handler is registered for (Smack's service-unavailable).
std::unique_ptr<gloox::Tag> unsupported(const gloox::Tag& iq, const gloox::Tag* request) {
  std::string text = "Unsupported IQ request";
  if (request) text += " " + request->name();
  return error_reply(iq, condition_only(StanzaErrorCondition::kServiceUnavailable, std::move(text)));
}

std::unique_ptr<gloox::Tag> conference_modify(const gloox::Tag& iq, const gloox::Tag& request,
                                              const BridgeIqServices& services) {
  auto parsed = parse_conference_modify(request);
  if (!parsed) return error_reply(iq, parsed.error());
  auto answer = services.conference_modify(*parsed);
  if (!answer) return error_reply(iq, answer.error());
  auto out = reply(iq, "result");
  out->addChild(serialize_conference_modified(*answer).release());
  return out;
}

std::unique_ptr<gloox::Tag> health(const gloox::Tag& iq, const BridgeIqServices& services) {
  HealthReport report = services.health();
  if (report.healthy) return reply(iq, "result");
  // Jicofo (JvbDoctor) only looks at the condition; the text is for its log, so never leave it empty.
  if (report.message.empty()) report.message = "Health check failed";
  return error_reply(iq, Colibri2Error::internal_error(std::move(report.message)));
}

std::unique_ptr<gloox::Tag> version(const gloox::Tag& iq, const BridgeIqServices& services) {
  auto out = reply(iq, "result");
  auto* query = new gloox::Tag(out.get(), "query");
  query->setXmlns(kNsVersion);
  // Children inherit jabber:iq:version. gloox drops text it cannot write, leaving the element
  // empty, which XEP-0092 tolerates.
  new gloox::Tag(query, "name", services.software_name);
  new gloox::Tag(query, "version", services.software_version);
  new gloox::Tag(query, "os", services.os);
  return out;
}

std::unique_ptr<gloox::Tag> dispatch(const gloox::Tag& iq, bool get, bool sender_allowed,
                                     const BridgeIqServices& services) {
  const gloox::Tag* request = payload(iq);
  // XEP-0199 pings come from the server, never a brewery occupant; in JVB, Smack answers them
  // before its access check, so do we.
  if (get && request && is(*request, "ping", kNsPing)) return reply(iq, "result");
  // JVB refuses everything else from outside its brewery rooms before looking at it.
  if (!sender_allowed) return error_reply(iq, condition_only(StanzaErrorCondition::kForbidden, ""));
  if (!request) return unsupported(iq, nullptr);
  if (is(*request, "conference-modify", kNsColibri2) && services.conference_modify) {
    return conference_modify(iq, *request, services);
  }
  if (is(*request, "healthcheck", kNsHealthCheck) && services.health) return health(iq, services);
  if (get && is(*request, "query", kNsVersion)) return version(iq, services);
  return unsupported(iq, request);
}

}  // namespace

std::unique_ptr<gloox::Tag> error_reply(const gloox::Tag& iq, const Colibri2Error& error) {
  auto out = reply(iq, "error");
  out->addChild(serialize_error(error).release());
  return out;
}

std::unique_ptr<gloox::Tag> result_reply(const gloox::Tag& iq) { return reply(iq, "result"); }

std::unique_ptr<gloox::Tag> answer_iq(const gloox::Tag& iq, bool sender_allowed,
                                      const BridgeIqServices& services) noexcept {
  try {
    if (iq.name() != "iq") return nullptr;
    // Result and error IQs are never answered (that would loop); neither are IQs with a
    // missing or unknown type, which cannot be told apart from a broken response.
    const std::string& type = iq.findAttribute("type");
    if (type != "get" && type != "set") return nullptr;
    try {
      return dispatch(iq, type == "get", sender_allowed, services);
    } catch (const std::exception& ex) {
      // A service failed (an unexpected internal error): JVB sends the exception message.
      return error_reply(iq, Colibri2Error::internal_error(ex.what()));
    } catch (...) {
      return error_reply(iq, Colibri2Error::internal_error("unknown internal error"));
    }
  } catch (...) {
    // Only reachable when even the error reply cannot be allocated: stay silent rather than
    // take the connection down; Jicofo times out and retries.
    return nullptr;
  }
}

}  // namespace jvb::xmpp
