// XML text -> gloox::Tag for the unit tests of xmpp/ and tools/focus, through gloox's own parser
// so the tests see the same Tags (namespaces as attributes, no parent) as the stanza handlers do.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <gloox/parser.h>
#include <gloox/tag.h>
#include <gloox/taghandler.h>

namespace jvb::test {

// Keeps the first complete top-level element.
class FirstTag : public gloox::TagHandler {
 public:
  void handleTag(gloox::Tag* tag) override {
    if (!tag_) tag_.reset(tag->clone());
  }
  std::unique_ptr<gloox::Tag> tag_;
};

// gloox's Parser stops at XML comments, which some vector files start with; an XMPP stream never
// carries any (RFC 6120 §11.1).
inline std::string without_comments(std::string text) {
  for (auto b = text.find("<!--"); b != std::string::npos; b = text.find("<!--", b)) {
    const auto e = text.find("-->", b);
    text.erase(b, e == std::string::npos ? std::string::npos : e + 3 - b);
  }
  return text;
}

// nullptr when the text (comments aside) is not one well-formed element.
inline std::unique_ptr<gloox::Tag> parse_xml(const std::string& text) {
  FirstTag handler;
  gloox::Parser parser(&handler);
  std::string copy = without_comments(text);  // feed() consumes its argument
  if (parser.feed(copy) >= 0) return nullptr;
  return std::move(handler.tag_);
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace jvb::test
