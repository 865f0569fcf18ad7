// libFuzzer target for xmpp/bridge_iq.hpp (the IQ rules listed there): arbitrary bytes arrive as
// the inside of a jabber:client stream, gloox's Parser cuts them into stanzas as the XMPP
// connection would, and every complete <iq> goes through answer_iq, once from an allowed sender and
// once from an outsider. The conference service translates each parsed request back to XML
// (serialize_conference_modify) and answers an empty conference-modified, so parsed stanzas also
// exercise the Jicofo-side writer.
//
// Beyond memory safety it checks the dispatcher's promises: nothing escapes; get/set always gets
// a reply and nothing else does; the reply is an <iq> of type result or error to the sender with
// the same id, which gloox can write and read back; an outsider only ever gets forbidden (or a
// ping answer); every error carries a stanza condition.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <gloox/tag.h>

#include "tests/fuzz/gloox_input.hpp"
#include "xmpp/bridge_iq.hpp"
#include "xmpp/colibri2_xml.hpp"

namespace {

using namespace jvb::signaling;
using namespace jvb::xmpp;

void require(bool ok) {
  if (!ok) std::abort();
}

// The colibri2 service: Jicofo's writer on what the bridge parsed. A meeting-id starting with
// "throw" makes it throw, to cover answer_iq's exception path.
jvb::Result<ConferenceModified, Colibri2Error> translate(const ConferenceModify& request) {
  auto tag = serialize_conference_modify(request);
  require(tag != nullptr);
  require(!tag->xml().empty());
  if (request.meeting_id.str().rfind("throw", 0) == 0) throw std::runtime_error("service failed");
  return ConferenceModified{};
}

void check_reply(const gloox::Tag& iq, bool allowed, const gloox::Tag* reply) {
  const std::string& type = iq.findAttribute("type");
  require((reply != nullptr) == (iq.name() == "iq" && (type == "get" || type == "set")));
  if (!reply) return;
  require(reply->name() == "iq");
  const std::string& reply_type = reply->findAttribute("type");
  require(reply_type == "result" || reply_type == "error");
  require(reply->findAttribute("id") == iq.findAttribute("id"));
  require(reply->findAttribute("to") == iq.findAttribute("from"));
  if (reply_type == "error") {
    const gloox::Tag* error = reply->findChild("error");
    require(error != nullptr && error->hasAttribute("type") && !error->children().empty());
    if (!allowed) require(error->findChild("forbidden") != nullptr);
  } else if (!allowed) {
    // Only a ping is answered for an outsider, with an empty result.
    require(reply->children().empty());
  }
  // What the connection would send parses back to the same stanza.
  auto again = jvb::fuzz::parse_document(reply->xml());
  require(again != nullptr && again->xml() == reply->xml());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  BridgeIqServices services;
  services.conference_modify = translate;
  // Alternate the health outcome by input so both replies are covered.
  const bool healthy = size % 2 == 0;
  services.health = [healthy] { return HealthReport{healthy, healthy ? "" : "No valid IP addresses"}; };
  services.software_name = "fuzz";
  services.software_version = "0.0.0";

  jvb::fuzz::parse_stream_fragment(std::string(reinterpret_cast<const char*>(data), size),
                                   [&](const gloox::Tag& stanza) {
                                     for (bool allowed : {true, false}) {
                                       auto reply = answer_iq(stanza, allowed, services);
                                       check_reply(stanza, allowed, reply.get());
                                     }
                                   });
  return 0;
}
