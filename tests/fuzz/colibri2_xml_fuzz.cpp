// libFuzzer target for xmpp/colibri2_xml.hpp (Colibri2 conference-modify/-modified XML): arbitrary
// bytes are parsed as XML by gloox's Parser (as the XMPP connection would), and every element named
// conference-modify or conference-modified (at any depth) goes to the codec. Beyond memory safety
// it checks the codec's promise: whatever parses is serialized, written as text, parsed by gloox
// again and decodes to the same model; a failure is always a bad-request with a text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include <gloox/tag.h>

#include "tests/fuzz/gloox_input.hpp"
#include "xmpp/colibri2_xml.hpp"

namespace {

using namespace jvb::signaling;
using namespace jvb::xmpp;
using jvb::fuzz::parse_document;

template <class R>
void check_failure(const R& r) {
  if (r.error().condition != StanzaErrorCondition::kBadRequest || r.error().text.empty()) std::abort();
}

void check(const gloox::Tag& tag, int depth) {
  if (depth > 8) return;
  if (tag.name() == "conference-modify") {
    auto request = parse_conference_modify(tag);
    if (request) {
      auto text = parse_document(serialize_conference_modify(*request)->xml());
      if (!text) std::abort();
      auto again = parse_conference_modify(*text);
      if (!again || !(*again == *request)) std::abort();
    } else {
      check_failure(request);
    }
  }
  if (tag.name() == "conference-modified") {
    auto response = parse_conference_modified(tag);
    if (response) {
      auto text = parse_document(serialize_conference_modified(*response)->xml());
      if (!text) std::abort();
      auto again = parse_conference_modified(*text);
      if (!again || !(*again == *response)) std::abort();
    } else {
      check_failure(response);
    }
  }
  for (const gloox::Tag* child : tag.children()) check(*child, depth + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto tag = parse_document(std::string(reinterpret_cast<const char*>(data), size));
  if (tag) check(*tag, 0);
  return 0;
}
