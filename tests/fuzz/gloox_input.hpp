// Turning fuzz bytes into gloox::Tag trees the way the XMPP connection does (gloox's own Parser),
// shared by the XML fuzz targets (colibri2_xml_fuzz.cpp, colibri2_iq_fuzz.cpp) so that each
// harness only holds its checks. Follows RFC 6120 §4 (the stream and its stanzas) as far as
// gloox implements it.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include <gloox/parser.h>
#include <gloox/tag.h>
#include <gloox/taghandler.h>

namespace jvb::fuzz {

// Calls `on_element(const gloox::Tag&)` for every complete top-level element gloox's Parser
// produces from `text`, in order; the Tag lives only during the call. Returns true when the
// whole text was well-formed (gloox stops at the first error, after delivering what came before).
template <class OnElement>
bool parse_elements(std::string text, OnElement&& on_element) {
  struct Handler : gloox::TagHandler {
    explicit Handler(OnElement& f) : f_(f) {}
    void handleTag(gloox::Tag* tag) override { f_(static_cast<const gloox::Tag&>(*tag)); }
    OnElement& f_;
  } handler(on_element);
  gloox::Parser parser(&handler);
  return parser.feed(text) < 0;
}

// The first element of `text` when all of it is well-formed XML, else null.
inline std::unique_ptr<gloox::Tag> parse_document(std::string text) {
  std::unique_ptr<gloox::Tag> first;
  const bool ok = parse_elements(std::move(text), [&](const gloox::Tag& tag) {
    if (!first) first.reset(tag.clone());
  });
  return ok ? std::move(first) : nullptr;
}

// Feeds `fragment` as the inside of a jabber:client stream, as a server's bytes arrive after the
// stream header: every stanza that completes before a syntax error is delivered, without a
// parent and without the stream's namespace (what gloox hands a connection). The stream header
// element itself is not delivered.
template <class OnStanza>
void parse_stream_fragment(const std::string& fragment, OnStanza&& on_stanza) {
  bool header_seen = false;
  parse_elements(
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" + fragment,
      [&](const gloox::Tag& tag) {
        if (!header_seen) {
          header_seen = true;
          return;
        }
        on_stanza(tag);
      });
}

}  // namespace jvb::fuzz
