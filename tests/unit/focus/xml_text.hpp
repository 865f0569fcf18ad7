// XML text -> gloox::Tag for the focus's unit tests, through gloox's own parser so the tests see
// the same Tags (namespaces as attributes) as the stanza handlers do.
#pragma once

#include <memory>
#include <string>

#include <gloox/parser.h>
#include <gloox/tag.h>
#include <gloox/taghandler.h>

namespace jvb::focus::test {

// Keeps the first complete top-level element.
class FirstTag : public gloox::TagHandler {
 public:
  void handleTag(gloox::Tag* tag) override {
    if (!tag_) tag_.reset(tag->clone());
  }
  std::unique_ptr<gloox::Tag> tag_;
};

// nullptr when the text is not one well-formed element.
inline std::unique_ptr<gloox::Tag> parse_xml(const std::string& text) {
  FirstTag handler;
  gloox::Parser parser(&handler);
  std::string copy = text;  // feed() consumes its argument
  if (parser.feed(copy) >= 0) return nullptr;
  return std::move(handler.tag_);
}

}  // namespace jvb::focus::test
